"""WGS84 → GCJ-02 (AMap tiles): published pairs, round trips, vectorization, the map shift."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from pyproj import Geod

from gis.maps.gcj02 import gcj02_to_wgs84, in_china, shift_geometries, wgs84_to_gcj02
from tests.maps.conftest import coords_of, groups

GEOD = Geod(ellps="WGS84")


def metres(lon1, lat1, lon2, lat2) -> np.ndarray:
    return np.asarray(GEOD.inv(lon1, lat1, lon2, lat2)[2])


def test_published_pair_beijing():
    # wandergis/coordtransform README: wgs84togcj02(116.404, 39.915)
    lon, lat = wgs84_to_gcj02(116.404, 39.915)
    assert metres(lon, lat, 116.41024449916938, 39.91640428150164) < 0.01


def test_hangzhou_offset_matches_domain_note():
    # DOMAIN §10: in Hangzhou GCJ-02 lies ≈ 433 m E and 270 m S of the true position
    lon0, lat0 = 120.155, 30.274
    lon, lat = wgs84_to_gcj02(lon0, lat0)
    east = metres(lon0, lat0, lon, lat0)
    south = metres(lon0, lat0, lon0, lat)
    assert lon > lon0 and lat < lat0
    assert east == pytest.approx(433, abs=40)
    assert south == pytest.approx(270, abs=40)


def test_round_trip_below_half_a_metre():
    rng = np.random.default_rng(7)
    lon = rng.uniform(74, 135, 500)
    lat = rng.uniform(18, 53, 500)
    back = gcj02_to_wgs84(*wgs84_to_gcj02(lon, lat))
    assert metres(lon, lat, *back).max() < 0.5
    # the one-step inverse is ~1–2 m off; the iteration does much better
    assert metres(lon, lat, *back).max() < 0.01


def test_outside_china_unchanged():
    lon = np.array([2.35, -74.0, 139.7, 100.0])
    lat = np.array([48.85, 40.7, 35.7, 60.0])
    assert not in_china(lon, lat).any()
    out = wgs84_to_gcj02(lon, lat)
    np.testing.assert_array_equal(out[0], lon)
    np.testing.assert_array_equal(out[1], lat)
    np.testing.assert_array_equal(gcj02_to_wgs84(lon, lat)[0], lon)


def test_vectorized_equals_scalar():
    lon = np.linspace(100, 125, 40)
    lat = np.linspace(22, 45, 40)
    vlon, vlat = wgs84_to_gcj02(lon, lat)
    for i in range(len(lon)):
        slon, slat = wgs84_to_gcj02(float(lon[i]), float(lat[i]))
        assert float(slon) == vlon[i] and float(slat) == vlat[i]


def test_shift_geometries_moves_every_vertex():
    poly = shapely.box(120.0, 30.0, 120.01, 30.01)
    line = shapely.LineString([(119.5, 30.5), (119.6, 30.6)])
    shifted = shift_geometries(np.array([poly, line], dtype=object))
    c0 = shapely.get_coordinates(np.array([poly, line], dtype=object))
    c1 = shapely.get_coordinates(shifted)
    expect = np.column_stack(wgs84_to_gcj02(c0[:, 0], c0[:, 1]))
    np.testing.assert_allclose(c1, expect)


def test_amap_overlays_shifted_osm_not(demo):
    from gis.maps.interactive import park_map

    osm = groups(park_map(demo.with_results, "KFQ-DY", basemap="osm"))
    amap = groups(park_map(demo.with_results, "KFQ-DY", basemap="amap"))
    name = "储备用地 Reserve land"
    a, b = np.array(coords_of(osm[name])), np.array(coords_of(amap[name]))
    assert a.shape == b.shape and len(a) > 10
    d = metres(a[:, 0], a[:, 1], b[:, 0], b[:, 1])
    assert 300 < np.median(d) < 800  # hundreds of metres
    # the OSM overlay is the workspace's geometry in CRS84: the reserve parcels' own extent
    parcels = demo.layers["parcels"]
    reserve = parcels[(parcels.status == "reserve") & parcels.zone_id.eq("KFQ-DY")]
    x0, _, _, y1 = reserve.to_crs("OGC:CRS84").total_bounds
    assert a[:, 0].min() == pytest.approx(x0, abs=2e-5)
    assert a[:, 1].max() == pytest.approx(y1, abs=2e-5)
