"""Province scale (issue 8): the three clean-ups and the 亩均 evaluation, partitioned.

:func:`cleanup_partitioned` and :func:`evaluate_partitioned` give the very results of
:func:`gis.cleanup.cleanup` and :func:`gis.evaluation.evaluate` — same rows, ids, classes,
reasons, ranks, bit-for-bit the same floats — without ever holding a whole layer's geometries:
the workspace is cut into grid cells and read cell by cell through the Workspace interface
(``ws.read(name, bbox=…)``, which the GeoPackage R-tree and the PostGIS GiST index serve), on
dask-geopandas, in this process or on a Dask cluster.

Map, reduce, map
----------------
1. **Map over cells.** A cell is a half-open rectangle [x0, x1) × [y0, y1) of a grid over the
   parcels' extent, the outer cells reaching to infinity, so every feature's representative
   point (``shapely.point_on_surface``) lies in exactly one cell: the feature is one of that
   cell's *primaries*. Each partitioned layer is a dask-geopandas GeoDataFrame whose partitions
   are the cells' primaries (:func:`layer_cells`). What a step needs around its primaries — the
   supplies overlapping a batch, the buildings on a measured parcel, the parcels and zoning
   polygons containing a point — is read with a bbox = the total bounds of those primaries (of
   their representative points, where only a point is looked up): every feature that meets one
   is there, no halo is guessed. A feature no bbox can reach (no geometry) is refused, never
   dropped: the primaries of every layer are counted. Each cell returns its final rows
   for the spatially local lists (idle and watch rows, batches and pieces, placed in their zone
   and town) and light, geometry-free *measures* (:mod:`gis.measures`): per parcel its area,
   point, building measures, zoning and park at the point; per contract, ledger row and firm
   point their area, point and the parcel holding it.
2. **Reduce** (one place, no geometry): the steps that couple features through firms — the
   亩均 ranks and benchmarks, the split of a firm's tax over all its parcels, the zone sums —
   run once on the measures of all cells with the enterprise and tenancy tables, by the very
   judging code the single-machine path runs (``permu(measures=…)``,
   ``low_efficiency(measures=…)``, ``zone_indicators(measures=…)``): that path computes the
   same measure tables from whole layers with the same functions.
3. **Map again** to give the judged parcel rows (low-efficiency, ``permu_parcels``) their
   geometry, and place the low-efficiency rows, reading only the parcels around each cell's
   rows.

Why the floats are equal
------------------------
Every measure is a function of the feature and the features intersecting it, computed by one
function in both engines; every sum over several features runs in an order fixed by values or
keys (building pieces by value, measure tables by key, supplies in a batch by ``supply_id``,
the five-year rate and the summary by exact ``math.fsum``), never by the order features were
read in. The tests compare both engines column by column with ``==``.

Two things differ from the local engine, both documented: the batch and piece rows of the
unsupplied list come sorted by ``approval_id`` (the local engine keeps the approvals layer's
order, which a cell-by-cell read cannot know); and parcel ids must be unique (the judged rows
find their geometry again by ``parcel_id``; validation refuses duplicate keys anyway — here a
duplicate is refused with a message instead of guessed).

Memory
------
A worker holds one cell at a time: its primaries and what was read around them, so its memory
follows the cell size (:data:`PARCELS_PER_PARTITION`, ``partitions``), not the county's. The
client never holds a layer's geometries: it holds the zones, enterprise and tenancy tables, the
measures, the result rows (collected partition by partition as they complete,
``distributed.as_completed``) and the reduce's working set. Every map step's result is copied
into memory of its own (:func:`_owned`): columns read through Arrow would otherwise keep a
cell's whole read alive.

The map step sends only the measure rows and columns the reduce reads (:func:`cleanup_rows`,
:func:`evaluation_rows`, ``_UNREAD``) and, apart, every parcel id (Arrow strings, for the
check of repeated ids): for the clean-ups the owned parcels and tenancy hosts, for the
evaluation those and the parcels meeting a zone or named by a contract (the contracts are
measured first, their ids sent to the cells as 64-bit hashes). Measured on the demo county with
two worker processes (client peak RSS; measure table ``memory_usage(deep=True)`` per parcel of
the county):

============  =========  =======================  =======================
verb          parcels    before                   after
============  =========  =======================  =======================
cleanup       241,700    795 MB, 243 B/parcel     665 MB, 90 B/parcel
cleanup       725,100    1,748 MB, 243 B/parcel   1,405 MB, 83 B/parcel
evaluate      241,700    832 MB, 248 B/parcel     749 MB, 156 B/parcel
evaluate      725,100    1,899 MB, 248 B/parcel   1,682 MB, 156 B/parcel
============  =========  =======================  =======================

The measures are no longer what the client's memory follows: between the two scales the peak
grows by about 1.5 KB (cleanup) and 1.9 KB (evaluate) per parcel, most of it the firm-coupled
reduce — the enterprise table (about 0.6 enterprise rows per parcel in the demo, two years) and
the 亩均 evaluation's per-firm and per-parcel working arrays (Python strings), at its peak in
``permu`` and ``zone_indicators`` — and the result rows (the demo lists 0.2 low-efficiency and
0.3 ``permu`` rows per parcel). So at 5 million parcels with the demo's density of firms the
client would need about 8 GB for the clean-ups and 10 GB for the evaluation; the measures
themselves about 0.4 GB (cleanup) and 0.8 GB (evaluate).
"""

from __future__ import annotations

import dataclasses
import functools
import math
import threading
import warnings
from collections.abc import Iterable, Mapping
from datetime import date
from pathlib import Path
from typing import Any

import dask
import dask.dataframe as dd
import dask_geopandas  # noqa: F401  (registers the GeoDataFrame collection with dask)
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gis.cleanup import CleanupResult, classes_year, cleanup_measures, place_rows, summarize
from gis.cleanup.idle import idle, sort_ledger
from gis.cleanup.lowefficiency import low_efficiency
from gis.cleanup.lowefficiency import read_parcels as low_efficiency_rows
from gis.cleanup.unsupplied import assemble, unsupplied_pieces, unsupplied_rows
from gis.dates import as_date
from gis.errors import ValidationError, WorkspaceError
from gis.evaluation import EvaluationResult, _summary, evaluation_measures
from gis.evaluation.permu import classes, evaluation_year, permu
from gis.evaluation.permu import read_parcels as permu_rows
from gis.evaluation.zone import (
    ZoneMeasures,
    firm_measures,
    ledger_measures,
    supply_measures,
    zone_indicators,
)
from gis.frames import same_crs
from gis.measures import measured_parcels, representative_points, tenancy_hosts
from gis.policy import Policy
from gis.schema import conform, empty_frame
from gis.workspace import Workspace, open_workspace
from layers import catalogue, results

__all__ = ["PARCELS_PER_PARTITION", "Cell", "Source", "cleanup_partitioned", "cleanup_rows",
           "evaluate_partitioned", "evaluation_rows", "grid", "layer_cells", "named_ids", "plan",
           "primaries"]

#: parcels per partition when the number of partitions is not given
PARCELS_PER_PARTITION = 50_000

#: stands for infinity in a read box (a cell's outer edges)
_FAR = 1.0e15

#: the partitioned layers (the others are small tables read whole: zones, enterprises, tenancies)
_LAYERS = ("parcels", "approvals", "supplies")


# ---------------------------------------------------------------------------------------------
# cells
# ---------------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class Cell:
    """A half-open grid cell [x0, x1) × [y0, y1); outer edges may be ±infinity."""

    number: int
    x0: float
    y0: float
    x1: float
    y1: float

    def holds(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Which points lie in the cell (a NaN coordinate lies nowhere)."""
        x = np.asarray(x, dtype=float)
        y = np.asarray(y, dtype=float)
        return (x >= self.x0) & (x < self.x1) & (y >= self.y0) & (y < self.y1)

    @property
    def box(self) -> tuple[float, float, float, float]:
        """The read box: the cell, infinite edges replaced by far-away coordinates."""
        return (max(self.x0, -_FAR), max(self.y0, -_FAR), min(self.x1, _FAR),
                min(self.y1, _FAR))


def grid(bounds: Iterable[float] | None, partitions: int) -> list[Cell]:
    """About ``partitions`` cells over ``bounds`` (a grid shaped like the extent), outer
    cells reaching to infinity so that every point lies in exactly one."""
    k = max(1, int(partitions))
    if bounds is None or not all(map(math.isfinite, bounds)) or k == 1:
        return [Cell(0, -math.inf, -math.inf, math.inf, math.inf)]
    x0, y0, x1, y1 = (float(v) for v in bounds)
    w, h = max(x1 - x0, 1.0), max(y1 - y0, 1.0)
    nx = max(1, min(k, round(math.sqrt(k * w / h))))
    ny = max(1, math.ceil(k / nx))
    xs = [-math.inf, *np.linspace(x0, x1, nx + 1)[1:-1].tolist(), math.inf]
    ys = [-math.inf, *np.linspace(y0, y1, ny + 1)[1:-1].tolist(), math.inf]
    return [Cell(j * nx + i, xs[i], ys[j], xs[i + 1], ys[j + 1])
            for j in range(ny) for i in range(nx)]


def plan(ws: Workspace, partitions: int | Iterable[Cell] | None = None) -> list[Cell]:
    """The cells: ``partitions`` cells (default one per :data:`PARCELS_PER_PARTITION`
    parcels) over the parcels' extent, or the cells given."""
    if partitions is not None and not isinstance(partitions, int):
        cells = list(partitions)
        if not cells:
            raise ValidationError("分区不能为空", "no cells given")
        return cells
    if partitions is not None and partitions < 1:
        raise ValidationError(f"--partitions 须为正整数：{partitions}",
                              f"--partitions must be a positive whole number: {partitions}")
    if not ws.has("parcels"):
        return grid(None, 1)
    info = ws.info("parcels")
    count = int(info.get("features") or 0)
    k = partitions or max(1, math.ceil(count / PARCELS_PER_PARTITION))
    return grid(info.get("total_bounds"), k)


# ---------------------------------------------------------------------------------------------
# reading
# ---------------------------------------------------------------------------------------------
_OPEN: dict[str, Workspace] = {}
_OPEN_GUARD = threading.Lock()


class Source:
    """How a task reaches the workspace: by its location (each worker process opens it once),
    or — in one process, or for a Workspace that pickles — the object itself."""

    def __init__(self, workspace: Workspace | str | Path) -> None:
        if isinstance(workspace, Workspace):
            self._workspace: Workspace | None = workspace
            self.location = workspace.location
        else:
            self._workspace = None
            self.location = str(workspace)
        ws = self.open()
        self.crs = ws.crs
        self.present = frozenset(ws.layers())

    def __dask_tokenize__(self) -> tuple[str, str, int]:
        return ("dideng-source", self.location, id(self._workspace))

    def open(self) -> Workspace:
        if self._workspace is not None:
            return self._workspace
        with _OPEN_GUARD:
            if self.location not in _OPEN:
                _OPEN[self.location] = open_workspace(self.location)
            return _OPEN[self.location]

    def empty(self, name: str) -> pd.DataFrame:
        return empty_frame(catalogue[name], crs=self.crs)

    def read(self, name: str, bbox: tuple[float, float, float, float] | None = None
             ) -> pd.DataFrame | None:
        """The layer (within ``bbox``), None when the workspace lacks it."""
        if name not in self.present:
            return None
        return self.open().read(name, bbox=bbox)

    def around(self, name: str, frame: pd.DataFrame) -> pd.DataFrame:
        """The features of ``name`` within the total bounds of ``frame``'s geometries: every
        feature intersecting one of them (an empty layer when there is nothing to read)."""
        geoms = np.asarray(frame.geometry.values) if isinstance(frame, gpd.GeoDataFrame) \
            else np.empty(0, dtype=object)
        geoms = geoms[~(shapely.is_missing(geoms) | shapely.is_empty(geoms))]
        return self._within(name, shapely.total_bounds(geoms) if len(geoms) else None)

    def at_points(self, name: str, frame: pd.DataFrame) -> pd.DataFrame:
        """The features of ``name`` around the representative points of ``frame``'s
        geometries: every feature containing one of the points."""
        geoms = np.asarray(frame.geometry.values) if isinstance(frame, gpd.GeoDataFrame) \
            else np.empty(0, dtype=object)
        x, y = representative_points(geoms)
        ok = ~np.isnan(x)
        if not ok.any():
            return self._within(name, None)
        pad = 0.01  # m: a single point still reads a box
        return self._within(name, (x[ok].min() - pad, y[ok].min() - pad, x[ok].max() + pad,
                                   y[ok].max() + pad))

    def _within(self, name: str, bounds) -> pd.DataFrame:
        if name not in self.present:
            return self.empty(name)
        box = (_FAR, _FAR, _FAR + 1, _FAR + 1) if bounds is None else \
            tuple(float(v) for v in bounds)
        return self.open().read(name, bbox=box)


def primaries(source: Source, name: str, cell: Cell) -> pd.DataFrame:
    """The features of ``name`` whose representative point lies in ``cell``."""
    frame = source.read(name, bbox=cell.box)
    if frame is None:
        return source.empty(name)
    if not isinstance(frame, gpd.GeoDataFrame) or len(frame) == 0:
        return frame.iloc[0:0]
    x, y = representative_points(np.asarray(frame.geometry.values))
    return frame[cell.holds(x, y)].reset_index(drop=True)


def _read_cell(cell: Cell, *, source: Source, name: str) -> pd.DataFrame:
    return primaries(source, name, cell)


def _meta(source: Source, name: str) -> pd.DataFrame:
    """A zero-row frame with the columns and dtypes the layer reads with."""
    frame = source.read(name, bbox=(_FAR, _FAR, _FAR + 1, _FAR + 1))
    return source.empty(name) if frame is None else frame.iloc[0:0]


def layer_cells(source: Source, name: str, cells: list[Cell]) -> dd.DataFrame:
    """The layer partitioned by cells: a dask-geopandas GeoDataFrame whose partition *i* holds
    the primaries of cell *i* (every feature in exactly one partition)."""
    with dask.config.set({"dataframe.convert-string": False}):
        return dd.from_map(_read_cell, cells, source=source, name=name,
                           meta=_meta(source, name), enforce_metadata=False,
                           label=f"dideng-{name}-cells")


# ---------------------------------------------------------------------------------------------
# map functions (module level: they travel to worker processes by reference)
# ---------------------------------------------------------------------------------------------
def _owned(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with memory of its own. A layer read through Arrow gives string columns that
    point into the whole record batch GDAL handed over (every column, WKB included); a result
    carrying such a column would keep a cell's whole read alive for as long as the result
    lives. The single-machine path reads each layer once; here every cell's result must let
    its reads go."""
    out = frame.copy(deep=True)
    for name in out.columns:
        dtype = out[name].dtype
        if getattr(dtype, "storage", None) == "pyarrow" or isinstance(dtype, pd.ArrowDtype):
            out[name] = out[name].astype(object).astype(dtype)
    return out


def _result(func):
    """A map step whose result owns its memory (:func:`_owned`)."""
    @functools.wraps(func)
    def step(*args, **kwargs):
        return _owned(func(*args, **kwargs))

    return step


@_result
def _idle_part(supplies: gpd.GeoDataFrame, source: Source, day: pd.Timestamp, policy: Policy,
               zones: pd.DataFrame | None) -> gpd.GeoDataFrame:
    rows = idle(supplies, day, policy)
    return place_rows(rows, source.at_points("parcels", rows), zones)


@_result
def _batches_part(approvals: gpd.GeoDataFrame, source: Source, day: pd.Timestamp,
                  policy: Policy, zones: pd.DataFrame | None) -> gpd.GeoDataFrame:
    batches = unsupplied_rows(approvals, source.around("supplies", approvals), day, policy)
    return place_rows(batches, source.at_points("parcels", batches), zones)


@_result
def _pieces_part(batches: gpd.GeoDataFrame, source: Source, policy: Policy,
                 zones: pd.DataFrame | None) -> gpd.GeoDataFrame:
    pieces = unsupplied_pieces(batches, policy)
    return place_rows(pieces, source.at_points("parcels", pieces), zones)


# -- what the reduce reads -------------------------------------------------------------------
#: measure columns each reduce never reads: left out in the map step
_UNREAD = {
    "cleanup": ("ready", "measured", "standing_floor", "standing_cover", "in_approval"),
    "evaluation": ("measured", "coverage", "footprint", "dilapidated", "zoning_use",
                   "zoning_min"),
}


def cleanup_rows(table: pd.DataFrame, tenancies: pd.DataFrame, policy: Policy) -> np.ndarray:
    """The rows of a clean-up measure table its reduce reads (a boolean mask): those the 亩均
    classes read (:func:`gis.evaluation.permu.read_parcels`: owned parcels, tenancy hosts) and
    those the low-efficiency list reads (:func:`gis.cleanup.lowefficiency.read_parcels`:
    evaluated parcels, tenancy hosts). Each judging function picks its own rows out of the
    whole table by the very same functions, so it picks the same rows out of these.

    Row by row as long as parcel ids are unique (the partitioned engine refuses repeated
    ids), so each cell may choose its own rows.
    """
    return permu_rows(table, tenancies) | low_efficiency_rows(
        table, tenancies, policy.low_efficiency.land_use_prefixes)


def evaluation_rows(table: pd.DataFrame, tenancies: pd.DataFrame, *, near_zone: np.ndarray,
                    named: np.ndarray, named_missing: bool) -> np.ndarray:
    """The rows of an evaluation measure table its reduce reads (a boolean mask).

    The 亩均 evaluation reads owned parcels and tenancy hosts
    (:func:`gis.evaluation.permu.read_parcels`). The zone indicators sum over the parcels
    whose point lies in a zone; a parcel elsewhere counts only as the parcel a contract is on
    (its contracts, investment and tax then go to no zone) — but it must be found: a contract
    naming it would otherwise be placed by its point, maybe on a parcel of a zone; a firm
    whose point it holds would otherwise be placed at that point, maybe in a zone. So these
    are kept as well:

    - ``near_zone``: the parcels meeting a zone (every parcel holding a point in a zone does);
    - the parcels a contract names: ``named`` holds the hashes (:func:`named_ids`) of the
      contracts' stripped ``parcel_id`` (a hash shared by another id keeps one row more, never
      one less), ``named_missing`` whether a contract names none (it finds the parcels
      without an id).
    """
    keep = permu_rows(table, tenancies) | np.asarray(near_zone, dtype=bool)
    pid = table["parcel_id"].astype("str").str.strip()
    there = pid.notna().to_numpy(dtype=bool)
    keep[there] |= np.isin(named_ids(pid[there]), named)
    if named_missing:
        keep |= ~there
    return keep


def named_ids(ids: pd.Series) -> np.ndarray:
    """64-bit hashes of (stripped, present) parcel ids: a light set to send to every cell."""
    values = ids.dropna().astype("str").to_numpy(dtype=object)
    return np.asarray(pd.util.hash_array(values), dtype=np.uint64)


def _near_zone(parcels: gpd.GeoDataFrame, zones: pd.DataFrame | None) -> np.ndarray:
    """Which parcels meet a zone polygon."""
    out = np.zeros(len(parcels), dtype=bool)
    if zones is None or len(zones) == 0 or not isinstance(zones, gpd.GeoDataFrame) \
            or len(parcels) == 0:
        return out
    zgeoms = np.asarray(same_crs(zones, parcels.crs).geometry.values)
    zgeoms = zgeoms[~(shapely.is_missing(zgeoms) | shapely.is_empty(zgeoms))]
    if len(zgeoms) == 0:
        return out
    item, _ = shapely.STRtree(zgeoms).query(np.asarray(parcels.geometry.values),
                                            predicate="intersects")
    out[item] = True
    return out


def _tenancy_ids(tenancies: pd.DataFrame) -> pd.DataFrame:
    """The tenancies as the row choice reads them: their parcel ids alone."""
    if "parcel_id" not in tenancies:
        return pd.DataFrame({"parcel_id": pd.Series([], dtype="str")})
    return pd.DataFrame({"parcel_id": tenancies["parcel_id"].reset_index(drop=True)})


@_result
def _ids_part(parcels: gpd.GeoDataFrame) -> pd.DataFrame:
    """Every parcel's stripped id (the check for repeated ids sees all parcels)."""
    pid = parcels["parcel_id"].astype("str").str.strip() if "parcel_id" in parcels else \
        pd.Series(pd.NA, index=parcels.index, dtype="str")
    return pd.DataFrame({"parcel_id": pid.reset_index(drop=True)})


@_result
def _cleanup_measures_part(parcels: gpd.GeoDataFrame, source: Source, policy: Policy,
                           hosts: np.ndarray, tenancies: pd.DataFrame,
                           partition_info: dict | None = None) -> pd.DataFrame:
    measured, _ = measured_parcels(parcels, hosts=hosts, built_for="supplied")
    table = cleanup_measures(parcels, source.around("buildings", parcels[measured]),
                             source.at_points("zoning", parcels), hosts, policy, geometry=False)
    keep = cleanup_rows(table, tenancies, policy)
    table = table.loc[keep, [c for c in table.columns if c not in _UNREAD["cleanup"]]]
    return _with_cell(table.reset_index(drop=True), partition_info)


@_result
def _evaluation_measures_part(parcels: gpd.GeoDataFrame, source: Source, policy: Policy,
                              zones: pd.DataFrame | None, hosts: np.ndarray,
                              day: pd.Timestamp, tenancies: pd.DataFrame, named: np.ndarray,
                              named_missing: bool, partition_info: dict | None = None
                              ) -> pd.DataFrame:
    approvals = source.at_points("approvals", parcels) if "approvals" in source.present \
        else None
    measured, supplied = measured_parcels(parcels, hosts=hosts, built_for="hosts")
    table = evaluation_measures(parcels, source.around("buildings", parcels[measured | supplied]),
                                zones, approvals, hosts, day, policy, geometry=False)
    keep = evaluation_rows(table, tenancies, near_zone=_near_zone(parcels, zones), named=named,
                           named_missing=named_missing)
    table = table.loc[keep, [c for c in table.columns if c not in _UNREAD["evaluation"]]]
    return _with_cell(table.reset_index(drop=True), partition_info)


@_result
def _supply_measures_part(supplies: gpd.GeoDataFrame, source: Source) -> pd.DataFrame:
    return supply_measures(supplies, source.at_points("parcels", supplies))


@_result
def _ledger_part(supplies: gpd.GeoDataFrame, day: pd.Timestamp, policy: Policy
                 ) -> pd.DataFrame:
    return ledger_measures(idle(supplies, day, policy))


_FIRM_KEY = ["credit_code", "year", "pt_x", "pt_y"]


@_result
def _firm_part(enterprises: gpd.GeoDataFrame, source: Source) -> pd.DataFrame:
    table = firm_measures(enterprises, source.at_points("parcels", enterprises))
    return table[[*_FIRM_KEY, "at_pid", "at_x", "at_y"]]


def _settled(batches: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Batch rows without their remainder geometry (cut into pieces already)."""
    return batches.drop(columns="_remainder")


def _count(frame: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({"rows": [len(frame)]})


def _with_cell(table: pd.DataFrame, partition_info: dict | None) -> pd.DataFrame:
    table = table.copy()
    table["_cell"] = np.full(len(table), (partition_info or {}).get("number", 0), dtype=np.int64)
    return table


@_result
def _attach_part(rows: pd.DataFrame, source: Source, zones: pd.DataFrame | None,
                 place: bool) -> gpd.GeoDataFrame:
    """Judged parcel rows (no geometry; ``_x``, ``_y`` their parcel's point) with the parcel's
    geometry, placed in zone and town when ``place``."""
    crs = source.crs
    if len(rows) == 0:
        return gpd.GeoDataFrame(rows.drop(columns=["_x", "_y"]),
                                geometry=gpd.GeoSeries([], crs=crs), crs=crs)
    pad = 0.01  # m: a single point still reads a box
    box = (float(rows["_x"].min()) - pad, float(rows["_y"].min()) - pad,
           float(rows["_x"].max()) + pad, float(rows["_y"].max()) + pad)
    parcels = source.read("parcels", bbox=box)  # every parcel containing one of the points
    pid = parcels["parcel_id"].astype("str").str.strip()
    geometry = pd.Series(np.asarray(parcels.geometry.values), index=pid.to_numpy(dtype=object))
    geometry = geometry[~geometry.index.duplicated()]
    keys = rows["parcel_id"].astype("str").str.strip().to_numpy(dtype=object)
    out = gpd.GeoDataFrame(rows.drop(columns=["_x", "_y", "geometry"], errors="ignore"),
                           geometry=gpd.GeoSeries(geometry.reindex(keys).to_numpy(),
                                                  index=rows.index, crs=crs), crs=crs)
    return place_rows(out, parcels, zones) if place else out


# ---------------------------------------------------------------------------------------------
# running
# ---------------------------------------------------------------------------------------------
def _meta_of(func, *args: Any) -> pd.DataFrame:
    """A step's output meta: the step run on empty inputs."""
    return func(*args).iloc[0:0]


def _collect(collections: Mapping[str, dd.DataFrame], client) -> dict[str, list[pd.DataFrame]]:
    """Every partition of every collection, computed together (a cell's primaries are read
    once for all the steps that use them) and collected one by one as they complete, so that
    neither the client nor the cluster holds more than the results."""
    keys: list[tuple[str, int]] = []
    tasks = []
    for name, collection in collections.items():
        parts = collection.to_delayed(optimize_graph=False)
        keys += [(name, i) for i in range(len(parts))]
        tasks += parts
    out: dict[str, list[pd.DataFrame]] = {name: [pd.DataFrame()] * c.npartitions
                                          for name, c in collections.items()}
    if client is None:
        for (name, i), value in zip(keys, dask.compute(*tasks, scheduler="synchronous"),
                                    strict=True):
            out[name][i] = value
        return out
    from distributed import as_completed

    with warnings.catch_warnings():
        # the judged rows the last map step gives their geometry travel in the graph (about
        # 13 MiB at 5 million parcels): that is the data the workers need, not a mistake
        warnings.filterwarnings("ignore", message="Sending large graph", category=UserWarning)
        futures = client.compute(tasks)
    where = {future.key: k for future, k in zip(futures, keys, strict=True)}
    pending = as_completed(futures)
    del futures  # as_completed forgets each future once it has handed it over
    for future in pending:
        name, i = where[future.key]
        out[name][i] = future.result()
        future.release()
    return out


def _concat(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """Partitions concatenated in cell order (empty ones only when all are)."""
    full = [p for p in parts if len(p)]
    if not full:
        return parts[0].reset_index(drop=True)
    out = pd.concat(full, ignore_index=True)
    if isinstance(full[0], gpd.GeoDataFrame):
        out = gpd.GeoDataFrame(out, geometry=full[0].geometry.name, crs=full[0].crs)
    return out


def _check_counts(counts: Mapping[str, list[pd.DataFrame]], ws: Workspace) -> None:
    """Every feature of a partitioned layer was some cell's primary: a feature without a
    geometry (which no bbox reads) is refused, never dropped silently."""
    for name, parts in counts.items():
        seen = int(sum(int(p["rows"].sum()) for p in parts if len(p)))
        total = int(ws.info(name).get("features") or 0)
        if seen != total:
            raise WorkspaceError(
                f"图层 {name} 有 {total - seen} 个要素没有几何，分区引擎无法读到它们；请先校验"
                f"（dideng validate）或用 --engine local",
                f"layer {name} has {total - seen} features without a geometry, which the "
                f"partitioned engine cannot reach; validate the layer or use --engine local")


def _unique_parcels(measures: pd.DataFrame) -> None:
    pid = measures["parcel_id"].astype("str").str.strip()
    dup = pid[pid.duplicated() & pid.notna()].unique()
    if len(dup):
        raise ValidationError(
            f"宗地编号重复：{'、'.join(dup[:5])}；分区引擎要求编号唯一，请先校验或用 --engine local",
            f"duplicate parcel ids: {', '.join(dup[:5])}; the partitioned engine needs unique "
            f"ids: validate the parcels or use --engine local")


def _measure_table(parts: list[pd.DataFrame], crs) -> pd.DataFrame:
    table = _concat(parts)
    table.attrs["crs"] = crs
    return table


def _attach(rows: gpd.GeoDataFrame, measures: pd.DataFrame, source: Source,
            zones: pd.DataFrame | None, client, *, place: bool, layer: str
            ) -> gpd.GeoDataFrame:
    """Judged parcel rows given their parcel's geometry (and zone and town when ``place``),
    cell by cell; in the rows' order."""
    if len(rows) == 0:
        return conform(gpd.GeoDataFrame(rows.drop(columns="geometry", errors="ignore"),
                                        geometry=gpd.GeoSeries([], crs=source.crs),
                                        crs=source.crs), results[layer])
    where = measures.assign(_pid=measures["parcel_id"].astype("str").str.strip()).drop_duplicates(
        "_pid").set_index("_pid")
    keys = rows["parcel_id"].astype("str").str.strip()
    frame = pd.DataFrame(rows.drop(columns="geometry", errors="ignore"))
    frame["_order"] = np.arange(len(frame))
    frame["_x"] = keys.map(where["rep_x"]).to_numpy(dtype=float)
    frame["_y"] = keys.map(where["rep_y"]).to_numpy(dtype=float)
    cell = keys.map(where["_cell"]).fillna(-1).astype(int).to_numpy()
    chunks = [frame[cell == c].reset_index(drop=True) for c in np.unique(cell)]
    meta = _meta_of(_attach_part, frame.iloc[0:0], source, zones, place)
    with dask.config.set({"dataframe.convert-string": False}):
        collection = dd.from_map(_attach_part, chunks, source=source, zones=zones, place=place,
                                 meta=meta, enforce_metadata=False,
                                 label=f"dideng-{layer}-geometry")
    parts = _collect({"rows": collection}, client)["rows"]
    out = _concat(parts).sort_values("_order", kind="stable").drop(columns="_order")
    return conform(out.reset_index(drop=True), results[layer])


# ---------------------------------------------------------------------------------------------
# the two verbs
# ---------------------------------------------------------------------------------------------
def _tables(source: Source) -> tuple[pd.DataFrame | None, pd.DataFrame, pd.DataFrame]:
    zones = source.read("zones")
    enterprises = source.read("enterprises")
    tenancies = source.read("tenancies")
    return (zones, enterprises if enterprises is not None else source.empty("enterprises"),
            tenancies if tenancies is not None else source.empty("tenancies"))


def cleanup_partitioned(workspace: Workspace | str | Path, as_of: date | str | pd.Timestamp,
                        policy: Policy | None = None, *,
                        partitions: int | Iterable[Cell] | None = None, client=None,
                        permu_classes: pd.DataFrame | None = None) -> CleanupResult:
    """:func:`gis.cleanup.cleanup` of the workspace, partitioned by cells (module docstring).

    Parameters
    ----------
    workspace
        A Workspace, or its location (what the workers open).
    as_of, policy
        As for :func:`gis.cleanup.cleanup`.
    partitions
        The number of cells (default: one per :data:`PARCELS_PER_PARTITION` parcels), or the
        cells themselves (:class:`Cell`).
    client
        A ``distributed.Client`` to run on; None runs the cells one after another in this
        process (dask's synchronous scheduler).
    permu_classes
        The 亩均 classes for ``permu_class_D`` (``permu=`` of :func:`gis.cleanup.cleanup`);
        computed like there when omitted.
    """
    source = Source(workspace)
    ws = source.open()
    policy = policy or Policy.load()
    day = as_date(as_of)
    cells = plan(ws, partitions)
    zones, enterprises, tenancies = _tables(source)
    hosts = tenancy_hosts(tenancies)
    tenancy_ids = _tenancy_ids(tenancies)

    layers = {name: layer_cells(source, name, cells) for name in _LAYERS}
    supplies, approvals, parcels = layers["supplies"], layers["approvals"], layers["parcels"]
    empty = {name: source.empty(name) for name in _LAYERS}
    with dask.config.set({"dataframe.convert-string": False}):
        batches = approvals.map_partitions(
            _batches_part, source, day, policy, zones,
            meta=_meta_of(_batches_part, empty["approvals"], source, day, policy, zones))
        collections = {
            "idle": supplies.map_partitions(
                _idle_part, source, day, policy, zones,
                meta=_meta_of(_idle_part, empty["supplies"], source, day, policy, zones)),
            "batches": batches.map_partitions(_settled, meta=_settled(batches._meta)),
            "pieces": batches.map_partitions(
                _pieces_part, source, policy, zones,
                meta=_meta_of(_pieces_part, batches._meta, source, policy, zones)),
            "measures": parcels.map_partitions(
                _cleanup_measures_part, source, policy, hosts,
                dask.delayed(tenancy_ids, pure=True),
                meta=_meta_of(_cleanup_measures_part, empty["parcels"], source, policy, hosts,
                              tenancy_ids)),
            "ids": parcels.map_partitions(_ids_part, meta=_ids_part(empty["parcels"])),
            **{f"count_{name}": layers[name].map_partitions(_count, meta=_count(empty[name]))
               for name in _LAYERS if name in source.present},
        }
    got = _collect(collections, client)
    _check_counts({k[6:]: v for k, v in got.items() if k.startswith("count_")}, ws)

    # each list of partitions is let go once concatenated: the client holds one copy
    ledger = conform(sort_ledger(_concat(got.pop("idle"))), results["idle"])
    watch = (ledger["action"] == "watch").to_numpy(dtype=bool)
    batch_rows = _concat(got.pop("batches")).sort_values("approval_id", kind="stable")
    piece_rows = _concat(got.pop("pieces")).sort_values("approval_id", kind="stable")
    un = assemble(batch_rows.reset_index(drop=True), piece_rows.reset_index(drop=True), day,
                  policy)
    del batch_rows, piece_rows

    _unique_parcels(_concat(got.pop("ids")))
    measures = _measure_table(got.pop("measures"), source.crs)
    if permu_classes is None:
        year = classes_year(enterprises, day)
        if year is not None:
            permu_classes = classes(permu(enterprises, None, tenancies, policy, year=year,
                                          measures=measures))
    low = low_efficiency(None, None, enterprises, tenancies, None, day, policy,
                         permu=permu_classes, measures=measures)
    low = _attach(low, measures, source, zones, client, place=True, layer="low_efficiency")
    result = CleanupResult(
        as_of=day,
        idle=ledger[~watch].reset_index(drop=True),
        watch=ledger[watch].reset_index(drop=True),
        unsupplied=un,
        low_efficiency=low,
        policy=policy,
    )
    result.summary = summarize(result)
    return result


def evaluate_partitioned(workspace: Workspace | str | Path, *, year: int | None = None,
                         as_of: date | str | pd.Timestamp | None = None,
                         policy: Policy | None = None,
                         partitions: int | Iterable[Cell] | None = None,
                         client=None) -> EvaluationResult:
    """:func:`gis.evaluation.evaluate` of the workspace, partitioned by cells (module
    docstring); ``partitions`` and ``client`` as for :func:`cleanup_partitioned`."""
    source = Source(workspace)
    ws = source.open()
    policy = policy or Policy.load()
    zones, enterprises, tenancies = _tables(source)
    if "enterprises" not in source.present:
        raise ValidationError("工作空间没有企业图层（enterprises），请先导入企业名单",
                              "the workspace has no enterprises layer; import the list first")
    year = evaluation_year(enterprises, year)
    day = as_date(as_of) if as_of is not None else pd.Timestamp(year, 12, 31)
    cells = plan(ws, partitions)
    hosts = tenancy_hosts(tenancies)

    names = [*(n for n in ("parcels", "supplies") if n in source.present)]
    points = "enterprises" if ws.info("enterprises").get("geometry_type") else None
    layers = {name: layer_cells(source, name, cells) for name in ("parcels", "supplies")}
    empty = {name: source.empty(name) for name in ("parcels", "supplies", "enterprises")}
    # first the contracts, ledger rows and firms: the parcels' map step must know which
    # parcels the contracts name (evaluation_rows)
    with dask.config.set({"dataframe.convert-string": False}):
        collections = {
            "supplies": layers["supplies"].map_partitions(
                _supply_measures_part, source,
                meta=_meta_of(_supply_measures_part, empty["supplies"], source)),
            "ledger": layers["supplies"].map_partitions(
                _ledger_part, day, policy,
                meta=_meta_of(_ledger_part, empty["supplies"], day, policy)),
            **{f"count_{name}": layers[name].map_partitions(_count, meta=_count(empty[name]))
               for name in names if name != "parcels"},
        }
        if points:
            collections["firms"] = layer_cells(source, points, cells).map_partitions(
                _firm_part, source, meta=_meta_of(_firm_part, _meta(source, points), source))
    got = _collect(collections, client)
    supplies = _concat(got.pop("supplies"))
    contract_pid = supplies["parcel_id"].astype("str").str.strip() if "parcel_id" in supplies \
        else pd.Series(pd.NA, index=supplies.index, dtype="str")
    named_missing = bool(contract_pid.isna().any())
    named = named_ids(contract_pid)
    del contract_pid
    tenancy_ids = _tenancy_ids(tenancies)
    args = (source, policy, zones, hosts, day)
    with dask.config.set({"dataframe.convert-string": False}):
        meta = _meta_of(_evaluation_measures_part, empty["parcels"], *args, tenancy_ids,
                        named[:0], False)
        got.update(_collect({
            "parcels": layers["parcels"].map_partitions(
                _evaluation_measures_part, *args, dask.delayed(tenancy_ids, pure=True),
                dask.delayed(named, pure=True), named_missing, meta=meta),
            "ids": layers["parcels"].map_partitions(_ids_part, meta=_ids_part(empty["parcels"])),
            **{f"count_{name}": layers[name].map_partitions(_count, meta=_count(empty[name]))
               for name in names if name == "parcels"},
        }, client))
    _check_counts({k[6:]: v for k, v in got.items() if k.startswith("count_")}, ws)

    _unique_parcels(_concat(got.pop("ids")))
    measures = _measure_table(got.pop("parcels"), source.crs)
    evaluation = permu(enterprises, None, tenancies, policy, year=year, zones=zones,
                       measures=measures)
    firms = firm_measures(enterprises, None)
    if points:
        _fill_at(firms, _concat(got.pop("firms")))
    zone_table = zone_indicators(
        zones if zones is not None else source.empty("zones"), None, None, None, enterprises,
        day, policy, measures=ZoneMeasures(parcels=measures, supplies=supplies,
                                           ledger=_concat(got.pop("ledger")), firms=firms))
    evaluation = dataclasses.replace(evaluation, parcels=_attach(
        evaluation.parcels, measures, source, zones, client, place=False, layer="permu_parcels"))
    result = EvaluationResult(year=evaluation.year, as_of=day, permu=evaluation,
                              zones=zone_table, policy=policy)
    result.summary = _summary(result)
    return result


def _fill_at(firms: pd.DataFrame, found: pd.DataFrame) -> None:
    """The parcel holding each firm's point, as the cells found it (by code, year, point)."""
    if len(found) == 0 or len(firms) == 0:
        return

    def index(frame: pd.DataFrame) -> pd.MultiIndex:
        return pd.MultiIndex.from_arrays([
            frame["credit_code"].astype("str").fillna("\x00").to_numpy(dtype=object),
            pd.to_numeric(frame["year"], errors="coerce").fillna(-1).to_numpy(dtype=float),
            frame["pt_x"].to_numpy(dtype=float), frame["pt_y"].to_numpy(dtype=float)])

    own = index(found)
    first = ~own.duplicated()
    at = own[first].get_indexer(index(firms))
    hit = at >= 0
    rows = found[first].reset_index(drop=True)
    for col in ("at_pid", "at_x", "at_y"):
        values = firms[col].to_numpy(dtype=object if col == "at_pid" else float).copy()
        values[hit] = rows[col].to_numpy(dtype=object if col == "at_pid" else float)[at[hit]]
        firms[col] = values
