"""Low-efficiency land 低效 (issue 3): hand-computed cases for every rule, the edges, and the
demo county.

Geometry: axis-aligned boxes in EPSG:4528 near (40 520 000, 3 353 000), so areas are exact:
a 100 × 100 m parcel is 10 000 m² = 15 亩.
"""

from __future__ import annotations

from datetime import date

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from gis.cleanup.lowefficiency import REASONS, low_efficiency
from gis.codes import credit_code_check_char
from gis.errors import ValidationError
from gis.policy import Policy
from gis.schema import PANDAS_DTYPES
from layers import results
from layers.demo import DEMO_AS_OF, build_demo
from tests.helpers import CRS, frame, rect

AS_OF = date(2026, 9, 30)
FIELDS = [f.name for f in results["low_efficiency"].fields]


def code(n: int) -> str:
    """A valid 统一社会信用代码 numbered n."""
    first = f"91330599MA{n:07d}"
    return first + credit_code_check_char(first)


OWNER, OWNER2, TENANT, NOBODY = code(1), code(2), code(3), code(9)




def parcel(pid: str, x: float, y: float, w: float = 100, h: float = 100, *,
           land_use: str = "100101", owner: str | None = OWNER, status: str = "supplied",
           **extra) -> dict:
    return {"parcel_id": pid, "land_use": land_use, "owner_credit_code": owner,
            "status": status, "zone_id": "KFQ-T", "town": "测试镇", "owner_name": "测试公司",
            **extra, "geometry": rect(x, y, w, h)}


def building(bid: str, geom, floors: int = 1, *, height: float | None = None,
             storey: float | None = 4.0, state: str = "built") -> dict:
    return {"building_id": bid, "floors": floors, "height_m": height, "storey_height_m": storey,
            "state": state, "geometry": geom}


def firm(credit: str, tax: float, industry: str = "3411", year: int = 2025) -> dict:
    return {"credit_code": credit, "year": year, "name": f"企业{credit[-4:]}",
            "industry_code": industry, "above_scale": True, "tax_wan": tax,
            "revenue_wan": tax * 20}




def run(parcels, buildings=(), enterprises=(), tenancies=(), zoning=(), *, as_of=AS_OF,
        policy=None, permu=None) -> gpd.GeoDataFrame:
    return low_efficiency(frame("parcels", list(parcels)), frame("buildings", list(buildings)),
                          frame("enterprises", list(enterprises)),
                          frame("tenancies", list(tenancies)), frame("zoning", list(zoning)),
                          as_of, policy, permu=permu)


def row(result: gpd.GeoDataFrame, pid: str) -> pd.Series:
    hit = result[result["parcel_id"] == pid]
    assert len(hit) == 1, f"{pid} not listed once: {list(result['parcel_id'])}"
    return hit.iloc[0]


def reasons(result: gpd.GeoDataFrame, pid: str) -> list[str]:
    return row(result, pid)["reasons"].split(";")


# --------------------------------------------------------------------------------------------
# plot ratio, storeys, coverage
# --------------------------------------------------------------------------------------------
def test_basic_parcel_by_hand():
    # 100×100 = 15 亩; a 50×40 two-storey building: floor 4000 m², plot ratio 0.4, coverage 0.2
    # industry 3411 → division 34 → minimum 0.7; tax 150 万元 / 15 亩 = 10 万元/亩
    r = run([parcel("P1", 0, 0)], [building("B1", rect(10, 10, 50, 40), floors=2)],
            [firm(OWNER, 150.0, "3411")])
    p = row(r, "P1")
    assert p["area_mu"] == pytest.approx(15.0)
    assert p["floor_area_m2"] == pytest.approx(4000.0)
    assert p["plot_ratio"] == pytest.approx(0.4)
    assert p["building_coverage"] == pytest.approx(0.2)
    assert p["plot_ratio_min"] == pytest.approx(0.7)
    assert p["industry_code"] == "3411"
    assert p["tax_per_mu"] == pytest.approx(10.0)
    assert p["reasons"] == "plot_ratio_below_min;coverage_below_min"
    # potentials: 0.7 × 10 000 − 4000 = 3000 m²; (15 − 10) × 15 亩 = 75 万元
    assert p["potential_floor_m2"] == pytest.approx(3000.0)
    assert p["potential_tax_wan"] == pytest.approx(75.0)
    assert (p["owner_credit_code"], p["zone_id"], p["town"], p["land_use"]) == \
        (OWNER, "KFQ-T", "测试镇", "100101")
    assert pd.isna(p["permu_class"])


def test_output_columns_dtypes_and_geometry():
    r = run([parcel("P1", 0, 0)], [building("B1", rect(10, 10, 50, 40))], [firm(OWNER, 150.0)])
    assert list(r.columns) == [*FIELDS, "geometry"]
    for f in results["low_efficiency"].fields:
        assert str(r[f.name].dtype) == PANDAS_DTYPES[f.dtype], f.name
    assert r.crs == CRS
    assert r.geometry.iloc[0].equals(shapely.MultiPolygon([rect(0, 0, 100, 100)]))


def test_storey_over_8_m_counts_twice():
    parcels = [parcel(f"P{k}", 200 * k, 0) for k in range(4)]
    blds = [
        # 10 m high, one storey, no storey height given: 10 / 1 > 8 → counted twice
        building("B0", rect(10, 10, 50, 40), 1, height=10.0, storey=None),
        # storey height exactly 8 m is not "over 8 m"
        building("B1", rect(210, 10, 50, 40), 1, height=9.0, storey=8.0),
        # the given storey height wins over height / floors (2 × 12 / 2 = 12 would double)
        building("B2", rect(410, 10, 50, 40), 2, height=24.0, storey=6.0),
        # two storeys of 9 m: 4 counted floors
        building("B3", rect(610, 10, 50, 40), 2, height=18.0, storey=None),
    ]
    r = run(parcels, blds, [firm(OWNER, 600.0)])
    assert row(r, "P0")["floor_area_m2"] == pytest.approx(4000.0)
    assert row(r, "P1")["floor_area_m2"] == pytest.approx(2000.0)
    assert row(r, "P2")["floor_area_m2"] == pytest.approx(4000.0)
    assert row(r, "P3")["floor_area_m2"] == pytest.approx(8000.0)
    assert row(r, "P0")["plot_ratio"] == pytest.approx(0.4)


def test_no_height_information_counts_floors_once():
    r = run([parcel("P1", 0, 0)], [building("B1", rect(10, 10, 50, 40), 3, storey=None)],
            [firm(OWNER, 150.0)])
    assert row(r, "P1")["floor_area_m2"] == pytest.approx(6000.0)


def test_building_half_outside_counts_only_inside():
    # a 40×50 three-storey building, 20 m of its 40 m width outside the parcel
    blds = [building("B1", rect(80, 10, 40, 50), 3)]
    r = run([parcel("P1", 0, 0)], blds, [firm(OWNER, 150.0)])
    p = row(r, "P1")
    assert p["floor_area_m2"] == pytest.approx(20 * 50 * 3)
    assert p["building_coverage"] == pytest.approx(1000 / 10_000)
    # the neighbour (another owner's parcel) gets the other half
    r2 = run([parcel("P1", 0, 0), parcel("P2", 100, 0, owner=OWNER2)], blds,
             [firm(OWNER, 150.0), firm(OWNER2, 150.0)])
    assert row(r2, "P2")["floor_area_m2"] == pytest.approx(3000.0)
    assert row(r2, "P1")["floor_area_m2"] == pytest.approx(3000.0)


def test_overlapping_footprints_counted_once_in_coverage():
    # two 50×40 one-storey footprints overlapping on 20×40, and a 10×10 inside the first:
    # union = 2000 + 2000 − 800 = 3200 m² → coverage 0.32; floor area sums every footprint
    blds = [building("B1", rect(0, 0, 50, 40)), building("B2", rect(30, 0, 50, 40)),
            building("B3", rect(5, 5, 10, 10))]
    r = run([parcel("P1", 0, 0)], blds, [firm(OWNER, 150.0)])
    p = row(r, "P1")
    assert p["building_coverage"] == pytest.approx(0.32)
    assert p["floor_area_m2"] == pytest.approx(4100.0)
    assert "coverage_below_min" not in p["reasons"]


def test_touching_footprints_are_summed():
    blds = [building("B1", rect(0, 0, 50, 40)), building("B2", rect(50, 0, 50, 40))]
    r = run([parcel("P1", 0, 0)], blds, [firm(OWNER, 150.0)])
    assert row(r, "P1")["building_coverage"] == pytest.approx(0.4)


def test_under_construction_buildings_count():
    blds = [building("B1", rect(0, 0, 50, 40), 2, state="under_construction")]
    r = run([parcel("P1", 0, 0)], blds, [firm(OWNER, 150.0)])
    assert row(r, "P1")["floor_area_m2"] == pytest.approx(4000.0)
    assert row(r, "P1")["building_coverage"] == pytest.approx(0.2)


# --------------------------------------------------------------------------------------------
# minimum plot ratio: industry, zoning, unknown
# --------------------------------------------------------------------------------------------
def test_industry_minimum_by_division_and_zoning():
    owners = [code(10 + k) for k in range(8)]
    parcels = [parcel(f"P{k}", 200 * k, 0, owner=o) for k, o in enumerate(owners)]
    firms = [
        firm(owners[0], 150.0, "2614"),  # 26 chemicals → 0.6
        firm(owners[1], 150.0, "2911"),  # 291 rubber → 0.8
        firm(owners[2], 150.0, "2921"),  # 292 plastics → 1.0
        firm(owners[3], 150.0, "C2921"),  # section letter dropped → 292 → 1.0
        firm(owners[4], 150.0, "5810"),  # 58 not in the table → default 0.8
        # owners[5]: no enterprise row → industry unknown → default 0.8
        firm(owners[6], 150.0, "2614"),  # 0.6, but zoning asks 1.2 → 1.2
        firm(owners[7], 150.0, "2921"),  # 1.0, zoning asks only 0.5 → 1.0
    ]
    zoning = [
        {"zoning_id": "Z6", "planned_use": "100102", "plot_ratio_min": 1.2,
         "geometry": rect(1150, -50, 200, 200)},
        {"zoning_id": "Z7", "planned_use": "100101", "plot_ratio_min": 0.5,
         "geometry": rect(1350, -50, 200, 200)},
    ]
    r = run(parcels, [], firms, zoning=zoning)  # no buildings: every parcel is below its minimum
    expected = [0.6, 0.8, 1.0, 1.0, 0.8, 0.8, 1.2, 1.0]
    for k, value in enumerate(expected):
        p = row(r, f"P{k}")
        assert p["plot_ratio_min"] == pytest.approx(value), (k, p["industry_code"])
        assert p["potential_floor_m2"] == pytest.approx(value * 10_000)
        assert p["plot_ratio"] == 0.0
        assert "plot_ratio_below_min" in p["reasons"]
    assert pd.isna(row(r, "P5")["industry_code"])
    assert row(r, "P3")["industry_code"] == "C2921"


def test_plot_ratio_at_the_minimum_is_not_below():
    # 26 → 0.6; a 100×60 one-storey building = 6000 m² on 10 000 m²: exactly 0.6
    r = run([parcel("P1", 0, 0)], [building("B1", rect(0, 0, 100, 60))],
            [firm(OWNER, 30.0, "2614")])
    p = row(r, "P1")  # listed for its tax (2 万元/亩), not for its plot ratio
    assert p["plot_ratio"] == pytest.approx(0.6)
    assert p["reasons"] == "tax_per_mu_below_min"
    assert p["potential_floor_m2"] == pytest.approx(0.0, abs=1e-6)


# --------------------------------------------------------------------------------------------
# tax per mu
# --------------------------------------------------------------------------------------------
def test_tax_owner_split_by_area_and_tenant_split_by_rented_area():
    # OWNER: A 100×100 (15 亩) and B 100×200 (30 亩), tax 90 → A 30, B 60 (2 万元/亩 each).
    # TENANT rents 500 m² of floor on A and 1500 m² of land on C (OWNER2, 15 亩); tax 40 →
    # A 10, C 30. OWNER2 pays 45 on C.
    parcels = [parcel("A", 0, 0), parcel("B", 200, 0, 100, 200),
               parcel("C", 400, 0, owner=OWNER2)]
    tenancies = [{"credit_code": TENANT, "parcel_id": "A", "rented_floor_m2": 500.0},
                 {"credit_code": TENANT, "parcel_id": "C", "rented_land_m2": 1500.0}]
    firms = [firm(OWNER, 90.0), firm(OWNER2, 45.0), firm(TENANT, 40.0)]
    r = run(parcels, [], firms, tenancies)
    assert row(r, "A")["tax_per_mu"] == pytest.approx((30 + 10) / 15)
    assert row(r, "B")["tax_per_mu"] == pytest.approx(60 / 30)
    assert row(r, "C")["tax_per_mu"] == pytest.approx((45 + 30) / 15)
    # C pays exactly 5 万元/亩: not below
    assert "tax_per_mu_below_min" in reasons(r, "A")
    assert "tax_per_mu_below_min" not in reasons(r, "C")
    assert row(r, "A")["potential_tax_wan"] == pytest.approx((15 - 40 / 15) * 15)
    assert row(r, "C")["potential_tax_wan"] == pytest.approx(10 * 15)


def test_tenant_on_a_parcel_not_evaluated_keeps_its_share_there():
    # TENANT rents 1000 m² land on A and 1000 m² on a commercial parcel: half its tax on A
    parcels = [parcel("A", 0, 0), parcel("S", 200, 0, land_use="0901", owner=OWNER2)]
    tenancies = [{"credit_code": TENANT, "parcel_id": "A", "rented_land_m2": 1000.0},
                 {"credit_code": TENANT, "parcel_id": "S", "rented_land_m2": 1000.0}]
    r = run(parcels, [], [firm(OWNER, 30.0), firm(TENANT, 30.0)], tenancies)
    assert row(r, "A")["tax_per_mu"] == pytest.approx((30 + 15) / 15)
    assert "S" not in set(r["parcel_id"])


def test_owner_renting_its_own_parcel_is_not_counted_twice():
    tenancies = [{"credit_code": OWNER, "parcel_id": "A", "rented_floor_m2": 500.0}]
    r = run([parcel("A", 0, 0)], [], [firm(OWNER, 30.0)], tenancies)
    assert row(r, "A")["tax_per_mu"] == pytest.approx(2.0)


@pytest.mark.parametrize(("tax", "below"), [(75.0, False), (74.9, True), (75.1, False)])
def test_five_wan_per_mu_boundary(tax, below):
    # 15 亩: 75 万元 is exactly 5 万元/亩, which is not below 5
    r = run([parcel("P1", 0, 0)], [building("B1", rect(0, 0, 100, 50), 2)],
            [firm(OWNER, tax)])
    if below:
        assert row(r, "P1")["reasons"] == "tax_per_mu_below_min"
    else:
        assert len(r) == 0  # plot ratio 1.0 ≥ 0.7, coverage 0.5 ≥ 0.3: nothing else wrong


def test_missing_enterprise_data_gives_na_and_no_tax_reason():
    parcels = [parcel("P1", 0, 0, owner=NOBODY), parcel("P2", 200, 0)]
    tenancies = [{"credit_code": NOBODY, "parcel_id": "P2", "rented_floor_m2": 300.0}]
    r = run(parcels, [], [firm(OWNER, 1.0)], tenancies)
    for pid in ("P1", "P2"):  # P1: owner unknown; P2: a tenant unknown
        p = row(r, pid)
        assert pd.isna(p["tax_per_mu"])
        assert pd.isna(p["potential_tax_wan"])
        assert p["reasons"] == "plot_ratio_below_min;coverage_below_min"
    assert pd.isna(row(r, "P1")["industry_code"])
    assert row(r, "P1")["plot_ratio_min"] == pytest.approx(0.8)


def test_evaluation_year_is_the_latest_not_after_as_of():
    # rows of 2024, 2025 and 2027; as_of 2026 → 2025 (OWNER2 has only 2024: unknown)
    firms = [firm(OWNER, 15.0, "2614", 2024), firm(OWNER, 30.0, "2921", 2025),
             firm(OWNER, 300.0, "2614", 2027), firm(OWNER2, 300.0, "2614", 2024)]
    r = run([parcel("A", 0, 0), parcel("B", 200, 0, owner=OWNER2)], [], firms)
    assert row(r, "A")["tax_per_mu"] == pytest.approx(2.0)
    assert row(r, "A")["industry_code"] == "2921"
    assert row(r, "A")["plot_ratio_min"] == pytest.approx(1.0)
    assert pd.isna(row(r, "B")["tax_per_mu"])
    # the as_of may be given as a Timestamp or an ISO string
    again = run([parcel("A", 0, 0)], [], firms, as_of="2027-01-01")
    assert row(again, "A")["tax_per_mu"] == pytest.approx(20.0)
    assert row(again, "A")["industry_code"] == "2614"
    ts = run([parcel("A", 0, 0)], [], firms, as_of=pd.Timestamp("2025-06-30"))
    assert row(ts, "A")["tax_per_mu"] == pytest.approx(2.0)


# --------------------------------------------------------------------------------------------
# dilapidated, nonconforming, permu, who is evaluated
# --------------------------------------------------------------------------------------------
def test_dilapidated_at_exactly_half():
    parcels = [parcel("P1", 0, 0), parcel("P2", 200, 0), parcel("P3", 400, 0)]
    blds = [
        # P1: 2000 of 4000 m² footprint dilapidated — exactly 50%
        building("B1", rect(0, 0, 50, 40), 3, state="dilapidated"),
        building("B2", rect(50, 0, 50, 40), 3),
        # P2: 2000 of 4025 — just under half
        building("B3", rect(200, 0, 50, 40), 3, state="dilapidated"),
        building("B4", rect(250, 0, 50, 40.5), 3),
        # P3: all built
        building("B5", rect(400, 0, 100, 40), 3),
    ]
    r = run(parcels, blds, [firm(OWNER, 2000.0)])
    assert row(r, "P1")["reasons"] == "dilapidated"
    assert set(r["parcel_id"]) == {"P1"}  # P2 and P3: plot ratio 1.2, coverage 0.4, tax fine


def test_dilapidated_needs_a_footprint():
    r = run([parcel("P1", 0, 0)], [], [firm(OWNER, 2000.0)])
    assert "dilapidated" not in reasons(r, "P1")


def test_nonconforming_use_and_foreign_zoning_minimum_not_applied():
    zoning = [
        {"zoning_id": "R1", "planned_use": "070102", "plot_ratio_min": 1.8,
         "geometry": rect(-50, -50, 200, 200)},
        {"zoning_id": "M2", "planned_use": "100102", "plot_ratio_min": None,
         "geometry": rect(150, -50, 200, 200)},
    ]
    blds = [building("B1", rect(0, 0, 100, 50), 2), building("B2", rect(200, 0, 100, 50), 2)]
    r = run([parcel("P1", 0, 0), parcel("P2", 200, 0)], blds, [firm(OWNER, 2000.0)],
            zoning=zoning)
    p = row(r, "P1")
    assert p["reasons"] == "nonconforming_use"
    # a residential block's 1.8 is not a factory's minimum: the industry's 0.7 stays
    assert p["plot_ratio_min"] == pytest.approx(0.7)
    assert "P2" not in set(r["parcel_id"])  # 1001 on 1001: conforming, nothing else wrong


def test_logistics_on_industrial_zoning_is_another_class():
    zoning = [{"zoning_id": "M1", "planned_use": "100101", "geometry": rect(-50, -50, 200, 200)}]
    blds = [building("B1", rect(0, 0, 100, 50), 2)]
    r = run([parcel("P1", 0, 0, land_use="110101")], blds, [firm(OWNER, 2000.0)], zoning=zoning)
    assert row(r, "P1")["reasons"] == "nonconforming_use"


def test_the_smallest_zoning_polygon_decides():
    zoning = [
        {"zoning_id": "BIG", "planned_use": "070102", "plot_ratio_min": 1.8,
         "geometry": rect(-500, -500, 2000, 2000)},
        {"zoning_id": "SMALL", "planned_use": "100101", "plot_ratio_min": 1.1,
         "geometry": rect(-10, -10, 120, 120)},
    ]
    r = run([parcel("P1", 0, 0)], [], [firm(OWNER, 2000.0)], zoning=zoning)
    p = row(r, "P1")
    assert "nonconforming_use" not in p["reasons"]
    assert p["plot_ratio_min"] == pytest.approx(1.1)


@pytest.mark.parametrize("kind", ["residential", "commercial", "reserve", "collective",
                                  "no_owner", "blank_owner"])
def test_only_supplied_industrial_and_logistics_parcels_with_an_owner(kind):
    p = {
        "residential": parcel("X", 0, 0, land_use="070102"),
        "commercial": parcel("X", 0, 0, land_use="0901"),
        "reserve": parcel("X", 0, 0, status="reserve"),
        "collective": parcel("X", 0, 0, status="collective"),
        "no_owner": parcel("X", 0, 0, owner=None),
        "blank_owner": parcel("X", 0, 0, owner="  "),
    }[kind]
    # would fail the plot ratio, coverage and tax tests if it were evaluated
    r = run([p], [], [firm(OWNER, 0.0)])
    assert len(r) == 0
    assert list(r.columns) == [*FIELDS, "geometry"]


def test_mining_1002_is_not_evaluated_but_1001_and_1101_are():
    parcels = [parcel("M", 0, 0, land_use="1002"), parcel("I", 200, 0, land_use="100103"),
               parcel("L", 400, 0, land_use="1101")]
    r = run(parcels, [], [firm(OWNER, 0.0)])
    assert set(r["parcel_id"]) == {"I", "L"}


def test_permu_class_d():
    blds = [building("B1", rect(0, 0, 100, 50), 2), building("B2", rect(200, 0, 100, 50), 2)]
    parcels = [parcel("P1", 0, 0), parcel("P2", 200, 0, owner=OWNER2)]
    firms = [firm(OWNER, 2000.0), firm(OWNER2, 2000.0)]
    assert len(run(parcels, blds, firms)) == 0
    permu = pd.DataFrame({"credit_code": [OWNER, OWNER2], "class": ["D", "B"]})
    r = run(parcels, blds, firms, permu=permu)
    assert list(r["parcel_id"]) == ["P1"]
    assert row(r, "P1")["reasons"] == "permu_class_D"
    assert row(r, "P1")["permu_class"] == "D"
    # the class is shown for any listed owner, a reason only for D
    r2 = run(parcels, [], firms, permu=permu)
    assert row(r2, "P2")["permu_class"] == "B"
    assert "permu_class_D" not in reasons(r2, "P2")


def test_permu_with_years_takes_the_latest_not_after_as_of():
    blds = [building("B1", rect(0, 0, 100, 50), 2)]
    permu = pd.DataFrame({"credit_code": [OWNER, OWNER, OWNER], "year": [2024, 2025, 2027],
                          "class": ["C", "D", "A"]})
    r = run([parcel("P1", 0, 0)], blds, [firm(OWNER, 2000.0)], permu=permu)
    assert row(r, "P1")["reasons"] == "permu_class_D"


def test_permu_frame_problems_are_refused():
    with pytest.raises(ValidationError, match="class"):
        run([parcel("P1", 0, 0)], permu=pd.DataFrame({"credit_code": [OWNER]}))
    with pytest.raises(ValidationError, match="twice"):
        run([parcel("P1", 0, 0)],
            permu=pd.DataFrame({"credit_code": [OWNER, OWNER], "class": ["D", "A"]}))


def test_policy_override_changes_the_result():
    # coverage 0.35: fine against the default 0.30, low against a county's 0.40
    blds = [building("B1", rect(0, 0, 100, 35), 3)]
    parcels, firms = [parcel("P1", 0, 0)], [firm(OWNER, 2000.0)]
    assert len(run(parcels, blds, firms)) == 0
    policy = Policy.load(overrides={"low_efficiency": {"coverage_min": 0.4}})
    r = run(parcels, blds, firms, policy=policy)
    assert row(r, "P1")["reasons"] == "coverage_below_min"
    assert row(r, "P1")["building_coverage"] == pytest.approx(0.35)


def test_policy_override_of_the_industry_table_and_benchmark():
    policy = Policy.load(overrides={"low_efficiency": {
        "plot_ratio_min_by_division": {"34": 1.5}, "tax_per_mu_benchmark": 20.0}})
    r = run([parcel("P1", 0, 0)], [building("B1", rect(0, 0, 100, 50), 2)],
            [firm(OWNER, 150.0, "3411")], policy=policy)
    p = row(r, "P1")
    assert p["plot_ratio_min"] == pytest.approx(1.5)
    assert p["reasons"] == "plot_ratio_below_min"
    assert p["potential_floor_m2"] == pytest.approx(5000.0)
    assert p["potential_tax_wan"] == pytest.approx((20 - 10) * 15)


# --------------------------------------------------------------------------------------------
# order, empties, purity, CRS
# --------------------------------------------------------------------------------------------
def test_sorted_by_number_of_reasons_then_potential_tax():
    owners = [code(20 + k) for k in range(4)]
    parcels = [parcel(f"P{k}", 200 * k, 0, owner=o) for k, o in enumerate(owners)]
    blds = [building("B0", rect(0, 0, 100, 50), 2),     # P0: only tax
            building("B1", rect(200, 0, 100, 50), 2),   # P1: only tax, lower tax
            building("B2", rect(400, 0, 100, 20), 1)]   # P2: plot ratio + coverage + tax
    firms = [firm(owners[0], 60.0), firm(owners[1], 30.0), firm(owners[2], 60.0)]
    # P3: plot ratio + coverage, tax unknown (NA potential)
    r = run(parcels, blds, firms)
    assert list(r["parcel_id"]) == ["P2", "P3", "P1", "P0"]
    assert list(r["reasons"].str.count(";") + 1) == [3, 2, 1, 1]


def test_empty_inputs():
    r = run([], [], [], [], [])
    assert len(r) == 0 and list(r.columns) == [*FIELDS, "geometry"]
    # parcels only: no buildings, no enterprises, no tenancies, no zoning
    r = run([parcel("P1", 0, 0)])
    p = row(r, "P1")
    assert p["reasons"] == "plot_ratio_below_min;coverage_below_min"
    assert pd.isna(p["tax_per_mu"]) and p["floor_area_m2"] == 0.0


def test_inputs_are_left_untouched():
    parcels = frame("parcels", [parcel("P1", 0, 0)])
    blds = frame("buildings", [building("B1", rect(80, 10, 40, 50), 3)])
    before_p, before_b = parcels.copy(), blds.copy()
    low_efficiency(parcels, blds, frame("enterprises", [firm(OWNER, 1.0)]),
                   frame("tenancies", []), frame("zoning", []), AS_OF)
    pd.testing.assert_frame_equal(parcels, before_p)
    pd.testing.assert_frame_equal(blds, before_b)
    assert not shapely.is_prepared(np.asarray(parcels.geometry.values)).any()


def test_buildings_in_another_crs_are_placed_in_the_parcels_crs():
    blds = frame("buildings", [building("B1", rect(10, 10, 50, 40), 2)]).to_crs(4490)
    r = low_efficiency(frame("parcels", [parcel("P1", 0, 0)]), blds,
                       frame("enterprises", [firm(OWNER, 150.0)]), frame("tenancies", []),
                       frame("zoning", []), AS_OF)
    assert row(r, "P1")["floor_area_m2"] == pytest.approx(4000.0, rel=1e-6)


def test_areas_in_degrees_are_refused():
    parcels = frame("parcels", [parcel("P1", 0, 0)]).to_crs(4490)
    with pytest.raises(ValidationError):
        low_efficiency(parcels, frame("buildings", []), frame("enterprises", []),
                       frame("tenancies", []), frame("zoning", []), AS_OF)


# --------------------------------------------------------------------------------------------
# the demo county
# --------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def demo() -> dict[str, pd.DataFrame]:
    return build_demo()


def _demo_run(demo, permu=None):
    return low_efficiency(demo["parcels"], demo["buildings"], demo["enterprises"],
                          demo["tenancies"], demo["zoning"], DEMO_AS_OF, permu=permu)


def test_demo_every_reason_occurs(demo):
    r = _demo_run(demo)
    found = set(r["reasons"].str.split(";").explode())
    assert found == set(REASONS) - {"permu_class_D"}
    assert list(r.columns) == [*FIELDS, "geometry"]
    assert r["parcel_id"].is_unique
    assert (r["potential_floor_m2"] >= 0).all()
    assert (r["potential_tax_wan"].dropna() >= 0).all()
    assert r["building_coverage"].between(0, 1).all()
    # zombies built thin are on the list for all three physical/economic tests
    assert r["reasons"].str.startswith(
        "plot_ratio_below_min;coverage_below_min;tax_per_mu_below_min").any()
    # and the list is a ledger, not the whole zone
    parcels = demo["parcels"]
    evaluated = (parcels["status"] == "supplied") & parcels["owner_credit_code"].notna() & \
        parcels["land_use"].str[:4].isin(["1001", "1101"])
    assert 0 < len(r) < evaluated.sum()


def test_demo_permu_class_d(demo):
    base = _demo_run(demo)
    parcels = demo["parcels"]
    owner = base["owner_credit_code"].iloc[-1]
    permu = pd.DataFrame({"credit_code": [owner], "class": ["D"]})
    r = _demo_run(demo, permu)
    hit = r[r["reasons"].str.contains("permu_class_D")]
    assert set(hit["owner_credit_code"]) == {owner}
    owned = parcels.loc[parcels["owner_credit_code"] == owner, "parcel_id"]
    assert set(hit["parcel_id"]) <= set(owned)
    assert (hit["permu_class"] == "D").all()


def test_demo_matches_a_plain_per_parcel_computation(demo):
    """The vectorized sums and unions against the obvious loop, on a sample of listed parcels."""
    r = _demo_run(demo)
    b = demo["buildings"]
    storey = b["storey_height_m"].fillna(b["height_m"] / b["floors"].astype(float))
    counted = b["floors"].astype(float) * np.where(storey > 8.0, 2.0, 1.0)
    for _, p in r.iloc[:: max(1, len(r) // 40)].iterrows():
        geom = p.geometry
        pieces = [g.intersection(geom) for g in b.geometry]
        areas = np.array([g.area for g in pieces])
        assert p["floor_area_m2"] == pytest.approx(float((areas * counted).sum()), abs=1e-6)
        union = shapely.union_all([g for g, a in zip(pieces, areas, strict=True) if a > 0])
        assert p["building_coverage"] == pytest.approx(union.area / geom.area, abs=1e-9)
