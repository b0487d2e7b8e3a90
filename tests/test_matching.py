"""Matching a project to land (issue 5): the pool, each hard rule, merging, scoring, the output
shape, a monotonicity property, and the demo county's ten sample projects."""

import json
import statistics
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely.geometry import LineString, Point, shape

from gis.errors import ValidationError
from gis.matching import MatchIndex, match
from gis.matching.rules import RULES
from gis.matching.score import CRITERIA
from gis.policy import Policy
from gis.units import mu_to_m2
from tests.helpers import X0, Y0, frame, rect

AS_OF = "2025-06-30"


def parcel(pid, x, y, w, h, *, use="100102", ready=True, ra=True, status="reserve", zone="Z"):
    return {"parcel_id": pid, "land_use": use, "zone_id": zone, "status": status,
            "ready": ready, "regional_assessment": ra, "town": "城东街道",
            "geometry": rect(x, y, w, h)}


def mu_box(pid, x, y, mu, h=100.0, **kw):
    """A parcel of ``mu`` 亩, ``h`` m deep, lower-left corner at (x, y)."""
    return parcel(pid, x, y, mu_to_m2(mu) / h, h, **kw)


def zoning(zid, x, y, w, h, use="100102", inv=100.0, tax=10.0, out=None, energy=None):
    return {"zoning_id": zid, "planned_use": use, "investment_min_wan_per_mu": inv,
            "tax_min_wan_per_mu": tax, "output_min_wan_per_mu": out,
            "energy_max_tce_per_wan": energy, "geometry": rect(x, y, w, h)}


def facility(fid, kind, geom, spare=None, road_class=None):
    return {"facility_id": fid, "kind": kind, "spare_kva": spare, "road_class": road_class,
            "geometry": geom}


def pt(x, y):
    return Point(X0 + x, Y0 + y)


def world(parcels, *, zonings=None, constraints=(), infra=None, zones=None):
    """Layers of a hand-built county: a zoning unit over everything unless given, a substation,
    water, sewage, gas and a highway exit nearby unless given."""
    if zonings is None:
        zonings = [zoning("Z1", -5000, -5000, 20000, 20000)]
    if infra is None:
        infra = [facility("S1", "substation", pt(0, -300), spare=20000.0),
                 facility("W1", "water", pt(100, -300)), facility("P1", "sewage", pt(200, -300)),
                 facility("G1", "gas", pt(300, -300)), facility("H1", "highway_exit", pt(0, -2000))]
    if zones is None:
        zones = [{"zone_id": "Z", "name": "东园", "level": "county",
                  "geometry": rect(-5000, -5000, 20000, 20000)}]
    return {"parcels": frame("parcels", parcels), "zoning": frame("zoning", zonings),
            "constraints": frame("constraints", list(constraints)),
            "infrastructure": frame("infrastructure", infra), "zones": frame("zones", zones)}


def project(**kw):
    base = {"project_id": "T1", "name": "测试项目", "industry_code": "3421", "land_use": "100102",
            "need_mu_min": 20.0, "need_mu_max": 40.0, "investment_wan": 5000.0,
            "expected_tax_wan": 900.0, "expected_output_wan": 6000.0}
    base.update(kw)
    return base


def run(layers, prj, **kw):
    return match(prj, layers, as_of=AS_OF, **kw)


def excluded_rules(result, pid):
    return {e["rule"] for e in result["excluded"] if e["parcel_id"] == pid}


def site_ids(result):
    return [s["site_id"] for s in result["sites"]]


# ------------------------------------------------------------------------------------------
# the output
# ------------------------------------------------------------------------------------------
def test_output_shape_and_geojson_in_crs84():
    result = run(world([mu_box("A", 0, 0, 30)]), project())
    assert set(result) == {"project", "as_of", "sites", "excluded"}
    assert result["as_of"] == AS_OF
    site = result["sites"][0]
    assert set(site) == {"rank", "site_id", "parcel_ids", "sources", "area_mu", "net_area_mu",
                         "score", "criteria", "checks", "explanation", "explanation_en",
                         "geometry"}
    assert site["rank"] == 1 and site["parcel_ids"] == ["A"] and site["sources"] == ["reserve"]
    assert site["area_mu"] == pytest.approx(30, abs=0.01)
    assert set(site["criteria"]) == set(CRITERIA)
    for c in site["criteria"].values():
        assert set(c) == {"value", "score", "weight"} and 0 <= c["score"] <= 1
    assert 0 <= site["score"] <= 100
    assert site["geometry"]["type"] == "Polygon"
    lon, lat = site["geometry"]["coordinates"][0][0]
    assert 119 < lon < 122 and 29 < lat < 31  # CRS84: longitude first
    assert set(site["checks"].values()) <= {"pass", "fail", "unknown"}
    assert "rail" not in site["checks"]  # not asked for: not applicable
    assert "最强" in site["explanation"] and "weakest" in site["explanation_en"]
    json.dumps(result, ensure_ascii=False)


def test_index_reused_and_policy_top_k():
    layers = world([mu_box(f"P{i}", i * 300, 0, 25 + i) for i in range(8)])
    index = MatchIndex.build(layers, as_of=AS_OF)
    assert len(match(project(), index=index)["sites"]) == Policy.load().matching.top_k == 5
    assert len(match(project(), index=index, top_k=2)["sites"]) == 2
    assert [s["rank"] for s in match(project(), index=index, top_k=8)["sites"]] == list(range(1, 9))
    with pytest.raises(ValueError, match="index"):
        match(project())


def test_missing_project_fields_refused():
    layers = world([mu_box("A", 0, 0, 30)])
    with pytest.raises(ValidationError, match="investment_wan"):
        run(layers, {"land_use": "100102", "need_mu_min": 10, "need_mu_max": 20})
    with pytest.raises(ValidationError, match="need"):
        run(layers, project(need_mu_min=50, need_mu_max=20))


# ------------------------------------------------------------------------------------------
# hard rules
# ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("project_use", "land_use", "ok"), [
    ("100101", "100102", True),   # 一类 project on 二类 land
    ("100101", "100103", True),
    ("100102", "100102", True),
    ("100103", "100102", False),  # 三类 project on 二类 land
    ("100102", "100101", False),
    ("100102", "110102", False),  # another class
    ("110101", "110102", True),
    ("110102", "100102", False),
])
def test_land_use_class_and_category(project_use, land_use, ok):
    layers = world([mu_box("A", 0, 0, 30, use=land_use)],
                   zonings=[zoning("Z1", -500, -500, 2000, 2000, use=land_use)])
    result = run(layers, project(land_use=project_use))
    assert (site_ids(result) == ["A"]) is ok
    assert ("land_use" in excluded_rules(result, "A")) is not ok
    if not ok:
        detail = next(e["detail"] for e in result["excluded"] if e["rule"] == "land_use")
        assert land_use in detail and "Planned use" in detail


def test_zoning_use_wins_over_parcel_use():
    layers = world([mu_box("A", 0, 0, 30, use="100102")],
                   zonings=[zoning("Z1", -500, -500, 2000, 2000, use="100103")])
    assert site_ids(run(layers, project(land_use="100103"))) == ["A"]


def test_red_line_overlap_excluded_touching_is_not():
    farmland = {"constraint_id": "C1", "kind": "basic_farmland", "effect": "exclude",
                "geometry": rect(150, 0, 100, 100)}
    layers = world([mu_box("A", 0, 0, 30, h=100),          # 200 m wide: overlaps farmland
                    mu_box("B", 1000, 0, 30, h=100),
                    mu_box("C", 0, 500, 30, h=100)], constraints=[farmland])
    touching = {"constraint_id": "C2", "kind": "eco_redline", "effect": "exclude",
                "geometry": rect(1200, 0, 100, 100)}  # B ends at 1200
    layers["constraints"] = frame("constraints", [farmland, touching])
    result = run(layers, project())
    assert "A" not in site_ids(result) and {"B", "C"} <= set(site_ids(result))
    assert excluded_rules(result, "A") == {"red_line"}
    detail = next(e["detail"] for e in result["excluded"] if e["parcel_id"] == "A")
    assert "5000" in detail and "禁止占用" in detail


def test_corridor_reduces_net_area_with_its_buffer():
    corridor = {"constraint_id": "C1", "kind": "hv_corridor", "effect": "penalize",
                "buffer_m": 10.0, "geometry": LineString([(X0 + 100, Y0 - 50),
                                                          (X0 + 100, Y0 + 150)])}
    a = mu_box("A", 0, 0, 30, h=100)  # 300 × 100 m; the corridor (20 m wide) cuts 2000 m²
    layers = world([a], constraints=[corridor])
    result = run(layers, project(need_mu_min=20))
    site = result["sites"][0]
    assert site["area_mu"] == pytest.approx(30, abs=0.01)
    assert site["net_area_mu"] == pytest.approx(30 - 3.0, abs=0.01)
    # the area rule uses the net area: 28 亩 of need no longer fits
    result = run(layers, project(need_mu_min=28))
    assert result["sites"] == [] and excluded_rules(result, "A") == {"area"}
    assert "27.0" in result["excluded"][0]["detail"]
    # without a buffer the line takes nothing
    layers["constraints"] = frame("constraints", [{**corridor, "buffer_m": None}])
    assert run(layers, project(need_mu_min=28))["sites"][0]["net_area_mu"] == pytest.approx(30)


def test_area_and_too_large():
    layers = world([mu_box("small", 0, 0, 15), mu_box("ok", 0, 400, 30),
                    mu_box("big", 0, 800, 81), mu_box("edge", 0, 1200, 80)])
    result = run(layers, project(need_mu_min=20, need_mu_max=40, investment_wan=20000))
    assert set(site_ids(result)) == {"ok", "edge"}  # exactly 2 × need_mu_max is not too large
    assert excluded_rules(result, "small") == {"area"}
    assert excluded_rules(result, "big") == {"too_large"}


def test_standard_land_investment_failure():
    layers = world([mu_box("A", 0, 0, 30)],
                   zonings=[zoning("Z1", -500, -500, 2000, 2000, inv=300)])
    result = run(layers, project(investment_wan=6000))  # 200 万元/亩 < 300
    assert result["sites"] == []
    assert excluded_rules(result, "A") == {"standard_land"}
    detail = result["excluded"][0]["detail"]
    assert "投资强度" in detail and "investment per mu" in detail and "300" in detail
    assert site_ids(run(layers, project(investment_wan=9000))) == ["A"]  # 300 万元/亩


def test_standard_land_tax_output_energy():
    layers = world([mu_box("A", 0, 0, 30)],
                   zonings=[zoning("Z1", -500, -500, 2000, 2000, inv=100, tax=20, out=300,
                                   energy=0.1)])
    ok = project(expected_tax_wan=600, expected_output_wan=9000, energy_tce=900)
    assert run(layers, ok)["sites"][0]["checks"]["standard_land"] == "pass"
    for bad in ({"expected_tax_wan": 500}, {"expected_output_wan": 8000},
                {"energy_tce": 1000}):
        result = run(layers, {**ok, **bad})
        assert excluded_rules(result, "A") == {"standard_land"}, bad


def test_unknown_tax_is_unknown_never_a_silent_pass():
    layers = world([mu_box("A", 0, 0, 30)],
                   zonings=[zoning("Z1", -500, -500, 2000, 2000, tax=20)])
    result = run(layers, project(expected_tax_wan=None))
    site = result["sites"][0]
    assert site["checks"]["standard_land"] == "unknown"
    assert all(v == "pass" for k, v in site["checks"].items() if k != "standard_land")
    # without a zoning minimum there is nothing to know
    layers = world([mu_box("A", 0, 0, 30)],
                   zonings=[zoning("Z1", -500, -500, 2000, 2000, tax=None)])
    assert run(layers, project(expected_tax_wan=None))["sites"][0]["checks"][
        "standard_land"] == "pass"


def _infra(**moves):
    base = {"substation": (pt(0, -300), 20000.0), "highway_exit": (pt(0, -2000), None)}
    base.update(moves)
    rows = [facility(k[:2].upper(), k, g, spare=s) for k, (g, s) in base.items()]
    return rows


def test_rail():
    near = world([mu_box("A", 0, 0, 30)], infra=_infra(
        rail=(LineString([(X0 - 1000, Y0 - 1500), (X0 + 1000, Y0 - 1500)]), None)))
    far = world([mu_box("A", 0, 0, 30)], infra=_infra(
        rail=(LineString([(X0 - 1000, Y0 - 2500), (X0 + 1000, Y0 - 2500)]), None)))
    none = world([mu_box("A", 0, 0, 30)], infra=_infra())
    assert site_ids(run(near, project(needs_rail=True))) == ["A"]
    assert run(near, project(needs_rail=True))["sites"][0]["checks"]["rail"] == "pass"
    assert excluded_rules(run(far, project(needs_rail=True)), "A") == {"rail"}
    assert excluded_rules(run(none, project(needs_rail=True)), "A") == {"rail"}
    assert site_ids(run(far, project(needs_rail=False))) == ["A"]


def test_highway():
    layers = world([mu_box("A", 0, 0, 30)])  # exit 2 km south
    assert site_ids(run(layers, project(max_km_to_highway_exit=3.0))) == ["A"]
    result = run(layers, project(max_km_to_highway_exit=1.5))
    assert excluded_rules(result, "A") == {"highway"}
    assert "2.0" in result["excluded"][0]["detail"]


def test_power_spare_capacity_within_5_km():
    infra = [facility("S1", "substation", pt(0, -1000), spare=5000.0),
             facility("S2", "substation", pt(0, -6000), spare=50000.0)]
    layers = world([mu_box("A", 0, 0, 30)], infra=infra)
    assert site_ids(run(layers, project(power_kva=5000))) == ["A"]
    result = run(layers, project(power_kva=8000))  # only S2 has it, 6 km away
    assert excluded_rules(result, "A") == {"power"}
    assert "6.0" in result["excluded"][0]["detail"]
    result = run(layers, project(power_kva=60000))
    assert "全县没有" in result["excluded"][0]["detail"]
    assert site_ids(run(layers, project(power_kva=None))) == ["A"]


def test_zones_required_and_preferred():
    zones = [{"zone_id": "KFQ", "name": "开发区", "level": "provincial",
              "geometry": rect(-5000, -5000, 20000, 20000)},
             {"zone_id": "KFQ-DY", "name": "东园", "level": "provincial", "parent_id": "KFQ",
              "geometry": rect(-500, -500, 1000, 2000)},
             {"zone_id": "KFQ-XY", "name": "西园", "level": "provincial", "parent_id": "KFQ",
              "geometry": rect(1000, -500, 1000, 2000)}]
    layers = world([mu_box("east", 0, 0, 30, zone=None), mu_box("west", 1200, 0, 30, zone=None)],
                   zones=zones)
    result = run(layers, project(zones="KFQ-XY", zones_required=True))
    assert site_ids(result) == ["west"]
    assert excluded_rules(result, "east") == {"zones"}
    assert "KFQ-DY" in result["excluded"][0]["detail"]
    assert set(site_ids(run(layers, project(zones="KFQ", zones_required=True)))) == {"east",
                                                                                     "west"}
    preferred = run(layers, project(zones="KFQ-XY", zones_required=False))
    assert set(site_ids(preferred)) == {"east", "west"}
    assert "zones" not in preferred["sites"][0]["checks"]


def test_near_misses_one_rule_first_then_area_closeness():
    farmland = {"constraint_id": "C1", "kind": "basic_farmland", "effect": "exclude",
                "geometry": rect(-100, -100, 5000, 150)}
    parcels = [mu_box("one_far", 0, 400, 5), mu_box("one_near", 400, 400, 18),
               mu_box("two", 0, 0, 18)]  # "two": too small and on farmland
    result = run(world(parcels, constraints=[farmland]), project(need_mu_min=20))
    order = list(dict.fromkeys(e["parcel_id"] for e in result["excluded"]))
    assert order == ["one_near", "one_far", "two"]
    assert excluded_rules(result, "two") == {"area", "red_line"}
    policy = Policy.load(overrides={"matching": {"near_misses": 1}})
    result = run(world(parcels, constraints=[farmland]), project(need_mu_min=20), policy=policy)
    assert {e["parcel_id"] for e in result["excluded"]} == {"one_near"}


# ------------------------------------------------------------------------------------------
# merging
# ------------------------------------------------------------------------------------------
def test_two_16_mu_neighbours_answer_30_mu():
    a, b = mu_box("A", 0, 0, 16, h=100), mu_box("B", 0, 0, 16, h=100)
    width = mu_to_m2(16) / 100
    b["geometry"] = rect(width, 0, width, 100)
    result = run(world([a, b]), project(need_mu_min=30, need_mu_max=35))
    assert len(result["sites"]) == 1
    site = result["sites"][0]
    assert site["parcel_ids"] == ["A", "B"] and site["sources"] == ["reserve", "reserve"]
    assert site["area_mu"] == pytest.approx(32, abs=0.01)
    assert all(v == "pass" for v in site["checks"].values())
    # the single parcels are near-misses on area
    assert excluded_rules(result, "A") == {"area"}


def test_primary_road_between_prevents_the_merge():
    width = mu_to_m2(16) / 100
    a, b = mu_box("A", 0, 0, 16, h=100), mu_box("B", 0, 0, 16, h=100)
    b["geometry"] = rect(width + 8, 0, width, 100)  # 8 m apart
    road = facility("R1", "road", LineString([(X0 + width + 4, Y0 - 200),
                                              (X0 + width + 4, Y0 + 300)]),
                    road_class="primary")
    infra = [*_infra(), road]
    assert run(world([a, b], infra=infra), project(need_mu_min=30, need_mu_max=35))[
        "sites"] == []
    road["road_class"] = "branch"
    assert len(run(world([a, b], infra=infra), project(need_mu_min=30, need_mu_max=35))[
        "sites"]) == 1


def test_merged_site_checks_standard_land_on_its_total_area():
    width = mu_to_m2(16) / 100
    a, b = mu_box("A", 0, 0, 16, h=100), mu_box("B", 0, 0, 16, h=100)
    b["geometry"] = rect(width, 0, width, 100)
    layers = world([a, b], zonings=[zoning("Z1", -500, -500, 2000, 2000, inv=200)])
    # 5000 万元 ÷ 16 亩 passes on each part, ÷ 32 亩 fails on the site
    result = run(layers, project(need_mu_min=30, need_mu_max=35, investment_wan=5000))
    assert result["sites"] == []
    assert {"parcel_id": "M-A+B", "rule": "standard_land"} in [
        {k: e[k] for k in ("parcel_id", "rule")} for e in result["excluded"]]


def test_merge_parts_must_pass_non_area_rules():
    width = mu_to_m2(16) / 100
    a, b = mu_box("A", 0, 0, 16, h=100), mu_box("B", 0, 0, 16, h=100, use="100101")
    b["geometry"] = rect(width, 0, width, 100)
    layers = world([a, b], zonings=[zoning("Z1", -500, -500, width, 2000),
                                    zoning("Z2", width - 500, -500, 2000, 2000, use="100101")])
    layers["zoning"] = frame("zoning", [zoning("Z1", -500, -500, 500 + width, 2000),
                                        zoning("Z2", width, -500, 2000, 2000, use="100101")])
    assert run(layers, project(need_mu_min=30, need_mu_max=35))["sites"] == []


# ------------------------------------------------------------------------------------------
# scoring
# ------------------------------------------------------------------------------------------
def _criterion(result, pid, name):
    site = next(s for s in result["sites"] if s["site_id"] == pid)
    return site["criteria"][name]["score"]


def test_scores_monotone():
    near, far = mu_box("near", 0, 0, 30), mu_box("far", 2500, 0, 30)
    result = run(world([near, far]), project())
    for c in ("infrastructure", "access"):  # facilities lie near x = 0
        assert _criterion(result, "near", c) > _criterion(result, "far", c)
    # readiness: 净地 and 区域评估 count
    result = run(world([mu_box("ready", 0, 0, 30), mu_box("raw", 0, 400, 30, ready=False),
                        mu_box("none", 0, 800, 30, ready=False, ra=False)]), project())
    assert (_criterion(result, "ready", "readiness") > _criterion(result, "raw", "readiness")
            > _criterion(result, "none", "readiness"))
    # area fit: waste beyond the need lowers it
    result = run(world([mu_box("fit", 0, 0, 38), mu_box("waste", 0, 400, 60),
                        mu_box("more", 0, 800, 75)]), project(investment_wan=20000))
    assert (_criterion(result, "fit", "area_fit") > _criterion(result, "waste", "area_fit")
            > _criterion(result, "more", "area_fit"))
    # headroom grows with the investment
    layers = world([mu_box("A", 0, 0, 30)])
    scores = [run(layers, project(investment_wan=v))["sites"][0]["criteria"][
        "standard_land_headroom"]["score"] for v in (3000, 4500, 6000)]
    assert scores == sorted(scores) and scores[0] < scores[-1]


def test_weights_override_changes_ranking():
    # "near" is close to the facilities but not ready; "ready" is ready but 2.5 km away
    layers = world([mu_box("near", 0, 0, 30, ready=False, ra=False),
                    mu_box("ready", 2500, 0, 30)])
    on_infra = run(layers, project(weights={"infrastructure": 100, "readiness": 0, "access": 0,
                                            "area_fit": 0, "standard_land_headroom": 0}))
    on_ready = run(layers, project(weights={"readiness": 100, "infrastructure": 0,
                                            "access": 0, "area_fit": 0,
                                            "standard_land_headroom": 0}))
    assert site_ids(on_infra)[0] == "near" and site_ids(on_ready)[0] == "ready"
    assert on_ready["sites"][0]["criteria"]["readiness"]["weight"] == 100
    with pytest.raises(ValidationError, match="unknown criteria"):
        run(layers, project(weights={"beauty": 10}))


def test_source_rank_in_readiness():
    layers = world([mu_box("A", 0, 0, 30)])
    index = MatchIndex.build(layers, as_of=AS_OF)
    assert list(index.candidates["source"]) == ["reserve"]
    value = match(project(), index=index)["sites"][0]["criteria"]["readiness"]["value"]
    assert value == {"ready": True, "regional_assessment": True, "sources": ["reserve"]}


# ------------------------------------------------------------------------------------------
# monotonicity: a larger need never yields more sites
# ------------------------------------------------------------------------------------------
_SEPARATE = world([mu_box(f"P{i}", (i % 6) * 2000, (i // 6) * 400, 10 + 7 * i,
                          h=50 + 10 * (i % 5), ready=bool(i % 2))
                   for i in range(18)],
                  constraints=[{"constraint_id": "C1", "kind": "hv_corridor",
                                "effect": "penalize", "buffer_m": 15.0,
                                "geometry": LineString([(X0 + 100, Y0 - 100),
                                                        (X0 + 100, Y0 + 3000)])}])
_ADJACENT = world([mu_box(f"Q{i}", i * mu_to_m2(12) / 100, 0, 12, h=100) for i in range(6)])
_INDEXES = {}


def _index(name):
    if name not in _INDEXES:
        _INDEXES[name] = MatchIndex.build(_SEPARATE if name == "separate" else _ADJACENT,
                                          as_of=AS_OF)
    return _INDEXES[name]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(need=st.floats(5, 150), more=st.floats(0, 100), span=st.floats(0, 100),
       investment=st.floats(1000, 50000), tax=st.one_of(st.none(), st.floats(0, 3000)))
def test_larger_need_never_more_sites(need, more, span, investment, tax):
    index = _index("separate")
    small = project(need_mu_min=need, need_mu_max=need + more + span, investment_wan=investment,
                    expected_tax_wan=tax)
    large = {**small, "need_mu_min": need + more}
    a = match(small, index=index, top_k=100)
    b = match(large, index=index, top_k=100)
    assert len(b["sites"]) <= len(a["sites"])
    assert set(site_ids(b)) <= set(site_ids(a))


@settings(max_examples=40, deadline=None)
@given(need=st.floats(13, 60), more=st.floats(0, 30))
def test_larger_need_never_more_sites_in_a_row_of_neighbours(need, more):
    index = _index("adjacent")
    a = match(project(need_mu_min=need, need_mu_max=100, investment_wan=1e6), index=index,
              top_k=100)
    b = match(project(need_mu_min=need + more, need_mu_max=100, investment_wan=1e6),
              index=index, top_k=100)
    assert len(b["sites"]) <= len(a["sites"])


# ------------------------------------------------------------------------------------------
# the demo county
# ------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def demo():
    from layers.demo import DEMO_AS_OF, build_demo

    layers = build_demo()
    return layers, MatchIndex.build(layers, as_of=DEMO_AS_OF)


def test_demo_pool_has_every_source(demo):
    _, index = demo
    sources = set(index.candidates["source"])
    assert sources == {"unsupplied", "reserve", "idle", "low_efficiency"}
    assert index.candidates["candidate_id"].is_unique
    assert (index.candidates["net_area_mu"] <= index.candidates["area_mu"] + 1e-9).all()
    assert len(index.pairs) > 0


def test_demo_every_project_answered(demo):
    layers, index = demo
    answers = {p["project_id"]: match(p, index=index)
               for p in layers["projects"].to_dict("records")}
    assert len(answers) == 10
    for pid, answer in answers.items():
        json.dumps(answer, ensure_ascii=False)
        if answer["sites"]:
            top = answer["sites"][0]
            assert "fail" not in top["checks"].values(), pid
            assert top["score"] >= 50, pid
            assert [s["score"] for s in answer["sites"]] == sorted(
                (s["score"] for s in answer["sites"]), reverse=True)
        else:  # why nothing fits: the near-misses name the rules
            assert answer["excluded"], pid
            assert {e["rule"] for e in answer["excluded"]} <= set(RULES)
            assert all(e["detail"] for e in answer["excluded"])
    impossible = answers["XM2026010"]
    assert impossible["sites"] == []
    assert {"power", "rail", "highway", "area"} <= {e["rule"] for e in impossible["excluded"]}
    answered = [pid for pid, a in answers.items() if a["sites"]]
    assert len(answered) >= 7
    # the hazardous 三类 project stays in 西园 on 三类 land
    for site in answers["XM2026003"]["sites"]:
        assert site["checks"]["zones"] == "pass" and site["checks"]["land_use"] == "pass"


def test_demo_match_is_fast(demo):
    layers, index = demo
    projects = layers["projects"].to_dict("records")
    match(projects[0], index=index)
    times = []
    for p in projects:
        t0 = time.perf_counter()
        match(p, index=index)
        times.append(time.perf_counter() - t0)
    # the target is 50 ms (tests/benchmarks/bench_match.py); a loaded CI machine gets slack
    assert statistics.median(times) < 0.25


def test_geometry_round_trip_near_the_world(demo):
    _, index = demo
    result = match(project(need_mu_min=20, need_mu_max=40, investment_wan=20000,
                           expected_tax_wan=None, expected_output_wan=None), index=index)
    assert result["sites"]
    lon0, lat0, lon1, lat1 = shape(result["sites"][0]["geometry"]).bounds
    assert 119 < lon0 < lon1 < 122 and 29 < lat0 < lat1 < 31
