"""Validation: every row ends ok, repaired (what was done) or rejected (why), in both languages."""

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from shapely.geometry import GeometryCollection, LineString, Point, Polygon, box

from gis.errors import ValidationError
from gis.validate import validate
from layers import catalogue

X0, Y0 = 40_520_000.0, 3_353_000.0


def sq(i, size=100.0):
    return box(X0 + i * 200, Y0, X0 + i * 200 + size, Y0 + size)


def parcels(**columns):
    n = len(columns["parcel_id"])
    geoms = columns.pop("geometry", [sq(i) for i in range(n)])
    columns.setdefault("land_use", ["100102"] * n)
    return gpd.GeoDataFrame(columns, geometry=geoms, crs=4528)


def codes_of(report, row):
    return sorted(i.code for i in report.issues if i.row == row)


def test_clean_rows_pass_in_canonical_dtypes():
    clean, report = validate(parcels(parcel_id=["P1", "P2"], ready=["是", "否"]), "parcels")
    assert report.counts == {"read": 2, "ok": 2, "repaired": 0, "rejected": 0}
    assert list(clean["parcel_id"]) == ["P1", "P2"]
    assert list(clean["ready"]) == [True, False]
    assert str(clean["ready"].dtype) == "boolean"
    assert set(clean.geom_type) == {"MultiPolygon"}
    assert clean.crs.to_epsg() == 4528


def test_missing_required_column_is_a_file_error_naming_the_aliases():
    frame = parcels(parcel_id=["P1"]).drop(columns="land_use")
    with pytest.raises(ValidationError) as exc:
        validate(frame, "parcels")
    assert "land_use" in exc.value.en and "用途代码" in exc.value.zh


def test_empty_geometry_rejected():
    clean, report = validate(parcels(parcel_id=["P1", "P2"], geometry=[sq(0), None]), "parcels")
    assert codes_of(report, 2) == ["geometry.empty"]
    assert list(clean["parcel_id"]) == ["P1"]
    assert report.rejected["_row"].tolist() == [2]
    assert "几何为空" in report.rejected["拒绝原因 reason"].iloc[0]


def test_wrong_geometry_type_rejected():
    frame = parcels(parcel_id=["P1", "P2"], geometry=[sq(0), LineString([(X0, Y0), (X0 + 5, Y0)])])
    _clean, report = validate(frame, "parcels")
    assert codes_of(report, 2) == ["geometry.wrong_type"]
    issue = next(i for i in report.issues if i.row == 2)
    assert "线" in issue.zh and "LineString" in issue.en


def test_bow_tie_made_valid_with_reason_and_area_kept():
    bow = Polygon([(X0, Y0), (X0 + 100, Y0 + 100), (X0 + 100, Y0), (X0, Y0 + 100)])
    clean, report = validate(parcels(parcel_id=["P1"], geometry=[bow]), "parcels")
    assert codes_of(report, 1) == ["geometry.made_valid"]
    assert "Self-intersection" in report.issues[0].zh
    assert shapely.is_valid(clean.geometry.iloc[0])
    assert clean.geometry.iloc[0].area == pytest.approx(5000.0)  # two triangles of 50×100/2 ×2


def test_collection_keeps_polygon_parts_only():
    gc = GeometryCollection([sq(0), LineString([(X0, Y0), (X0 + 500, Y0 + 500)]), Point(X0, Y0)])
    clean, report = validate(parcels(parcel_id=["P1"], geometry=[gc]), "parcels")
    assert codes_of(report, 1) == ["geometry.non_polygon_parts"]
    assert clean.geometry.iloc[0].area == pytest.approx(10_000.0)
    assert clean.geometry.iloc[0].geom_type == "MultiPolygon"


def test_repeated_vertices_removed():
    p = Polygon([(X0, Y0), (X0 + 100, Y0), (X0 + 100, Y0), (X0 + 100, Y0 + 100), (X0, Y0)])
    clean, report = validate(parcels(parcel_id=["P1"], geometry=[p]), "parcels")
    assert codes_of(report, 1) == ["geometry.repeated_vertices"]
    assert shapely.get_num_coordinates(clean.geometry.iloc[0]) == 4


def test_zero_area_polygon_rejected():
    flat = Polygon([(X0, Y0), (X0 + 100, Y0), (X0 + 200, Y0), (X0, Y0)])
    _, report = validate(parcels(parcel_id=["P1"], geometry=[flat]), "parcels")
    assert "geometry.empty_after_repair" in codes_of(report, 1)
    assert report.counts["rejected"] == 1


def test_duplicate_keys_all_rejected_naming_each_other_and_exact_copies_kept_once():
    frame = parcels(
        parcel_id=["A", "B", "B", "A"],
        geometry=[sq(0), sq(1), sq(2), sq(0)],
    )
    clean, report = validate(frame, "parcels")
    assert list(clean["parcel_id"]) == ["A"]
    dup = {i.row: i for i in report.issues if i.code == "row.duplicate_key"}
    assert set(dup) == {2, 3}
    assert "第 3 行" in dup[2].zh and "rows 2" in dup[3].en
    assert codes_of(report, 4) == ["row.exact_duplicate"]
    assert report.counts == {"read": 4, "ok": 1, "repaired": 1, "rejected": 2}


def test_unknown_land_use_rejected_and_legacy_letter_mapped():
    frame = parcels(parcel_id=["P1", "P2", "P3"], land_use=["9999", "M2", "101"])
    clean, report = validate(frame, "parcels")
    assert codes_of(report, 1) == ["value.land_use_unknown"]
    assert codes_of(report, 3) == ["value.land_use_unknown"]
    assert codes_of(report, 2) == ["value.land_use_legacy"]
    assert list(clean["land_use"]) == ["100102"]


def test_bad_credit_code_rejected_with_expected_check_digit():
    frame = parcels(parcel_id=["P1", "P2"],
                    owner_credit_code=["91350200776049653A", "91350203M0001QAY9B"])
    clean, report = validate(frame, "parcels")
    issue = next(i for i in report.issues if i.row == 2)
    assert issue.code == "value.credit_code" and "应为 9" in issue.zh
    assert list(clean["parcel_id"]) == ["P1"]


def _supplies(**over):
    base = {
        "supply_id": ["S1"],
        "supplied_on": ["2019-01-05"],
        "method": ["出让"],
        "land_use": ["100102"],
        "price_wan": ["1,200.5"],
        "agreed_start": ["2019-06-01"],
        "agreed_completion": ["2021-06-01"],
    }
    base.update(over)
    return gpd.GeoDataFrame(base, geometry=[sq(0)], crs=4528)


def test_supply_values_coerced():
    clean, report = validate(_supplies(), "supplies")
    assert report.counts["ok"] == 1
    row = clean.iloc[0]
    assert row["method"] == "transfer"
    assert row["price_wan"] == 1200.5
    assert row["supplied_on"] == pd.Timestamp("2019-01-05")


@pytest.mark.parametrize(
    ("value", "expected"),
    [("2019/4/19", "2019-04-19"), ("2019年4月19日", "2019-04-19"), ("2019.4.19", "2019-04-19"),
     (43574, "2019-04-19"), ("43574", "2019-04-19")],
)
def test_date_forms(value, expected):
    clean, report = validate(_supplies(supplied_on=[value]), "supplies")
    assert report.counts["rejected"] == 0
    assert clean["supplied_on"].iloc[0] == pd.Timestamp(expected)


@pytest.mark.parametrize(
    ("over", "code"),
    [
        ({"price_wan": [-5]}, "value.negative_money"),
        ({"price_wan": ["abc"]}, "value.not_a_number"),
        ({"supplied_on": ["not a date"]}, "value.not_a_date"),
        ({"method": ["拍卖"]}, "value.not_allowed"),
        ({"agreed_start": ["2022-01-01"]}, "row.order"),
        ({"supply_id": [None]}, "value.required_missing"),
    ],
)
def test_supply_rejections(over, code):
    _, report = validate(_supplies(**over), "supplies")
    assert code in codes_of(report, 1)
    issue = next(i for i in report.issues if i.code == code)
    assert issue.zh and issue.en and issue.zh != issue.en


def test_start_after_completion_message_names_both_dates():
    _, report = validate(_supplies(agreed_start=["2022-01-01"]), "supplies")
    issue = next(i for i in report.issues if i.code == "row.order")
    assert "约定动工日期" in issue.zh and "约定竣工日期" in issue.zh
    assert issue.en == "agreed_start is after agreed_completion"


def test_unit_factors_and_defaults():
    approvals = gpd.GeoDataFrame(
        {"approval_id": ["B1"], "approved_on": ["2016-05-01"], "kind": ["城市批次"],
         "declared_area_m2": ["15"]},
        geometry=[sq(0)], crs=4528,
    )
    clean, _ = validate(approvals, "approvals", unit_factors={"declared_area_m2": 2000 / 3})
    assert clean["declared_area_m2"].iloc[0] == pytest.approx(10_000.0)  # 15 亩
    frame = parcels(parcel_id=["P1", "P2"], land_use=[None, "100101"])
    clean, report = validate(frame, "parcels", defaults={"land_use": "100102"})
    assert list(clean["land_use"]) == ["100102", "100101"]
    assert codes_of(report, 1) == ["value.default"]


def test_tenancy_needs_one_of_the_areas_and_tables_need_no_geometry():
    frame = pd.DataFrame({
        "credit_code": ["91350200776049653A", "91440101MA5CJQ4N59"],
        "parcel_id": ["P1", "P1"],
        "rented_floor_m2": [1200, None],
    })
    clean, report = validate(frame, "tenancies")
    assert codes_of(report, 2) == ["row.one_of_missing"]
    assert len(clean) == 1 and not isinstance(clean, gpd.GeoDataFrame)


def test_enterprise_point_optional_and_booleans_from_words():
    frame = gpd.GeoDataFrame(
        {"credit_code": ["91350200776049653A", "91440101MA5CJQ4N59"], "year": ["2025", 2025.0],
         "name": ["甲公司", "乙公司"], "industry_code": ["C3411", "3360"],
         "above_scale": ["规上", "规下"], "tax_wan": [100, 5], "revenue_wan": [2000, 300]},
        geometry=[Point(X0, Y0), None], crs=4528,
    )
    clean, report = validate(frame, "enterprises")
    assert report.counts["rejected"] == 0
    assert list(clean["above_scale"]) == [True, False]
    assert list(clean["industry_code"]) == ["3411", "3360"]
    assert codes_of(report, 1) == ["value.industry_normalized"]
    assert list(clean["year"]) == [2025, 2025]


def test_nothing_is_lost():
    """Every input row is accounted for: accepted, or in report.rejected, or an exact copy."""
    frame = parcels(parcel_id=["A", "B", "B", "C", "D"], land_use=["100102", "x", "0101", "0101",
                                                                     "0101"],
                    geometry=[sq(0), sq(1), sq(2), None, sq(4)])
    clean, report = validate(frame, "parcels")
    accounted = len(clean) + len(report.rejected)
    accounted += sum(i.code == "row.exact_duplicate" for i in report.issues)
    assert accounted == len(frame)
    assert all(catalogue["parcels"].field("parcel_id").name in clean for _ in [0])
