"""`dideng match`: a stored project or a request from the options; clear errors."""

import json

import pytest
from typer.testing import CliRunner

from gis.cli import app
from layers.demo import write_demo

runner = CliRunner()


@pytest.fixture(scope="module")
def ws(tmp_path_factory):
    return write_demo(tmp_path_factory.mktemp("m") / "demo.gpkg")


def run(*args):
    return runner.invoke(app, ["match", *map(str, args)])


def test_stored_project_as_json(ws):
    result = run("--project", "XM2026001", "-w", ws, "-f", "json")
    assert result.exit_code == 0, result.output
    answer = json.loads(result.stdout)
    assert answer["as_of"] == "2026-09-30" and answer["project"]["project_id"] == "XM2026001"
    assert [s["rank"] for s in answer["sites"]] == list(range(1, len(answer["sites"]) + 1))
    top = answer["sites"][0]
    assert top["net_area_mu"] >= 40 and top["area_mu"] <= 2 * 60
    assert set(top["checks"].values()) <= {"pass", "unknown"}
    assert top["explanation"] and top["explanation_en"]


def test_request_from_options_and_geojson(ws):
    result = run("--need-mu", "30-50", "--land-use", "100102", "--investment", "15000",
                 "-w", ws, "-f", "geojson", "--top-k", "3")
    assert result.exit_code == 0, result.output
    features = json.loads(result.stdout)["features"]
    assert 1 <= len(features) <= 3
    assert features[0]["geometry"]["type"] in ("Polygon", "MultiPolygon")
    assert features[0]["properties"]["rank"] == 1


def test_impossible_project_explains_and_table_prints(ws):
    result = run("--project", "XM2026010", "-w", ws)
    assert result.exit_code == 0
    assert "没有满足全部硬性条件的地块" in result.output


@pytest.mark.parametrize(
    ("args", "words"),
    [(("--project", "NOPE"), "NOPE"),
     (("--need-mu", "30-50"), "--land-use"),
     (("--need-mu", "30-50", "--land-use", "9999", "--investment", "1"), "9999")],
)
def test_bad_requests_are_clear_errors(ws, args, words):
    result = run(*args, "-w", ws)
    assert result.exit_code == 2 and words in result.output
    assert "Traceback" not in result.output
