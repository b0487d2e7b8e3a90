"""亩均 evaluation (issue 4): hand-computed land, scores, ranks and classes for a small county
under both land methods and the three scoring forms, the quota boundaries, vetoes, measures,
policy overrides, and the demo county.

Geometry: axis-aligned boxes in EPSG:4528, so areas are exact: a 100 × 100 m parcel is
10 000 m² = 15 亩.

The small county (year 2025), in zone KFQ-T, town 测试镇:

| parcel | box | owner | on it |
|---|---|---|---|
| P1 | 100 × 100 | O1 | a 50 × 100 m hall of 3 storeys (floor 15 000 m², plot ratio 1.5); T1 rents 3 000 m² of floor → 2 000 m² = 3 亩 |
| P2 | 100 × 100 | O2 | T2 rents 2 000 m² of land = 3 亩 |
| P3, P5 | 100 × 100 | O3, O5 | — |
| P6 | 100 × 100 | DEV (a platform company with no figures) | T5 rents 1 000 m² of floor, no building → plot ratio 1.0 → 1.5 亩 |
| P7 | 100 × 100 | B2 | — |

Above-scale firms (land 亩; tax 万元; value added 万元; emissions t): O1 (12; 120; 100; 1; vetoed),
O2 (12; 60; 50; 1), O3 and O5 (15; 150; 100; 1 — identical), T1 (3; 90; 150; 1), T2 (3; 30; 100;
no emission data). Below-scale: B1 (declared 2 000 m² = 3 亩 exactly; tax 30; 150 000 kWh), B2
(15 亩; tax 150; 450 000 kWh), B3 (declared 1 999 m²), T5 (1.5 亩). Credit codes are numbered
so that O1 < O2 < O3 < O5 < T1 < T2 < T5 < B1 < B2 < B3.

Most tests weigh two above-scale items only (tax_per_mu 60, va_per_emission 40) so every
score is easy to follow by hand; the below-scale weights are the defaults (50 + 50).
"""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point

from gis.cleanup.lowefficiency import low_efficiency
from gis.codes import credit_code_check_char
from gis.errors import ValidationError
from gis.evaluation.permu import CLASSES, INDICATORS, Evaluation, classes, permu
from gis.policy import Policy
from gis.reports import records
from gis.schema import PANDAS_DTYPES
from layers import results
from layers.demo import build_demo
from tests.helpers import CRS, X0, Y0, frame, rect

YEAR = 2025


def code(n: int) -> str:
    """A valid 统一社会信用代码 numbered n (codes sort by n)."""
    first = f"91330599MA{n:07d}"
    return first + credit_code_check_char(first)


O1, O2, O3, O5, T1, T2, T5, B1, B2, B3 = (code(n) for n in (1, 2, 3, 5, 11, 12, 15, 21, 22, 23))
DEV = code(90)
ABOVE = [O1, O2, O3, O5, T1, T2]






def parcel(pid: str, x: float, owner: str | None, **extra) -> dict:
    return {"parcel_id": pid, "land_use": "100101", "zone_id": "KFQ-T", "town": "测试镇",
            "owner_credit_code": owner, "owner_name": None, "status": "supplied",
            **extra, "geometry": rect(x, 0)}


def firm(credit: str, tax: float, *, above: bool = True, va: float | None = None,
         emissions: float | None = None, kwh: float | None = None, year: int = YEAR,
         **extra) -> dict:
    return {"credit_code": credit, "year": year, "name": f"企业{credit[-5:]}",
            "industry_code": "3411", "above_scale": above, "tax_wan": tax,
            "revenue_wan": tax * 10, "output_wan": tax * 10, "value_added_wan": va,
            "emissions_t": emissions, "electricity_kwh": kwh, **extra}


def county(**firm_extra: dict) -> dict[str, pd.DataFrame]:
    """The small county; ``firm_extra`` adds fields to a firm by its variable name."""
    parcels = frame("parcels", [
        parcel("P1", 0, O1), parcel("P2", 200, O2), parcel("P3", 400, O3),
        parcel("P5", 600, O5), parcel("P6", 800, DEV, owner_name="示范县产业发展集团"),
        parcel("P7", 1000, B2),
    ])
    buildings = frame("buildings", [
        {"building_id": "H1", "floors": 3, "storey_height_m": 4.0, "state": "built",
         "geometry": rect(0, 0, 50, 100)},
    ])
    tenancies = frame("tenancies", [
        {"credit_code": T1, "parcel_id": "P1", "rented_floor_m2": 3000.0},
        {"credit_code": T2, "parcel_id": "P2", "rented_land_m2": 2000.0},
        {"credit_code": T5, "parcel_id": "P6", "rented_floor_m2": 1000.0},
    ])
    rows = {
        "O1": firm(O1, 120, va=100, emissions=1, kwh=800_000,
                   veto="2025年发生一般安全生产事故"),
        "O2": firm(O2, 60, va=50, emissions=1, kwh=1_000_000),
        "O3": firm(O3, 150, va=100, emissions=1),
        "O5": firm(O5, 150, va=100, emissions=1),
        "T1": firm(T1, 90, va=150, emissions=1),
        "T2": firm(T2, 30, va=100),
        "T5": firm(T5, 3, above=False, kwh=10_000),
        "B1": firm(B1, 30, above=False, kwh=150_000, land_area_m2=2000.0),
        "B2": firm(B2, 150, above=False, kwh=450_000),
        "B3": firm(B3, 40, above=False, kwh=100_000, land_area_m2=1999.0),
    }
    for name, extra in firm_extra.items():
        rows[name] = {**rows[name], **extra}
    # last year's figures of two firms: the latest year is the default
    old = [firm(O1, 999, year=2024), firm(O2, 1, year=2024)]
    return {"enterprises": frame("enterprises", [*rows.values(), *old]), "parcels": parcels,
            "buildings": buildings, "tenancies": tenancies}


def two_items(**permu_overrides) -> Policy:
    """tax_per_mu 60 + va_per_emission 40 for above-scale firms; other overrides on top."""
    weights = dict.fromkeys(INDICATORS, 0) | {"tax_per_mu": 60, "va_per_emission": 40}
    return Policy.load(overrides={"permu": {"weights_above": weights, **permu_overrides}})


def run(layers: dict[str, pd.DataFrame], policy: Policy | None = None, **kw) -> Evaluation:
    kw.setdefault("buildings", layers["buildings"])
    return permu(layers["enterprises"], layers["parcels"], layers["tenancies"],
                 policy or two_items(), **kw)


def by_code(evaluation: Evaluation) -> pd.DataFrame:
    return evaluation.enterprises.set_index("credit_code")


# ---------------------------------------------------------------------------------------------
# land
# ---------------------------------------------------------------------------------------------
def test_land_owned_rented_floor_and_land_declared():
    e = by_code(run(county()))
    land = e["land_mu"]
    # T1: 3 000 m² of floor ÷ plot ratio 1.5 (15 000 m² of floor on 10 000 m²) = 2 000 m²
    assert land[T1] == pytest.approx(3.0)
    assert land[O1] == pytest.approx(15 - 3)  # the owner gives up what its tenant is attributed
    assert land[T2] == pytest.approx(3.0)     # 2 000 m² of land
    assert land[O2] == pytest.approx(12.0)
    assert land[O3] == land[O5] == pytest.approx(15.0)
    assert land[T5] == pytest.approx(1.5)     # no building on P6: 1 000 m² of floor ÷ 1.0
    assert land[B1] == pytest.approx(3.0)     # declared 2 000 m²
    assert land[B3] == pytest.approx(1999 * 3 / 2000)
    assert e.loc[B1, "land_source"] == "declared" and e.loc[T1, "land_source"] == "parcels"


def test_floor_conversion_falls_back_without_buildings():
    layers = county()
    e = by_code(run(layers, buildings=None))
    assert e.loc[T1, "land_mu"] == pytest.approx(4.5)   # 3 000 m² ÷ 1.0
    assert e.loc[O1, "land_mu"] == pytest.approx(10.5)
    policy = two_items(floor_to_land_plot_ratio=2.0)
    e = by_code(run(layers, policy, buildings=None))
    assert e.loc[T1, "land_mu"] == pytest.approx(2.25)  # 3 000 ÷ 2 = 1 500 m²


def test_tenants_renting_more_than_the_parcel_are_scaled_to_fit():
    layers = county()
    extra = frame("tenancies", [
        {"credit_code": T2, "parcel_id": "P3", "rented_floor_m2": 8000.0},
        {"credit_code": T5, "parcel_id": "P3", "rented_floor_m2": 4000.0},
        {"credit_code": T1, "parcel_id": "NOT-IN-LAYER", "rented_land_m2": 500.0},
    ])
    layers["tenancies"] = pd.concat([layers["tenancies"], extra], ignore_index=True)
    e = by_code(run(layers))
    # P3 (10 000 m², no building): 12 000 m² asked → scaled to 10 000 × 8/12 and × 4/12
    assert e.loc[O3, "land_mu"] == pytest.approx(0.0)
    assert e.loc[O3, "group"] == "not_graded" and e.loc[O3, "not_graded_reason"] == "no_land"
    assert e.loc[T2, "land_mu"] == pytest.approx(3 + 10_000 * 8 / 12 * 3 / 2000)
    assert e.loc[T5, "land_mu"] == pytest.approx(1.5 + 10_000 * 4 / 12 * 3 / 2000)
    # a tenancy on a parcel missing from the layer still counts for the tenant
    assert e.loc[T1, "land_mu"] == pytest.approx(3 + 0.75)


def test_a_tenancy_of_the_owner_itself_is_ignored():
    layers = county()
    own = frame("tenancies", [{"credit_code": O3, "parcel_id": "P3", "rented_land_m2": 5000.0}])
    layers["tenancies"] = pd.concat([layers["tenancies"], own], ignore_index=True)
    assert by_code(run(layers)).loc[O3, "land_mu"] == pytest.approx(15.0)


# ---------------------------------------------------------------------------------------------
# scores, ranks, classes: both land methods × three scoring forms
# ---------------------------------------------------------------------------------------------
def test_benchmark_scores_by_hand_enterprise_method():
    ev = run(county())
    e = by_code(ev)
    # benchmarks: Σ tax ÷ Σ 亩 = 600 ÷ 60 = 10; Σ VA ÷ Σ t over firms with emissions = 500 ÷ 5
    assert ev.benchmarks["above"] == {"tax_per_mu": 10.0, "va_per_emission": 100.0}
    assert ev.benchmarks["below"] == pytest.approx({"tax_per_mu": 180 / 18,
                                                    "tax_per_kwh": 180e4 / 600_000})
    tax = {O1: 60, O2: 30, O3: 60, O5: 60, T1: 120, T2: 60}  # T1: 30/10 = 3 → capped at 2 × 60
    emission = {O1: 40, O2: 20, O3: 40, O5: 40, T1: 60}
    emission[T2] = sum(emission.values()) / 5  # no emission data: the group's mean item score
    for c in ABOVE:
        assert e.loc[c, "score_tax_per_mu"] == pytest.approx(tax[c])
        assert e.loc[c, "score_va_per_emission"] == pytest.approx(emission[c])
        assert e.loc[c, "score"] == pytest.approx(tax[c] + emission[c])
        assert pd.isna(e.loc[c, "score_value_added_per_mu"])  # weight 0: not an item
    assert e.loc[T2, "va_per_emission"] != e.loc[T2, "va_per_emission"]  # NaN: not reported
    assert e.loc[T1, "tax_per_mu"] == pytest.approx(30.0)
    assert e.loc[T1, "tax_per_kwh"] != e.loc[T1, "tax_per_kwh"]
    assert e.loc[B1, "tax_per_kwh"] == pytest.approx(30e4 / 150_000)  # 元 per kWh
    # below-scale: B2 = 50 × 10/10 + 50 × (150e4/450 000)/3; B1 = 50 + 50 × 2/3
    assert e.loc[B2, "score"] == pytest.approx(50 + 50 * (10 / 3) / 3)
    assert e.loc[B1, "score"] == pytest.approx(50 + 50 * 2 / 3)


# expected (score, rank, class) per firm; ties (equal scores) go by credit code
_T2_MINMAX = 60 * (20 + 80 * 5 / 25) / 100 + (24 + 8 + 24 + 24 + 40) / 5
EXPECTED = {
    ("enterprise", "benchmark"): {
        T1: (180, 1, "A"), O1: (100, 2, "C"), O3: (100, 3, "B"), O5: (100, 4, "B"),
        T2: (100, 5, "C"), O2: (50, 6, "D")},
    ("enterprise", "minmax"): {  # tax: min 5, max 30; emission: min 50, max 150
        T1: (60 + 40, 1, "A"), O1: (21.6 + 24, 2, "C"), O3: (21.6 + 24, 3, "B"),
        O5: (21.6 + 24, 4, "B"), T2: (_T2_MINMAX, 5, "C"), O2: (12 + 8, 6, "D")},
    ("enterprise", "fixed"): {  # 临海 benchmarks: 15 万元/亩, 500 万元/t
        T1: (120 + 40 * 150 / 500, 1, "A"), O1: (40 + 8, 2, "C"), O3: (40 + 8, 3, "B"),
        O5: (40 + 8, 4, "B"), T2: (40 + (8 + 4 + 8 + 8 + 12) / 5, 5, "C"), O2: (20 + 4, 6, "D")},
    # parcel method: T1 joins O1 (15 亩, tax 210, VA 250, 2 t), T2 joins O2 (15 亩, tax 90,
    # emission unknown because T2's is); four units, so no A (1/4 > 0.2); O1 is vetoed, T1 not
    ("parcel", "benchmark"): {  # benchmarks 600/60 = 10 and 450/4 = 112.5
        O1: (84 + 40 * 125 / 112.5, 1, "C"), T1: (84 + 40 * 125 / 112.5, 1, "B"),
        O3: (60 + 40 * 100 / 112.5, 2, "B"), O5: (60 + 40 * 100 / 112.5, 3, "B"),
        O2: (36 + 40 * (125 + 100 + 100) / 112.5 / 3, 4, "D"),
        T2: (36 + 40 * (125 + 100 + 100) / 112.5 / 3, 4, "D")},
    ("parcel", "minmax"): {  # tax 14, 6, 10, 10: min 6, max 14; emission 125, 100, 100
        O1: (60 + 40, 1, "C"), T1: (60 + 40, 1, "B"), O3: (36 + 8, 2, "B"), O5: (36 + 8, 3, "B"),
        O2: (12 + (40 + 8 + 8) / 3, 4, "D"), T2: (12 + (40 + 8 + 8) / 3, 4, "D")},
    ("parcel", "fixed"): {
        O1: (56 + 10, 1, "C"), T1: (56 + 10, 1, "B"), O3: (40 + 8, 2, "B"), O5: (40 + 8, 3, "B"),
        O2: (24 + (10 + 8 + 8) / 3, 4, "D"), T2: (24 + (10 + 8 + 8) / 3, 4, "D")},
}


@pytest.mark.parametrize(("method", "scoring"), sorted(EXPECTED))
def test_scores_ranks_classes_by_hand(method, scoring):
    ev = run(county(), two_items(land_method=method, scoring=scoring))
    assert ev.land_method == method and ev.scoring == scoring
    e = by_code(ev)
    for c, (score, rank, klass) in EXPECTED[(method, scoring)].items():
        row = e.loc[c]
        assert row["score"] == pytest.approx(score), c
        assert (row["rank"], row["class"]) == (rank, klass), c
        assert row["group"] == "above"
    assert e.loc[O1, "vetoed"] and not e.loc[O3, "vetoed"]
    # below-scale: two graded firms, position 1 of 2 is B (0.5), position 2 is D
    assert (e.loc[B2, "class"], e.loc[B1, "class"]) == ("B", "D")
    assert e.loc[[T5, B3], "group"].tolist() == ["not_graded", "not_graded"]


def test_parcel_method_units_share_the_result():
    e = by_code(run(county(), two_items(land_method="parcel")))
    assert e.loc[T1, "unit_credit_code"] == O1 and e.loc[T2, "unit_credit_code"] == O2
    assert e.loc[O3, "unit_credit_code"] == O3
    # T5's landlord has no figures (a 小微园 platform): T5 stays on its own
    assert e.loc[T5, "unit_credit_code"] == T5
    # the unit's indicators on every member row, each member's own land
    assert e.loc[T1, "tax_per_mu"] == e.loc[O1, "tax_per_mu"] == pytest.approx(210 / 15)
    assert (e.loc[T1, "land_mu"], e.loc[O1, "land_mu"]) == pytest.approx((3.0, 12.0))
    assert pd.isna(e.loc[O2, "va_per_emission"])  # T2's emissions are unknown


def test_quota_boundaries():
    for n, expected in {
        20: "AAAA" + "B" * 11 + "CCCC" + "D",  # 4/20 = 0.20 → A, 5/20 → B, 15/20 = 0.75 → B,
        10: "AA" + "BBBBB" + "CC" + "D",       # 16/20 → C, 19/20 = 0.95 → C, 20/20 → D
        7: "A" + "BBBB" + "C" + "D",           # 1/7 = 0.143, 5/7 = 0.714, 6/7 = 0.857
        4: "BBBD",                             # 1/4 = 0.25 > 0.20: no A
        1: "D",                                # 1/1 = 1.0
    }.items():
        firms = frame("enterprises", [
            firm(code(100 + i), 1000 - i, land_area_m2=10_000.0) for i in range(n)])
        e = permu(firms, None, None).enterprises
        assert e["rank"].tolist() == list(range(1, n + 1))
        assert "".join(e["class"]) == expected, n


def test_veto_caps_at_c_a_vetoed_d_stays_d_and_the_cap_is_a_policy():
    rows = [firm(code(100 + i), 1000 - i, land_area_m2=10_000.0) for i in range(20)]
    rows[0]["veto"] = "发生较大安全生产事故"    # position 1: A → C
    rows[19]["veto"] = "环境违法行为受到行政处罚"  # position 20: D stays D
    firms = frame("enterprises", rows)
    e = permu(firms, None, None).enterprises
    assert "".join(e["class"]) == "C" + "AAA" + "B" * 11 + "CCCC" + "D"
    assert e["rank"].tolist() == list(range(1, 21))  # nobody moves up into the freed place
    assert e.loc[0, "class_name"] == "调整转型类"
    forced = permu(firms, None, None, Policy.load(overrides={"permu": {"veto_cap": "D"}}))
    assert forced.enterprises.loc[0, "class"] == "D"


def test_ties_are_broken_by_credit_code():
    rows = [firm(code(n), 300, land_area_m2=10_000.0) for n in (7, 3, 5)]
    e = permu(frame("enterprises", rows), None, None).enterprises
    assert e["credit_code"].tolist() == [code(3), code(5), code(7)]
    assert e["rank"].tolist() == [1, 2, 3]
    assert e["score"].nunique() == 1


def test_below_scale_firms_under_the_minimum_are_listed_not_graded():
    e = by_code(run(county()))
    assert e.loc[T5, "not_graded_reason"] == "below_min_land"   # 1.5 亩
    assert e.loc[B3, "not_graded_reason"] == "below_min_land"   # 2.9985 亩
    assert e.loc[B1, "group"] == "below"                        # 3 亩 exactly
    for c in (T5, B3):
        assert pd.isna(e.loc[c, "score"]) and pd.isna(e.loc[c, "class"])
        assert pd.isna(e.loc[c, "rank"]) and pd.isna(e.loc[c, "measures"])
    assert e.loc[T5, "tax_per_mu"] == pytest.approx(2.0)  # indicators still listed
    e = by_code(run(county(), two_items(below_scale_min_mu=5)))
    assert e.loc[B1, "not_graded_reason"] == "below_min_land"
    assert (e.loc[B2, "rank"], e.loc[B2, "class"]) == (1, "D")  # alone in its group


def test_other_not_graded_reasons():
    layers = county(O5={"industry_code": "4411"})  # a power plant: data only
    extra = frame("enterprises", [firm(code(30), 50), firm(code(31), 50, above=None,
                                                              land_area_m2=9000.0)])
    layers["enterprises"] = pd.concat([layers["enterprises"], extra], ignore_index=True)
    e = by_code(run(layers))
    assert e.loc[O5, "not_graded_reason"] == "excluded_industry"
    assert e.loc[code(30), "not_graded_reason"] == "no_land"  # above-scale, no land at all
    assert pd.isna(e.loc[code(30), "land_mu"]) and pd.isna(e.loc[code(30), "land_source"])
    assert e.loc[code(31), "not_graded_reason"] == "scale_unknown"
    assert (e["group"] == "not_graded").sum() == 5


def test_missing_items_other_than_emissions_score_the_floor():
    weights = {"tax_per_mu": 50, "rd_share": 50}
    rows = [firm(code(1), 100, rd_wan=10.0, land_area_m2=10_000.0),
            firm(code(2), 100, rd_wan=None, land_area_m2=10_000.0)]
    e = permu(frame("enterprises", rows), None, None,
              Policy.load(overrides={"permu": {"weights_above": weights}})).enterprises
    e = e.set_index("credit_code")
    # rd benchmark = 10 / 1 000 (the firms that report); code 2 gets 0 for R&D, not the mean
    assert e.loc[code(1), "score_rd_share"] == pytest.approx(50.0)
    assert e.loc[code(2), "score_rd_share"] == 0.0
    e = permu(frame("enterprises", rows), None, None, Policy.load(overrides={"permu": {
        "weights_above": weights, "mean_score_items": ["rd_share"]}})).enterprises
    assert e.set_index("credit_code").loc[code(2), "score_rd_share"] == pytest.approx(50.0)


def test_minmax_with_equal_values_gives_the_full_weight():
    rows = [firm(code(n), 100, land_area_m2=10_000.0) for n in (1, 2)]
    e = permu(frame("enterprises", rows), None, None,
              Policy.load(overrides={"permu": {"scoring": "minmax"}})).enterprises
    assert e["score_tax_per_mu"].tolist() == [30.0, 30.0]


def test_item_cap_and_floor_are_policy():
    rows = [firm(code(1), 300, land_area_m2=10_000.0), firm(code(2), 100, land_area_m2=10_000.0),
            firm(code(3), 0, land_area_m2=10_000.0)]
    policy = Policy.load(overrides={"permu": {"item_cap_multiple": 1.2, "item_floor": 5.0}})
    e = permu(frame("enterprises", rows), None, None, policy).enterprises
    # benchmark = 400 / 45 亩; code 1: 20/(400/45) = 2.25 → 1.2 × 30; code 3: 0 → floor 5
    assert e["score_tax_per_mu"].tolist() == pytest.approx([36.0, 30 * 100 / 15 / (400 / 45),
                                                            5.0])


# ---------------------------------------------------------------------------------------------
# measures and their amounts
# ---------------------------------------------------------------------------------------------
def test_measures_and_amounts_by_hand():
    e = by_code(run(county()))
    assert e.loc[T1, "measures"] == "land_tax_relief;land_priority;support_priority"
    assert e.loc[T1, "land_tax_relief_wan"] == 0.0   # a tenant pays no land-use tax
    assert pd.isna(e.loc[T1, "power_surcharge_wan"])
    # B: 10 000 m² owned × 6 元 × 50% = 30 000 元 = 3 万元
    assert e.loc[O3, "land_tax_relief_wan"] == pytest.approx(3.0)
    assert e.loc[B2, "land_tax_relief_wan"] == pytest.approx(3.0)
    # D: 1 000 000 kWh × 0.1 元 = 10 万元; B1 (declared land, 150 000 kWh) 1.5 万元
    assert e.loc[O2, "measures"] == "power_surcharge;no_new_land;rectification"
    assert e.loc[O2, "power_surcharge_wan"] == pytest.approx(10.0)
    assert pd.isna(e.loc[O2, "land_tax_relief_wan"])
    assert e.loc[B1, "power_surcharge_wan"] == pytest.approx(1.5)
    # the vetoed O1 is C: no amounts
    assert e.loc[O1, "measures"] == "upgrade_plan;energy_restricted"
    assert pd.isna(e.loc[O1, "land_tax_relief_wan"]) and pd.isna(e.loc[O1, "power_surcharge_wan"])


def test_measure_amounts_follow_the_policy():
    policy = two_items(power_surcharge_yuan_per_kwh=0.3, land_tax_yuan_per_m2=4.0,
                       land_tax_relief_share={"B": 1.0},
                       measures={"C": ["power_surcharge"]})
    e = by_code(run(county(), policy))
    assert e.loc[O2, "power_surcharge_wan"] == pytest.approx(30.0)
    assert e.loc[O3, "land_tax_relief_wan"] == pytest.approx(4.0)
    assert e.loc[O1, "power_surcharge_wan"] == pytest.approx(800_000 * 0.3 / 10_000)
    assert e.loc[T2, "measures"] == "power_surcharge"
    assert pd.isna(e.loc[T2, "power_surcharge_wan"])  # electricity unknown


# ---------------------------------------------------------------------------------------------
# policy
# ---------------------------------------------------------------------------------------------
def test_weight_override_changes_ranks():
    layers = county(O2={"rd_wan": 60.0})
    base = by_code(run(layers))
    weights = dict.fromkeys(INDICATORS, 0) | {"rd_share": 100}
    e = by_code(run(layers, Policy.load(overrides={"permu": {"weights_above": weights}})))
    # only O2 reports R&D: benchmark 60 / 600, O2 scores 100; the others score 0 (missing)
    assert base.loc[O2, "rank"] == 6 and e.loc[O2, "rank"] == 1
    assert e.loc[O2, "score"] == pytest.approx(100.0) and e.loc[O2, "class"] == "A"
    assert e.loc[ABOVE, "rank"].tolist() == [2, 1, 3, 4, 5, 6]  # the rest tie at 0: by code


def test_default_policy_section():
    p = Policy.load()
    assert p.permu.weights_above == {"tax_per_mu": 30, "value_added_per_mu": 20,
                                     "va_per_energy": 20, "va_per_emission": 10,
                                     "labour_productivity": 10, "rd_share": 10}
    assert p.permu.weights_below == {"tax_per_mu": 50, "tax_per_kwh": 50}
    assert p.permu.class_shares == {"A": 0.2, "B": 0.75, "C": 0.95}
    assert (p.permu.below_scale_min_mu, p.permu.item_cap_multiple, p.permu.veto_cap) == \
        (3.0, 2.0, "C")
    assert p.param("permu.power_surcharge_yuan_per_kwh").tag == "R"
    assert p.param("permu.land_tax_relief_share").tag == "R"
    assert set(p.permu.fixed_benchmarks) == set(INDICATORS)


@pytest.mark.parametrize(("overrides", "word"), [
    ({"land_method": "plot"}, "land_method"),
    ({"scoring": "rank"}, "scoring"),
    ({"weights_above": {"profit_per_mu": 10}}, "profit_per_mu"),
    ({"weights_below": {"tax_per_mu": -5}}, "non-negative"),
    ({"scoring": "fixed", "fixed_benchmarks": {"tax_per_mu": 0.0}}, "tax_per_mu"),
    ({"class_shares": {"A": 0.8, "B": 0.5}}, "class_shares"),
    ({"veto_cap": "E"}, "veto_cap"),
    ({"measures": {"C": ["land_tax_relief"]}}, "land_tax_relief_share"),
    ({"mean_score_items": ["noise"]}, "noise"),
])
def test_bad_policy_values_are_refused(overrides, word):
    layers = county()
    with pytest.raises(ValidationError, match=word):
        run(layers, Policy.load(overrides={"permu": overrides}))


# ---------------------------------------------------------------------------------------------
# year, bad input, empty input
# ---------------------------------------------------------------------------------------------
def test_year_defaults_to_the_latest_and_can_be_chosen():
    layers = county()
    assert run(layers).year == YEAR
    old = run(layers, year=2024)
    assert old.year == 2024 and len(old.enterprises) == 2
    assert set(old.enterprises["year"]) == {2024}


def test_duplicate_enterprises_in_a_year_are_refused():
    layers = county()
    layers["enterprises"] = pd.concat([layers["enterprises"],
                                       layers["enterprises"].iloc[[0]]], ignore_index=True)
    with pytest.raises(ValidationError, match=O1):
        run(layers)


def test_no_year_at_all_is_refused_and_an_empty_year_gives_empty_tables():
    empty = frame("enterprises", [])
    with pytest.raises(ValidationError, match="year"):
        permu(empty, None, None)
    ev = permu(empty, frame("parcels", []), frame("tenancies", []), year=2025)
    assert len(ev.enterprises) == 0 and len(ev.parcels) == 0
    assert list(ev.enterprises.columns) == list(results["permu"].field_names)
    assert len(ev.zones) == 0 and "tax_per_mu" in ev.towns
    assert len(run(county(), year=2030).enterprises) == 0


# ---------------------------------------------------------------------------------------------
# parcels, zones, towns, classes(), the result layers
# ---------------------------------------------------------------------------------------------
def test_parcel_rows_by_hand():
    p = run(county()).parcels.set_index("parcel_id")
    assert set(p.index) == {"P1", "P2", "P3", "P5", "P6", "P7"}
    # P1: O1 (tax 120, all its land here) + T1 (90) = 210 on 15 亩
    assert p.loc["P1", "tax_per_mu"] == pytest.approx(14.0)
    assert p.loc["P1", "output_per_mu"] == pytest.approx(140.0)
    assert (p.loc["P1", "firms"], p.loc["P1", "tenants"]) == (2, 1)
    assert (p.loc["P1", "owner_class"], p.loc["P1", "owner_class_name"]) == ("C", "调整转型类")
    assert p.loc["P2", "tax_per_mu"] == pytest.approx(90 / 15)
    assert p.loc["P2", "owner_class"] == "D" and p.loc["P7", "owner_group"] == "below"
    # P6: the platform owner has no figures: only T5's tax, marked incomplete
    assert p.loc["P6", "tax_per_mu"] == pytest.approx(3 / 15)
    assert not p.loc["P6", "complete"] and p.loc["P1", "complete"]
    assert pd.isna(p.loc["P6", "owner_class"]) and p.loc["P6", "owner_name"] == "示范县产业发展集团"
    assert p.loc["P3", "owner_name"] == f"企业{O3[-5:]}"  # from the enterprise table


def test_parcel_tax_is_split_over_a_firms_pieces():
    layers = county()
    extra = frame("tenancies", [{"credit_code": T1, "parcel_id": "P3", "rented_land_m2": 1000.0}])
    layers["tenancies"] = pd.concat([layers["tenancies"], extra], ignore_index=True)
    p = run(layers).parcels.set_index("parcel_id")
    # T1: 2 000 m² on P1 and 1 000 m² on P3 → 60 and 30 of its 90
    assert p.loc["P1", "tax_wan"] == pytest.approx(120 + 60)
    assert p.loc["P3", "tax_wan"] == pytest.approx(150 + 30)


def test_zone_and_town_tables():
    ev = run(county())
    z = ev.zones.set_index("zone_id")
    assert list(z.index) == ["KFQ-T", "（未落区）", "合计 total"]
    kfq = z.loc["KFQ-T"]
    assert (kfq["firms"], kfq["graded"], kfq["not_graded"], kfq["vetoed"]) == (8, 7, 1, 1)
    assert [kfq[c] for c in CLASSES] == [1, 3, 2, 1]
    assert kfq["land_mu"] == pytest.approx(76.5)
    assert kfq["tax_wan"] == pytest.approx(753.0)
    assert kfq["tax_per_mu"] == pytest.approx(753 / 76.5)
    total = z.loc["合计 total"]
    assert (total["firms"], total["D"]) == (10, 2)
    assert total["tax_per_mu"] == pytest.approx((753 + 30 + 40) / (76.5 + 3 + 1999 * 3 / 2000))
    graded = ev.enterprises["score"].dropna()
    assert total["mean_score"] == pytest.approx(graded.mean())
    t = ev.towns.set_index("town")
    assert t.loc["测试镇", "firms"] == 8 and t.loc["合计 total", "firms"] == 10


def test_zones_place_parcels_and_points_without_a_zone():
    layers = county()
    layers["parcels"].loc[layers["parcels"]["parcel_id"] == "P7", "zone_id"] = None
    ent = layers["enterprises"]
    layers["enterprises"] = gpd.GeoDataFrame(
        ent, geometry=[Point(X0 + 50, Y0 + 150) if c == B1 else None
                       for c in ent["credit_code"]], crs=CRS)
    zones = frame("zones", [{"zone_id": "KFQ-T", "name": "测试园", "level": "county",
                             "town": "测试镇", "geometry": rect(-10, -10, 2000, 500)}])
    ev = run(layers, zones=zones)
    e = by_code(ev)
    assert e.loc[B2, "zone_id"] == "KFQ-T" and e.loc[B1, "zone_id"] == "KFQ-T"
    assert pd.isna(e.loc[B3, "zone_id"])
    assert ev.zones.set_index("zone_id").loc["KFQ-T", "name"] == "测试园"


def test_classes_feed_the_low_efficiency_rule():
    layers = county()
    ev = run(layers)
    cls = classes(ev)
    assert list(cls.columns) == ["credit_code", "class", "year"]
    assert len(cls) == 8 and cls["class"].notna().all()
    assert classes(ev.enterprises).equals(cls)
    with pytest.raises(ValidationError, match="class"):
        classes(pd.DataFrame({"credit_code": [O1]}))
    low = low_efficiency(layers["parcels"], layers["buildings"], layers["enterprises"],
                         layers["tenancies"], frame("zoning", []), "2026-06-30", permu=cls)
    flagged = low[low["reasons"].str.contains("permu_class_D")]
    assert set(flagged["parcel_id"]) == {"P2"}  # O2 (D); B1 is D too but owns no parcel


def test_result_layers_follow_the_catalogue():
    ev = run(county(), two_items(land_method="parcel"))
    e, p = ev.enterprises, ev.parcels
    assert list(e.columns) == list(results["permu"].field_names)
    assert list(p.columns) == [*results["permu_parcels"].field_names, "geometry"]
    for layer, table in (("permu", e), ("permu_parcels", p)):
        for f in results[layer].fields:
            assert str(table[f.name].dtype) == PANDAS_DTYPES[f.dtype], f.name
    assert ev.layers() == {"permu": e, "permu_parcels": p}
    for f in results["permu"].fields:  # every figure, name and credit code is confidential
        if f.dtype == "float" or f.name in ("credit_code", "name", "unit_credit_code", "rank"):
            assert f.confidential, f.name
    assert results["permu_parcels"].field("tax_per_mu").confidential
    assert not results["permu_parcels"].field("area_mu").confidential
    json.dumps(ev.summary())
    rows = records(e)
    assert rows[0]["credit_code"] == O1 and rows[0]["unit_credit_code"] == O1


def test_summary_counts():
    s = run(county()).summary()
    assert s["groups"]["above"] == {"count": 6, "A": 1, "B": 2, "C": 2, "D": 1}
    assert s["groups"]["below"] == {"count": 2, "A": 0, "B": 1, "C": 0, "D": 1}
    assert s["groups"]["not_graded"] == {"count": 2}
    assert s["vetoed"] == 1 and s["year"] == YEAR


# ---------------------------------------------------------------------------------------------
# the demo county
# ---------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def demo():
    return build_demo()


@pytest.mark.parametrize("method", ["enterprise", "parcel"])
def test_demo_latest_year(demo, method):
    policy = Policy.load(overrides={"permu": {"land_method": method}})
    ev = permu(demo["enterprises"], demo["parcels"], demo["tenancies"], policy,
               buildings=demo["buildings"], zones=demo["zones"])
    assert ev.year == 2025
    e = ev.enterprises
    assert len(e) == (demo["enterprises"]["year"] == 2025).sum()
    for group in ("above", "below"):
        part = e[e["group"] == group]
        assert set(part["class"]) == set(CLASSES), group
        # ranks are positions 1..n of the units; unvetoed firms carry the quota class
        n = part["rank"].max()
        free = part[~part["vetoed"]]
        share = free["rank"].astype(float) / n
        expected = np.select([share <= 0.2, share <= 0.75, share <= 0.95], ["A", "B", "C"], "D")
        assert (free["class"].to_numpy() == expected).all()
    vetoed = e[e["vetoed"]]
    assert len(vetoed) >= 4
    assert not vetoed["class"].isin(["A", "B"]).any()
    assert e.loc[e["group"] == "not_graded", "not_graded_reason"].notna().all()
    assert (e["land_mu"].notna() | (e["group"] == "not_graded")).all()
    assert e["credit_code"].is_unique
    if method == "parcel":
        assert (e["unit_credit_code"] != e["credit_code"]).sum() > 20
    assert len(ev.parcels) > 500 and ev.parcels["tax_per_mu"].notna().mean() > 0.95
    z = ev.zones.set_index("zone_id")
    assert {"KFQ-DY", "KFQ-XY", "KFQ-NY", "合计 total"} <= set(z.index)
    assert z.loc["合计 total", "firms"] == len(e)
    d_owners = set(classes(ev).query("`class` == 'D'")["credit_code"])
    assert d_owners


def test_demo_weight_override_ranks_by_tax(demo):
    weights = dict.fromkeys(INDICATORS, 0) | {"tax_per_mu": 100}
    policy = Policy.load(overrides={"permu": {"weights_above": weights,
                                              "item_cap_multiple": 1e6}})
    base = permu(demo["enterprises"], demo["parcels"], demo["tenancies"],
                 buildings=demo["buildings"]).enterprises
    only_tax = permu(demo["enterprises"], demo["parcels"], demo["tenancies"], policy,
                     buildings=demo["buildings"]).enterprises
    above = only_tax[only_tax["group"] == "above"].sort_values("rank")
    assert above["tax_per_mu"].is_monotonic_decreasing
    merged = base.merge(only_tax, on="credit_code", suffixes=("", "_tax"))
    assert (merged["rank"] != merged["rank_tax"]).sum() > 100
