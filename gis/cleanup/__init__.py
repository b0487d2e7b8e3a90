"""The three clean-ups (三清): idle land 闲置, approved-but-unsupplied 批而未供, low-efficiency 低效.

Each is a pure function of layers, an ``as_of`` date and the :class:`~gis.policy.Policy`; every
row says why it is there. :func:`cleanup` runs the three, places every row in its park and town,
and sums them up by zone and by town — the numbers a bureau reports.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gis.cleanup.idle import idle
from gis.cleanup.lowefficiency import low_efficiency
from gis.cleanup.unsupplied import Unsupplied, unsupplied
from gis.dates import as_date  # re-exported: gis.cleanup.as_date
from gis.measures import leaf_zones, smallest_containing, tenancy_hosts
from gis.policy import Policy
from gis.schema import empty_frame
from layers import catalogue

__all__ = ["CleanupResult", "as_date", "cleanup", "idle", "low_efficiency", "place_rows",
           "unsupplied"]

#: the result layers written back to the workspace, by name
RESULT_LAYERS = ("idle", "unsupplied_batches", "unsupplied_pieces", "low_efficiency")


def place_rows(frame: gpd.GeoDataFrame, parcels: gpd.GeoDataFrame | None,
               zones: gpd.GeoDataFrame | None) -> gpd.GeoDataFrame:
    """Fill ``zone_id`` and ``town`` from where each row's geometry lies.

    zone_id: the park (leaf zone) containing the row's representative point; town: the town of
    the parcel containing that point, else the zone's town. Values already present are kept.
    Each row is placed on its own, so rows may be placed cell by cell (the parcels read around
    the rows suffice: a parcel containing a row's point intersects the row).
    """
    out = frame.copy()
    if len(out) == 0:
        return out
    points = shapely.point_on_surface(np.asarray(out.geometry.values))
    for col in ("zone_id", "town"):
        if col not in out:
            out[col] = pd.Series(pd.NA, index=out.index, dtype="str")

    def lookup(layer: gpd.GeoDataFrame | None, column: str) -> pd.Series:
        result = pd.Series(pd.NA, index=out.index, dtype="str")
        if layer is None or len(layer) == 0 or column not in layer:
            return result
        # the smallest containing polygon wins where several contain the point (equal areas:
        # the smallest value), whatever the order of the layer
        values = layer[column].to_numpy(dtype=object)
        at = smallest_containing(points, np.asarray(layer.geometry.values), values)
        hit = np.flatnonzero(at >= 0)
        if len(hit):
            result.iloc[hit] = values[at[hit]]
        return result

    leaves = leaf_zones(zones) if zones is not None else None
    zone = lookup(leaves, "zone_id")
    out["zone_id"] = out["zone_id"].fillna(zone)
    town = lookup(parcels, "town")
    if leaves is not None and "town" in leaves:
        zone_town = dict(zip(leaves["zone_id"], leaves["town"], strict=True))
        town = town.fillna(out["zone_id"].map(zone_town))
    out["town"] = out["town"].fillna(town)
    return out


@dataclass
class CleanupResult:
    """The three ledgers at ``as_of``, placed, with their summary."""

    as_of: pd.Timestamp
    idle: gpd.GeoDataFrame
    watch: gpd.GeoDataFrame
    unsupplied: Unsupplied
    low_efficiency: gpd.GeoDataFrame
    policy: Policy
    summary: dict[str, object] = field(default_factory=dict)

    def layers(self) -> dict[str, gpd.GeoDataFrame]:
        """The result layers to write back to the workspace (watch rows stay in ``idle``)."""
        return {
            "idle": pd.concat([self.idle, self.watch], ignore_index=True)
            if len(self.watch) else self.idle,
            "unsupplied_batches": self.unsupplied.batches,
            "unsupplied_pieces": self.unsupplied.pieces,
            "low_efficiency": self.low_efficiency,
        }

    def by(self, key: str) -> pd.DataFrame:
        """Counts, 亩 and fees per zone_id or town (the 汇总 sheet)."""
        return summary_table(self, key)


def _sum(series: pd.Series) -> float:
    # an exact sum: the same whatever the order of the rows (one engine or the other)
    return float(round(math.fsum(series.fillna(0).to_numpy(dtype=float)), 4))


def _fsum(series: pd.Series) -> float:
    return math.fsum(series.fillna(0).to_numpy(dtype=float))


def summarize(result: CleanupResult) -> dict[str, object]:
    idle_rows, watch, un, low = result.idle, result.watch, result.unsupplied, result.low_efficiency
    by_action = idle_rows.groupby("action").agg(count=("supply_id", "size"),
                                                area_mu=("area_mu", _fsum))
    reasons = low["reasons"].fillna("").str.split(";").explode()
    return {
        "idle": {
            "count": len(idle_rows), "area_mu": _sum(idle_rows["area_mu"]),
            "fee_wan": _sum(idle_rows["fee_wan"]),
            "type_A": int((idle_rows["idle_type"] == "A").sum()),
            "type_B": int((idle_rows["idle_type"] == "B").sum()),
            "by_action": {k: {"count": int(v["count"]), "area_mu": round(float(v["area_mu"]), 4)}
                          for k, v in by_action.iterrows()},
        },
        "watch": {"count": len(watch), "area_mu": _sum(watch["area_mu"])},
        "unsupplied": {
            "batches": len(un.batches),
            "approved_mu": _sum(un.batches["approved_mu"]),
            "supplied_mu": _sum(un.batches["supplied_mu"]),
            "unsupplied_mu": _sum(un.batches["unsupplied_mu"]),
            "by_status": {str(k): int(v) for k, v in un.batches["status"].value_counts().items()},
            "lapsed": int(un.batches["lapsed"].fillna(False).sum()),
            "pieces": len(un.pieces),
            "usable_pieces": int(un.pieces["usable"].fillna(False).sum()),
            "usable_mu": _sum(un.pieces.loc[un.pieces["usable"].fillna(False), "area_mu"]),
            "five_year": un.five_year,
        },
        "low_efficiency": {
            "count": len(low), "area_mu": _sum(low["area_mu"]),
            "potential_floor_m2": _sum(low["potential_floor_m2"]),
            "potential_tax_wan": _sum(low["potential_tax_wan"]),
            "by_reason": {str(k): int(v) for k, v in reasons[reasons != ""].value_counts().items()},
        },
    }


def summary_table(result: CleanupResult, key: str) -> pd.DataFrame:
    """One row per zone or town: counts, 亩 and fees of each list."""
    idle_rows, un, low = result.idle, result.unsupplied, result.low_efficiency
    # exact sums (math.fsum): the table does not depend on the order of the rows
    parts = [
        idle_rows.groupby(key, dropna=False).agg(
            idle_count=("supply_id", "size"), idle_mu=("area_mu", _fsum),
            idle_fee_wan=("fee_wan", _fsum)),
        result.watch.groupby(key, dropna=False).agg(watch_count=("supply_id", "size")),
        un.batches.groupby(key, dropna=False).agg(
            batches=("approval_id", "size"), approved_mu=("approved_mu", _fsum),
            unsupplied_mu=("unsupplied_mu", _fsum)),
        un.pieces[un.pieces["usable"].fillna(False)].groupby(key, dropna=False).agg(
            usable_pieces=("piece_id", "size"), usable_mu=("area_mu", _fsum)),
        low.groupby(key, dropna=False).agg(
            low_count=("parcel_id", "size"), low_mu=("area_mu", _fsum),
            potential_tax_wan=("potential_tax_wan", _fsum)),
    ]
    table = pd.concat(parts, axis=1).fillna(0)
    table.index = table.index.astype(object).where(table.index.notna(), "（未落区）")
    table = table.sort_index()
    total = table.sum(numeric_only=True).to_frame("合计 total").T
    table = pd.concat([table, total])
    ints = ["idle_count", "watch_count", "batches", "usable_pieces", "low_count"]
    table[ints] = table[ints].astype(int)
    table.index.name = key
    return table.round(4).reset_index()


def cleanup(layers: Mapping[str, pd.DataFrame], as_of: date | str | pd.Timestamp,
            policy: Policy | None = None, *, permu: pd.DataFrame | None = None) -> CleanupResult:
    """Run the three clean-ups on workspace layers at ``as_of``.

    ``layers`` maps layer names to frames (``zones``, ``parcels``, ``approvals``, ``supplies``,
    ``buildings``, ``enterprises``, ``tenancies``, ``zoning``); a missing layer gives an empty
    list for the analyses that need it, never an error. Without ``permu`` classes, the 亩均
    evaluation of the latest year up to ``as_of`` supplies them (for ``permu_class_D``).
    """
    policy = policy or Policy.load()
    day = as_date(as_of)
    parcels, zones = layers.get("parcels"), layers.get("zones")
    crs = _crs(layers)

    def get(name: str) -> pd.DataFrame:
        frame = layers.get(name)
        return frame if frame is not None else empty_frame(catalogue[name], crs=crs)

    idle_all = place_rows(idle(get("supplies"), day, policy), parcels, zones)
    watch_mask = idle_all["action"] == "watch"
    un = unsupplied(get("approvals"), get("supplies"), day, policy)
    un = Unsupplied(batches=place_rows(un.batches, parcels, zones),
                    pieces=place_rows(un.pieces, parcels, zones), five_year=un.five_year)
    # the parcels' measures (areas, buildings, zoning at the point), shared by the 亩均 classes
    # and the low-efficiency list: the table the partitioned engine builds cell by cell
    measures = cleanup_measures(get("parcels"), get("buildings"), get("zoning"),
                                tenancy_hosts(get("tenancies")), policy)
    if permu is None:
        permu = _permu_classes(get, day, policy, measures)
    low = low_efficiency(None, None, get("enterprises"), get("tenancies"), None, day, policy,
                         permu=permu, measures=measures)
    result = CleanupResult(
        as_of=day,
        idle=idle_all[~watch_mask].reset_index(drop=True),
        watch=idle_all[watch_mask].reset_index(drop=True),
        unsupplied=un,
        low_efficiency=place_rows(low, parcels, zones),
        policy=policy,
    )
    result.summary = summarize(result)
    return result


def cleanup_measures(parcels: pd.DataFrame | None, buildings: pd.DataFrame | None,
                     zoning: pd.DataFrame | None, hosts, policy: Policy, *,
                     geometry: bool = True) -> pd.DataFrame:
    """The parcels' measure table the clean-ups judge (:func:`gis.measures.parcel_measures`:
    supplied parcels and the tenancy ``hosts`` measured, zoning at the point) — of the whole
    layer, or of the parcels of one cell with the buildings and zoning read around them."""
    from gis.cleanup.lowefficiency import _measure

    return _measure(parcels, buildings, zoning, hosts, policy, geometry=geometry)


def _permu_classes(get, day: pd.Timestamp, policy: Policy,
                   measures: pd.DataFrame | None = None) -> pd.DataFrame | None:
    """The 亩均 classes of the latest evaluation year up to ``day`` (None without firm data):
    D-class owners feed the low-efficiency reason ``permu_class_D``."""
    from gis.evaluation.permu import classes
    from gis.evaluation.permu import permu as evaluate

    firms = get("enterprises")
    year = classes_year(firms, day)
    if year is None:
        return None
    evaluation = evaluate(firms, get("parcels"), get("tenancies"), policy, year=year,
                          buildings=get("buildings"), measures=measures)
    return classes(evaluation)


def classes_year(enterprises: pd.DataFrame, day: pd.Timestamp) -> int | None:
    """The evaluation year whose 亩均 classes a clean-up at ``day`` uses: the latest year of the
    enterprise table up to ``day`` (None when there is none)."""
    years = enterprises["year"].dropna() if "year" in enterprises else pd.Series(dtype="Int64")
    years = years[years <= day.year]
    return None if years.empty else int(years.max())


def _crs(layers: Mapping[str, pd.DataFrame]):
    for frame in layers.values():
        if isinstance(frame, gpd.GeoDataFrame) and frame.crs is not None:
            return frame.crs
    return None
