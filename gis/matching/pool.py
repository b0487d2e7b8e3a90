"""The supply pool of matching (地等项目): the county's stock land at ``as_of``, one row per
candidate, with everything a request needs precomputed as arrays.

Sources (issue 5), computed by the clean-ups' own functions (:func:`gis.cleanup.cleanup`), never
from a stored flag:

* ``reserve`` — parcels whose status is ``reserve``;
* ``unsupplied`` — the usable pieces of the 批而未供 remainder. A reserve parcel lying in such a
  piece (its representative point inside) *is* that remainder: it keeps its parcel id and flags
  and is tagged ``unsupplied``; the piece itself keeps only what those parcels do not cover,
  exploded, parts of at least ``unsupplied.piece_min_mu`` (ids ``{piece_id}`` or
  ``{piece_id}/{n}``);
* ``idle`` — idle supplies whose action is ``take_back`` (id: the parcel id, else the supply id);
* ``low_efficiency`` — redevelopment candidates.

A candidate id appearing under several sources keeps the first in ``matching.source_rank``.

Per candidate: gross ``area_mu``, ``net_area_mu`` (less the ``penalize`` constraints buffered by
their ``buffer_m``), ``red_line_m2`` (overlap with ``exclude`` constraints), the zoning at the
representative point (planned use and the 标准地 indicators), ``zone_id`` and its ancestors,
``ready`` / ``regional_assessment`` (parcels' flags, missing for pieces), and distances (km) to
the nearest water, sewage, gas, highway_exit and rail facility, and to the nearest substation
with at least each distinct spare capacity of the layer (``substation_km``, one column per
capacity level in ``spare_levels``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gis.cleanup import cleanup, place_rows
from gis.frames import numeric_column, same_crs
from gis.policy import Policy
from gis.units import assert_area_crs, m2_to_mu

__all__ = ["FACILITY_KINDS", "ZONING_FIELDS", "Pool", "build_pool"]

#: the facility kinds whose nearest distance every candidate carries (besides substations)
FACILITY_KINDS = ("water", "sewage", "gas", "highway_exit", "rail")

#: zoning attributes copied to each candidate
ZONING_FIELDS = ("plot_ratio_min", "plot_ratio_max", "investment_min_wan_per_mu",
                 "tax_min_wan_per_mu", "output_min_wan_per_mu", "energy_max_tce_per_wan")


@dataclass
class Pool:
    """The candidates (a GeoDataFrame) and the arrays a request filters."""

    candidates: gpd.GeoDataFrame
    spare_levels: np.ndarray  # ascending distinct spare capacities (kVA) of the substations
    substation_km: np.ndarray  # (n, len(spare_levels)): nearest substation with ≥ each level


def _empty(crs) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"candidate_id": pd.array([], dtype="str"),
                             "source": pd.array([], dtype="str"),
                             "land_use": pd.array([], dtype="str")},
                            geometry=gpd.GeoSeries([], crs=crs))


def _frame(ids, source, land_use, geoms, crs) -> gpd.GeoDataFrame:
    n = len(geoms)
    return gpd.GeoDataFrame(
        {"candidate_id": pd.array(np.asarray(ids, dtype=object), dtype="str"),
         "source": pd.array([source] * n, dtype="str"),
         "land_use": pd.array(np.asarray(land_use, dtype=object) if land_use is not None
                              else [pd.NA] * n, dtype="str")},
        geometry=gpd.GeoSeries(np.asarray(geoms, dtype=object), crs=crs))


def _pieces_less_reserve(pieces: gpd.GeoDataFrame, reserve: gpd.GeoDataFrame, min_mu: float
                         ) -> tuple[gpd.GeoDataFrame, np.ndarray]:
    """Pieces minus the reserve parcels inside them, exploded; and which reserve rows lie in a
    piece (those are tagged ``unsupplied``)."""
    in_piece = np.zeros(len(reserve), dtype=bool)
    pgeoms = np.asarray(pieces.geometry.values, dtype=object)
    if len(pieces) == 0:
        return pieces, in_piece
    if len(reserve):
        rgeoms = np.asarray(reserve.geometry.values, dtype=object)
        points = shapely.point_on_surface(rgeoms)
        r_idx, _ = shapely.STRtree(pgeoms).query(points, predicate="within")
        in_piece[r_idx] = True
        p_idx, q_idx = shapely.STRtree(rgeoms).query(pgeoms, predicate="intersects")
        if len(p_idx):
            covers = np.array([None] * len(pgeoms), dtype=object)
            order = np.argsort(p_idx, kind="stable")
            p_sorted, q_sorted = p_idx[order], q_idx[order]
            starts = np.flatnonzero(np.r_[True, p_sorted[1:] != p_sorted[:-1]])
            ends = np.r_[starts[1:], len(p_sorted)]
            for s, e in zip(starts, ends, strict=True):  # one union per touched piece
                covers[p_sorted[s]] = shapely.union_all(rgeoms[q_sorted[s:e]])
            touched = ~shapely.is_missing(covers)
            pgeoms = pgeoms.copy()
            pgeoms[touched] = shapely.difference(pgeoms[touched], covers[touched])
    parts, index = shapely.get_parts(pgeoms, return_index=True)
    keep = m2_to_mu(shapely.area(parts)) >= min_mu
    parts, index = parts[keep], index[keep]
    base = pieces["piece_id"].astype("str").to_numpy(dtype=object)[index]
    counts = np.bincount(index, minlength=len(pieces))
    number = np.zeros(len(index), dtype=int)
    for k in np.flatnonzero(counts > 1):  # number the parts of the pieces split in several
        where = np.flatnonzero(index == k)
        number[where] = np.arange(1, len(where) + 1)
    ids = np.array([b if n == 0 else f"{b}/{n}" for b, n in zip(base, number, strict=True)],
                   dtype=object)
    out = _frame(ids, "unsupplied", None, parts, pieces.crs)
    out["zone_id"] = pd.array(pieces["zone_id"].to_numpy(dtype=object)[index], dtype="str") \
        if "zone_id" in pieces else pd.array([pd.NA] * len(out), dtype="str")
    return out, in_piece


def _gather(layers: Mapping[str, pd.DataFrame], day, policy: Policy) -> gpd.GeoDataFrame:
    parcels = layers.get("parcels")
    crs = parcels.crs if isinstance(parcels, gpd.GeoDataFrame) else None
    result = cleanup(layers, day, policy)
    crs = crs or result.unsupplied.pieces.crs
    frames = []
    if parcels is not None and len(parcels) and "status" in parcels:
        reserve = parcels[parcels["status"].astype("str").eq("reserve").fillna(False)
                          .to_numpy(bool)]
    else:
        reserve = _empty(crs).assign(parcel_id=pd.array([], dtype="str"))
    pieces = result.unsupplied.pieces
    if len(pieces):
        pieces = pieces[pieces["usable"].fillna(False).to_numpy(bool)]
    pieces = same_crs(pieces, crs)
    rest, in_piece = _pieces_less_reserve(pieces, reserve, policy.unsupplied.piece_min_mu)
    if len(reserve):
        res = _frame(reserve["parcel_id"], "reserve", reserve.get("land_use"),
                     reserve.geometry.values, crs)
        res["source"] = pd.array(np.where(in_piece, "unsupplied", "reserve"), dtype="str")
        res["zone_id"] = reserve["zone_id"].astype("str").to_numpy() if "zone_id" in reserve \
            else pd.NA
        frames.append(res)
    frames.append(rest)
    idle_rows = result.idle
    if len(idle_rows):
        idle_rows = same_crs(idle_rows[idle_rows["action"].astype("str").eq("take_back")
                                       .fillna(False).to_numpy(bool)], crs)
        ids = idle_rows["parcel_id"].astype("str").fillna(idle_rows["supply_id"].astype("str"))
        f = _frame(ids, "idle", None, idle_rows.geometry.values, crs)
        f["zone_id"] = idle_rows["zone_id"].astype("str").to_numpy()
        frames.append(f)
    low = same_crs(result.low_efficiency, crs)
    if len(low):
        f = _frame(low["parcel_id"], "low_efficiency", low.get("land_use"), low.geometry.values,
                   crs)
        f["zone_id"] = low["zone_id"].astype("str").to_numpy()
        frames.append(f)
    frames = [f for f in frames if len(f)]
    if not frames:
        return _empty(crs).assign(zone_id=pd.array([], dtype="str"))
    pool = pd.concat(frames, ignore_index=True)
    pool = gpd.GeoDataFrame(pool, geometry="geometry", crs=crs)
    geoms = np.asarray(pool.geometry.values, dtype=object)
    pool = pool[~shapely.is_missing(geoms) & ~shapely.is_empty(geoms)]
    rank = pool["source"].map(policy.matching.source_rank).fillna(99).astype(int)
    pool = pool.assign(_rank=rank.to_numpy()).sort_values(["_rank", "candidate_id"],
                                                          kind="stable")
    pool = pool.drop_duplicates("candidate_id").drop(columns="_rank").reset_index(drop=True)
    zones = layers.get("zones")
    return place_rows(pool, parcels if parcels is not None and len(parcels) else None,
                      zones if zones is not None and len(zones) else None)


def _smallest_containing(points: np.ndarray, polys: np.ndarray) -> np.ndarray:
    """Position of the smallest polygon containing each point (-1 where none)."""
    out = np.full(len(points), -1, dtype=np.intp)
    if len(points) == 0 or len(polys) == 0:
        return out
    pt, poly = shapely.STRtree(polys).query(points, predicate="within")
    if len(pt):
        order = np.lexsort((shapely.area(polys[poly]), pt))
        first = np.unique(pt[order], return_index=True)[1]
        out[pt[order][first]] = poly[order][first]
    return out


def _nearest_km(geoms: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Distance (km) from each geometry to the nearest target (inf when there is none)."""
    out = np.full(len(geoms), np.inf)
    targets = targets[~shapely.is_missing(targets) & ~shapely.is_empty(targets)] \
        if len(targets) else targets
    if len(geoms) == 0 or len(targets) == 0:
        return out
    (i, _), dist = shapely.STRtree(targets).query_nearest(geoms, return_distance=True,
                                                          all_matches=False)
    out[i] = dist / 1000.0
    return out


def _overlap_m2(geoms: np.ndarray, zones: np.ndarray) -> np.ndarray:
    """Area (m²) of each geometry covered by the union of ``zones``."""
    out = np.zeros(len(geoms))
    if len(geoms) == 0 or len(zones) == 0:
        return out
    g_idx, z_idx = shapely.STRtree(zones).query(geoms, predicate="intersects")
    if len(g_idx) == 0:
        return out
    single = np.bincount(g_idx, minlength=len(geoms)) == 1
    one = single[g_idx]
    out[g_idx[one]] = shapely.area(shapely.intersection(geoms[g_idx[one]], zones[z_idx[one]]))
    for g in np.unique(g_idx[~one]):  # candidates under several zones: their union, once
        out[g] = shapely.area(shapely.intersection(geoms[g],
                                                   shapely.union_all(zones[z_idx[g_idx == g]])))
    return out


def _ancestors(zone_ids: pd.Series, zones: pd.DataFrame | None) -> np.ndarray:
    """Per candidate, the tuple of its zone and that zone's ancestors."""
    parent: dict[str, str] = {}
    if zones is not None and len(zones) and "parent_id" in zones:
        for z, p in zip(zones["zone_id"].astype("str"), zones["parent_id"].astype("str"),
                        strict=True):
            if not pd.isna(z) and not pd.isna(p):
                parent[z] = p
    cache: dict[object, tuple[str, ...]] = {}

    def chain(z) -> tuple[str, ...]:
        if pd.isna(z):
            return ()
        out, seen = [], set()
        while z is not None and z not in seen:
            out.append(z)
            seen.add(z)
            z = parent.get(z)
        return tuple(out)

    result = np.empty(len(zone_ids), dtype=object)
    for k, z in enumerate(zone_ids.to_numpy(dtype=object, na_value=None)):
        if z not in cache:
            cache[z] = chain(z) if z is not None else ()
        result[k] = cache[z]
    return result


def build_pool(layers: Mapping[str, pd.DataFrame], day, policy: Policy) -> Pool:
    """The candidates at ``day`` with their precomputed attributes (see the module doc)."""
    pool = _gather(layers, day, policy)
    crs = pool.crs
    if crs is not None:
        assert_area_crs(crs)
    geoms = np.asarray(pool.geometry.values, dtype=object)
    n = len(pool)
    gross_m2 = shapely.area(geoms) if n else np.zeros(0)
    pool["area_mu"] = m2_to_mu(gross_m2)

    constraints = layers.get("constraints")
    exclude = penalize = np.empty(0, dtype=object)
    if constraints is not None and len(constraints):
        constraints = same_crs(constraints, crs)
        effect = constraints["effect"].astype("str")
        cgeoms = np.asarray(constraints.geometry.values, dtype=object)
        buffer_m = np.nan_to_num(numeric_column(constraints, "buffer_m"), nan=0.0)
        is_ex = effect.eq("exclude").fillna(False).to_numpy(bool)
        is_pe = effect.eq("penalize").fillna(False).to_numpy(bool)
        exclude = cgeoms[is_ex]
        penalize = shapely.buffer(cgeoms[is_pe], buffer_m[is_pe])
        exclude = exclude[~shapely.is_missing(exclude)]
        penalize = penalize[~shapely.is_missing(penalize)]
    pool["red_line_m2"] = _overlap_m2(geoms, exclude)
    pool["net_area_mu"] = m2_to_mu(np.maximum(gross_m2 - _overlap_m2(geoms, penalize), 0.0))

    # zoning at the representative point; the candidate's own land use where no zoning covers it
    points = shapely.point_on_surface(geoms) if n else np.empty(0, dtype=object)
    zoning = layers.get("zoning")
    planned = pool["land_use"].astype("str").to_numpy(dtype=object, na_value=None)
    pool["zoning_id"] = pd.array([pd.NA] * n, dtype="str")
    for f in ZONING_FIELDS:
        pool[f] = np.nan
    if zoning is not None and len(zoning):
        zoning = same_crs(zoning, crs)
        at = _smallest_containing(points, np.asarray(zoning.geometry.values, dtype=object))
        hit = at >= 0
        zuse = zoning["planned_use"].astype("str").to_numpy(dtype=object, na_value=None)
        planned = np.where(hit, zuse[np.maximum(at, 0)], planned)
        zid = zoning["zoning_id"].astype("str").to_numpy(dtype=object, na_value=None)
        pool["zoning_id"] = pd.array(np.where(hit, zid[np.maximum(at, 0)], None), dtype="str")
        for f in ZONING_FIELDS:
            vals = numeric_column(zoning, f)
            pool[f] = np.where(hit, vals[np.maximum(at, 0)], np.nan)
    pool["planned_use"] = pd.array(planned, dtype="str")

    # 净地 / 区域评估 flags from the parcels (pieces have none)
    parcels = layers.get("parcels")
    for flag in ("ready", "regional_assessment"):
        values = pd.array([pd.NA] * n, dtype="boolean")
        if parcels is not None and len(parcels) and flag in parcels:
            lookup = pd.Series(parcels[flag].astype("boolean").to_numpy(),
                               index=parcels["parcel_id"].astype("str").to_numpy(dtype=object))
            lookup = lookup[~lookup.index.duplicated()]
            values = pd.array(pool["candidate_id"].map(lookup), dtype="boolean")
        pool[flag] = values
    pool["zone_path"] = _ancestors(pool["zone_id"], layers.get("zones"))

    infra = layers.get("infrastructure")
    kinds = pd.Series(dtype="str")
    igeoms = np.empty(0, dtype=object)
    if infra is not None and len(infra):
        infra = same_crs(infra, crs)
        kinds = infra["kind"].astype("str")
        igeoms = np.asarray(infra.geometry.values, dtype=object)
    for kind in FACILITY_KINDS:
        mask = kinds.eq(kind).fillna(False).to_numpy(bool) if len(kinds) else np.zeros(0, bool)
        pool[f"{kind}_km"] = _nearest_km(geoms, igeoms[mask] if len(igeoms) else igeoms)
    levels = np.empty(0)
    sub_km = np.empty((n, 0))
    if len(kinds):
        is_sub = kinds.eq("substation").fillna(False).to_numpy(bool)
        spare = np.nan_to_num(numeric_column(infra, "spare_kva"), nan=0.0)[is_sub]
        sgeoms = igeoms[is_sub]
        levels = np.unique(spare)
        sub_km = np.column_stack([_nearest_km(geoms, sgeoms[spare >= lv]) for lv in levels]) \
            if len(levels) else sub_km
    return Pool(candidates=pool.reset_index(drop=True), spare_levels=levels,
                substation_km=sub_km)
