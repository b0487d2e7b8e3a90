"""部标 coordinate TXT: every variant of DOMAIN.md §9.2, containment assembly, the writer, and
write → read identity (hypothesis).

Fixture parcels sit near Hangzhou in CGCS2000 3° zone 40 (EPSG:4528): X = northing around
3 353 000, Y = easting with the zone prefix around 40 520 000. The base rectangle is 300 m
east–west × 200 m north–south = 60 000 m² = 6 公顷 = 90 亩.
"""

from __future__ import annotations

from datetime import date

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely import affinity
from shapely.geometry import MultiPolygon, Polygon

from gis.crs import gk_epsg
from gis.errors import CRSError, FormatError, ValidationError
from gis.io.txt import COLUMNS, read_txt, write_txt
from gis.report import Issue
from gis.units import M2_PER_MU

N0, E0 = 3_353_000.0, 40_520_000.0  # north-west corner of the base rectangle (zone 40)


def header(*, datum="2000国家大地坐标系", zone="40", width_line="几度分带=3"):
    return (
        "[属性描述]\n"
        "格式版本号=1.01版本\n"
        "数据产生单位=某某测绘有限公司\n"
        "数据产生日期=2019-4-19\n"
        f"坐标系={datum}\n"
        f"{width_line}\n"
        "投影类型=高斯克吕格\n"
        "计量单位=米\n"
        f"带号={zone}\n"
        "精度=0.001\n"
        "转换参数=,,,,,,\n"
        "[地块坐标]\n"
    )


def rect(de0, dn0, width, height, *, ring=1, first=1, prefix=True, close=True, fmt="J{}"):
    """Point lines of a rectangle whose NW corner is (E0 + de0, N0 - dn0), clockwise, closed
    by repeating the first point."""
    e = (E0 if prefix else E0 - 40_000_000) + de0
    n = N0 - dn0
    corners = [(n, e), (n, e + width), (n - height, e + width), (n - height, e)]
    lines = [f"{fmt.format(first + k)},{ring},{x:.3f},{y:.3f}" for k, (x, y) in enumerate(corners)]
    if close:
        lines.append(lines[0])
    return lines


def parcel(points, *, area="6.0000", pid="1", name="彭埠单元B/R-14地块", tail="面,,,,@"):
    return [f"{len(points)},{area},{pid},{name},{tail}", *points]


def txt(*records, **kw):
    body = [line for record in records for line in record]
    return header(**kw) + "\n".join(body) + "\n"


def codes(issues: list[Issue], status: str | None = None) -> list[str]:
    return [i.code for i in issues if status is None or i.status == status]


def only(issues: list[Issue], code: str) -> Issue:
    found = [i for i in issues if i.code == code]
    assert len(found) == 1, (code, found)
    return found[0]


BASE = parcel(rect(0, 0, 300, 200))


# ----------------------------------------------------------------------------------------------
# the §9.1 example: GBK, CRLF, one parcel
# ----------------------------------------------------------------------------------------------
def test_bureau_example_gbk_crlf(tmp_path):
    record = parcel(
        rect(0, 0, 300, 200), name="彭埠单元B/R-14地块", tail="面,H51G001001,工业,1001,@"
    )
    path = tmp_path / "红线坐标.txt"
    path.write_bytes(txt(record).replace("\n", "\r\n").encode("gbk"))

    gdf, issues = read_txt(path)

    assert list(gdf.columns) == COLUMNS
    assert gdf.crs.to_epsg() == 4528
    row = gdf.iloc[0]
    assert row["parcel_id"] == "1"
    assert row["name"] == "彭埠单元B/R-14地块"
    assert (row["sheet_no"], row["purpose"], row["land_use"]) == ("H51G001001", "工业", "1001")
    assert row["_row"] == 1
    assert row.geometry.geom_type == "MultiPolygon"
    assert shapely.is_valid(row.geometry)
    # X (northing) and Y (easting) are swapped into GIS order: x = easting
    assert tuple(gdf.total_bounds) == pytest.approx((E0, N0 - 200, E0 + 300, N0))
    assert gdf.area.iloc[0] == pytest.approx(60_000.0)
    assert gdf.area.iloc[0] / M2_PER_MU == pytest.approx(90.0)
    assert row["declared_area_m2"] == pytest.approx(60_000.0)
    assert only(issues, "txt.area_unit").value == "公顷"
    assert "GBK" in only(issues, "txt.encoding").zh
    assert codes(issues, "repaired") == codes(issues, "rejected") == []


# ----------------------------------------------------------------------------------------------
# polygon assembly by containment
# ----------------------------------------------------------------------------------------------
def test_hole_ring_2_inside_ring_1():
    points = rect(0, 0, 300, 200) + rect(100, 50, 100, 50, ring=2, first=5)
    gdf, issues = read_txt(txt(parcel(points, area="5.5000")))
    geom = gdf.geometry.iloc[0]
    assert len(geom.geoms) == 1
    assert len(geom.geoms[0].interiors) == 1
    assert geom.area == pytest.approx(60_000 - 5_000)
    assert "txt.ring_roles" not in codes(issues)
    assert "txt.area_mismatch" not in codes(issues)


def test_two_disjoint_rings_are_two_parts():
    points = rect(0, 0, 300, 200) + rect(1000, 0, 100, 100, ring=2, first=5)
    gdf, issues = read_txt(txt(parcel(points, area="7.0000")))
    geom = gdf.geometry.iloc[0]
    assert isinstance(geom, MultiPolygon)
    assert len(geom.geoms) == 2
    assert sorted(p.area for p in geom.geoms) == pytest.approx([10_000, 60_000])
    assert all(len(p.interiors) == 0 for p in geom.geoms)
    roles = only(issues, "txt.ring_roles")
    assert roles.row == 1 and roles.status == "note"


def test_ring_numbers_lie_ring_1_is_the_hole():
    points = rect(100, 50, 100, 50, ring=1) + rect(0, 0, 300, 200, ring=2, first=5)
    gdf, issues = read_txt(txt(parcel(points, area="5.5000")))
    geom = gdf.geometry.iloc[0]
    assert len(geom.geoms) == 1
    assert len(geom.geoms[0].interiors) == 1
    assert geom.area == pytest.approx(55_000)
    assert shapely.is_valid(geom)
    assert "外环 圈号 2，内环（洞）圈号 1" in only(issues, "txt.ring_roles").zh


def test_island_inside_a_hole_is_a_second_part():
    points = (
        rect(0, 0, 300, 200)
        + rect(50, 25, 200, 150, ring=2, first=5)
        + rect(100, 75, 100, 50, ring=3, first=9)
    )
    gdf, _ = read_txt(txt(parcel(points, area="3.5000")))
    geom = gdf.geometry.iloc[0]
    assert len(geom.geoms) == 2
    assert geom.area == pytest.approx(60_000 - 30_000 + 5_000)
    assert shapely.is_valid(geom)


def test_orientation_exterior_ccw_holes_cw():
    points = rect(0, 0, 300, 200) + rect(100, 50, 100, 50, ring=2, first=5)
    gdf, _ = read_txt(txt(parcel(points, area="5.5000")))
    poly = gdf.geometry.iloc[0].geoms[0]
    assert poly.exterior.is_ccw
    assert not poly.interiors[0].is_ccw


def test_two_closed_rings_under_one_ring_number_are_split():
    points = rect(0, 0, 300, 200) + rect(1000, 0, 100, 100, ring=1, first=5)
    gdf, issues = read_txt(txt(parcel(points, area="7.0000")))
    assert len(gdf.geometry.iloc[0].geoms) == 2
    assert gdf.area.iloc[0] == pytest.approx(70_000)
    assert only(issues, "txt.ring_split").status == "repaired"


def test_self_crossing_ring_is_made_valid():
    # a bow-tie: NW, SE, NE, SW — two triangles of 300 × 100 / 2 each
    e, n = E0, N0
    pts = [(n, e), (n - 200, e + 300), (n, e + 300), (n - 200, e)]
    lines = [f"J{k + 1},1,{x:.3f},{y:.3f}" for k, (x, y) in enumerate(pts)]
    gdf, issues = read_txt(txt(parcel([*lines, lines[0]], area="")))
    geom = gdf.geometry.iloc[0]
    assert shapely.is_valid(geom)
    assert geom.area == pytest.approx(2 * 300 * 100 / 2)
    fixed = only(issues, "txt.geometry_made_valid")
    assert fixed.status == "repaired" and fixed.row == 1


# ----------------------------------------------------------------------------------------------
# variants of DOMAIN.md §9.2
# ----------------------------------------------------------------------------------------------
def test_unclosed_ring_is_closed_with_a_repair():
    gdf, issues = read_txt(txt(parcel(rect(0, 0, 300, 200, close=False))))
    assert gdf.area.iloc[0] == pytest.approx(60_000)
    closed = only(issues, "txt.ring_closed")
    assert (closed.status, closed.row, closed.key) == ("repaired", 1, "1")


def test_utf8_with_bom():
    gdf, issues = read_txt(b"\xef\xbb\xbf" + txt(BASE).encode("utf-8"))
    assert gdf.loc[0, "name"] == "彭埠单元B/R-14地块"
    assert "UTF-8 (BOM)" in only(issues, "txt.encoding").zh


def test_utf8_without_bom_and_gb18030():
    gdf, issues = read_txt(txt(BASE).encode("utf-8"))
    assert gdf.loc[0, "name"] == "彭埠单元B/R-14地块"
    assert only(issues, "txt.encoding").zh.endswith("UTF-8")
    gdf, _ = read_txt(txt(parcel(rect(0, 0, 300, 200), name="㐀地块")).encode("gb18030"))
    assert gdf.loc[0, "name"] == "㐀地块"


def test_lone_cr_line_endings():
    data = txt(BASE).replace("\n", "\r").encode("gbk")
    assert b"\n" not in data and data.endswith(b"\r")
    gdf, _ = read_txt(data)
    assert gdf.area.iloc[0] == pytest.approx(60_000)
    assert gdf.crs.to_epsg() == 4528


def test_fullwidth_brackets_and_project_section():
    text = "［项目信息］\n项目名称=某某建设项目\n" + txt(BASE).replace(
        "[属性描述]", "［属性描述］"
    ).replace("[地块坐标]", "【地块坐标】")
    gdf, _ = read_txt(text.encode("gbk"))
    assert len(gdf) == 1
    assert gdf.area.iloc[0] == pytest.approx(60_000)
    assert gdf.attrs["txt_project"] == {"项目名称": "某某建设项目"}
    assert gdf.attrs["txt_header"]["坐标系"] == "2000国家大地坐标系"


def test_empty_zone_takes_the_y_prefix():
    gdf, issues = read_txt(txt(BASE, zone=""))
    assert gdf.crs.to_epsg() == 4528
    assert "第 40 带" in only(issues, "txt.zone_from_prefix").zh


def test_width_spelled_fendai_3du_dai():
    gdf, _ = read_txt(txt(BASE, zone="", width_line="分带=3度带"))
    assert gdf.crs.to_epsg() == 4528


def test_zero_padded_point_names_and_mixed_decimals():
    lines = rect(0, 0, 300, 200, fmt="J{:02d}")
    assert lines[0].startswith("J01,")
    lines[1] = lines[1].replace(".000,", ".00,")  # 2 decimals on X of J02
    lines[2] = lines[2].replace(".000", ".0")
    gdf, issues = read_txt(txt(parcel(lines)))
    assert gdf.area.iloc[0] == pytest.approx(60_000)
    assert codes(issues, "repaired") == []


def test_blank_area():
    gdf, issues = read_txt(txt(parcel(rect(0, 0, 300, 200), area="")))
    assert np.isnan(gdf.loc[0, "declared_area_m2"])
    assert gdf.area.iloc[0] == pytest.approx(60_000)
    assert not {"txt.area_unit", "txt.area_mismatch"} & set(codes(issues))


def test_tenth_field_description():
    record = parcel(rect(0, 0, 300, 200), tail="面,,工业,1001,红线范围说明,@")
    gdf, issues = read_txt(txt(record))
    assert gdf.loc[0, "land_use"] == "1001"
    assert gdf.loc[0, "purpose"] == "工业"
    assert only(issues, "txt.description_ignored").status == "note"


def test_missing_trailing_fields():
    gdf, _ = read_txt(txt(["5,6.0000,7,短记录,@", *rect(0, 0, 300, 200)]))
    row = gdf.iloc[0]
    assert (row["parcel_id"], row["name"]) == ("7", "短记录")
    assert pd.isna(row["land_use"])
    assert row["declared_area_m2"] == pytest.approx(60_000)


def test_name_with_a_comma_shifts_fields_and_is_realigned():
    gdf, issues = read_txt(txt(["5,6.0000,1,A地块,二期,面,,工业,1001,@", *rect(0, 0, 300, 200)]))
    row = gdf.iloc[0]
    assert row["name"] == "A地块,二期"
    assert (row["purpose"], row["land_use"]) == ("工业", "1001")
    assert only(issues, "txt.header_shifted").status == "repaired"


def test_header_missing_leading_field():
    # 界址点数 missing: 图形属性 is the 4th field
    gdf, issues = read_txt(txt(["6.0000,9,缺点数,面,,,,@", *rect(0, 0, 300, 200)]))
    row = gdf.iloc[0]
    assert (row["parcel_id"], row["name"]) == ("9", "缺点数")
    assert row["declared_area_m2"] == pytest.approx(60_000)
    assert only(issues, "txt.header_shifted").row == 1


def test_area_in_square_metres_is_decided_and_reported():
    gdf, issues = read_txt(txt(parcel(rect(0, 0, 300, 200), area="60000.00")))
    assert gdf.loc[0, "declared_area_m2"] == pytest.approx(60_000)
    note = only(issues, "txt.area_unit")
    assert note.value == "平方米" and note.row is None
    assert "平方米" in note.zh and "square metres" in note.en


def test_area_units_mixed_in_one_file_are_reported_per_parcel():
    text = txt(
        parcel(rect(0, 0, 300, 200), pid="1", area="6.0000"),
        parcel(rect(1000, 0, 100, 100), pid="2", area="10000"),
    )
    gdf, issues = read_txt(text)
    assert gdf["declared_area_m2"].tolist() == pytest.approx([60_000, 10_000])
    notes = {i.row: i.value for i in issues if i.code == "txt.area_unit"}
    assert notes == {1: "公顷", 2: "平方米"}


def test_area_matching_neither_unit_gets_both_numbers():
    gdf, issues = read_txt(txt(parcel(rect(0, 0, 300, 200), area="6.5000")))
    note = only(issues, "txt.area_mismatch")
    assert note.status == "note" and note.row == 1
    assert "65000.00" in note.zh and "60000.00" in note.zh
    assert gdf.loc[0, "declared_area_m2"] == pytest.approx(65_000)  # 公顷, the standard unit


def test_area_within_one_percent_is_accepted():
    gdf, issues = read_txt(txt(parcel(rect(0, 0, 300, 200), area="6.0500")))  # +0.83 %
    assert "txt.area_mismatch" not in codes(issues)
    assert gdf.loc[0, "declared_area_m2"] == pytest.approx(60_500)


def test_no_prefix_no_zone_no_crs_raises():
    text = txt(parcel(rect(0, 0, 300, 200, prefix=False)), zone="")
    with pytest.raises(CRSError) as err:
        read_txt(text)
    assert "带号" in err.value.zh and "crs" in err.value.en


def test_no_prefix_with_crs_argument():
    text = txt(parcel(rect(0, 0, 300, 200, prefix=False)), zone="")
    gdf, _ = read_txt(text, crs=4549)
    assert gdf.crs.to_epsg() == 4549
    assert gdf.total_bounds[0] == pytest.approx(520_000.0)
    assert gdf.area.iloc[0] == pytest.approx(60_000)


def test_no_prefix_with_prefixed_crs_argument_uses_cm_only_code():
    text = txt(parcel(rect(0, 0, 300, 200, prefix=False)), zone="")
    gdf, issues = read_txt(text, crs="EPSG:4528")
    assert gdf.crs.to_epsg() == 4549
    assert "crs.prefix_missing" in codes(issues)


def test_no_prefix_with_zone_header():
    gdf, _ = read_txt(txt(parcel(rect(0, 0, 300, 200, prefix=False)), zone="40"))
    assert gdf.crs.to_epsg() == 4549


def test_xian80_header():
    gdf, issues = read_txt(txt(BASE, datum="80国家大地坐标系"))
    assert gdf.crs.to_epsg() == 2364
    assert gdf.crs.to_epsg() == gk_epsg(40, datum="Xian1980")
    assert "crs.legacy_datum" in codes(issues)


def test_beijing54_header():
    gdf, _ = read_txt(txt(BASE, datum="54北京坐标系"))
    assert gdf.crs.to_epsg() == gk_epsg(40, datum="Beijing1954") == 2416


def test_six_degree_zone_from_prefix():
    lines = [line.replace(",40", ",20", 1) for line in rect(0, 0, 300, 200)]
    gdf, _ = read_txt(txt(parcel(lines), zone="", width_line="几度分带=6"))
    assert gdf.crs.to_epsg() == 4498  # CGCS2000 6° zone 20, CM 117°E


def test_zone_header_disagreeing_with_prefix():
    gdf, issues = read_txt(txt(BASE, zone="39"))
    assert gdf.crs.to_epsg() == 4528
    assert "txt.zone_conflict" in codes(issues)


def test_swapped_columns_are_detected():
    lines = []
    for line in rect(0, 0, 300, 200):
        name, ring, x, y = line.split(",")
        lines.append(f"{name},{ring},{y},{x}")
    gdf, issues = read_txt(txt(parcel(lines)))
    assert tuple(gdf.total_bounds) == pytest.approx((E0, N0 - 200, E0 + 300, N0))
    assert "txt.swapped_xy" in codes(issues)


def test_several_parcels_in_a_file_without_extension(tmp_path):
    path = tmp_path / "报批坐标"
    records = [
        parcel(rect(0, 0, 300, 200), pid="A-1", name="一号地"),
        parcel(rect(1000, 0, 100, 100), pid="A-2", name="二号地", area="1.0000"),
        parcel(rect(2000, 0, 100, 50), pid="A-3", name="三号地", area="0.5000"),
    ]
    path.write_bytes(txt(*records).encode("gbk"))
    gdf, issues = read_txt(path)
    assert gdf["parcel_id"].tolist() == ["A-1", "A-2", "A-3"]
    assert gdf["_row"].tolist() == [1, 2, 3]
    assert gdf.area.tolist() == pytest.approx([60_000, 10_000, 5_000])
    assert "3 个地块" in only(issues, "txt.area_unit").zh


def test_zone_written_as_central_meridian():
    gdf, issues = read_txt(txt(parcel(rect(0, 0, 300, 200, prefix=False)), zone="120"))
    assert gdf.crs.to_epsg() == 4549  # CM 120°E = zone 40, no prefix
    assert "txt.zone_from_meridian" in codes(issues)


def test_header_line_without_at_is_still_a_header():
    text = txt(
        ["5,6.0000,1,甲,面,,,", *rect(0, 0, 300, 200)],
        ["5,1.0000,2,乙,面,,,", *rect(1000, 0, 100, 100)],
    )
    gdf, issues = read_txt(text)
    assert gdf["name"].tolist() == ["甲", "乙"]
    assert gdf.area.tolist() == pytest.approx([60_000, 10_000])
    assert [i.row for i in issues if i.code == "txt.header_without_at"] == [1, 2]


def test_points_before_the_first_parcel_are_reported():
    text = txt([rect(0, 0, 300, 200)[0]], BASE)
    gdf, issues = read_txt(text)
    assert len(gdf) == 1
    orphan = only(issues, "txt.orphan_points")
    assert orphan.status == "rejected" and "1 个坐标行" in orphan.zh


def test_precision_as_digit_count_is_kept_in_attrs():
    gdf, _ = read_txt(txt(BASE).replace("精度=0.001", "精度=3"))
    assert gdf.attrs["txt_header"]["精度"] == "3"
    assert gdf.area.iloc[0] == pytest.approx(60_000)


# ----------------------------------------------------------------------------------------------
# rejected parcels are reported, never dropped silently
# ----------------------------------------------------------------------------------------------
def test_parcel_with_fewer_than_three_points_is_rejected_and_reported():
    degenerate = ["3,0.1,BAD,两点地块,面,,,,@", *rect(0, 0, 300, 200)[:2]]
    text = txt(
        parcel(rect(0, 0, 300, 200), pid="1"), degenerate, parcel(rect(1000, 0, 300, 200), pid="3")
    )
    gdf, issues = read_txt(text)
    assert gdf["parcel_id"].tolist() == ["1", "3"]
    assert gdf["_row"].tolist() == [1, 3]
    rejected = [i for i in issues if i.status == "rejected"]
    assert [(i.row, i.key, i.code) for i in rejected] == [(2, "BAD", "txt.no_valid_ring")]


def test_unreadable_point_line_rejects_its_parcel():
    bad = rect(1000, 0, 300, 200)
    bad[2] = "J3,1,3352800.OOO,40521300.000"  # letter O for zero
    gdf, issues = read_txt(txt(parcel(rect(0, 0, 300, 200)), parcel(bad, pid="2")))
    assert gdf["parcel_id"].tolist() == ["1"]
    rejected = only(issues, "txt.bad_point_line")
    assert (rejected.status, rejected.row, rejected.key) == ("rejected", 2, "2")
    assert "3352800.OOO" in rejected.value


def test_line_record_is_rejected():
    gdf, issues = read_txt(txt(parcel(rect(0, 0, 300, 200), tail="线,,,,@"), BASE))
    assert gdf["_row"].tolist() == [2]
    assert only(issues, "txt.not_polygon").row == 1


def test_out_of_range_coordinates_reject_the_parcel():
    bad = rect(1000, 0, 300, 200)
    bad[1] = bad[1].replace("3353000.000", "33530000.000")  # a digit too many
    gdf, issues = read_txt(txt(BASE, parcel(bad, pid="2")))
    assert gdf["parcel_id"].tolist() == ["1"]
    assert only(issues, "txt.coordinates_out_of_range").row == 2


def test_not_a_txt_file():
    with pytest.raises(FormatError):
        read_txt(b"ID,NAME\n1,abc\n")
    with pytest.raises(FormatError):
        read_txt(header())


# ----------------------------------------------------------------------------------------------
# writer
# ----------------------------------------------------------------------------------------------
def _box(e, n, w, h):
    return shapely.box(e, n - h, e + w, n)


def test_write_records_rings_and_numbering(tmp_path):
    with_hole = Polygon(
        _box(E0, N0, 300, 200).exterior.coords, [_box(E0 + 100, N0 - 50, 100, 50).exterior.coords]
    )
    two_parts = MultiPolygon([_box(E0 + 1000, N0, 100, 100), _box(E0 + 2000, N0, 100, 50)])
    gdf = gpd.GeoDataFrame(
        {"parcel_id": ["A1", "A2"], "name": ["有洞地块", "两块地"], "land_use": ["1001", None]},
        geometry=[with_hole, two_parts],
        crs=4528,
    )
    path = tmp_path / "out.txt"
    text = write_txt(gdf, path, producer="某局", produced_on=date(2024, 5, 1))
    data = path.read_bytes()
    assert data == text.encode("gbk")
    assert data.count(b"\r\n") == data.count(b"\n") == len(text.split("\r\n")) - 1
    lines = text.split("\r\n")
    assert lines[:12] == [
        "[属性描述]",
        "格式版本号=1.01版本",
        "数据产生单位=某局",
        "数据产生日期=2024-05-01",
        "坐标系=2000国家大地坐标系",
        "几度分带=3",
        "投影类型=高斯克吕格",
        "计量单位=米",
        "带号=40",
        "精度=0.001",
        "转换参数=,,,,,,",
        "[地块坐标]",
    ]
    first = lines[12:23]
    assert first[0] == "10,5.5000,A1,有洞地块,面,,,1001,@"
    names = [line.split(",")[0] for line in first[1:]]
    rings = [line.split(",")[1] for line in first[1:]]
    assert names == ["J1", "J2", "J3", "J4", "J1", "J5", "J6", "J7", "J8", "J5"]
    assert rings == ["1"] * 5 + ["2"] * 5
    x, y = first[1].split(",")[2:]
    assert len(x.split(".")[1]) == len(y.split(".")[1]) == 3
    assert float(y) > 4e7 and float(x) < 4e6  # X = northing, Y = easting with prefix
    second = lines[23:34]
    assert second[0] == "10,1.5000,A2,两块地,面,,,,@"
    assert [line.split(",")[0] for line in second[1:]][:6] == ["J1", "J2", "J3", "J4", "J1", "J5"]
    assert [line.split(",")[1] for line in second[1:]] == ["1"] * 5 + ["2"] * 5
    assert lines[34:] == [""]


def test_write_exterior_clockwise():
    gdf = gpd.GeoDataFrame({"parcel_id": ["1"]}, geometry=[_box(E0, N0, 300, 200)], crs=4528)
    lines = write_txt(gdf).split("\r\n")[13:18]
    pts = [(float(line.split(",")[3]), float(line.split(",")[2])) for line in lines]
    assert not shapely.LinearRing(pts).is_ccw


def test_write_from_cm_only_crs_adds_the_prefix():
    gdf = gpd.GeoDataFrame({"parcel_id": ["1"]}, geometry=[_box(520_000, N0, 300, 200)], crs=4549)
    text = write_txt(gdf)
    assert "带号=40" in text
    assert ",1,3353000.000,40520000.000\r\n" in text  # NW corner, Y with prefix
    back, _ = read_txt(text)
    assert back.crs.to_epsg() == 4528
    assert back.area.iloc[0] == pytest.approx(60_000)


def test_write_from_lonlat_reprojects_to_the_zone_of_the_centre():
    gdf = gpd.GeoDataFrame(
        {"parcel_id": ["1"]}, geometry=[_box(E0, N0, 300, 200)], crs=4528
    ).to_crs(4490)
    text = write_txt(gdf)
    assert "带号=40" in text
    back, _ = read_txt(text)
    assert back.crs.to_epsg() == 4528
    assert back.area.iloc[0] == pytest.approx(60_000, abs=1.0)


def test_write_keeps_a_legacy_datum():
    gdf = gpd.GeoDataFrame({"parcel_id": ["1"]}, geometry=[_box(E0, N0, 300, 200)], crs=2364)
    text = write_txt(gdf)
    assert "坐标系=80国家大地坐标系" in text
    back, _ = read_txt(text)
    assert back.crs.to_epsg() == 2364


def test_write_escapes_separators_in_text():
    gdf = gpd.GeoDataFrame(
        {"parcel_id": ["1"], "name": ["A地块,二期@北"]}, geometry=[_box(E0, N0, 300, 200)], crs=4528
    )
    text = write_txt(gdf)
    assert ",A地块，二期＠北,面," in text
    back, _ = read_txt(text)
    assert back.loc[0, "name"] == "A地块，二期＠北"


def test_write_refuses_what_it_cannot_write():
    ok = gpd.GeoDataFrame({"parcel_id": ["1"]}, geometry=[_box(E0, N0, 300, 200)], crs=4528)
    with pytest.raises(ValidationError, match="parcel_id"):
        write_txt(ok.rename(columns={"parcel_id": "id"}))
    with pytest.raises(ValidationError, match="gb18030"):
        write_txt(ok.assign(name=["😀"]))
    assert "😀" in write_txt(ok.assign(name=["😀"]), encoding="utf-8-sig")
    with pytest.raises(ValidationError, match="row"):
        write_txt(
            gpd.GeoDataFrame({"parcel_id": ["1"]}, geometry=[shapely.Point(E0, N0)], crs=4528)
        )
    with pytest.raises(CRSError):
        write_txt(gpd.GeoDataFrame({"parcel_id": ["1"]}, geometry=[_box(E0, N0, 300, 200)]))


def test_read_write_read_keeps_attributes():
    record = parcel(rect(0, 0, 300, 200), tail="面,H51G001001,工业,1001,@")
    first, _ = read_txt(txt(record))
    text = write_txt(first, purpose_field="purpose", sheet_field="sheet_no")
    again, issues = read_txt(text.encode("gbk"))
    cols = ["parcel_id", "name", "land_use", "purpose", "sheet_no", "declared_area_m2", "_row"]
    assert again[cols].equals(first[cols])
    assert again.geometry.normalize().equals(first.geometry.normalize())
    assert codes(issues, "repaired") == codes(issues, "rejected") == []


# ----------------------------------------------------------------------------------------------
# property: write → read is the identity (to 0.001 m)
# ----------------------------------------------------------------------------------------------
def _round(geom):
    return shapely.transform(geom, lambda c: np.round(c, 3))


@st.composite
def convex(draw, cx, cy):
    """A fat convex polygon (points near a circle, evenly spread) of radius 10–500 m."""
    k = draw(st.integers(3, 10))
    radius = draw(st.floats(20, 500))
    turn = draw(st.floats(0, 2 * np.pi))
    jitter = draw(st.lists(st.floats(-0.3, 0.3), min_size=k, max_size=k))
    angles = turn + (np.arange(k) + np.array(jitter)) * 2 * np.pi / k
    coords = np.column_stack([cx + radius * np.cos(angles), cy + radius * np.sin(angles)])
    return Polygon(np.round(coords, 3)), radius


@st.composite
def parcels(draw):
    zone = draw(st.integers(25, 45))
    n = draw(st.integers(1, 4))
    base_e = zone * 1_000_000 + 500_000 + draw(st.floats(-100_000, 100_000))
    base_n = draw(st.floats(2_500_000, 5_500_000))
    geoms = []
    for i in range(n):
        cx, cy = base_e + i * 5_000, base_n
        kind = draw(st.sampled_from(["rect", "convex", "hole", "multi"]))
        if kind == "rect":
            w, h = draw(st.floats(20, 800)), draw(st.floats(20, 800))
            geom = _round(shapely.box(cx, cy, cx + w, cy + h))
        else:
            poly, radius = draw(convex(cx, cy))
            if kind == "hole":
                inner = affinity.scale(poly, 0.5, 0.5, origin="centroid")
                geom = Polygon(poly.exterior.coords, [_round(inner).exterior.coords])
            elif kind == "multi":
                other, _ = draw(convex(cx + 3 * radius + 1_100, cy))
                geom = MultiPolygon([poly, other])
            else:
                geom = poly
        geoms.append(geom)
    gdf = gpd.GeoDataFrame(
        {
            "parcel_id": [f"P{i}" for i in range(n)],
            "name": [f"地块{i}" for i in range(n)],
            "land_use": draw(
                st.lists(st.sampled_from(["1001", "0701", None]), min_size=n, max_size=n)
            ),
        },
        geometry=geoms,
        crs=gk_epsg(zone),
    )
    return gdf


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(parcels())
def test_write_read_round_trip(gdf):
    assert gdf.geometry.is_valid.all()
    text = write_txt(gdf)
    back, issues = read_txt(text.encode("gbk"))
    assert back.crs == gdf.crs
    assert back["parcel_id"].tolist() == gdf["parcel_id"].tolist()
    assert back["name"].tolist() == gdf["name"].tolist()
    assert back["land_use"].fillna("").tolist() == gdf["land_use"].fillna("").tolist()
    assert not [i for i in issues if i.status != "note"]
    for a, b in zip(gdf.geometry, back.geometry, strict=True):
        a = MultiPolygon([a]) if isinstance(a, Polygon) else a
        assert shapely.normalize(a).equals_exact(shapely.normalize(b), tolerance=0.001)
    assert back.area.to_numpy() == pytest.approx(gdf.area.to_numpy(), abs=1e-3)
    # declared areas: 公顷 with 4 decimals → within 0.5 m² of the geometry
    assert back["declared_area_m2"].to_numpy() == pytest.approx(gdf.area.to_numpy(), abs=0.5 + 1e-6)
    assert {i.value for i in issues if i.code == "txt.area_unit"} == {"公顷"}


def test_zone_width_header_contradicting_the_zone_is_noted_and_the_zone_wins():
    # 带号 40 can only be a 3° zone (6° zones are 13–23): 几度分带=6 is a slip
    text = (
        "[属性描述]\n坐标系=2000国家大地坐标系\n几度分带=6\n带号=40\n[地块坐标]\n"
        "5,6.0000,1,示例,面,,,,@\n"
        "J1,1,3353000.000,40520000.000\nJ2,1,3353000.000,40520300.000\n"
        "J3,1,3352800.000,40520300.000\nJ4,1,3352800.000,40520000.000\n"
        "J1,1,3353000.000,40520000.000\n"
    )
    gdf, issues = read_txt(text)
    assert gdf.crs.to_epsg() == 4528
    note = next(i for i in issues if i.code == "txt.width_conflict")
    assert "几度分带=6" in note.zh and "3°带" in note.zh and note.value == "6"
