"""gis.io.vector: raw reading (GBK shapefiles, zips, GeoPackage layers, GeoJSON, GeoParquet)
and writing (short shapefile names with an alias table, RFC 7946 GeoJSON, dates)."""

from __future__ import annotations

import csv
import datetime as dt
import json
import warnings
import zipfile
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
from shapely.geometry import Point, box

from gis.errors import CRSError, FormatError
from gis.io import vector
from gis.io.vector import list_layers, read_field_table, read_vector, write_vector

NAMES = ["宗地编号", "地类名称", "坐落"]
VALUES = {
    "宗地编号": ["JD-001", "JD-002", "JD-003"],
    "地类名称": ["工业用地", "仓储用地", "商业服务业用地"],
    "坐落": ["城关镇工业园区", "经济开发区纬三路", "鼓楼街道"],
}


def parcels(crs: int = 4528) -> gpd.GeoDataFrame:
    """Three parcels in CGCS2000 3° zone 40 (with prefix) and Chinese fields."""
    geoms = [
        box(40_500_000 + i * 100, 2_700_000, 40_500_080 + i * 100, 2_700_050) for i in range(3)
    ]
    return gpd.GeoDataFrame({**VALUES, "面积": [4000.0, 4000.0, 4000.0]}, geometry=geoms, crs=crs)


def gbk_shapefile(folder: Path, *, cpg: str | None = None, ldid: int | None = None) -> Path:
    """A GBK shapefile as old Chinese tools write it: no .cpg unless ``cpg`` says one."""
    path = folder / "宗地.shp"
    pyogrio.write_dataframe(parcels(), path, encoding="GBK")
    path.with_suffix(".cpg").unlink()
    if cpg is not None:
        path.with_suffix(".cpg").write_text(cpg, encoding="ascii")
    if ldid is not None:
        dbf = path.with_suffix(".dbf")
        data = bytearray(dbf.read_bytes())
        data[29] = ldid
        dbf.write_bytes(bytes(data))
    return path


def assert_chinese(gdf: gpd.GeoDataFrame) -> None:
    assert [c for c in gdf.columns if c in NAMES] == NAMES
    for name in NAMES:
        assert gdf[name].tolist() == VALUES[name]
    assert gdf["_row"].tolist() == [1, 2, 3]


def only(notes: list, code: str):
    hits = [n for n in notes if n.code == code]
    assert len(hits) == 1, [n.code for n in notes]
    return hits[0]


# -- shapefile encodings ----------------------------------------------------------------------
@pytest.mark.parametrize("ldid", [None, 0x57, 0x03], ids=["no-ldid", "ldid-ansi", "ldid-1252"])
def test_gbk_shapefile_without_cpg_is_detected(tmp_path, ldid):
    path = gbk_shapefile(tmp_path, ldid=ldid)
    assert not path.with_suffix(".cpg").exists()
    gdf, notes = read_vector(path)
    assert_chinese(gdf)
    note = only(notes, "encoding.detected")
    assert note.value == "GB18030"
    assert "编码检测为 GBK" in note.zh and "GBK" in note.en
    if ldid is None:
        assert "未声明" in note.zh
    else:
        assert "CP1252" in note.zh and f"0x{ldid:02X}" in note.en
    assert gdf.crs.to_epsg() == 4528


def test_gbk_shapefile_with_lying_utf8_cpg(tmp_path):
    path = gbk_shapefile(tmp_path, cpg="UTF-8")
    gdf, notes = read_vector(path)
    assert_chinese(gdf)
    note = only(notes, "encoding.detected")
    assert note.value == "GB18030"
    assert "DBF 声明为 UTF-8" in note.zh and "与内容不符" in note.zh
    assert "declares UTF-8 (.cpg file)" in note.en


def test_gbk_shapefile_with_correct_cpg(tmp_path):
    path = gbk_shapefile(tmp_path, cpg="GBK")
    gdf, notes = read_vector(path)
    assert_chinese(gdf)
    note = only(notes, "encoding.declared")
    assert note.value == "GB18030" and "GBK（.cpg 文件）" in note.zh


def test_explicit_encoding_overrides_detection(tmp_path):
    path = gbk_shapefile(tmp_path, cpg="UTF-8")
    gdf, notes = read_vector(path, encoding="CP936")
    assert_chinese(gdf)
    assert only(notes, "encoding.given").value == "CP936"


def test_utf8_shapefile(tmp_path):
    path = tmp_path / "utf8.shp"
    short = gpd.GeoDataFrame(
        {"名称": ["工业用地", "仓储"], "code": ["0101", "1001"]},
        geometry=[Point(120.1, 30.2), Point(120.2, 30.3)],
        crs=4490,
    )
    pyogrio.write_dataframe(short, path)  # GDAL's default: UTF-8 with a .cpg
    gdf, notes = read_vector(path)
    assert gdf["名称"].tolist() == ["工业用地", "仓储"]
    assert gdf["code"].tolist() == ["0101", "1001"]  # text stays text
    assert only(notes, "encoding.declared").value == "UTF-8"
    # and without the .cpg the bytes still say UTF-8
    path.with_suffix(".cpg").unlink()
    gdf, notes = read_vector(path)
    assert gdf["名称"].tolist() == ["工业用地", "仓储"]
    assert only(notes, "encoding.detected").value == "UTF-8"


def test_utf8_field_names_cut_mid_character_by_gdal(tmp_path):
    # GDAL cuts '宗地编号' (12 UTF-8 bytes) at 10 bytes, leaving half a character that strict
    # decoding refuses; the reader drops the broken bytes and says so
    path = tmp_path / "cut.shp"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # GDAL's "Normalized/laundered field name" remark
        pyogrio.write_dataframe(parcels(), path)
    gdf, notes = read_vector(path)
    assert "宗地编" in gdf.columns and "地类名" in gdf.columns
    assert gdf["地类名"].tolist() == VALUES["地类名称"]
    assert gdf["坐落"].tolist() == VALUES["坐落"]
    assert "残缺" in only(notes, "encoding.damaged_text").zh


def test_western_declaration_trusted_only_when_neither_utf8_nor_gbk_decode(tmp_path):
    path = tmp_path / "west.shp"
    gdf = gpd.GeoDataFrame(
        {"name": ["café au lait", "Zürich"]}, geometry=[Point(1, 2)] * 2, crs=4326
    )
    pyogrio.write_dataframe(gdf, path, encoding="cp1252")
    back, notes = read_vector(path)
    assert back["name"].tolist() == ["café au lait", "Zürich"]
    note = only(notes, "encoding.declared")
    assert note.value == "CP1252" and "既不是 UTF-8 也不是 GBK" in note.zh


# -- zips -------------------------------------------------------------------------------------
class _CP936Name(zipfile.ZipInfo):
    """A member named in CP936 without the UTF-8 flag, as Chinese Windows zips them."""

    def _encodeFilenameFlags(self):  # zipfile's (private) hook for the name's bytes
        return self.filename.encode("cp936"), self.flag_bits


def zip_shapefile(shp: Path, zpath: Path, inner: str, *, cp936: bool = False, mode: str = "w"):
    with zipfile.ZipFile(zpath, mode, zipfile.ZIP_DEFLATED) as zf:
        for f in sorted(shp.parent.glob(shp.stem + ".*")):
            name = f"{inner}{f.suffix}"
            info = _CP936Name(name) if cp936 else zipfile.ZipInfo(name)
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, f.read_bytes())


def test_gbk_shapefile_inside_zip_with_cp936_member_names(tmp_path):
    shp = gbk_shapefile(tmp_path)  # no .cpg
    zpath = tmp_path / "宗地图.zip"
    zip_shapefile(shp, zpath, "成果/宗地图", cp936=True)
    gdf, notes = read_vector(zpath)
    assert_chinese(gdf)
    assert only(notes, "zip.member").zh == "读取压缩包中的 成果/宗地图.shp"
    assert only(notes, "encoding.detected").value == "GB18030"
    assert list_layers(zpath) == ["宗地图"]
    # the Chinese stem picks it, too
    gdf, _ = read_vector(zpath, layer="宗地图")
    assert len(gdf) == 3


def test_zip_with_two_shapefiles_needs_layer(tmp_path):
    shp = gbk_shapefile(tmp_path)
    roads = tmp_path / "roads.shp"
    pyogrio.write_dataframe(
        gpd.GeoDataFrame({"name": ["纬三路"]}, geometry=[Point(1, 1)], crs=4490), roads
    )
    zpath = tmp_path / "two.zip"
    zip_shapefile(shp, zpath, "parcels")
    zip_shapefile(roads, zpath, "roads", mode="a")
    assert sorted(list_layers(zpath)) == ["parcels", "roads"]
    with pytest.raises(FormatError) as err:
        read_vector(zpath)
    assert "parcels" in err.value.zh and "roads" in err.value.zh and "layer" in err.value.en
    gdf, _ = read_vector(zpath, layer="roads")
    assert gdf["name"].tolist() == ["纬三路"]
    gdf, _ = read_vector(zpath, layer="parcels")
    assert_chinese(gdf)
    with pytest.raises(FormatError, match="rivers"):
        read_vector(zpath, layer="rivers")


@pytest.mark.parametrize("evil", ["../../etc/evil.shp", "/etc/evil.shp", "a/../../evil.dbf"])
def test_zip_path_traversal_is_refused(tmp_path, evil):
    zpath = tmp_path / "evil.zip"
    with zipfile.ZipFile(zpath, "w") as zf:
        zf.writestr("ok.txt", "fine")
        zf.writestr(evil, b"\x00" * 10)
    with pytest.raises(FormatError) as err:
        read_vector(zpath)
    assert "不安全的路径" in err.value.zh and evil in err.value.en


def test_zip_bomb_is_refused(tmp_path, monkeypatch):
    zpath = tmp_path / "bomb.zip"
    with zipfile.ZipFile(zpath, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("bomb.dbf", b"\x00" * 2_000_000)  # ~1000:1
    monkeypatch.setattr(vector, "ZIP_RATIO_FLOOR_BYTES", 1_000_000)
    with pytest.raises(FormatError) as err:
        read_vector(zpath)
    assert "压缩比" in err.value.zh and "zip bomb" in err.value.en
    monkeypatch.setattr(vector, "ZIP_RATIO_FLOOR_BYTES", 10**12)
    monkeypatch.setattr(vector, "MAX_UNZIPPED_BYTES", 1_000_000)
    with pytest.raises(FormatError, match="2 GB"):
        read_vector(zpath)


def test_zip_with_a_geopackage_inside(tmp_path):
    gpkg = tmp_path / "inner.gpkg"
    write_vector(parcels(), gpkg, layer="parcels")
    zpath = tmp_path / "gpkg.zip"
    with zipfile.ZipFile(zpath, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.write(gpkg, "data/inner.gpkg")
    assert list_layers(zpath) == ["parcels"]
    gdf, _ = read_vector(zpath)
    assert_chinese(gdf)


def test_zip_without_data_is_refused(tmp_path):
    zpath = tmp_path / "docs.zip"
    with zipfile.ZipFile(zpath, "w") as zf:
        zf.writestr("readme.txt", "说明")
    with pytest.raises(FormatError, match="no shapefile"):
        read_vector(zpath)


# -- GeoPackage, GeoJSON, GeoParquet ------------------------------------------------------------
def test_geopackage_with_two_layers(tmp_path):
    path = tmp_path / "county.gpkg"
    write_vector(parcels(), path, layer="parcels")
    write_vector(parcels().head(1), path, layer="zones")
    assert sorted(list_layers(path)) == ["parcels", "zones"]
    with pytest.raises(FormatError) as err:
        read_vector(path)
    assert "parcels" in err.value.zh and "zones" in err.value.zh
    gdf, notes = read_vector(path, layer="parcels")
    assert_chinese(gdf)
    assert notes == []
    assert gdf.crs.to_epsg() == 4528
    zones, _ = read_vector(path, layer="zones")
    assert len(zones) == 1
    with pytest.raises(FormatError, match="roads"):
        read_vector(path, layer="roads")


def test_geopackage_with_one_spatial_layer_and_a_style_table(tmp_path):
    path = tmp_path / "styled.gpkg"
    write_vector(parcels(), path, layer="parcels")
    pyogrio.write_dataframe(pd.DataFrame({"styleName": ["默认"]}), path, layer="layer_styles")
    gdf, _ = read_vector(path)  # the attribute table does not make it ambiguous
    assert_chinese(gdf)


def test_geojson(tmp_path):
    path = tmp_path / "pts.geojson"
    path.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {"名称": "一号地块", "code": "0101"},
                        "geometry": {"type": "Point", "coordinates": [118.1, 24.5]},
                    },
                    {
                        "type": "Feature",
                        "properties": {"名称": "二号地块", "code": "1001"},
                        "geometry": None,
                    },
                ],
            },
            ensure_ascii=False,
        ),
        encoding="utf-8",
    )
    gdf, notes = read_vector(path)
    assert gdf["名称"].tolist() == ["一号地块", "二号地块"]
    assert gdf["code"].tolist() == ["0101", "1001"]
    assert gdf.crs.equals(4326) or gdf.crs.equals("OGC:CRS84")
    assert gdf.geometry.iloc[0].equals(Point(118.1, 24.5)) and gdf.geometry.iloc[1] is None
    assert gdf["_row"].tolist() == [1, 2] and notes == []


def dated() -> gpd.GeoDataFrame:
    gdf = parcels()
    gdf["supplied_on"] = [dt.date(2019, 3, 15), None, dt.date(2021, 12, 31)]
    gdf["checked_at"] = pd.to_datetime(["2024-05-01 09:30", None, "2024-06-02 16:00"])
    return gdf


@pytest.mark.parametrize("suffix", [".gpkg", ".parquet"])
def test_round_trip_keeps_values_and_dates(tmp_path, suffix):
    path = tmp_path / f"parcels{suffix}"
    assert write_vector(dated(), path) == []
    gdf, _ = read_vector(path)
    assert_chinese(gdf)
    assert gdf["supplied_on"].tolist() == [dt.date(2019, 3, 15), None, dt.date(2021, 12, 31)]
    checked = gdf["checked_at"]
    assert checked.iloc[0] == pd.Timestamp("2024-05-01 09:30") and pd.isna(checked.iloc[1])
    assert checked.iloc[2] == pd.Timestamp("2024-06-02 16:00")
    assert gdf.crs.to_epsg() == 4528
    assert gdf.geometry.geom_equals(parcels().geometry).all()


def test_plain_parquet_is_refused(tmp_path):
    path = tmp_path / "table.parquet"
    pd.DataFrame({"a": [1, 2]}).to_parquet(path)
    with pytest.raises(FormatError) as err:
        read_vector(path)
    assert "GeoParquet" in err.value.zh and "geo" in err.value.en


def test_unsupported_and_missing_files(tmp_path):
    with pytest.raises(FormatError, match="unsupported"):
        read_vector(tmp_path / "a.dwg")
    with pytest.raises(FormatError, match="no such file"):
        read_vector(tmp_path / "missing.gpkg")


def test_own_row_column_is_replaced(tmp_path):
    path = tmp_path / "rows.gpkg"
    write_vector(parcels().assign(_row=[7, 8, 9]), path)
    gdf, notes = read_vector(path)
    assert gdf["_row"].tolist() == [1, 2, 3]
    assert only(notes, "row.replaced")


# -- writing shapefiles and GeoJSON -------------------------------------------------------------
def test_write_shapefile_maps_long_and_chinese_names(tmp_path):
    gdf = dated()
    gdf["owner_credit_code"] = ["91350200776049653A", "91350203MA2Y0QW21B", None]
    gdf["plot_ratio_min"] = [1.0, 1.2, 1.5]
    gdf["plot_ratio_max"] = [2.0, 2.5, 3.0]
    path = tmp_path / "out" / "宗地.shp"
    aliases = {"owner_credit_code": "权利人统一社会信用代码", "plot_ratio_min": "容积率下限"}
    notes = write_vector(gdf, path, aliases=aliases)

    note = only(notes, "shp.fields_renamed")
    assert "宗地编号→F1" in note.zh and "owner_credit_code → owner_cred" in note.en
    assert path.with_suffix(".cpg").read_text() == "UTF-8"
    with (path.parent / "宗地_fields.csv").open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    table = {r["name"]: r for r in rows}
    assert list(rows[0]) == ["shp_name", "name", "alias"]
    assert table["宗地编号"]["shp_name"] == "F1"
    assert table["owner_credit_code"] == {
        "shp_name": "owner_cred",
        "name": "owner_credit_code",
        "alias": "权利人统一社会信用代码",
    }
    assert table["plot_ratio_min"]["shp_name"] == "plot_ratio"
    assert table["plot_ratio_max"]["shp_name"] == "plot_rat_2"  # unique after truncation
    assert table["plot_ratio_min"]["alias"] == "容积率下限"
    assert table["supplied_on"]["shp_name"] == "supplied_o"
    assert all(len(r["shp_name"].encode()) <= 10 and r["shp_name"].isascii() for r in rows)

    back, notes = read_vector(path)
    assert only(notes, "shp.field_table").value == "宗地_fields.csv"
    restored = back.rename(columns=read_field_table(path))
    assert_chinese(restored)
    assert restored["owner_credit_code"].tolist()[:2] == [
        "91350200776049653A",
        "91350203MA2Y0QW21B",
    ]
    assert restored["plot_ratio_max"].tolist() == [2.0, 2.5, 3.0]
    assert restored["supplied_on"].tolist() == [dt.date(2019, 3, 15), None, dt.date(2021, 12, 31)]


def test_write_zipped_shapefile(tmp_path):
    path = tmp_path / "export.zip"
    notes = write_vector(parcels(), path, layer="parcels")
    assert only(notes, "shp.fields_renamed")
    with zipfile.ZipFile(path) as zf:
        names = set(zf.namelist())
    assert {"parcels.shp", "parcels.dbf", "parcels.cpg", "parcels_fields.csv"} <= names
    gdf, _ = read_vector(path)
    assert gdf["F2"].tolist() == VALUES["地类名称"]


def test_write_geojson_in_wgs84(tmp_path):
    gdf = gpd.GeoDataFrame(
        {"名称": ["中央经线上的点"]}, geometry=[Point(40_500_000, 2_700_000)], crs=4528
    )
    path = tmp_path / "out.geojson"
    notes = write_vector(gdf, path)
    assert "EPSG:4326" in only(notes, "geojson.reprojected").zh
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert "crs" not in doc  # RFC 7946: always WGS 84 longitude/latitude
    lon, lat = doc["features"][0]["geometry"]["coordinates"]
    assert lon == pytest.approx(120.0, abs=1e-6)  # zone 40's central meridian
    assert lat == pytest.approx(24.40, abs=0.01)
    assert doc["features"][0]["properties"]["名称"] == "中央经线上的点"
    back, _ = read_vector(path)
    assert back.crs.equals(4326)


def test_write_geojson_without_crs_is_refused(tmp_path):
    gdf = gpd.GeoDataFrame({"a": [1]}, geometry=[Point(1, 2)])
    with pytest.raises(CRSError):
        write_vector(gdf, tmp_path / "x.geojson")
