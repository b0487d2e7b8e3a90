"""CRS and units: zones, EPSG lookup, inference of coordinates without (or with a wrong) CRS."""

import math

import geopandas as gpd
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import CRS, Transformer
from shapely.geometry import Polygon, box

from gis.crs import gk_epsg, gk_info, gk_zone, place, workspace_crs_for, zone_from_easting
from gis.errors import CRSError
from gis.units import M2_PER_MU, area_m2, area_mu, ha_to_mu, m2_to_mu, mu_to_m2


def test_zone_from_longitude_uses_floor_at_edges():
    # DOMAIN §8.1: 118.49°E → zone 39, 118.5°E → zone 40 (round() would get 118.5 wrong)
    assert gk_zone(118.49) == 39
    assert gk_zone(118.5) == 40
    assert gk_zone(120.0) == 40
    assert gk_zone(121.4999) == 40
    assert gk_zone(121.5) == 41
    assert gk_zone(117.0, width=6) == 20  # 6° zone 20, CM 117°E


def test_epsg_families_match_the_registry():
    assert gk_epsg(25) == 4513 and gk_epsg(45) == 4533
    assert gk_epsg(40) == 4528 and gk_epsg(40, prefixed=False) == 4549
    assert gk_epsg(13, width=6) == 4491 and gk_epsg(23, width=6, prefixed=False) == 4512
    assert gk_epsg(40, datum="Xian1980") == 2364
    for zone in range(25, 46):
        crs = CRS.from_epsg(gk_epsg(zone))
        assert "CGCS2000" in crs.name and f"zone {zone}" in crs.name
        plain = CRS.from_epsg(gk_epsg(zone, prefixed=False))
        assert f"CM {3 * zone}E" in plain.name
    with pytest.raises(CRSError):
        gk_epsg(46)


def test_gk_info_recognises_families():
    info = gk_info(4528)
    assert (info.datum, info.width, info.zone, info.prefixed) == ("CGCS2000", 3, 40, True)
    assert gk_info(4549).prefixed is False and gk_info(4549).zone == 40
    assert gk_info(2364).datum == "Xian1980"
    assert gk_info(4326) is None and gk_info(None) is None


def test_zone_from_easting():
    assert zone_from_easting(40_520_986.477) == (40, 3)
    assert zone_from_easting(20_500_000.0) == (20, 6)
    assert zone_from_easting(520_986.0) is None
    assert zone_from_easting(50_500_000.0) is None  # no zone 50


def test_mu_is_exactly_two_thousand_thirds():
    assert M2_PER_MU == 2000 / 3
    assert m2_to_mu(2000) == 3
    assert mu_to_m2(3) == 2000
    assert ha_to_mu(5.7089) == pytest.approx(85.6335)  # DOMAIN §8.2: 5.7089 ha = 85.63 亩
    gdf = gpd.GeoDataFrame(geometry=[box(0, 0, 300, 200)], crs=4528)
    assert area_m2(gdf).iloc[0] == 60_000
    assert area_mu(gdf).iloc[0] == pytest.approx(90.0)


@pytest.mark.parametrize("crs", [4490, 4326, 3857])
def test_area_refuses_degrees_and_web_mercator(crs):
    gdf = gpd.GeoDataFrame(geometry=[box(0, 0, 1, 1)], crs=crs)
    with pytest.raises(CRSError):
        area_m2(gdf)


def _series(geom, crs=None):
    return gpd.GeoSeries([geom], crs=crs)


def test_place_infers_prefixed_gauss_kruger_without_prj():
    geoms, notes = place(_series(box(40_520_000, 3_353_000, 40_520_300, 3_353_200)))
    assert geoms.crs.to_epsg() == 4528
    assert [n.code for n in notes] == ["crs.inferred_gauss_kruger"]
    assert "带号 40" in notes[0].zh


def test_place_swaps_chinese_xy_order():
    # X = northing written first: GIS x must become the easting
    geoms, notes = place(_series(box(3_353_000, 40_520_000, 3_353_200, 40_520_300)))
    assert geoms.crs.to_epsg() == 4528
    assert geoms.total_bounds[0] == 40_520_000
    assert "crs.swapped_xy" in [n.code for n in notes]


def test_place_degrees_where_metres_declared():
    geoms, notes = place(_series(box(120.1, 30.2, 120.2, 30.3), crs=4528))
    assert geoms.crs.to_epsg() == 4490
    assert [n.code for n in notes] == ["crs.degrees_not_metres"]


def test_place_latlon_swapped_degrees():
    geoms, notes = place(_series(box(30.2, 120.1, 30.3, 120.2)))
    assert geoms.crs.to_epsg() == 4490
    assert geoms.total_bounds[0] == pytest.approx(120.1)
    assert {"crs.swapped_xy", "crs.assumed_cgcs2000_geographic"} <= {n.code for n in notes}


def test_place_prefix_mismatch_with_declared_crs():
    plain = box(520_000, 3_353_000, 520_300, 3_353_200)
    geoms, notes = place(_series(plain, crs=4528))
    assert geoms.crs.to_epsg() == 4549
    assert [n.code for n in notes] == ["crs.prefix_missing"]
    prefixed = box(40_520_000, 3_353_000, 40_520_300, 3_353_200)
    geoms, notes = place(_series(prefixed, crs=4549))
    assert geoms.crs.to_epsg() == 4528
    assert [n.code for n in notes] == ["crs.zone_mismatch"]


def test_place_trusts_a_consistent_declaration_silently():
    geoms, notes = place(_series(box(40_520_000, 3_353_000, 40_520_300, 3_353_200), crs=4528))
    assert geoms.crs.to_epsg() == 4528 and notes == []


def test_place_refuses_plain_gauss_kruger_without_crs():
    with pytest.raises(CRSError) as exc:
        place(_series(box(520_000, 3_353_000, 520_300, 3_353_200)))
    assert "--crs" in exc.value.zh and "--crs" in exc.value.en


def test_place_refuses_coordinates_outside_china():
    with pytest.raises(CRSError):
        place(_series(box(-74.0, 40.7, -73.9, 40.8)))


def test_workspace_crs_from_longitude():
    geoms = _series(box(118.6, 30.0, 118.7, 30.1), crs=4490)
    assert workspace_crs_for(geoms).to_epsg() == 4528  # floor((118.65+1.5)/3) = 40
    assert workspace_crs_for(geoms, prefixed=False).to_epsg() == 4549
    assert workspace_crs_for(_series(box(0, 0, 1, 1), crs=4549)).to_epsg() == 4549


@settings(max_examples=60, deadline=None)
@given(
    zone=st.integers(25, 45),
    lat=st.floats(18.5, 50.0),
    offset=st.floats(-0.9, 0.9),
    w=st.floats(20, 2000),
    h=st.floats(20, 2000),
    swapped=st.booleans(),
)
def test_inference_recovers_zone_and_position(zone, lat, offset, w, h, swapped):
    """Random parcels in random zones, written without a CRS (maybe X/Y swapped): inference
    finds the zone, the true position, and the area is unchanged."""
    lon = 3 * zone + offset
    epsg = gk_epsg(zone)
    x0, y0 = Transformer.from_crs(4490, epsg, always_xy=True).transform(lon, lat)
    poly = Polygon([(x0, y0), (x0 + w, y0), (x0 + w, y0 + h), (x0, y0 + h)])
    written = Polygon([(y, x) for x, y in poly.exterior.coords]) if swapped else poly
    geoms, notes = place(_series(written))
    assert geoms.crs.to_epsg() == epsg
    assert geoms.iloc[0].equals_exact(poly, 1e-6)
    assert math.isclose(geoms.iloc[0].area, w * h, rel_tol=1e-9)
    codes = {n.code for n in notes}
    assert "crs.inferred_gauss_kruger" in codes
    assert ("crs.swapped_xy" in codes) == swapped


@settings(max_examples=40, deadline=None)
@given(lon=st.floats(73.6, 134.7), lat=st.floats(18.2, 53.5))
def test_zone_centre_distance_never_exceeds_half_width(lon, lat):
    zone = gk_zone(lon)
    assert abs(lon - 3 * zone) <= 1.5
    x, _ = Transformer.from_crs(4490, gk_epsg(zone), always_xy=True).transform(lon, lat)
    assert zone_from_easting(x) == (zone, 3)
    assert np.isfinite(x)
