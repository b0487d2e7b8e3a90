"""Matching a project to land (地等项目, issue 5): candidate sites from the county's stock,
merged where needed, checked against the hard rules, scored and explained.

:class:`MatchIndex` is built once per (layers, as_of, policy): the pool (:mod:`gis.matching.pool`)
as arrays, the adjacency pairs of :func:`gis.matching.merge.adjacency` and a CRS84 transformer.
:func:`match` then costs vectorized filtering over those arrays, one bounded merge search and
the formatting of a few sites. The service keeps one.

One project from cold (``dideng match``, :func:`match` without ``index``) goes through
:class:`~gis.matching.cold.ColdIndex` instead: every candidate's cheap attributes, the distance
rules the project has by bounded index queries, exact distances only for the rows shown or
scored, adjacency only among the candidates the project may merge (see :mod:`gis.matching.cold`).
:func:`match` asks either index the same three things — ``statuses(project)``,
``rows(positions, project)``, ``pairs_among(positions)`` — so the answer is the same.

Merging: every request also asks :func:`~gis.matching.merge.merge_sites` for sites of 2–4
adjacent candidates that each pass the non-area rules (land use, red line, rail, highway, power,
zones); ``merge_sites`` itself uses only candidates too small alone (net area < need_mu_min), so
a merge happens exactly where no single candidate is large enough. Merged sites are then checked
against the area rules (net area, too large, 标准地 on their summed area) like single ones.

Output (issue 5)::

    {"project", "as_of", "sites": [{"rank", "site_id", "parcel_ids", "sources", "area_mu",
     "net_area_mu", "score", "criteria", "checks", "explanation", "explanation_en",
     "geometry"}], "excluded": [{"parcel_id", "rule", "detail"}]}

``excluded`` lists the nearest near-misses among single candidates — those failing fewest rules
first, then by how far their net area lies from the need — one row per failed rule.

:func:`project_from_request` turns what a face was given — a project id, or the project's
fields — into the project :func:`match` takes, validated like an imported row of the
``projects`` layer; the CLI's ``dideng match`` and the service's ``POST /match`` both call it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer

from gis.dates import as_date
from gis.errors import ValidationError
from gis.matching.cold import ColdIndex, site_table, to_crs84
from gis.matching.pool import FACILITY_KINDS, Pool, build_pool
from gis.matching.rules import (
    FAIL,
    NON_AREA_RULES,
    NOT_APPLICABLE,
    RULES,
    STATUS,
    Project,
    detail,
    evaluate,
)
from gis.matching.score import CRITERIA, explain, score
from gis.policy import Policy

__all__ = ["REQUEST_DEFAULTS", "ColdIndex", "MatchIndex", "Project", "match",
           "project_from_request"]

#: at most this many merged sites are asked of merge_sites per request
MERGE_LIMIT = 200
#: what an ad-hoc request may leave out of the fields the projects layer requires
REQUEST_DEFAULTS: dict[str, str] = {"project_id": "request", "name": "临时需求 request",
                                    "industry_code": "41"}
#: the fields an ad-hoc request must give (need_mu_max defaults to need_mu_min)
REQUEST_REQUIRED = ("need_mu_min", "land_use", "investment_wan")


def _given(value: object) -> bool:
    """Not None, NA, NaN, a blank string or an empty list."""
    if value is None:
        return False
    if isinstance(value, str):
        return bool(value.strip())
    if isinstance(value, (list, tuple)):
        return len(value) > 0
    try:
        return not bool(pd.isna(value))
    except (TypeError, ValueError):
        return True


def _stored_project(project_id: str, projects: pd.DataFrame | None) -> dict[str, object]:
    ids = projects["project_id"].astype("string") if projects is not None and \
        "project_id" in projects else pd.Series([], dtype="string")
    hit = (ids == str(project_id)).fillna(False).to_numpy(dtype=bool)
    if not hit.any():
        known = ids.dropna().tolist()
        shown = "、".join(known[:30]) + ("…" if len(known) > 30 else "") or "无"
        shown_en = ", ".join(known[:30]) + ("…" if len(known) > 30 else "") or "none"
        raise ValidationError(f"没有编号为 {project_id} 的招商项目（现有：{shown}）",
                              f"no project {project_id} (known: {shown_en})")
    assert projects is not None
    return projects[hit].iloc[0].to_dict()


def _checked_weights(weights: Mapping[str, object]) -> dict[str, float]:
    unknown = sorted(set(map(str, weights)) - set(CRITERIA))
    if unknown:
        raise ValidationError(f"未知的评分准则：{'、'.join(unknown)}（可用：{'、'.join(CRITERIA)}）",
                              f"unknown criteria: {', '.join(unknown)} "
                              f"(known: {', '.join(CRITERIA)})")
    out = {}
    for key, value in weights.items():
        try:
            w = float(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            w = float("nan")
        if not np.isfinite(w) or w < 0:
            raise ValidationError(f"评分权重 {key} 须为非负数：{value!r}",
                                  f"weight {key} must be a number ≥ 0: {value!r}")
        out[str(key)] = w
    return out


def project_from_request(fields: Mapping[str, object] | None = None, *,
                         project_id: str | None = None, projects: pd.DataFrame | None = None,
                         weights: Mapping[str, object] | None = None) -> dict[str, object]:
    """The project to match: row ``project_id`` of the ``projects`` layer, or one made of
    ``fields`` and validated like an imported row of that layer.

    Parameters
    ----------
    fields
        The project's fields by their catalogue names (``need_mu_min``, ``land_use``,
        ``investment_wan``, ``power_kva``, ``needs_rail``, ``zones`` …); None values count as
        not given. ``need_mu_max`` defaults to ``need_mu_min``; ``project_id``, ``name`` and
        ``industry_code`` to :data:`REQUEST_DEFAULTS`; ``zones`` may be a list.
    project_id
        A stored project instead (give it or ``fields``, not both).
    projects
        The workspace's ``projects`` layer, where ``project_id`` is looked up.
    weights
        Per-request overrides of the criteria weights (``matching.weights``).

    Returns
    -------
    dict
        The project row, ready for :func:`match` (with ``weights`` when given).

    Raises
    ------
    ValidationError
        No project or both kinds given, an unknown ``project_id``, a required field missing, a
        value the ``projects`` layer rejects (need_mu_min above need_mu_max, an unknown land-use
        or industry code, a negative amount, …), or an unknown criterion or negative weight —
        with every problem named in Chinese and English.

    Examples
    --------
    >>> p = project_from_request({"need_mu_min": 30, "need_mu_max": 50, "land_use": "100102",
    ...                           "investment_wan": 15000, "zones": ["KFQ-DY"]})
    >>> p["project_id"], p["need_mu_max"], p["zones"]
    ('request', 50.0, 'KFQ-DY')
    >>> project_from_request({"need_mu_min": 30, "land_use": "9999", "investment_wan": 1})
    Traceback (most recent call last):
    ...
    gis.errors.ValidationError: 用地用海分类(land_use) 9999 不是《用地用海分类指南》(2023) 代码 / land_use 9999 is not a 2023 land-use code
    """
    from gis.validate import validate

    given = {str(k): v for k, v in (fields or {}).items() if _given(v)}
    if project_id is not None and str(project_id).strip():
        if given:
            raise ValidationError(
                f"请只给出项目编号 project_id 或项目字段之一，不要同时给出（收到：{'、'.join(given)}）",
                f"give project_id or the project's fields, not both (got: {', '.join(given)})")
        row = _stored_project(str(project_id).strip(), projects)
    else:
        missing = [k for k in REQUEST_REQUIRED if k not in given]
        if missing:
            raise ValidationError(
                f"请给出项目编号 project_id，或项目字段（至少 {'、'.join(REQUEST_REQUIRED)}）；"
                f"缺少：{'、'.join(missing)}",
                f"give project_id, or the project's fields (at least "
                f"{', '.join(REQUEST_REQUIRED)}); missing: {', '.join(missing)}")
        if isinstance(given.get("zones"), (list, tuple)):
            given["zones"] = ",".join(str(z).strip() for z in given["zones"])
        given.setdefault("need_mu_max", given["need_mu_min"])
        frame = pd.DataFrame([{**REQUEST_DEFAULTS, **given}])
        clean, report = validate(frame, "projects")
        if report.counts["rejected"]:
            problems = [i for i in report.issues if i.status == "rejected"]
            raise ValidationError("；".join(i.zh for i in problems),
                                  "; ".join(i.en for i in problems))
        row = clean.iloc[0].to_dict()
    if weights:
        row["weights"] = _checked_weights(weights)
    Project.of(row)  # what match() will read: fail here, not halfway through a match
    return row


@dataclass
class MatchIndex:
    """Everything any request needs, built once per (layers, as_of, policy)."""

    as_of: pd.Timestamp
    policy: Policy
    pool: Pool
    sites: dict[str, np.ndarray]  # the single candidates as a site table
    zone_paths: list[tuple[str, ...]]
    pairs: np.ndarray  # (k, 2) positions of candidates that may merge
    positions: dict[str, int]
    to_crs84: Transformer | None

    @classmethod
    def build(cls, layers: Mapping[str, pd.DataFrame], *, as_of, policy: Policy | None = None
              ) -> MatchIndex:
        from gis.matching.merge import adjacency

        policy = policy or Policy.load()
        day = as_date(as_of)
        pool = build_pool(layers, day, policy)
        c = pool.candidates
        sites, paths = site_table(c, pool.attributes, policy)
        sites["sub_km"] = pool.substation_km
        for kind in FACILITY_KINDS:
            sites[f"{kind}_km"] = c[f"{kind}_km"].to_numpy(float)
        roads = layers.get("infrastructure")
        pairs = adjacency(c[["candidate_id", "area_mu", "source", "geometry"]], roads,
                          gap_m=policy.matching.gap_m,
                          barrier_classes=tuple(policy.matching.barrier_classes))
        return cls(as_of=day, policy=policy, pool=pool, sites=sites, zone_paths=paths,
                   pairs=pairs,
                   positions={k: i for i, k in enumerate(c["candidate_id"].astype("str"))},
                   to_crs84=to_crs84(c.crs))

    @property
    def candidates(self) -> gpd.GeoDataFrame:
        return self.pool.candidates

    @property
    def spare_levels(self) -> np.ndarray:
        return self.pool.spare_levels

    # what match() asks of an index (ColdIndex answers the same on demand)
    def statuses(self, prj: Project) -> dict[str, np.ndarray]:
        """Status of every hard rule for every candidate."""
        return evaluate(self.sites, prj, self.policy, levels=self.spare_levels,
                        zone_paths=self.zone_paths)

    def rows(self, idx: np.ndarray, prj: Project) -> dict[str, np.ndarray]:
        """The site table of candidates ``idx``."""
        return _take(self.sites, np.asarray(idx, dtype=np.intp))

    def pairs_among(self, positions: np.ndarray) -> np.ndarray:
        """The pairs (positions into ``positions``) of those candidates that may merge."""
        local = np.full(len(self.sites["area_mu"]), -1, dtype=np.intp)
        local[positions] = np.arange(len(positions))
        sub_pairs = local[self.pairs] if len(self.pairs) else np.empty((0, 2), dtype=np.intp)
        return sub_pairs[(sub_pairs >= 0).all(axis=1)]

    def positions_of(self, ids) -> np.ndarray:
        return np.array([self.positions[i] for i in ids], dtype=np.intp)


def _take(sites: Mapping[str, np.ndarray], idx: np.ndarray) -> dict[str, np.ndarray]:
    return {k: v[idx] for k, v in sites.items()}


def _merged_table(index: MatchIndex | ColdIndex, merged: gpd.GeoDataFrame, prj: Project
                  ) -> dict[str, np.ndarray]:
    """A site table for merged sites: sums of areas, the strictest 标准地 limits, the nearest
    facilities, flags true only when true for every part, the worst source."""
    k = len(merged)
    width = int(merged["parts"].max())
    ids = [i for t in merged["candidate_ids"] for i in t]
    at = index.positions_of(ids)
    parts = np.unique(at)
    s = index.rows(parts, prj)  # the parts' rows; positions below are into them
    local = np.searchsorted(parts, at)
    pos = np.full((k, width), -1, dtype=np.intp)
    lengths = merged["candidate_ids"].map(len).to_numpy(dtype=np.intp)
    pos[np.repeat(np.arange(k), lengths),
        np.arange(len(ids)) - np.repeat(np.cumsum(lengths) - lengths, lengths)] = local
    valid = pos >= 0
    p = np.where(valid, pos, pos[:, :1])  # pad with the first part: neutral for max/min/all

    def total(key):
        return np.where(valid, s[key][p], 0.0).sum(axis=1)

    def flag(key):
        vals = s[key][p]
        return np.where((vals == 0).any(axis=1), 0.0,
                        np.where(np.isnan(vals).any(axis=1), np.nan, 1.0))

    def all_nan_safe(fn, key):
        vals = s[key][p]
        nan_all = np.isnan(vals).all(axis=1)
        filled = np.where(np.isnan(vals), -np.inf if fn is np.max else np.inf, vals)
        return np.where(nan_all, np.nan, fn(filled, axis=1))

    out = {
        "area_mu": total("area_mu"), "net_area_mu": total("net_area_mu"),
        "red_line_m2": total("red_line_m2"),
        "planned_use": s["planned_use"][pos[:, 0]], "use_class": s["use_class"][pos[:, 0]],
        "use_cat": s["use_cat"][p].min(axis=1),
        "inv_min": all_nan_safe(np.max, "inv_min"), "tax_min": all_nan_safe(np.max, "tax_min"),
        "out_min": all_nan_safe(np.max, "out_min"),
        "energy_max": all_nan_safe(np.min, "energy_max"),
        "ready": flag("ready"), "ra": flag("ra"),
        "source_rank": s["source_rank"][p].max(axis=1),
        "path_code": s["path_code"][pos[:, 0]], "zone_id": s["zone_id"][pos[:, 0]],
        "sub_km": s["sub_km"][p].min(axis=1),
    }
    for kind in ("water", "sewage", "gas", "highway_exit", "rail"):
        out[f"{kind}_km"] = s[f"{kind}_km"][p].min(axis=1)
    return out


def _geojson(index: MatchIndex, geoms: np.ndarray) -> list[dict]:
    if index.to_crs84 is not None:
        tr = index.to_crs84

        def fn(xy):
            x, y = tr.transform(xy[:, 0], xy[:, 1])
            return np.column_stack([x, y])

        geoms = shapely.transform(geoms, fn)
    return [json.loads(shapely.to_geojson(g)) for g in geoms]


def _r(x, nd=2):
    if x is None:
        return None
    x = float(x)
    return round(x, nd) if np.isfinite(x) else None


def _flag_value(x: float) -> bool | None:
    return None if np.isnan(x) else bool(x)


def match(project: Mapping | pd.Series, layers: Mapping[str, pd.DataFrame] | None = None, *,
          as_of=None, policy: Policy | None = None, top_k: int | None = None,
          index: MatchIndex | ColdIndex | None = None) -> dict:
    """The ranked sites for ``project`` and the nearest near-misses (see the module doc).

    Give a prebuilt ``index`` (a :class:`MatchIndex`) to answer many requests; otherwise
    ``layers`` and ``as_of`` make a :class:`~gis.matching.cold.ColdIndex`, which computes only
    what this project needs (``policy`` defaults to the built-in one). The answer is the same.
    """
    if index is None:
        if layers is None or as_of is None:
            raise ValueError("match() needs index=…, or layers and as_of")
        index = ColdIndex.build(layers, as_of=as_of, policy=policy)
    policy = index.policy
    m = policy.matching
    prj = Project.of(project)
    top_k = m.top_k if top_k is None else int(top_k)
    levels = index.spare_levels
    status = index.statuses(prj)
    fails = np.stack([status[r] == FAIL for r in RULES])
    n_fail = fails.sum(axis=0)
    single_ok = np.flatnonzero(n_fail == 0)
    net_all = index.sites["net_area_mu"]
    cand_ids = index.candidates["candidate_id"].to_numpy(dtype=object)

    # merged sites: parts pass the non-area rules, and are small enough to matter
    non_area_ok = ~np.stack([status[r] == FAIL for r in NON_AREA_RULES]).any(axis=0)
    merge_pos = np.flatnonzero(non_area_ok & (net_all < prj.need_mu_min))
    merged = None
    if len(merge_pos) >= 2 and m.max_parts >= 2:
        from gis.matching.merge import merge_sites

        sub_pairs = index.pairs_among(merge_pos)
        if len(sub_pairs):
            cands = index.candidates.iloc[merge_pos][["candidate_id", "source", "geometry"]]
            cands = cands.assign(area_mu=net_all[merge_pos]).reset_index(drop=True)
            merged = merge_sites(cands, sub_pairs, need_min_mu=prj.need_mu_min,
                                 need_max_mu=prj.need_mu_max, max_parts=m.max_parts,
                                 min_compactness=m.min_compactness, limit=MERGE_LIMIT)
            if len(merged) == 0:
                merged = None
    m_status = None
    missed_merged = None
    if merged is not None:
        mt = _merged_table(index, merged, prj)
        m_status = evaluate(mt, prj, policy, levels=levels, zone_paths=index.zone_paths)
        m_fails = np.stack([m_status[r] == FAIL for r in RULES])
        m_ok = ~m_fails.any(axis=0)
        bad = np.flatnonzero(~m_ok)  # merged sites failing an area rule: near-misses too
        missed_merged = (merged["site_id"].astype("str").to_numpy(dtype=object)[bad],
                         _take(mt, bad), m_fails[:, bad])
        merged = merged[m_ok].reset_index(drop=True)
        mt = _take(mt, np.flatnonzero(m_ok))
        m_status = {r: v[m_ok] for r, v in m_status.items()}
        if len(merged) == 0:
            merged = None

    # one table of every feasible site: singles first, then merged
    table = index.rows(single_ok, prj)
    st = {r: v[single_ok] for r, v in status.items()}
    ids = cand_ids[single_ok]
    site_ids = list(ids)
    parcel_ids = [[i] for i in ids]
    sources = [[x] for x in index.candidates["source"].to_numpy(dtype=object)[single_ok]]
    geoms = np.asarray(index.candidates.geometry.values, dtype=object)[single_ok]
    n_parts = np.ones(len(single_ok), dtype=np.int64)
    if merged is not None:
        table = {k: np.concatenate([table[k], mt[k]]) for k in table}
        st = {r: np.concatenate([st[r], m_status[r]]) for r in st}
        site_ids += list(merged["site_id"].astype("str"))
        parcel_ids += [list(t) for t in merged["candidate_ids"]]
        sources += [list(t) for t in merged["sources"]]
        geoms = np.concatenate([geoms, np.asarray(merged.geometry.values, dtype=object)])
        n_parts = np.concatenate([n_parts, merged["parts"].to_numpy(np.int64)])

    sites_out: list[dict] = []
    if len(site_ids):
        sc = score(table, prj, policy, levels)
        total = np.round(sc["total"], 1)
        gap = np.abs(table["net_area_mu"] - prj.need_mu_max)
        order = np.lexsort((np.array(site_ids, dtype=object).astype(str), gap, n_parts,
                            -total))[:max(top_k, 0)]
        shapes = _geojson(index, geoms[order])
        w = sc["weights"]
        for rank, (k, shape) in enumerate(zip(order, shapes, strict=True), start=1):
            values = {
                "area_fit": _r(table["net_area_mu"][k]),
                "readiness": {"ready": _flag_value(table["ready"][k]),
                              "regional_assessment": _flag_value(table["ra"][k]),
                              "sources": sorted(set(sources[k]))},
                "infrastructure": {key: _r(v[k]) for key, v in
                                   sc["values"]["infrastructure"].items()},
                "access": _r(table["highway_exit_km"][k]),
                "standard_land_headroom": _r(sc["values"]["standard_land_headroom"][k], 3),
            }
            criteria = {c: {"value": values[c], "score": round(float(sc["scores"][c][k]), 3),
                            "weight": w[c]} for c in CRITERIA}
            zh, en = explain(site_ids[k], float(total[k]), criteria)
            sites_out.append({
                "rank": rank, "site_id": site_ids[k], "parcel_ids": parcel_ids[k],
                "sources": sources[k], "area_mu": _r(table["area_mu"][k]),
                "net_area_mu": _r(table["net_area_mu"][k]), "score": float(total[k]),
                "criteria": criteria,
                "checks": {r: STATUS[int(st[r][k])] for r in RULES
                           if int(st[r][k]) != NOT_APPLICABLE},
                "explanation": zh, "explanation_en": en, "geometry": shape,
            })

    # near-misses (single candidates and merged sites): fewest failed rules first, then net
    # area closest to the need; the rows of the ones listed only
    excluded: list[dict] = []
    missed = np.flatnonzero(n_fail > 0)
    n_single = len(missed)
    mids = cand_ids[missed]
    mnet = net_all[missed]
    mfail = fails[:, missed]
    if missed_merged is not None:
        mids = np.concatenate([mids, missed_merged[0]])
        mnet = np.concatenate([mnet, missed_merged[1]["net_area_mu"]])
        mfail = np.concatenate([mfail, missed_merged[2]], axis=1)
    mids = mids.astype(str)
    if len(mids) and m.near_misses > 0:
        distance = np.maximum.reduce([prj.need_mu_min - mnet, mnet - prj.need_mu_max,
                                      np.zeros(len(mnet))])
        pick = np.lexsort((mids, distance, mfail.sum(axis=0)))[:m.near_misses]
        singles = pick[pick < n_single]
        single_rows = index.rows(missed[singles], prj)
        row_of = {int(k): r for r, k in enumerate(singles)}
        for k in pick:
            if k < n_single:
                tab, at = single_rows, row_of[int(k)]
            else:
                tab, at = missed_merged[1], int(k) - n_single
            for r_i, rule in enumerate(RULES):
                if mfail[r_i, k]:
                    excluded.append({"parcel_id": str(mids[k]), "rule": rule,
                                     "detail": detail(rule, tab, at, prj, policy, levels)})
    return {"project": prj.to_json(), "as_of": index.as_of.date().isoformat(),
            "sites": sites_out, "excluded": excluded}
