"""The workspace on both stores — GeoPackage and PostGIS — through one set of tests (atomic
writes, import log, stamps, canonical dtypes, Chinese text, exact geometry, bbox reads,
concurrency), then what only one store has (QGIS listing and GDAL appends for the GeoPackage;
tables, URLs and connection errors for PostGIS)."""

import datetime as dt
import sqlite3
import threading
from contextlib import closing
from urllib.parse import urlsplit, urlunsplit

import geopandas as gpd
import numpy as np
import pandas as pd
import psycopg
import pyogrio
import pytest
import shapely
from shapely.geometry import LineString, MultiPolygon, Point, Polygon, box

from gis import __version__
from gis.errors import UnknownLayerError, WorkspaceError
from gis.schema import empty_frame
from gis.workspace import (
    ImportLogEntry,
    Workspace,
    is_database_url,
    mask_location,
    open_workspace,
    workspace_exists,
)
from gis.workspace.gpkg import GeoPackageWorkspace
from gis.workspace.postgis import STAGING, PostGISWorkspace
from layers import catalogue

X0, Y0 = 40_520_000.0, 3_353_000.0


def frame(ids):
    return gpd.GeoDataFrame(
        {"parcel_id": ids, "land_use": ["100102"] * len(ids)},
        geometry=[box(X0 + i * 200, Y0, X0 + i * 200 + 100, Y0 + 100) for i in range(len(ids))],
        crs=4528,
    )


@pytest.fixture(params=["gpkg", "postgis"])
def location(request, tmp_path):
    """Where a workspace goes: a .gpkg path, or a fresh schema in the PostGIS test database."""
    if request.param == "gpkg":
        return tmp_path / "w.gpkg"
    return request.getfixturevalue("postgis_workspace_url")


@pytest.fixture
def ws(location):
    return Workspace.create(location, 4528)


@pytest.fixture
def gpkg_ws(tmp_path):
    return Workspace.create(tmp_path / "w.gpkg", 4528)


@pytest.fixture
def pg_ws(postgis_workspace_url):
    return Workspace.create(postgis_workspace_url, 4528)


def with_query(url: str, query: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}{query}"


def with_password(url: str, password: str) -> str:
    parts = urlsplit(url)
    host = parts.netloc.rsplit("@", 1)[-1]
    return urlunsplit(parts._replace(netloc=f"{parts.username}:{password}@{host}"))


def with_database(url: str, dbname: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{dbname}"))


def tables(ws) -> set[str]:
    """Every table in the store, internal and staging tables included."""
    if isinstance(ws, GeoPackageWorkspace):
        with closing(sqlite3.connect(ws.path)) as con:
            return {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    with psycopg.connect(ws._target.conninfo) as con:
        rows = con.execute("SELECT tablename FROM pg_tables WHERE schemaname = %s",
                           (ws.schema,)).fetchall()
    return {r[0] for r in rows}


# -- both stores ---------------------------------------------------------------------------------


def test_create_and_reopen(ws, location):
    assert ws.layers() == [] and ws.stamps() == {} and len(ws.import_log()) == 0
    assert workspace_exists(location)
    again = open_workspace(location)
    assert type(again) is type(ws) and again.crs.to_epsg() == 4528
    assert again.get_meta("crs") == "EPSG:4528" and again.get_meta("dideng_version") == __version__
    with pytest.raises(WorkspaceError) as exc:
        Workspace.create(location, 4528)
    assert "已存在" in exc.value.zh and "already exists" in exc.value.en
    ws.write("parcels", frame(["A"]))
    with pytest.raises(WorkspaceError) as exc:
        Workspace.create(location, 4490, overwrite=True)  # degrees refused, before any damage
    assert "投影坐标" in exc.value.zh
    assert open_workspace(location).layers() == ["parcels"]
    fresh = Workspace.create(location, 4528, overwrite=True)
    assert fresh.layers() == []


def test_write_read_round_trip_in_canonical_dtypes(ws):
    ws.write("parcels", frame(["A", "B"]).assign(ready=[True, None]))
    back = ws.read("parcels")
    assert list(back["parcel_id"]) == ["A", "B"]
    assert str(back["ready"].dtype) == "boolean" and back["ready"].isna().tolist() == [False, True]
    assert back.geom_type.tolist() == ["MultiPolygon", "MultiPolygon"]
    assert back.crs.to_epsg() == 4528
    assert back.area.sum() == pytest.approx(20_000)
    assert back.geometry.name == "geometry" and list(back.columns)[-1] == "geometry"


def test_replace_keeps_index_and_other_layers(ws):
    ws.write("parcels", frame(["A", "B"]))
    ws.write("parcels_extra", frame(["X"]))
    ws.write("parcels", frame(["C"]))
    assert ws.layers() == ["parcels", "parcels_extra"]
    assert ws.read("parcels")["parcel_id"].tolist() == ["C"]
    assert ws.read("parcels_extra")["parcel_id"].tolist() == ["X"]
    # the spatial index answers bbox queries after the swap
    hit = ws.read("parcels", bbox=(X0 - 1, Y0 - 1, X0 + 50, Y0 + 50))
    assert hit["parcel_id"].tolist() == ["C"]
    miss = ws.read("parcels", bbox=(X0 + 150, Y0, X0 + 160, Y0 + 10))
    assert len(miss) == 0
    assert ws.info("parcels")["features"] == 1


def test_failed_write_leaves_previous_layer(ws, monkeypatch):
    ws.write("parcels", frame(["A", "B"]), log=ImportLogEntry("parcels", "a.shp", "0" * 64,
                                                              2, 0, 0, 2))
    before = ws.stamps()

    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    # fails inside the write's transaction, after the old table was dropped
    monkeypatch.setattr(type(ws), "_rename_layer", staticmethod(boom))
    with pytest.raises(WorkspaceError) as exc:
        ws.write("parcels", frame(["C"]), log=ImportLogEntry("parcels", "b.shp", "1" * 64,
                                                             1, 0, 0, 1))
    assert "原图层保持不变" in exc.value.zh and "disk full" in exc.value.en
    assert "the previous layer is unchanged" in exc.value.en
    assert ws.read("parcels")["parcel_id"].tolist() == ["A", "B"]
    assert ws.read("parcels", bbox=(X0 + 250, Y0, X0 + 260, Y0 + 10))["parcel_id"].tolist() == [
        "B"]
    assert ws.layers() == ["parcels"]
    assert not [t for t in tables(ws) if t.startswith(STAGING)]  # no staging table left behind
    assert ws.import_log()["source"].tolist() == ["a.shp"]  # no log line for the failed write
    assert ws.stamps() == before


def test_import_log_written_with_the_layer(ws):
    entry = ImportLogEntry("parcels", "宗地.shp", "ab" * 32, 3, 1, 1, 2)
    ws.write("parcels", frame(["A", "B"]), log=entry)
    at = dt.datetime(2026, 9, 30, 8, 15, 42, 123456, tzinfo=dt.UTC)
    ws.write("zones_extra", frame(["Z"]), log=ImportLogEntry("zones_extra", "z.gpkg", "cd" * 32,
                                                             1, 0, 0, 1, mode="copy", at=at))
    log = ws.import_log()
    assert list(log.columns) == ["at", "layer", "source", "sha256", "rows_read", "rows_repaired",
                                 "rows_rejected", "rows_written", "mode"]
    assert log[["layer", "source", "rows_read", "rows_rejected", "rows_written", "mode"]
               ].values.tolist() == [["parcels", "宗地.shp", 3, 1, 2, "replace"],
                                     ["zones_extra", "z.gpkg", 1, 0, 1, "copy"]]
    assert log["at"].iloc[1] == "2026-09-30T08:15:42+00:00"  # ISO text, to the second
    now = dt.datetime.now(dt.UTC)
    assert abs((dt.datetime.fromisoformat(log["at"].iloc[0]) - now).total_seconds()) < 60
    assert log["rows_read"].dtype == np.int64


def test_table_layers_and_meta(ws):
    ws.write("tenancies", pd.DataFrame({"credit_code": ["91350200776049653A"],
                                        "parcel_id": ["A"], "rented_floor_m2": [100.0]}))
    back = ws.read("tenancies")
    assert not isinstance(back, gpd.GeoDataFrame) and back["rented_floor_m2"].iloc[0] == 100
    assert list(back.columns) == ["credit_code", "parcel_id", "rented_floor_m2"]
    info = ws.info("tenancies")
    assert info == {"name": "tenancies", "features": 1, "geometry_type": None, "crs": None,
                    "total_bounds": None,
                    "fields": ["credit_code", "parcel_id", "rented_floor_m2"]}
    ws.set_meta("demo_as_of", "2026-09-30")
    ws.set_meta("demo_as_of", "2026-10-01")
    assert ws.get_meta("demo_as_of") == "2026-10-01"
    assert ws.get_meta("nope") is None and ws.get_meta("nope", "默认") == "默认"


def test_unknown_layer_and_bad_names(ws):
    ws.write("parcels", frame(["A"]))
    with pytest.raises(UnknownLayerError) as exc:
        ws.read("nope")
    assert "nope" in str(exc.value) and "parcels" in str(exc.value)
    for internal in ("dideng_meta", "dideng_import_log", 'parcels"; drop table parcels; --'):
        with pytest.raises(UnknownLayerError):
            ws.read(internal)
        with pytest.raises(UnknownLayerError):
            ws.info(internal)
    for bad in ("bad name; drop", "dideng_meta", "1parcels", "宗地", ""):
        with pytest.raises(WorkspaceError) as exc:
            ws.write(bad, frame(["A"]))
        assert "图层名" in exc.value.zh
    assert ws.layers() == ["parcels"] and ws.read("parcels")["parcel_id"].tolist() == ["A"]


def test_chinese_text_round_trip(ws):
    names = ["东园𠀾地块（一期）", "", None, "𠀾𡃁𪚥 emoji 🏭 and 'quotes\" \\ \t tab\nnewline"]
    parcels = frame(["宗地-𠀾-1", "宗地-2", "宗地-3", "宗地-4"]).assign(
        name=names, 备注𠀾=["甲", "", None, "乙"])
    ws.write("parcels", parcels)
    back = ws.read("parcels")
    assert back["parcel_id"].tolist() == ["宗地-𠀾-1", "宗地-2", "宗地-3", "宗地-4"]
    assert back["name"].iloc[0] == "东园𠀾地块（一期）" and back["name"].iloc[3] == names[3]
    assert back["name"].iloc[1] == "" and pd.isna(back["name"].iloc[2])  # empty is not NULL
    assert back["备注𠀾"].iloc[1] == "" and pd.isna(back["备注𠀾"].iloc[2])
    assert back["备注𠀾"].tolist()[::3] == ["甲", "乙"]
    assert back["name"].isna().tolist() == [False, False, True, False]


def test_every_catalogue_dtype_with_nulls(ws):
    enterprises = gpd.GeoDataFrame(
        {"credit_code": ["91330100MA2B3C4D5E", "91330100MA2B3C4D6F"],
         "year": pd.array([2025, None], dtype="Int64"),
         "name": ["杭州𠀾精密机械有限公司", None],
         "industry_code": ["34", "39"],
         "above_scale": pd.array([True, None], dtype="boolean"),
         "tax_wan": [1234.5678, np.nan],
         "revenue_wan": [0.1 + 0.2, -0.0],
         "employees": pd.array([None, 7], dtype="Int64")},
        geometry=[Point(X0 + 0.125, Y0 + 0.375), None], crs=4528)
    ws.write("enterprises", enterprises)
    back = ws.read("enterprises")
    assert {c: str(back[c].dtype) for c in ("credit_code", "year", "above_scale", "tax_wan",
                                            "employees")} == {
        "credit_code": "str", "year": "Int64", "above_scale": "boolean", "tax_wan": "float64",
        "employees": "Int64"}
    assert back["year"].tolist()[0] == 2025 and back["year"].isna().tolist() == [False, True]
    assert bool(back["above_scale"].iloc[0]) is True and pd.isna(back["above_scale"].iloc[1])
    assert back["tax_wan"].iloc[0] == 1234.5678 and np.isnan(back["tax_wan"].iloc[1])
    assert back["revenue_wan"].iloc[0] == 0.30000000000000004  # every bit of a double
    assert back["employees"].isna().tolist() == [True, False] and back["employees"].iloc[1] == 7
    assert back.geometry.iloc[0].equals_exact(Point(X0 + 0.125, Y0 + 0.375), 0)
    assert back.geometry.iloc[1] is None
    assert ws.info("enterprises")["geometry_type"] == "Point"

    approvals = gpd.GeoDataFrame(
        {"approval_id": ["PZ-1", "PZ-2"],
         "approved_on": pd.to_datetime(["2019-12-31", None]),
         "kind": ["batch", "single"],
         "declared_area_m2": [np.nan, 6666.7]},
        geometry=[box(X0, Y0, X0 + 10, Y0 + 10)] * 2, crs=4528)
    ws.write("approvals", approvals)
    back = ws.read("approvals")
    assert str(back["approved_on"].dtype) == "datetime64[ms]"
    assert back["approved_on"].iloc[0] == pd.Timestamp("2019-12-31")
    assert pd.isna(back["approved_on"].iloc[1])
    assert np.isnan(back["declared_area_m2"].iloc[0]) and back["declared_area_m2"].iloc[1] == \
        6666.7


def test_other_columns_keep_their_dtypes(ws):
    extra = gpd.GeoDataFrame({"i": [1, -(2**53)], "f": [0.5, 1e-300], "b": [True, False],
                              "s": ["x", "丙"]},
                             geometry=[Point(X0, Y0), Point(X0 + 1, Y0 + 1)], crs=4528)
    ws.write("notes", extra)
    back = ws.read("notes")
    assert {c: str(t) for c, t in back.dtypes.items()} == {
        "i": "int64", "f": "float64", "b": "bool", "s": "str", "geometry": "geometry"}
    assert back["i"].tolist() == [1, -(2**53)] and back["f"].tolist() == [0.5, 1e-300]
    assert ws.info("notes")["geometry_type"] == "Point"


def test_geometry_round_trip_is_exact(ws):
    ring = [(X0 + 0.1, Y0 + 0.2), (X0 + 400.123456789, Y0 + 0.3),
            (X0 + 400.7, Y0 + 300.000001), (X0 + 0.1, Y0 + 300.9), (X0 + 0.1, Y0 + 0.2)]
    hole = [(X0 + 100, Y0 + 100), (X0 + 200, Y0 + 100), (X0 + 200, Y0 + 200), (X0 + 100, Y0 + 100)]
    with_hole = Polygon(ring, [hole])
    two_parts = MultiPolygon([box(X0 + 1000, Y0, X0 + 1100, Y0 + 100),
                              box(X0 + 1300.5, Y0, X0 + 1400.25, Y0 + 100)])
    ws.write("parcels", frame(["P-1", "P-2"]).set_geometry([with_hole, two_parts], crs=4528))
    back = ws.read("parcels")
    # a polygon layer stores MultiPolygons (the single polygon promoted), byte for byte
    expected = [MultiPolygon([with_hole]), two_parts]
    assert shapely.to_wkb(back.geometry.values).tolist() == shapely.to_wkb(expected).tolist()

    # a layer of any geometry keeps each geometry's own type
    shapes = [Point(X0 + 1e-3, Y0 - 1e-3), LineString([(X0, Y0), (X0 + 10.5, Y0 + 0.25)]),
              with_hole, two_parts]
    constraints = gpd.GeoDataFrame({"constraint_id": list("abcd"), "kind": ["eco_redline"] * 4,
                                    "effect": ["exclude"] * 4}, geometry=shapes, crs=4528)
    ws.write("constraints", constraints)
    back = ws.read("constraints")
    assert shapely.to_wkb(back.geometry.values).tolist() == shapely.to_wkb(shapes).tolist()
    assert ws.info("constraints")["geometry_type"] == "Unknown"


def test_3d_geometries_keep_their_heights(ws):
    tri = Polygon([(X0, Y0, 12.5), (X0 + 10, Y0, 13.25), (X0 + 10, Y0 + 10, 14.0)])
    notes = gpd.GeoDataFrame({"k": ["a", "b"]},
                             geometry=[tri, shapely.affinity.translate(tri, 100, 0, 1.5)],
                             crs=4528)
    ws.write("notes", notes)
    back = ws.read("notes")
    assert shapely.to_wkb(back.geometry.values).tolist() == \
        shapely.to_wkb(notes.geometry.values).tolist()
    assert shapely.get_coordinates(back.geometry.values, include_z=True)[:, 2].tolist() == [
        12.5, 13.25, 14.0, 12.5, 14.0, 14.75, 15.5, 14.0]
    assert ws.info("notes")["geometry_type"] == "Polygon Z"


def test_info_without_reading(ws):
    parcels = frame(["A", "B"]).set_geometry(
        [box(X0 + 0.123, Y0 + 0.456, X0 + 10, Y0 + 10), box(X0 + 20, Y0 + 5, X0 + 30.789, Y0 + 40.5)],
        crs=4528)
    ws.write("parcels", parcels.assign(town=["城东街道", None]))
    info = ws.info("parcels")
    assert info["name"] == "parcels" and info["features"] == 2
    assert info["geometry_type"] == "MultiPolygon" and info["crs"] == "EPSG:4528"
    # exact to the millimetre and beyond (no float4 index boxes: those are metres off here)
    assert info["total_bounds"] == (X0 + 0.123, Y0 + 0.456, X0 + 30.789, Y0 + 40.5)
    assert info["fields"] == ["parcel_id", "land_use", "town"]


def test_bbox_reads_what_meets_the_box(ws):
    ell = Polygon([(X0, Y0), (X0 + 100, Y0), (X0 + 100, Y0 + 10), (X0 + 10, Y0 + 10),
                   (X0 + 10, Y0 + 100), (X0, Y0 + 100)])
    parcels = frame(["SQ", "ELL", "FAR"]).set_geometry(
        [box(X0 + 1000, Y0, X0 + 1100, Y0 + 100), shapely.affinity.translate(ell, 2000),
         box(X0 + 9000, Y0 + 9000, X0 + 9100, Y0 + 9100)], crs=4528)
    ws.write("parcels", parcels)

    def ids(bbox):
        return ws.read("parcels", bbox=bbox)["parcel_id"].tolist()

    assert sorted(ids((X0, Y0 - 50, X0 + 2500, Y0 + 50))) == ["ELL", "SQ"]
    assert ids((X0 + 1050, Y0 + 50, X0 + 1060, Y0 + 60)) == ["SQ"]  # inside
    assert ids((X0 + 1100, Y0 + 100, X0 + 1110, Y0 + 110)) == ["SQ"]  # touching a corner
    # half a metre off: the GiST index's float4 box (rounded outward by up to 4 m at these
    # eastings) meets it, the parcel does not
    assert ids((X0 + 1100.5, Y0, X0 + 1110, Y0 + 10)) == []
    # inside the L's envelope but outside the L
    assert ids((X0 + 2050, Y0 + 50, X0 + 2060, Y0 + 60)) == []
    assert ids((X0 + 8000, Y0 + 8000, X0 + 20000, Y0 + 20000)) == ["FAR"]
    assert ws.read("parcels", bbox=(X0, Y0, X0 + 1, Y0 + 1), columns=["parcel_id"]).empty
    sub = ws.read("parcels", bbox=(X0 + 900, Y0 - 10, X0 + 1200, Y0 + 10), columns=["parcel_id"])
    assert list(sub.columns) == ["parcel_id", "geometry"] and sub.crs.to_epsg() == 4528


def test_bbox_reads_keep_the_layer_order(ws):
    """A bbox read gives its rows in the order of a whole read (fid order), on either store:
    the R-tree of a GeoPackage walks its own order."""
    rng = np.random.default_rng(3)
    xy = rng.uniform(0, 5000, size=(400, 2))
    ids = [f"P{i:03d}" for i in range(len(xy))]
    parcels = frame(ids).set_geometry(
        [box(X0 + x, Y0 + y, X0 + x + 20, Y0 + y + 20) for x, y in xy], crs=4528)
    ws.write("parcels", parcels)
    whole = ws.read("parcels")["parcel_id"].tolist()
    assert whole == ids
    part = ws.read("parcels", bbox=(X0 + 1000, Y0 + 1000, X0 + 4000, Y0 + 4000))
    inside = [i for i, (x, y) in zip(ids, xy, strict=True)
              if 980 <= x <= 4000 and 980 <= y <= 4000]
    assert len(inside) > 100
    assert part["parcel_id"].tolist() == inside
    assert part.index.tolist() == list(range(len(inside)))


def test_info_of_an_empty_layer(ws):
    ws.write("zones", empty_frame(catalogue["zones"], crs=4528))
    info = ws.info("zones")
    assert info["features"] == 0 and info["total_bounds"] is None
    assert info["crs"] == "EPSG:4528"


def test_stamps_change_on_write(ws):
    ws.write("parcels", frame(["A"]))
    first = ws.stamps()
    assert set(first) == {"parcels"}
    ws.write("zones_extra", frame(["Z"]))
    second = ws.stamps()
    assert second["parcels"] == first["parcels"] and set(second) == {"parcels", "zones_extra"}
    ws.write("parcels", frame(["A"]))  # the same content still is a new layer
    third = ws.stamps()
    assert third["parcels"] != first["parcels"] and third["zones_extra"] == second["zones_extra"]


def test_concurrent_readers_see_old_or_new(ws):
    # the versions differ in rows and in columns: a reader mixing them would fail or show it
    old = frame(["A", "B"]).assign(note_old=["x", "y"])
    new = frame(["C", "D", "E"]).assign(note_new=[1.5, 2.5, 3.5])
    versions = {("A", "B"): (20_000.0, "note_old"), ("C", "D", "E"): (30_000.0, "note_new")}
    ws.write("parcels", old)
    seen, errors = [], []

    def reader():
        for _ in range(25):
            try:
                back = ws.read("parcels")
                note = [c for c in back.columns if c.startswith("note")]
                seen.append((tuple(back["parcel_id"]), (round(back.area.sum(), 6), *note)))
            except Exception as exc:  # pragma: no cover - the assertion reports it
                errors.append(exc)

    threads = [threading.Thread(target=reader) for _ in range(4)]
    for t in threads:
        t.start()
    for i in range(8):
        ws.write("parcels", new if i % 2 == 0 else old)
    for t in threads:
        t.join()
    assert errors == []
    assert seen and all(versions.get(ids) == area for ids, area in seen), set(seen)
    assert ws.read("parcels")["parcel_id"].tolist() == ["A", "B"]


@pytest.mark.parametrize("present", [False, True], ids=["new-layer", "existing-layer"])
def test_two_writers_of_one_layer(ws, present):
    one = frame([f"W1-{i}" for i in range(300)])
    two = frame([f"W2-{i}" for i in range(300)])
    for name in ("parcels", "parcels_b", "parcels_c"):  # a few rounds: the race is real
        if present:
            ws.write(name, frame(["A"]))
        errors = []
        start = threading.Barrier(2)

        def writer(f, source, name=name, start=start, errors=errors):
            start.wait()
            try:
                ws.write(name, f, log=ImportLogEntry(name, source, "0" * 64, 300, 0, 0, 300))
            except Exception as exc:  # pragma: no cover - the assertion reports it
                errors.append(exc)

        threads = [threading.Thread(target=writer, args=(one, "w1.shp")),
                   threading.Thread(target=writer, args=(two, "w2.shp"))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        ids = ws.read(name)["parcel_id"].tolist()
        assert ids in (one["parcel_id"].tolist(), two["parcel_id"].tolist())
        log = ws.import_log()
        log = log[log["layer"] == name]
        assert sorted(log["source"]) == ["w1.shp", "w2.shp"]
        # the layer is the one whose log line came last
        assert ids[0][:2] == {"w1.shp": "W1", "w2.shp": "W2"}[log["source"].iloc[-1]]
        assert ws.info(name)["features"] == 300
    assert ws.layers() == ["parcels", "parcels_b", "parcels_c"]


# -- GeoPackage only -----------------------------------------------------------------------------


def test_qgis_compatible_listing(gpkg_ws):
    ws = gpkg_ws
    ws.write("parcels", frame(["A"]))
    ws.write("tenancies", pd.DataFrame({"credit_code": ["91350200776049653A"], "parcel_id": ["A"],
                                        "rented_land_m2": [1.0]}))
    listed = dict(pyogrio.list_layers(ws.path))
    assert listed["parcels"] == "MultiPolygon"
    assert pyogrio.read_info(ws.path, layer="parcels")["crs"] == "EPSG:4528"
    assert "tenancies" in listed


def test_gdal_appends_after_the_swap(gpkg_ws):
    ws = gpkg_ws
    ws.write("parcels", frame(["A", "B"]))
    ws.write("parcels", frame(["C"]))
    # GDAL can still append after the swap (triggers renamed correctly)
    pyogrio.write_dataframe(frame(["D", "E"]).iloc[1:], ws.path, layer="parcels", append=True,
                            promote_to_multi=True)
    assert ws.read("parcels", bbox=(X0 + 250, Y0, X0 + 260, Y0 + 10))["parcel_id"].tolist() == [
        "E"]
    assert ws.info("parcels")["features"] == 2


# -- PostGIS only --------------------------------------------------------------------------------


def test_postgis_tables_are_what_qgis_expects(pg_ws):
    ws = pg_ws
    ws.write("parcels", frame(["A", "B"]))
    ws.write("parcels", frame(["C"]))  # after a swap, the names are the layer's own
    ws.write("tenancies", pd.DataFrame({"credit_code": ["91350200776049653A"], "parcel_id": ["A"],
                                        "rented_land_m2": [1.0]}))
    with psycopg.connect(ws._target.conninfo) as con:
        def one(query, *params):
            return con.execute(query, params).fetchall()

        assert one("SELECT f_geometry_column, srid, type FROM geometry_columns "
                   "WHERE f_table_schema = %s", ws.schema) == [("geometry", 4528, "MULTIPOLYGON")]
        assert sorted(one("SELECT tablename FROM pg_tables WHERE schemaname = %s", ws.schema)) \
            == [("dideng_import_log",), ("dideng_layers",), ("dideng_meta",), ("parcels",),
                ("tenancies",)]
        indexes = one("SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = %s AND "
                      "tablename = 'parcels' ORDER BY 1", ws.schema)
        assert [i[0] for i in indexes] == ["parcels_geometry_idx", "parcels_pkey"]
        assert "USING gist (geometry)" in indexes[0][1] and "(fid)" in indexes[1][1]
        columns = one("SELECT column_name, data_type, is_identity FROM information_schema.columns "
                      "WHERE table_schema = %s AND table_name = 'tenancies' "
                      "ORDER BY ordinal_position", ws.schema)
        assert columns == [("fid", "bigint", "YES"), ("credit_code", "text", "NO"),
                           ("parcel_id", "text", "NO"), ("rented_land_m2", "double precision", "NO")]
        assert one("SELECT pg_get_serial_sequence(%s, 'fid')", f"{ws.schema}.parcels") == [
            (f"{ws.schema}.parcels_fid_seq",)]
        assert one("SELECT obj_description(%s::regclass)", f"{ws.schema}.parcels") == [
            ("宗地 / Parcels",)]
        assert one(f"SELECT count(*) FROM {ws.schema}.dideng_layers WHERE changed <= now()") \
            == [(2,)]
        # QGIS (and anyone) can insert a feature: the identity continues after the COPY
        con.execute(f"INSERT INTO {ws.schema}.parcels (parcel_id) VALUES ('Q')")
        con.commit()
    assert ws.read("parcels")["parcel_id"].tolist() == ["C", "Q"]
    # rows come in fid order, a bbox read too (not in the index's order)
    ids = [f"P{i:02d}" for i in range(40)]
    shuffled = frame(ids).set_geometry(
        [box(X0 + (i * 7 % 40) * 10, Y0, X0 + (i * 7 % 40) * 10 + 5, Y0 + 5) for i in range(40)],
        crs=4528)
    ws.write("parcels", shuffled)
    assert ws.read("parcels", bbox=(X0, Y0, X0 + 1000, Y0 + 10))["parcel_id"].tolist() == ids


def test_mask_location():
    assert is_database_url("postgres://u@h/db") and not is_database_url("w.gpkg")
    url = "postgresql://planner:Pa55-w0rd/?@db.example:5432/gis?schema=county&sslmode=disable"
    shown = mask_location(url)
    assert shown == "postgresql://planner:***@db.example:5432/gis?schema=county&sslmode=disable"
    assert mask_location(shown) == shown
    assert mask_location("postgres://u@h/db?password=Pa55&schema=s") == \
        "postgres://u@h/db?password=***&schema=s"


def test_masked_location_of_an_open_workspace(pg_ws, postgis_workspace_url):
    secret = f":{urlsplit(postgis_workspace_url).password}@"
    assert secret in postgis_workspace_url
    assert pg_ws.location == mask_location(postgis_workspace_url)
    assert ":***@" in pg_ws.location and secret not in pg_ws.location
    assert ":***@" in repr(pg_ws) and secret not in repr(pg_ws)
    assert pg_ws.location.endswith(f"schema={pg_ws.schema}")
    with pytest.raises(WorkspaceError) as exc:
        Workspace.create(postgis_workspace_url, 4528)
    assert ":***@" in str(exc.value) and secret not in str(exc.value)


def test_bad_password_is_a_clear_workspace_error(postgis_url):
    url = with_query(with_password(postgis_url, "Wr0ng-s3cret"), "schema=anything")
    assert ":Wr0ng-s3cret@" in url
    with pytest.raises(WorkspaceError) as exc:
        open_workspace(url)
    text = str(exc.value)
    assert "用户名或密码不正确" in exc.value.zh and "wrong user name or password" in exc.value.en
    assert "Wr0ng-s3cret" not in text and ":***@" in text
    assert "psycopg" not in text and "Traceback" not in text
    assert exc.value.__cause__ is None and exc.value.__suppress_context__  # no chained traceback


def test_unreachable_server_missing_database_and_bad_urls(postgis_url):
    with pytest.raises(WorkspaceError) as exc:
        open_workspace("postgresql://dideng:Pw-1234567@127.0.0.1:1/dideng_test")
    assert "无法连接 PostgreSQL 服务器 127.0.0.1:1" in exc.value.zh
    assert "Pw-1234567" not in str(exc.value)
    missing = with_database(postgis_url, "dideng_no_such_db")
    with pytest.raises(WorkspaceError) as exc:
        open_workspace(missing)
    assert "dideng_no_such_db 不存在" in exc.value.zh and "CREATE DATABASE" in exc.value.en
    secret = f":{urlsplit(postgis_url).password}@"
    for bad in ("schema=bad;name", "schema=pg_catalog", "nonsense"):
        with pytest.raises(WorkspaceError) as exc:
            open_workspace(with_query(postgis_url, bad))
        assert "PostgreSQL" in exc.value.zh and secret not in str(exc.value)


def test_database_without_postgis(postgis_url):
    other = with_database(postgis_url, "postgres")
    try:
        with psycopg.connect(other) as con:
            has = con.execute("SELECT 1 FROM pg_extension WHERE extname = 'postgis'").fetchone()
    except psycopg.Error as exc:
        pytest.skip(f"no database 'postgres' to try ({exc})")
    if has:
        pytest.skip("the 'postgres' database has PostGIS here")
    with pytest.raises(WorkspaceError) as exc:
        Workspace.create(with_query(other, "schema=w"), 4528)
    assert "CREATE EXTENSION postgis;" in exc.value.zh and "CREATE EXTENSION postgis;" in \
        exc.value.en


def test_schema_states(postgis_url, postgis_workspace_url):
    url = postgis_workspace_url
    assert not workspace_exists(url)
    with pytest.raises(WorkspaceError) as exc:
        open_workspace(url)
    assert "不存在" in exc.value.zh and "no schema" in exc.value.en
    schema = url.rsplit("schema=", 1)[1]
    with psycopg.connect(postgis_url, autocommit=True) as con:
        con.execute(f"CREATE SCHEMA {schema}; CREATE TABLE {schema}.theirs (a int)")
    with pytest.raises(WorkspaceError) as exc:
        open_workspace(url)
    assert "不是 dideng 工作空间" in exc.value.zh and "not a dideng workspace" in exc.value.en
    with pytest.raises(WorkspaceError) as exc:
        Workspace.create(url, 4528, overwrite=True)  # never drops a schema it did not make
    assert "不会覆盖" in exc.value.zh
    with psycopg.connect(postgis_url, autocommit=True) as con:
        con.execute(f"DROP TABLE {schema}.theirs")
    ws = open_workspace(url, create=True, crs=4528)  # an empty schema is taken up
    assert isinstance(ws, PostGISWorkspace) and ws.crs.to_epsg() == 4528
    assert open_workspace(url, create=True, crs=4490).crs.to_epsg() == 4528  # exists: opened


def test_default_schema_and_other_parameters(postgis_url):
    with psycopg.connect(postgis_url) as con:
        if con.execute("SELECT 1 FROM pg_namespace WHERE nspname = 'dideng'").fetchone():
            pytest.skip("the test database already has a schema 'dideng'")
    url = with_query(postgis_url, "application_name=dideng-test&connect_timeout=5")
    try:
        ws = Workspace.create(url, 4528)
        assert ws.schema == "dideng" and ws.layers() == []
        with psycopg.connect(postgis_url) as con:
            assert con.execute("SELECT value FROM dideng.dideng_meta WHERE key = 'crs'"
                               ).fetchone() == ("EPSG:4528",)
    finally:
        with psycopg.connect(postgis_url, autocommit=True) as con:
            con.execute("DROP SCHEMA IF EXISTS dideng CASCADE")
