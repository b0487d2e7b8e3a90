"""End-to-end imports: file → headers → CRS → validation → atomic write + log."""

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
import shapely
from shapely.geometry import Point, box

from gis.errors import CRSError, FormatError
from gis.imports import convert, export_layer, import_file
from gis.io.txt import read_txt
from gis.units import M2_PER_MU
from gis.workspace import open_workspace
from tests.conftest import X0, Y0


def test_gbk_shapefile_without_cpg_gives_correct_chinese(tmp_path, gbk_shapefile):
    ws_path = tmp_path / "county.gpkg"
    result = import_file(ws_path, "parcels", gbk_shapefile)
    assert result.written and result.rows_written == 2
    codes = result.report.codes("note")
    assert "encoding.detected" in codes
    assert "crs.inferred_gauss_kruger" in codes
    assert "workspace.created" in codes
    ws = open_workspace(ws_path)
    assert ws.crs.to_epsg() == 4528
    parcels = ws.read("parcels")
    assert parcels["name"].tolist() == ["东园一号地块", "东园二号地块"]
    assert parcels["town"].tolist() == ["城东街道", "城东街道"]
    assert parcels["parcel_id"].iloc[0] == "330106001002GB00123W00000000"
    assert parcels.area.tolist() == pytest.approx([60_000.0, 15_000.0])
    assert (parcels.area / M2_PER_MU).iloc[0] == pytest.approx(90.0)
    log = ws.import_log()
    assert log["source"].tolist() == ["宗地.shp"] and log["rows_written"].tolist() == [2]


def test_txt_with_holes_and_multipart_gives_valid_polygons_with_right_areas(
        tmp_path, txt_with_holes_and_parts):
    ws_path = tmp_path / "w.gpkg"
    result = import_file(ws_path, "parcels", txt_with_holes_and_parts)
    assert result.written, result.report.to_text()
    parcels = open_workspace(ws_path).read("parcels").set_index("parcel_id")
    assert shapely.is_valid(parcels.geometry.values).all()
    holed, parts = parcels.geometry["P-1"], parcels.geometry["P-2"]
    # 400×300 − 100×100 = 110 000 m² = 11 公顷 (the header says 11.0000)
    assert holed.area == pytest.approx(110_000.0)
    assert len(holed.geoms) == 1 and len(holed.geoms[0].interiors) == 1
    assert parts.area == pytest.approx(20_000.0) and len(parts.geoms) == 2
    assert parcels.loc["P-1", "name"] == "东园带孔地块"
    assert parcels.loc["P-2", "land_use"] == "100101"
    assert "txt.area_unit" in result.report.codes("note")


def _enterprise_xlsx(path, rows):
    header = ["序号", "统一社会信用代码", "企业名称", "年度", "行业代码", "是否规上",
              "实缴税金（万元）", "营业收入（万元）", "工业增加值", "综合能耗"]
    table = pd.DataFrame(rows, columns=header)
    with pd.ExcelWriter(path, engine="openpyxl") as xl:
        pd.DataFrame([["示范县2025年度亩均效益评价企业名单"]]).to_excel(
            xl, index=False, header=False, startrow=0)
        table.to_excel(xl, index=False, startrow=2)
    return path


ENTERPRISES = [
    [1, "91350200776049653A", "甲精密机械有限公司", 2025, "C3411", "是", 320.5, 8800, 2100, 900],
    [2, "91350203M0001QAY9B", "乙新材料有限公司", 2025, "2614", "是", 100, 5000, 900, 3000],
    [3, "91440101MA5CJQ4N59", "丙物流有限公司", 2025, "5941", "否", -3, 600, 80, 10],
    [4, "913502000728319549", "丁电子有限公司", 2025, "3981", "否", 12, 700, 150, 20],
]


def test_enterprise_excel_with_chinese_headers_reports_bad_rows_per_row(tmp_path):
    xlsx = _enterprise_xlsx(tmp_path / "企业.xlsx", ENTERPRISES)
    ws_path = tmp_path / "w.gpkg"
    import_file(ws_path, "zones", _zones_file(tmp_path))  # a workspace to import into
    result = import_file(ws_path, "enterprises", xlsx)
    assert not result.written
    rejected = {i.row: i for i in result.report.issues if i.status == "rejected"}
    # Excel rows: title on row 1, blank row 2, header row 3, data from row 4
    assert set(rejected) == {5, 6}
    assert rejected[5].code == "value.credit_code" and "应为 9" in rejected[5].zh
    assert rejected[6].code == "value.negative_money" and rejected[6].field == "tax_wan"
    assert "enterprises" not in open_workspace(ws_path).layers()

    result = import_file(ws_path, "enterprises", xlsx, allow_rejects=True)
    assert result.written and result.rows_written == 2
    firms = open_workspace(ws_path).read("enterprises").set_index("credit_code")
    assert firms.loc["91350200776049653A", "tax_wan"] == 320.5
    assert firms.loc["91350200776049653A", "industry_code"] == "3411"
    assert bool(firms.loc["913502000728319549", "above_scale"]) is False
    assert "序号" in firms.columns  # unknown columns are kept, and noted
    assert "header.unmapped" in result.report.codes("note")


def _zones_file(tmp_path):
    zones = gpd.GeoDataFrame({"园区编号": ["KFQ"], "园区名称": ["示范经济开发区"], "级别": ["省级"]},
                             geometry=[box(X0 - 1000, Y0 - 1000, X0 + 5000, Y0 + 5000)], crs=4528)
    path = tmp_path / "zones.gpkg"
    zones.to_file(path)
    return path


def test_rejected_import_leaves_previous_layer(tmp_path, gbk_shapefile):
    ws_path = tmp_path / "w.gpkg"
    import_file(ws_path, "parcels", gbk_shapefile)
    bad = gpd.read_file(gbk_shapefile, encoding="GBK").assign(用途代码=["9999", "100102"])
    bad_path = tmp_path / "bad.gpkg"
    bad.set_crs(4528).to_file(bad_path)
    result = import_file(ws_path, "parcels", bad_path)
    assert not result.written
    assert "import.not_written" in result.report.codes("note")
    ws = open_workspace(ws_path)
    assert ws.read("parcels")["land_use"].tolist() == ["100102", "110101"]
    assert len(ws.import_log()) == 1


def test_supplies_table_joined_to_parcels_by_parcel_id(tmp_path, gbk_shapefile):
    ws_path = tmp_path / "w.gpkg"
    import_file(ws_path, "parcels", gbk_shapefile)
    csv = tmp_path / "供地.csv"
    pd.DataFrame({
        "电子监管号": ["S-1", "S-2"], "宗地编号": ["330106001002GB00123W00000000", "NOPE"],
        "签订日期": ["2019/3/1", "2019/3/1"], "供地方式": ["出让", "出让"], "土地用途": ["100102"] * 2,
        "成交价款(元)": ["2,700,000", "1000000"], "约定动工日期": ["2019-09-01"] * 2,
        "约定竣工日期": ["2021-09-01"] * 2,
    }).to_csv(csv, index=False, encoding="gbk")
    result = import_file(ws_path, "supplies", csv, allow_rejects=True)
    supplies = open_workspace(ws_path).read("supplies")
    assert supplies["supply_id"].tolist() == ["S-1"]
    assert supplies["price_wan"].iloc[0] == pytest.approx(270.0)  # 元 → 万元
    assert supplies.area.iloc[0] == pytest.approx(60_000.0)
    notes = [i for i in result.report.issues if i.code == "geometry.parcel_not_found"]
    assert notes[0].row == 3 and "NOPE" in notes[0].zh
    assert result.report.counts["rejected"] == 1


def test_points_table_in_lon_lat_reprojected_into_workspace(tmp_path, gbk_shapefile):
    ws_path = tmp_path / "w.gpkg"
    import_file(ws_path, "parcels", gbk_shapefile)
    csv = tmp_path / "设施.csv"
    pd.DataFrame({"设施编号": ["F1"], "设施类型": ["变电站"], "剩余容量": [20000],
                  "经度": [120.2], "纬度": [30.3]}).to_csv(csv, index=False)
    import_file(ws_path, "infrastructure", csv)
    fac = open_workspace(ws_path).read("infrastructure")
    assert fac.crs.to_epsg() == 4528 and fac["kind"].tolist() == ["substation"]
    assert 40_400_000 < fac.geometry.x.iloc[0] < 40_600_000


def test_convert_txt_to_gpkg_and_back_keeps_vertices_and_areas(tmp_path, txt_with_holes_and_parts):
    gpkg = tmp_path / "out.gpkg"
    report = convert(txt_with_holes_and_parts, gpkg)
    assert report.counts["rejected"] == 0
    layer = pyogrio.list_layers(gpkg)[0][0]
    back = gpd.read_file(gpkg, layer=layer)
    assert back.crs.to_epsg() == 4528
    assert sorted(back.area.round(3)) == [20_000.0, 110_000.0]
    txt = tmp_path / "again.txt"
    convert(gpkg, txt)
    again, _ = read_txt(txt)
    original, _ = read_txt(txt_with_holes_and_parts)
    for a, b in zip(original.geometry, again.geometry, strict=True):
        assert a.normalize().equals_exact(b.normalize(), 0.001)


def test_convert_refuses_plain_gauss_kruger_without_crs(tmp_path):
    gdf = gpd.GeoDataFrame({"a": [1]}, geometry=[box(520_000, 3_353_000, 520_100, 3_353_100)],
                           crs=4549)
    src = tmp_path / "plain.shp"
    gdf.to_file(src)
    src.with_suffix(".prj").unlink(missing_ok=True)
    with pytest.raises(CRSError):
        convert(src, tmp_path / "out.gpkg")
    assert not (tmp_path / "out.gpkg").exists()
    report = convert(src, tmp_path / "out.gpkg", crs="EPSG:4549")
    assert report.counts["read"] == 1 and (tmp_path / "out.gpkg").exists()


def test_convert_repairs_geometry_and_reports(tmp_path, bowtie):
    src = tmp_path / "bow.geojson"
    gpd.GeoDataFrame({"id": [1]}, geometry=[bowtie], crs=4528).to_file(src)
    report = convert(src, tmp_path / "fixed.gpkg")
    assert "geometry.made_valid" in report.codes("repaired")
    fixed = gpd.read_file(tmp_path / "fixed.gpkg")
    assert fixed.is_valid.all() and fixed.area.iloc[0] == pytest.approx(5_000.0, rel=1e-6)


def test_export_excel_has_chinese_headers_and_area_in_mu(tmp_path, gbk_shapefile):
    ws_path = tmp_path / "w.gpkg"
    import_file(ws_path, "parcels", gbk_shapefile)
    out = tmp_path / "宗地.xlsx"
    export_layer(open_workspace(ws_path), "parcels", out)
    sheet = pd.read_excel(out, dtype=str)
    assert "宗地编号 parcel_id" in sheet.columns
    assert "用地用海分类 land_use" in sheet.columns
    assert float(sheet["面积（亩）area_mu"].iloc[0]) == pytest.approx(90.0)


def test_unsupported_format_is_a_clear_error(tmp_path):
    path = tmp_path / "notes.docx"
    path.write_bytes(b"PK\x03\x04 not really")
    with pytest.raises(FormatError) as exc:
        import_file(tmp_path / "w.gpkg", "parcels", path)
    assert "无法识别" in exc.value.zh and "unrecognised" in exc.value.en


def test_point_layer_rejects_polygons_and_keeps_points(tmp_path):
    ws_path = tmp_path / "w.gpkg"
    src = tmp_path / "fac.gpkg"
    gpd.GeoDataFrame(
        {"facility_id": ["A", "B"], "kind": ["water", "gas"]},
        geometry=[Point(X0, Y0), box(X0, Y0, X0 + 10, Y0 + 10)], crs=4528,
    ).to_file(src)
    result = import_file(ws_path, "infrastructure", src, allow_rejects=True)
    assert result.rows_written == 1
    assert [i.code for i in result.report.issues if i.status == "rejected"] == [
        "geometry.wrong_type"]
