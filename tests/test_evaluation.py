"""The evaluation year as a whole: JSON document, Excel ledger (公示 lists), CLI."""

import json

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from gis.cli import app
from gis.evaluation import evaluate
from gis.evaluation.ledger import PUBLIC_COLUMNS, evaluation_json, write_evaluation_ledger
from gis.workspace import open_workspace
from layers import results
from layers.demo import DEMO_AS_OF, build_demo, write_demo


@pytest.fixture(scope="module")
def result():
    return evaluate(build_demo(), as_of=DEMO_AS_OF)


def test_latest_year_and_summary_counts(result):
    assert result.year == 2025
    firms = result.permu.enterprises
    graded = firms[firms["class"].notna()]
    assert result.summary["graded"] == len(graded)
    for group, counts in result.summary["classes"].items():
        assert set(counts) == {"A", "B", "C", "D"}
        assert sum(counts.values()) == int((graded["group"] == group).sum())
    assert result.summary["county"]["zone_id"] == "county"


def test_json_document_shape(result):
    doc = evaluation_json(result)
    assert list(doc) == ["year", "enterprises", "parcels", "zones", "summary"]
    assert doc["year"] == 2025
    zone_ids = [z["zone_id"] for z in doc["zones"]]
    assert zone_ids[-1] == "county" and "KFQ-DY" in zone_ids
    assert "land_supply_rate" in doc["zones"][0]
    json.dumps(doc, ensure_ascii=False)


def test_published_lists_carry_no_confidential_figures(result, tmp_path):
    path = write_evaluation_ledger(result, tmp_path / "亩均.xlsx")
    wb = load_workbook(path)
    assert wb.sheetnames[:2] == ["规上企业公示", "规下企业公示"]
    public = wb["规上企业公示"]
    headers = [c.value for c in public[2]]
    labels = {f.name: f.header for f in results["permu"].fields}
    assert headers == [labels[c] for c in PUBLIC_COLUMNS]
    confidential_figures = {f.header for f in results["permu"].fields
                            if f.confidential and f.name not in ("credit_code", "name")}
    assert not confidential_figures & set(headers)  # no tax, score or land figure published
    shown = {public.cell(row=r, column=headers.index(labels["class_name"]) + 1).value
             for r in range(3, public.max_row + 1)}
    assert shown == {"优先发展类", "鼓励提升类", "调整转型类", "整治淘汰类"}
    assert {"园区集约利用", "园区亩均汇总", "乡镇亩均汇总", "差别化措施", "依据"} <= set(wb.sheetnames)
    towns = wb["乡镇亩均汇总"]
    assert [c.value for c in towns[2]][:2] == ["乡镇街道 town", "企业数 firms"]


def test_cli_evaluate_writes_layers(tmp_path):
    ws_path = write_demo(tmp_path / "demo.gpkg")
    run = CliRunner().invoke(app, ["evaluate", "-w", str(ws_path), "-f", "json"])
    assert run.exit_code == 0, run.output
    doc = json.loads(run.stdout)
    assert doc["year"] == 2025
    ws = open_workspace(ws_path)
    assert {"permu_parcels", "zone_indicators"} <= set(ws.layers())
    assert len(ws.read("zone_indicators")) == len(doc["zones"])
    xlsx = tmp_path / "e.xlsx"
    run = CliRunner().invoke(app, ["evaluate", "-w", str(ws_path), "--year", "2024", "-f", "xlsx",
                                   "-o", str(xlsx), "--no-write"])
    assert run.exit_code == 0, run.output
    assert "2024年度" in load_workbook(xlsx)["规上企业公示"]["A1"].value


def test_evaluation_without_enterprises_says_what_to_import():
    from gis.errors import ValidationError
    from gis.evaluation import evaluate
    from layers.demo import build_demo

    layers = {k: v for k, v in build_demo().items() if k != "enterprises"}
    with pytest.raises(ValidationError) as err:
        evaluate(layers, as_of="2026-09-30")
    assert "enterprises" in err.value.en and "企业名单" in err.value.zh
