"""Benchmark suite (issue 8): the demo county at N times its size, every step timed, the three
spatial analyses beside the same SQL in PostGIS (a benchmark run, not a timed test).

    python tests/benchmarks/bench_suite.py --scales 10 100 1000 [--repeat 3] [--min-time 1]
        [--skip-postgis]

For each N, in a scratch folder, every step runs in a child process of its own, so each peak
memory is that step's alone (measured with ``os.wait4``, see ``_measure.py``) and nothing one step
holds is still held by the next:

1. **Import**: ``dideng demo --scale N --out demo_N.gpkg`` — build and write every layer.
2. The verbs on that workspace, whole commands as a user runs them: ``dideng cleanup`` (read,
   the three lists incl. the 亩均 classes, write the result layers back), ``dideng evaluate``,
   ``dideng match --project P`` (read, build the index, one match).
3. The analysis functions themselves, in process, layers read first and not timed (median of
   ``--repeat`` runs, for the analyses compared with PostGIS at least as many as add up to
   ``--min-time`` seconds): :func:`gis.cleanup.unsupplied`, :func:`gis.cleanup.idle`;
   :meth:`gis.matching.MatchIndex.build` (once); the candidate attributes of the index alone
   (:func:`gis.matching.pool.build_pool` with the pool's clean-up taken as given); the matcher's
   candidate filter :func:`gis.matching.rules.evaluate` (the hard rules over the index), the
   same filter from cold (:class:`gis.matching.cold.ColdIndex`: every candidate's statuses for
   one project, nothing prepared, the pool's clean-up given) and one :func:`gis.matching.match`,
   for each of the base county's ten projects.
4. The OGC API: ``/collections/parcels/items?limit=1000`` at random offsets and 1 km ``bbox``
   pages around random parcels (CRS84), 20 each (median), in process through FastAPI's
   TestClient on ``api.create_app`` with a planner key; the first request, which loads the layer
   and builds its R-tree, is reported apart.
5. **PostGIS** on the same data (``DIDENG_BENCH_PG_URL``, default
   ``postgresql://postgres@127.0.0.1/dideng_bench``; skipped with the reason when it is not
   reachable, or with ``--skip-postgis``): the tables the SQL needs are streamed from the
   GeoPackage by COPY in chunks (schema ``bench_suite``, GiST indexes, VACUUM ANALYZE; dropped
   at the end) — approvals, supplies, constraints, zoning, infrastructure, zones, and the match
   pool's candidates as dideng made them — then, in a session with ``work_mem`` 256 MB and JIT off
   (PostGIS functions' cost estimates make PostgreSQL JIT-compile nearly every statement, about
   0.5 s each, more than most of these queries take to run; ``--pg-jit`` leaves it on), each
   query timed in alternate blocks of runs with dideng's own computation of the same answer
   (:func:`_measure.paired_times`: ours, theirs; theirs, ours; …), each side at least
   ``--repeat`` runs and on until its runs add up to ``--min-time`` seconds, the medians
   compared — the machine's speed drifts over minutes, and both sides then meet it at the same
   speed:

   * 批而未供 unsupplied remainders: ``bench_cleanup.py``'s SQL, unchanged, and its agreement test;
   * 闲置 idle: the 53号令 rules of ``gis/cleanup/idle.py`` (:data:`SQL_IDLE`), same as_of and
     policy numbers, the same ledger columns fetched (the geometry as WKB);
   * 候选地筛选 candidate filter: the matcher's hard rules for one project (:data:`SQL_FILTER`),
     the passing candidate ids fetched, for each of the ten projects.

   Each is checked against dideng's answer (counts, ids, areas within 1e-6 relative); the
   candidate attributes the rules read (red-line overlap, net area, zoning at the representative
   point) are compared for every candidate (:data:`SQL_SITES`, timed for information only).

Ratio = dideng's time ÷ PostGIS's time; target ≤ 1/3. For the candidate filter three ratios,
all against the same SQL (which starts from the candidates and the GiST indexes every time):
*per request*, dideng's ``evaluate`` on an index built beforehand — what a service answers
with; *one project from cold*, :class:`~gis.matching.cold.ColdIndex` (what ``dideng match
--project`` runs: the cheap attributes of every candidate, the distance rules the project has
by bounded ``dwithin`` queries) — the like-for-like one, per project against that project's
query, the ratio of the means; and *the county's ten projects, each from cold*: ten cold runs
against ten queries (what a bureau's matching round costs either way).

Prints one table (steps × scales: seconds, peak memory, PostGIS seconds, ratio), writes
``tests/benchmarks/results/suite.json`` with the machine, and the same table as Markdown to
``tests/benchmarks/results/suite.md`` for the README.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
import unicodedata
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import shapely

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
for _p in (str(ROOT), str(HERE)):
    if _p not in sys.path:  # run as a script from anywhere
        sys.path.insert(0, _p)

import bench_cleanup  # noqa: E402  (its SQL, parameters and agreement test)
from _machine import machine  # noqa: E402
from _measure import dideng_cli, median_time, paired_times, run_child  # noqa: E402
from _postgis import connect, load_arrow  # noqa: E402
from _postgis import url as pg_url  # noqa: E402

from gis.policy import Policy  # noqa: E402
from layers.demo import DEMO_AS_OF  # noqa: E402

RESULTS = HERE / "results"
TARGET_RATIO = 1 / 3
DEFAULT_SCALES = (10, 100, 1000)
DEFAULT_PROJECT = "XM2026002"
#: the base county's projects (copy 0 of a scaled county comes first)
FILTER_PROJECTS = 10
#: runs of the (millisecond) filter per project, and requests per OGC page kind
FILTER_RUNS = 20
OGC_REQUESTS = 20
PLANNER = {"X-API-Key": "demo-planner"}
SCHEMA = "bench_suite"
#: relative tolerance of areas compared between dideng and PostGIS
AREA_RTOL = 1e-6

# ----------------------------------------------------------------------------------------------
# the SQL (tables in schema bench_suite: bench_approvals, bench_supplies, bench_constraints,
# bench_zoning, bench_infrastructure, bench_zones, bench_candidates)
# ----------------------------------------------------------------------------------------------
#: what PostGIS loads: table → (GeoPackage layer or None for the pool's candidates, columns)
LOADS: dict[str, tuple[str | None, tuple[str, ...]]] = {
    "bench_approvals": ("approvals", ("approval_id", "approved_on", "declared_area_m2")),
    "bench_supplies": ("supplies", (
        "supply_id", "parcel_id", "user_credit_code", "user_name", "supplied_on",
        "agreed_start", "actual_start",
        "actual_completion", "halted_on", "developed_area_m2", "invested_wan",
        "total_investment_wan", "delay_cause", "price_wan")),
    "bench_constraints": ("constraints", ("constraint_id", "effect", "buffer_m")),
    "bench_zoning": ("zoning", (
        "zoning_id", "planned_use", "investment_min_wan_per_mu", "tax_min_wan_per_mu",
        "output_min_wan_per_mu", "energy_max_tce_per_wan")),
    "bench_infrastructure": ("infrastructure", ("facility_id", "kind", "spare_kva")),
    "bench_zones": ("zones", ("zone_id", "parent_id")),
    "bench_candidates": (None, ("candidate_id", "source", "land_use", "zone_id")),
}

# 闲置 idle — gis/cleanup/idle.py: supplies known on as_of; completed never idle; A 未动工: not
# started (actual_start after as_of counts as not started) and as_of ≥ agreed_start + grace; B 动工后
# 中止: started, halted on or before as_of, and a measured shortfall (developed < share × area, or
# invested < share × total; a test without figures cannot fail), idle from halted_on + halt;
# calendar anniversaries (date + interval: 29 Feb → 28 Feb, as pandas' DateOffset); watch: due
# within watch_days after as_of; action and fee as the module says; ordered as dideng orders.
# It returns the same ledger as idle() (its columns; the geometry as WKB, as a client gets it).
SQL_IDLE = """
WITH s AS (
    SELECT supply_id, parcel_id, user_credit_code, user_name, geom,
           agreed_start, delay_cause, price_wan, ST_Area(geom) AS area_m2,
           COALESCE(actual_start <= %(as_of)s, false) AS started,
           COALESCE(actual_completion <= %(as_of)s, false) AS completed,
           CASE WHEN halted_on <= %(as_of)s THEN halted_on END AS halted_on,
           developed_area_m2, invested_wan, total_investment_wan
    FROM bench_supplies
    WHERE supplied_on <= %(as_of)s
), k AS (
    SELECT s.*,
           CASE WHEN NOT completed AND NOT started AND agreed_start IS NOT NULL THEN 'A'
                WHEN NOT completed AND started AND halted_on IS NOT NULL
                     AND ((developed_area_m2 IS NOT NULL AND area_m2 > 0
                           AND developed_area_m2 < %(developed_share)s * area_m2)
                       OR (invested_wan IS NOT NULL AND total_investment_wan > 0
                           AND invested_wan < %(invested_share)s * total_investment_wan))
                THEN 'B' END AS idle_type
    FROM s
), d AS (
    SELECT k.*,
           CASE idle_type WHEN 'A' THEN agreed_start ELSE halted_on END AS base,
           CASE idle_type
               WHEN 'A' THEN (agreed_start + make_interval(months => %(grace_months)s))::date
               ELSE (halted_on + make_interval(months => %(halt_months)s))::date END AS due,
           CASE WHEN delay_cause IN ('enterprise', 'government') THEN delay_cause
                ELSE 'unknown' END AS cause
    FROM k
    WHERE idle_type IS NOT NULL
), l AS (
    SELECT d.*, due <= %(as_of)s AS is_idle,
           round(((%(as_of)s::date - base) / 365.25)::numeric, 2) AS overdue_years,
           CASE WHEN due > %(as_of)s THEN 'watch'
                WHEN cause = 'government' THEN 'negotiate'
                WHEN (base + make_interval(months => %(take_back_months)s))::date <= %(as_of)s
                    THEN 'take_back'
                ELSE 'levy_fee' END AS action
    FROM d
    WHERE due <= %(as_of)s::date + %(watch_days)s
)
SELECT supply_id, parcel_id, user_credit_code, user_name, idle_type, agreed_start, halted_on,
       CASE WHEN is_idle THEN due END AS idle_since,
       CASE WHEN NOT is_idle THEN due END AS becomes_idle_on,
       overdue_years::float8 AS overdue_years, cause, action,
       CASE WHEN action = 'negotiate' THEN %(options)s END AS options,
       (CASE WHEN action = 'levy_fee' THEN round((%(fee_rate)s * price_wan)::numeric, 4)
             ELSE 0 END)::float8 AS fee_wan, price_wan,
       round((area_m2 * 3 / 2000)::numeric, 4)::float8 AS area_mu,
       ST_AsBinary(geom) AS geometry
FROM l
ORDER BY NOT is_idle, CASE WHEN is_idle THEN -overdue_years ELSE 0 END,
         CASE WHEN NOT is_idle THEN due END, supply_id COLLATE "C"
"""

# The candidate attributes the hard rules read (gis/matching/pool.py), as SQL over a candidate
# row {g}: overlap (m²) with the union of the exclude constraints it intersects; overlap with the
# union of the penalize constraints buffered by buffer_m (missing = 0; found by ST_DWithin up to
# the largest buffer, then each within its own); the zoning polygon containing the
# representative point, the smallest where several do.
_RED_LINE = """COALESCE((SELECT ST_Area(ST_Intersection({g}, ST_Union(x.geom)))
                  FROM bench_constraints x
                  WHERE x.effect = 'exclude' AND ST_Intersects({g}, x.geom)), 0)"""
_PENALIZED = """COALESCE((SELECT ST_Area(ST_Intersection({g},
                          ST_Union(ST_Buffer(x.geom, COALESCE(x.buffer_m, 0)))))
                  FROM bench_constraints x
                  WHERE x.effect = 'penalize' AND ST_DWithin({g}, x.geom, %(max_buffer)s)
                    AND ST_DWithin({g}, x.geom, COALESCE(x.buffer_m, 0))), 0)"""
_ZONING = """LEFT JOIN LATERAL (
        SELECT true AS hit, g.zoning_id, g.planned_use,
               g.investment_min_wan_per_mu AS inv_min, g.tax_min_wan_per_mu AS tax_min,
               g.output_min_wan_per_mu AS out_min, g.energy_max_tce_per_wan AS energy_max
        FROM bench_zoning g
        WHERE ST_Within(ST_PointOnSurface({g}), g.geom)
        ORDER BY ST_Area(g.geom) LIMIT 1) zz ON true"""


def _at(fragment: str, geom: str) -> str:
    return fragment.replace("{g}", geom)


# 候选地筛选 — gis/matching/rules.py evaluate(): a candidate passes when no rule fails (unknown
# never excludes). land_use: the planned use (zoning at the representative point, else the
# candidate's own) in the project's 4-digit class with a category ≥ the project's (≥ 1), or no
# category; red_line: exclude overlap < tolerance; area: net area ≥ need_min; too_large: gross
# area ≤ factor × need_max; standard_land: investment / gross 亩 ≥ the zoning's minimum, and
# tax, output per 亩 and energy per output where the project states them; rail / highway /
# power: a rail facility within rail_km, a highway exit within the project's limit, a
# substation with spare ≥ the project's kVA within power_km, each only when asked; zones: the
# candidate's zone or one of its ancestors among the project's zones, when required. Gross area
# bounds the net area from above, so the area window is tested first, on the table itself.
SQL_FILTER = """
WITH RECURSIVE zpath(zone_id, anc) AS (
    SELECT zone_id, zone_id FROM bench_zones
    UNION
    SELECT p.zone_id, z.parent_id FROM zpath p JOIN bench_zones z ON z.zone_id = p.anc
    WHERE z.parent_id IS NOT NULL
), w AS (
    SELECT candidate_id, zone_id, land_use, geom, ST_Area(geom) AS area_m2,
           ST_Area(geom) * 3 / 2000 AS area_mu
    FROM bench_candidates
    WHERE ST_Area(geom) * 3 / 2000 >= %(need_min)s - %(eps)s
      AND ST_Area(geom) * 3 / 2000 <= %(too_large)s + %(eps)s
), z AS (
    SELECT w.*, zz.inv_min, zz.tax_min, zz.out_min, zz.energy_max,
           CASE WHEN zz.hit THEN zz.planned_use ELSE w.land_use END AS planned_use
    FROM w """ + _at(_ZONING, "w.geom") + """
), u AS (
    SELECT z.*,
           CASE WHEN planned_use ~ '^.{4}[0-9]{2}' THEN substr(planned_use, 5, 2)::int
                ELSE 0 END AS use_cat
    FROM z
)
SELECT candidate_id FROM u
WHERE left(planned_use, 4) = %(use_class)s
  AND (use_cat = 0 OR use_cat >= %(use_cat)s)
  AND CASE WHEN area_mu > 0 THEN
        (inv_min IS NULL OR %(investment)s / area_mu >= inv_min)
        AND (%(tax)s::float8 IS NULL OR tax_min IS NULL OR %(tax)s / area_mu >= tax_min)
        AND (%(output)s::float8 IS NULL OR out_min IS NULL OR %(output)s / area_mu >= out_min)
      ELSE true END
  AND (%(energy)s::float8 IS NULL OR energy_max IS NULL OR %(energy)s <= energy_max)
  AND (NOT %(needs_rail)s OR EXISTS (
        SELECT 1 FROM bench_infrastructure i
        WHERE i.kind = 'rail' AND ST_DWithin(u.geom, i.geom, %(rail_m)s)))
  AND (%(highway_m)s::float8 IS NULL OR EXISTS (
        SELECT 1 FROM bench_infrastructure i
        WHERE i.kind = 'highway_exit' AND ST_DWithin(u.geom, i.geom, %(highway_m)s)))
  AND (%(kva)s::float8 IS NULL OR EXISTS (
        SELECT 1 FROM bench_infrastructure i
        WHERE i.kind = 'substation' AND COALESCE(i.spare_kva, 0) >= %(kva)s
          AND ST_DWithin(u.geom, i.geom, %(power_m)s)))
  AND (NOT %(zones_required)s OR u.zone_id = ANY(%(zones)s) OR EXISTS (
        SELECT 1 FROM zpath p WHERE p.zone_id = u.zone_id AND p.anc = ANY(%(zones)s)))
  AND """ + _at(_RED_LINE, "u.geom") + """ < %(red_tolerance)s
  AND GREATEST(u.area_m2 - """ + _at(_PENALIZED, "u.geom") + """, 0) * 3 / 2000
      >= %(need_min)s - %(eps)s
ORDER BY candidate_id COLLATE "C"
"""

#: the attributes of every candidate, for the agreement test (not a timed comparison)
SQL_SITES = """
SELECT c.candidate_id, ST_Area(c.geom) * 3 / 2000 AS area_mu,
       """ + _at(_RED_LINE, "c.geom") + """ AS red_line_m2,
       GREATEST(ST_Area(c.geom) - """ + _at(_PENALIZED, "c.geom") + """, 0) * 3 / 2000
           AS net_area_mu,
       zz.zoning_id, CASE WHEN zz.hit THEN zz.planned_use ELSE c.land_use END AS planned_use
FROM bench_candidates c """ + _at(_ZONING, "c.geom")


# ----------------------------------------------------------------------------------------------
# steps run in child processes (python bench_suite.py --step NAME …)
# ----------------------------------------------------------------------------------------------
def _read(ws_path: str, names) -> tuple[dict[str, pd.DataFrame], float]:
    from gis.workspace import open_workspace

    t0 = time.perf_counter()
    ws = open_workspace(ws_path)
    present = set(ws.layers())
    layers = {n: ws.read(n) for n in names if n in present}
    return layers, round(time.perf_counter() - t0, 3)


def _timing(median: float, runs: list[float]) -> dict:
    return {"median_s": round(median, 5), "runs_s": runs}


def step_cleanup_functions(args) -> dict:
    """unsupplied() and idle() on the workspace's layers; their ledgers kept for PostGIS."""
    from gis.cleanup import idle, unsupplied

    layers, read_s = _read(args.workspace, ("approvals", "supplies"))
    approvals, supplies = layers["approvals"], layers["supplies"]
    policy = Policy.load()
    u_med, u_runs, un = median_time(
        lambda: unsupplied(approvals, supplies, DEMO_AS_OF, policy), args.repeat, args.min_time)
    i_med, i_runs, ledger = median_time(lambda: idle(supplies, DEMO_AS_OF, policy),
                                        args.repeat, args.min_time)
    scratch = Path(args.scratch)
    pd.DataFrame(un.batches[["approval_id", "supplied_mu", "status", "lapsed"]]).to_parquet(
        scratch / "unsupplied_batches.parquet")
    pd.DataFrame(un.pieces[["approval_id", "piece_id", "area_mu", "width_m", "usable"]]
                 ).to_parquet(scratch / "unsupplied_pieces.parquet")
    (scratch / "unsupplied_five_year.json").write_text(json.dumps(un.five_year))
    pd.DataFrame(ledger.drop(columns=ledger.geometry.name)).assign(
        geometry=shapely.to_wkb(ledger.geometry.values)).to_parquet(scratch / "idle.parquet")
    return {
        "read_s": read_s,
        "rows": {"approvals": len(approvals), "supplies": len(supplies)},
        "unsupplied": {**_timing(u_med, u_runs), "batches": len(un.batches),
                       "pieces": len(un.pieces)},
        "idle": {**_timing(i_med, i_runs), "rows": len(ledger),
                 "by_action": {str(k): int(v) for k, v in
                               ledger["action"].value_counts().sort_index().items()}},
    }


def step_match_functions(args) -> dict:
    """MatchIndex.build, the candidate attributes alone, evaluate() and match() per project;
    the candidates, their attributes and each project's passing ids kept for PostGIS."""
    from unittest import mock

    from gis.matching import MatchIndex, match
    from gis.matching import pool as pool_module
    from gis.matching.rules import FAIL, RULES, Project, evaluate
    from layers import MATCH_LAYERS

    layers, read_s = _read(args.workspace, (*MATCH_LAYERS, "projects"))
    policy = Policy.load()
    t0 = time.perf_counter()
    index = MatchIndex.build(layers, as_of=DEMO_AS_OF, policy=policy)
    build_s = time.perf_counter() - t0
    cands = index.candidates
    # the pool as the clean-ups gave it (build_pool's first step, pool._gather): its columns
    # before build_pool added the attributes, in the same order
    gathered = cands[["candidate_id", "source", "land_use", "geometry", "zone_id", "town"]].copy()
    with mock.patch.object(pool_module, "_gather", lambda *_: gathered.copy()):
        a_med, a_runs, pool = median_time(
            lambda: pool_module.build_pool(layers, index.as_of, policy), args.repeat)
    same = bool(np.array_equal(pool.candidates["red_line_m2"], cands["red_line_m2"])
                and np.array_equal(pool.candidates["net_area_mu"], cands["net_area_mu"]))

    ids = cands["candidate_id"].to_numpy(dtype=object)
    projects, evaluate_s, match_s, cold_s = [], [], [], []
    for row in layers["projects"].head(FILTER_PROJECTS).to_dict("records"):
        prj = Project.of(row)

        def rules(prj=prj):
            return evaluate(index.sites, prj, policy, levels=index.pool.spare_levels,
                            zone_paths=index.zone_paths)

        # one project from cold (what `dideng match --project` does), the pool gathered as above
        def cold(prj=prj):
            return _cold_statuses(layers, gathered, policy, prj)

        e_med, _, status = median_time(rules, FILTER_RUNS)
        c_med, c_runs, c_status = median_time(cold, args.repeat, args.min_time)
        fails = np.stack([status[r] == FAIL for r in RULES])
        passing = sorted(ids[~fails.any(axis=0)].tolist())
        cold_same = all(np.array_equal(c_status[r], status[r]) for r in RULES)
        cold_s.append(c_med)
        _, m_runs, answer = median_time(lambda row=row: match(row, index=index), args.repeat)
        evaluate_s.append(e_med)
        match_s.extend(m_runs)
        projects.append({"project_id": prj.project_id, "project": prj.to_json(),
                         "evaluate_median_s": round(e_med, 6), "passing": passing,
                         "cold_median_s": round(c_med, 5), "cold_runs_s": c_runs,
                         "cold_same_statuses": cold_same,
                         "failing_by_rule": {r: int(f.sum()) for r, f in zip(RULES, fails,
                                                                              strict=True)},
                         "match_runs_s": m_runs, "sites": len(answer["sites"])})

    scratch = Path(args.scratch)
    gathered.to_parquet(scratch / "candidates.parquet")
    pd.DataFrame({"candidate_id": ids, "area_mu": index.sites["area_mu"],
                  "red_line_m2": index.sites["red_line_m2"],
                  "net_area_mu": index.sites["net_area_mu"],
                  "zoning_id": cands["zoning_id"].to_numpy(dtype=object),
                  "planned_use": index.sites["planned_use"]}).to_parquet(scratch / "sites.parquet")
    (scratch / "filter.json").write_text(json.dumps(projects, ensure_ascii=False))
    return {
        "read_s": read_s,
        "candidates": len(cands),
        "sources": {str(k): int(v) for k, v in cands["source"].value_counts().items()},
        "index_build_s": round(build_s, 3),
        "attributes": {**_timing(a_med, a_runs), "same_as_index": same,
                       "what": "gis.matching.pool.build_pool with its _gather (the clean-ups) "
                               "given: constraint overlaps, zoning, flags, zone paths, "
                               "facility distances"},
        "evaluate": {"projects": len(projects), "mean_of_medians_s":
                     round(float(np.mean(evaluate_s)), 6),
                     "per_project_s": {p["project_id"]: p["evaluate_median_s"] for p in projects},
                     "passing": {p["project_id"]: len(p["passing"]) for p in projects}},
        "cold": {"projects": len(projects),
                 "mean_of_medians_s": round(float(np.mean(cold_s)), 5),
                 "per_project_s": {p["project_id"]: p["cold_median_s"] for p in projects},
                 "same_as_index": all(p["cold_same_statuses"] for p in projects),
                 "what": "gis.matching.cold.ColdIndex.build(...).statuses(project) with its "
                         "_gather (the clean-ups) given: every candidate's hard-rule statuses "
                         "for one project, nothing prepared"},
        "match": {"requests": len(match_s), "median_s": round(statistics.median(match_s), 4),
                  "p90_s": round(float(np.quantile(match_s, 0.9)), 4)},
    }


def step_ogc(args) -> dict:
    """1,000-feature pages and 1 km bbox pages of parcels through the app, in process."""
    import pyogrio
    from fastapi.testclient import TestClient
    from pyproj import Transformer

    from api import Settings, create_app

    rng = random.Random(8)
    app = create_app(Settings(workspace=str(args.workspace), demo_keys=True,
                              environment="development"))
    with TestClient(app) as client:
        def get(params: dict) -> tuple[float, dict]:
            t0 = time.perf_counter()
            r = client.get("/collections/parcels/items", params=params, headers=PLANNER)
            seconds = time.perf_counter() - t0
            if r.status_code != 200:
                raise RuntimeError(f"items {params}: HTTP {r.status_code} {r.text[:300]}")
            return seconds, r.json()

        first_s, body = get({"limit": 1000})
        matched = int(body["numberMatched"])
        pages, page_sizes = [], []
        for _ in range(OGC_REQUESTS):
            offset = 1000 * rng.randrange(max(1, matched // 1000))
            s, body = get({"limit": 1000, "offset": offset})
            pages.append(s)
            page_sizes.append(len(body["features"]))
        _, bounds = pyogrio.read_bounds(args.workspace, layer="parcels")
        crs = pyogrio.read_info(args.workspace, layer="parcels")["crs"]
        to84 = Transformer.from_crs(crs, "OGC:CRS84", always_xy=True)
        picks = [rng.randrange(bounds.shape[1]) for _ in range(OGC_REQUESTS)]
        lon, lat = to84.transform((bounds[0, picks] + bounds[2, picks]) / 2,
                                  (bounds[1, picks] + bounds[3, picks]) / 2)
        boxes, box_sizes = [], []
        for x, y in zip(lon, lat, strict=True):  # about 1 km × 1 km at 30°N
            s, body = get({"bbox": f"{x - 0.0052:.6f},{y - 0.0045:.6f},{x + 0.0052:.6f},"
                                   f"{y + 0.0045:.6f}", "limit": 1000})
            boxes.append(s)
            box_sizes.append(len(body["features"]))
    return {
        "parcels": matched,
        "first_request_s": round(first_s, 3),
        "page_1000": {"requests": len(pages), "median_s": round(statistics.median(pages), 5),
                      "p90_s": round(float(np.quantile(pages, 0.9)), 5),
                      "features_median": statistics.median(page_sizes)},
        "bbox_1km": {"requests": len(boxes), "median_s": round(statistics.median(boxes), 5),
                     "p90_s": round(float(np.quantile(boxes, 0.9)), 5),
                     "features_median": statistics.median(box_sizes)},
        "client": "fastapi.testclient.TestClient on api.create_app (in process, planner key)",
    }


def _fetch(con, sql: str, params: dict) -> pd.DataFrame:
    cur = con.execute(sql, params)
    return pd.DataFrame(cur.fetchall(), columns=[d.name for d in cur.description])


def _idle_params(policy: Policy) -> dict:
    p = policy.idle

    def months(years: float) -> int:
        return round(float(years) * 12)  # dideng refuses anything but whole months

    return {"as_of": DEMO_AS_OF, "grace_months": months(p.grace_years),
            "halt_months": months(p.halt_years), "take_back_months": months(p.take_back_years),
            "watch_days": int(p.watch_days), "developed_share": float(p.developed_share_min),
            "invested_share": float(p.invested_share_min), "fee_rate": float(p.fee_rate),
            "options": ";".join(p.government_options)}


def _filter_params(project: dict, policy: Policy, max_buffer: float) -> dict:
    from gis.matching.rules import AREA_EPS_MU, use_parts

    m = policy.matching
    use_class, cat = use_parts(project["land_use"])
    output = project.get("expected_output_wan")
    energy = project.get("energy_tce")
    highway = project.get("max_km_to_highway_exit")
    zones = list(project.get("zones") or [])
    return {
        "need_min": float(project["need_mu_min"]), "eps": AREA_EPS_MU,
        "too_large": float(m.too_large_factor) * float(project["need_mu_max"]),
        "use_class": use_class, "use_cat": max(cat, 1),
        "investment": float(project["investment_wan"]), "tax": project.get("expected_tax_wan"),
        "output": output,
        "energy": energy / output if energy is not None and output else None,
        "needs_rail": bool(project.get("needs_rail")), "rail_m": float(m.rail_km) * 1000,
        "highway_m": None if highway is None else float(highway) * 1000,
        "kva": project.get("power_kva"), "power_m": float(m.power_km) * 1000,
        "zones_required": bool(project.get("zones_required")) and bool(zones), "zones": zones,
        "red_tolerance": float(m.red_line_tolerance_m2), "max_buffer": max_buffer,
    }


def _close(a: pd.Series, b: pd.Series) -> np.ndarray:
    """Equal within :data:`AREA_RTOL` relative (1e-6 m² or 亩 absolute near zero); NaN = NaN."""
    a, b = a.astype(float).to_numpy(), b.astype(float).to_numpy()
    tol = AREA_RTOL * np.maximum(np.abs(a), np.abs(b)) + 1e-6
    return (np.abs(a - b) <= tol) | (np.isnan(a) & np.isnan(b))


def _idle_agreement(ours: pd.DataFrame, pg: pd.DataFrame) -> dict:
    joined = ours.merge(pg, on="supply_id", how="outer", suffixes=("", "_pg"), indicator=True)
    both = joined[joined["_merge"] == "both"]

    def differ(col: str) -> int:
        a, b = both[col].astype(object), both[f"{col}_pg"].astype(object)
        return int((~((a == b) | (a.isna() & b.isna()))).sum())

    def dates_differ(col: str) -> int:
        a = pd.to_datetime(both[col]).dt.date
        b = pd.to_datetime(both[f"{col}_pg"]).dt.date
        return int((~((a == b) | (a.isna() & b.isna()))).sum())

    out = {
        "rows": {"dideng": len(ours), "postgis": len(pg), "matched": len(both)},
        "same_order": ours["supply_id"].astype(str).tolist() == pg["supply_id"].tolist(),
        "differ": {**{col: differ(col) for col in (
                       "parcel_id", "user_credit_code", "user_name", "idle_type", "action",
                       "cause", "options")},
                   **{col: dates_differ(col) for col in ("agreed_start", "halted_on")},
                   "price_wan": int((~_close(both["price_wan"], both["price_wan_pg"])).sum()),
                   "idle_since": dates_differ("idle_since"),
                   "becomes_idle_on": dates_differ("becomes_idle_on"),
                   "fee_wan": int((~_close(both["fee_wan"].round(4),
                                           both["fee_wan_pg"])).sum()),
                   "overdue_years": int((~(
                       (both["overdue_years"] - both["overdue_years_pg"]).abs() <= 0.0100001
                   )).sum()),
                   "area_mu": int((~_close(both["area_mu"], both["area_mu_pg"])).sum()),
                   "geometry": int((~shapely.equals_exact(
                       shapely.from_wkb(both["geometry"].to_numpy(dtype=object)),
                       shapely.from_wkb([None if g is None else bytes(g)
                                         for g in both["geometry_pg"]]), 0.0)).sum())},
        "area_mu": {"dideng": round(float(ours["area_mu"].sum()), 4),
                    "postgis": round(float(pg["area_mu"].sum()), 4)},
    }
    out["agree"] = bool(len(ours) == len(pg) == len(both) and out["same_order"]
                        and not any(out["differ"].values()))
    return out


def _sites_agreement(ours: pd.DataFrame, pg: pd.DataFrame) -> dict:
    j = ours.merge(pg, on="candidate_id", how="inner", suffixes=("", "_pg"))
    zoning = (j["zoning_id"].astype(object) == j["zoning_id_pg"].astype(object)) | (
        j["zoning_id"].isna() & j["zoning_id_pg"].isna())
    use = (j["planned_use"].astype(object) == j["planned_use_pg"].astype(object)) | (
        j["planned_use"].isna() & j["planned_use_pg"].isna())
    out = {
        "candidates": {"dideng": len(ours), "postgis": len(pg), "matched": len(j)},
        "area_mu_differ": int((~_close(j["area_mu"], j["area_mu_pg"])).sum()),
        "red_line_m2_differ": int((~_close(j["red_line_m2"], j["red_line_m2_pg"])).sum()),
        "net_area_mu_differ": int((~_close(j["net_area_mu"], j["net_area_mu_pg"])).sum()),
        "red_line_m2_max_abs_diff": float((j["red_line_m2"] - j["red_line_m2_pg"]).abs().max())
        if len(j) else 0.0,
        "zoning_differ": int((~zoning).sum()),
        "planned_use_differ": int((~use).sum()),
    }
    out["agree"] = bool(len(ours) == len(pg) == len(j) and out["area_mu_differ"] == 0
                        and out["red_line_m2_differ"] == 0 and out["net_area_mu_differ"] == 0
                        and out["zoning_differ"] == 0 and out["planned_use_differ"] == 0)
    return out


def _cold_statuses(layers: dict, gathered: pd.DataFrame, policy: Policy, prj) -> dict:
    """Every candidate's hard-rule statuses for ``prj`` from cold, through
    :class:`gis.matching.cold.ColdIndex`, the pool as the clean-ups gave it (``gathered``, given
    to it in place of ``pool._gather``)."""
    from unittest import mock

    from gis.matching import ColdIndex
    from gis.matching import pool as pool_module

    with mock.patch.object(pool_module, "_gather", lambda *_: gathered.copy()):
        return ColdIndex.build(layers, as_of=DEMO_AS_OF, policy=policy).statuses(prj)


def _ours(args, policy: Policy) -> dict:
    """dideng's side of each comparison, to be timed beside its SQL: ``unsupplied()`` and
    ``idle()`` on the workspace's layers, and — per project — its hard-rule statuses from cold
    (the pool as the clean-ups gave it, as in :func:`step_match_functions`; the match layers
    read when first needed, so that the clean-ups run in the same process as in
    :func:`step_cleanup_functions`)."""
    import geopandas as gpd

    from gis.cleanup import idle, unsupplied
    from gis.matching.rules import Project
    from layers import MATCH_LAYERS

    layers, _ = _read(args.workspace, ("approvals", "supplies"))
    approvals, supplies = layers["approvals"], layers["supplies"]
    matching: dict = {}

    def cold(project: dict):
        if not matching:
            matching["layers"] = _read(args.workspace, MATCH_LAYERS)[0]
            matching["pool"] = gpd.read_parquet(Path(args.scratch) / "candidates.parquet")
        prj = Project.of(project)
        return lambda: _cold_statuses(matching["layers"], matching["pool"], policy, prj)

    return {"unsupplied": lambda: unsupplied(approvals, supplies, DEMO_AS_OF, policy),
            "idle": lambda: idle(supplies, DEMO_AS_OF, policy), "cold": cold}


def step_postgis(args) -> dict:
    """Load the tables, time the three SQL computations, compare with dideng's answers."""
    from layers import catalogue

    conn, reason = connect(args.pg_url)
    if conn is None:
        return {"available": False, "reason": reason}
    con, version = conn
    scratch = Path(args.scratch)
    policy = Policy.load()
    ours = _ours(args, policy)
    try:
        con.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")
        con.execute(f"CREATE SCHEMA {SCHEMA}")
        con.execute(f"SET search_path TO {SCHEMA}, public")
        con.execute("SELECT set_config('work_mem', %s, false)", (args.pg_work_mem,))
        # PostGIS functions' cost estimates push most plans over jit_above_cost, and compiling
        # costs ~0.5 s a statement; a DBA would turn JIT off for these queries (--pg-jit keeps it)
        con.execute("SELECT set_config('jit', %s, false)", ("on" if args.pg_jit else "off",))
        srid = _srid(args.workspace)
        loads = {}
        for table, (layer, cols) in LOADS.items():
            t0 = time.perf_counter()
            if layer is None:
                types = dict.fromkeys(cols, "str")
                n = load_arrow(con, table, str(scratch / "candidates.parquet"), types, srid)
            else:
                types = {c: catalogue[layer].field(c).dtype for c in cols}
                n = load_arrow(con, table, args.workspace, types, srid, layer=layer)
            loads[table] = {"rows": n, "s": round(time.perf_counter() - t0, 2)}
        settings = {k: con.execute(f"SHOW {k}").fetchone()[0] for k in
                    ("work_mem", "jit", "shared_buffers", "max_parallel_workers_per_gather")}

        # (1) 批而未供: bench_cleanup.py's SQL and its agreement test
        # each SQL timed in alternate blocks of runs with dideng's function (paired_times)
        params = bench_cleanup.sql_params(policy)
        u_ours, (u_med, u_runs, u_pg) = paired_times(
            ours["unsupplied"], lambda: bench_cleanup.pg_unsupplied(con, params), args.repeat,
            args.min_time)
        u_agree = bench_cleanup.agreement(SimpleNamespace(
            batches=pd.read_parquet(scratch / "unsupplied_batches.parquet"),
            pieces=pd.read_parquet(scratch / "unsupplied_pieces.parquet"),
            five_year=json.loads((scratch / "unsupplied_five_year.json").read_text())), u_pg)

        # (2) 闲置
        ip = _idle_params(policy)
        i_ours, (i_med, i_runs, i_pg) = paired_times(
            ours["idle"], lambda: _fetch(con, SQL_IDLE, ip), args.repeat, args.min_time)
        i_agree = _idle_agreement(pd.read_parquet(scratch / "idle.parquet"), i_pg)

        # (3) 候选地筛选, for each project
        max_buffer = float(con.execute(
            "SELECT COALESCE(max(buffer_m), 0) FROM bench_constraints WHERE effect = 'penalize'"
        ).fetchone()[0])
        projects = json.loads((scratch / "filter.json").read_text())
        per_project, sql_s = [], []
        for p in projects:
            fp = _filter_params(p["project"], policy, max_buffer)
            c_ours, (f_med, f_runs, got) = paired_times(
                ours["cold"](p["project"]), lambda fp=fp: _fetch(con, SQL_FILTER, fp),
                args.repeat, args.min_time)
            got_ids = got["candidate_id"].tolist() if len(got) else []
            sql_s.append(f_med)
            per_project.append({"project_id": p["project_id"], "median_s": round(f_med, 4),
                                "runs_s": f_runs, "passing": {"dideng": len(p["passing"]),
                                                              "postgis": len(got_ids)},
                                "same_ids": got_ids == p["passing"],
                                "dideng_cold": _timing(c_ours[0], c_ours[1])})
        t0 = time.perf_counter()
        sites_pg = _fetch(con, SQL_SITES, {"max_buffer": max_buffer})
        sites_s = time.perf_counter() - t0
        s_agree = _sites_agreement(pd.read_parquet(scratch / "sites.parquet"), sites_pg)
        server = con.execute("SHOW server_version").fetchone()[0]
        if not args.keep_pg:
            con.execute(f"DROP SCHEMA {SCHEMA} CASCADE")
    finally:
        con.close()
    return {
        "available": True, "url": args.pg_url, "server": server, "postgis": version,
        "settings": settings, "schema": SCHEMA, "load": loads,
        "load_s": round(sum(v["s"] for v in loads.values()), 2),
        "unsupplied": {**_timing(u_med, u_runs), "agreement": u_agree,
                       "dideng": _timing(u_ours[0], u_ours[1])},
        "idle": {**_timing(i_med, i_runs), "rows": len(i_pg), "agreement": i_agree,
                 "dideng": _timing(i_ours[0], i_ours[1])},
        "filter": {"mean_of_medians_s": round(float(np.mean(sql_s)), 5),
                   "per_project": per_project,
                   "agree": all(p["same_ids"] for p in per_project)},
        "sites": {"s": round(sites_s, 2), "agreement": s_agree},
    }


def _srid(workspace: str) -> int:
    import pyogrio
    from pyproj import CRS

    return int(CRS.from_user_input(pyogrio.read_info(workspace, layer="approvals")["crs"])
               .to_epsg())


STEPS = {"cleanup-functions": step_cleanup_functions, "match-functions": step_match_functions,
         "ogc": step_ogc, "postgis": step_postgis}


def _run_step(args) -> int:
    result = STEPS[args.step](args)
    Path(args.out).write_text(json.dumps(result, ensure_ascii=False, indent=1, default=str))
    return 0


# ----------------------------------------------------------------------------------------------
# the driver
# ----------------------------------------------------------------------------------------------
def _child(cmd: list[str], log: Path) -> dict:
    result = run_child(cmd, stdout=log)
    if result["exit_code"] != 0:
        sys.stderr.write(f"\n{' '.join(cmd)} → exit {result['exit_code']}\n"
                         f"{result.get('stderr_tail', '')}\n")
    return result


def _shown(cmd: list[str], scratch: Path) -> str:
    text = " ".join(["dideng" if k == 0 and Path(c).name == "dideng" else c
                     for k, c in enumerate(cmd)])
    return text.replace(str(scratch) + "/", "")


def run_scale(scale: int, args, cli: str) -> dict:
    import pyogrio

    scratch = Path(tempfile.mkdtemp(prefix=f"dideng-suite-{scale}-", dir=args.workdir))
    ws = scratch / f"demo_{scale}.gpkg"
    as_of = DEMO_AS_OF.isoformat()
    out: dict = {"scale": scale, "as_of": as_of, "project": args.project, "steps": {}}
    steps = out["steps"]

    def verb(name: str, cmd: list[str]) -> dict:
        print(f"  … {name}", flush=True)
        r = _child(cmd, scratch / f"{name}.log")
        r["command"] = _shown(cmd, scratch)
        steps[name] = r
        return r

    def step(name: str, extra: list[str] = ()) -> dict:
        print(f"  … {name}", flush=True)
        target = scratch / f"{name}.json"
        cmd = [sys.executable, str(Path(__file__).resolve()), "--step", name, "--workspace",
               str(ws), "--scratch", str(scratch), "--out", str(target), "--repeat",
               str(args.repeat), "--min-time", str(args.min_time), *extra]
        r = _child(cmd, scratch / f"{name}.log")
        if r["exit_code"] == 0:
            r["result"] = json.loads(target.read_text())
        steps[name] = r
        return r

    try:
        if verb("demo", [cli, "demo", "--scale", str(scale), "--out", str(ws)])["exit_code"]:
            return out
        out["rows"] = {name: int(pyogrio.read_info(ws, layer=name)["features"])
                       for name, _ in pyogrio.list_layers(ws) if not name.startswith("dideng_")}
        out["gpkg_mb"] = round(ws.stat().st_size / 2**20, 1)
        verb("cleanup", [cli, "cleanup", "-w", str(ws), "--as-of", as_of])
        verb("evaluate", [cli, "evaluate", "-w", str(ws)])
        verb("match", [cli, "match", "-w", str(ws), "--project", args.project, "--as-of", as_of])
        step("cleanup-functions")
        step("match-functions")
        step("ogc")
        if args.skip_postgis:
            steps["postgis"] = {"result": {"available": False,
                                           "reason": "--skip-postgis 跳过 / skipped on request"}}
        elif steps["cleanup-functions"]["exit_code"] or steps["match-functions"]["exit_code"]:
            steps["postgis"] = {"result": {"available": False, "reason":
                                           "dideng 步骤失败，无可比较 / a dideng step failed"}}
        else:
            step("postgis", ["--pg-url", args.pg_url, "--pg-work-mem", args.pg_work_mem,
                             *(["--keep-pg"] if args.keep_pg else []),
                             *(["--pg-jit"] if args.pg_jit else [])])
        out["comparisons"] = comparisons(out)
    finally:
        if args.keep:
            out["scratch"] = str(scratch)
        else:
            shutil.rmtree(scratch, ignore_errors=True)
    return out


def _ratio(ours: float | None, pg: float | None) -> dict:
    if ours is None or not pg:
        return {}
    r = ours / pg
    return {"ratio": round(r, 4), "within_target": r <= TARGET_RATIO}


def comparisons(scale_result: dict) -> dict:
    """dideng against PostGIS for the three analyses (filter: per request and cold)."""
    steps = scale_result["steps"]
    cf = steps.get("cleanup-functions", {}).get("result") or {}
    mf = steps.get("match-functions", {}).get("result") or {}
    pg = steps.get("postgis", {}).get("result") or {}
    if not pg.get("available"):
        return {}
    out = {}
    for key in ("unsupplied", "idle"):
        # timed beside the SQL (paired) when the results have it; else the step's own timing
        paired = "dideng" in pg[key]
        ours = pg[key]["dideng"]["median_s"] if paired else \
            (cf[key]["median_s"] if cf else None)
        if ours is not None:
            out[key] = {"dideng_s": ours, "postgis_s": pg[key]["median_s"], "paired": paired,
                        "agree": pg[key]["agreement"]["agree"],
                        **_ratio(ours, pg[key]["median_s"])}
    if mf:
        per = mf["evaluate"]["mean_of_medians_s"]
        sql = pg["filter"]["mean_of_medians_s"]
        agree = bool(pg["filter"]["agree"] and pg["sites"]["agreement"]["agree"])
        out["filter"] = {"dideng_s": per, "postgis_s": sql, "agree": agree, **_ratio(per, sql)}
        n = int(mf["evaluate"]["projects"])
        if "cold" in mf:
            # one project from cold, each project against its own PostGIS query; the ratio of
            # the means (the cold statuses must also be the index's)
            agree_cold = bool(agree and mf["cold"]["same_as_index"])
            pg_per = {p["project_id"]: p["median_s"] for p in pg["filter"]["per_project"]}
            paired = all("dideng_cold" in p for p in pg["filter"]["per_project"])
            ours = {p["project_id"]: p["dideng_cold"]["median_s"]
                    for p in pg["filter"]["per_project"]} if paired \
                else mf["cold"]["per_project_s"]
            both = [k for k in ours if k in pg_per]
            ours_sum, pg_sum = sum(ours[k] for k in both), sum(pg_per[k] for k in both)
            out["filter_cold"] = {
                "dideng_s": round(ours_sum / len(both), 5) if both else None,
                "postgis_s": round(pg_sum / len(both), 5) if both else None,
                "agree": agree_cold, "paired": paired,
                "per_project_ratio": {k: round(ours[k] / pg_per[k], 4)
                                      for k in both if pg_per[k]},
                **_ratio(ours_sum / len(both) if both else None,
                         pg_sum / len(both) if both else None)}
            # the county's projects, each from cold: ten cold runs against ten queries
            out["filter_all"] = {"dideng_s": round(ours_sum, 5), "postgis_s": round(pg_sum, 5),
                                 "agree": agree_cold, "projects": len(both), "paired": paired,
                                 **_ratio(ours_sum, pg_sum)}
        else:  # results of a suite before the cold path: attributes, then evaluate()
            cold = mf["attributes"]["median_s"] + per
            out["filter_cold"] = {"dideng_s": round(cold, 5), "postgis_s": sql, "agree": agree,
                                  **_ratio(cold, sql)}
            batch = mf["attributes"]["median_s"] + n * per
            out["filter_all"] = {"dideng_s": round(batch, 5), "postgis_s": round(n * sql, 5),
                                 "agree": agree, "projects": n, **_ratio(batch, n * sql)}
    return out


# ----------------------------------------------------------------------------------------------
# the table
# ----------------------------------------------------------------------------------------------
def _get(d: dict, *path):
    for k in path:
        if not isinstance(d, dict) or k not in d:
            return None
        d = d[k]
    return d


#: rows of the table: (label, how to find seconds, which process's peak, comparison key)
ROWS: list[tuple[str, tuple, str | None, str | None]] = [
    ("导入 import: `dideng demo --scale N` (build + write every layer)",
     ("demo", "wall_s"), "demo", None),
    ("三清 `dideng cleanup` (read, three lists, write back)", ("cleanup", "wall_s"), "cleanup",
     None),
    ("亩均 `dideng evaluate`", ("evaluate", "wall_s"), "evaluate", None),
    ("地等 `dideng match --project P` (read, index, one match)", ("match", "wall_s"), "match",
     None),
    ("批而未供 `unsupplied()` ◆", ("cleanup-functions", "result", "unsupplied", "median_s"),
     "cleanup-functions", "unsupplied"),
    ("闲置 `idle()` ◆", ("cleanup-functions", "result", "idle", "median_s"),
     "cleanup-functions", "idle"),
    ("候选地筛选 filter `evaluate()`, per request (index built) ◆",
     ("match-functions", "result", "evaluate", "mean_of_medians_s"), "match-functions",
     "filter"),
    ("候选地筛选 filter, 1 project from cold: `ColdIndex` statuses (mean of projects) ◆", None,
     "match-functions", "filter_cold"),
    ("候选地筛选 filter, the county's ten projects, each from cold ◆", None,
     "match-functions", "filter_all"),
    ("匹配索引 `MatchIndex.build()` (clean-ups, pool, attributes, adjacency) ◆",
     ("match-functions", "result", "index_build_s"), "match-functions", None),
    ("一次匹配 one `match()`, index built ◆", ("match-functions", "result", "match", "median_s"),
     "match-functions", None),
    ("OGC first request (reads the layer, builds its R-tree) ◆",
     ("ogc", "result", "first_request_s"), "ogc", None),
    ("OGC `items?limit=1000` ◆", ("ogc", "result", "page_1000", "median_s"), "ogc", None),
    ("OGC `items?bbox=…` 1 km ◆", ("ogc", "result", "bbox_1km", "median_s"), "ogc", None),
    ("PostGIS COPY load (the tables the SQL reads)", ("postgis", "result", "load_s"), None, None),
]


def _secs(s: float | None) -> str:
    if s is None:
        return "—"
    return f"{s * 1000:.1f} ms" if s < 1 else f"{s:,.1f} s" if s < 100 else f"{s:,.0f} s"


def table(results: list[dict]) -> list[list[str]]:
    rows = []
    projects = {r.get("project") for r in results}
    project = projects.pop() if len(projects) == 1 else None
    for label, path, proc, comp in ROWS:
        if project:
            label = label.replace("--project P", f"--project {project}")
        for r in results:
            steps = r.get("steps", {})
            c = (r.get("comparisons") or {}).get(comp, {}) if comp else {}
            seconds = c["dideng_s"] if c.get("paired") or not path else _get(steps, *path)
            failed = bool(_get(steps, (path or (proc,))[0], "exit_code"))
            if seconds is None and not c and not failed:
                continue
            peak = _get(steps, proc, "peak_rss_mb") if proc else None
            ratio = c.get("ratio")
            rows.append([
                label, f"{r['scale']:,}", "FAILED" if failed else _secs(seconds),
                "—" if peak is None else f"{peak:,.0f}",
                _secs(c.get("postgis_s")) if c else "—",
                "—" if ratio is None else
                f"{ratio:.3f} {'✓' if c['within_target'] else '✗'}",
                "—" if not c else ("yes" if c["agree"] else "NO"),
            ])
            label = ""  # the step's name once, its scales below it
    return rows


HEADER = ["步骤 step", "N", "秒 time", "峰值 peak MB", "PostGIS", "比值 ratio ≤ 0.333",
          "一致 agree"]


def _machine_line(m: dict, pg: dict | None) -> str:
    line = (f"{m['cores']} cores, {m['memory_gb']} GB, Python {m['python']}, shapely "
            f"{m['shapely']} / GEOS {m['geos']}")
    if m.get("load_average_at_start"):
        line += f" (load average {m['load_average_at_start'][0]:.2f} at the start)"
    if pg and pg.get("available"):
        geos = pg["postgis"].split('GEOS="')[1].split('"')[0].split("-")[0] \
            if 'GEOS="' in pg["postgis"] else "?"
        postgis = pg["postgis"].split('POSTGIS="')[1].split()[0] if 'POSTGIS="' in \
            pg["postgis"] else "?"
        line += (f"; PostgreSQL {pg['server'].split()[0]} / PostGIS {postgis} (GEOS {geos}), "
                 f"work_mem {pg['settings']['work_mem']}, JIT {pg['settings']['jit']}")
    return line


def markdown(doc: dict) -> str:
    rows = table(doc["scales"])
    pg = next((_get(r, "steps", "postgis", "result") for r in doc["scales"]
               if _get(r, "steps", "postgis", "result", "available")), None)
    parcels = ", ".join(f"×{r['scale']:,}: {r.get('rows', {}).get('parcels', 0):,} parcels"
                        for r in doc["scales"])
    lines = [
        f"Benchmark suite (`tests/benchmarks/bench_suite.py`), {doc['machine']['date']}: "
        f"{_machine_line(doc['machine'], pg)}. Demo county {parcels}; as of {DEMO_AS_OF}.",
        "",
        "| " + " | ".join(HEADER) + " |",
        "|" + "|".join(["---"] + ["---:"] * (len(HEADER) - 1)) + "|",
        *("| " + " | ".join(row) + " |" for row in rows),
        "",
        "◆ in process, layers read first and not timed: median of runs (the analyses and "
        f"their SQL: at least {doc.get('repeat', 3)} runs and {doc.get('min_time_s', 0):g} s of "
        "them); peak MB is that step's process (reading the layers included). Other steps: the "
        "whole command in its own process. Ratio = dideng ÷ PostGIS on the same data (✓ at "
        "most a third); the filter is the mean over the base county's ten projects. The "
        "compared analyses (unsupplied, idle, filter from cold) are timed in alternate blocks of "
        "runs with their SQL, in one process, so that both meet the machine at the same speed. "
        "PostGIS's own memory is not counted.",
    ]
    return "\n".join(lines) + "\n"


def _width(text: str) -> int:
    """Columns ``text`` takes in a terminal (CJK characters take two)."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int, left: bool) -> str:
    fill = " " * max(0, width - _width(text))
    return text + fill if left else fill + text


def print_table(doc: dict) -> None:
    rows = [[c.replace("`", "") for c in row] for row in table(doc["scales"])]
    widths = [max(_width(h), *(_width(r[k]) for r in rows)) if rows else _width(h)
              for k, h in enumerate(HEADER)]
    print()
    for row in [HEADER, *rows]:
        print("  ".join(_pad(c, w, k == 0)
                        for k, (c, w) in enumerate(zip(row, widths, strict=True))))


def _print_scale(r: dict) -> None:
    steps = r["steps"]
    failed = [k for k, v in steps.items() if v.get("exit_code")]
    if failed:
        print(f"  失败 FAILED: {', '.join(failed)} (their stderr is above)")
    pg = _get(steps, "postgis", "result") or {}
    if not pg.get("available"):
        if "postgis" in steps and not _get(steps, "postgis", "exit_code"):
            print(f"  PostGIS: 跳过 skipped — {pg.get('reason', '—')}")
        return
    u, i = pg["unsupplied"]["agreement"], pg["idle"]["agreement"]
    s = pg["sites"]["agreement"]
    print(f"  一致 agreement: 批而未供 {'yes' if u['agree'] else 'NO'} (Σ supplied rel "
          f"{u['supplied_mu']['rel_diff']:.1e}, pieces {u['pieces']['dideng']:,}/"
          f"{u['pieces']['postgis']:,}); 闲置 {'yes' if i['agree'] else 'NO'} "
          f"({i['rows']['dideng']:,}/{i['rows']['postgis']:,} rows, differ {i['differ']}); "
          f"筛选 {'yes' if pg['filter']['agree'] else 'NO'} (ids of "
          f"{len(pg['filter']['per_project'])} projects); attributes of "
          f"{s['candidates']['matched']:,} candidates {'yes' if s['agree'] else 'NO'} "
          f"(zoning differ {s['zoning_differ']}, red line {s['red_line_m2_differ']}, net area "
          f"{s['net_area_mu_differ']}; SQL {pg['sites']['s']:.1f} s)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", type=int, nargs="+", default=list(DEFAULT_SCALES))
    parser.add_argument("--repeat", type=int, default=3, help="runs per in-process timing")
    parser.add_argument("--min-time", type=float, default=1.0,
                        help="the analyses' timings (dideng and PostGIS) run on until their runs "
                             "add up to this many seconds (default 1): a median of enough runs")
    parser.add_argument("--skip-postgis", action="store_true")
    parser.add_argument("--pg-url", default=pg_url())
    parser.add_argument("--pg-work-mem", default="256MB",
                        help="PostgreSQL work_mem for the session (default 256MB)")
    parser.add_argument("--pg-jit", action="store_true",
                        help="leave PostgreSQL's JIT on (off by default: see step_postgis)")
    parser.add_argument("--project", default=DEFAULT_PROJECT, help="project of `dideng match`")
    parser.add_argument("--workdir", default=None, help="where the scratch folders go (tmp)")
    parser.add_argument("--keep", action="store_true", help="keep the scratch folders")
    parser.add_argument("--keep-pg", action="store_true", help="keep the PostGIS tables")
    parser.add_argument("--no-write", action="store_true", help="do not write the results")
    # one step in this process (the driver runs each step so)
    parser.add_argument("--step", choices=sorted(STEPS), help=argparse.SUPPRESS)
    parser.add_argument("--workspace", help=argparse.SUPPRESS)
    parser.add_argument("--scratch", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.step:
        return _run_step(args)

    cli = dideng_cli()
    if cli is None:
        raise SystemExit("找不到 dideng 命令 / the dideng command is not installed "
                         "(pip install -e .)")
    import shapely

    load = [round(x, 2) for x in os.getloadavg()]  # other work on the machine skews the figures
    results = []
    for scale in args.scales:
        print(f"示范县 demo county ×{scale}", flush=True)
        t0 = time.perf_counter()
        r = run_scale(scale, args, cli)
        r["suite_s"] = round(time.perf_counter() - t0, 1)
        results.append(r)
        _print_scale(r)
    doc = {"benchmark": "suite", "target_ratio": round(TARGET_RATIO, 4),
           "repeat": args.repeat, "min_time_s": args.min_time, "scales": results,
           "machine": machine(shapely=shapely.__version__,
                              geos=".".join(map(str, shapely.geos_version)),
                              load_average_at_start=load)}
    print_table(doc)
    if not args.no_write:
        RESULTS.mkdir(parents=True, exist_ok=True)
        (RESULTS / "suite.json").write_text(
            json.dumps(doc, ensure_ascii=False, indent=2, default=str) + "\n", encoding="utf-8")
        (RESULTS / "suite.md").write_text(markdown(doc), encoding="utf-8")
        print(f"  → {RESULTS / 'suite.json'}\n  → {RESULTS / 'suite.md'}")
    failed = any(v.get("exit_code") for r in results for v in r["steps"].values())
    missed = any(not c.get("within_target", True) or not c.get("agree", True)
                 for r in results for c in (r.get("comparisons") or {}).values())
    return 1 if failed or missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
