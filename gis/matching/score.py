"""Scoring the sites that pass every hard rule: five criteria, each 0–1, weighted to 0–100
(issue 5; weights in ``matching.weights``, a request may override any of them).

* ``area_fit`` — the share of the site the project uses: min(net area, need_mu_max) ÷ gross
  area. 1 for a site inside the need with nothing lost to corridors; a site twice the need's
  maximum scores 0.5; land lost to ``penalize`` constraints lowers it too.
* ``readiness`` — mean of 净地 (1 ready, 0 not, 0.5 unknown), 区域评估 (same) and the source
  (1 for the first rank of ``matching.source_rank`` falling linearly to 0 for the last).
* ``infrastructure`` — mean over substation (nearest with the project's spare capacity, any
  spare when it states none), water, sewage and gas of 1 − distance ÷ ``matching.score_km``,
  clipped to [0, 1].
* ``access`` — the same for the nearest highway exit.
* ``standard_land_headroom`` — the tightest 标准地 ratio (value ÷ minimum, or maximum ÷ value for
  energy) over the indicators the project states; (ratio − 1) ÷ ``matching.headroom_full``
  clipped to [0, 1]; 0.5 when no indicator applies.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from gis.errors import ValidationError
from gis.matching.rules import PASS, Project, standard_land_parts, substation_km
from gis.policy import Policy

__all__ = ["CRITERIA", "NAMES", "explain", "score", "weights"]

#: the criteria, in the order they are reported
CRITERIA = ("area_fit", "readiness", "infrastructure", "access", "standard_land_headroom")
#: Chinese and English names
NAMES = {"area_fit": ("面积匹配", "area fit"), "readiness": ("供地条件", "readiness"),
         "infrastructure": ("基础设施", "infrastructure"), "access": ("交通区位", "access"),
         "standard_land_headroom": ("标准地指标余量", "标准地 headroom")}


def weights(policy: Policy, prj: Project) -> dict[str, float]:
    """The policy's weights with the request's overrides (unknown criteria refused)."""
    out = {k: float(v) for k, v in policy.matching.weights.items()}
    unknown = sorted(set(prj.weights) - set(CRITERIA))
    if unknown:
        raise ValidationError(f"未知的评分准则：{'、'.join(unknown)}（可用：{'、'.join(CRITERIA)}）",
                              f"unknown criteria: {', '.join(unknown)} "
                              f"(known: {', '.join(CRITERIA)})")
    out.update(prj.weights)
    if any(w < 0 for w in out.values()) or sum(out.values()) <= 0:
        raise ValidationError("评分权重须非负且不全为0", "weights must be ≥ 0 and not all 0")
    return out


def _closeness(km: np.ndarray, full_km: float) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        return np.clip(1.0 - km / full_km, 0.0, 1.0)


def _flag(x: np.ndarray) -> np.ndarray:
    return np.where(np.isnan(x), 0.5, x)


def score(sites: Mapping[str, np.ndarray], prj: Project, policy: Policy, levels: np.ndarray
          ) -> dict[str, object]:
    """Per criterion: (value arrays, score array); and the total 0–100 array."""
    m = policy.matching
    km = m.score_km
    gross, net = sites["area_mu"], sites["net_area_mu"]
    with np.errstate(divide="ignore", invalid="ignore"):
        area_fit = np.where(gross > 0, np.minimum(net, prj.need_mu_max) / gross, 0.0)
    ranks = np.asarray(list(m.source_rank.values()), dtype=float)
    worst = ranks.max() if len(ranks) else 1.0
    source_s = 1.0 - sites["source_rank"] / worst if worst > 0 else np.ones(len(gross))
    readiness = (_flag(sites["ready"]) + _flag(sites["ra"]) + np.clip(source_s, 0, 1)) / 3.0
    sub = substation_km(sites, levels, prj.power_kva)
    infra_km = {"substation_km": sub, "water_km": sites["water_km"],
                "sewage_km": sites["sewage_km"], "gas_km": sites["gas_km"]}
    infrastructure = np.mean([_closeness(v, km[k[:-3]]) for k, v in infra_km.items()], axis=0)
    access = _closeness(sites["highway_exit_km"], km["highway_exit"])
    ratios = []
    for key, (status, value, limit) in standard_land_parts(sites, prj).items():
        with np.errstate(divide="ignore", invalid="ignore"):
            r = limit / value if key == "energy" else value / limit
        known = (status == PASS) & np.isfinite(limit) & ~np.isnan(value)
        ratios.append(np.where(known, r, np.nan))
    stacked = np.stack(ratios)
    any_known = ~np.isnan(stacked).all(axis=0)
    tightest = np.where(any_known, np.nanmin(np.where(np.isnan(stacked), np.inf, stacked),
                                             axis=0), np.nan)
    headroom = np.where(any_known, np.clip((tightest - 1.0) / m.headroom_full, 0.0, 1.0), 0.5)
    scores = {"area_fit": np.clip(area_fit, 0.0, 1.0), "readiness": readiness,
              "infrastructure": infrastructure, "access": access,
              "standard_land_headroom": headroom}
    w = weights(policy, prj)
    total = sum(w[c] * scores[c] for c in CRITERIA) / sum(w.values()) * 100.0
    return {"scores": scores, "weights": w, "total": total,
            "values": {"area_fit": net, "infrastructure": infra_km,
                       "access": sites["highway_exit_km"], "standard_land_headroom": tightest}}


def explain(site_id: str, total: float, criteria: Mapping[str, Mapping[str, object]]
            ) -> tuple[str, str]:
    """One Chinese sentence naming the strongest and weakest criteria, and its English twin.

    Criteria with no weight are left out; ties go to the heavier weight, then report order.
    """
    weighted = [c for c in CRITERIA if criteria[c]["weight"] > 0] or list(CRITERIA)
    order = {c: i for i, c in enumerate(CRITERIA)}
    strong = max(weighted, key=lambda c: (criteria[c]["score"], criteria[c]["weight"],
                                          -order[c]))
    weak = min(weighted, key=lambda c: (criteria[c]["score"], -criteria[c]["weight"],
                                        order[c]))
    sz, se = NAMES[strong]
    wz, we = NAMES[weak]
    s, w = criteria[strong]["score"], criteria[weak]["score"]
    if strong == weak:
        return (f"地块 {site_id} 综合得分 {total:.1f}，各项准则得分相同（{s:.2f}）。",
                f"Site {site_id} scores {total:.1f}; every criterion scores the same ({s:.2f}).")
    return (f"地块 {site_id} 综合得分 {total:.1f}，{sz}最强（{s:.2f}），{wz}最弱（{w:.2f}）。",
            f"Site {site_id} scores {total:.1f}: strongest on {se} ({s:.2f}), weakest on "
            f"{we} ({w:.2f}).")
