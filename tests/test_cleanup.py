"""The clean-up as a whole: placement by park and town, summary, ledger, JSON, CLI."""

import json

import geopandas as gpd
import pandas as pd
import pytest
from openpyxl import load_workbook
from shapely.geometry import box
from typer.testing import CliRunner

from gis.cleanup import cleanup, place_rows
from gis.cleanup.ledger import cleanup_json, write_cleanup_ledger
from gis.cli import app
from gis.policy import Policy
from gis.workspace import open_workspace
from layers.demo import DEMO_AS_OF, build_demo, write_demo

X0, Y0 = 40_520_000.0, 3_353_000.0


@pytest.fixture(scope="module")
def demo():
    return build_demo()


@pytest.fixture(scope="module")
def result(demo):
    return cleanup(demo, DEMO_AS_OF, Policy.load())


def test_place_rows_picks_the_smallest_containing_zone_and_the_parcel_town():
    zones = gpd.GeoDataFrame(
        {"zone_id": ["KFQ", "KFQ-DY"], "name": ["区", "东园"], "level": ["provincial"] * 2,
         "parent_id": [None, "KFQ"], "town": ["城关镇", "城东街道"]},
        geometry=[box(X0, Y0, X0 + 1000, Y0 + 1000), box(X0, Y0, X0 + 400, Y0 + 400)], crs=4528)
    parcels = gpd.GeoDataFrame({"parcel_id": ["P"], "town": ["东城街道"]},
                               geometry=[box(X0, Y0, X0 + 100, Y0 + 100)], crs=4528)
    rows = gpd.GeoDataFrame({"x": [1, 2, 3]}, geometry=[
        box(X0 + 10, Y0 + 10, X0 + 20, Y0 + 20),      # in the parcel and in 东园
        box(X0 + 200, Y0 + 200, X0 + 210, Y0 + 210),  # in 东园, no parcel: the zone's town
        box(X0 + 5000, Y0, X0 + 5010, Y0 + 10),       # outside everything
    ], crs=4528)
    placed = place_rows(rows, parcels, zones)
    assert placed["zone_id"].tolist()[:2] == ["KFQ-DY", "KFQ-DY"]  # the park, not the parent zone
    assert pd.isna(placed["zone_id"].iloc[2])
    assert placed["town"].tolist()[:2] == ["东城街道", "城东街道"]


def test_summary_adds_up(result):
    s = result.summary
    assert s["idle"]["count"] == len(result.idle) > 0
    assert s["idle"]["fee_wan"] == pytest.approx(result.idle["fee_wan"].sum())
    assert s["idle"]["type_A"] + s["idle"]["type_B"] == s["idle"]["count"]
    assert s["watch"]["count"] == len(result.watch) > 0
    assert s["unsupplied"]["approved_mu"] == pytest.approx(
        s["unsupplied"]["supplied_mu"] + s["unsupplied"]["unsupplied_mu"], rel=1e-6)
    assert s["low_efficiency"]["count"] == len(result.low_efficiency) > 0
    by_zone = result.by("zone_id")
    total = by_zone.iloc[-1]
    assert total["zone_id"] == "合计 total"
    assert total["idle_count"] == len(result.idle)
    assert total["idle_fee_wan"] == pytest.approx(result.idle["fee_wan"].sum())
    assert total["low_count"] == len(result.low_efficiency)
    # every row of the demo lies in a park
    assert result.idle["zone_id"].notna().all()
    assert result.low_efficiency["zone_id"].notna().all()


def test_every_action_and_reason_occurs_on_the_demo(result):
    assert {"levy_fee", "take_back", "negotiate"} <= set(result.idle["action"])
    assert set(result.watch["action"]) == {"watch"}
    assert {"full", "partial", "none"} == set(result.unsupplied.batches["status"])
    assert result.unsupplied.batches["lapsed"].any()
    reasons = set(result.low_efficiency["reasons"].str.split(";").explode())
    # permu_class_D comes from the 亩均 evaluation cleanup() runs for the latest year
    assert reasons == {"plot_ratio_below_min", "coverage_below_min", "tax_per_mu_below_min",
                       "permu_class_D", "dilapidated", "nonconforming_use"}


def test_permu_class_d_owners_are_the_evaluations_d_class(demo, result):
    from gis.evaluation.permu import classes, permu

    evaluation = permu(demo["enterprises"], demo["parcels"], demo["tenancies"],
                       buildings=demo["buildings"], year=2025)
    d_class = set(classes(evaluation).query("`class` == 'D'")["credit_code"])
    flagged = result.low_efficiency[result.low_efficiency["reasons"].str.contains("permu_class_D")]
    assert len(flagged) > 0
    assert set(flagged["owner_credit_code"]) <= d_class
    assert (flagged["permu_class"] == "D").all()


def test_ledger_has_chinese_headers_frozen_rows_and_formats(result, tmp_path):
    path = write_cleanup_ledger(result, tmp_path / "台账.xlsx", zone_names={"KFQ-DY": "东园"})
    wb = load_workbook(path)
    assert wb.sheetnames == ["汇总-园区", "汇总-乡镇", "闲置土地", "闲置预警", "批而未供批次",
                             "批而未供地块", "低效用地", "近五年供地率", "依据"]
    idle = wb["闲置土地"]
    headers = [c.value for c in idle[2]]
    assert "供地编号 supply_id" in headers and "面积（亩）area_mu" in headers
    assert "土地闲置费（万元）fee_wan" in headers
    assert idle.freeze_panes == "A3"
    assert "2026-09-30" in idle["A1"].value
    col = headers.index("处置建议 action") + 1
    shown = {idle.cell(row=r, column=col).value for r in range(3, idle.max_row + 1)}
    assert {"征缴土地闲置费", "无偿收回", "协商处置"} <= shown  # codes shown as Chinese labels
    fee_col = headers.index("土地闲置费（万元）fee_wan") + 1
    assert idle.cell(row=3, column=fee_col).number_format == "#,##0.00"
    assert idle.max_row - 2 == len(result.idle)
    zone_sheet = wb["汇总-园区"]
    names = [c.value for c in zone_sheet["B"]][2:]
    assert "东园" in names


def test_json_document_shape(result):
    doc = cleanup_json(result)
    assert list(doc) == ["as_of", "idle", "watch", "unsupplied", "low_efficiency", "summary"]
    assert doc["as_of"] == "2026-09-30"
    assert set(doc["unsupplied"]) == {"batches", "pieces", "five_year"}
    first = doc["idle"][0]
    assert "geometry" not in first and first["idle_since"][:4].isdigit()
    json.dumps(doc, ensure_ascii=False)  # serialisable as it is
    with_geom = cleanup_json(result, with_geometry=True)
    lon, lat = with_geom["idle"][0]["geometry"]["coordinates"][0][0][0]
    assert 119 < lon < 120.5 and 30 < lat < 31  # CRS84, in the demo county


def test_cli_cleanup_writes_layers_and_formats(tmp_path):
    ws_path = write_demo(tmp_path / "demo.gpkg")
    runner = CliRunner()
    result = runner.invoke(app, ["cleanup", "-w", str(ws_path), "--format", "json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["as_of"] == "2026-09-30"  # the demo's reference day by default
    ws = open_workspace(ws_path)
    assert {"idle", "unsupplied_batches", "unsupplied_pieces", "low_efficiency"} <= set(
        ws.layers())
    stored = ws.read("idle")
    assert len(stored) == len(doc["idle"]) + len(doc["watch"])
    assert str(stored["idle_since"].dtype).startswith("datetime64")
    xlsx = tmp_path / "ledger.xlsx"
    result = runner.invoke(app, ["cleanup", "-w", str(ws_path), "--format", "xlsx", "--out",
                                 str(xlsx), "--as-of", "2026-12-31", "--no-write"])
    assert result.exit_code == 0, result.output
    assert "2026-12-31" in load_workbook(xlsx)["闲置土地"]["A1"].value
    bad = runner.invoke(app, ["cleanup", "-w", str(ws_path), "--as-of", "yesterday"])
    assert bad.exit_code == 2 and "--as-of" in bad.output


def test_cli_policy_file_changes_the_result(tmp_path):
    ws_path = write_demo(tmp_path / "demo.gpkg")
    strict = tmp_path / "county.toml"
    strict.write_text("[idle]\nwatch_days = 365\n", encoding="utf-8")
    runner = CliRunner()
    base = json.loads(runner.invoke(app, ["cleanup", "-w", str(ws_path), "-f", "json",
                                          "--no-write"]).stdout)
    wide = json.loads(runner.invoke(app, ["cleanup", "-w", str(ws_path), "-f", "json",
                                          "--no-write", "--policy", str(strict)]).stdout)
    assert len(wide["watch"]) > len(base["watch"])
