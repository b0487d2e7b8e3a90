"""The GeoPackage workspace: atomic writes, import log, QGIS-readable file."""

import threading

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
from shapely.geometry import box

from gis.errors import UnknownLayerError, WorkspaceError
from gis.workspace import ImportLogEntry, Workspace, open_workspace

X0, Y0 = 40_520_000.0, 3_353_000.0


def frame(ids):
    return gpd.GeoDataFrame(
        {"parcel_id": ids, "land_use": ["100102"] * len(ids)},
        geometry=[box(X0 + i * 200, Y0, X0 + i * 200 + 100, Y0 + 100) for i in range(len(ids))],
        crs=4528,
    )


@pytest.fixture
def ws(tmp_path):
    return Workspace.create(tmp_path / "w.gpkg", 4528)


def test_create_and_reopen(ws, tmp_path):
    assert ws.layers() == []
    again = open_workspace(tmp_path / "w.gpkg")
    assert again.crs.to_epsg() == 4528
    with pytest.raises(WorkspaceError):
        Workspace.create(tmp_path / "w.gpkg", 4528)
    with pytest.raises(WorkspaceError):
        Workspace.create(tmp_path / "geo.gpkg", 4490)  # degrees refused


def test_write_read_round_trip_in_canonical_dtypes(ws):
    ws.write("parcels", frame(["A", "B"]).assign(ready=[True, None]))
    back = ws.read("parcels")
    assert list(back["parcel_id"]) == ["A", "B"]
    assert str(back["ready"].dtype) == "boolean" and back["ready"].isna().tolist() == [False, True]
    assert back.geom_type.tolist() == ["MultiPolygon", "MultiPolygon"]
    assert back.crs.to_epsg() == 4528
    assert back.area.sum() == pytest.approx(20_000)


def test_replace_keeps_index_and_other_layers(ws):
    ws.write("parcels", frame(["A", "B"]))
    ws.write("parcels_extra", frame(["X"]))
    ws.write("parcels", frame(["C"]))
    assert ws.read("parcels")["parcel_id"].tolist() == ["C"]
    assert ws.read("parcels_extra")["parcel_id"].tolist() == ["X"]
    # the R-tree index answers bbox queries after the swap
    hit = ws.read("parcels", bbox=(X0 - 1, Y0 - 1, X0 + 50, Y0 + 50))
    assert hit["parcel_id"].tolist() == ["C"]
    miss = ws.read("parcels", bbox=(X0 + 150, Y0, X0 + 160, Y0 + 10))
    assert len(miss) == 0
    # GDAL can still append after the swap (triggers renamed correctly)
    pyogrio.write_dataframe(frame(["D", "E"]).iloc[1:], ws.path, layer="parcels", append=True,
                            promote_to_multi=True)
    assert ws.read("parcels", bbox=(X0 + 250, Y0, X0 + 260, Y0 + 10))["parcel_id"].tolist() == [
        "E"]
    assert ws.info("parcels")["features"] == 2


def test_failed_write_leaves_previous_layer(ws, monkeypatch):
    ws.write("parcels", frame(["A", "B"]))

    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(type(ws), "_rename_layer", staticmethod(boom))
    with pytest.raises(WorkspaceError) as exc:
        ws.write("parcels", frame(["C"]))
    assert "原图层保持不变" in exc.value.zh
    assert ws.read("parcels")["parcel_id"].tolist() == ["A", "B"]
    assert ws.layers() == ["parcels"]  # no staging layer left behind


def test_import_log_written_with_the_layer(ws):
    entry = ImportLogEntry("parcels", "a.shp", "ab" * 32, 3, 1, 1, 2)
    ws.write("parcels", frame(["A", "B"]), log=entry)
    log = ws.import_log()
    assert log[["layer", "source", "rows_read", "rows_rejected", "rows_written"]].iloc[0].tolist() \
        == ["parcels", "a.shp", 3, 1, 2]


def test_table_layers_and_meta(ws):
    ws.write("tenancies", pd.DataFrame({"credit_code": ["91350200776049653A"],
                                        "parcel_id": ["A"], "rented_floor_m2": [100.0]}))
    back = ws.read("tenancies")
    assert not isinstance(back, gpd.GeoDataFrame) and back["rented_floor_m2"].iloc[0] == 100
    ws.set_meta("demo_as_of", "2026-09-30")
    ws.set_meta("demo_as_of", "2026-10-01")
    assert ws.get_meta("demo_as_of") == "2026-10-01"


def test_unknown_layer_and_bad_names(ws):
    with pytest.raises(UnknownLayerError) as exc:
        ws.read("nope")
    assert "nope" in str(exc.value)
    with pytest.raises(WorkspaceError):
        ws.write("bad name; drop", frame(["A"]))


def test_qgis_compatible_listing(ws):
    ws.write("parcels", frame(["A"]))
    ws.write("tenancies", pd.DataFrame({"credit_code": ["91350200776049653A"], "parcel_id": ["A"],
                                        "rented_land_m2": [1.0]}))
    listed = dict(pyogrio.list_layers(ws.path))
    assert listed["parcels"] == "MultiPolygon"
    assert pyogrio.read_info(ws.path, layer="parcels")["crs"] == "EPSG:4528"
    assert "tenancies" in listed


def test_concurrent_readers_see_old_or_new(ws):
    ws.write("parcels", frame(["A", "B"]))
    seen, errors = [], []

    def reader():
        for _ in range(20):
            try:
                seen.append(tuple(ws.read("parcels")["parcel_id"]))
            except Exception as exc:  # pragma: no cover - the assertion reports it
                errors.append(exc)

    threads = [threading.Thread(target=reader) for _ in range(4)]
    for t in threads:
        t.start()
    for i in range(5):
        ws.write("parcels", frame(["C", "D", "E"]) if i % 2 == 0 else frame(["A", "B"]))
    for t in threads:
        t.join()
    assert errors == []
    assert set(seen) <= {("A", "B"), ("C", "D", "E")}
