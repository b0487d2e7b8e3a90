"""Benchmark: one match on the demo county and on the scale-N county, index built once.

    python tests/benchmarks/bench_match.py --scale 100

Targets (issue 5): median under 50 ms on the demo county, under 1 s at scale 100.
"""

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from _machine import machine  # noqa: E402

from gis.matching import MatchIndex, match  # noqa: E402
from layers.demo import DEMO_AS_OF, build_demo  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
TARGETS_S = {1: 0.05, "large": 1.0}


def run(scale: int, repeats: int) -> dict[str, object]:
    layers = build_demo(scale=scale)
    t0 = time.perf_counter()
    index = MatchIndex.build(layers, as_of=DEMO_AS_OF)
    build_s = time.perf_counter() - t0
    projects = layers["projects"].head(10).to_dict("records")
    times, answered = [], 0
    for _ in range(repeats):
        for project in projects:
            t0 = time.perf_counter()
            answer = match(project, index=index)
            times.append(time.perf_counter() - t0)
            answered += bool(answer["sites"])
    median = statistics.median(times)
    target = TARGETS_S[1] if scale == 1 else TARGETS_S["large"]
    return {"scale": scale, "parcels": len(layers["parcels"]), "index_build_s": round(build_s, 3),
            "requests": len(times), "median_s": round(median, 4),
            "p90_s": round(sorted(times)[int(0.9 * len(times)) - 1], 4),
            "answered_share": round(answered / len(times), 3), "target_s": target,
            "within": median < target}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    rows = [run(1, args.repeats)]
    if args.scale > 1:
        rows.append(run(args.scale, max(1, args.repeats // 2)))
    for r in rows:
        print(f"scale {r['scale']:>4}: {r['parcels']:>8,} parcels, index {r['index_build_s']:.2f} s,"
              f" match median {r['median_s'] * 1000:.1f} ms (p90 {r['p90_s'] * 1000:.1f} ms),"
              f" target {r['target_s'] * 1000:.0f} ms: {'yes' if r['within'] else 'NO'}")
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"match_scale{args.scale}.json"
    out.write_text(json.dumps({"benchmark": "match", "runs": rows, "machine": machine()},
                              ensure_ascii=False, indent=2))
    print(f"→ {out}")


if __name__ == "__main__":
    main()
