"""批而未供 approved but unsupplied (gis/cleanup/unsupplied.py): hand-built batches and supplies
with hand-computed expectations for every rule of issue 3 and its edges, a property test on
random boxes, and the demo county.

Coordinates are metres in EPSG:4528 relative to (X0, Y0); ``rect(x0, y0, x1, y1)`` is a box
there. 1 亩 = 2000/3 m², so a 300 m × 200 m batch is 60 000 m² = 90 亩. Unless a test says
otherwise the day is 2026-09-30 and the policy the defaults (full at 99.9%, lapse 2 years,
mismatch 1%, pieces ≥ 3 亩 and ≥ 30 m wide, five years, floor 60%).
"""

from __future__ import annotations

import importlib
import math
from datetime import date, datetime

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely import affinity
from shapely.geometry import MultiPolygon, Polygon, box

from gis import parallel
from gis.cleanup.unsupplied import DUST_M2, Unsupplied, unsupplied, widths
from gis.errors import CRSError
from gis.policy import Policy
from gis.schema import PANDAS_DTYPES, conform, empty_frame
from gis.validate import validate
from layers import catalogue, results
from layers.demo import DEMO_AS_OF, build_demo

unsupplied_module = importlib.import_module("gis.cleanup.unsupplied")

X0, Y0 = 40_520_000.0, 3_353_000.0  # EPSG:4528, CGCS2000 3° zone 40
AS_OF = date(2026, 9, 30)
MU = 2000 / 3  # m² per 亩


def rect(x0: float, y0: float, x1: float, y1: float) -> Polygon:
    return box(X0 + x0, Y0 + y0, X0 + x1, Y0 + y1)


def approval(aid: str, geometry, approved_on: str = "2025-01-01", **kw) -> dict:
    return {"approval_id": aid, "approved_on": approved_on, "kind": "batch",
            "name": f"{aid}批次", "doc_no": "浙政土字〔2025〕1号", "geometry": geometry,
            **kw}


def supply(sid: str, geometry, supplied_on: str = "2025-06-01") -> dict:
    return {"supply_id": sid, "supplied_on": supplied_on, "method": "transfer",
            "land_use": "100101", "price_wan": 1000.0, "agreed_start": "2026-01-01",
            "agreed_completion": "2028-12-31", "geometry": geometry}


def layer(name: str, rows: list[dict]) -> gpd.GeoDataFrame:
    """The rows as a validated layer (canonical names, dtypes, MultiPolygons)."""
    if not rows:
        return empty_frame(catalogue[name], crs=4528)
    frame = gpd.GeoDataFrame(pd.DataFrame(rows), geometry="geometry", crs=4528)
    clean, report = validate(frame, name)
    assert not report.rejected_rows, report.to_text()
    return clean


def run(approvals: list[dict], supplies: list[dict] = (), as_of=AS_OF,
        policy: Policy | None = None) -> Unsupplied:
    return unsupplied(layer("approvals", approvals), layer("supplies", list(supplies)), as_of,
                      policy)


def batch(result: Unsupplied, aid: str = "A") -> dict:
    rows = result.batches[result.batches["approval_id"] == aid].to_dict("records")
    assert len(rows) == 1, rows
    return rows[0]


def pieces(result: Unsupplied, aid: str = "A") -> list[dict]:
    return result.pieces[result.pieces["approval_id"] == aid].to_dict("records")


# -- the worked example -----------------------------------------------------------------------


def test_partial_batch_by_hand():
    """300 × 200 m batch, one 100 × 200 m supply: 90 亩 approved, 30 supplied, 60 left in one
    200 × 200 m piece (60 亩, 200 m wide, usable)."""
    r = run([approval("A", rect(0, 0, 300, 200), "2025-01-01", declared_area_m2=60000.0)],
            [supply("S1", rect(0, 0, 100, 200))])
    b = batch(r)
    assert b["approved_mu"] == pytest.approx(90.0, abs=1e-9)
    assert b["supplied_mu"] == pytest.approx(30.0, abs=1e-9)
    assert b["unsupplied_mu"] == pytest.approx(60.0, abs=1e-9)
    assert b["supply_rate"] == pytest.approx(1 / 3, abs=1e-12)
    assert b["status"] == "partial"
    assert not b["lapsed"]
    assert b["age_years"] == pytest.approx(637 / 365.25)  # 2025-01-01 → 2026-09-30
    assert b["declared_mu"] == pytest.approx(90.0)
    assert not b["area_mismatch"]
    assert pd.isna(b["zone_id"]) and pd.isna(b["town"])
    assert b["name"] == "A批次" and b["kind"] == "batch"
    (p,) = pieces(r)
    assert p["piece_id"] == "A-1"
    assert p["area_mu"] == pytest.approx(60.0, abs=1e-9)
    assert p["width_m"] == pytest.approx(200.0, abs=1e-6)
    assert p["usable"] and pd.isna(p["reason"])
    assert p["approved_on"] == pd.Timestamp("2025-01-01")
    assert p["age_years"] == pytest.approx(b["age_years"])
    assert p["geometry"].equals(rect(100, 0, 300, 200))


def test_columns_and_dtypes_are_the_catalogues():
    r = run([approval("A", rect(0, 0, 300, 200))], [supply("S1", rect(0, 0, 100, 200))])
    for frame, name in ((r.batches, "unsupplied_batches"), (r.pieces, "unsupplied_pieces")):
        fields = results[name].fields
        assert list(frame.columns) == [f.name for f in fields] + ["geometry"]
        for f in fields:
            assert str(frame[f.name].dtype) == PANDAS_DTYPES[f.dtype], (name, f.name)
        assert frame.crs.to_epsg() == 4528
    assert set(shapely.get_type_id(np.asarray(r.pieces.geometry.array))) == {3}  # Polygons
    assert r.batches.geometry.iloc[0].equals(MultiPolygon([rect(0, 0, 300, 200)]))


# -- overlapping supplies, supplies outside, holes -------------------------------------------


def test_overlapping_supplies_counted_once():
    """Two 150 × 200 m supplies overlapping by 50 m: the sum of pieces (90 亩) would call the
    batch full; the union is 250 × 200 m = 75 亩."""
    r = run([approval("A", rect(0, 0, 300, 200))],
            [supply("S1", rect(0, 0, 150, 200)), supply("S2", rect(100, 0, 250, 200))])
    b = batch(r)
    assert b["supplied_mu"] == pytest.approx(75.0, abs=1e-9)
    assert b["unsupplied_mu"] == pytest.approx(15.0, abs=1e-9)
    assert b["status"] == "partial"
    (p,) = pieces(r)
    assert p["area_mu"] == pytest.approx(15.0) and p["width_m"] == pytest.approx(50.0)
    assert p["usable"]  # 15 亩, 50 m wide


@pytest.mark.parametrize(("extra", "supplied", "status"), [
    # overlaps S1 by 100 m; together the whole batch (the sum, 120 亩, overshoots)
    ([supply("S2", rect(100, 0, 300, 200))], 90.0, "full"),
    # the same polygon twice (the sum, 120 亩, overshoots; the truth is 60)
    ([supply("S2", rect(0, 0, 200, 200))], 60.0, "partial"),
    # supplies nested inside S1
    ([supply("S2", rect(50, 50, 150, 150)), supply("S3", rect(60, 60, 70, 70))], 60.0,
     "partial"),
])
def test_overlapping_supplies_in_other_ways(extra, supplied, status):
    r = run([approval("A", rect(0, 0, 300, 200))],
            [supply("S1", rect(0, 0, 200, 200)), *extra])
    b = batch(r)
    assert b["supplied_mu"] == pytest.approx(supplied, abs=1e-9)
    assert b["unsupplied_mu"] == pytest.approx(90.0 - supplied, abs=1e-9)
    assert b["status"] == status
    assert sum(p["area_mu"] for p in pieces(r)) == pytest.approx(90.0 - supplied, abs=1e-9)


def test_supply_partly_outside_counts_only_inside():
    """A 200 × 200 m supply half outside the batch: 100 × 200 m = 30 亩 inside."""
    r = run([approval("A", rect(0, 0, 300, 200))], [supply("S1", rect(200, 0, 400, 200))])
    b = batch(r)
    assert b["supplied_mu"] == pytest.approx(30.0, abs=1e-9)
    assert b["unsupplied_mu"] == pytest.approx(60.0, abs=1e-9)


def test_supply_touching_the_edge_supplies_nothing():
    r = run([approval("A", rect(0, 0, 300, 200))], [supply("S1", rect(300, 0, 400, 200))])
    b = batch(r)
    assert b["supplied_mu"] == 0.0 and b["status"] == "none"
    (p,) = pieces(r)
    assert p["area_mu"] == pytest.approx(90.0)


def test_batch_with_a_hole():
    """300 × 200 m less a 100 × 100 m hole at (150–250, 50–150): 50 000 m² = 75 亩. A supply
    over the whole box counts only the batch (75 亩, full); a 100 × 200 m supply on the west
    leaves one piece, the 200 × 200 m square with the hole: a frame of 50 m arms, whose largest
    circle sits in a corner: width = 100·√2 / (1 + √2) m."""
    ring = rect(0, 0, 300, 200).exterior
    hole = rect(150, 50, 250, 150).exterior
    geom = Polygon(ring, [hole])
    whole = run([approval("A", geom)], [supply("S1", rect(-10, -10, 310, 210))])
    b = batch(whole)
    assert b["approved_mu"] == pytest.approx(75.0, abs=1e-9)
    assert b["supplied_mu"] == pytest.approx(75.0, abs=1e-9)
    assert b["status"] == "full" and pieces(whole) == []

    west = run([approval("A", geom)], [supply("S1", rect(0, 0, 100, 200))])
    b = batch(west)
    assert b["supplied_mu"] == pytest.approx(30.0, abs=1e-9)
    assert b["unsupplied_mu"] == pytest.approx(45.0, abs=1e-9)
    (p,) = pieces(west)
    assert p["area_mu"] == pytest.approx(45.0, abs=1e-9)
    assert len(p["geometry"].interiors) == 1
    true = 100 * math.sqrt(2) / (1 + math.sqrt(2))  # 58.58 m
    assert true * 0.98 - 1e-9 <= p["width_m"] <= true + 1e-9
    assert p["usable"]


# -- status, lapse, dates ------------------------------------------------------------------------


def test_full_at_the_threshold_and_sliver_left():
    """1 000 × 100 m batch: supplied 999.5 m of it is 99.95% ≥ 99.9%: full, and the 0.5 m strip
    left is a piece (too small); 998 m is 99.8%: partial."""
    r = run([approval("A", rect(0, 0, 1000, 100)), approval("B", rect(0, 200, 1000, 300))],
            [supply("S1", rect(0, 0, 999.5, 100)), supply("S2", rect(0, 200, 998, 300))])
    a, b = batch(r, "A"), batch(r, "B")
    assert a["supply_rate"] == pytest.approx(0.9995) and a["status"] == "full"
    assert b["supply_rate"] == pytest.approx(0.998) and b["status"] == "partial"
    (sliver,) = pieces(r, "A")
    assert sliver["area_mu"] == pytest.approx(50 / MU)
    assert sliver["width_m"] == pytest.approx(0.5)
    assert not sliver["usable"] and sliver["reason"] == "too_small"
    (strip,) = pieces(r, "B")  # 2 × 100 m = 0.3 亩: too small though also narrow
    assert strip["reason"] == "too_small"


def test_none_and_the_lapse_anniversary():
    """Approved 2024-09-30 with nothing supplied lapses on 2026-09-30, not the day before; a
    batch with something supplied never lapses."""
    apps = [approval("A", rect(0, 0, 300, 200), "2024-09-30"),
            approval("B", rect(0, 300, 300, 500), "2020-01-01")]
    sups = [supply("S1", rect(0, 300, 10, 500), "2020-06-01")]
    before = run(apps, sups, as_of="2026-09-29")
    on = run(apps, sups, as_of="2026-09-30")
    for r in (before, on):
        a = batch(r, "A")
        assert a["status"] == "none" and a["supplied_mu"] == 0.0
        assert a["unsupplied_mu"] == pytest.approx(90.0) and a["supply_rate"] == 0.0
        assert batch(r, "B")["status"] == "partial" and not batch(r, "B")["lapsed"]
    assert not batch(before, "A")["lapsed"]
    assert batch(on, "A")["lapsed"]


def test_lapse_of_a_leap_day_approval():
    """Approved 2024-02-29: the second anniversary is 2026-02-28 (calendar years)."""
    apps = [approval("A", rect(0, 0, 300, 200), "2024-02-29")]
    assert not batch(run(apps, as_of="2026-02-27"))["lapsed"]
    assert batch(run(apps, as_of="2026-02-28"))["lapsed"]


def test_lapse_years_from_the_policy():
    apps = [approval("A", rect(0, 0, 300, 200), "2025-09-30")]
    assert not batch(run(apps))["lapsed"]
    one = Policy.load(overrides={"unsupplied": {"lapse_years": 1}})
    assert batch(run(apps, policy=one))["lapsed"]


def test_after_as_of_ignored():
    """An approval of the day after is not in the ledger; a supply of the day after does not
    count; a supply of the day itself does."""
    apps = [approval("A", rect(0, 0, 300, 200)),
            approval("B", rect(0, 300, 300, 500), "2026-10-01")]
    sups = [supply("S1", rect(0, 0, 100, 200), "2026-10-01"),
            supply("S2", rect(200, 0, 300, 200), "2026-09-30")]
    r = run(apps, sups)
    assert list(r.batches["approval_id"]) == ["A"]
    assert batch(r)["supplied_mu"] == pytest.approx(30.0)
    assert set(r.pieces["approval_id"]) == {"A"}


@pytest.mark.parametrize("as_of", ["2026-09-30", date(2026, 9, 30), datetime(2026, 9, 30, 15),
                                   pd.Timestamp("2026-09-30")])
def test_as_of_forms(as_of):
    r = run([approval("A", rect(0, 0, 300, 200), "2024-09-30")], as_of=as_of)
    assert batch(r)["lapsed"] and r.five_year["window_end"] == "2026-09-30"


def test_as_of_must_be_a_date():
    with pytest.raises(TypeError):
        run([approval("A", rect(0, 0, 300, 200))], as_of=20260930)


@pytest.mark.parametrize(("declared", "flag"), [
    (60600.0, False),  # exactly 1% more: not flagged
    (60601.0, True),
    (59400.0, False),  # exactly 1% less
    (59399.0, True),
    (None, None),  # no declared area: unknown
])
def test_declared_area_mismatch(declared, flag):
    r = run([approval("A", rect(0, 0, 300, 200), declared_area_m2=declared)])
    b = batch(r)
    if flag is None:
        assert pd.isna(b["area_mismatch"]) and pd.isna(b["declared_mu"])
    else:
        assert bool(b["area_mismatch"]) is flag
        assert b["declared_mu"] == pytest.approx(declared / MU)


# -- pieces --------------------------------------------------------------------------------------


def test_pieces_sliver_strip_square_and_boundaries():
    """A batch of separate parts, nothing supplied; pieces numbered by area, largest first
    (equal areas west first):
    a 100 × 100 m square (15 亩, usable), a 30 × 100 m strip (exactly 30 m wide: usable),
    a 10 × 300 m strip (4.5 亩 ≥ 3 but 10 m wide: too narrow), a 40 × 50 m box (exactly 3 亩:
    usable), a 29.9 × 100 m strip (too narrow), and a 100 × 0.5 m sliver (too small)."""
    parts = [rect(0, 0, 100, 100), rect(200, 0, 230, 100), rect(300, 0, 310, 300),
             rect(400, 0, 440, 50), rect(500, 0, 529.9, 100), rect(600, 0, 700, 0.5)]
    r = run([approval("A", MultiPolygon(parts))])
    got = [(p["piece_id"], round(p["area_mu"], 6), round(p["width_m"], 6), bool(p["usable"]),
            None if pd.isna(p["reason"]) else p["reason"]) for p in pieces(r)]
    assert got == [
        ("A-1", 15.0, 100.0, True, None),
        ("A-2", 4.5, 30.0, True, None),
        ("A-3", 4.5, 10.0, False, "too_narrow"),
        ("A-4", round(2990 / MU, 6), 29.9, False, "too_narrow"),
        ("A-5", 3.0, 40.0, True, None),
        ("A-6", 0.075, 0.5, False, "too_small"),
    ]


def test_piece_numbering_is_deterministic():
    """Equal areas: the south-west piece first; shuffled inputs give the same ledger."""
    parts = [rect(500, 0, 600, 100), rect(0, 0, 100, 100), rect(200, 0, 400, 100)]
    apps = [approval("A", MultiPolygon(parts))]
    sups = [supply("S1", rect(250, 0, 300, 100)), supply("S2", rect(520, 20, 540, 40))]
    r = run(apps, sups)
    ids = {p["piece_id"]: p["geometry"].bounds[0] - X0 for p in pieces(r)}
    assert ids == {"A-1": 0.0, "A-2": 300.0, "A-3": 500.0, "A-4": 200.0}
    again = unsupplied(layer("approvals", apps), layer("supplies", sups[::-1]).iloc[::-1], AS_OF)
    pd.testing.assert_frame_equal(r.pieces.drop(columns="geometry"),
                                  again.pieces.drop(columns="geometry"))


def test_dust_is_dropped_and_told():
    """A: a supply 5 µm short of the east edge leaves 0.001 m²: full, no piece. B: a supply
    reaching 0.1 mm into the batch (0.02 m²) supplies nothing. C: half supplied, plus a supply
    5 µm short of the east edge below a 5 m strip: the 0.0005 m² sliver left is a dropped part.
    The unsupplied area keeps the dust; the pieces do not; attrs tell the difference."""
    r = run([approval("A", rect(0, 0, 300, 200)), approval("B", rect(0, 300, 300, 500)),
             approval("C", rect(0, 600, 300, 800))],
            [supply("S1", rect(0, 0, 299.999995, 200)),
             supply("S2", rect(299.9999, 300, 400, 500)),
             supply("S3", rect(0, 600, 100, 800)),
             supply("S4", rect(100, 600, 299.999995, 700)),
             supply("S5", rect(100, 700, 300, 705))])
    a, b, c = batch(r, "A"), batch(r, "B"), batch(r, "C")
    assert a["status"] == "full" and pieces(r, "A") == []
    assert a["unsupplied_mu"] == pytest.approx(0.001 / MU, rel=1e-2)
    assert b["status"] == "none" and b["supplied_mu"] == 0.0 and not b["lapsed"]
    assert [p["area_mu"] for p in pieces(r, "B")] == [pytest.approx(90.0)]
    (piece,) = pieces(r, "C")
    assert piece["area_mu"] == pytest.approx(200 * 95 / MU)
    for row in (a, b, c):
        assert row["supplied_mu"] + row["unsupplied_mu"] == pytest.approx(90.0, abs=1e-9)
    assert r.pieces.attrs["dust"]["parts"] == 1
    assert r.pieces.attrs["dust"]["m2"] == pytest.approx(0.0015, rel=1e-2)
    assert DUST_M2 == 1.0


def test_width_of_a_rectangle_and_other_shapes():
    r100x40 = rect(0, 0, 100, 40)
    tilted = affinity.rotate(r100x40, 30, origin="centroid")
    noisy = Polygon([(X0, Y0), (X0 + 50, Y0 + 0.003), (X0 + 100, Y0), (X0 + 100, Y0 + 40),
                     (X0, Y0 + 40)])
    a = 100.0
    triangle = Polygon([(X0, Y0), (X0 + a, Y0), (X0, Y0 + a)])  # inradius a(2 − √2)/2
    ell = rect(0, 0, 200, 40).union(rect(0, 0, 40, 300))  # an L of 40 m arms
    # a 400 × 40 m rectangle slit 1 mm wide along its middle almost to the far end: its
    # vertices all lie on the rectangle's sides, yet it is two 20 m strips
    slit = Polygon([(X0, Y0), (X0 + 400, Y0), (X0 + 400, Y0 + 40), (X0, Y0 + 40),
                    (X0, Y0 + 20.0005), (X0 + 399.96, Y0 + 20.0005), (X0 + 399.96, Y0 + 19.9995),
                    (X0, Y0 + 19.9995)])
    w = widths(np.array([r100x40, tilted, noisy, triangle, ell, slit], dtype=object))
    assert w[0] == pytest.approx(40.0, abs=1e-9)
    assert w[1] == pytest.approx(40.0, abs=1e-6)
    assert 40.0 - 0.1 <= w[2] <= 40.0
    true = a * (2 - math.sqrt(2))
    assert true * 0.98 <= w[3] <= true + 1e-9
    corner = 40 * math.sqrt(2) / (1 + math.sqrt(2)) * 2  # the L's corner circle: 46.86 m
    assert corner * 0.98 <= w[4] <= corner + 1e-9
    assert 19.9995 * 0.98 <= w[5] <= 19.9995 + 1e-6
    assert len(widths(np.array([], dtype=object))) == 0


def test_width_near_the_threshold_is_searched_again(monkeypatch):
    """A 600 m parallelogram 30.15 m wide (not a rectangle: its inscribed circle is searched).
    Suppose the first search comes back as short as its tolerance allows (2 × 2% of
    area / perimeter ≈ 0.6 m): under 30 m. The second search, at 5 cm, settles it: usable."""
    strip = Polygon([(X0, Y0), (X0 + 600, Y0), (X0 + 640, Y0 + 30.15), (X0 + 40, Y0 + 30.15)])
    search = unsupplied_module._circle_widths

    def worst_case(polygons, tolerance):
        return search(polygons, tolerance) - 2 * np.asarray(tolerance)

    monkeypatch.setattr(unsupplied_module, "_circle_widths", worst_case)
    (coarse,) = widths(np.array([strip], dtype=object))
    (fine,) = widths(np.array([strip], dtype=object), threshold_m=30.0)
    assert 29.5 < coarse < 30.0
    assert 30.05 - 1e-9 <= fine <= 30.15 + 1e-9
    (p,) = pieces(run([approval("A", strip)]))
    assert p["usable"] and 30.05 - 1e-9 <= p["width_m"] <= 30.15 + 1e-9


# -- the five-year rate ----------------------------------------------------------------------------


def test_five_year_window_and_floor():
    """As of 2026-09-30 the window is (2021-09-30, 2026-09-30]. W (2021-09-30, fully supplied)
    is outside; B (2021-10-01) 60 000 m² with 48 000 supplied and C (2026-09-30) 20 000 m² with
    nothing are inside: 72 / 120 亩 = 0.6 by area (by count it would be 1/2) — meets the floor."""
    apps = [approval("W", rect(0, 0, 300, 200), "2021-09-30"),
            approval("B", rect(0, 300, 300, 500), "2021-10-01"),
            approval("C", rect(0, 600, 100, 800), "2026-09-30")]
    sups = [supply("S1", rect(0, 0, 300, 200), "2022-01-01"),
            supply("S2", rect(0, 300, 240, 500), "2022-01-01")]
    r = run(apps, sups)
    assert r.five_year == {
        "window_start": "2021-09-30", "window_end": "2026-09-30", "batches": 2,
        "approved_mu": pytest.approx(120.0), "supplied_mu": pytest.approx(72.0),
        "rate": pytest.approx(0.6, abs=1e-12), "floor": 0.6, "meets_floor": True,
    }
    # a day later B, approved exactly five years before, drops out: C alone, nothing supplied
    later = run(apps, sups, as_of="2026-10-01").five_year
    assert later["window_start"] == "2021-10-01" and later["batches"] == 1
    assert later["rate"] == 0.0 and later["meets_floor"] is False
    # the day before: W (approved the day after 2021-09-29) is in, C not yet approved:
    # (90 + 72) / (90 + 90) = 0.9
    before = run(apps, sups, as_of="2026-09-29").five_year
    assert before["window_start"] == "2021-09-29" and before["batches"] == 2
    assert before["rate"] == pytest.approx(0.9)
    # a stricter floor is not met
    strict = Policy.load(overrides={"unsupplied": {"rate_floor": 0.65}})
    s = run(apps, sups, policy=strict).five_year
    assert s["floor"] == 0.65 and s["meets_floor"] is False


def test_five_year_without_batches():
    r = run([approval("W", rect(0, 0, 300, 200), "2010-01-01")])
    assert r.five_year["batches"] == 0 and r.five_year["approved_mu"] == 0.0
    assert r.five_year["rate"] is None and r.five_year["meets_floor"] is None


# -- edges of the inputs ---------------------------------------------------------------------------


def test_no_approvals_and_no_supplies():
    r = run([])
    assert len(r.batches) == 0 and len(r.pieces) == 0
    assert list(r.batches.columns) == [f.name for f in results["unsupplied_batches"].fields] + \
        ["geometry"]
    assert list(r.pieces.columns) == [f.name for f in results["unsupplied_pieces"].fields] + \
        ["geometry"]
    r = run([approval("A", rect(0, 0, 300, 200))])
    assert batch(r)["status"] == "none"


def test_crs_is_checked():
    apps = layer("approvals", [approval("A", rect(0, 0, 300, 200))])
    sups = layer("supplies", [supply("S1", rect(0, 0, 100, 200))])
    with pytest.raises(CRSError):
        unsupplied(apps, sups.set_crs(4549, allow_override=True), AS_OF)
    with pytest.raises(CRSError):
        unsupplied(apps.to_crs(4490), sups.to_crs(4490), AS_OF)


def test_inputs_are_not_changed():
    apps = layer("approvals", [approval("A", rect(0, 0, 300, 200))])
    sups = layer("supplies", [supply("S1", rect(0, 0, 100, 200))])
    a0, s0 = apps.copy(), sups.copy()
    unsupplied(apps, sups, AS_OF)
    pd.testing.assert_frame_equal(apps, a0)
    pd.testing.assert_frame_equal(sups, s0)


# -- property: random boxes --------------------------------------------------------------------------

coord = st.integers(min_value=0, max_value=400)


@st.composite
def boxes(draw):
    x0, y0 = draw(coord), draw(coord)
    return (x0, y0, x0 + draw(st.integers(1, 250)), y0 + draw(st.integers(1, 250)))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(batch_boxes=st.lists(boxes(), min_size=1, max_size=3),
       supply_boxes=st.lists(boxes(), max_size=6))
def test_areas_add_up_on_random_boxes(batch_boxes, supply_boxes):
    """For each batch: supplied + unsupplied = approved, 0 ≤ rate ≤ 1, supplied =
    area(batch ∩ ⋃ supplies) computed independently, the status follows, and the pieces hold
    the unsupplied area (on a 1 m grid every area is a whole number of m²: no dust)."""
    apps = conform(gpd.GeoDataFrame(
        {"approval_id": [f"A{i}" for i in range(len(batch_boxes))],
         "approved_on": pd.to_datetime(["2025-01-01"] * len(batch_boxes)),
         "kind": ["batch"] * len(batch_boxes)},
        geometry=[rect(*b) for b in batch_boxes], crs=4528), catalogue["approvals"])
    sups = conform(gpd.GeoDataFrame(
        {"supply_id": [f"S{i}" for i in range(len(supply_boxes))],
         "supplied_on": pd.to_datetime(["2025-06-01"] * len(supply_boxes))},
        geometry=gpd.GeoSeries([rect(*b) for b in supply_boxes], crs=4528), crs=4528),
        catalogue["supplies"])
    r = unsupplied(apps, sups, AS_OF)
    union = shapely.union_all([rect(*s) for s in supply_boxes]) if supply_boxes else Polygon()
    for i, batch_box in enumerate(batch_boxes):
        b = batch(r, f"A{i}")
        assert b["supplied_mu"] + b["unsupplied_mu"] == pytest.approx(b["approved_mu"], abs=1e-6)
        assert 0.0 <= b["supply_rate"] <= 1.0
        expected = rect(*batch_box).intersection(union).area / MU
        assert b["supplied_mu"] == pytest.approx(expected, abs=1e-6)
        status = "full" if b["supply_rate"] >= 0.999 else "none" if expected == 0 else "partial"
        assert b["status"] == status
        held = sum(p["area_mu"] for p in pieces(r, f"A{i}"))
        assert held == pytest.approx(b["unsupplied_mu"], abs=1e-6)
    assert r.pieces.attrs["dust"]["parts"] == 0
    assert (r.pieces["width_m"] > 0).all()
    assert r.pieces["piece_id"].is_unique


# -- the demo county ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_layers() -> dict:
    return build_demo()


@pytest.fixture(scope="module")
def demo(demo_layers) -> Unsupplied:
    return unsupplied(demo_layers["approvals"], demo_layers["supplies"], DEMO_AS_OF)


def test_demo_county_is_non_trivial(demo):
    b, p = demo.batches, demo.pieces
    assert set(b["status"]) == {"full", "partial", "none"}
    assert b["lapsed"].sum() > 0
    assert (b.loc[b["lapsed"], "status"] == "none").all()
    assert p["usable"].sum() > 0
    assert set(p["reason"].dropna()) == {"too_small", "too_narrow"}
    assert p["piece_id"].is_unique
    assert (b["supplied_mu"] + b["unsupplied_mu"] - b["approved_mu"]).abs().max() < 1e-6
    held = p.groupby("approval_id")["area_mu"].sum()
    left = b.set_index("approval_id")["unsupplied_mu"]
    dust_mu = demo.pieces.attrs["dust"]["m2"] / MU
    assert (left.reindex(held.index) - held).abs().max() <= dust_mu + 1e-6
    assert left.sum() - held.sum() == pytest.approx(dust_mu, abs=1e-6)
    five = demo.five_year
    assert five["window_end"] == DEMO_AS_OF.isoformat() and five["batches"] > 0
    assert 0 < five["rate"] < 1 and five["floor"] == 0.6


def test_demo_batches_with_holes_are_measured_without_them(demo, demo_layers):
    approvals = demo_layers["approvals"]
    geoms = np.asarray(approvals.geometry.array)
    holed = shapely.get_num_interior_rings(shapely.get_geometry(geoms, 0)) > 0
    assert holed.any()
    b = demo.batches.set_index("approval_id").loc[approvals.loc[holed, "approval_id"]]
    assert np.allclose(b["approved_mu"], shapely.area(geoms[holed]) / MU)


def test_threads_change_nothing(demo, demo_layers, monkeypatch):
    """The demo county split over threads chunk by chunk (forced even for small arrays) gives
    the very same ledger as in one piece."""
    monkeypatch.setattr(parallel, "MIN_ITEMS", 1)
    monkeypatch.setattr(parallel, "cores", lambda: 3)
    again = unsupplied(demo_layers["approvals"], demo_layers["supplies"], DEMO_AS_OF)
    pd.testing.assert_frame_equal(again.batches, demo.batches)
    pd.testing.assert_frame_equal(again.pieces, demo.pieces)
    assert again.five_year == demo.five_year
