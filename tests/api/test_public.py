"""A request without a key (the public) never sees an owner, a credit code, an enterprise
figure, a tax figure or an idle cause — on every route the service has.

The routes are walked from the application itself, so a route added later is covered (or the
test fails asking how to fill its path parameters).
"""

from __future__ import annotations

import contextlib
import json
import re

import pandas as pd
import pytest

from api.store import feature_ids as store_feature_ids
from gis.access import PUBLIC_VIEWS, public_fields
from gis.workspace import open_workspace
from layers import catalogue, results
from tests.api.conftest import PLANNER

# confidential somewhere and published nowhere ("name" is an enterprise secret but a parcel's
# public label; enterprise names are caught by value below)
CONFIDENTIAL_FIELDS = sorted({f for spec in [*catalogue.values(), *results.values()]
                              for f in spec.confidential}
                             - {f for layer in PUBLIC_VIEWS for f in public_fields(layer)})
DOCS = {"/openapi.json", "/docs"}  # the API's description: field names, but no data


def _strings(frame: pd.DataFrame, column: str) -> set[str]:
    if column not in frame:
        return set()
    return {s for s in frame[column].dropna().astype(str) if len(s) >= 4}


@pytest.fixture(scope="module")
def secrets(demo_gpkg) -> dict[str, set[str]]:
    """The confidential values of the demo workspace that must never reach the public."""
    ws = open_workspace(demo_gpkg)
    parcels, supplies = ws.read("parcels"), ws.read("supplies")
    enterprises, idle = ws.read("enterprises"), ws.read("idle")
    out = {
        "owner names": _strings(parcels, "owner_name") | _strings(supplies, "user_name"),
        "credit codes": (_strings(parcels, "owner_credit_code")
                         | _strings(supplies, "user_credit_code")
                         | _strings(enterprises, "credit_code")),
        "enterprise names": _strings(enterprises, "name"),
        "tax figures": {f"{v:.4f}" for v in enterprises["tax_wan"].dropna() if v >= 100},
    }
    assert all(out.values()), "the demo must hold every kind of secret for this test to bite"
    assert set(idle["cause"].dropna()) >= {"enterprise", "government"}
    return out


@pytest.fixture(scope="module")
def requests_to_make(app, client, demo_gpkg) -> list[tuple[str, str, dict | None]]:
    """(method, url, json body) for every route, with every path parameter filled."""
    ws = open_workspace(demo_gpkg)
    layer_names = ws.layers()
    feature_ids: list[tuple[str, str]] = []
    for name in layer_names:
        frame = ws.read(name)
        feature_ids += [(name, str(v)) for v in store_feature_ids(name, frame)[:3]]
        if name == "parcels":  # a supplied parcel (has an owner) and a reserve one
            for status in ("supplied", "reserve"):
                feature_ids.append((name, str(frame.loc[frame["status"] == status,
                                                       "parcel_id"].iloc[0])))
    match = client.post("/match", json={"project_id": "XM2026002"}, headers=PLANNER)
    assert match.status_code == 200, match.text
    match_id = match.json()["id"]
    zones = ws.read("zones")["zone_id"].tolist()

    out: list[tuple[str, str, dict | None]] = [("GET", d, None) for d in ("/openapi.json",
                                                                         "/docs")]
    for path, operations in app.openapi()["paths"].items():
        params = set(re.findall(r"{(\w+)}", path))
        fills: list[dict[str, str]]
        if params == set():
            fills = [{}]
        elif params == {"collectionId"}:
            fills = [{"collectionId": n} for n in layer_names]
        elif params == {"collectionId", "featureId"}:
            fills = [{"collectionId": c, "featureId": f} for c, f in feature_ids]
        elif params in ({"match_id"}, {"id"}, {"answer_id"}):
            fills = [dict.fromkeys(params, match_id)]
        elif params == {"zone_id"}:
            fills = [{"zone_id": z} for z in zones]
        elif params == {"layer"}:
            fills = [{"layer": "parcels"}]
        else:
            pytest.fail(f"teach this test the path parameters of {path}: {params}")
        for method in sorted(m.upper() for m in operations):
            for fill in fills:
                url = path
                for k, v in fill.items():
                    url = url.replace("{" + k + "}", v)
                body = {"project_id": "XM2026002"} if method == "POST" else None
                out.append((method, url, body))
                if method == "GET" and "collectionId" in fill and url.endswith("/items"):
                    out.append((method, url + "?limit=10000", None))
                if method == "GET" and url in ("/cleanup", "/evaluation"):
                    out += [(method, url + "?format=geojson", None),
                            (method, url + "?format=xlsx", None)]
    return out


def test_the_public_sees_no_confidential_value_on_any_route(client, requests_to_make, secrets):
    assert len(requests_to_make) > 30
    opened = 0
    for method, url, body in requests_to_make:
        r = client.request(method, url, json=body)
        assert r.status_code < 500, (url, r.text[:300])
        text = r.content.decode("utf-8", errors="replace")
        for kind, values in secrets.items():
            leaked = [v for v in values if v in text]
            assert not leaked, f"{method} {url} shows {kind}: {leaked[:3]}"
        if r.status_code == 200 and "json" in r.headers.get("content-type", ""):
            opened += 1
            keys = _keys(r.json())
            if url not in DOCS:
                bad = keys & set(CONFIDENTIAL_FIELDS)
                assert not bad, f"{method} {url} has confidential fields {sorted(bad)}"
                assert not keys & {"cause", "delay_cause", "tax_wan", "tax_per_mu"}
    assert opened >= 10  # the public does see its promotion data


def test_the_public_is_refused_the_analyses_with_a_reason(client):
    for method, url, body in (("GET", "/cleanup", None), ("GET", "/evaluation", None),
                              ("POST", "/match", {"project_id": "XM2026002"})):
        r = client.request(method, url, json=body)
        assert r.status_code == 403
        assert "planner" in r.json()["en"] and "权限" in r.json()["zh"]


def test_a_planner_does_see_owners(client):
    r = client.get("/collections/parcels/items", params={"limit": 10000}, headers=PLANNER)
    owners = {f["properties"].get("owner_name") for f in r.json()["features"]}
    assert len(owners - {None}) > 10


def _keys(doc) -> set[str]:
    found: set[str] = set()
    stack = [doc]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            found |= set(item)
            stack += list(item.values())
        elif isinstance(item, list):
            stack += item
        elif isinstance(item, str) and item[:1] in "{[":
            with contextlib.suppress(ValueError):
                stack.append(json.loads(item))
    return found
