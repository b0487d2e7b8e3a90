"""Per-mu evaluation (亩均论英雄) of enterprises and parcels, and the development-zone
intensive-use indicators (开发区土地集约利用).

:func:`evaluate` runs both on workspace layers — the annual evaluation the economy and
natural-resources bureaus publish together — and is what the CLI and the service call.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

import geopandas as gpd
import pandas as pd

from gis.dates import as_date
from gis.errors import ValidationError
from gis.policy import Policy

__all__ = ["EvaluationResult", "evaluate"]


@dataclass
class EvaluationResult:
    """One evaluation year: the 亩均 evaluation, the zone indicators, and their summary."""

    year: int
    as_of: pd.Timestamp
    permu: object  # gis.evaluation.permu.Evaluation
    zones: gpd.GeoDataFrame
    policy: Policy
    summary: dict[str, object] = field(default_factory=dict)


def _summary(result: EvaluationResult) -> dict[str, object]:
    firms = result.permu.enterprises
    graded = firms[firms["class"].notna()]
    by_group = {
        str(group): {str(k): int(v) for k, v in part["class"].value_counts().sort_index().items()}
        for group, part in graded.groupby("group")
    }
    county = result.zones[result.zones["zone_id"] == "county"]
    return {
        "year": result.year,
        "enterprises": len(firms),
        "graded": len(graded),
        "vetoed": int(firms["vetoed"].fillna(False).sum()),
        "classes": by_group,
        "benchmarks": result.permu.benchmarks,
        "county": {k: (None if pd.isna(v) else v) for k, v in
                   county.drop(columns="geometry").iloc[0].to_dict().items()} if len(county)
        else {},
    }


def evaluate(layers: Mapping[str, pd.DataFrame], *, year: int | None = None,
             as_of: date | str | pd.Timestamp | None = None,
             policy: Policy | None = None) -> EvaluationResult:
    """The 亩均 evaluation of ``year`` (default: the latest year of the enterprise table) and
    the zone indicators at ``as_of`` (default: 31 December of that year)."""
    from gis.cleanup import idle
    from gis.evaluation.permu import permu
    from gis.evaluation.zone import zone_indicators
    from gis.schema import empty_frame
    from layers import catalogue

    if layers.get("enterprises") is None:
        raise ValidationError("工作空间没有企业图层（enterprises），请先导入企业名单",
                              "the workspace has no enterprises layer; import the list first")
    policy = policy or Policy.load()
    crs = next((f.crs for f in layers.values() if isinstance(f, gpd.GeoDataFrame)), None)

    def get(name: str) -> pd.DataFrame:
        frame = layers.get(name)
        return frame if frame is not None else empty_frame(catalogue[name], crs=crs)

    evaluation = permu(get("enterprises"), get("parcels"), get("tenancies"), policy, year=year,
                       buildings=get("buildings"), zones=layers.get("zones"))
    day = as_date(as_of) if as_of is not None else pd.Timestamp(evaluation.year, 12, 31)
    idle_ledger = idle(get("supplies"), day, policy)
    zones = zone_indicators(get("zones"), get("parcels"), get("supplies"), get("buildings"),
                            get("enterprises"), day, policy, approvals=layers.get("approvals"),
                            idle=idle_ledger)
    result = EvaluationResult(year=evaluation.year, as_of=day, permu=evaluation, zones=zones,
                              policy=policy)
    result.summary = _summary(result)
    return result
