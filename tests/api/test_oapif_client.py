"""GDAL's OAPIF driver (what QGIS and ogr2ogr use) reads the service as a real client would:
landing page, API document, collections, paging by ``next`` links, the storage CRS in its
axis order (northing first), bbox with ``bbox-crs``, and the API key for planner layers.

Two facts about the client shape these tests:

* pyogrio's plain (non-Arrow) reader keeps the GIL while GDAL fetches the next page, so it
  would deadlock against a server running in a thread of this process; the Arrow reader
  (``use_arrow=True``) releases it.
* GDAL's OAPIF driver (3.12) does not send ``GDAL_HTTP_HEADERS`` (it passes its own Accept
  header, which replaces them); ``GDAL_HTTP_HEADER_FILE`` is sent, and so is
  ``GDAL_HTTP_AUTH=BEARER`` with ``GDAL_HTTP_BEARER`` (the service takes ``Authorization:
  Bearer <key>`` as well as ``X-API-Key``).
"""

from contextlib import contextmanager

import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely

from gis.access import Role, mask
from gis.workspace import open_workspace
from tests.api.conftest import live_server

pytestmark = pytest.mark.skipif("OAPIF" not in pyogrio.list_drivers(),
                                reason="GDAL built without the OAPIF driver")


@contextmanager
def gdal_options(**options):
    """Set GDAL config options for the block, then put the previous values back."""
    before = {k: pyogrio.get_gdal_config_option(k) for k in options}
    pyogrio.set_gdal_config_options(options)
    try:
        yield
    finally:
        pyogrio.set_gdal_config_options(before)


@pytest.fixture(scope="module")
def base(app):
    with live_server(app) as url, gdal_options(GDAL_HTTP_TIMEOUT="60", GDAL_HTTP_MAX_RETRY="0"):
        yield url


@pytest.fixture(scope="module")
def workspace(demo_gpkg):
    return open_workspace(demo_gpkg)


@pytest.fixture
def planner_key(tmp_path):
    headers = tmp_path / "headers.txt"
    headers.write_text("X-API-Key: demo-planner\n", encoding="utf-8")
    with gdal_options(GDAL_HTTP_HEADER_FILE=str(headers)):
        yield


def read(url, layer, **kwargs):
    return pyogrio.read_dataframe("OAPIF:" + url, layer=layer, use_arrow=True, **kwargs)


def assert_same(got, expected, key):
    """Same features in the same order, same attribute values, same geometry (within 1 cm: served coordinates are rounded to 0.01 m)."""
    assert got.crs.to_epsg() == 4528  # GDAL asks for the storage CRS and swaps its axes back
    assert got["id"].tolist() == expected[key].tolist()
    for column in expected.columns:
        if column == expected.geometry.name:
            continue
        a, b = got[column], expected[column]
        if pd.api.types.is_datetime64_any_dtype(b.dtype):
            a, b = pd.to_datetime(a).dt.normalize(), b.dt.normalize()
            assert (a.isna() == b.isna()).all() and (a[b.notna()] == b[b.notna()]).all(), column
        elif pd.api.types.is_float_dtype(b.dtype):
            assert np.allclose(a.astype(float), b.astype(float), rtol=1e-12, equal_nan=True), column
        else:
            assert a.astype(object).where(a.notna(), None).tolist() == (
                b.astype(object).where(b.notna(), None).tolist()), column
    same = shapely.equals_exact(got.geometry.values, expected.geometry.values, tolerance=0.01)
    assert same.all()


def test_layers_listed_for_the_public(base):
    names = [name for name, _ in pyogrio.list_layers("OAPIF:" + base)]
    assert names == ["zones", "parcels", "infrastructure", "unsupplied_pieces"]


def test_public_parcels_equal_the_public_view(base, workspace):
    expected = mask("parcels", workspace.read("parcels"), Role.public)
    assert_same(read(base, "parcels"), expected.reset_index(drop=True), "parcel_id")


def test_collection_url_form(base, workspace):
    got = pyogrio.read_dataframe(f"OAPIF:{base}/collections/zones", use_arrow=True)
    assert_same(got, mask("zones", workspace.read("zones"), Role.public), "zone_id")


def test_bbox_through_gdal(base, workspace):
    parcels = mask("parcels", workspace.read("parcels"), Role.public).reset_index(drop=True)
    x, y = parcels.geometry.iloc[10].centroid.coords[0]
    box = (x - 400, y - 300, x + 400, y + 300)  # in the layer's CRS (EPSG:4528, GIS order)
    got = read(base, "parcels", bbox=box)
    expected = parcels[parcels.intersects(shapely.box(*box))]
    assert 1 < len(expected) < len(parcels)
    assert got["id"].tolist() == expected["parcel_id"].tolist()


def test_planner_reads_result_layers(base, workspace, planner_key):
    names = [name for name, _ in pyogrio.list_layers("OAPIF:" + base)]
    assert {"low_efficiency", "unsupplied_pieces", "idle"} <= set(names)
    assert_same(read(base, "low_efficiency"), workspace.read("low_efficiency"), "parcel_id")
    assert_same(read(base, "unsupplied_pieces"), workspace.read("unsupplied_pieces"), "piece_id")


def test_bearer_key_works_too(base, workspace):
    with gdal_options(GDAL_HTTP_AUTH="BEARER", GDAL_HTTP_BEARER="demo-planner"):
        got = read(base, "idle")
    assert got["id"].tolist() == workspace.read("idle")["supply_id"].tolist()


def test_gdal_options_are_put_back():
    before = pyogrio.get_gdal_config_option("GDAL_HTTP_HEADER_FILE")
    with gdal_options(GDAL_HTTP_HEADER_FILE="/nonexistent/headers.txt"):
        assert pyogrio.get_gdal_config_option("GDAL_HTTP_HEADER_FILE") == (
            "/nonexistent/headers.txt")
    assert pyogrio.get_gdal_config_option("GDAL_HTTP_HEADER_FILE") == before


def test_no_key_left_behind(base):
    assert pyogrio.get_gdal_config_option("GDAL_HTTP_HEADER_FILE") is None
    assert pyogrio.get_gdal_config_option("GDAL_HTTP_BEARER") is None
    assert [n for n, _ in pyogrio.list_layers("OAPIF:" + base)] == [
        "zones", "parcels", "infrastructure", "unsupplied_pieces"]
