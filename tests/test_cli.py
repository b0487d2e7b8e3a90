"""The `dideng` command line: exit codes, reports, no tracebacks."""

import geopandas as gpd
import pyogrio
import pytest
from shapely.geometry import box
from typer.testing import CliRunner

from gis.cli import app
from gis.workspace import open_workspace
from tests.conftest import X0, Y0

runner = CliRunner()


def run(*args):
    result = runner.invoke(app, [str(a) for a in args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


def test_import_creates_workspace_and_prints_report(tmp_path, gbk_shapefile):
    ws = tmp_path / "county.gpkg"
    result = run("import", "parcels", gbk_shapefile, "--workspace", ws)
    assert result.exit_code == 0, result.output
    assert "读取 2 行" in result.output and "read 2 rows" in result.output
    assert "编码检测为 GBK" in result.output
    assert open_workspace(ws).read("parcels")["name"].tolist() == ["东园一号地块", "东园二号地块"]


def test_import_with_chinese_layer_name(tmp_path, txt_with_holes_and_parts):
    ws = tmp_path / "w.gpkg"
    result = run("import", "宗地", txt_with_holes_and_parts, "-w", ws)
    assert result.exit_code == 0, result.output
    assert sorted(open_workspace(ws).read("parcels").area.round(3)) == [20_000.0, 110_000.0]


def test_rejected_rows_exit_non_zero_unless_allowed(tmp_path, gbk_shapefile):
    bad = gpd.read_file(gbk_shapefile, encoding="GBK").set_crs(4528).assign(
        用途代码=["9999", "100102"])
    src = tmp_path / "bad.gpkg"
    bad.to_file(src)
    ws = tmp_path / "w.gpkg"
    rejects = tmp_path / "rejects.xlsx"
    result = run("import", "parcels", src, "-w", ws, "--rejects", rejects)
    assert result.exit_code == 1
    assert "9999" in result.output and "导入未执行" in result.output
    assert rejects.exists()
    result = run("import", "parcels", src, "-w", ws, "--allow-rejects")
    assert result.exit_code == 0
    assert open_workspace(ws).read("parcels")["land_use"].tolist() == ["100102"]


def test_validate_does_not_write(tmp_path, gbk_shapefile):
    result = run("validate", gbk_shapefile, "--layer", "parcels")
    assert result.exit_code == 0 and "正常 2" in result.output
    assert not list(tmp_path.glob("*.gpkg"))


def test_convert_refuses_unplaceable_coordinates_with_message(tmp_path):
    src = tmp_path / "plain.geojson"
    gpd.GeoDataFrame({"a": [1]}, geometry=[box(520_000, 3_353_000, 520_100, 3_353_100)],
                     crs=4549).to_file(src)
    raw = src.read_text().replace('"crs"', '"_crs"')  # strip the CRS: GeoJSON then means CRS84
    src.write_text(raw)
    result = run("convert", src, tmp_path / "out.txt")
    assert result.exit_code == 2
    assert "--crs" in result.output and "Traceback" not in result.output
    result = run("convert", src, tmp_path / "out.txt", "--crs", "EPSG:4549")
    assert result.exit_code == 0, result.output
    assert "[地块坐标]" in (tmp_path / "out.txt").read_bytes().decode("gbk")


def test_convert_txt_to_shapefile(tmp_path, txt_with_holes_and_parts):
    out = tmp_path / "out.shp"
    result = run("convert", txt_with_holes_and_parts, out)
    assert result.exit_code == 0, result.output
    gdf = gpd.read_file(out)
    assert sorted(gdf.area.round(3)) == [20_000.0, 110_000.0]


@pytest.mark.parametrize("fmt", ["gpkg", "geojson", "shp", "txt", "xlsx"])
def test_export_formats(tmp_path, gbk_shapefile, fmt):
    ws = tmp_path / "w.gpkg"
    run("import", "parcels", gbk_shapefile, "-w", ws)
    out = tmp_path / f"parcels.{fmt}"
    result = run("export", "parcels", "--format", fmt, "--out", out, "-w", ws)
    assert result.exit_code == 0, result.output
    assert out.exists()
    if fmt in ("gpkg", "geojson", "shp"):
        back = gpd.read_file(out)
        assert len(back) == 2
    if fmt == "gpkg":
        assert pyogrio.read_info(out)["crs"] == "EPSG:4528"


def test_unknown_layer_is_a_clear_error(tmp_path, gbk_shapefile):
    result = run("import", "nothing", gbk_shapefile, "-w", tmp_path / "w.gpkg")
    assert result.exit_code == 2
    assert "未知图层" in result.output and "unknown layer" in result.output


def test_layers_lists_catalogue_and_counts(tmp_path, gbk_shapefile):
    ws = tmp_path / "w.gpkg"
    run("import", "parcels", gbk_shapefile, "-w", ws)
    result = run("layers", "-w", ws)
    assert result.exit_code == 0
    assert "宗地" in result.output and "parcels" in result.output and "EPSG:4528" in result.output


def test_bad_workspace_file_is_a_clear_error(tmp_path):
    fake = tmp_path / "fake.gpkg"
    fake.write_text("not a database")
    result = run("layers", "-w", fake)
    assert result.exit_code == 3 and "Traceback" not in result.output
    assert X0 and Y0  # fixtures module imported
