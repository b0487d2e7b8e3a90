"""Development-zone intensive-use indicators 开发区土地集约利用 (issue 4, DOMAIN §6): every
formula by hand on a tiny zone, and the demo county.

The tiny zone (EPSG:4528 boxes near (40 520 000, 3 353 000); 100 × 50 m = 5 000 m² = 0.5 ha):

    y 100 ┌──────────┬─────────┬──────────┬─────┬─────┐
          │ a3 sup.  │ a4 res. │ c3 res.  │ c4  │ c5  │   a3 100101, a4 100101 净地,
          │ (not     │ 净地    │ not 净地 │ col.│road │   c3 100101, c4 0101, c5 1207
       50 ├──────────┼───────┬─┴───┬──────┴─────┴─────┤
          │ a1 sup.  │ a2    │ c1  │ c2 supplied       │   a1 100101, a2 0901, c1 110101,
          │ 100101   │ 0901  │     │ idle (take back)  │   c2 100102
        0 └──────────┴───────┴─────┴───────────────────┘
          0         100     180 200 260               400
                        park A | park B  (parent KFQ-T = both)

c1 (180–260) lies across the park boundary at x = 200; its representative point (220, 25) is
in park B, so it counts wholly in B.
"""

from __future__ import annotations

from datetime import date

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from gis.cleanup.idle import idle as idle_ledger
from gis.codes import credit_code_check_char
from gis.errors import ValidationError
from gis.evaluation.zone import NATIONAL, zone_indicators
from gis.policy import Policy
from gis.schema import PANDAS_DTYPES, conform
from layers import catalogue, results
from layers.demo import DEMO_AS_OF, build_demo
from tests.helpers import CRS, X0, Y0, frame, rect

AS_OF = date(2026, 6, 30)
FIELDS = [f.name for f in results["zone_indicators"].fields]


def code(n: int) -> str:
    first = f"91330599MA{n:07d}"
    return first + credit_code_check_char(first)


F1, F2, F3, F4, F5, F6, F7, F8 = (code(k) for k in range(1, 9))




def pt(x: float, y: float):
    return shapely.Point(X0 + x, Y0 + y)




def complete(df: gpd.GeoDataFrame, layer: str) -> gpd.GeoDataFrame:
    """Every field of the layer, the absent ones blank (as a validated workspace layer)."""
    out = df.copy()
    for f in catalogue[layer].fields:
        if f.name not in out:
            out[f.name] = pd.Series(np.nan if f.dtype == "float" else pd.NA, index=out.index,
                                    dtype=PANDAS_DTYPES[f.dtype])
    return conform(out, catalogue[layer])


def zone(zid, name, geom, parent=None):
    return {"zone_id": zid, "name": name, "level": "provincial", "parent_id": parent,
            "geometry": geom}


def parcel(pid, x, y, w, h, land_use, status, owner=None, ready=None):
    return {"parcel_id": pid, "land_use": land_use, "status": status,
            "owner_credit_code": owner, "ready": ready, "geometry": rect(x, y, w, h)}


def building(bid, geom, floors, *, storey=None, height=None, state="built"):
    return {"building_id": bid, "floors": floors, "storey_height_m": storey,
            "height_m": height, "state": state, "geometry": geom}


def firm(credit, tax, revenue, geom=None, year=2025):
    return {"credit_code": credit, "year": year, "name": f"企业{credit[-3:]}",
            "industry_code": "3411", "above_scale": True, "tax_wan": tax,
            "revenue_wan": revenue, "geometry": geom}


def supply(sid, pid, geom, supplied, start, completion, *, actual_start=None,
           actual_completion=None, invested=None, land_use="100101", cause=None):
    return {"supply_id": sid, "parcel_id": pid, "supplied_on": pd.Timestamp(supplied),
            "method": "transfer", "land_use": land_use, "price_wan": 700.0,
            "agreed_start": pd.Timestamp(start), "agreed_completion": pd.Timestamp(completion),
            "actual_start": pd.Timestamp(actual_start) if actual_start else pd.NaT,
            "actual_completion": pd.Timestamp(actual_completion) if actual_completion
            else pd.NaT,
            "invested_wan": invested, "delay_cause": cause, "geometry": geom}


def layers() -> dict[str, pd.DataFrame]:
    zones = [zone("KFQ-T", "测试开发区", rect(0, 0, 400, 100)),
             zone("KFQ-A", "测试开发区甲园", rect(0, 0, 200, 100), "KFQ-T"),
             zone("KFQ-B", "测试开发区乙园", rect(200, 0, 200, 100), "KFQ-T")]
    parcels = [
        parcel("a1", 0, 0, 100, 50, "100101", "supplied", F1),
        parcel("a2", 100, 0, 80, 50, "0901", "supplied", F2),
        parcel("a3", 0, 50, 100, 50, "100101", "supplied", F3),
        parcel("a4", 100, 50, 100, 50, "100101", "reserve", ready=True),
        parcel("c1", 180, 0, 80, 50, "110101", "supplied", F4),
        parcel("c2", 260, 0, 140, 50, "100102", "supplied", F5),
        parcel("c3", 200, 50, 100, 50, "100101", "reserve", ready=False),
        parcel("c4", 300, 50, 50, 50, "0101", "collective"),
        parcel("c5", 350, 50, 50, 50, "1207", "other"),
    ]
    buildings = [
        building("b1", rect(10, 10, 50, 30), 2, storey=4.5),      # a1: 1500 m², floor 3000
        building("b2", rect(70, 10, 20, 30), 1, storey=10.0),     # a1: 600 m², >8 m → 1200
        building("b3", rect(110, 10, 40, 30), 5, storey=3.5),     # a2: 1200 m², floor 6000
        building("b4", rect(10, 60, 40, 30), 3, state="under_construction"),  # a3: not built
        building("b5", rect(190, 10, 60, 30), 1, height=12.0, state="dilapidated"),
        # c1: 1800 m², 12 m / 1 storey > 8 m → 3600; crosses the park boundary, not the parcel's
        building("b6", rect(110, 60, 20, 20), 1, storey=4.0),     # on reserve a4: not counted
    ]
    enterprises = [
        firm(F1, 100.0, 2000.0, pt(50, 45)),
        firm(F2, 50.0, 500.0),
        firm(F3, 10.0, 100.0),
        firm(F4, 40.0, 800.0),
        firm(F6, 20.0, 300.0, pt(30, 45)),   # tenant inside a1
        firm(F7, 500.0, 900.0),              # neither parcel nor point: not located
        firm(F8, 30.0, 0.0, pt(375, 75)),    # on the road c5 (park B): composite tax only
        firm(F1, 10_000.0, 1.0, pt(50, 45), year=2027),  # after as_of.year: ignored
        firm(F1, 1.0, 1.0, pt(50, 45), year=2024),       # an older year: ignored
        firm(F5, 999.0, 999.0, year=2024),               # F5 has no 2025 row: nothing
    ]
    supplies = [
        supply("S1", "a1", rect(0, 0, 100, 50), "2020-03-01", "2020-06-01", "2022-06-01",
               actual_start="2020-09-01", actual_completion="2021-12-01", invested=2000.0),
        supply("S2", "a2", rect(100, 0, 80, 50), "2019-05-01", "2019-08-01", "2021-08-01",
               actual_start="2019-09-01", actual_completion="2020-12-01", invested=5000.0,
               land_use="0901"),
        # started more than a year after the agreed start: was idle, since disposed; expired
        supply("S3", "a3", rect(0, 50, 100, 50), "2022-01-10", "2022-06-01", "2024-06-01",
               actual_start="2023-09-01", invested=1000.0),
        # no parcel_id: placed on c1 by its point; the only supply of the last three years
        supply("S4", None, rect(180, 0, 80, 50), "2024-05-01", "2024-08-01", "2026-08-01",
               actual_start="2024-08-15", actual_completion="2025-10-01", invested=600.0,
               land_use="110101"),
        # never started, enterprise cause: idle since 2024-06-01, take back; also expired
        supply("S5", "c2", rect(260, 0, 140, 50), "2023-01-15", "2023-06-01", "2025-06-01",
               cause="enterprise", land_use="100102"),
    ]
    return {"zones": frame("zones", zones), "parcels": frame("parcels", parcels),
            "buildings": frame("buildings", buildings),
            "enterprises": frame("enterprises", enterprises),
            "supplies": frame("supplies", supplies)}


def run(data=None, *, as_of=AS_OF, policy=None, **kw) -> gpd.GeoDataFrame:
    d = data or layers()
    return zone_indicators(d["zones"], d["parcels"], d["supplies"], d["buildings"],
                           d["enterprises"], as_of, policy, **kw)


def rows(result: gpd.GeoDataFrame) -> dict[str, pd.Series]:
    return {r["zone_id"]: r for _, r in result.iterrows()}


@pytest.fixture(scope="module")
def tiny() -> dict[str, pd.Series]:
    return rows(run())


# --------------------------------------------------------------------------------------------
# shape of the result
# --------------------------------------------------------------------------------------------
def test_one_row_per_zone_and_the_county_with_catalogue_columns():
    r = run()
    assert list(r["zone_id"]) == ["KFQ-T", "KFQ-A", "KFQ-B", "county"]
    assert list(r["name"]) == ["测试开发区", "测试开发区甲园", "测试开发区乙园", "全县"]
    assert list(r.columns) == [*FIELDS, "geometry"]
    for f in results["zone_indicators"].fields:
        assert str(r[f.name].dtype) == PANDAS_DTYPES[f.dtype], f.name
    assert r.crs == CRS
    assert r["parent_id"].tolist()[1:3] == ["KFQ-T", "KFQ-T"]
    assert r["parent_id"].iloc[[0, 3]].isna().all()
    county = r.geometry.iloc[3]
    assert county.geom_type == "MultiPolygon"
    assert county.area == pytest.approx(40_000.0)
    assert (r["year"] == 2025).all()   # latest enterprise year ≤ 2026; 2027 ignored


def test_land_indicators_by_hand(tiny):
    a, b = tiny["KFQ-A"], tiny["KFQ-B"]
    # park A: 2 ha; supplied a1 + a2 + a3 = 5000 + 4000 + 5000; ready + a4 (净地) = 19 000;
    # built a1 + a2 (a3 only under construction) = 9000; industrial built a1 = 5000
    assert (a["area_ha"], a["supplied_ha"], a["ready_ha"], a["built_ha"],
            a["industrial_built_ha"]) == pytest.approx((2.0, 1.4, 1.9, 0.9, 0.5))
    assert a["land_development_rate"] == pytest.approx(19_000 / 20_000)
    assert a["land_supply_rate"] == pytest.approx(14_000 / 19_000)
    assert a["built_rate"] == pytest.approx(9_000 / 14_000)
    assert a["industrial_land_rate"] == pytest.approx(5_000 / 9_000)
    # park B: supplied c1 + c2 = 4000 + 7000 (c3 is not 净地); built c1, a 1101 warehouse
    assert (b["area_ha"], b["supplied_ha"], b["ready_ha"], b["built_ha"],
            b["industrial_built_ha"]) == pytest.approx((2.0, 1.1, 1.1, 0.4, 0.4))
    assert b["land_development_rate"] == pytest.approx(0.55)
    assert b["land_supply_rate"] == pytest.approx(1.0)
    assert b["built_rate"] == pytest.approx(4_000 / 11_000)
    assert b["industrial_land_rate"] == pytest.approx(1.0)


def test_floor_area_footprint_and_tall_storeys_by_hand(tiny):
    a, b = tiny["KFQ-A"], tiny["KFQ-B"]
    # A: b1 1500 m² × 2 + b2 600 m² × 1 storey of 10 m counted twice + b3 1200 × 5
    assert a["composite_plot_ratio"] == pytest.approx((3000 + 1200 + 6000) / 9000)
    assert a["building_density"] == pytest.approx((1500 + 600 + 1200) / 9000)
    assert a["industrial_plot_ratio"] == pytest.approx(4200 / 5000)
    assert a["industrial_coverage"] == pytest.approx(2100 / 5000)
    # B: b5 dilapidated (still standing), 12 m in one storey → counted twice
    assert b["composite_plot_ratio"] == pytest.approx(3600 / 4000)
    assert b["building_density"] == pytest.approx(1800 / 4000)
    assert b["industrial_plot_ratio"] == pytest.approx(0.9)
    assert b["industrial_coverage"] == pytest.approx(0.45)


def test_economic_indicators_by_hand_in_wan_per_ha(tiny):
    a, b, c = tiny["KFQ-A"], tiny["KFQ-B"], tiny["county"]
    # investment: S1 2000 on a1 (0.5 ha); S2 is commercial, S3 on unbuilt a3; S4 600 on c1
    # (located by its point, no parcel_id) over 0.4 ha
    assert a["industrial_investment_intensity"] == pytest.approx(2000 / 0.5)
    assert b["industrial_investment_intensity"] == pytest.approx(600 / 0.4)
    assert c["industrial_investment_intensity"] == pytest.approx(2600 / 0.9)
    # tax on industrial land: owner F1 100 + tenant F6 20 on a1; F4 40 on c1
    assert a["industrial_tax_per_ha"] == pytest.approx(120 / 0.5)
    assert b["industrial_tax_per_ha"] == pytest.approx(40 / 0.4)
    assert c["industrial_tax_per_ha"] == pytest.approx(160 / 0.9)
    assert a["industrial_output_intensity"] == pytest.approx(2300 / 0.5)
    assert b["industrial_output_intensity"] == pytest.approx(800 / 0.4)
    # all firms located in the zone over built land: A = F1 + F2 + F3 + F6; B = F4 + F8 (road)
    assert a["composite_tax_per_ha"] == pytest.approx(180 / 0.9)
    assert b["composite_tax_per_ha"] == pytest.approx(70 / 0.4)
    assert c["composite_tax_per_ha"] == pytest.approx(250 / 1.3)


def test_idle_disposal_rate_by_hand(tiny):
    # S3 (a3, 0.5 ha in A) started 2023-09-01 ≥ agreed 2022-06-01 + 1 year: idle once, disposed;
    # S5 (c2, 0.7 ha in B) is idle now
    assert tiny["KFQ-A"]["idle_disposal_rate"] == pytest.approx(1.0)
    assert tiny["KFQ-B"]["idle_disposal_rate"] == pytest.approx(0.0)
    assert tiny["county"]["idle_disposal_rate"] == pytest.approx(5000 / 12_000)


def test_given_idle_ledger_is_used_and_zero_over_zero_is_na():
    d = layers()
    d["supplies"] = complete(d["supplies"], "supplies")
    computed = idle_ledger(d["supplies"], AS_OF)
    same = rows(run(d, idle=computed))
    assert same["KFQ-B"]["management_idle_ha"] == pytest.approx(0.7)
    # a ledger that lists nothing: B has no idle land, now or before → NA (not 0, not inf)
    r = rows(run(d, idle=computed.iloc[0:0]))
    assert pd.isna(r["KFQ-B"]["idle_disposal_rate"])
    assert r["KFQ-A"]["idle_disposal_rate"] == pytest.approx(1.0)
    # nothing to take back: S5's land is still an expired project, counted once
    assert r["KFQ-B"]["management_idle_ha"] == 0.0
    assert r["KFQ-B"]["management_expired_ha"] == pytest.approx(0.7)
    assert r["KFQ-B"]["management_ha"] == pytest.approx(0.7)


# --------------------------------------------------------------------------------------------
# attribution, parent zone, county
# --------------------------------------------------------------------------------------------
def test_parcel_on_the_park_boundary_counts_wholly_where_its_point_is(tiny):
    # c1 (4000 m²) is 800 m² in A and 3200 m² in B; its point (220, 25) is in B
    assert tiny["KFQ-A"]["supplied_ha"] == pytest.approx(1.4)       # not 1.48
    assert tiny["KFQ-B"]["supplied_ha"] == pytest.approx(1.1)       # not 1.02
    assert tiny["KFQ-T"]["supplied_ha"] == pytest.approx(2.5)       # once in the parent
    assert tiny["KFQ-B"]["industrial_built_ha"] == pytest.approx(0.4)


def test_parent_zone_contains_its_parks_and_equals_the_county(tiny):
    parent, county = tiny["KFQ-T"], tiny["county"]
    for name in FIELDS[3:]:
        assert parent[name] == pytest.approx(county[name], nan_ok=True), name


def test_county_row_is_sums_over_the_parks_not_an_average_of_rates(tiny):
    a, b, c = tiny["KFQ-A"], tiny["KFQ-B"], tiny["county"]
    for name in ("area_ha", "ready_ha", "supplied_ha", "built_ha", "industrial_built_ha",
                 "expansion_ha", "expansion_industrial_ha", "management_ha",
                 "management_idle_ha", "management_expired_ha", "supplied_per_year_ha",
                 "intensity_plot_ratio_ha", "intensity_coverage_ha"):
        assert c[name] == pytest.approx(a[name] + b[name]), name
    assert c["land_development_rate"] == pytest.approx(30_000 / 40_000)
    assert c["land_supply_rate"] == pytest.approx(25_000 / 30_000)
    assert c["built_rate"] == pytest.approx(13_000 / 25_000)
    assert c["industrial_land_rate"] == pytest.approx(9_000 / 13_000)
    assert c["composite_plot_ratio"] == pytest.approx(13_800 / 13_000)
    assert c["building_density"] == pytest.approx(5_100 / 13_000)
    assert c["industrial_plot_ratio"] == pytest.approx(7_800 / 9_000)
    assert c["industrial_coverage"] == pytest.approx(3_900 / 9_000)
    # the average of the parks' rates would be different
    assert c["land_supply_rate"] != pytest.approx(
        (a["land_supply_rate"] + b["land_supply_rate"]) / 2)
    # a rate recomputed from the rows' own areas
    weighted = (a["composite_plot_ratio"] * a["built_ha"] + b["composite_plot_ratio"]
                * b["built_ha"]) / (a["built_ha"] + b["built_ha"])
    assert c["composite_plot_ratio"] == pytest.approx(weighted)


def test_national_averages_beside_the_indicators(tiny):
    policy = Policy.load()
    for row in tiny.values():
        for name, param in NATIONAL.items():
            assert row[f"{name}_national"] == pytest.approx(policy[f"zone.{param}"])
    assert tiny["county"]["land_development_rate_national"] == pytest.approx(0.8966)
    assert tiny["county"]["industrial_tax_per_ha_national"] == pytest.approx(678.99)


# --------------------------------------------------------------------------------------------
# potentials
# --------------------------------------------------------------------------------------------
def test_expansion_potential_by_hand(tiny):
    # A: a4 (reserve, 净地); B: c3 (reserve, not 净地) + c4 (collective); c5 (road) never
    assert tiny["KFQ-A"]["expansion_ha"] == pytest.approx(0.5)
    assert tiny["KFQ-B"]["expansion_ha"] == pytest.approx(0.75)
    assert tiny["KFQ-A"]["expansion_industrial_ha"] == pytest.approx(0.5)
    assert tiny["KFQ-B"]["expansion_industrial_ha"] == pytest.approx(0.5)


def test_structure_potential_by_hand(tiny):
    ideal = Policy.load().zone.ideal_industrial_land_rate
    assert ideal == pytest.approx(0.6)
    # A: (0.6 − 5000/9000) × 0.9 ha; B above the ideal → 0
    assert tiny["KFQ-A"]["structure_ha"] == pytest.approx((ideal - 5 / 9) * 0.9)
    assert tiny["KFQ-B"]["structure_ha"] == 0.0
    # the county, from its own sums (9000/13000 > 0.6): 0, not A + B
    assert tiny["county"]["structure_ha"] == 0.0


def test_intensity_potentials_by_hand(tiny):
    z = Policy.load().zone
    a, b, c = tiny["KFQ-A"], tiny["KFQ-B"], tiny["county"]
    assert a["intensity_plot_ratio_ha"] == pytest.approx(0.5 * (1 - 0.84 / 1.2))
    assert b["intensity_plot_ratio_ha"] == pytest.approx(0.4 * (1 - 0.9 / 1.2))
    assert a["intensity_coverage_ha"] == pytest.approx(0.5 * (1 - 0.42 / 0.5))
    assert b["intensity_coverage_ha"] == pytest.approx(0.4 * (1 - 0.45 / 0.5))
    assert a["intensity_investment_ha"] == pytest.approx(
        0.5 * (1 - 4000 / z.ideal_investment_intensity))
    assert b["intensity_output_ha"] == pytest.approx(0.4 * (1 - 2000 / z.ideal_output_intensity))
    assert c["intensity_tax_ha"] == pytest.approx(0.9 * (1 - (160 / 0.9) / z.ideal_tax_per_ha))


def test_management_potential_by_hand(tiny):
    a, b = tiny["KFQ-A"], tiny["KFQ-B"]
    # A: S3 expired (agreed completion 2024-06-01, not completed); B: S5 to take back, also
    # expired, counted once
    assert (a["management_idle_ha"], a["management_expired_ha"], a["management_ha"]) == \
        pytest.approx((0.0, 0.5, 0.5))
    assert (b["management_idle_ha"], b["management_expired_ha"], b["management_ha"]) == \
        pytest.approx((0.7, 0.0, 0.7))


def test_years_of_supply_left_and_a_zero_supply_history(tiny):
    a, b, c = tiny["KFQ-A"], tiny["KFQ-B"], tiny["county"]
    # window (2023-06-30, 2026-06-30]: S4 only (0.4 ha, in B)
    assert b["supplied_per_year_ha"] == pytest.approx(0.4 / 3)
    assert b["years_of_supply_left"] == pytest.approx(0.75 / (0.4 / 3))
    assert c["years_of_supply_left"] == pytest.approx(1.25 / (0.4 / 3))
    # A supplied nothing in three years: NA, not infinity
    assert a["supplied_per_year_ha"] == 0.0
    assert pd.isna(a["years_of_supply_left"])
    assert not np.isinf(run().select_dtypes("number").to_numpy(dtype=float)).any()


def test_policy_override_of_an_ideal_value_changes_the_potential(tiny):
    policy = Policy.load(overrides={"zone": {"ideal_investment_intensity": 3000.0}})
    r = rows(run(policy=policy))
    # A (4000 万元/ha) is now above the ideal: 0; B: 0.4 × (1 − 1500/3000);
    # the county from its sums: 0.9 × (1 − (2600/0.9)/3000)
    assert r["KFQ-A"]["intensity_investment_ha"] == 0.0
    assert r["KFQ-B"]["intensity_investment_ha"] == pytest.approx(0.2)
    assert r["county"]["intensity_investment_ha"] == pytest.approx(0.9 - 2600 / 3000)
    assert tiny["KFQ-B"]["intensity_investment_ha"] != pytest.approx(0.2)
    # nothing else moves
    for zid in r:
        for name in FIELDS[3:]:
            if name != "intensity_investment_ha":
                assert r[zid][name] == pytest.approx(tiny[zid][name], nan_ok=True), name


def test_structure_ideal_override_and_a_bad_ideal_refused():
    policy = Policy.load(overrides={"zone": {"ideal_industrial_land_rate": 0.8}})
    r = rows(run(policy=policy))
    assert r["KFQ-A"]["structure_ha"] == pytest.approx((0.8 - 5 / 9) * 0.9)
    assert r["county"]["structure_ha"] == pytest.approx((0.8 - 9 / 13) * 1.3)
    with pytest.raises(ValidationError, match="ideal_tax_per_ha"):
        run(policy=Policy.load(overrides={"zone": {"ideal_tax_per_ha": 0}}))
    with pytest.raises(ValidationError, match="supply_window_years"):
        run(policy=Policy.load(overrides={"zone": {"supply_window_years": 0}}))


# --------------------------------------------------------------------------------------------
# as_of, approvals, missing data
# --------------------------------------------------------------------------------------------
def test_a_parcel_supplied_after_as_of_is_ready_but_not_yet_supplied():
    # on 2024-03-01 c1's only contract (S4, 2024-05-01) is not signed yet
    b = rows(run(as_of=date(2024, 3, 1)))["KFQ-B"]
    assert b["supplied_ha"] == pytest.approx(0.7)
    assert b["ready_ha"] == pytest.approx(1.1)
    assert b["expansion_ha"] == pytest.approx(0.4 + 0.5 + 0.25)
    assert b["built_ha"] == 0.0
    assert pd.isna(b["industrial_land_rate"])       # 0 / 0
    assert b["structure_ha"] == 0.0


def test_approvals_gate_the_reserve_land_ready_for_supply():
    batch = {"approval_id": "PC1", "kind": "batch", "geometry": rect(100, 50, 100, 50)}
    early = frame("approvals", [{**batch, "approved_on": pd.Timestamp("2020-01-01")}])
    late = frame("approvals", [{**batch, "approved_on": pd.Timestamp("2027-01-01")}])
    assert rows(run(approvals=early))["KFQ-A"]["ready_ha"] == pytest.approx(1.9)
    assert rows(run(approvals=late))["KFQ-A"]["ready_ha"] == pytest.approx(1.4)


def test_missing_enterprises_and_buildings_give_na_not_errors():
    d = layers()
    d["enterprises"] = frame("enterprises", [])
    d["buildings"] = frame("buildings", [])
    r = rows(run(d))
    a = r["KFQ-A"]
    assert pd.isna(a["year"])
    assert a["built_ha"] == 0.0 and a["supplied_ha"] == pytest.approx(1.4)
    assert pd.isna(a["composite_plot_ratio"]) and pd.isna(a["industrial_tax_per_ha"])
    assert a["intensity_tax_ha"] == 0.0


def test_other_layers_are_reprojected_to_the_zones_crs(tiny):
    d = layers()
    for name in ("parcels", "supplies", "buildings", "enterprises"):
        d[name] = d[name].to_crs(4490)
    r = rows(run(d))
    for zid, row in tiny.items():
        for name in ("supplied_ha", "built_ha", "composite_plot_ratio", "composite_tax_per_ha",
                     "industrial_investment_intensity", "years_of_supply_left"):
            assert r[zid][name] == pytest.approx(row[name], rel=1e-6, nan_ok=True), name


def test_zones_in_no_projected_crs_are_refused():
    d = layers()
    with pytest.raises(ValidationError):
        zone_indicators(d["zones"].to_crs(4490), d["parcels"], d["supplies"], d["buildings"],
                        d["enterprises"], AS_OF)


# --------------------------------------------------------------------------------------------
# the demo county
# --------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def demo_table() -> gpd.GeoDataFrame:
    d = build_demo()
    return zone_indicators(d["zones"], d["parcels"], d["supplies"], d["buildings"],
                           d["enterprises"], DEMO_AS_OF, approvals=d["approvals"])


def test_demo_values_are_plausible(demo_table):
    t = demo_table
    assert list(t["zone_id"]) == ["KFQ", "KFQ-DY", "KFQ-XY", "KFQ-NY", "county"]
    for name in ("land_development_rate", "land_supply_rate", "built_rate",
                 "industrial_land_rate", "building_density", "industrial_coverage",
                 "idle_disposal_rate"):
        assert t[name].between(0, 1).all(), name
    assert t["composite_plot_ratio"].between(0.3, 2.0).all()
    assert t["industrial_plot_ratio"].between(0.3, 2.5).all()
    assert t["building_density"].between(0.15, 0.7).all()
    for name in ("industrial_investment_intensity", "industrial_output_intensity",
                 "industrial_tax_per_ha", "composite_tax_per_ha"):
        assert (t[name] > 0).all() and (t[name] < 50_000).all(), name
    potentials = [f for f in FIELDS if f.endswith("_ha")]
    assert (t[potentials] >= 0).all().all()
    assert t["years_of_supply_left"].between(1, 100).all()
    assert (t["year"] == 2025).all()
    assert (t["ready_ha"] <= t["area_ha"] + 1e-9).all()
    assert (t["supplied_ha"] <= t["ready_ha"] + 1e-9).all()
    assert (t["built_ha"] <= t["supplied_ha"] + 1e-9).all()


def test_demo_county_is_consistent_with_its_parks(demo_table):
    t = demo_table.set_index("zone_id")
    parks = t.loc[["KFQ-DY", "KFQ-XY", "KFQ-NY"]]
    county, parent = t.loc["county"], t.loc["KFQ"]
    for name in ("area_ha", "ready_ha", "supplied_ha", "built_ha", "industrial_built_ha",
                 "expansion_ha", "management_ha", "supplied_per_year_ha"):
        assert county[name] == pytest.approx(parks[name].sum(), rel=1e-9), name
        assert parent[name] == pytest.approx(county[name], rel=1e-9), name
    assert county["land_supply_rate"] == pytest.approx(
        parks["supplied_ha"].sum() / parks["ready_ha"].sum())
    assert county["composite_plot_ratio"] == pytest.approx(
        (parks["composite_plot_ratio"] * parks["built_ha"]).sum() / parks["built_ha"].sum())
    assert county["industrial_tax_per_ha"] == pytest.approx(
        (parks["industrial_tax_per_ha"] * parks["industrial_built_ha"]).sum()
        / parks["industrial_built_ha"].sum())
    assert county["years_of_supply_left"] == pytest.approx(
        county["expansion_ha"] / county["supplied_per_year_ha"])
    assert demo_table.geometry.iloc[-1].area == pytest.approx(county["area_ha"] * 10_000)
