"""OGC API – Features over the demo county: landing page, conformance, collections, items
(paging, bbox, CRS, filters, datetime), single features and queryables, as the public and as a
planner sees them."""

from urllib.parse import parse_qs, urlsplit

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from fastapi.testclient import TestClient
from pyproj import Transformer

from api.ogc import (
    CONFORMANCE,
    CollectionInfo,
    Collections,
    Conformance,
    Feature,
    FeatureCollection,
    LandingPage,
    Queryables,
)
from gis.access import PUBLIC_VIEWS, Role, mask
from gis.workspace import open_workspace
from tests.api.conftest import PLANNER, make_app

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
GEO = "http://www.opengis.net/def/crs/EPSG/0/4490"
GK = "http://www.opengis.net/def/crs/EPSG/0/4528"
PUBLIC = ["zones", "parcels", "infrastructure", "unsupplied_pieces"]


@pytest.fixture(scope="module")
def ws(demo_gpkg):
    workspace = open_workspace(demo_gpkg)
    assert workspace.crs.to_epsg() == 4528
    cache: dict[str, pd.DataFrame] = {}

    def read(name):
        if name not in cache:
            cache[name] = workspace.read(name)
        return cache[name]

    return read


def get(client, url, headers=None, **params):
    r = client.get(url, params=params or None, headers=headers or {})
    assert r.status_code == 200, r.text[:2000]
    return r


def items(client, name, headers=None, **params):
    r = get(client, f"/collections/{name}/items", headers, **params)
    assert r.headers["content-type"].startswith("application/geo+json")
    return FeatureCollection.model_validate(r.json()), r


def walk(client, url, headers=None):
    """Follow ``next`` links from ``url``; the features of every page, and the pages."""
    features, pages = [], 0
    while url:
        r = client.get(url, headers=headers or {})
        assert r.status_code == 200, r.text
        page = FeatureCollection.model_validate(r.json())
        features += page.features
        pages += 1
        url = next((link.href for link in page.links if link.rel == "next"), None)
        assert pages < 1000
    return features, pages


def error(r, status):
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/json")
    body = r.json()
    assert body["code"] and body["description"] and body["zh"] and body["en"]
    return body


def public_parcels(ws):
    return mask("parcels", ws("parcels"), Role.public)


# -- landing page and conformance ---------------------------------------------------------------
def test_landing_page_links(client):
    page = LandingPage.model_validate(get(client, "/").json())
    links = {link.rel: link for link in page.links}
    assert {"self", "service-desc", "service-doc", "conformance", "data"} <= set(links)
    assert links["service-desc"].type == "application/vnd.oai.openapi+json;version=3.0"
    assert links["service-doc"].type == "text/html"
    for link in page.links:  # absolute URLs that answer
        assert link.href.startswith("http://testserver/")
        path = urlsplit(link.href).path
        assert client.get(path).status_code == 200, link.href
    assert "openapi" in get(client, urlsplit(links["service-desc"].href).path).json()


def test_landing_page_uses_the_configured_base_url(demo_gpkg):
    app = make_app(demo_gpkg, base_url="https://gis.example.gov.cn/dideng/")
    with TestClient(app) as c:
        hrefs = [link["href"] for link in c.get("/").json()["links"]]
        assert all(h.startswith("https://gis.example.gov.cn/dideng/") for h in hrefs)
        assert "https://gis.example.gov.cn/dideng/collections" in hrefs
        page = c.get("/collections/parcels/items", params={"limit": 5}).json()
        assert all(link["href"].startswith("https://gis.example.gov.cn/dideng/collections/")
                   for link in page["links"])


def test_conformance(client):
    classes = Conformance.model_validate(get(client, "/conformance").json()).conformsTo
    assert set(classes) == set(CONFORMANCE)
    for part in ("ogcapi-features-1/1.0/conf/core", "ogcapi-features-1/1.0/conf/geojson",
                 "ogcapi-features-1/1.0/conf/oas30", "ogcapi-features-2/1.0/conf/crs",
                 "ogcapi-features-3/1.0/conf/queryables",
                 "ogcapi-features-3/1.0/conf/queryables-query-parameters"):
        assert f"http://www.opengis.net/spec/{part}" in classes


# -- collections ----------------------------------------------------------------------------
def test_public_sees_only_the_promotion_layers(client):
    body = Collections.model_validate(get(client, "/collections").json())
    assert [c.id for c in body.collections] == PUBLIC
    parcels = next(c for c in body.collections if c.id == "parcels")
    assert parcels.title == "宗地 Parcels"
    assert PUBLIC_VIEWS["parcels"].note_zh in parcels.description
    assert PUBLIC_VIEWS["parcels"].note_en in parcels.description


def test_planner_sees_every_layer_and_the_results(client, demo_gpkg):
    ids = [c["id"] for c in get(client, "/collections", PLANNER).json()["collections"]]
    assert set(ids) == set(open_workspace(demo_gpkg).layers())
    for result in ("idle", "unsupplied_pieces", "low_efficiency", "permu_parcels",
                   "zone_indicators"):
        assert result in ids
    assert ids.index("zones") < ids.index("idle")  # catalogue order, then results


def test_collection_description(client, ws):
    info = CollectionInfo.model_validate(get(client, "/collections/parcels").json())
    assert info.itemType == "feature" and info.storageCrs == GK
    assert info.crs == [CRS84, GEO, GK]
    rels = {link.rel: link for link in info.links}
    assert rels["items"].type == "application/geo+json"
    assert rels["items"].href == "http://testserver/collections/parcels/items"
    assert rels["http://www.opengis.net/def/rel/ogc/1.0/queryables"].type == (
        "application/schema+json")
    # the public extent is that of the reserve parcels, in CRS84 (lon, lat)
    expected = public_parcels(ws).to_crs("OGC:CRS84").total_bounds
    assert info.extent.spatial.crs == CRS84
    assert info.extent.spatial.bbox[0] == pytest.approx(expected.tolist(), abs=1e-6)
    assert info.extent.temporal is None and "no temporal field" in info.description


def test_collection_temporal_extent_and_field(client, ws):
    info = CollectionInfo.model_validate(get(client, "/collections/approvals", PLANNER).json())
    dates = ws("approvals")["approved_on"]
    assert info.extent.temporal.interval == [[dates.min().strftime("%Y-%m-%d"),
                                              dates.max().strftime("%Y-%m-%d")]]
    assert "approved_on" in info.description
    idle = get(client, "/collections/idle", PLANNER).json()
    assert "idle_since" in idle["description"]


def test_tables_are_collections_without_geometry(client, ws):
    info = get(client, "/collections/tenancies", PLANNER).json()
    assert "no geometry" in info["description"] and "spatial" not in (info.get("extent") or {})
    page, _ = items(client, "tenancies", PLANNER, limit=1000)
    assert page.numberMatched == len(ws("tenancies"))
    assert all(f.geometry is None for f in page.features)
    assert items(client, "tenancies", PLANNER, bbox="119,30,120,31")[0].numberMatched == 0


@pytest.mark.parametrize("path", ["/collections/{}", "/collections/{}/items",
                                  "/collections/{}/items/330599001001GB00329",
                                  "/collections/{}/queryables"])
def test_closed_layer_is_not_found_for_the_public(client, path):
    closed = error(client.get(path.format("idle")), 404)
    missing = error(client.get(path.format("no_such_layer")), 404)
    assert closed["code"] == missing["code"] == "NotFound"
    for body in (closed, missing):  # the list offered names only what the public may read
        assert "low_efficiency" not in body["description"]
        assert ", ".join(PUBLIC) in body["en"]


def test_unknown_collection_is_404_for_planners_too(client):
    error(client.get("/collections/nope/items", headers=PLANNER), 404)
    assert client.get("/collections/idle", headers=PLANNER).status_code == 200


# -- items: paging ------------------------------------------------------------------------------
def test_default_limit_and_clamp(client, app):
    settings = app.state.settings
    page, _ = items(client, "parcels", PLANNER)
    assert page.numberReturned == len(page.features) == settings.items_limit
    page, _ = items(client, "parcels", PLANNER, limit=10**9)
    assert page.numberReturned <= settings.items_max_limit


def test_limit_above_the_maximum_is_clamped(demo_gpkg):
    with TestClient(make_app(demo_gpkg, items_max_limit=50)) as c:
        page = FeatureCollection.model_validate(
            c.get("/collections/parcels/items", params={"limit": 10**9}).json())
        assert page.numberReturned == 50 and page.numberMatched > 50
        nxt = next(link.href for link in page.links if link.rel == "next")
        assert parse_qs(urlsplit(nxt).query)["limit"] == ["50"]


@pytest.mark.parametrize("value", ["0", "-1", "abc", "1.5", ""])
def test_bad_limit_is_400(client, value):
    error(client.get("/collections/parcels/items", params={"limit": value}), 400)


def test_next_links_walk_the_whole_layer(client, ws):
    features, pages = walk(client, "/collections/parcels/items?limit=500", PLANNER)
    expected = ws("parcels")["parcel_id"].tolist()
    assert pages == -(-len(expected) // 500)
    assert [f.id for f in features] == expected  # every feature once, in workspace order


def test_prev_links_walk_back(client):
    first, _ = items(client, "parcels", PLANNER, limit=7)
    third, _ = items(client, "parcels", PLANNER, limit=7, offset=14)
    assert "prev" not in {link.rel for link in first.links}
    href = next(link.href for link in third.links if link.rel == "prev")
    second = FeatureCollection.model_validate(client.get(href, headers=PLANNER).json())
    href = next(link.href for link in second.links if link.rel == "prev")
    back = FeatureCollection.model_validate(client.get(href, headers=PLANNER).json())
    assert [f.id for f in back.features] == [f.id for f in first.features]


def test_paging_links_keep_the_other_parameters(client):
    page, _ = items(client, "parcels", PLANNER, limit=3, zone_id="KFQ-DY", crs=GK)
    nxt = parse_qs(urlsplit(next(link.href for link in page.links if link.rel == "next")).query)
    assert nxt == {"zone_id": ["KFQ-DY"], "crs": [GK], "limit": ["3"], "offset": ["3"]}
    assert next(link.type for link in page.links if link.rel == "next") == (
        "application/geo+json")


def test_offset_beyond_the_end(client):
    page, _ = items(client, "parcels", offset=10**12)
    assert page.numberReturned == 0 and page.features == []
    assert "prev" in {link.rel for link in page.links}
    assert "next" not in {link.rel for link in page.links}


def test_page_members(client, ws):
    page, r = items(client, "parcels", limit=2)
    assert page.numberReturned == len(page.features) == 2
    assert page.numberMatched == len(public_parcels(ws))
    assert page.timeStamp.endswith("Z")
    assert r.headers["content-crs"] == f"<{CRS84}>"


# -- items: what the public sees ----------------------------------------------------------------
def test_public_parcels_are_reserve_only_without_owners(client, ws):
    features, _ = walk(client, "/collections/parcels/items?limit=100")
    expected = public_parcels(ws)
    assert [f.id for f in features] == expected["parcel_id"].tolist()
    assert len(expected) < len(ws("parcels"))
    for f in features:
        assert f.properties["status"] == "reserve"
        assert "owner_name" not in f.properties and "owner_credit_code" not in f.properties
        assert set(f.properties) <= set(PUBLIC_VIEWS["parcels"].fields)


def test_public_unsupplied_pieces_are_usable_only(client, ws):
    page, _ = items(client, "unsupplied_pieces", limit=1000)
    pieces = ws("unsupplied_pieces")
    assert [f.id for f in page.features] == pieces[pieces["usable"].fillna(False).astype(bool)][
        "piece_id"].tolist()
    assert all("approved_on" not in f.properties for f in page.features)


def test_public_filter_cannot_reach_hidden_rows_or_fields(client):
    assert items(client, "parcels", status="supplied")[0].numberMatched == 0
    body = error(client.get("/collections/parcels/items", params={"owner_name": "x"}), 400)
    assert "owner_name" in body["en"]


# -- items: properties ------------------------------------------------------------------------
def test_properties_are_json_types(client, ws):
    page, _ = items(client, "approvals", PLANNER, limit=1000)
    frame = ws("approvals").set_index("approval_id")
    for f in page.features:
        row = frame.loc[f.id]
        assert f.properties["approved_on"] == row["approved_on"].strftime("%Y-%m-%d")
        area = row["declared_area_m2"]
        assert f.properties["declared_area_m2"] == (None if pd.isna(area) else area)
    parcels, _ = items(client, "parcels", limit=5)
    assert all(isinstance(f.properties["ready"], bool | None) for f in parcels.features)
    floors, _ = items(client, "buildings", PLANNER, limit=5)
    assert all(isinstance(f.properties["floors"], int) for f in floors.features)


# -- items: bbox ----------------------------------------------------------------------------
def test_bbox_in_the_workspace_crs_axis_order(client, ws):
    parcels = ws("parcels")
    target = parcels.geometry.iloc[100]
    minx, miny, maxx, maxy = target.bounds
    # EPSG:4528 is northing first: the bbox is minN,minE,maxN,maxE
    page, _ = items(client, "parcels", PLANNER, limit=1000, bbox=f"{miny},{minx},{maxy},{maxx}",
                    **{"bbox-crs": GK})
    expected = parcels[parcels.intersects(shapely.box(minx, miny, maxx, maxy))]["parcel_id"]
    assert [f.id for f in page.features] == expected.tolist()
    assert parcels["parcel_id"].iloc[100] in {f.id for f in page.features}
    assert page.numberMatched == len(expected)


def test_bbox_in_crs84_and_in_4490_lat_first(client, ws):
    parcels = ws("parcels")
    centre = parcels.geometry.iloc[200].representative_point()
    lon, lat = Transformer.from_crs(4528, "OGC:CRS84", always_xy=True).transform(centre.x,
                                                                                 centre.y)
    d = 0.002
    box84 = gpd.GeoSeries([shapely.box(lon - d, lat - d, lon + d, lat + d)], crs="OGC:CRS84")
    expected = parcels[parcels.intersects(box84.to_crs(4528).iloc[0])]["parcel_id"].tolist()
    assert parcels["parcel_id"].iloc[200] in expected and len(expected) > 1
    page, _ = items(client, "parcels", PLANNER, limit=1000,
                    bbox=f"{lon - d},{lat - d},{lon + d},{lat + d}")
    assert [f.id for f in page.features] == expected
    page, _ = items(client, "parcels", PLANNER, limit=1000, **{"bbox-crs": GEO},
                    bbox=f"{lat - d},{lon - d},{lat + d},{lon + d}")
    assert [f.id for f in page.features] == expected


def test_bbox_test_is_exact_not_by_envelope(client, ws):
    # an L-shaped neighbourhood: a box touching a parcel's envelope corner but not the parcel
    parcels = ws("parcels")
    polys = parcels.geometry
    hull_gap = polys.envelope.difference(polys.buffer(0.5))
    k = int(np.argmax(hull_gap.area.to_numpy()))
    if hull_gap.iloc[k].is_empty:
        pytest.skip("every demo parcel fills its envelope")
    spot = hull_gap.iloc[k].representative_point()
    probe = spot.buffer(0.1).envelope
    minx, miny, maxx, maxy = probe.bounds
    page, _ = items(client, "parcels", PLANNER, limit=1000, bbox=f"{miny},{minx},{maxy},{maxx}",
                    **{"bbox-crs": GK})
    expected = parcels[parcels.intersects(probe)]["parcel_id"].tolist()
    assert parcels["parcel_id"].iloc[k] not in expected
    assert [f.id for f in page.features] == expected


def test_bbox_outside_the_county_is_empty(client):
    assert items(client, "parcels", bbox="0,0,1,1")[0].numberMatched == 0
    assert items(client, "parcels", bbox="-180,-90,180,90")[0].numberMatched > 0


@pytest.mark.parametrize("bbox", ["1,2,3", "1,2,3,4,5,6", "a,b,c,d", "nan,inf,1,2",
                                  "120,31,119,30", "119,30,120,91", ""])
def test_invalid_bbox_is_400(client, bbox):
    error(client.get("/collections/parcels/items", params={"bbox": bbox}), 400)


# -- items: CRS -----------------------------------------------------------------------------
def coordinates(feature):
    return shapely.get_coordinates(shapely.geometry.shape(feature.geometry))


def test_crs_workspace_round_trip_is_northing_first(client, ws):
    parcels = ws("parcels")
    fid = parcels["parcel_id"].iloc[0]
    r = get(client, f"/collections/parcels/items/{fid}", PLANNER, crs=GK)
    assert r.headers["content-crs"] == f"<{GK}>"
    got = coordinates(Feature.model_validate(r.json()))
    stored = shapely.get_coordinates(parcels.geometry.iloc[0])
    assert np.allclose(got, stored[:, ::-1], atol=0.006)  # (northing, easting), ≈1 cm
    assert got[0, 0] < 1e7 < got[0, 1]  # X = northing ~3.39e6, Y = easting with zone prefix


def test_crs_4490_is_latitude_first_and_crs84_longitude_first(client, ws):
    parcels = ws("parcels")
    fid = parcels["parcel_id"].iloc[0]
    stored = shapely.get_coordinates(parcels.geometry.iloc[0])
    lon, lat = Transformer.from_crs(4528, 4490, always_xy=True).transform(*stored.T)
    for crs, expected in ((GEO, np.column_stack([lat, lon])), ("EPSG:4490",
                                                               np.column_stack([lat, lon])),
                          (None, np.column_stack([lon, lat]))):
        params = {"crs": crs} if crs else {}
        r = get(client, f"/collections/parcels/items/{fid}", PLANNER, **params)
        assert r.headers["content-crs"] == f"<{GEO if crs else CRS84}>"
        assert np.allclose(coordinates(Feature.model_validate(r.json())), expected, atol=2e-7)


def test_unsupported_crs_is_400(client):
    body = error(client.get("/collections/parcels/items", params={"crs": "EPSG:3857"}), 400)
    assert GK in body["en"] and GK in body["zh"]
    error(client.get("/collections/parcels/items", params={"bbox-crs": "EPSG:3857",
                                                            "bbox": "1,2,3,4"}), 400)


# -- items: property filters and datetime -------------------------------------------------------
def test_property_filters_equal_pandas(client, ws):
    parcels = ws("parcels")
    expected = parcels[(parcels["land_use"] == "100101") & (parcels["zone_id"] == "KFQ-DY")]
    page, _ = items(client, "parcels", PLANNER, land_use="100101", zone_id="KFQ-DY", limit=1000)
    assert page.numberMatched == len(expected) > 0
    assert [f.id for f in page.features] == expected["parcel_id"].tolist()
    ready = int(parcels["ready"].fillna(False).sum())
    assert items(client, "parcels", PLANNER, ready="true")[0].numberMatched == ready
    reserve = int((parcels["status"] == "reserve").sum())
    assert items(client, "parcels", PLANNER, status="储备")[0].numberMatched == reserve


def test_typed_filters(client, ws):
    buildings = ws("buildings")
    assert items(client, "buildings", PLANNER, floors="3")[0].numberMatched == int(
        (buildings["floors"] == 3).sum())
    error(client.get("/collections/buildings/items", params={"floors": "three"},
                     headers=PLANNER), 400)
    approvals = ws("approvals")
    day = approvals["approved_on"].iloc[0]
    assert items(client, "approvals", PLANNER, approved_on=day.strftime("%Y-%m-%d"))[
        0].numberMatched == int((approvals["approved_on"] == day).sum())
    error(client.get("/collections/parcels/items", params=[("zone_id", "a"), ("zone_id", "b")],
                     headers=PLANNER), 400)


@pytest.mark.parametrize(("value", "keep"), [
    ("2020-01-01/..", lambda d: d >= "2020-01-01"),
    ("../2018-12-31", lambda d: d <= "2018-12-31"),
    ("2016-01-01/2019-12-31", lambda d: (d >= "2016-01-01") & (d <= "2019-12-31")),
    ("2020-01-01T00:00:00Z/2020-12-31T23:59:59Z",
     lambda d: (d >= "2020-01-01") & (d <= "2020-12-31")),
])
def test_datetime_equals_pandas(client, ws, value, keep):
    approvals = ws("approvals")
    expected = approvals[keep(approvals["approved_on"])]["approval_id"].tolist()
    page, _ = items(client, "approvals", PLANNER, datetime=value, limit=1000)
    assert [f.id for f in page.features] == expected


def test_datetime_instant_and_idle_since(client, ws):
    approvals = ws("approvals")
    day = approvals["approved_on"].iloc[3]
    page, _ = items(client, "approvals", PLANNER, datetime=day.strftime("%Y-%m-%d"))
    assert page.numberMatched == int((approvals["approved_on"] == day).sum()) >= 1
    idle = ws("idle")
    page, _ = items(client, "idle", PLANNER, datetime="2024-01-01/..", limit=1000)
    assert page.numberMatched == int((idle["idle_since"] >= "2024-01-01").sum())


def test_datetime_without_a_temporal_field_is_400(client):
    error(client.get("/collections/parcels/items", params={"datetime": "2024-01-01"}), 400)
    # the pieces' approval date is not public: no temporal field for the public
    error(client.get("/collections/unsupplied_pieces/items",
                     params={"datetime": "2020-01-01/.."}), 400)
    assert client.get("/collections/unsupplied_pieces/items", headers=PLANNER,
                      params={"datetime": "2020-01-01/.."}).status_code == 200
    error(client.get("/collections/approvals/items", params={"datetime": "yesterday"},
                     headers=PLANNER), 400)


def test_unknown_parameter_is_400_with_an_ogc_body(client):
    body = error(client.get("/collections/parcels/items", params={"colour": "red"}), 400)
    assert body["code"] == "InvalidParameterValue" and "colour" in body["description"]
    error(client.get("/collections/parcels/items/x", params={"limit": "3"}), 400)


def test_f_json_is_tolerated(client):
    assert client.get("/collections/parcels/items", params={"f": "json"}).status_code == 200
    assert client.get("/collections", params={"f": "json"}).status_code == 200
    error(client.get("/collections/parcels/items", params={"f": "html"}), 400)


# -- one feature ----------------------------------------------------------------------------
def test_feature_by_id(client, ws):
    parcels = ws("parcels")
    reserve = parcels[parcels["status"] == "reserve"].iloc[0]
    r = get(client, f"/collections/parcels/items/{reserve['parcel_id']}")
    assert r.headers["content-type"].startswith("application/geo+json")
    feature = Feature.model_validate(r.json())
    assert feature.id == reserve["parcel_id"] and "owner_name" not in feature.properties
    assert {link.rel for link in feature.links} == {"self", "collection"}
    planner = get(client, f"/collections/parcels/items/{reserve['parcel_id']}", PLANNER).json()
    assert "owner_name" in planner["properties"]
    supplied = parcels[parcels["status"] == "supplied"]["parcel_id"].iloc[0]
    error(client.get(f"/collections/parcels/items/{supplied}"), 404)  # masked: not found
    assert client.get(f"/collections/parcels/items/{supplied}", headers=PLANNER).status_code == 200
    error(client.get("/collections/parcels/items/no-such-parcel"), 404)


def test_feature_ids_of_a_composite_key(client, ws):
    tenancy = ws("tenancies").iloc[0]
    fid = f"{tenancy['credit_code']}.{tenancy['parcel_id']}"
    feature = get(client, f"/collections/tenancies/items/{fid}", PLANNER).json()
    assert feature["id"] == fid and feature["geometry"] is None


# -- queryables -----------------------------------------------------------------------------
def test_queryables_public(client):
    r = get(client, "/collections/parcels/queryables")
    assert r.headers["content-type"].startswith("application/schema+json")
    q = Queryables.model_validate(r.json())
    body = r.json()
    assert body["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert body["$id"] == "http://testserver/collections/parcels/queryables"
    assert q.type == "object" and q.additionalProperties is False
    assert set(q.properties) == {*PUBLIC_VIEWS["parcels"].fields, "geometry"}
    assert q.properties["status"]["enum"] == ["reserve", "supplied", "collective", "other"]
    assert q.properties["status"]["title"] == "土地状态 Status"
    assert q.properties["ready"]["type"] == "boolean"
    assert q.properties["geometry"]["$ref"] == "https://geojson.org/schema/Geometry.json"


def test_queryables_planner(client):
    q = get(client, "/collections/parcels/queryables", PLANNER).json()
    assert "owner_name" in q["properties"]
    approvals = get(client, "/collections/approvals/queryables", PLANNER).json()
    assert approvals["properties"]["approved_on"] == {
        **approvals["properties"]["approved_on"], "type": "string", "format": "date",
        "x-ogc-role": "primary-instant"}
    assert approvals["properties"]["declared_area_m2"]["type"] == "number"
    tenancies = get(client, "/collections/tenancies/queryables", PLANNER).json()
    assert "geometry" not in tenancies["properties"]


def test_every_queryable_is_a_filter(client):
    q = get(client, "/collections/zones/queryables").json()
    for name in q["properties"]:
        if name == "geometry":
            continue
        value = "national" if name == "level" else "x"
        assert client.get("/collections/zones/items", params={name: value}).status_code == 200


# -- the OpenAPI document -----------------------------------------------------------------------
def test_openapi_declares_what_is_returned(client):
    paths = get(client, "/openapi.json").json()["paths"]
    item_get = paths["/collections/{collectionId}/items"]["get"]
    assert set(item_get["responses"]["200"]["content"]) == {"application/geo+json"}
    assert "Content-Crs" in item_get["responses"]["200"]["headers"]
    for status in ("400", "404"):
        assert set(item_get["responses"][status]["content"]) == {"application/json"}
    names = {p["name"] for p in item_get["parameters"]}
    assert {"bbox", "bbox-crs", "crs", "limit", "offset", "datetime", "f"} <= names
    queryables = paths["/collections/{collectionId}/queryables"]["get"]["responses"]
    assert set(queryables["200"]["content"]) == {"application/schema+json"}
    assert set(queryables["404"]["content"]) == {"application/json"}
    assert set(paths["/collections"]["get"]["responses"]["200"]["content"]) == {
        "application/json"}
