"""Benchmark: build and write the demo county at scale N (a benchmark, not a timed test).

    python tests/benchmarks/bench_demo.py --scale 100

Runs ``dideng demo --scale N --out <tmp>.gpkg`` in a child process (or, where the ``dideng``
command is not installed, ``write_demo`` through ``python -c``), measures its wall time and peak
resident memory (that child's ``ru_maxrss``, from ``os.wait4``), counts the rows written per layer,
prints a small table and writes ``tests/benchmarks/results/demo_scale<N>.json`` with the
machine it ran on. Budget (issue 2): scale 100 in well under 2 minutes and below 4 GB.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _machine import machine
from _measure import dideng_cli, run_child

RESULTS = Path(__file__).resolve().parent / "results"
BUDGET_S = 120.0
BUDGET_MB = 4096.0



def _machine() -> dict[str, object]:
    return machine()


def _command(scale: int, out: Path, seed: int | None) -> list[str]:
    cli = dideng_cli()
    extra = ["--seed", str(seed)] if seed is not None else []
    if cli:
        return [cli, "demo", "--scale", str(scale), "--out", str(out), *extra]
    kw = f", seed={seed}" if seed is not None else ""
    code = f"from layers.demo import write_demo; write_demo({str(out)!r}, scale={scale}{kw})"
    return [sys.executable, "-c", code]


def run(scale: int, seed: int | None = None) -> dict[str, object]:
    with tempfile.TemporaryDirectory(prefix="dideng-bench-") as tmp:
        out = Path(tmp) / f"demo_scale{scale}.gpkg"
        cmd = _command(scale, out, seed)
        child = run_child(cmd)
        wall, peak_mb = child["wall_s"], child["peak_rss_mb"]
        if child["exit_code"] != 0:
            sys.stderr.write(child.get("stderr_tail", ""))
            raise SystemExit(f"demo failed with exit code {child['exit_code']}")
        import pyogrio

        rows = {name: int(pyogrio.read_info(out, layer=name)["features"])
                for name, _ in pyogrio.list_layers(out) if not name.startswith("dideng_")}
        size_mb = out.stat().st_size / 2**20
    return {
        "benchmark": "demo",
        "scale": scale,
        "command": " ".join(Path(c).name if k == 0 else c for k, c in enumerate(cmd)),
        "wall_s": round(wall, 2),
        "peak_rss_mb": round(peak_mb, 1),
        "gpkg_mb": round(size_mb, 1),
        "rows": rows,
        "budget": {"wall_s": BUDGET_S, "peak_rss_mb": BUDGET_MB,
                   "within": wall < BUDGET_S and peak_mb < BUDGET_MB},
        "machine": _machine(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=100)
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args(argv)
    result = run(args.scale, args.seed)
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"demo_scale{args.scale}.json"
    path.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    m = result["machine"]
    print(f"dideng demo --scale {args.scale}   ({m['cores']} cores, {m['memory_gb']} GB, "
          f"Python {m['python']})")
    print(f"  {'wall time':<14}{result['wall_s']:>10.1f} s     (budget {BUDGET_S:.0f} s)")
    print(f"  {'peak memory':<14}{result['peak_rss_mb']:>10.0f} MB    (budget {BUDGET_MB:.0f} MB)")
    print(f"  {'GeoPackage':<14}{result['gpkg_mb']:>10.0f} MB")
    for name, n in result["rows"].items():
        print(f"    {name:<16}{n:>10,}")
    print(f"  within budget: {'yes' if result['budget']['within'] else 'NO'}   → {path}")
    return 0 if result["budget"]["within"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
