"""Benchmark: the service over loopback, driven by a load generator.

    python tests/benchmarks/bench_service.py [--workspace W] [--requests 400] [--concurrency 1 8]

Starts ``dideng serve`` in its own process on the demo county (or ``--workspace``), then an
asyncio + httpx load generator sends, at each concurrency level:

* ``GET /collections/parcels/items?bbox=…`` — random 1 km × 1 km boxes (CRS84) inside the
  parcels' extent, as QGIS pans;
* ``GET /collections/parcels/items?limit=1000`` — a 1,000-feature page, as QGIS loads a layer;
* ``POST /match`` — the demo projects in turn, with a planner key (the match index is built by
  the first request and cached, as in service).

Prints median / p90 / p99 latency and throughput; writes ``results/service_demo.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(Path(__file__).resolve().parent))
from _machine import machine  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
PLANNER = {"X-API-Key": "demo-planner"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(workspace: str | None, port: int) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "gis.cli", "serve", "--port", str(port)]
    if workspace:
        cmd += ["--workspace", workspace]
    env = {**os.environ, "DIDENG_ENVIRONMENT": "development"}
    return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)


def wait_up(base: str, proc: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("dideng serve exited")
        try:
            if httpx.get(base + "/conformance", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise RuntimeError("dideng serve did not come up")


async def drive(make_request, n: int, concurrency: int) -> dict[str, float]:
    """Send ``n`` requests with ``concurrency`` in flight; latencies in milliseconds."""
    times: list[float] = []
    errors = 0
    queue = list(range(n))

    async with httpx.AsyncClient(timeout=60, limits=httpx.Limits(
            max_connections=concurrency, max_keepalive_connections=concurrency)) as client:
        async def worker() -> None:
            nonlocal errors
            while queue:
                i = queue.pop()
                t0 = time.perf_counter()
                r = await make_request(client, i)
                times.append((time.perf_counter() - t0) * 1000)
                errors += r.status_code != 200

        t0 = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        wall = time.perf_counter() - t0
    times.sort()
    return {"requests": n, "concurrency": concurrency, "errors": errors,
            "median_ms": round(statistics.median(times), 2),
            "p90_ms": round(times[int(0.9 * n) - 1], 2),
            "p99_ms": round(times[max(int(0.99 * n) - 1, 0)], 2),
            "throughput_rps": round(n / wall, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workspace")
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 8])
    args = parser.parse_args()

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    proc = start_server(args.workspace, port)
    try:
        wait_up(base, proc)
        extent = httpx.get(base + "/collections/parcels", headers=PLANNER
                           ).json()["extent"]["spatial"]["bbox"][0]
        projects = httpx.get(base + "/collections/projects/items", headers=PLANNER,
                             params={"limit": 100}).json()["features"]
        ids = [f["id"] for f in projects][:9]
        rng = random.Random(42)
        dx, dy = 0.0104, 0.009  # about 1 km at 30°N

        def box() -> str:
            x = rng.uniform(extent[0], extent[2] - dx)
            y = rng.uniform(extent[1], extent[3] - dy)
            return f"{x:.6f},{y:.6f},{x + dx:.6f},{y + dy:.6f}"

        async def items(client, i):
            return await client.get(base + "/collections/parcels/items",
                                    params={"bbox": box(), "limit": 1000}, headers=PLANNER)

        async def page(client, i):  # what QGIS asks when it loads a whole layer
            return await client.get(base + "/collections/parcels/items",
                                    params={"limit": 1000, "offset": 1000 * (i % 2)},
                                    headers=PLANNER)

        async def match(client, i):
            return await client.post(base + "/match", json={"project_id": ids[i % len(ids)]},
                                     headers=PLANNER)

        sizes = [len(httpx.get(base + "/collections/parcels/items",
                               params={"bbox": box(), "limit": 1000}, headers=PLANNER
                               ).json()["features"]) for _ in range(50)]
        t0 = time.perf_counter()
        first = httpx.post(base + "/match", json={"project_id": ids[0]}, headers=PLANNER,
                           timeout=300)
        first_s = time.perf_counter() - t0
        assert first.status_code == 200, first.text
        runs = []
        for c in args.concurrency:
            for name, fn, n in (("items_bbox", items, args.requests),
                                ("items_page_1000", page, args.requests // 4),
                                ("match", match, args.requests)):
                r = asyncio.run(drive(fn, n, c))
                r["endpoint"] = name
                runs.append(r)
                print(f"{name:>15} c={c:<2} median {r['median_ms']:7.1f} ms  p90 {r['p90_ms']:7.1f}"
                      f" ms  p99 {r['p99_ms']:7.1f} ms  {r['throughput_rps']:6.1f} req/s"
                      f"  errors {r['errors']}")
        print(f"features per 1 km bbox page: median {statistics.median(sizes):.0f}; "
              f"first match (builds the index): {first_s:.2f} s")
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(20)
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / "service_demo.json"
    out.write_text(json.dumps({
        "benchmark": "service", "workspace": args.workspace or "demo county",
        "features_per_bbox_median": statistics.median(sizes),
        "first_match_s": round(first_s, 2), "runs": runs,
        "load_generator": "asyncio + httpx over loopback; server: dideng serve (uvicorn, 1 process)",
        "machine": machine()}, ensure_ascii=False, indent=2))
    print(f"→ {out}")


if __name__ == "__main__":
    main()
