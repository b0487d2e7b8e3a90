"""Measures: the spatial part of the analyses, one light row per feature.

Most of the clean-ups is spatially local, but some steps couple features across the county
through firms: the 亩均 evaluation ranks all firms of a group, the low-efficiency list splits a
firm's tax over all its parcels, the zone indicators sum over whole zones. Those steps judge
*measures* instead of geometries: per parcel its area, representative point, building measures,
zoning and zone at the point; per contract its area, point and the parcel holding the point.
The functions below compute them from a feature's own geometry and the features that intersect
it, so the same function gives the same numbers whether it is handed whole layers (the
single-machine path) or the neighbourhood of one cell (the partitioned engine,
:mod:`gis.partition`), and both engines judge the very same table.

Canonical order
---------------
Floating-point sums depend on their order. Wherever several features add up, the order is fixed
by the values themselves or by keys, never by the order the features were read in:
:func:`gis.metrics.building_measures` sorts each parcel's pieces by value, :func:`canonical`
sorts measure tables by key and representative point, and :func:`smallest_containing` breaks
ties between equal polygons by key. So a feature measured in its cell's neighbourhood and one
measured with the whole layer give bit-for-bit the same floats.

>>> import geopandas as gpd
>>> parcels = gpd.GeoDataFrame(
...     {"parcel_id": ["P2", "P1"], "status": ["supplied", "reserve"]},
...     geometry=[shapely.box(0, 0, 100, 50), shapely.box(100, 0, 200, 100)], crs=4528)
>>> m = parcel_measures(parcels)
>>> m[["parcel_id", "area_m2", "rep_x", "rep_y", "measured"]].to_dict("list")
{'parcel_id': ['P2', 'P1'], 'area_m2': [5000.0, 10000.0], 'rep_x': [50.0, 150.0], \
'rep_y': [25.0, 50.0], 'measured': [True, False]}
>>> canonical(m)["parcel_id"].tolist()
['P1', 'P2']
"""

from __future__ import annotations

from collections.abc import Iterable

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import shapely

from gis.frames import arrow_text, numeric_column, same_crs
from gis.metrics import building_measures
from gis.policy import Policy
from gis.units import area_m2

__all__ = ["MEASURE_COLUMNS", "PARCEL_FIELDS", "canonical", "is_in", "leaf_zones", "locate",
           "measured_parcels", "parcel_at", "parcel_measures", "points_at",
           "representative_points", "row_measures", "smallest_containing", "tenancy_hosts",
           "zone_at"]

#: the parcel fields a measure table carries beside the measures (what the judging reads)
PARCEL_FIELDS: tuple[str, ...] = ("parcel_id", "land_use", "zone_id", "town",
                                  "owner_credit_code", "owner_name", "status", "ready")

#: measure column -> dtype, in the order of the table
MEASURE_COLUMNS: dict[str, str] = {
    "area_m2": "float64",          # area of the geometry (NaN when missing)
    "rep_x": "float64",            # representative point (shapely.point_on_surface)
    "rep_y": "float64",
    "measured": "bool",            # building measures taken (supplied, or hosting a tenancy)
    "floor_area": "float64",       # all buildings: gis.metrics.building_measures
    "coverage": "float64",
    "footprint": "float64",
    "dilapidated": "float64",
    "standing_floor": "float64",   # standing buildings only (zone.built_states or unrecorded)
    "standing_cover": "float64",
    "zoning_use": "str",           # zoning polygon containing the point (the smallest)
    "zoning_min": "float64",
    "zone_at": "str",              # leaf zone containing the point (the smallest)
    "in_approval": "boolean",      # point inside a batch approved by as_of (NA: not checked)
}


# ---------------------------------------------------------------------------------------------
def representative_points(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """x and y of each geometry's representative point (``shapely.point_on_surface``); NaN for
    a missing or empty geometry."""
    geoms = np.asarray(geoms, dtype=object)
    x = np.full(len(geoms), np.nan)
    y = np.full(len(geoms), np.nan)
    ok = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    if ok.any():
        pts = shapely.point_on_surface(geoms[ok])
        x[ok] = shapely.get_x(pts)
        y[ok] = shapely.get_y(pts)
    return x, y


def points_at(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Points from coordinates, None where a coordinate is NaN."""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    out = np.full(len(x), None, dtype=object)
    ok = ~(np.isnan(x) | np.isnan(y))
    if ok.any():
        out[ok] = shapely.points(x[ok], y[ok])
    return out


def _ranks(keys) -> np.ndarray:
    """Sort rank of each key (missing keys first): a tie-breaker usable in ``np.lexsort``."""
    codes, _ = pd.factorize(pd.Series(np.asarray(keys, dtype=object), dtype=object), sort=True)
    return codes


def smallest_containing(points: np.ndarray, polygons: np.ndarray, keys=None) -> np.ndarray:
    """Index of the smallest polygon containing each point, −1 where none does.

    Equal areas are decided by ``keys`` (the smallest key wins), then by the polygon's lower-left
    corner: never by the order of the polygons, which differs between a whole layer and the
    features read around one cell.
    """
    points = np.asarray(points, dtype=object)
    polygons = np.asarray(polygons, dtype=object)
    out = np.full(len(points), -1, dtype=np.intp)
    if len(points) == 0 or len(polygons) == 0:
        return out
    pt, poly = shapely.STRtree(polygons).query(points, predicate="within")
    if len(pt) == 0:
        return out
    rank = _ranks(keys)[poly] if keys is not None else np.zeros(len(poly), dtype=np.intp)
    corner = shapely.bounds(polygons[poly])
    order = np.lexsort((corner[:, 3], corner[:, 2], corner[:, 1], corner[:, 0], rank,
                        shapely.area(polygons[poly]), pt))
    first = order[np.unique(pt[order], return_index=True)[1]]
    out[pt[first]] = poly[first]
    return out


def leaf_zones(zones: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Zones no other zone names as parent: the parks of 一区三园, or the zone itself."""
    if "parent_id" not in zones:
        return zones
    parents = set(zones["parent_id"].dropna())
    leaves = zones[~zones["zone_id"].isin(parents)]
    return leaves if len(leaves) else zones


def zone_at(points: np.ndarray, zones: gpd.GeoDataFrame | None) -> np.ndarray:
    """The leaf zone (park) containing each point, None outside every zone."""
    out = np.full(len(points), None, dtype=object)
    if zones is None or len(zones) == 0 or "zone_id" not in zones:
        return out
    leaves = leaf_zones(zones)
    ids = leaves["zone_id"].to_numpy(dtype=object, na_value=None)
    at = smallest_containing(points, np.asarray(leaves.geometry.values), ids)
    out[at >= 0] = ids[at[at >= 0]]
    return out


def tenancy_hosts(tenancies: pd.DataFrame | None) -> np.ndarray:
    """The parcel ids that host a tenancy (stripped, unique)."""
    if tenancies is None or len(tenancies) == 0 or "parcel_id" not in tenancies:
        return np.array([], dtype=object)
    pid = tenancies["parcel_id"].astype("str").str.strip().dropna()
    return np.asarray(pid.unique(), dtype=object)


def is_in(keys: pd.Series, *values: pd.Series) -> np.ndarray:
    """Which ``keys`` (text) are among the ``values`` (text): a boolean array, False for a
    missing key. Vectorized in Arrow (``pandas.Series.isin`` of Arrow strings converts every
    value to a Python object), so it serves for millions of keys and values."""
    key = arrow_text(pd.Series(keys))
    pool = [arrow_text(pd.Series(v).dropna()) for v in values]
    pool = [v.cast(pa.large_string()) for v in pool if len(v)]
    if len(key) == 0 or not pool:
        return np.zeros(len(key), dtype=bool)
    found = pc.is_in(key, value_set=pc.unique(pa.concat_arrays(pool)).cast(key.type))
    return np.asarray(pc.fill_null(found, False).to_numpy(zero_copy_only=False), dtype=bool)


def _text(frame: pd.DataFrame, name: str) -> pd.Series:
    if name in frame:
        return frame[name].reset_index(drop=True)
    return pd.Series(pd.NA, index=range(len(frame)), dtype="str")


def _standing(buildings: gpd.GeoDataFrame, states: Iterable[str]) -> gpd.GeoDataFrame:
    """Buildings that stand: state in ``states`` or not recorded."""
    if buildings is None or len(buildings) == 0 or "state" not in buildings:
        return buildings
    state = buildings["state"].astype("str")
    keep = (state.isin(list(states)) | state.isna()).to_numpy(dtype=bool)
    return buildings[keep]


def parcel_measures(parcels: gpd.GeoDataFrame, *, policy: Policy | None = None,
                    buildings: gpd.GeoDataFrame | None = None,
                    zoning: gpd.GeoDataFrame | None = None,
                    zones: gpd.GeoDataFrame | None = None,
                    approvals: gpd.GeoDataFrame | None = None,
                    as_of: pd.Timestamp | None = None,
                    hosts: Iterable[str] | None = None, built_for: str | None = "supplied",
                    standing: bool = False, geometry: bool = True) -> pd.DataFrame:
    """One row per parcel (in the order of ``parcels``): its :data:`PARCEL_FIELDS` and the
    :data:`MEASURE_COLUMNS` of its geometry.

    Parameters
    ----------
    parcels
        The ``parcels`` layer (or the parcels of one cell) in a projected CRS.
    policy
        ``low_efficiency.tall_storey_m`` and ``zone.built_states``; the defaults when omitted.
    buildings
        Building measures (``floor_area``, ``coverage``, ``footprint``, ``dilapidated``) are
        taken for the *measured* parcels (``measured``) — see ``built_for`` — that have an
        area; NaN elsewhere. Every building intersecting a measured parcel must be present;
        others are harmless.
    zoning, zones
        ``zoning_use``/``zoning_min`` and ``zone_at`` at the representative point (NA without
        the layer).
    approvals, as_of
        ``in_approval``: the point lies in a batch approved on or before ``as_of`` (or without a
        date); NA when ``approvals`` is not given.
    hosts
        Parcel ids hosting a tenancy (:func:`tenancy_hosts`).
    built_for
        Which parcels are measured: ``"supplied"`` — ``status`` supplied or hosting a tenancy
        (the low-efficiency list and the 亩均 evaluation); ``"hosts"`` — the tenancy hosts only
        (the 亩均 evaluation alone); None — none.
    standing
        Also ``standing_floor``/``standing_cover`` of the supplied parcels: the building
        measures over the standing buildings only (the zone indicators' built land).
    geometry
        Keep the parcels' geometry (a GeoDataFrame); the partitioned engine drops it.
    """
    policy = policy if policy is not None else Policy.load()
    crs = parcels.crs
    n = len(parcels)
    geoms = np.asarray(parcels.geometry.values)
    out = pd.DataFrame({name: _text(parcels, name) for name in PARCEL_FIELDS})
    area = area_m2(parcels).to_numpy() if n else np.array([])
    x, y = representative_points(geoms)
    points = points_at(x, y)
    out["area_m2"] = area
    out["rep_x"] = x
    out["rep_y"] = y

    measured, supplied = measured_parcels(parcels, hosts=hosts, built_for=built_for)
    out["measured"] = measured
    tall = float(policy.low_efficiency.tall_storey_m)
    near = same_crs(buildings, crs) if buildings is not None else None
    built = {k: np.full(n, np.nan) for k in ("floor_area", "coverage", "footprint",
                                             "dilapidated", "standing_floor", "standing_cover")}
    sel = np.flatnonzero(measured)
    if len(sel):
        got = building_measures(geoms[sel], near, tall)
        for k in ("floor_area", "coverage", "footprint", "dilapidated"):
            built[k][sel] = got[k]
    sel = np.flatnonzero(supplied)
    if standing and len(sel):
        got = building_measures(geoms[sel], _standing(near, policy.zone.built_states), tall)
        built["standing_floor"][sel] = got["floor_area"]
        built["standing_cover"][sel] = got["coverage"]
    for k, v in built.items():
        out[k] = v

    use = np.full(n, None, dtype=object)
    zmin = np.full(n, np.nan)
    if isinstance(zoning, gpd.GeoDataFrame) and len(zoning) and "planned_use" in zoning:
        zoning = same_crs(zoning, crs)
        ids = zoning.get("zoning_id")
        at = smallest_containing(points, np.asarray(zoning.geometry.values), ids)
        hit = at >= 0
        planned = zoning["planned_use"].astype("str").str.strip().to_numpy(dtype=object,
                                                                           na_value=None)
        use[hit] = planned[at[hit]]
        zmin[hit] = numeric_column(zoning, "plot_ratio_min")[at[hit]]
    out["zoning_use"] = pd.Series(use, dtype="str")
    out["zoning_min"] = zmin
    out["zone_at"] = pd.Series(
        zone_at(points, same_crs(zones, crs) if zones is not None else None), dtype="str")

    inside = pd.array([pd.NA] * n, dtype="boolean")
    if approvals is not None:
        inside = pd.array(_inside_approvals(points, same_crs(approvals, crs), as_of),
                          dtype="boolean")
    out["in_approval"] = inside
    out.attrs["crs"] = crs
    if geometry:
        out = gpd.GeoDataFrame(out, geometry=gpd.GeoSeries(geoms, crs=crs), crs=crs)
        out.attrs["crs"] = crs
    return out


def measured_parcels(parcels: pd.DataFrame, *, hosts: Iterable[str] | None = None,
                     built_for: str | None = "supplied") -> tuple[np.ndarray, np.ndarray]:
    """Which parcels :func:`parcel_measures` takes building measures of: (all buildings —
    see its ``built_for``; standing buildings — the supplied parcels), each with an area. The
    buildings that intersect these parcels are all the measures need."""
    if built_for not in ("supplied", "hosts", None):
        raise ValueError(f"built_for must be 'supplied', 'hosts' or None, got {built_for!r}")
    n = len(parcels)
    if n == 0:
        return np.zeros(0, dtype=bool), np.zeros(0, dtype=bool)
    area = np.nan_to_num(shapely.area(np.asarray(parcels.geometry.values)), nan=0.0)
    status = _text(parcels, "status").astype("str").str.strip()
    pid = _text(parcels, "parcel_id").astype("str").str.strip()
    host = pid.isin(list(hosts)).to_numpy(dtype=bool) if hosts is not None else np.zeros(n, bool)
    supplied = (status == "supplied").fillna(False).to_numpy(dtype=bool) & (area > 0)
    measured = (supplied | host) if built_for == "supplied" else host if built_for == "hosts" \
        else np.zeros(n, dtype=bool)
    return measured & (area > 0), supplied


def _inside_approvals(points: np.ndarray, approvals: pd.DataFrame, day) -> np.ndarray:
    """Points inside a batch approved on or before ``day`` (or without a date)."""
    out = np.zeros(len(points), dtype=bool)
    if approvals is None or len(approvals) == 0 or not isinstance(approvals, gpd.GeoDataFrame):
        return out
    approved = pd.to_datetime(approvals["approved_on"]) if "approved_on" in approvals else \
        pd.Series(pd.NaT, index=approvals.index, dtype="datetime64[ms]")
    keep = (approved.isna() | (approved <= day)).to_numpy(dtype=bool) if day is not None \
        else np.ones(len(approvals), dtype=bool)
    ageoms = np.asarray(approvals.geometry.values)[keep]
    if len(ageoms) == 0 or len(points) == 0:
        return out
    ok = np.flatnonzero(~shapely.is_missing(points))
    item, _ = shapely.STRtree(ageoms).query(points[ok], predicate="within")
    out[ok[item]] = True
    return out


def row_measures(frame: pd.DataFrame) -> pd.DataFrame:
    """``area_m2`` (0 for a missing geometry), ``rep_x``, ``rep_y`` of each row of a polygon
    layer (contracts, ledger rows), index-aligned."""
    geoms = np.asarray(frame.geometry.values) if isinstance(frame, gpd.GeoDataFrame) and len(
        frame) else np.full(len(frame), None, dtype=object)
    x, y = representative_points(geoms)
    area = np.nan_to_num(shapely.area(geoms), nan=0.0) if len(geoms) else np.array([])
    return pd.DataFrame({"area_m2": area, "rep_x": x, "rep_y": y}, index=frame.index)


# ---------------------------------------------------------------------------------------------
def canonical(table: pd.DataFrame, key: str = "parcel_id") -> pd.DataFrame:
    """``table`` sorted by ``key`` (stripped; missing first), then by representative point:
    the order the judging code works in, the same whichever order the rows were measured in."""
    if len(table) == 0:
        return table.reset_index(drop=True)
    keys = table[key].astype("str").str.strip() if key in table else \
        pd.Series(pd.NA, index=table.index, dtype="str")
    order = np.lexsort((table["rep_y"].to_numpy(dtype=float),
                        table["rep_x"].to_numpy(dtype=float), _ranks(keys)))
    out = table.iloc[order].reset_index(drop=True)
    out.attrs = dict(table.attrs)
    return out


def locate(keys: np.ndarray, x: np.ndarray, y: np.ndarray, table: pd.DataFrame,
           key: str = "parcel_id") -> np.ndarray:
    """Position in ``table`` of each (key, rep_x, rep_y) triple, −1 where absent: how a
    measure names a parcel (ids alone may repeat or be missing in bad data)."""
    def index(k, a, b) -> pd.MultiIndex:
        k = pd.Series(np.asarray(k, dtype=object), dtype="str").str.strip().fillna("\x00")
        return pd.MultiIndex.from_arrays([k.to_numpy(dtype=object), np.asarray(a, dtype=float),
                                          np.asarray(b, dtype=float)])

    if len(table) == 0 or len(keys) == 0:
        return np.full(len(keys), -1, dtype=np.intp)
    own = index(table[key] if key in table else np.full(len(table), None), table["rep_x"],
                table["rep_y"])
    first = ~own.duplicated(keep="first")
    pos = np.flatnonzero(first)
    found = own[first].get_indexer(index(keys, x, y))
    return np.where(found >= 0, pos[np.maximum(found, 0)], -1)


def parcel_at(points: np.ndarray, parcels: gpd.GeoDataFrame | None) -> pd.DataFrame:
    """The parcel containing each point (the smallest; equal areas: the smallest id), named by
    its id and representative point (``at_pid``, ``at_x``, ``at_y``; missing where none):
    a name :func:`locate` finds in any measure table of the parcels."""
    n = len(points)
    out = pd.DataFrame({"at_pid": pd.Series([None] * n, dtype=object),
                        "at_x": np.full(n, np.nan), "at_y": np.full(n, np.nan)})
    if parcels is None or len(parcels) == 0 or n == 0:
        return out
    geoms = np.asarray(parcels.geometry.values)
    pid = parcels["parcel_id"].to_numpy(dtype=object, na_value=None) if "parcel_id" in parcels \
        else np.full(len(parcels), None, dtype=object)
    at = smallest_containing(points, geoms, pid)
    hit = np.flatnonzero(at >= 0)
    if len(hit):
        x, y = representative_points(geoms[at[hit]])
        out.loc[hit, "at_pid"] = pid[at[hit]]
        out.loc[hit, "at_x"] = x
        out.loc[hit, "at_y"] = y
    return out
