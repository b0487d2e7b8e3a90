"""Province scale (issue 8): the partitioned engine gives exactly the single-machine results.

The demo county at scale 2 (two copies side by side) is cut into grid cells that cross parks,
parcels, batches and contracts, so features straddle cells and secondaries are read across cell
edges. Every result layer of both engines is compared column by column with ``==`` (floats
included) and geometries with ``equals_exact`` after ``normalize``.
"""

import math
import shutil

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from gis.cleanup import cleanup
from gis.cli import app
from gis.errors import WorkspaceError
from gis.evaluation import evaluate
from gis.measures import representative_points
from gis.partition import Cell, cleanup_partitioned, evaluate_partitioned, grid, plan
from gis.workspace import open_workspace
from gis.workspace.gpkg import GeoPackageWorkspace
from layers import ANALYSIS_LAYERS
from layers.demo import write_demo

KEYS = {"idle": "supply_id", "unsupplied_batches": "approval_id",
        "unsupplied_pieces": "piece_id", "low_efficiency": "parcel_id", "permu": "credit_code",
        "permu_parcels": "parcel_id", "zone_indicators": "zone_id"}


@pytest.fixture(scope="module")
def county(tmp_path_factory):
    """The scale-2 demo workspace, its layers and both local results."""
    path = write_demo(tmp_path_factory.mktemp("province") / "s2.gpkg", scale=2)
    ws = open_workspace(path)
    layers = {n: ws.read(n) for n in ANALYSIS_LAYERS if ws.has(n)}
    day = ws.get_meta("demo_as_of")
    return {"path": path, "ws": ws, "layers": layers, "day": day,
            "cleanup": cleanup(layers, day), "evaluate": evaluate(layers, as_of=day)}


def assert_same(local: pd.DataFrame, other: pd.DataFrame, name: str) -> None:
    key = KEYS.get(name, local.columns[0])
    a = local.sort_values(key, kind="stable").reset_index(drop=True)
    b = other.sort_values(key, kind="stable").reset_index(drop=True)
    assert list(a.columns) == list(b.columns), name
    assert len(a) == len(b) > 0, name
    for col in a.columns:
        if col == "geometry":
            ga, gb = np.asarray(a.geometry.values), np.asarray(b.geometry.values)
            assert not shapely.is_missing(gb).any(), name
            same = shapely.equals_exact(shapely.normalize(ga), shapely.normalize(gb), 0.0)
            assert same.all(), f"{name}: {(~same).sum()} geometries differ"
            assert a.crs == b.crs, name
        else:
            pd.testing.assert_series_equal(a[col], b[col], check_exact=True, obj=f"{name}.{col}")


def assert_cleanup_same(local, other) -> None:
    for name, frame in local.layers().items():
        assert_same(frame, other.layers()[name], name)
    assert other.summary == local.summary
    assert other.unsupplied.pieces.attrs["dust"] == local.unsupplied.pieces.attrs["dust"]
    assert other.unsupplied.five_year == local.unsupplied.five_year


def assert_evaluation_same(local, other) -> None:
    assert (other.year, other.as_of) == (local.year, local.as_of)
    assert_same(local.permu.enterprises, other.permu.enterprises, "permu")
    assert_same(local.permu.parcels, other.permu.parcels, "permu_parcels")
    assert_same(local.zones, other.zones, "zone_indicators")
    pd.testing.assert_frame_equal(local.permu.zones, other.permu.zones, check_exact=True)
    pd.testing.assert_frame_equal(local.permu.towns, other.permu.towns, check_exact=True)
    assert other.permu.benchmarks == local.permu.benchmarks
    assert other.summary == local.summary


# -- cells ---------------------------------------------------------------------------------------
def test_every_point_lies_in_exactly_one_cell():
    cells = grid((0.0, 0.0, 100.0, 50.0), 6)
    assert len(cells) >= 6
    rng = np.random.default_rng(8)
    x = np.concatenate([rng.uniform(-50, 150, 500), [0.0, 100.0, 50.0, -1e9, 1e9]])
    y = np.concatenate([rng.uniform(-50, 100, 500), [0.0, 50.0, 25.0, 1e9, -1e9]])
    held = np.sum([c.holds(x, y) for c in cells], axis=0)
    assert (held == 1).all()
    assert not any(c.holds(np.array([np.nan]), np.array([0.0]))[0] for c in cells)


def test_default_partitions_follow_the_parcel_count(county):
    assert len(plan(county["ws"])) == 1  # ~5 000 parcels: one partition of 50 000
    assert len(plan(county["ws"], 6)) >= 6


def test_cells_cross_parks_and_parcels(county):
    """The grid of the tests cuts through parks, and features straddle cell edges."""
    cells = plan(county["ws"], 6)
    zones = county["layers"]["zones"]
    boxes = [shapely.box(*c.box) for c in cells]
    cut = [sum(shapely.intersects(z, b) and not shapely.contains(b, z) for b in boxes)
           for z in zones.geometry]
    assert max(cut) >= 2
    for name in ("parcels", "approvals", "supplies"):
        geoms = np.asarray(county["layers"][name].geometry.values)
        x, y = representative_points(geoms)
        straddle = 0
        for cell, box in zip(cells, boxes, strict=True):
            mine = cell.holds(x, y)
            straddle += int((~shapely.contains(box, geoms[mine])).sum())
        assert straddle > 0, name


# -- the results ---------------------------------------------------------------------------------
def test_cleanup_equals_the_single_machine_result(county):
    result = cleanup_partitioned(county["path"], county["day"], partitions=6)
    assert_cleanup_same(county["cleanup"], result)


def test_evaluation_equals_the_single_machine_result(county):
    result = evaluate_partitioned(county["path"], as_of=county["day"], partitions=6)
    assert_evaluation_same(county["evaluate"], result)


@settings(max_examples=3, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(xs=st.lists(st.floats(0.02, 0.98), max_size=3, unique=True),
       ys=st.lists(st.floats(0.02, 0.98), max_size=3, unique=True))
def test_any_grid_gives_the_same_result(county, xs, ys):
    """Property: whatever the cells, the partitioned result is the single-machine one."""
    x0, y0, x1, y1 = county["ws"].info("parcels")["total_bounds"]
    ex = [-math.inf, *sorted(x0 + f * (x1 - x0) for f in xs), math.inf]
    ey = [-math.inf, *sorted(y0 + f * (y1 - y0) for f in ys), math.inf]
    cells = [Cell(j * (len(ex) - 1) + i, ex[i], ey[j], ex[i + 1], ey[j + 1])
             for j in range(len(ey) - 1) for i in range(len(ex) - 1)]
    assert_cleanup_same(county["cleanup"],
                        cleanup_partitioned(county["ws"], county["day"], partitions=cells))
    assert_evaluation_same(county["evaluate"],
                           evaluate_partitioned(county["ws"], as_of=county["day"],
                                                partitions=cells))


class CountingWorkspace(GeoPackageWorkspace):
    """A GeoPackage workspace that records how many rows each read returns."""

    def __init__(self, path):
        super().__init__(path)
        self.reads = []

    def read(self, name, *, bbox=None, columns=None):
        frame = super().read(name, bbox=bbox, columns=columns)
        self.reads.append((name, bbox, len(frame)))
        return frame


def test_a_cell_reads_only_its_neighbourhood(county):
    ws = CountingWorkspace(county["path"])
    result = cleanup_partitioned(ws, county["day"], partitions=9)
    assert_cleanup_same(county["cleanup"], result)
    for name in ("parcels", "approvals", "supplies", "buildings", "zoning"):
        total = ws.info(name)["features"]
        reads = [(bbox, n) for layer, bbox, n in ws.reads if layer == name]
        assert reads and all(bbox is not None for bbox, _ in reads), name  # never whole
        biggest = max(n for _, n in reads)
        assert biggest <= total / 3, (name, biggest, total)
    # the buildings around the measured parcels: each read about once, not once per cell
    assert sum(n for layer, _, n in ws.reads if layer == "buildings") <= 1.25 * ws.info(
        "buildings")["features"]


def test_a_feature_without_geometry_is_refused_not_dropped(tmp_path, county):
    path = tmp_path / "hole.gpkg"
    shutil.copy(county["path"], path)
    ws = open_workspace(path)
    supplies = ws.read("supplies")
    supplies.loc[0, "geometry"] = None
    ws.write("supplies", supplies)
    with pytest.raises(WorkspaceError, match="supplies"):
        cleanup_partitioned(path, county["day"], partitions=2)


def test_the_postgis_store_gives_the_same_result(postgis_workspace_url):
    """The same engine over the PostGIS store (its GiST index serves the bbox reads); the demo
    county at scale 1, whose parks the six cells cut too."""
    write_demo(postgis_workspace_url)
    ws = open_workspace(postgis_workspace_url)
    layers = {n: ws.read(n) for n in ANALYSIS_LAYERS if ws.has(n)}
    day = ws.get_meta("demo_as_of")
    assert_cleanup_same(cleanup(layers, day), cleanup_partitioned(ws, day, partitions=6))
    assert_evaluation_same(evaluate(layers, as_of=day),
                           evaluate_partitioned(ws, as_of=day, partitions=6))


# -- on a cluster ----------------------------------------------------------------------------------
def test_a_threaded_cluster_gives_the_same_result(county):
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        result = evaluate_partitioned(county["path"], as_of=county["day"], partitions=5,
                                      client=client)
    assert_evaluation_same(county["evaluate"], result)


def test_cli_dask_engine_on_worker_processes_writes_the_same_layers(county, tmp_path):
    """``--engine dask --workers 2`` (a local cluster of two processes) writes the layers the
    local engine writes."""
    local, dask_ws = tmp_path / "local.gpkg", tmp_path / "dask.gpkg"
    shutil.copy(county["path"], local)
    shutil.copy(county["path"], dask_ws)
    runner = CliRunner()
    for path, extra in ((local, []), (dask_ws, ["--engine", "dask", "--workers", "2",
                                                 "--partitions", "4"])):
        done = runner.invoke(app, ["cleanup", "-w", str(path), "-f", "json", *extra])
        assert done.exit_code == 0, done.output
    a, b = open_workspace(local), open_workspace(dask_ws)
    for name in ("idle", "unsupplied_batches", "unsupplied_pieces", "low_efficiency"):
        assert_same(a.read(name), b.read(name), name)


def test_cli_refuses_dask_options_without_the_dask_engine(county):
    runner = CliRunner()
    done = runner.invoke(app, ["evaluate", "-w", str(county["path"]), "--workers", "2"])
    assert done.exit_code == 2 and "--engine dask" in done.output
    done = runner.invoke(app, ["cleanup", "-w", str(county["path"]), "--engine", "spark"])
    assert done.exit_code == 2 and "--engine" in done.output


def test_partitioned_layers_are_dask_geopandas_collections(county):
    import dask_geopandas

    from gis.partition import Source, layer_cells

    source = Source(county["path"])
    cells = plan(county["ws"], 4)
    parcels = layer_cells(source, "parcels", cells)
    assert isinstance(parcels, dask_geopandas.GeoDataFrame)
    assert parcels.npartitions == len(cells)
    sizes = parcels.map_partitions(len).compute(scheduler="synchronous")
    assert sizes.sum() == len(county["layers"]["parcels"]) and (sizes > 0).sum() >= 2
    assert isinstance(parcels.partitions[0].compute(scheduler="synchronous"), gpd.GeoDataFrame)
