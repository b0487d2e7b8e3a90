"""Feature edits (admin): PATCH merges properties after validation, DELETE removes; both are
logged, atomic, and seen at once by readers and the live index."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from gis.edits import delete_feature, edit_feature
from gis.errors import UnknownFeatureError, ValidationError
from gis.workspace import open_workspace
from tests.api.conftest import ADMIN, PLANNER, make_app


@pytest.fixture
def served(own_gpkg):
    with TestClient(make_app(own_gpkg), raise_server_exceptions=False) as client:
        yield client, open_workspace(own_gpkg)


def reserve_parcel(ws) -> tuple[str, int]:
    parcels = ws.read("parcels")
    at = int((parcels["status"] == "reserve").to_numpy().nonzero()[0][0])
    return str(parcels["parcel_id"].iloc[at]), at


def test_patch_changes_only_the_named_properties_and_logs_it(served):
    client, ws = served
    before = ws.read("parcels")
    pid, at = reserve_parcel(ws)
    r = client.patch(f"/collections/parcels/items/{pid}", headers=ADMIN,
                     json={"type": "Feature", "properties": {"name": "招商一号地", "ready": "否"}})
    assert r.status_code == 200, r.text
    assert r.json()["changed"] == ["name", "ready"]
    after = ws.read("parcels")
    assert len(after) == len(before)
    assert after["name"].iloc[at] == "招商一号地" and not after["ready"].iloc[at]
    others = [c for c in before.columns if c not in ("name", "ready")]
    assert after.drop(index=at)[others].equals(before.drop(index=at)[others])
    log = ws.import_log().iloc[-1]
    assert (log["mode"], log["layer"]) == ("edit", "parcels")
    assert log["source"] == f"PATCH {pid} (API demo-admin)"
    # readers see the edit at once, through the same feature id
    shown = client.get(f"/collections/parcels/items/{pid}").json()
    assert shown["properties"]["name"] == "招商一号地"


def test_a_patch_that_fails_validation_changes_nothing(served):
    client, ws = served
    pid, _ = reserve_parcel(ws)
    before = ws.read("parcels")
    r = client.patch(f"/collections/parcels/items/{pid}", headers=ADMIN,
                     json={"properties": {"land_use": "999999"}})
    assert r.status_code == 400
    assert "999999" in r.json()["zh"] and "land-use" in r.json()["en"]
    assert ws.read("parcels").equals(before)


@pytest.mark.parametrize(("body", "word"), [
    ({"properties": {"parcel_id": "X"}}, "key"),
    ({"properties": {"no_such_field": 1}}, "no field"),
    ({"properties": {}}, "no fields"),
])
def test_patch_refuses_keys_unknown_fields_and_empty_changes(served, body, word):
    client, ws = served
    pid, _ = reserve_parcel(ws)
    r = client.patch(f"/collections/parcels/items/{pid}", headers=ADMIN, json=body)
    assert r.status_code == 400 and word in r.json()["en"]


def test_delete_removes_the_feature_from_layer_index_and_answers(served):
    client, ws = served
    pid, _ = reserve_parcel(ws)
    n = len(ws.read("parcels"))
    store = client.app.state.store
    box = store.snapshot("parcels").frame.set_index(store.snapshot("parcels").ids
                                                    ).geometry[pid].bounds
    assert client.delete(f"/collections/parcels/items/{pid}", headers=ADMIN).status_code == 204
    assert len(ws.read("parcels")) == n - 1
    assert ws.import_log().iloc[-1]["mode"] == "delete"
    assert client.get(f"/collections/parcels/items/{pid}").status_code == 404
    snap, hits = store.query("parcels", box)
    assert pid not in set(snap.ids[snap.frame.index.get_indexer(hits)])


def test_edits_need_the_admin_role_and_an_input_layer(served):
    client, ws = served
    pid, _ = reserve_parcel(ws)
    url = f"/collections/parcels/items/{pid}"
    assert client.patch(url, json={"properties": {"name": "x"}}).status_code == 403
    assert client.patch(url, json={"properties": {"name": "x"}},
                        headers=PLANNER).status_code == 403
    assert client.delete(url, headers=PLANNER).status_code == 403
    idle = ws.read("idle")["supply_id"].iloc[0]
    r = client.delete(f"/collections/idle/items/{idle}", headers=ADMIN)
    assert r.status_code == 400 and "result layer" in r.json()["en"]
    assert client.delete("/collections/parcels/items/无此宗地", headers=ADMIN).status_code == 404
    assert client.delete("/collections/nope/items/1", headers=ADMIN).status_code == 404


def test_library_functions_check_dates_in_order(own_gpkg):
    ws = open_workspace(own_gpkg)
    supply = ws.read("supplies")["supply_id"].iloc[0]
    with pytest.raises(ValidationError) as err:
        edit_feature(ws, "supplies", {"supply_id": supply}, {"agreed_start": "2099-01-01"})
    assert "agreed_start is after agreed_completion" in err.value.en
    with pytest.raises(UnknownFeatureError):
        delete_feature(ws, "supplies", {"supply_id": "none"})
