"""Merging adjacent candidates into sites: adjacency, barrier roads, the bounded search."""

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from shapely.geometry import LineString

from gis.matching.merge import SITE_COLUMNS, adjacency, merge_sites
from gis.units import mu_to_m2
from tests.helpers import CRS, X0, Y0, rect

H16 = mu_to_m2(16) / 100  # a 100 m wide box of this height is 16 亩


def cands(*rows):
    """Candidates from (id, area_mu, geometry[, source]) rows."""
    return gpd.GeoDataFrame(
        {"candidate_id": [r[0] for r in rows], "area_mu": [float(r[1]) for r in rows],
         "source": [r[3] if len(r) > 3 else "reserve" for r in rows]},
        geometry=[r[2] for r in rows], crs=CRS)


def roads(*rows):
    """Roads from (road_class, [(x, y), ...] relative to (X0, Y0)) rows."""
    return gpd.GeoDataFrame(
        {"road_class": [c for c, _ in rows]},
        geometry=[LineString([(X0 + x, Y0 + y) for x, y in pts]) for _, pts in rows], crs=CRS)


def pair16(gap=0.0):
    """Two 16-亩 boxes side by side, ``gap`` m apart."""
    return cands(("A", 16, rect(0, 0, 100, H16), "unsupplied"),
                 ("B", 16, rect(100 + gap, 0, 100, H16), "idle"))


def sites(c, road_frame=None, **kw):
    kw = {"need_min_mu": 30, "need_max_mu": 40} | kw
    return merge_sites(c, adjacency(c, road_frame), **kw)


def test_two_16_mu_neighbours_answer_30_mu():
    out = sites(pair16())
    assert list(out.columns) == list(SITE_COLUMNS)
    assert len(out) == 1
    site = out.iloc[0]
    assert site["site_id"] == "M-A+B"
    assert site["candidate_ids"] == ("A", "B")
    assert site["sources"] == ("unsupplied", "idle")
    assert site["parts"] == 2
    assert site["area_mu"] == pytest.approx(32.0)
    assert site["compactness"] == pytest.approx(1.0)
    assert site.geometry.area == pytest.approx(mu_to_m2(32))
    assert out.crs == CRS


def test_trunk_road_between_prevents_merge():
    road = roads(("trunk", [(102.5, -50), (102.5, H16 + 50)]))
    c = pair16(gap=5)
    assert adjacency(c, road).shape == (0, 2)
    assert sites(c, road).empty


@pytest.mark.parametrize("cls", ["motorway", "primary"])
def test_other_barrier_classes_prevent_merge(cls):
    road = roads((cls, [(102.5, -50), (102.5, H16 + 50)]))
    assert sites(pair16(gap=5), road).empty


def test_branch_road_between_does_not_prevent_merge():
    road = roads(("branch", [(102.5, -50), (102.5, H16 + 50)]))
    out = sites(pair16(gap=5), road)
    assert out["site_id"].tolist() == ["M-A+B"]


def test_trunk_road_on_shared_edge_separates_touching_parcels():
    road = roads(("trunk", [(100, -50), (100, H16 + 50)]))
    assert sites(pair16(), road).empty


def test_trunk_road_passing_beyond_the_gap_does_not_separate():
    # runs east-west 30 m north of both parcels: not between them
    road = roads(("trunk", [(-50, H16 + 30), (300, H16 + 30)]))
    assert len(sites(pair16(gap=5), road)) == 1


def test_barrier_classes_and_facilities_kind():
    road = roads(("branch", [(102.5, -50), (102.5, H16 + 50)]))
    c = pair16(gap=5)
    assert len(adjacency(c, road, barrier_classes=("branch",))) == 0
    facilities = road.assign(kind=["substation"])  # not a road: bars nothing
    assert len(adjacency(c, facilities, barrier_classes=("branch",))) == 1
    assert len(adjacency(c, road.drop(columns="road_class"))) == 1


@pytest.mark.parametrize(("gap", "merged"), [(8.0, True), (15.0, False)])
def test_gap(gap, merged):
    out = sites(pair16(gap=gap))
    assert len(out) == int(merged)
    if merged:
        assert out["compactness"].iloc[0] < 1.0
        assert out["compactness"].iloc[0] > 0.95
        assert out.geometry.iloc[0].geom_type == "MultiPolygon"


def test_gap_m_parameter():
    c = pair16(gap=15)
    assert len(adjacency(c, None, gap_m=20)) == 1


def test_stretched_union_rejected():
    # two thin 16-亩 arms meeting in an L: union ÷ hull ≈ 0.14
    w = 20.0
    arm = mu_to_m2(16) / w
    c = cands(("A", 16, rect(0, 0, w, arm)), ("B", 16, rect(w, 0, arm, w)))
    assert len(adjacency(c, None)) == 1
    assert sites(c).empty
    assert len(sites(c, min_compactness=0.1)) == 1


def test_corner_touching_boxes_rejected():
    # two squares meeting at a corner: union ÷ hull = 2/3
    s = mu_to_m2(16) ** 0.5
    c = cands(("A", 16, rect(0, 0, s, s)), ("B", 16, rect(s, s, s, s)))
    out = sites(c, min_compactness=0.5)
    assert out["compactness"].iloc[0] == pytest.approx(2 / 3)
    assert sites(c).empty


def test_need_larger_than_any_four_part_union():
    c = cands(*[(f"P{i}", 16, rect(100 * i, 0, 100, H16)) for i in range(5)])
    assert sites(c, need_min_mu=70, need_max_mu=80).empty  # 4 × 16 = 64 < 70
    assert len(sites(c, need_min_mu=60, need_max_mu=80)) == 2  # P0..P3, P1..P4


def test_five_chain_never_merged_into_five():
    c = cands(*[(f"P{i}", 10, rect(100 * i, 0, 100, mu_to_m2(10) / 100)) for i in range(5)])
    out = sites(c, need_min_mu=40, need_max_mu=45, max_parts=5)
    assert out["candidate_ids"].tolist() == [("P0", "P1", "P2", "P3"), ("P1", "P2", "P3", "P4")]
    assert (out["parts"] == 4).all()
    assert sites(c, need_min_mu=45, need_max_mu=50).empty  # would need all five


def test_site_over_twice_need_max_excluded():
    assert sites(pair16(), need_min_mu=30, need_max_mu=15).empty  # 32 > 2 × 15
    assert len(sites(pair16(), need_min_mu=30, need_max_mu=16)) == 1  # 32 ≤ 2 × 16


def test_candidate_that_alone_answers_is_not_merged():
    c = cands(("A", 40, rect(0, 0, 100, mu_to_m2(40) / 100)),
              ("B", 16, rect(100, 0, 100, H16)), ("C", 16, rect(200, 0, 100, H16)))
    assert sites(c)["site_id"].tolist() == ["M-B+C"]


def test_group_containing_a_smaller_site_is_not_a_site():
    # B+C answer 30 亩; A+B+C adds a 1-亩 sliver to them
    c = cands(("A", 1, rect(-10, 0, 10, H16)), ("B", 16, rect(0, 0, 100, H16)),
              ("C", 16, rect(100, 0, 100, H16)))
    assert sites(c)["site_id"].tolist() == ["M-B+C"]
    # a chain B–A–C where only the three together connect
    c = cands(("A", 1, rect(100, 0, 5, H16)), ("B", 16, rect(0, 0, 100, H16)),
              ("C", 16, rect(105 + 8, 0, 100, H16)))  # 13 m from B, 8 m from A
    out = sites(c)
    assert out["site_id"].tolist() == ["M-A+B+C"]
    assert out["parts"].iloc[0] == 3


def test_ranking_fewest_parts_then_compactness_then_area():
    # a 2×3 grid of 8-亩 squares; need 16: every adjacent pair answers
    s = mu_to_m2(8) ** 0.5
    c = cands(*[(f"P{r}{q}", 8, rect(q * s, r * s, s, s)) for r in range(2) for q in range(3)])
    out = sites(c, need_min_mu=16, need_max_mu=20)
    assert (out["parts"] == 2).all()
    assert len(out) == 7  # the grid's edges
    assert out["site_id"].is_unique
    assert list(out["site_id"]) == sorted(out["site_id"])  # ties broken by site_id
    out = sites(c, need_min_mu=24, need_max_mu=24)
    assert (out["parts"] == 3).all()
    # the straight triples (compactness 1) come before the L-shaped ones
    assert np.all(np.diff(out["compactness"].to_numpy()) <= 1e-12)
    assert out["compactness"].iloc[0] == pytest.approx(1.0)
    assert sites(c, need_min_mu=24, need_max_mu=24, limit=3).equals(out.head(3))


def test_limit():
    s = mu_to_m2(8) ** 0.5
    c = cands(*[(f"P{r:02d}{q:02d}", 8, rect(q * s, r * s, s, s))
                for r in range(10) for q in range(10)])
    out = sites(c, need_min_mu=16, need_max_mu=20, limit=50)
    assert len(out) == 50
    assert (out["parts"] == 2).all()


def test_deterministic_on_shuffled_input():
    rng = np.random.default_rng(7)
    rows = []
    for r in range(6):
        for q in range(6):
            w, h = rng.uniform(80, 95, 2)
            rows.append((f"C{r}{q}", float(w * h / mu_to_m2(1)), rect(q * 95, r * 95, w, h),
                         ["unsupplied", "reserve", "idle"][(r + q) % 3]))
    c = cands(*rows)
    road = roads(("trunk", [(-10, 285 + 92), (600, 285 + 92)]),
                 ("primary", [(285 + 92, -10), (285 + 92, 600)]))
    first = sites(c, road, need_min_mu=20, need_max_mu=25)
    assert len(first) > 10
    for seed in range(3):
        shuffled = c.sample(frac=1.0, random_state=seed).reset_index(drop=True)
        again = sites(shuffled, road, need_min_mu=20, need_max_mu=25)
        pd.testing.assert_frame_equal(first.drop(columns="geometry"),
                                      again.drop(columns="geometry"))
        assert shapely.equals(first.geometry.values, again.geometry.values).all()


def test_adjacency_pairs_sorted_and_ordered():
    c = cands(("C", 16, rect(200, 0, 100, H16)), ("A", 16, rect(0, 0, 100, H16)),
              ("B", 16, rect(100, 0, 100, H16)))
    pairs = adjacency(c, None)
    assert pairs.tolist() == [[0, 2], [1, 2]]
    assert pairs.dtype == np.intp


def test_missing_geometry_and_area_left_out():
    c = cands(("A", 16, rect(0, 0, 100, H16)), ("B", 16, None), ("C", np.nan, rect(100, 0, 100, H16)),
              ("D", 16, rect(0, H16, 100, H16)))
    pairs = adjacency(c, None)
    assert pairs.tolist() == [[0, 2], [0, 3], [2, 3]]
    assert sites(c)["site_id"].tolist() == ["M-A+D"]


def test_empty_candidates():
    c = cands()
    assert adjacency(c, None).shape == (0, 2)
    out = merge_sites(c, adjacency(c, None), need_min_mu=30, need_max_mu=40)
    assert out.empty
    assert list(out.columns) == list(SITE_COLUMNS)
    assert out.crs == CRS


def test_no_pairs():
    out = merge_sites(pair16(gap=50), np.empty((0, 2), dtype=int), need_min_mu=30, need_max_mu=40)
    assert out.empty
    assert list(out.columns) == list(SITE_COLUMNS)


def test_max_groups_bounds_the_work():
    s = mu_to_m2(8) ** 0.5
    c = cands(*[(f"P{r:02d}{q:02d}", 8, rect(q * s, r * s, s, s))
                for r in range(6) for q in range(6)])
    full = sites(c, need_min_mu=24, need_max_mu=24)
    bounded = sites(c, need_min_mu=24, need_max_mu=24, max_groups=10)
    assert 0 < len(bounded) <= 10 < len(full)
    assert set(bounded["site_id"]) <= set(full["site_id"])
    shuffled = c.sample(frac=1.0, random_state=1).reset_index(drop=True)
    again = sites(shuffled, need_min_mu=24, need_max_mu=24, max_groups=10)
    assert again["site_id"].tolist() == bounded["site_id"].tolist()


@settings(max_examples=60, deadline=None)
@given(boxes=st.lists(st.tuples(st.integers(0, 12), st.integers(0, 6), st.integers(20, 60),
                                st.integers(20, 60)), min_size=2, max_size=25),
       lines=st.lists(st.one_of(
           # across the county, along the columns' and rows' gaps, or anywhere
           st.floats(-10, 700).map(lambda x: (x, -50.0, x, 450.0)),
           st.floats(-10, 400).map(lambda y: (-50.0, y, 750.0, y)),
           st.tuples(st.floats(-50, 700), st.floats(-50, 400), st.floats(-50, 700),
                     st.floats(-50, 400))), min_size=1, max_size=4),
       gap=st.sampled_from([0.0, 5.0, 10.0, 30.0]))
def test_barrier_test_only_skips_pairs_it_cannot_separate(boxes, lines, gap):
    """adjacency() tests the corridor only of pairs whose two candidates lie near a barrier
    road; the pairs are exactly those of testing every pair's corridor (roads through gaps,
    along shared edges, past the ends of gaps, a little farther than the gap)."""
    import gis.matching.merge as merge

    c = cands(*[(f"C{k}", 1, rect(x * 50, y * 60, w, h))
                for k, (x, y, w, h) in enumerate(boxes)])
    assume(len(adjacency(c, None, gap_m=gap)))
    r = roads(*[("trunk", [(x1, y1), (x2, y2)]) for x1, y1, x2, y2 in lines])
    got = adjacency(c, r, gap_m=gap)
    near = adjacency(c, None, gap_m=gap)
    geoms = np.asarray(c.geometry.values, dtype=object)
    barriers = shapely.STRtree(np.asarray(r.geometry.values, dtype=object))
    cut = merge._separated(geoms[near[:, 0]], geoms[near[:, 1]], barriers) if len(near) \
        else np.zeros(0, dtype=bool)
    np.testing.assert_array_equal(got, near[~cut])
