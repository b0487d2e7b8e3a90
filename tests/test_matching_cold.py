"""Matching one project from cold (gis/matching/cold.py): the bounded distance test is the
exact one, ``<=`` at the limit included; a match through :class:`ColdIndex` is the match
through the full :class:`MatchIndex`, for every demo project and for random requests; and the
cold path measures only the rows it shows."""

import json
from unittest import mock

import numpy as np
import pytest
import shapely
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from gis.matching import ColdIndex, MatchIndex, match
from gis.matching import pool as pool_module
from gis.matching.pool import nearest_km, within_km
from gis.matching.rules import FAIL, PASS, RULES, Project
from tests.helpers import X0, Y0

# ------------------------------------------------------------------------------------------
# within_km ≡ nearest_km <= limit
# ------------------------------------------------------------------------------------------
coord = st.floats(-3000, 3000, allow_nan=False, allow_infinity=False)
size = st.floats(1, 400, allow_nan=False, allow_infinity=False)


@st.composite
def parcels(draw, n_max=12):
    n = draw(st.integers(1, n_max))
    out = []
    for _ in range(n):
        x, y, w, h = draw(coord), draw(coord), draw(size), draw(size)
        if draw(st.booleans()):
            out.append(shapely.box(X0 + x, Y0 + y, X0 + x + w, Y0 + y + h))
        else:  # a triangle: half its box, so that bounds alone cannot decide near the limit
            corner = draw(st.integers(0, 3))
            ring = [(X0 + x, Y0 + y), (X0 + x + w, Y0 + y), (X0 + x + w, Y0 + y + h),
                    (X0 + x, Y0 + y + h)]
            out.append(shapely.Polygon(ring[:corner] + ring[corner + 1:]))
    return np.array(out, dtype=object)


@st.composite
def targets(draw, n_max=6):
    n = draw(st.integers(0, n_max))
    out = []
    for _ in range(n):
        x, y = draw(coord), draw(coord)
        if draw(st.booleans()):
            out.append(shapely.Point(X0 + x, Y0 + y))
        else:
            out.append(shapely.LineString([(X0 + x, Y0 + y),
                                           (X0 + x + draw(coord), Y0 + y + draw(coord))]))
    if n and draw(st.booleans()):
        out.append(None)  # missing targets are ignored by both
    return np.array(out, dtype=object)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(geoms=parcels(), tg=targets(), limit=st.floats(0, 6, allow_nan=False),
       pick=st.integers(0, 100), nudge=st.sampled_from([0, -1, 1]))
def test_within_is_the_exact_distance_rule(geoms, tg, limit, pick, nudge):
    exact = nearest_km(geoms, tg)
    finite = exact[np.isfinite(exact)]
    if len(finite) and pick % 3:  # a limit exactly at some geometry's distance (or one ulp off)
        limit = float(finite[pick % len(finite)])
        limit = float(np.nextafter(limit, np.inf * nudge)) if nudge else limit
    expected = exact <= limit
    assert np.array_equal(within_km(geoms, tg, limit), expected)
    assert np.array_equal(within_km(geoms, tg, limit, tree=shapely.STRtree(geoms)), expected)


@settings(max_examples=200, deadline=None)
@given(w=size, h=size, gap_km=st.floats(0.001, 5, allow_nan=False),
       side=st.sampled_from(["east", "north", "corner"]))
def test_a_facility_exactly_at_the_limit_passes(w, h, gap_km, side):
    """A point placed at the limit from a parcel's edge: its measured distance decides, and
    a limit one ulp below that distance fails."""
    parcel = shapely.box(X0, Y0, X0 + w, Y0 + h)
    gap = gap_km * 1000
    point = {"east": (X0 + w + gap, Y0 + h / 2), "north": (X0 + w / 2, Y0 + h + gap),
             "corner": (X0 + w + gap / 2 ** 0.5, Y0 + h + gap / 2 ** 0.5)}[side]
    geoms = np.array([parcel], dtype=object)
    tg = np.array([shapely.Point(point)], dtype=object)
    d = float(nearest_km(geoms, tg)[0])
    assert abs(d - gap_km) < 1e-6  # the construction is right: the gap is the distance
    for limit in (gap_km, d, float(np.nextafter(d, np.inf))):
        assert within_km(geoms, tg, limit)[0] == (d <= limit)
    assert not within_km(geoms, tg, float(np.nextafter(d, -np.inf)))[0]


def test_bounds_do_not_decide_a_triangle_near_its_missing_corner():
    """A point 10 m beyond the corner a triangle lacks: 14.1 m from the triangle's box, 155.6 m
    from the box's far corner, and 120/√2 = 84.85 m from the triangle's hypotenuse — only the
    exact distance may decide limits between."""
    tri = np.array([shapely.Polygon([(X0, Y0), (X0 + 100, Y0), (X0, Y0 + 100)])], dtype=object)
    point = np.array([shapely.Point(X0 + 110, Y0 + 110)], dtype=object)
    assert nearest_km(tri, point)[0] == pytest.approx(0.120 / 2 ** 0.5, abs=1e-9)
    for limit, inside in ((0.010, False), (0.015, False), (0.050, False), (0.0848, False),
                          (0.0849, True), (0.100, True), (0.156, True)):
        assert within_km(tri, point, limit)[0] == inside, limit


def test_within_edge_cases():
    geoms = np.array([shapely.box(X0, Y0, X0 + 10, Y0 + 10)], dtype=object)
    none = np.empty(0, dtype=object)
    far = np.array([shapely.Point(X0 + 1e6, Y0)], dtype=object)
    assert not within_km(geoms, none, 5.0)[0]  # no facility: inf is beyond any limit
    assert within_km(geoms, none, np.inf)[0]  # … but not beyond inf (inf <= inf)
    assert within_km(geoms, far, np.inf)[0]
    assert not within_km(geoms, far, np.nan)[0]
    assert not within_km(geoms, far, -1.0)[0]
    assert within_km(np.empty(0, dtype=object), far, 1.0).shape == (0,)


# ------------------------------------------------------------------------------------------
# the same answer through either index
# ------------------------------------------------------------------------------------------
def _same(a: dict, b: dict) -> bool:
    return json.dumps(a, sort_keys=True, ensure_ascii=False) == \
        json.dumps(b, sort_keys=True, ensure_ascii=False)


@pytest.fixture(scope="module")
def demo():
    from layers.demo import DEMO_AS_OF, build_demo

    layers = build_demo()
    index = MatchIndex.build(layers, as_of=DEMO_AS_OF)
    gathered = pool_module._gather(layers, index.as_of, index.policy)
    return layers, index, gathered


def _cold(demo) -> ColdIndex:
    """A fresh ColdIndex on the demo, the clean-ups' gathered pool given (as the suite)."""
    layers, index, gathered = demo
    with mock.patch.object(pool_module, "_gather", lambda *_: gathered.copy()):
        return ColdIndex.build(layers, as_of=index.as_of, policy=index.policy)


def test_every_demo_project_the_same_from_cold(demo):
    layers, index, _ = demo
    rows = layers["projects"].to_dict("records")
    assert len(rows) == 10
    shared = _cold(demo)  # one cold index answering every project in turn (its cache reused)
    for row in rows:
        full = match(row, index=index)
        assert _same(full, match(row, index=_cold(demo))), row["project_id"]
        assert _same(full, match(row, index=shared)), row["project_id"]
        prj = Project.of(row)
        cold, ref = shared.statuses(prj), index.statuses(prj)
        assert list(cold) == list(RULES)
        for rule in RULES:
            assert np.array_equal(cold[rule], ref[rule]), (row["project_id"], rule)
    # the answers are not trivially empty: sites, merged sites and near-misses all occur
    answers = [match(row, index=shared) for row in rows]
    assert sum(len(a["sites"]) for a in answers) >= 30
    assert any(s["site_id"].startswith("M-") for a in answers for s in a["sites"])
    assert all(a["excluded"] for a in answers)


def test_match_without_an_index_is_cold_and_the_same(demo):
    """match(project, layers, as_of) builds no MatchIndex, answers as the full index does."""
    layers, index, _ = demo
    row = layers["projects"].to_dict("records")[1]
    with mock.patch.object(MatchIndex, "build", side_effect=AssertionError("full index built")):
        answer = match(row, layers, as_of=index.as_of)
    assert _same(answer, match(row, index=index))


def test_cold_measures_only_the_rows_it_shows(demo):
    layers = demo[0]
    cold = _cold(demo)
    n = len(cold.candidates)
    answer = match(layers["projects"].to_dict("records")[1], index=cold)
    assert answer["sites"]
    measured = {k: int(np.isfinite(v).sum() + np.isinf(v).sum()) for k, v in
                cold._distances.items()}
    assert measured and max(measured.values()) < n / 2, measured
    substation_columns = [k for k in cold._distances if isinstance(k, tuple)]
    assert len(substation_columns) == 1  # the project's capacity level only


LAND_USES = ["100101", "100102", "100103", "1001", "110101", "110102", "070101"]


@st.composite
def requests(draw, zone_ids):
    need = draw(st.floats(3, 250))
    fields = {"project_id": "request", "name": "临时需求 request", "industry_code": "41",
              "need_mu_min": need, "need_mu_max": need + draw(st.floats(0, 150)),
              "land_use": draw(st.sampled_from(LAND_USES)),
              "investment_wan": draw(st.floats(100, 200000)),
              "expected_tax_wan": draw(st.one_of(st.none(), st.floats(0, 20000))),
              "expected_output_wan": draw(st.one_of(st.none(), st.floats(1, 300000))),
              "energy_tce": draw(st.one_of(st.none(), st.floats(0, 50000))),
              "power_kva": draw(st.one_of(st.none(), st.floats(0, 60000),
                                          st.sampled_from([0.0, 3000.0, 12000.0, 31500.0,
                                                           50000.0]))),
              "needs_rail": draw(st.booleans()),
              "max_km_to_highway_exit": draw(st.one_of(st.none(), st.floats(0, 30))),
              "zones": ",".join(draw(st.lists(st.sampled_from(zone_ids), max_size=2))),
              "zones_required": draw(st.booleans())}
    return fields


@pytest.fixture(scope="module")
def shared_cold(demo):
    return _cold(demo)


@pytest.fixture(scope="module")
def zone_ids(demo):
    return sorted(demo[0]["zones"]["zone_id"].astype(str))


def test_random_requests_the_same_from_cold(demo, shared_cold, zone_ids):
    _, index, _ = demo
    exits = index.sites["highway_exit_km"]
    exact_limits = np.unique(exits[np.isfinite(exits)])

    @settings(max_examples=60, deadline=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
    @given(fields=requests(zone_ids), at_exit=st.integers(-1, len(exact_limits) - 1),
           top_k=st.integers(1, 12))
    def check(fields, at_exit, top_k):
        if at_exit >= 0:  # a highway limit exactly at some candidate's distance
            fields = {**fields, "max_km_to_highway_exit": float(exact_limits[at_exit])}
        full = match(fields, index=index, top_k=top_k)
        assume(full is not None)
        assert _same(full, match(fields, index=shared_cold, top_k=top_k))
        statuses = shared_cold.statuses(Project.of(fields))
        ref = index.statuses(Project.of(fields))
        for rule in RULES:
            assert np.array_equal(statuses[rule], ref[rule]), rule

    check()


def test_statuses_mean_the_rules(demo, shared_cold):
    """The cold statuses are the rules: a site passing highway is within the limit, one
    failing is beyond it (exact distances of the full index)."""
    _, index, _ = demo
    prj = Project.of({"land_use": "100102", "need_mu_min": 10, "need_mu_max": 80,
                      "investment_wan": 5000, "max_km_to_highway_exit": 4.0,
                      "needs_rail": True, "power_kva": 12000})
    st_ = shared_cold.statuses(prj)
    km = index.sites["highway_exit_km"]
    assert (km[st_["highway"] == PASS] <= 4.0).all() and (km[st_["highway"] == FAIL] > 4.0).all()
    assert (st_["highway"] == PASS).any() and (st_["highway"] == FAIL).any()
    rail = index.sites["rail_km"]
    assert (rail[st_["rail"] == PASS] <= index.policy.matching.rail_km).all()
    assert (rail[st_["rail"] == FAIL] > index.policy.matching.rail_km).all()
