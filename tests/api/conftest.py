"""Fixtures of the service tests: the demo county in a workspace, apps, clients, a live server.

The demo workspace is written once per session (with its analysis result layers) and served
read-only; tests that import get their own copy.
"""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api import Settings, create_app

PLANNER = {"X-API-Key": "demo-planner"}
ADMIN = {"X-API-Key": "demo-admin"}


@pytest.fixture(scope="session")
def demo_gpkg(tmp_path_factory) -> Path:
    """The demo county with its result layers (idle, unsupplied…, permu_parcels…)."""
    from gis.cli.service import ensure_results
    from gis.workspace import open_workspace
    from layers.demo import write_demo

    path = tmp_path_factory.mktemp("served") / "demo.gpkg"
    write_demo(path)
    ensure_results(open_workspace(path))
    return path


def make_app(workspace: Path, **settings) -> FastAPI:
    return create_app(Settings(workspace=workspace, demo_keys=True, refresh_seconds=0,
                               **settings))


@pytest.fixture(scope="session")
def app(demo_gpkg) -> FastAPI:
    """The service over the shared demo workspace (do not import into it)."""
    return make_app(demo_gpkg)


@pytest.fixture(scope="session")
def client(app) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


@pytest.fixture
def own_gpkg(demo_gpkg, tmp_path) -> Path:
    """A private copy of the demo workspace, for tests that write."""
    path = tmp_path / "own.gpkg"
    shutil.copy(demo_gpkg, path)
    return path


@contextmanager
def live_server(app: FastAPI) -> Iterator[str]:
    """Run ``app`` with uvicorn on a free loopback port; yield its base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()
