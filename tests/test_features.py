"""OGC API – Features, the pure half: bbox, datetime, CRS resolution and axis order, filters,
queryables and GeoJSON encoding (gis.features)."""

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import CRS, Transformer

from gis.errors import ValidationError
from gis.features import (
    CRS84,
    GeometryCache,
    Interval,
    Projector,
    add_members,
    collection_json,
    epsg_uri,
    feature_texts,
    field_types,
    in_interval,
    matches,
    parse_bbox,
    parse_datetime,
    parse_value,
    properties_json,
    queryables_schema,
    temporal_field,
)
from layers import catalogue

# a point of the demo county, in the workspace CRS (EPSG:4528, GIS order: easting, northing)
E, N = 40_451_630.0, 3_392_782.86
GK = epsg_uri(4528)
GEO = epsg_uri(4490)


@pytest.fixture(scope="module")
def projector():
    return Projector(4528)


def lonlat(e=E, n=N):
    """The point in CGCS2000 degrees, computed independently of gis.features."""
    return Transformer.from_crs(4528, 4490, always_xy=True).transform(e, n)


# -- bbox ---------------------------------------------------------------------------------------
def test_bbox_four_numbers():
    assert parse_bbox("119.4,30.5,119.6,30.7") == (119.4, 30.5, 119.6, 30.7)
    assert parse_bbox("-1e-3, 2 ,3,4") == (-0.001, 2.0, 3.0, 4.0)
    assert parse_bbox("1,2,1,2") == (1.0, 2.0, 1.0, 2.0)  # a point is a box


@pytest.mark.parametrize(("text", "says"), [
    ("1,2,3", "got 3"),
    ("1,2,3,4,5,6", "3-D bbox"),
    ("a,2,3,4", "not a number"),
    ("nan,2,3,4", "finite"),
    ("1,2,inf,4", "finite"),
    ("3,2,1,4", "exceeds"),
    ("1,4,3,2", "exceeds"),
    ("", "got 1"),
])
def test_bbox_errors_say_what_is_wrong(text, says):
    with pytest.raises(ValidationError) as info:
        parse_bbox(text)
    assert says in info.value.en and info.value.zh  # English and Chinese
    assert isinstance(info.value, ValueError)


# -- datetime -----------------------------------------------------------------------------------
def day(text):
    return pd.Timestamp(text)


@pytest.mark.parametrize(("text", "start", "end"), [
    ("2024-01-01", "2024-01-01", "2024-01-01"),
    ("2020-01-01/2021-06-30", "2020-01-01", "2021-06-30"),
    ("../2021-06-30", None, "2021-06-30"),
    ("2020-01-01/..", "2020-01-01", None),
    ("/2021-06-30", None, "2021-06-30"),
    ("2020-01-01/", "2020-01-01", None),
    ("2024-03-01T23:30:00+08:00", "2024-03-01", "2024-03-01"),  # the day on its clock
    ("2024-03-01T10:00:00Z/2024-03-05T00:00:00Z", "2024-03-01", "2024-03-05"),
])
def test_datetime_instants_and_intervals(text, start, end):
    interval = parse_datetime(text)
    assert interval == Interval(day(start) if start else None, day(end) if end else None)


@pytest.mark.parametrize("text", ["../..", "/", "2021-01-01/2020-01-01", "2024-02-30", "now",
                                  "2024-01-01/2024-02-01/2024-03-01", "20240101", ""])
def test_datetime_errors(text):
    with pytest.raises(ValidationError) as info:
        parse_datetime(text)
    assert info.value.zh and info.value.en


def test_in_interval_is_inclusive_and_skips_missing_dates():
    values = pd.Series(pd.to_datetime(["2019-12-31", "2020-01-01", "2020-06-30", "2020-07-01",
                                       None]))
    assert in_interval(values, parse_datetime("2020-01-01/2020-06-30")).tolist() == [
        False, True, True, False, False]
    assert in_interval(values, parse_datetime("2020-06-30")).tolist() == [
        False, False, True, False, False]
    assert in_interval(values, parse_datetime("../2020-01-01")).tolist() == [
        True, True, False, False, False]
    # ISO text dates (a table read without date types) are compared as dates too
    text = pd.Series(["2020-01-01", "not a date", None], dtype="string")
    assert in_interval(text, parse_datetime("2019-01-01/..")).tolist() == [True, False, False]


# -- CRS ------------------------------------------------------------------------------------
@pytest.mark.parametrize("text", [GEO, "https://www.opengis.net/def/crs/EPSG/0/4490",
                                  "EPSG:4490", "epsg:4490", "[EPSG:4490]",
                                  "urn:ogc:def:crs:EPSG::4490", " EPSG:4490 "])
def test_resolve_cgcs2000_geographic_forms(projector, text):
    out = projector.resolve(text)
    assert out.uri == GEO and out.north_first and out.decimals == 7


@pytest.mark.parametrize("text", [None, "", CRS84, "OGC:CRS84", "urn:ogc:def:crs:OGC:1.3:CRS84"])
def test_resolve_crs84_is_the_default(projector, text):
    out = projector.resolve(text)
    assert out.uri == CRS84 and not out.north_first


def test_resolve_workspace_crs_and_list(projector):
    out = projector.resolve("EPSG:4528")
    assert out.uri == GK and out.north_first and out.decimals == 2
    assert projector.storage_uri == GK
    assert projector.uris == [CRS84, GEO, GK]


@pytest.mark.parametrize("text", ["EPSG:3857", "EPSG:4549", epsg_uri(4326), "CRS84h",
                                  "+proj=longlat", "EPSG:", "nonsense"])
def test_unsupported_crs_is_refused_with_the_choices(projector, text):
    with pytest.raises(ValidationError) as info:
        projector.resolve(text, parameter="bbox-crs")
    assert "bbox-crs" in info.value.en and GK in info.value.en and GK in info.value.zh


def test_axis_order_of_each_crs(projector):
    point = np.array([shapely.Point(E, N)])
    lon, lat = lonlat()
    geo = shapely.get_coordinates(projector.geometries(point, projector.resolve(GEO)))[0]
    assert geo == pytest.approx([lat, lon], abs=1e-7)  # EPSG:4490: latitude first
    assert 30 < geo[0] < 31 and 119 < geo[1] < 120
    crs84 = shapely.get_coordinates(projector.geometries(point, projector.resolve(None)))[0]
    assert crs84 == pytest.approx([lon, lat], abs=1e-6)  # CRS84: longitude first
    gk = shapely.get_coordinates(projector.geometries(point, projector.resolve(GK)))[0]
    assert gk.tolist() == [N, E]  # Gauss-Krüger: X = northing first


def test_axis_directions_come_from_the_registry(projector):
    # the rule is read from pyproj, not hard-coded: every GK EPSG served is northing first
    for code in (4513, 4528, 4549, 4554):
        p = Projector(code)
        assert p.resolve(epsg_uri(code)).north_first
        assert CRS.from_epsg(code).axis_info[0].direction == "north"
    assert not projector.resolve(CRS84).north_first


def test_coordinates_are_rounded_to_about_a_centimetre(projector):
    point = np.array([shapely.Point(E + 0.123456, N + 0.987654)])
    gk = shapely.get_coordinates(projector.geometries(point, projector.resolve(GK)))[0]
    assert gk.tolist() == [round(N + 0.987654, 2), round(E + 0.123456, 2)]
    text = projector.geojson(point, projector.resolve(GEO))[0]
    lat, lon = json.loads(text)["coordinates"]
    assert len(repr(lat).split(".")[1]) <= 7 and len(repr(lon).split(".")[1]) <= 7


def test_geojson_of_missing_geometry_is_null(projector):
    texts = projector.geojson(np.array([None, shapely.Point(E, N)], dtype=object),
                              projector.resolve(None))
    assert texts[0] == "null" and json.loads(texts[1])["type"] == "Point"


def test_box_in_each_crs_axis_order_covers_the_same_ground(projector):
    lon, lat = lonlat()
    d = 0.001
    a = projector.box_to_storage((lon - d, lat - d, lon + d, lat + d), projector.resolve(None))
    b = projector.box_to_storage((lat - d, lon - d, lat + d, lon + d), projector.resolve(GEO))
    assert a.contains(shapely.Point(E, N)) and b.contains(shapely.Point(E, N))
    assert np.allclose(shapely.bounds(a), shapely.bounds(b), atol=1.0)  # CRS84 ≈ CGCS2000
    gk = projector.box_to_storage((N - 10, E - 20, N + 10, E + 20), projector.resolve(GK))
    assert shapely.bounds(gk).tolist() == [E - 20, N - 10, E + 20, N + 10]


def test_box_edges_follow_the_projection(projector):
    # a 1° box projected edge by edge keeps its curved outline: its centre line point lies on
    # the projected box's boundary, not on the chord between projected corners
    lon, lat = lonlat()
    area = projector.box_to_storage((lon - 0.5, lat - 0.5, lon + 0.5, lat + 0.5),
                                    projector.resolve(None))
    assert shapely.get_num_coordinates(area) > 5


def test_box_far_away_or_whole_world(projector):
    assert projector.box_to_storage((0, 0, 1, 1), projector.resolve(None)) is None
    world = projector.box_to_storage((-180, -90, 180, 90), projector.resolve(None))
    assert world is not None and world.contains(shapely.Point(E, N))
    with pytest.raises(ValidationError):
        projector.box_to_storage((119, 30, 120, 95), projector.resolve(None))
    with pytest.raises(ValidationError):  # EPSG:4490 is latitude first: 119 is no latitude
        projector.box_to_storage((119, 30, 120, 31), projector.resolve(GEO))


def test_extent_in_crs84(projector):
    square = shapely.box(E - 100, N - 100, E + 100, N + 100)
    w, s, e, n = projector.extent(np.array([square, None], dtype=object))
    lon, lat = Transformer.from_crs(4528, "OGC:CRS84", always_xy=True).transform(
        *shapely.get_coordinates(square).T)
    assert [w, s, e, n] == pytest.approx([min(lon), min(lat), max(lon), max(lat)], abs=1e-7)
    assert e - w == pytest.approx(200 / (111_320 * np.cos(np.radians(lat[0]))), rel=0.01)
    assert projector.extent(np.array([None], dtype=object)) is None


# -- fields, filters, queryables ----------------------------------------------------------------
def test_field_types_follow_the_catalogue_then_the_values():
    frame = gpd.GeoDataFrame({"parcel_id": ["a"], "ready": [True], "extra_n": [1.5],
                              "extra_d": pd.to_datetime(["2024-01-01"])},
                             geometry=[shapely.Point(0, 0)])
    assert field_types("parcels", frame) == {"parcel_id": "str", "ready": "bool",
                                             "extra_n": "float", "extra_d": "date"}
    assert field_types("approvals", pd.DataFrame(columns=["approved_on"])) == {
        "approved_on": "date"}


def test_parse_value_types_and_labels():
    status = catalogue["parcels"].field("status")
    assert parse_value("status", "储备", "str", status) == "reserve"
    assert parse_value("status", "reserve", "str", status) == "reserve"
    assert parse_value("status", "unknown", "str", status) == "unknown"  # matches nothing
    assert parse_value("floors", " 3 ", "int") == 3
    assert parse_value("area_mu", "2.5", "float") == 2.5
    assert parse_value("ready", "FALSE", "bool") is False
    assert parse_value("approved_on", "2020-05-01", "date") == pd.Timestamp("2020-05-01")
    for name, text, dtype in [("floors", "3.5", "int"), ("area_mu", "nan", "float"),
                              ("ready", "maybe", "bool"), ("approved_on", "May", "date")]:
        with pytest.raises(ValidationError) as info:
            parse_value(name, text, dtype)
        assert name in info.value.en and name in info.value.zh


def test_matches_is_exact_and_never_matches_missing():
    assert matches(pd.Series(["100101", "1001", None], dtype="string"), "100101",
                   "str").tolist() == [True, False, False]
    assert matches(pd.Series(pd.array([3, None, 4], dtype="Int64")), 3, "int").tolist() == [
        True, False, False]
    assert matches(pd.Series(pd.array([True, None, False], dtype="boolean")), False,
                   "bool").tolist() == [False, False, True]
    dates = pd.Series(pd.to_datetime(["2020-05-01", None]))
    assert matches(dates, pd.Timestamp("2020-05-01"), "date").tolist() == [True, False]


def test_temporal_field_choice():
    supplies = {f.name: f.dtype for f in catalogue["supplies"].fields}
    assert temporal_field("supplies", supplies) == "supplied_on"  # first date field
    assert temporal_field("idle", {"agreed_start": "date", "idle_since": "date"}) == "idle_since"
    assert temporal_field("idle", {"agreed_start": "date"}) == "agreed_start"  # hidden choice
    assert temporal_field("unsupplied_pieces", {"piece_id": "str", "area_mu": "float"}) is None
    assert temporal_field("not_in_catalogue", {"a": "str", "seen": "date"}) == "seen"


def test_queryables_schema():
    frame = gpd.GeoDataFrame(
        {"parcel_id": ["P1"], "status": ["reserve"], "ready": [True]},
        geometry=[shapely.Point(0, 0)])
    q = queryables_schema("parcels", frame, uri="http://x/collections/parcels/queryables",
                          spatial=True, title="宗地 Parcels")
    assert q["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert q["$id"] == "http://x/collections/parcels/queryables"
    assert q["type"] == "object" and q["additionalProperties"] is False
    assert list(q["properties"]) == ["parcel_id", "status", "ready", "geometry"]
    assert q["properties"]["status"]["enum"] == ["reserve", "supplied", "collective", "other"]
    assert "储备" in q["properties"]["status"]["description"]
    assert q["properties"]["ready"] == {"title": "是否净地 Ready (净地)", "type": "boolean"}
    assert q["properties"]["geometry"]["$ref"] == "https://geojson.org/schema/Geometry.json"


def test_queryables_dates_units_and_lists_of_codes():
    approvals = pd.DataFrame({"approved_on": pd.to_datetime(["2020-01-01"]),
                              "declared_area_m2": [1.0]})
    q = queryables_schema("approvals", approvals, uri="u", spatial=False)
    assert q["properties"]["approved_on"]["format"] == "date"
    assert q["properties"]["approved_on"]["x-ogc-role"] == "primary-instant"
    assert "平方米" in q["properties"]["declared_area_m2"]["description"]
    assert "geometry" not in q["properties"]
    # reasons holds several codes joined by ';': no enum (a list is not one of the codes)
    low = pd.DataFrame({"reasons": ["plot_ratio_below_min;dilapidated"]})
    reasons = queryables_schema("low_efficiency", low, uri="u", spatial=False)["properties"][
        "reasons"]
    assert "enum" not in reasons and "dilapidated" in reasons["description"]


# -- encoding -------------------------------------------------------------------------------
def test_properties_json_types():
    frame = gpd.GeoDataFrame({
        "s": pd.array(["储备", None, 'quote " and \n'], dtype="string"),
        "n": pd.array([1, None, 3], dtype="Int64"),
        "x": [0.1, np.nan, np.inf],
        "b": pd.array([True, None, False], dtype="boolean"),
        "d": pd.to_datetime(["2024-01-02", None, "2023-12-31"]),
        "o": pd.Series([np.int64(7), np.float64("nan"), pd.Timestamp("2020-02-02")],
                       dtype=object),
    }, geometry=[shapely.Point(0, 0)] * 3)
    rows = [json.loads(t) for t in properties_json(frame)]
    assert rows[0] == {"s": "储备", "n": 1, "x": 0.1, "b": True, "d": "2024-01-02", "o": 7}
    assert rows[1] == {"s": None, "n": None, "x": None, "b": None, "d": None, "o": None}
    assert rows[2] == {"s": 'quote " and \n', "n": 3, "x": None, "b": False,
                       "d": "2023-12-31", "o": "2020-02-02"}
    assert "储备" in properties_json(frame)[0]  # Chinese written as it is, not \u escapes
    assert properties_json(pd.DataFrame(index=range(2))) == ["{}", "{}"]


def test_feature_and_collection_texts_are_geojson():
    features = feature_texts(np.array(["P-1", "P-2"]), ['{"type":"Point","coordinates":[1,2]}',
                                                        "null"], ['{"a":1}', "{}"])
    body = json.loads(collection_json(features, {"numberMatched": 2, "links": []}))
    assert body["type"] == "FeatureCollection" and body["numberMatched"] == 2
    assert [f["id"] for f in body["features"]] == ["P-1", "P-2"]
    assert body["features"][1]["geometry"] is None
    assert json.loads(collection_json([], {}))["features"] == []
    one = json.loads(add_members(features[0], {"links": [{"href": "x", "rel": "self"}]}))
    assert one["links"][0]["rel"] == "self" and one["properties"] == {"a": 1}


def test_geometry_cache_makes_each_text_once():
    cache = GeometryCache(size=2)
    made = []

    def make(where):
        made.append(where.tolist())
        return np.array([f"g{i}" for i in where], dtype=object)

    assert cache.texts("v1", 5, np.array([3, 1]), make).tolist() == ["g3", "g1"]
    assert cache.texts("v1", 5, np.array([1, 2, 3]), make).tolist() == ["g1", "g2", "g3"]
    assert made == [[1, 3], [2]]  # only what was missing
    cache.texts("v2", 5, np.array([0]), make)
    cache.texts("v3", 5, np.array([0]), make)  # v1 is the least recently used: dropped
    assert len(cache) == 2
    cache.texts("v1", 5, np.array([1]), make)
    assert made[-1] == [1]
