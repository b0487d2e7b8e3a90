"""The planner endpoints: /cleanup, /evaluation, /match answer what the library answers on the
same layers and day, in the models the OpenAPI declares; bad input is a 400 in both languages,
no key a 403; results are cached by the layers' stamps and stored matches expire."""

from __future__ import annotations

import io
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from urllib.parse import quote

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from api.analyses import ANALYSIS_LAYERS, MATCH_LAYERS, _Once
from api.errors import OGCException
from api.models import (
    CleanupAnswer,
    EvaluationAnswer,
    FeatureCollection,
    MatchAnswer,
    Rule,
)
from api.store import Memo
from gis.cleanup import cleanup
from gis.evaluation import evaluate
from gis.matching import MatchIndex, match, project_from_request
from gis.matching.rules import RULES
from gis.workspace import open_workspace
from tests.api.conftest import ADMIN, PLANNER, make_app

DAY = "2026-09-30"  # the demo county's reference day
CJK = re.compile(r"[\u4e00-\u9fff]")
LISTS = ("idle", "watch", "unsupplied_batch", "unsupplied_piece", "low_efficiency")


@pytest.fixture(scope="module")
def layers(demo_gpkg):
    """The workspace's layers read directly, for the library's own answers."""
    ws = open_workspace(demo_gpkg)
    present = set(ws.layers())
    return {n: ws.read(n) for n in (*MATCH_LAYERS, "projects") if n in present}


@pytest.fixture(scope="module")
def direct_cleanup(layers):
    return cleanup({n: layers[n] for n in ANALYSIS_LAYERS if n in layers}, DAY)


def assert_error(r, status: int, *words: str) -> dict:
    assert r.status_code == status, r.text
    body = OGCException.model_validate(r.json()).model_dump()
    assert body["code"] and CJK.search(body["zh"]) and body["en"]
    for w in words:
        assert w in body["zh"], (w, body["zh"])
    return body


def in_china_lon_lat(geometry: dict) -> bool:
    """CRS84: longitude first; the demo county lies near 120°E 30°N."""
    ring = geometry["coordinates"][0] if geometry["type"] == "Polygon" else \
        geometry["coordinates"][0][0]
    return all(73 < x < 135 and 18 < y < 54 for x, y in ring)


# -- /cleanup ----------------------------------------------------------------------------------
def test_cleanup_json_is_the_library_answer_at_the_demo_day(client, direct_cleanup):
    r = client.get("/cleanup", headers=PLANNER)
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    answer = CleanupAnswer.model_validate(r.json()).model_dump()
    d = direct_cleanup
    assert answer["as_of"] == DAY
    assert [row["supply_id"] for row in answer["idle"]] == d.idle["supply_id"].tolist()
    assert [row["supply_id"] for row in answer["watch"]] == d.watch["supply_id"].tolist()
    assert len(answer["unsupplied"]["batches"]) == len(d.unsupplied.batches)
    assert len(answer["unsupplied"]["pieces"]) == len(d.unsupplied.pieces)
    assert [row["parcel_id"] for row in answer["low_efficiency"]] == \
        d.low_efficiency["parcel_id"].tolist()
    s = answer["summary"]
    assert s["idle"]["count"] == len(answer["idle"]) == d.summary["idle"]["count"]
    assert s["idle"]["area_mu"] == pytest.approx(d.idle["area_mu"].sum(), abs=1e-3)
    assert sum(row["area_mu"] for row in answer["idle"]) == pytest.approx(s["idle"]["area_mu"],
                                                                          abs=1e-3)
    assert s["idle"]["fee_wan"] == pytest.approx(d.summary["idle"]["fee_wan"])
    assert s["watch"]["area_mu"] == pytest.approx(d.summary["watch"]["area_mu"])
    assert s["unsupplied"]["unsupplied_mu"] == pytest.approx(d.summary["unsupplied"]["unsupplied_mu"])
    assert s["low_efficiency"]["area_mu"] == pytest.approx(d.low_efficiency["area_mu"].sum(),
                                                           abs=1e-3)
    five = s["unsupplied"]["five_year"]
    assert five["window_end"] == DAY and five["rate"] == pytest.approx(
        d.unsupplied.five_year["rate"])
    assert "geometry" not in answer["idle"][0]  # rows only; geometry comes with format=geojson


def test_cleanup_at_another_day_is_the_library_answer_at_that_day(client, layers):
    r = client.get("/cleanup", params={"as_of": "2024-06-30"}, headers=PLANNER)
    assert r.status_code == 200
    answer = r.json()
    direct = cleanup({n: layers[n] for n in ANALYSIS_LAYERS if n in layers}, "2024-06-30")
    assert answer["as_of"] == "2024-06-30"
    assert answer["summary"]["idle"]["count"] == direct.summary["idle"]["count"]
    assert answer["summary"]["unsupplied"]["batches"] == len(direct.unsupplied.batches)
    assert answer["summary"]["unsupplied"]["five_year"]["window_end"] == "2024-06-30"


def test_cleanup_geojson_has_every_listed_row_in_crs84(client):
    lists = client.get("/cleanup", headers=PLANNER).json()
    r = client.get("/cleanup", params={"format": "geojson"}, headers=PLANNER)
    assert r.status_code == 200 and r.headers["content-type"] == "application/geo+json"
    fc = FeatureCollection.model_validate(r.json())
    expected = {"idle": len(lists["idle"]), "watch": len(lists["watch"]),
                "unsupplied_batch": len(lists["unsupplied"]["batches"]),
                "unsupplied_piece": len(lists["unsupplied"]["pieces"]),
                "low_efficiency": len(lists["low_efficiency"])}
    counts = pd.Series([f.properties["list"] for f in fc.features]).value_counts().to_dict()
    assert {k: counts.get(k, 0) for k in LISTS} == expected
    assert len(fc.features) == sum(expected.values())
    assert len({f.id for f in fc.features}) == len(fc.features)  # ids unique across lists
    idle = next(f for f in fc.features if f.properties["list"] == "idle")
    assert idle.properties["supply_id"] == lists["idle"][0]["supply_id"]
    assert idle.geometry is not None and idle.geometry.type in ("Polygon", "MultiPolygon")
    assert in_china_lon_lat(idle.geometry.model_dump())


def test_cleanup_xlsx_is_the_ledger_as_a_download(client, direct_cleanup, tmp_path,
                                                  monkeypatch):
    monkeypatch.chdir(tmp_path)
    r = client.get("/cleanup", params={"format": "xlsx"}, headers=PLANNER)
    assert r.status_code == 200
    assert r.headers["content-type"] == \
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    disposition = r.headers["content-disposition"]
    assert disposition.startswith("attachment;")
    assert f"filename*=UTF-8''{quote(f'三清台账_{DAY}.xlsx')}" in disposition
    wb = load_workbook(io.BytesIO(r.content))
    for sheet in ("汇总-园区", "汇总-乡镇", "闲置土地", "闲置预警", "批而未供批次", "批而未供地块",
                  "低效用地", "近五年供地率", "依据"):
        assert sheet in wb.sheetnames
    # a title row and a header row, then one row per listed parcel
    assert wb["闲置土地"].max_row - 2 == len(direct_cleanup.idle)
    assert wb["低效用地"].max_row - 2 == len(direct_cleanup.low_efficiency)
    assert list(tmp_path.iterdir()) == []  # nothing written to the working directory


@pytest.mark.parametrize(("params", "word"), [
    ({"as_of": "2026-02-30"}, "2026-02-30"),
    ({"as_of": "yesterday"}, "yesterday"),
    ({"as_of": "0001-01-01"}, "0001-01-01"),
    ({"format": "csv"}, "format"),
])
def test_cleanup_bad_parameters_are_400(client, params, word):
    assert_error(client.get("/cleanup", params=params, headers=PLANNER), 400, word)


# -- /evaluation -------------------------------------------------------------------------------
def test_evaluation_json_is_the_library_answer(client, layers):
    r = client.get("/evaluation", headers=PLANNER)
    assert r.status_code == 200
    answer = EvaluationAnswer.model_validate(r.json()).model_dump()
    direct = evaluate({n: layers[n] for n in ANALYSIS_LAYERS if n in layers}, as_of=DAY)
    assert answer["year"] == direct.year == answer["summary"]["year"]
    assert answer["summary"]["classes"] == direct.summary["classes"]
    assert answer["summary"]["graded"] == direct.summary["graded"]
    graded = [e for e in answer["enterprises"] if e["class"] is not None]
    assert len(graded) == answer["summary"]["graded"]
    assert sum(e["class"] == "A" for e in graded) == sum(
        c.get("A", 0) for c in answer["summary"]["classes"].values())
    assert len(answer["parcels"]) == len(direct.permu.parcels)
    county = next(z for z in answer["zones"] if z["zone_id"] == "county")
    assert county["area_ha"] == pytest.approx(direct.summary["county"]["area_ha"])


def test_evaluation_of_a_year_is_the_library_answer_for_that_year(client, layers):
    r = client.get("/evaluation", params={"year": 2024}, headers=PLANNER)
    assert r.status_code == 200
    direct = evaluate({n: layers[n] for n in ANALYSIS_LAYERS if n in layers}, year=2024)
    assert r.json()["year"] == 2024
    assert r.json()["summary"]["classes"] == direct.summary["classes"]


def test_evaluation_geojson_is_the_parcel_table(client):
    parcels = client.get("/evaluation", headers=PLANNER).json()["parcels"]
    r = client.get("/evaluation", params={"format": "geojson"}, headers=PLANNER)
    assert r.status_code == 200 and r.headers["content-type"] == "application/geo+json"
    fc = FeatureCollection.model_validate(r.json())
    assert [f.properties["parcel_id"] for f in fc.features] == [p["parcel_id"] for p in parcels]
    assert [f.id for f in fc.features] == [p["parcel_id"] for p in parcels]
    first = fc.features[0]
    assert first.properties["tax_per_mu"] == pytest.approx(parcels[0]["tax_per_mu"])
    assert first.geometry is not None and in_china_lon_lat(first.geometry.model_dump())


def test_evaluation_xlsx(client):
    r = client.get("/evaluation", params={"format": "xlsx"}, headers=PLANNER)
    assert r.status_code == 200
    assert f"filename*=UTF-8''{quote('亩均评价_2025.xlsx')}" in r.headers["content-disposition"]
    wb = load_workbook(io.BytesIO(r.content))
    assert {"规上企业公示", "评价明细", "宗地亩均", "园区集约利用", "依据"} <= set(wb.sheetnames)


@pytest.mark.parametrize("params", [{"year": "abc"}, {"year": 1}, {"format": "pdf"}])
def test_evaluation_bad_parameters_are_400(client, params):
    assert_error(client.get("/evaluation", params=params, headers=PLANNER), 400)


# -- /match ------------------------------------------------------------------------------------
def test_match_a_stored_project_is_the_library_answer_and_is_kept(client, layers):
    r = client.post("/match", json={"project_id": "XM2026002"}, headers=PLANNER)
    assert r.status_code == 200, r.text
    answer = MatchAnswer.model_validate(r.json())
    project = project_from_request(project_id="XM2026002", projects=layers["projects"])
    direct = match(project, layers, as_of=DAY)
    assert answer.as_of == DAY and answer.project.project_id == "XM2026002"
    assert [s.site_id for s in answer.sites] == [s["site_id"] for s in direct["sites"]]
    assert [s.score for s in answer.sites] == [s["score"] for s in direct["sites"]]
    assert [s.rank for s in answer.sites] == list(range(1, len(answer.sites) + 1))
    top = answer.sites[0]
    assert top.net_area_mu >= answer.project.need_mu_min
    assert set(top.checks.values()) <= {"pass", "unknown"}
    assert top.geometry is not None and in_china_lon_lat(top.geometry.model_dump())
    assert answer.links[0].rel == "self" and answer.links[0].href.endswith(f"/match/{answer.id}")

    again = client.get(f"/match/{answer.id}", headers=PLANNER)
    assert again.status_code == 200 and again.json() == r.json()


def test_an_impossible_project_has_no_site_and_says_which_rules_exclude(client):
    r = client.post("/match", json={"project_id": "XM2026010"}, headers=PLANNER)
    answer = MatchAnswer.model_validate(r.json())
    assert answer.sites == []
    rules = {e.rule for e in answer.excluded}
    assert {"area", "rail", "power"} <= rules  # 180–200 亩, rail siding, 80 000 kVA
    power = next(e for e in answer.excluded if e.rule == "power")
    assert "80000 kVA" in power.detail and CJK.search(power.detail)


def test_an_ad_hoc_project_is_matched_like_the_library_matches_it(client, layers):
    body = {"name": "精密模具项目", "land_use": "100102", "need_mu_min": 30, "need_mu_max": 50,
            "investment_wan": 15000, "zones": ["KFQ-DY"], "top_k": 3}
    r = client.post("/match", json=body, headers=PLANNER)
    assert r.status_code == 200, r.text
    answer = MatchAnswer.model_validate(r.json())
    assert answer.project.project_id == "request" and answer.project.name == "精密模具项目"
    assert answer.project.zones == ["KFQ-DY"]
    assert 1 <= len(answer.sites) <= 3
    assert all(s.net_area_mu >= 30 for s in answer.sites)
    fields = {k: v for k, v in body.items() if k != "top_k"}
    direct = match(project_from_request(fields), layers, as_of=DAY, top_k=3)
    assert [s.site_id for s in answer.sites] == [s["site_id"] for s in direct["sites"]]


def test_weights_of_the_request_rank_the_sites(client):
    only_access = {"area_fit": 0, "readiness": 0, "infrastructure": 0, "access": 1,
                   "standard_land_headroom": 0}
    r = client.post("/match", json={"project_id": "XM2026002", "weights": only_access,
                                    "top_k": 10}, headers=PLANNER)
    answer = MatchAnswer.model_validate(r.json())
    assert answer.project.weights == only_access
    assert all(s.criteria.access.weight == 1 for s in answer.sites)
    # only access counts: the score is 100 × the access score, best first
    for s in answer.sites:
        assert s.score == pytest.approx(100 * s.criteria.access.score, abs=0.11)
    access = [s.criteria.access.score for s in answer.sites]
    assert access == sorted(access, reverse=True)


def test_as_of_in_the_body_sets_the_day(client):
    r = client.post("/match", json={"project_id": "XM2026002", "as_of": "2025-12-31"},
                    headers=PLANNER)
    assert r.status_code == 200 and r.json()["as_of"] == "2025-12-31"


@pytest.mark.parametrize(("body", "word"), [
    ({"need_mu_min": 60, "need_mu_max": 50, "land_use": "100102", "investment_wan": 1},
     "need_mu_min"),
    ({"need_mu_min": 30, "land_use": "9999", "investment_wan": 1}, "9999"),
    ({"need_mu_min": "thirty", "land_use": "100102", "investment_wan": 1}, "need_mu_min"),
    ({"need_mu_min": 30, "land_use": "100102", "investment_wan": -5}, "investment_wan"),
    ({"need_mu_min": 30, "land_use": "100102"}, "investment_wan"),
    ({"need_mu": "30-50", "land_use": "100102", "investment_wan": 1}, "need_mu"),
    ({"project_id": "NOPE"}, "NOPE"),
    ({"project_id": "XM2026002", "land_use": "100102"}, "project_id"),
    ({}, "project_id"),
    ({"project_id": "XM2026002", "top_k": 51}, "top_k"),
    ({"project_id": "XM2026002", "needs_rail": "perhaps"}, "needs_rail"),
    ({"project_id": "XM2026002", "weights": {"beauty": 1}}, "beauty"),
    ({"project_id": "XM2026002", "weights": {"access": -1}}, "access"),
    ({"project_id": "XM2026002", "as_of": "2026-13-01"}, "2026-13-01"),
    ([1, 2], "请求"),
])
def test_bad_match_bodies_are_400_in_both_languages(client, body, word):
    assert_error(client.post("/match", json=body, headers=PLANNER), 400, word)


def test_a_body_that_is_not_json_is_400(client):
    r = client.post("/match", content=b"need 30 mu", headers={
        **PLANNER, "content-type": "application/json"})
    assert_error(r, 400)


def test_an_unknown_or_expired_match_is_404(demo_gpkg):
    with TestClient(make_app(demo_gpkg, match_results_kept=1)) as c:
        first = c.post("/match", json={"project_id": "XM2026001"}, headers=PLANNER).json()["id"]
        second = c.post("/match", json={"project_id": "XM2026002"}, headers=PLANNER).json()["id"]
        assert c.get(f"/match/{second}", headers=PLANNER).status_code == 200
        assert_error(c.get(f"/match/{first}", headers=PLANNER), 404, first)
        assert_error(c.get("/match/0123456789ab", headers=PLANNER), 404)


# -- roles, caching, threads, OpenAPI ----------------------------------------------------------
@pytest.mark.parametrize(("method", "url"), [
    ("get", "/cleanup"), ("get", "/evaluation"), ("post", "/match"), ("get", "/match/abc"),
])
def test_the_public_gets_403(client, method, url):
    r = client.request(method, url, json={"project_id": "XM2026002"} if method == "post" else None)
    assert_error(r, 403)


def test_an_admin_may_run_the_analyses(client):
    assert client.get("/cleanup", headers=ADMIN).status_code == 200


def test_the_match_index_is_built_once_per_day_and_layers(app, client):
    for pid in ("XM2026001", "XM2026003"):
        assert client.post("/match", json={"project_id": pid}, headers=PLANNER).status_code == 200
    key = ("match_index", pd.Timestamp(DAY), app.state.store.stamps(MATCH_LAYERS))
    assert isinstance(app.state.memo.peek(key), MatchIndex)


def test_a_changed_layer_is_analysed_afresh(own_gpkg):
    ws = open_workspace(own_gpkg)
    with TestClient(make_app(own_gpkg)) as c:
        before = c.get("/cleanup", headers=PLANNER).json()
        gone = before["idle"][0]["supply_id"]
        supplies = ws.read("supplies")
        ws.write("supplies", supplies[supplies["supply_id"] != gone])
        after = c.get("/cleanup", headers=PLANNER).json()
    assert after["summary"]["idle"]["count"] == before["summary"]["idle"]["count"] - 1
    assert gone not in {row["supply_id"] for row in after["idle"]}


def test_a_workspace_without_a_reference_day_is_analysed_today(own_gpkg):
    open_workspace(own_gpkg).set_meta("demo_as_of", "")
    with TestClient(make_app(own_gpkg)) as c:
        r = c.post("/match", json={"project_id": "XM2026002"}, headers=PLANNER)
    assert r.status_code == 200 and r.json()["as_of"] == date.today().isoformat()


def test_concurrent_requests_agree(client):
    def ask(_):
        return client.post("/match", json={"project_id": "XM2026004"}, headers=PLANNER).json()

    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(ask, range(6)))
    assert len({a["id"] for a in answers}) == 6
    assert len({tuple(s["site_id"] for s in a["sites"]) for a in answers}) == 1


def test_a_result_asked_for_by_many_threads_is_computed_once():
    memo, once, calls = Memo(4), _Once(), []

    def make():
        calls.append(1)
        time.sleep(0.05)
        return object()

    results = []
    threads = [threading.Thread(target=lambda: results.append(once.get(memo, "k", make)))
               for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 1 and len({id(r) for r in results}) == 1
    assert once._locks == {}  # no lock left behind


def test_a_failed_computation_is_not_cached():
    memo, once = Memo(4), _Once()

    def fail():
        raise ValueError("boom")

    with pytest.raises(ValueError, match="boom"):
        once.get(memo, "k", fail)
    assert memo.peek("k") is None and once.get(memo, "k", lambda: 42) == 42


def test_the_openapi_document_declares_the_models(app):
    doc = app.openapi()
    schemas = doc["components"]["schemas"]
    assert {"CleanupAnswer", "EvaluationAnswer", "MatchRequest", "MatchAnswer", "Site",
            "Exclusion"} <= set(schemas)
    assert set(schemas["IdleRow"]["properties"]) >= {"supply_id", "idle_type", "fee_wan"}
    content = doc["paths"]["/cleanup"]["get"]["responses"]["200"]["content"]
    assert {"application/json", "application/geo+json",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"} <= set(content)
    assert "$ref" not in str(content["application/geo+json"])  # inlined, resolvable
    for path, method in (("/cleanup", "get"), ("/evaluation", "get"), ("/match", "post"),
                         ("/match/{answer_id}", "get")):
        assert doc["paths"][path][method]["tags"] == ["analyses"]


def test_the_rule_names_are_the_library_s():
    from typing import get_args

    assert get_args(Rule) == RULES
