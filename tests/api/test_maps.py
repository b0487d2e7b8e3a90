"""The /maps routes: HTML maps with their groups, roles, the public mask, errors, print faces."""

from __future__ import annotations

import importlib.util

import pytest

from tests.api.conftest import PLANNER

HTML = "text/html"


def _groups_in(text: str, *names: str) -> None:
    for name in names:
        assert name in text, name


def test_cleanup_and_evaluation_maps(client):
    r = client.get("/maps/cleanup?basemap=none", headers=PLANNER)
    assert r.status_code == 200 and r.headers["content-type"].startswith(HTML)
    _groups_in(r.text, "闲置土地 Idle land", "低效用地 Low-efficiency land", "dd-legend")
    assert '<script src="/maps/static/leaflet/leaflet.js">' in r.text
    r = client.get("/maps/evaluation?basemap=none", headers=PLANNER)
    assert r.status_code == 200
    _groups_in(r.text, "亩均评价等级 Per-mu class")


def test_static_leaflet_served(client):
    r = client.get("/maps/static/leaflet/leaflet.js")
    assert r.status_code == 200 and "Leaflet 1.9.4" in r.text[:300]
    assert client.get("/maps/static/../maps.py").status_code == 404
    assert client.get("/maps/static/leaflet/nope.js").status_code == 404


def test_planner_maps_need_a_key(client):
    for path in ("/maps/cleanup", "/maps/evaluation", "/maps/match/abc"):
        r = client.get(path)
        assert r.status_code == 403, path
        assert r.json()["code"] == "Forbidden"


def test_match_map_of_a_stored_answer(client):
    r = client.post("/match", json={"project_id": "XM2026001"}, headers=PLANNER)
    assert r.status_code == 200
    answer = r.json()
    m = client.get(f"/maps/match/{answer['id']}?basemap=none", headers=PLANNER)
    assert m.status_code == 200
    _groups_in(m.text, "候选地块 Candidate sites", "落选地块 Near misses")
    assert client.get("/maps/match/nope", headers=PLANNER).status_code == 404


def test_public_park_map(client, app):
    r = client.get("/maps/park/KFQ-DY?basemap=none")
    assert r.status_code == 200
    _groups_in(r.text, "储备用地 Reserve land", "可供应批而未供地块 Usable unsupplied land")
    assert "内部" not in r.text and "管控约束" not in r.text
    parcels = app.state.store.frames(["parcels"])["parcels"]
    secrets = set(parcels["owner_name"].dropna()) | set(parcels["owner_credit_code"].dropna())
    assert [s for s in secrets if str(s) in r.text] == []
    # owners' parcels are not on the public map: only reserve ids appear
    supplied = parcels[parcels.status == "supplied"]["parcel_id"]
    assert [p for p in supplied if f"{p}<" in r.text] == []
    inside = client.get("/maps/park/KFQ-DY?basemap=none", headers=PLANNER)
    assert "内部 internal" in inside.text


def test_errors_are_4xx(client):
    r = client.get("/maps/park/NOPE")
    assert r.status_code == 404 and r.json()["code"] == "NotFound"
    r = client.get("/maps/park/KFQ?basemap=google")
    assert r.status_code == 400 and r.json()["code"] == "InvalidParameterValue"
    r = client.get("/maps/park/KFQ?basemap=tianditu_vec")
    assert r.status_code == 400 and "Tianditu" in r.json()["description"]
    r = client.get("/maps/park/KFQ?basemap=tianditu_vec&tk=abc123")
    assert r.status_code == 200 and "abc123" in r.text


def test_openapi_documents_the_maps(client):
    doc = client.get("/openapi.json").json()
    paths = doc["paths"]
    assert "text/html" in paths["/maps/park/{zone_id}"]["get"]["responses"]["200"]["content"]
    assert "application/pdf" in \
        paths["/maps/park/{zone_id}.pdf"]["get"]["responses"]["200"]["content"]
    assert "image/png" in paths["/maps/park/{zone_id}.png"]["get"]["responses"]["200"]["content"]
    assert "/maps/match/{answer_id}/brief.pdf" in paths
    assert not any(p.startswith("/maps/static") for p in paths)


needs_print = pytest.mark.skipif(importlib.util.find_spec("gis.maps.print") is None,
                                 reason="gis.maps.print (the print maps) is not there yet")


@needs_print
def test_park_poster_pdf_and_png(client):
    r = client.get("/maps/park/KFQ-DY.pdf")
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    assert r.content.startswith(b"%PDF")
    r = client.get("/maps/park/KFQ-DY.png?paper=A4&orientation=portrait")
    assert r.status_code == 200 and r.content.startswith(b"\x89PNG")
    assert client.get("/maps/park/NOPE.pdf").status_code == 404
    assert client.get("/maps/park/KFQ-DY.pdf?audience=internal").status_code == 403
    assert client.get("/maps/park/KFQ-DY.pdf?paper=B9").status_code == 400


@needs_print
def test_site_brief_pdf(client):
    answer = client.post("/match", json={"project_id": "XM2026001"}, headers=PLANNER).json()
    r = client.get(f"/maps/match/{answer['id']}/brief.pdf", headers=PLANNER)
    assert r.status_code == 200 and r.content.startswith(b"%PDF")
    assert client.get(f"/maps/match/{answer['id']}/brief.pdf?site=49",
                      headers=PLANNER).status_code == 404
    assert client.get(f"/maps/match/{answer['id']}/brief.pdf").status_code == 403
