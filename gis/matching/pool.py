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
import pyarrow as pa
import pyarrow.compute as pc
import shapely

from gis import parallel
from gis.cleanup import cleanup, place_rows
from gis.frames import arrow_text, numeric_column, same_crs, text_is
from gis.policy import Policy
from gis.units import assert_area_crs, m2_to_mu

__all__ = ["FACILITY_KINDS", "ZONING_FIELDS", "Facilities", "Pool", "build_pool",
           "candidate_arrays", "candidate_attributes", "facilities", "nearest_km", "within_km"]

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
    attributes: dict | None = None  # candidate_arrays(), as the columns hold them


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
    """Position of the smallest polygon containing each point (-1 where none; of equal areas
    the first polygon)."""
    out = np.full(len(points), -1, dtype=np.intp)
    if len(points) == 0 or len(polys) == 0:
        return out
    # the tree over the points, each polygon prepared once (faster than a point per query)
    poly, pt = parallel.query(shapely.STRtree(points), polys, "contains")
    if len(pt) == 0:
        return out
    held = np.bincount(pt, minlength=len(points))
    one = held[pt] == 1
    out[pt[one]] = poly[one]
    if not one.all():  # points in several polygons: the smallest, measured only for those
        pt, poly = pt[~one], poly[~one]
        order = np.lexsort((poly, shapely.area(polys[poly]), pt))
        first = np.unique(pt[order], return_index=True)[1]
        out[pt[order][first]] = poly[order][first]
    return out


def _present(targets: np.ndarray) -> np.ndarray:
    return targets[~shapely.is_missing(targets) & ~shapely.is_empty(targets)] \
        if len(targets) else targets


def nearest_km(geoms: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Distance (km) from each geometry to the nearest target (inf when there is none)."""
    out = np.full(len(geoms), np.inf)
    targets = _present(targets)
    if len(geoms) == 0 or len(targets) == 0:
        return out
    (i, _), dist = shapely.STRtree(targets).query_nearest(geoms, return_distance=True,
                                                          all_matches=False)
    out[i] = dist / 1000.0
    return out


#: dwithin decides a distance rule outside this band (m) around its limit; inside it, the
#: exact nearest distance does (GEOS's dwithin and distance may differ in the last bits)
_BAND_M = 1e-3


def within_km(geoms: np.ndarray, targets: np.ndarray, limit_km: float, *,
              tree: shapely.STRtree | None = None, bounds: np.ndarray | None = None
              ) -> np.ndarray:
    """Whether ``nearest_km(geoms, targets) <= limit_km``, exactly, without measuring every
    nearest distance.

    ``tree`` (an STRtree over ``geoms``) and ``bounds`` (their ``shapely.bounds``): when the
    caller has them.

    1. The pairs whose bounding boxes come within the limit (one envelope query of the
       targets' boxes, grown by the limit): every geometry within the limit of a target is in
       such a pair.
    2. Bounds decide most pairs by arithmetic alone: a geometry is surely within the limit
       when a point of the target lies within it of the farthest corner of the geometry's
       box, and a pair is surely beyond it when the two boxes are farther apart.
    3. GEOS's ``dwithin`` decides the pairs left, and :func:`nearest_km` every geometry whose
       distance might lie within :data:`_BAND_M` of the limit.

    Same answer as the exact distance, the ``<=`` included: ``d / 1000 <= limit_km`` holds for
    exactly the distances ``d`` up to some largest double, and every geometry whose distance
    might lie within a millimetre of ``limit_km`` km is measured exactly; the bounds' rounding
    (far below a millimetre) cannot move a pair across that band.
    """
    n = len(geoms)
    limit = float(limit_km)
    targets = _present(targets)
    if n == 0:
        return np.zeros(0, dtype=bool)
    if np.isnan(limit):
        return np.zeros(n, dtype=bool)
    if limit == np.inf or len(targets) == 0:  # inf <= limit; nothing is nearer than inf
        return np.full(n, np.inf <= limit)
    if limit < 0:
        return np.zeros(n, dtype=bool)
    odd = ~shapely.is_valid(targets)
    if odd.any():  # GEOS's dwithin misses e.g. zero-length lines: measure those
        near_odd = nearest_km(geoms, targets[odd]) <= limit
        return near_odd | within_km(geoms, targets[~odd], limit, tree=tree, bounds=bounds)
    limit_m = limit * 1000.0
    inner = limit_m * (1 - 1e-12) - _BAND_M
    outer = limit_m * (1 + 1e-12) + _BAND_M
    tree = tree if tree is not None else shapely.STRtree(geoms)
    out = np.zeros(n, dtype=bool)

    # 1. candidate pairs (target t, geometry g) by their boxes
    t_box = shapely.bounds(targets)
    grown = shapely.box(t_box[:, 0] - outer, t_box[:, 1] - outer,
                        t_box[:, 2] + outer, t_box[:, 3] + outer)
    t, g = tree.query(grown)
    if len(g) == 0:
        return out
    # 2. bounds: a vertex of each target, the boxes of both (the geometries' measured once
    # when the pairs outnumber them, or given)
    xy, owner = shapely.get_coordinates(targets, return_index=True)
    vx, vy = xy[np.unique(owner, return_index=True)[1]][t].T
    box = bounds[g] if bounds is not None else \
        shapely.bounds(geoms)[g] if len(g) > n else shapely.bounds(geoms[g])
    x0, y0, x1, y1 = box.T
    far = np.hypot(np.maximum(vx - x0, x1 - vx), np.maximum(vy - y0, y1 - vy))
    out[g[far <= inner]] = True
    tx0, ty0, tx1, ty1 = t_box[t].T
    gap = np.hypot(np.maximum(np.maximum(x0 - tx1, tx0 - x1), 0.0),
                   np.maximum(np.maximum(y0 - ty1, ty0 - y1), 0.0))
    open_ = ~out[g] & (gap <= outer)
    t, g = t[open_], g[open_]
    if len(g) == 0:
        return out
    # 3. the pairs left, by GEOS; then the band, measured
    near = parallel.threaded(shapely.dwithin, geoms[g], targets[t], np.full(len(g), inner),
                             dtype=bool)
    out[g[near]] = True
    left = ~out[g]
    t, g = t[left], g[left]
    band = np.unique(g[shapely.dwithin(geoms[g], targets[t], outer)])
    if len(band):
        out[band] = nearest_km(geoms[band], targets) <= limit
    return out


def _overlap_area(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return shapely.area(shapely.intersection(a, b))


def _overlap_m2(geoms: np.ndarray, zones: np.ndarray, tree: shapely.STRtree | None = None
                ) -> np.ndarray:
    """Area (m²) of each geometry covered by the union of ``zones`` (``tree``: an STRtree over
    ``geoms`` when the caller has one)."""
    out = np.zeros(len(geoms))
    if len(geoms) == 0 or len(zones) == 0:
        return out
    # the tree over the candidates, each zone prepared once; pairs in (geometry, zone) order
    tree = tree if tree is not None else shapely.STRtree(geoms)
    z_idx, g_idx = parallel.query(tree, zones, "intersects")
    if len(g_idx) == 0:
        return out
    order = np.lexsort((z_idx, g_idx))
    g_idx, z_idx = g_idx[order], z_idx[order]
    single = np.bincount(g_idx, minlength=len(geoms)) == 1
    one = single[g_idx]
    out[g_idx[one]] = parallel.threaded(_overlap_area, geoms[g_idx[one]], zones[z_idx[one]])
    for g in np.unique(g_idx[~one]):  # candidates under several zones: their union, once
        out[g] = shapely.area(shapely.intersection(geoms[g],
                                                   shapely.union_all(zones[z_idx[g_idx == g]])))
    return out


def _ancestors(zone_ids: pd.Series, zones: pd.DataFrame | None
               ) -> tuple[np.ndarray, list[tuple[str, ...]]]:
    """Per candidate, a code into the list of distinct zone paths (a zone and its ancestors;
    ``()`` for none), and that list."""
    parent: dict[str, str] = {}
    if zones is not None and len(zones) and "parent_id" in zones:
        for z, p in zip(zones["zone_id"].astype("str"), zones["parent_id"].astype("str"),
                        strict=True):
            if not pd.isna(z) and not pd.isna(p):
                parent[z] = p

    def chain(z: str) -> tuple[str, ...]:
        out, seen = [], set()
        while z is not None and z not in seen:
            out.append(z)
            seen.add(z)
            z = parent.get(z)
        return tuple(out)

    # the distinct zones in order of first appearance (Arrow's dictionary), missing as null
    encoded = pc.dictionary_encode(arrow_text(zone_ids))
    paths = [chain(z) for z in encoded.dictionary.to_pylist()]
    codes = np.asarray(encoded.indices.fill_null(len(paths)), dtype=np.intp)
    if encoded.null_count:  # no zone: the empty path, last
        paths.append(())
    return codes, paths


def _parcel_rows(parcels: pd.DataFrame | None, ids: pd.Series) -> np.ndarray:
    """Per id, the row of the first parcel with that ``parcel_id`` (-1 where none): one Arrow
    hash lookup (``index_in`` gives the first occurrence)."""
    if parcels is None or not len(parcels) or "parcel_id" not in parcels or not len(ids):
        return np.full(len(ids), -1, dtype=np.intp)
    at = pc.index_in(arrow_text(ids), value_set=arrow_text(parcels["parcel_id"]),
                     skip_nulls=True)
    return np.asarray(at.fill_null(-1), dtype=np.intp)


def _flag_lookup(parcels: pd.DataFrame | None, rows: np.ndarray, flag: str) -> np.ndarray:
    """The parcels' ``flag`` at ``rows`` as 1.0 / 0.0, NaN where unknown or no parcel."""
    out = np.full(len(rows), np.nan)
    if parcels is None or not len(parcels) or flag not in parcels:
        return out
    hit = rows >= 0
    values = pd.array(parcels[flag].array.take(rows[hit]), dtype="boolean")
    out[hit] = values.to_numpy(dtype=float, na_value=np.nan)
    return out


def _zoning_at(geoms: np.ndarray, zoning: pd.DataFrame | None) -> np.ndarray:
    """Per geometry, the row of the smallest ``zoning`` polygon holding its representative
    point (-1 where none)."""
    if zoning is None or len(geoms) == 0:
        return np.full(len(geoms), -1, dtype=np.intp)
    return _smallest_containing(parallel.threaded(shapely.point_on_surface, geoms, dtype=object),
                                np.asarray(zoning.geometry.values, dtype=object))


def _constraint_zones(constraints: pd.DataFrame | None, crs) -> tuple[np.ndarray, np.ndarray]:
    """The ``exclude`` constraints, and the ``penalize`` ones buffered by their ``buffer_m``
    (missing geometries left out)."""
    none = np.empty(0, dtype=object)
    if constraints is None or not len(constraints):
        return none, none
    constraints = same_crs(constraints, crs)
    cgeoms = np.asarray(constraints.geometry.values, dtype=object)
    buffer_m = np.nan_to_num(numeric_column(constraints, "buffer_m"), nan=0.0)
    is_pe = text_is(constraints["effect"], "penalize")
    exclude = cgeoms[text_is(constraints["effect"], "exclude")]
    penalize = shapely.buffer(cgeoms[is_pe], buffer_m[is_pe])
    return exclude[~shapely.is_missing(exclude)], penalize[~shapely.is_missing(penalize)]


def candidate_arrays(pool: gpd.GeoDataFrame, layers: Mapping[str, pd.DataFrame], *,
                     tree: shapely.STRtree | None = None) -> dict[str, object]:
    """Every attribute of the gathered ``pool`` but the facility distances, as arrays:
    ``area_mu``, ``red_line_m2`` (overlap with the ``exclude`` constraints), ``net_area_mu``
    (less the ``penalize`` ones, buffered by their ``buffer_m``), ``zoning_id``, the
    :data:`ZONING_FIELDS`, ``planned_use`` (object, None for missing), ``ready`` and
    ``regional_assessment`` (1.0 / 0.0, NaN unknown), ``path_code`` into ``zone_paths`` (the
    distinct paths of a zone and its ancestors). Cheap and exact: both :func:`build_pool` and
    the one-project path (:mod:`gis.matching.cold`) compute them so, for every candidate.
    ``tree``: an STRtree over the pool's geometries when the caller has one."""
    crs = pool.crs
    if crs is not None:
        assert_area_crs(crs)
    geoms = np.asarray(pool.geometry.values, dtype=object)
    n = len(pool)
    zoning = layers.get("zoning")
    zoning = same_crs(zoning, crs) if zoning is not None and len(zoning) else None
    parcels = layers.get("parcels")
    exclude, penalize = _constraint_zones(layers.get("constraints"), crs)
    if len(exclude) or len(penalize):
        tree = parallel.built(tree if tree is not None else shapely.STRtree(geoms))

    def parcel_facts() -> dict[str, object]:
        # 净地 / 区域评估 flags from the parcels (pieces have none); the zone paths
        rows = _parcel_rows(parcels, pool["candidate_id"])
        out = {flag: _flag_lookup(parcels, rows, flag)
               for flag in ("ready", "regional_assessment")}
        zone_ids = pool["zone_id"] if "zone_id" in pool else pd.Series([None] * n)
        out["path_code"], out["zone_paths"] = _ancestors(zone_ids, layers.get("zones"))
        return out

    # four independent jobs over the cores, the longest first (shapely releases the GIL; the
    # candidate tree is built, each job prepares its own geometries)
    at, penalized_m2, red_line_m2, out = parallel.together(
        lambda: _zoning_at(geoms, zoning),
        lambda: _overlap_m2(geoms, penalize, tree),
        lambda: _overlap_m2(geoms, exclude, tree),
        parcel_facts)
    gross_m2 = shapely.area(geoms) if n else np.zeros(0)
    out["area_mu"] = m2_to_mu(gross_m2)
    out["red_line_m2"] = red_line_m2
    out["net_area_mu"] = m2_to_mu(np.maximum(gross_m2 - penalized_m2, 0.0))

    # zoning at the representative point; the candidate's own land use where no zoning covers it
    hit, where = at >= 0, np.maximum(at, 0)
    planned = arrow_text(pool["land_use"])
    zoning_id = pa.nulls(n, pa.large_string())
    if zoning is not None:
        hit_a, where_a = pa.array(hit), pa.array(where)
        planned = pc.if_else(hit_a, arrow_text(zoning["planned_use"]).take(where_a), planned)
        zoning_id = pc.if_else(hit_a, arrow_text(zoning["zoning_id"]).take(where_a), None)
    out["planned_use"] = planned.to_numpy(zero_copy_only=False)
    out["zoning_id"] = zoning_id.to_numpy(zero_copy_only=False)
    for f in ZONING_FIELDS:
        out[f] = np.where(hit, numeric_column(zoning, f)[where], np.nan) if zoning is not None \
            else np.full(n, np.nan)
    return out


def candidate_attributes(pool: gpd.GeoDataFrame, layers: Mapping[str, pd.DataFrame]
                         ) -> tuple[gpd.GeoDataFrame, dict[str, object]]:
    """The gathered ``pool`` with the columns of :func:`candidate_arrays` (``zone_path`` the
    tuple of the candidate's zone and its ancestors), and those arrays."""
    a = candidate_arrays(pool, layers)
    for key in ("area_mu", "red_line_m2", "net_area_mu"):
        pool[key] = a[key]
    pool["zoning_id"] = pd.array(a["zoning_id"], dtype="str")
    for f in ZONING_FIELDS:
        pool[f] = a[f]
    pool["planned_use"] = pd.array(a["planned_use"], dtype="str")
    for flag in ("ready", "regional_assessment"):
        v = a[flag]
        pool[flag] = pd.array(np.where(np.isnan(v), None, v == 1.0), dtype="boolean")
    paths = np.empty(len(a["zone_paths"]), dtype=object)
    paths[:] = a["zone_paths"]
    pool["zone_path"] = paths[a["path_code"]] if len(pool) else np.empty(0, dtype=object)
    return pool, a


@dataclass(frozen=True)
class Facilities:
    """The facilities a candidate's distances are measured to: per kind of
    :data:`FACILITY_KINDS` the present geometries, and the substations with their spare
    capacity (kVA, missing = 0) and its distinct levels (ascending)."""

    by_kind: dict[str, np.ndarray]
    substations: np.ndarray
    spare_kva: np.ndarray
    levels: np.ndarray

    def substations_with(self, column: int) -> np.ndarray:
        """The substations with at least ``levels[column]`` spare (column of ``substation_km``)."""
        return self.substations[self.spare_kva >= self.levels[column]]


def facilities(layers: Mapping[str, pd.DataFrame], crs) -> Facilities:
    """The ``infrastructure`` layer's facilities, in ``crs``."""
    infra = layers.get("infrastructure")
    if infra is None or not len(infra):
        none = np.empty(0, dtype=object)
        return Facilities(dict.fromkeys(FACILITY_KINDS, none), none, np.empty(0),
                          np.empty(0))
    infra = same_crs(infra, crs)
    igeoms = np.asarray(infra.geometry.values, dtype=object)
    kinds = arrow_text(infra["kind"])
    by_kind = {kind: igeoms[text_is(kinds, kind)] for kind in FACILITY_KINDS}
    is_sub = text_is(kinds, "substation")
    spare = np.nan_to_num(numeric_column(infra, "spare_kva"), nan=0.0)[is_sub]
    return Facilities(by_kind, igeoms[is_sub], spare, np.unique(spare))


def build_pool(layers: Mapping[str, pd.DataFrame], day, policy: Policy) -> Pool:
    """The candidates at ``day`` with their precomputed attributes (see the module doc)."""
    pool, arrays = candidate_attributes(_gather(layers, day, policy), layers)
    geoms = np.asarray(pool.geometry.values, dtype=object)
    fac = facilities(layers, pool.crs)
    for kind in FACILITY_KINDS:
        pool[f"{kind}_km"] = nearest_km(geoms, fac.by_kind[kind])
    levels = fac.levels
    sub_km = np.column_stack([nearest_km(geoms, fac.substations_with(j))
                              for j in range(len(levels))]) if len(levels) \
        else np.empty((len(pool), 0))
    return Pool(candidates=pool.reset_index(drop=True), spare_levels=levels,
                substation_km=sub_km, attributes=arrays)
