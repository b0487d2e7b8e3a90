"""schemathesis over the whole OpenAPI document: no 5xx, and every answer matches what the
document declares (status code, content type, body schema) — for the public and for an admin.

Bounded: a dozen generated requests per operation and role, on a private copy of the demo
county (an admin may import whatever the generator makes). The operations are driven with
hypothesis directly (schemathesis's pytest plugin does not load on pytest 9), one test per
operation so a failure names it. Path parameters are drawn mostly from what exists (layer names,
feature ids, a stored match) so the generated queries reach the code behind the 404s.
"""

from __future__ import annotations

import shutil

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from gis.workspace import open_workspace
from layers import catalogue
from tests.api.conftest import ADMIN, PLANNER, make_app

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]
OPERATIONS = [  # every operation of the service; a test below proves the list complete
    ("GET", "/"), ("GET", "/conformance"), ("GET", "/collections"),
    ("GET", "/collections/{collectionId}"), ("GET", "/collections/{collectionId}/queryables"),
    ("GET", "/collections/{collectionId}/items"),
    ("GET", "/collections/{collectionId}/items/{featureId}"),
    ("PATCH", "/collections/{collectionId}/items/{featureId}"),
    ("DELETE", "/collections/{collectionId}/items/{featureId}"),
    ("GET", "/cleanup"), ("GET", "/evaluation"), ("POST", "/match"),
    ("GET", "/match/{answer_id}"), ("POST", "/imports/{layer}"), ("GET", "/imports"),
    ("GET", "/maps/cleanup"), ("GET", "/maps/evaluation"), ("GET", "/maps/match/{answer_id}"),
    ("GET", "/maps/match/{answer_id}/brief.pdf"), ("GET", "/maps/park/{zone_id}"),
    ("GET", "/maps/park/{zone_id}.pdf"), ("GET", "/maps/park/{zone_id}.png"),
]
#: print maps take seconds each: fewer examples there
EXAMPLES = {"/maps/park/{zone_id}.pdf": 4, "/maps/park/{zone_id}.png": 3,
            "/maps/match/{answer_id}/brief.pdf": 4}
ROLES = {"public": None, "admin": ADMIN}


@pytest.fixture(scope="module")
def served(demo_gpkg, tmp_path_factory):
    path = tmp_path_factory.mktemp("schemathesis") / "demo.gpkg"
    shutil.copy(demo_gpkg, path)
    return path, make_app(path)


@pytest.fixture(scope="module")
def api_schema(served):
    return schemathesis.openapi.from_asgi("/openapi.json", served[1])


@pytest.fixture(scope="module")
def path_values(served) -> dict[str, st.SearchStrategy[str]]:
    """Real values (and a few unknown ones) for every path parameter."""
    from fastapi.testclient import TestClient

    path, app = served
    ws = open_workspace(path)
    layers = ws.layers()
    ids = [*ws.read("parcels")["parcel_id"].head(20), *ws.read("zones")["zone_id"],
           *ws.read("unsupplied_pieces")["piece_id"].head(5), "1", "无此要素"]
    with TestClient(app) as client:
        stored = client.post("/match", json={"project_id": "XM2026001"}, headers=PLANNER)
    assert stored.status_code == 200
    return {
        "collectionId": st.sampled_from([*layers, "无此图层"]),
        "featureId": st.sampled_from(ids),
        "answer_id": st.sampled_from([stored.json()["id"], "0" * 12]),
        "layer": st.sampled_from([*catalogue, "宗地", "idle"]),
        "zone_id": st.sampled_from([*ws.read("zones")["zone_id"], "无此园区"]),
    }


def test_the_list_of_operations_is_complete(api_schema):
    found = {(r.ok().method.upper(), r.ok().path) for r in api_schema.get_all_operations()}
    assert found == set(OPERATIONS)


@pytest.mark.slow
@pytest.mark.parametrize("role", sorted(ROLES))
@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_answers_conform_to_the_openapi_document(api_schema, path_values, method, path, role):
    operation = api_schema[path][method]
    headers = ROLES[role]
    params = {k: v for k, v in path_values.items() if "{" + k + "}" in path}

    @given(case=operation.as_strategy(), real=st.fixed_dictionaries(params))
    @settings(max_examples=EXAMPLES.get(path, 15), deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    def check(case, real):
        if real:
            case.path_parameters = {**(case.path_parameters or {}), **real}
        case.call_and_validate(headers=headers, checks=CHECKS)

    check()
