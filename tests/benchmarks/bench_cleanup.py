"""Benchmark: 批而未供 (approved but unsupplied) in dideng against the same computation in PostGIS,
and the whole ``dideng cleanup`` (a benchmark, not a timed test).

    python tests/benchmarks/bench_cleanup.py --scale 100

1. Builds the demo county at scale N (``layers.demo.build_demo``) and times
   :func:`gis.cleanup.unsupplied.unsupplied` at ``DEMO_AS_OF`` (median of ``--repeat`` runs).
2. Where PostGIS is reachable (``DIDENG_BENCH_PG_URL``, default
   ``postgresql://postgres@127.0.0.1/dideng_bench``; Python client ``psycopg``), loads approvals
   and supplies by COPY (WKB), builds GiST indexes, VACUUM ANALYZEs, and times the same computation in
   SQL (median of ``--repeat``): per batch ST_Area(ST_Intersection(batch, ST_Union(supplies))),
   the ST_Difference remainder, ST_Dump into pieces (parts under 1 m² dropped, as in dideng),
   ST_MaximumInscribedCircle radius, status/lapse/usable classification and the five-year sum;
   the batch and piece ledgers (without geometry) are fetched to the client. It checks that the
   two agree (Σ supplied 亩, statuses, piece count and area, widths) and prints both times and
   the ratio. Target (issue 3): dideng at most a third of PostGIS's time. Where PostGIS is not
   reachable it says so and skips that half.
3. Times ``dideng cleanup`` on a demo workspace of the same scale when the CLI has the verb
   (wall time and the child's own peak memory, ``os.wait4``; budget 60 s and 4 GB at scale
   100); otherwise the Python path (``gis.cleanup.cleanup``, or ``unsupplied`` alone).

Writes ``tests/benchmarks/results/cleanup_scale<N>.json`` with the machine it ran on.

Notes on fairness: PostGIS keeps its result geometries on the server, dideng returns them as
GeoDataFrames; PostGIS's ST_MaximumInscribedCircle has no tolerance argument and uses GEOS's
default (1/1000 of the piece's envelope), dideng's tolerance is described in
``gis/cleanup/unsupplied.py``; both run on this machine's cores (dideng uses threads, PostgreSQL
one backend).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import shapely

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(ROOT))

from gis.cleanup.unsupplied import DUST_M2, unsupplied  # noqa: E402
from gis.policy import Policy  # noqa: E402
from layers.demo import DEMO_AS_OF, build_demo, write_demo  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _machine import machine  # noqa: E402
from _measure import dideng_cli, median_time, run_child  # noqa: E402
from _postgis import connect, copy_rows, frame_chunks, index_and_analyze  # noqa: E402
from _postgis import url as pg_url  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
TARGET_RATIO = 1 / 3
CLEANUP_BUDGET_S = 60.0
BUDGET_MB = 4096.0
M2_PER_MU = 2000 / 3

# ----------------------------------------------------------------------------------------------
# the same computation in SQL
# ----------------------------------------------------------------------------------------------
SQL_BATCHES = """
CREATE TEMP TABLE bench_batches AS
WITH a AS (
    SELECT approval_id, approved_on, declared_area_m2, geom
    FROM bench_approvals WHERE approved_on <= %(as_of)s
), u AS (
    SELECT a.approval_id, ST_Union(s.geom) AS sg
    FROM a JOIN bench_supplies s ON ST_Intersects(a.geom, s.geom)
    WHERE s.supplied_on <= %(as_of)s
    GROUP BY a.approval_id
)
SELECT a.approval_id, a.approved_on, a.declared_area_m2,
       ST_Area(a.geom) AS approved_m2,
       COALESCE(ST_Area(ST_Intersection(a.geom, u.sg)), 0) AS supplied_m2,
       CASE WHEN u.sg IS NULL THEN a.geom ELSE ST_Difference(a.geom, u.sg) END AS rest
FROM a LEFT JOIN u USING (approval_id)
"""

SQL_PIECES = """
CREATE TEMP TABLE bench_pieces AS
SELECT approval_id, area_m2,
       2 * (ST_MaximumInscribedCircle(geom)).radius AS width_m,
       row_number() OVER (PARTITION BY approval_id
                          ORDER BY area_m2 DESC, ST_XMin(geom), ST_YMin(geom)) AS n,
       geom
FROM (SELECT b.approval_id, d.geom, ST_Area(d.geom) AS area_m2
      FROM bench_batches b, ST_Dump(b.rest) AS d) p
WHERE area_m2 >= %(dust)s
"""

SQL_BATCH_LEDGER = """
SELECT approval_id, approved_on, approved_m2, supplied_m2,
       (%(as_of)s::date - approved_on) / 365.25 AS age_years,
       supplied_m2 / NULLIF(approved_m2, 0) AS supply_rate,
       CASE WHEN supplied_m2 / NULLIF(approved_m2, 0) >= %(full_rate)s THEN 'full'
            WHEN supplied_m2 < %(dust)s THEN 'none' ELSE 'partial' END AS status,
       supplied_m2 < %(dust)s
           AND %(as_of)s::date >= approved_on + make_interval(years => %(lapse_years)s) AS lapsed,
       abs(declared_area_m2 - approved_m2) / NULLIF(approved_m2, 0) > %(mismatch)s AS area_mismatch
FROM bench_batches ORDER BY approval_id
"""

SQL_PIECE_LEDGER = """
SELECT approval_id || '-' || n AS piece_id, approval_id, n, area_m2, width_m,
       area_m2 >= %(min_m2)s AND width_m >= %(min_width)s AS usable
FROM bench_pieces ORDER BY approval_id, n
"""

SQL_FIVE_YEAR = """
SELECT count(*), sum(approved_m2), sum(CASE WHEN supplied_m2 < %(dust)s THEN 0 ELSE supplied_m2 END)
FROM bench_batches
WHERE approved_on > %(as_of)s::date - make_interval(years => %(window)s)
  AND approved_on <= %(as_of)s
"""



def _machine() -> dict[str, object]:
    return machine(shapely=shapely.__version__, geos=".".join(map(str, shapely.geos_version)))


# ----------------------------------------------------------------------------------------------
# dideng
# ----------------------------------------------------------------------------------------------
def time_dideng(layers: dict, repeat: int):
    approvals, supplies = layers["approvals"], layers["supplies"]
    median, runs, result = median_time(lambda: unsupplied(approvals, supplies, DEMO_AS_OF),
                                       repeat)
    return {"median_s": round(median, 3), "runs_s": runs}, result


# ----------------------------------------------------------------------------------------------
# PostGIS
# ----------------------------------------------------------------------------------------------
def _load(con, layers: dict, srid: int) -> float:
    """COPY approvals and supplies as WKB, GiST indexes, VACUUM ANALYZE; returns seconds."""
    t0 = time.perf_counter()
    con.execute("DROP TABLE IF EXISTS bench_approvals, bench_supplies")
    con.execute(f"""CREATE TABLE bench_approvals (approval_id text PRIMARY KEY, approved_on date,
                    declared_area_m2 double precision, geom geometry(MultiPolygon, {srid}))""")
    con.execute(f"""CREATE TABLE bench_supplies (supply_id text PRIMARY KEY, supplied_on date,
                    geom geometry(MultiPolygon, {srid}))""")
    specs = (
        ("bench_approvals", layers["approvals"], ["approval_id", "approved_on", "declared_area_m2"]),
        ("bench_supplies", layers["supplies"], ["supply_id", "supplied_on"]),
    )
    for table, frame, cols in specs:
        copy_rows(con, table, cols, frame_chunks(frame, cols, srid))
        index_and_analyze(con, table)
    return time.perf_counter() - t0


def sql_params(policy: Policy) -> dict:
    """The parameters of the SQL above: ``DEMO_AS_OF`` and the ``[unsupplied]`` policy."""
    rules = policy.unsupplied
    return {
        "as_of": DEMO_AS_OF, "dust": DUST_M2, "full_rate": float(rules.full_rate),
        "lapse_years": int(rules.lapse_years), "mismatch": float(rules.area_mismatch),
        "min_m2": float(rules.piece_min_mu) * M2_PER_MU,
        "min_width": float(rules.piece_min_width_m), "window": int(rules.window_years),
    }


def pg_unsupplied(con, params: dict) -> dict:
    """The SQL above over ``bench_approvals`` and ``bench_supplies``: the batch and piece ledgers
    (without geometry) fetched to the client, and the five-year sums."""
    con.execute("DROP TABLE IF EXISTS bench_batches, bench_pieces")
    con.execute(SQL_BATCHES, params)
    con.execute(SQL_PIECES, params)
    cur = con.execute(SQL_BATCH_LEDGER, params)
    batches = pd.DataFrame(cur.fetchall(), columns=[d.name for d in cur.description])
    cur = con.execute(SQL_PIECE_LEDGER, params)
    pieces = pd.DataFrame(cur.fetchall(), columns=[d.name for d in cur.description])
    count, appr, sup = con.execute(SQL_FIVE_YEAR, params).fetchone()
    return {"batches": batches, "pieces": pieces, "five_year": (count, appr, sup)}


def time_postgis(url: str, layers: dict, repeat: int, policy: Policy):
    conn, reason = connect(url)
    if conn is None:
        return {"available": False, "reason": reason}, None
    con, version = conn
    try:
        srid = layers["approvals"].crs.to_epsg()
        load_s = _load(con, layers, srid)
        params = sql_params(policy)
        median, runs, result = median_time(lambda: pg_unsupplied(con, params), repeat)
        server = con.execute("SHOW server_version").fetchone()[0]
    finally:
        con.close()
    return {"available": True, "url": url, "server": server, "postgis": version,
            "load_s": round(load_s, 2), "median_s": round(median, 3), "runs_s": runs}, result


def agreement(ours, pg: dict) -> dict:
    """How far dideng's and PostGIS's answers are apart."""
    b, p = ours.batches, ours.pieces
    pb, pp = pg["batches"], pg["pieces"]
    sup_ours = float(b["supplied_mu"].sum())
    sup_pg = float(pb["supplied_m2"].where(pb["supplied_m2"] >= DUST_M2, 0).sum() / M2_PER_MU)
    status_ours = {str(k): int(v) for k, v in b["status"].value_counts().items()}
    status_pg = {str(k): int(v) for k, v in pb["status"].value_counts().items()}
    joined = p[["approval_id", "piece_id", "area_mu", "width_m", "usable"]].merge(
        pp[["piece_id", "area_m2", "width_m", "usable"]], on="piece_id", how="inner",
        suffixes=("", "_pg"))
    darea = (joined["area_mu"] - joined["area_m2"] / M2_PER_MU).abs()
    dwidth = joined["width_m"] - joined["width_m_pg"]
    count, appr, sup = pg["five_year"]
    rate_pg = float(sup) / float(appr) if appr else None
    out = {
        "batches": {"dideng": len(b), "postgis": len(pb)},
        "supplied_mu": {"dideng": round(sup_ours, 4), "postgis": round(sup_pg, 4),
                        "rel_diff": abs(sup_ours - sup_pg) / max(sup_pg, 1e-9)},
        "status": {"dideng": status_ours, "postgis": status_pg},
        "lapsed": {"dideng": int(b["lapsed"].sum()), "postgis": int(pb["lapsed"].sum())},
        "pieces": {"dideng": len(p), "postgis": len(pp), "matched": len(joined)},
        "piece_area_mu": {"dideng": round(float(p["area_mu"].sum()), 4),
                          "postgis": round(float(pp["area_m2"].sum() / M2_PER_MU), 4),
                          "max_abs_diff_matched": float(darea.max()) if len(darea) else 0.0},
        "width_m": {
            "max_abs_diff": float(dwidth.abs().max()) if len(dwidth) else 0.0,
            "p99_abs_diff": float(dwidth.abs().quantile(0.99)) if len(dwidth) else 0.0,
            "max_rel_diff": float((dwidth.abs() / joined["width_m_pg"].clip(lower=1e-9)).max())
            if len(dwidth) else 0.0,
        },
        "usable": {"dideng": int(p["usable"].sum()), "postgis": int(pp["usable"].sum()),
                   "differ": int((joined["usable"].astype(bool)
                                  != joined["usable_pg"].astype(bool)).sum())},
        "five_year_rate": {"dideng": ours.five_year["rate"], "postgis": rate_pg,
                           "batches": {"dideng": ours.five_year["batches"],
                                       "postgis": int(count)}},
    }
    out["agree"] = bool(
        out["batches"]["dideng"] == out["batches"]["postgis"]
        and out["supplied_mu"]["rel_diff"] <= 1e-6
        and status_ours == status_pg
        and out["lapsed"]["dideng"] == out["lapsed"]["postgis"]
        and abs(len(p) - len(pp)) <= max(1, 0.001 * len(pp))
        and abs(out["piece_area_mu"]["dideng"] - out["piece_area_mu"]["postgis"])
        <= 1e-6 * max(out["piece_area_mu"]["postgis"], 1.0) + 0.01
        and out["usable"]["differ"] <= max(1, 0.005 * len(pp))
        and (rate_pg is None or abs(ours.five_year["rate"] - rate_pg) <= 1e-9)
    )
    return out


# ----------------------------------------------------------------------------------------------
# the whole cleanup
# ----------------------------------------------------------------------------------------------
def _cli() -> str | None:
    cli = dideng_cli()
    if not cli:
        return None
    probe = subprocess.run([cli, "cleanup", "--help"], capture_output=True, text=True,
                           check=False)
    return cli if probe.returncode == 0 else None


def time_cleanup(scale: int, layers: dict) -> dict:
    cli = _cli()
    as_of = DEMO_AS_OF.isoformat()
    if cli:
        with tempfile.TemporaryDirectory(prefix="dideng-bench-") as tmp:
            ws = Path(tmp) / f"demo_scale{scale}.gpkg"
            t0 = time.perf_counter()
            write_demo(ws, scale=scale)
            demo_s = time.perf_counter() - t0
            out = Path(tmp) / "cleanup.json"
            cmd = [cli, "cleanup", "--workspace", str(ws), "--as-of", as_of, "--format", "json",
                   "--out", str(out)]
            child = run_child(cmd)
            wall, peak_mb = child["wall_s"], child["peak_rss_mb"]
            if child["exit_code"] != 0:
                sys.stderr.write(child.get("stderr_tail", ""))
                return {"path": "cli", "command": " ".join(["dideng", *cmd[1:]]), "ok": False,
                        "exit_code": child["exit_code"]}
        return {"path": "cli", "command": f"dideng cleanup --workspace demo_scale{scale}.gpkg "
                f"--as-of {as_of} --format json --out cleanup.json", "ok": True,
                "demo_write_s": round(demo_s, 2), "wall_s": round(wall, 2),
                "peak_rss_mb": round(peak_mb, 1),
                "budget": {"wall_s": CLEANUP_BUDGET_S, "peak_rss_mb": BUDGET_MB,
                           "within": wall < CLEANUP_BUDGET_S and peak_mb < BUDGET_MB}}
    try:
        from gis.cleanup import cleanup as run

        label = "gis.cleanup.cleanup (the dideng cleanup verb is not there yet)"
        t0 = time.perf_counter()
        run(layers, DEMO_AS_OF)
    except ImportError:
        label = "gis.cleanup.unsupplied.unsupplied only (no cleanup verb or function yet)"
        t0 = time.perf_counter()
        unsupplied(layers["approvals"], layers["supplies"], DEMO_AS_OF)
    wall = time.perf_counter() - t0
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"path": "python", "command": label, "ok": True, "wall_s": round(wall, 2),
            "peak_rss_mb": round(peak_mb, 1),
            "budget": {"wall_s": CLEANUP_BUDGET_S, "peak_rss_mb": BUDGET_MB,
                       "within": wall < CLEANUP_BUDGET_S and peak_mb < BUDGET_MB}}


# ----------------------------------------------------------------------------------------------
def run(scale: int, repeat: int, pg_url: str, with_cleanup: bool) -> dict:
    t0 = time.perf_counter()
    layers = build_demo(scale=scale)
    build_s = time.perf_counter() - t0
    policy = Policy.load()
    ours_t, ours = time_dideng(layers, repeat)
    after_ours_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    pg_t, pg = time_postgis(pg_url, layers, repeat, policy)
    result: dict[str, object] = {
        "benchmark": "cleanup",
        "scale": scale,
        "as_of": DEMO_AS_OF.isoformat(),
        "rows": {"approvals": len(layers["approvals"]), "supplies": len(layers["supplies"]),
                 "batches": len(ours.batches), "pieces": len(ours.pieces)},
        "build_demo_s": round(build_s, 2),
        "unsupplied": {**ours_t, "process_peak_rss_mb": round(after_ours_mb, 1)},
        "postgis": pg_t,
    }
    if pg is not None:
        ratio = ours_t["median_s"] / pg_t["median_s"]
        result["ratio"] = round(ratio, 3)
        result["target_ratio"] = round(TARGET_RATIO, 3)
        result["within_target"] = ratio <= TARGET_RATIO
        result["agreement"] = agreement(ours, pg)
    if with_cleanup:
        result["cleanup"] = time_cleanup(scale, layers)
    result["machine"] = _machine()
    return result


def _print(result: dict, path: Path) -> None:
    m = result["machine"]
    print(f"批而未供 unsupplied — demo county ×{result['scale']} at {result['as_of']}   "
          f"({m['cores']} cores, {m['memory_gb']} GB, Python {m['python']}, GEOS {m['geos']})")
    rows = result["rows"]
    print(f"  {rows['approvals']:,} approvals, {rows['supplies']:,} supplies → "
          f"{rows['batches']:,} batches, {rows['pieces']:,} pieces")
    u = result["unsupplied"]
    print(f"  {'dideng unsupplied()':<24}{u['median_s']:>8.2f} s   (median of {u['runs_s']})")
    pg = result["postgis"]
    if pg.get("available"):
        print(f"  {'PostGIS SQL':<24}{pg['median_s']:>8.2f} s   (median of {pg['runs_s']}; "
              f"load {pg['load_s']:.1f} s not counted)")
        ok = "yes" if result["within_target"] else "NO"
        print(f"  {'ratio dideng/PostGIS':<24}{result['ratio']:>8.3f}     "
              f"(target ≤ {result['target_ratio']:.3f}: {ok})")
        a = result["agreement"]
        print(f"  agreement: {'yes' if a['agree'] else 'NO'} — Σ supplied "
              f"{a['supplied_mu']['dideng']:,.2f} / {a['supplied_mu']['postgis']:,.2f} 亩 "
              f"(rel {a['supplied_mu']['rel_diff']:.1e}); status {a['status']['dideng']} / "
              f"{a['status']['postgis']}")
        print(f"             pieces {a['pieces']['dideng']:,} / {a['pieces']['postgis']:,}, "
              f"Σ area {a['piece_area_mu']['dideng']:,.2f} / {a['piece_area_mu']['postgis']:,.2f}"
              f" 亩; usable {a['usable']['dideng']:,} / {a['usable']['postgis']:,} "
              f"({a['usable']['differ']} differ); width max |Δ| "
              f"{a['width_m']['max_abs_diff']:.2f} m (p99 {a['width_m']['p99_abs_diff']:.2f} m)")
    else:
        print(f"  PostGIS: skipped — {pg['reason']}")
    c = result.get("cleanup")
    if c:
        if c.get("ok"):
            within = "yes" if c["budget"]["within"] else "NO"
            print(f"  {c['command']}")
            print(f"  {'whole cleanup':<24}{c['wall_s']:>8.2f} s, peak {c['peak_rss_mb']:,.0f} MB "
                  f"(budget {CLEANUP_BUDGET_S:.0f} s, {BUDGET_MB:.0f} MB: {within})")
        else:
            print(f"  whole cleanup FAILED (exit {c.get('exit_code')}): {c['command']}")
    print(f"  → {path}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=3, help="runs per timing (median)")
    parser.add_argument("--pg-url", default=pg_url())
    parser.add_argument("--no-cleanup", action="store_true",
                        help="skip timing the whole dideng cleanup")
    args = parser.parse_args(argv)
    result = run(args.scale, args.repeat, args.pg_url, not args.no_cleanup)
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"cleanup_scale{args.scale}.json"
    path.write_text(json.dumps(result, ensure_ascii=False, indent=2, default=str) + "\n",
                    encoding="utf-8")
    _print(result, path)
    ok = result.get("within_target", True) and result.get("agreement", {}).get("agree", True)
    c = result.get("cleanup")
    if c:
        ok = ok and c.get("ok", False) and c["budget"]["within"]
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
