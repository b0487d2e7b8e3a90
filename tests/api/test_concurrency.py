"""The service's concurrency guarantee (issue 6, "done means"): 20 parallel readers while
imports replace a layer see the old or the new layer, never a half-written one, and never a
"database is locked" surfacing as a 500.

Real HTTP against a live uvicorn server: the readers are 20 threads with their own
connections; the writer POSTs three versions of ``parcels`` (each renames every parcel with
its own suffix and drops a different number of them), so every answer can be checked to be
exactly one version, whole.
"""

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from itertools import pairwise
from pathlib import Path

import httpx
import numpy as np
import pytest

from gis.workspace import open_workspace
from tests.api.conftest import ADMIN, PLANNER, live_server, make_app

READERS = 20
VERSIONS = {1: 50, 2: 100, 3: 150}  # version -> parcels dropped
ITEMS = "/collections/parcels/items?limit=10000"
OTHERS = ("/collections/zones/items", "/collections/approvals/items?limit=100", "/imports",
          "/collections")


def version_of(name: str) -> int:
    """The version a parcel name belongs to: its ``·vN`` suffix, 0 for the original."""
    _, sep, tail = str(name).rpartition("·v")
    return int(tail) if sep and tail.isdigit() else 0


@pytest.fixture
def versions(own_gpkg, tmp_path) -> tuple[dict[int, frozenset[str]], dict[int, Path]]:
    """The parcel ids of each version, and a GeoParquet file per new version."""
    parcels = open_workspace(own_gpkg).read("parcels")
    assert not parcels["name"].fillna("").str.contains("·v").any()
    ids = {0: frozenset(parcels["parcel_id"])}
    files = {}
    rng = np.random.default_rng(6)
    for v, dropped in VERSIONS.items():
        keep = np.sort(rng.choice(len(parcels), len(parcels) - dropped, replace=False))
        version = parcels.iloc[keep].copy()
        version["name"] = version["name"].fillna("地块") + f"·v{v}"
        files[v] = tmp_path / f"宗地v{v}.parquet"
        version.to_parquet(files[v])
        ids[v] = frozenset(version["parcel_id"])
    return ids, files


def check_whole(body: dict, ids: dict[int, frozenset[str]]) -> int:
    """The one version a FeatureCollection is, after checking it is that version whole."""
    features = body["features"]
    seen = {version_of(f["properties"]["name"]) for f in features}
    assert len(seen) == 1, f"a mixture of versions {sorted(seen)}"
    (v,) = seen
    assert body["numberMatched"] == len(features) == len(ids[v])
    assert {f["id"] for f in features} == ids[v]
    return v


@pytest.mark.slow
def test_readers_see_one_whole_version_while_imports_replace_the_layer(own_gpkg, versions):
    ids, files = versions
    started = threading.Barrier(READERS + 1, timeout=30)
    writing_done = threading.Event()

    with live_server(make_app(own_gpkg)) as base:

        def reader(n: int) -> tuple[list[int], list[tuple[str, int]]]:
            seen: list[int] = []
            others: list[tuple[str, int]] = []
            with httpx.Client(base_url=base, headers=PLANNER, timeout=60) as http:
                first = True
                while True:
                    last = writing_done.is_set()  # one more read after the writer is done
                    r = http.get(ITEMS)
                    assert r.status_code == 200, (r.status_code, r.text[:500])
                    seen.append(check_whole(r.json(), ids))
                    path = OTHERS[(n + len(seen)) % len(OTHERS)]
                    others.append((path, http.get(path).status_code))
                    if first:
                        started.wait()
                        first = False
                    if last:
                        return seen, others

        def writer() -> list[int]:
            started.wait()  # every reader has read the original
            statuses = []
            with httpx.Client(base_url=base, headers=ADMIN, timeout=60) as http:
                for v in VERSIONS:
                    r = http.post("/imports/parcels",
                                  files={"file": (files[v].name, files[v].read_bytes())})
                    assert r.status_code == 200, r.text[:500]
                    assert r.json()["rows_written"] == len(ids[v])
                    statuses.append(r.status_code)
            writing_done.set()
            return statuses

        t0 = time.monotonic()
        with ThreadPoolExecutor(READERS + 1) as pool:
            readers = [pool.submit(reader, n) for n in range(READERS)]
            written = pool.submit(writer)
            try:
                assert written.result(timeout=120) == [200] * len(VERSIONS)
            finally:
                writing_done.set()  # let the readers finish even if the writer failed
            results = [f.result(timeout=120) for f in readers]
        elapsed = time.monotonic() - t0

    seen = [v for s, _ in results for v in s]
    others = [item for _, o in results for item in o]
    assert all(s[0] == 0 and s[-1] == max(VERSIONS) for s, _ in results)  # old first, new last
    assert all(a <= b for s, _ in results for a, b in pairwise(s)), \
        "a reader went back to an older version"
    assert {status for _, status in others} == {200}, [o for o in others if o[1] != 200]
    assert len(seen) >= 2 * READERS
    assert elapsed < 60, f"took {elapsed:.0f} s"


def test_readers_of_the_store_never_see_a_mixture(own_gpkg, versions):
    """The same guarantee one level down: snapshots and index queries taken together always
    agree, while imports go through the service."""
    ids, files = versions
    app = make_app(own_gpkg)
    store = app.state.store
    stop = threading.Event()

    with live_server(app) as base:
        def reader() -> set[int]:
            seen = set()
            while not stop.is_set():
                snap, iids = store.query("parcels", (-1e9, -1e9, 1e9, 1e9))
                names = snap.frame["name"].map(version_of)
                assert names.nunique() == 1
                v = int(names.iloc[0])
                assert set(snap.ids.tolist()) == ids[v] and len(snap.frame) == len(ids[v])
                assert np.array_equal(np.sort(snap.frame.index.to_numpy()), iids)
                seen.add(v)
            return seen

        with ThreadPoolExecutor(8) as pool:
            readers = [pool.submit(reader) for _ in range(8)]
            try:
                with httpx.Client(base_url=base, headers=ADMIN, timeout=60) as http:
                    for v in VERSIONS:
                        r = http.post("/imports/parcels",
                                      files={"file": (files[v].name, files[v].read_bytes())})
                        assert r.status_code == 200, r.text[:500]
                time.sleep(0.2)
            finally:
                stop.set()
            seen = set().union(*(f.result(timeout=60) for f in readers))
    assert max(VERSIONS) in seen
    assert store.index_updates("parcels") >= len(VERSIONS)
