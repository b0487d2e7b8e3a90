"""Building metrics on parcels: counted floors, floor area, footprint and coverage.

Pure functions of geometries and the ``buildings`` layer, returning arrays aligned with their
input (one value per building, or per parcel). The rules, as the low-efficiency clean-up states
them:

* A building's storey height is ``storey_height_m`` when given, else ``height_m / floors`` when
  both are given; a storey higher than ``tall_storey_m`` counts twice (2 × floors). A building
  without ``floors`` counts one storey.
* Floor area of a parcel = Σ area(footprint ∩ parcel) × counted floors; the covered area is the
  area of the union of the footprints ∩ parcel — overlapping footprints are not counted twice.

Everything is vectorized: one STRtree query buildings × parcels, one intersection over the
pairs that cross a parcel edge, bincount sums; no Python loop per parcel or building. The sums
are taken in a canonical order (each parcel's pieces sorted by value), so a parcel's measures do
not depend on which other buildings were read with it: the partitioned engine, which reads the
buildings around each cell, gets the same floats as one pass over the whole layer.

>>> import geopandas as gpd
>>> buildings = gpd.GeoDataFrame(
...     {"floors": [2, 1], "height_m": [6.0, 10.0]},
...     geometry=[shapely.box(0, 0, 10, 10), shapely.box(95, 0, 105, 10)], crs=4528)
>>> counted_floors(buildings, 8.0)  # the second building's 10 m storey counts twice
array([2., 2.])
>>> measures = building_measures(np.array([shapely.box(0, 0, 100, 100)]), buildings, 8.0)
>>> measures["floor_area"], measures["coverage"]  # 100 m² × 2 + 50 m² (clipped) × 2
(array([300.]), array([150.]))
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gis.frames import numeric_column

__all__ = ["building_measures", "counted_floors"]


def counted_floors(buildings: pd.DataFrame, tall_storey_m: float) -> np.ndarray:
    """The floors each building counts for in floor area, a tall storey counting twice.

    Parameters
    ----------
    buildings
        The ``buildings`` layer (``floors``, ``height_m``, ``storey_height_m``; any may be
        absent or missing).
    tall_storey_m
        A storey higher than this (m) counts twice (``low_efficiency.tall_storey_m``).

    Returns
    -------
    ndarray
        float, one per row of ``buildings`` in its order: ``floors`` (1 when missing), doubled
        where the storey height — ``storey_height_m``, else ``height_m / floors`` — exceeds
        ``tall_storey_m``.
    """
    floors = numeric_column(buildings, "floors")
    floors = np.where(np.isnan(floors), 1.0, floors)
    height = numeric_column(buildings, "height_m")
    storey = numeric_column(buildings, "storey_height_m")
    with np.errstate(divide="ignore", invalid="ignore"):
        derived = np.where(floors > 0, height / floors, np.nan)
    storey = np.where(np.isnan(storey), derived, storey)
    tall = np.nan_to_num(storey, nan=0.0) > tall_storey_m
    return floors * np.where(tall, 2.0, 1.0)


def building_measures(geoms: np.ndarray, buildings: pd.DataFrame, tall_storey_m: float
                      ) -> dict[str, np.ndarray]:
    """Per parcel: counted floor area, covered area (union), Σ footprint, Σ dilapidated.

    Parameters
    ----------
    geoms
        Parcel polygons (a shapely array), in the CRS of ``buildings``. They are left as they
        came (prepared or not).
    buildings
        The ``buildings`` layer (a GeoDataFrame; anything else, or an empty layer, measures
        nothing). Buildings of every ``state`` count; missing or empty footprints are skipped.
    tall_storey_m
        A storey higher than this (m) counts twice: see :func:`counted_floors`.

    Returns
    -------
    dict of ndarray
        Each float, one value per parcel in the order of ``geoms`` (m²):

        * ``floor_area`` — Σ area(footprint ∩ parcel) × counted floors;
        * ``coverage`` — area of the union of the footprints ∩ parcel (the union is computed
          only for parcels whose footprint pieces overlap each other; elsewhere the sum is the
          union);
        * ``footprint`` — Σ area(footprint ∩ parcel), overlaps counted each time;
        * ``dilapidated`` — the same Σ over buildings whose ``state`` is ``dilapidated``.
    """
    n = len(geoms)
    zero = {k: np.zeros(n) for k in ("floor_area", "coverage", "footprint", "dilapidated")}
    if buildings is None or len(buildings) == 0 or not isinstance(buildings, gpd.GeoDataFrame):
        return zero
    bgeoms = np.asarray(buildings.geometry.values)
    ok = ~shapely.is_missing(bgeoms) & ~shapely.is_empty(bgeoms)
    counted = counted_floors(buildings, tall_storey_m)
    state = buildings["state"].astype("str") if "state" in buildings else \
        pd.Series(pd.NA, index=buildings.index, dtype="str")
    dilapidated = (state == "dilapidated").fillna(False).to_numpy(dtype=bool)
    keep = np.flatnonzero(ok)
    bgeoms, counted, dilapidated = bgeoms[keep], counted[keep], dilapidated[keep]
    if len(bgeoms) == 0:
        return zero

    tree = shapely.STRtree(bgeoms)
    p_idx, b_idx = tree.query(geoms, predicate="intersects")
    # a footprint inside its parcel is its own piece; only edge-crossers are intersected
    fresh = ~shapely.is_prepared(geoms)
    shapely.prepare(geoms)
    inside = shapely.contains_properly(geoms[p_idx], bgeoms[b_idx])
    shapely.destroy_prepared(geoms[fresh])  # leave the caller's geometries as they came
    pieces = bgeoms[b_idx]
    cross = np.flatnonzero(~inside)
    pieces[cross] = shapely.intersection(geoms[p_idx[cross]], pieces[cross])
    piece_area = shapely.area(pieces)
    real = piece_area > 0
    p_idx, b_idx, pieces, piece_area = p_idx[real], b_idx[real], pieces[real], piece_area[real]
    # canonical order: each parcel's pieces by value (area, floors, state, then position), so
    # the sums do not depend on the order the buildings came in — a parcel measured with the
    # buildings of its neighbourhood gets the very numbers it gets with the whole layer
    corner = shapely.bounds(pieces)
    order = np.lexsort((corner[:, 3], corner[:, 2], corner[:, 1], corner[:, 0],
                        dilapidated[b_idx], counted[b_idx], piece_area, p_idx))
    p_idx, b_idx, pieces, piece_area = p_idx[order], b_idx[order], pieces[order], \
        piece_area[order]

    floor_area = np.bincount(p_idx, piece_area * counted[b_idx], minlength=n)
    footprint = np.bincount(p_idx, piece_area, minlength=n)
    dil = np.bincount(p_idx, piece_area * dilapidated[b_idx], minlength=n)
    coverage = footprint.copy()

    # pieces of one parcel whose interiors overlap: only there is the union needed
    ptree = shapely.STRtree(pieces)
    a, c = ptree.query(pieces, predicate="intersects")
    same = (a < c) & (p_idx[a] == p_idx[c])
    a, c = a[same], c[same]
    if len(a):
        overlapping = shapely.relate_pattern(pieces[a], pieces[c], "2********")
        flagged = np.unique(p_idx[a[overlapping]])
        if len(flagged):
            coverage[flagged] = _union_areas(flagged, p_idx, pieces)
    return {"floor_area": floor_area, "coverage": coverage, "footprint": footprint,
            "dilapidated": dil}


def _union_areas(flagged: np.ndarray, p_idx: np.ndarray, pieces: np.ndarray) -> np.ndarray:
    """Area of the union of the pieces of each flagged parcel (one union_all over a padded
    2-D array: row = parcel, None where a parcel has fewer pieces)."""
    sel = np.flatnonzero(np.isin(p_idx, flagged))
    row = np.searchsorted(flagged, p_idx[sel])
    order = np.argsort(row, kind="stable")
    sel, row = sel[order], row[order]
    starts = np.searchsorted(row, np.arange(len(flagged)))
    col = np.arange(len(row)) - starts[row]
    grid = np.full((len(flagged), int(col.max()) + 1), None, dtype=object)
    grid[row, col] = pieces[sel]
    return shapely.area(shapely.union_all(grid, axis=1))
