"""Benchmark: the 亩均 evaluation of N enterprises (a benchmark, not a timed test).

    python tests/benchmarks/bench_permu.py --n 100000

1. Synthesizes the input by tiling the demo county (``layers.demo.build_demo(scale=k)``:
   deterministic, vectorized translated copies with their own ids and valid credit codes) with
   k just large enough for N enterprises in the latest year, then keeps exactly N of that
   year's enterprises (the first N rows; the earlier year stays as history). Parcels,
   buildings, tenancies and zones come with the copies, so the evaluation sees owners,
   tenants renting floor (plot ratios from buildings) and land, shared parcels, vetoes and
   missing emission data at the demo's proportions.
2. Times :func:`gis.evaluation.permu.permu` on them (median of ``--repeat`` runs, after one
   warm-up) for the default land method (企业评价法) and for ``land_method = "parcel"``.

Prints a small table and writes ``tests/benchmarks/results/permu_<N>.json`` with the machine
it ran on. Budget (issue 4): 100,000 enterprises under 10 s.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(ROOT))

from gis.evaluation.permu import permu  # noqa: E402
from gis.policy import Policy  # noqa: E402
from layers.demo import build_demo  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _machine import machine  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
BUDGET_S = 10.0
#: enterprises of the latest demo year in one copy of the county (checked at run time)
_PER_COPY = 754



def _machine() -> dict[str, object]:
    return machine()


def synthesize(n: int) -> tuple[dict[str, pd.DataFrame], int, int]:
    """Layers with exactly ``n`` enterprises in the latest year: (layers, scale, year)."""
    scale = max(1, math.ceil(n / _PER_COPY))
    while True:
        layers = build_demo(scale=scale)
        firms = layers["enterprises"]
        year = int(firms["year"].max())
        latest = firms["year"] == year
        if latest.sum() >= n:
            break
        scale += max(1, math.ceil((n - latest.sum()) / _PER_COPY))
    keep = ~latest | (latest.cumsum() <= n)
    layers["enterprises"] = firms[keep.to_numpy()].reset_index(drop=True)
    return layers, scale, year


def _time(layers: dict[str, pd.DataFrame], policy: Policy, repeat: int) -> dict[str, object]:
    def once():
        t0 = time.perf_counter()
        ev = permu(layers["enterprises"], layers["parcels"], layers["tenancies"], policy,
                   buildings=layers["buildings"], zones=layers["zones"])
        return time.perf_counter() - t0, ev

    once()  # warm-up: imports, first-touch allocations
    runs = []
    ev = None
    for _ in range(repeat):
        seconds, ev = once()
        runs.append(round(seconds, 3))
    assert ev is not None
    firms = ev.enterprises
    return {
        "median_s": round(statistics.median(runs), 3),
        "runs_s": runs,
        "enterprises": len(firms),
        "parcels": len(ev.parcels),
        "units_merged": int((firms["unit_credit_code"] != firms["credit_code"]).sum()),
        "classes": {g: {str(k): int(v) for k, v in
                        firms.loc[firms["group"] == g, "class"].value_counts().sort_index()
                        .items()} for g in ("above", "below")},
        "not_graded": int((firms["group"] == "not_graded").sum()),
        "vetoed": int(firms["vetoed"].sum()),
    }


def run(n: int, repeat: int) -> dict[str, object]:
    t0 = time.perf_counter()
    layers, scale, year = synthesize(n)
    build_s = time.perf_counter() - t0
    methods = {
        method: _time(layers, Policy.load(overrides={"permu": {"land_method": method}}), repeat)
        for method in ("enterprise", "parcel")
    }
    headline = methods["enterprise"]["median_s"]
    return {
        "benchmark": "permu",
        "n": n,
        "year": year,
        "synthesis": f"build_demo(scale={scale}), the first {n} enterprises of {year}",
        "synthesis_s": round(build_s, 2),
        "rows": {k: len(layers[k]) for k in ("enterprises", "parcels", "buildings", "tenancies",
                                             "zones")},
        "permu_s": headline,
        "methods": methods,
        "budget": {"permu_s": BUDGET_S, "within": headline < BUDGET_S
                   and methods["parcel"]["median_s"] < BUDGET_S},
        "machine": _machine(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--n", type=int, default=100_000, help="enterprises in the year")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs (median reported)")
    parser.add_argument("--no-write", action="store_true", help="do not write the JSON file")
    args = parser.parse_args(argv)
    result = run(args.n, args.repeat)
    rows = result["rows"]
    print(f"亩均评价 benchmark: {args.n:,} enterprises ({result['synthesis']}, "
          f"built in {result['synthesis_s']} s)")
    print("  input rows: " + ", ".join(f"{k} {v:,}" for k, v in rows.items()))
    for method, m in result["methods"].items():
        print(f"  {method:<10} permu() median {m['median_s']:.3f} s  runs {m['runs_s']}  "
              f"classes {m['classes']}  not graded {m['not_graded']:,}  "
              f"merged into units {m['units_merged']:,}")
    ok = result["budget"]["within"]
    print(f"  budget {BUDGET_S:.0f} s: {'within' if ok else 'EXCEEDED'}")
    if not args.no_write:
        RESULTS.mkdir(parents=True, exist_ok=True)
        path = RESULTS / f"permu_{args.n}.json"
        path.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n",
                        encoding="utf-8")
        print(f"  wrote {path.relative_to(ROOT)}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
