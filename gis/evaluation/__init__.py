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
    from gis.evaluation.permu import evaluation_year, permu
    from gis.evaluation.zone import (
        ZoneMeasures,
        firm_measures,
        ledger_measures,
        supply_measures,
        zone_indicators,
    )
    from gis.measures import tenancy_hosts
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

    year = evaluation_year(get("enterprises"), year)
    day = as_date(as_of) if as_of is not None else pd.Timestamp(year, 12, 31)
    parcels, zones = get("parcels"), get("zones")
    # one measure table of the parcels for both analyses (the partitioned engine builds the
    # same table cell by cell); layers in different CRSs measure apart, each analysis
    # reprojecting as it always has
    crss = {f.crs for f in layers.values() if isinstance(f, gpd.GeoDataFrame) and f.crs}
    shared = isinstance(parcels, gpd.GeoDataFrame) and len(parcels) > 0 \
        and "parcel_id" in parcels and len(crss) <= 1
    measures = evaluation_measures(parcels, get("buildings"), layers.get("zones"),
                                   layers.get("approvals"), tenancy_hosts(get("tenancies")),
                                   day, policy) if shared else None
    evaluation = permu(get("enterprises"), parcels, get("tenancies"), policy, year=year,
                       buildings=get("buildings"), zones=layers.get("zones"), measures=measures)
    idle_ledger = idle(get("supplies"), day, policy)
    zone_measures = None
    if measures is not None and len(zones):
        zone_measures = ZoneMeasures(
            parcels=measures, supplies=supply_measures(get("supplies"), parcels),
            ledger=ledger_measures(idle_ledger), firms=firm_measures(get("enterprises"), parcels))
    zone_table = zone_indicators(zones, parcels, get("supplies"), get("buildings"),
                                 get("enterprises"), day, policy,
                                 approvals=layers.get("approvals"), idle=idle_ledger,
                                 measures=zone_measures)
    result = EvaluationResult(year=evaluation.year, as_of=day, permu=evaluation,
                              zones=zone_table, policy=policy)
    result.summary = _summary(result)
    return result


def evaluation_measures(parcels: gpd.GeoDataFrame, buildings: gpd.GeoDataFrame | None,
                        zones: gpd.GeoDataFrame | None, approvals: gpd.GeoDataFrame | None,
                        hosts, day: pd.Timestamp, policy: Policy, *,
                        geometry: bool = True) -> pd.DataFrame:
    """The parcels' measure table the evaluation judges: areas and points, the floor area of
    tenancy hosts (亩均 land), standing buildings on supplied parcels and the batch at the point
    (zone indicators), the park at the point — of the whole layer, or of one cell's parcels
    with the features read around them."""
    from gis.measures import parcel_measures

    return parcel_measures(parcels, policy=policy, buildings=buildings, zones=zones,
                           approvals=approvals, as_of=day, hosts=hosts,
                           built_for="hosts", standing=True, geometry=geometry)
