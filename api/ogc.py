"""OGC API – Features: landing page, conformance, collections, items, queryables.

QGIS ("OGC API – Features" connection) and GDAL's OAPIF driver read the workspace's layers here.
Conformance: Part 1 (core, GeoJSON, OpenAPI 3.0), Part 2 (CRS by reference) and Part 3
(queryables, queryables as query parameters). The routes parse a request, ask
:mod:`gis.access` what the caller may see, and hand the rest to :mod:`gis.features`.

Choices, and why:

* **A closed collection is a 404 for the public**, exactly like a missing one (same body,
  listing only the collections the caller may read): a 403 would tell the public which
  confidential layers exist. Planners and admins see every layer, result layers included.
* **Masking** is :func:`gis.access.mask`, applied after the spatial test and before property
  filters and paging, so ``numberMatched``, paging, queryables and single features all agree
  with what the caller may see; a feature masked out is a 404.
* **Temporal field**: ``datetime`` filters on the layer's first catalogue ``date`` field among
  those the caller may see, except where :data:`gis.features.TEMPORAL_FIELDS` names a clearer one
  (``idle`` → ``idle_since``). The collection's description names the field and its
  ``extent.temporal`` spans it; it is the ``primary-instant`` queryable. A layer without one
  (or whose date fields are hidden from the caller) answers ``datetime`` with 400.
* **CRS**: CRS84 (default), CGCS2000 geographic EPSG:4490 and the workspace's Gauss-Krüger EPSG
  (``storageCrs``), each written in its own axis order (EPSG:4490 latitude first, Gauss-Krüger
  northing first) with a ``Content-Crs`` header; ``bbox-crs`` is read in the same orders.
* **Speed**: a bbox asks the store's live R-tree, then one vectorized ``shapely.intersects``
  on the candidates; GeoJSON geometry texts are made once per feature, layer version and CRS
  (a :class:`gis.features.GeometryCache` per router) and collection descriptions once per
  layer version. Snapshots are never modified.
* **Unknown query parameters** on items are a 400 (OGC exception body), so a typo is never
  silently ignored; property filters are the queryables the caller may see.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any, Literal
from urllib.parse import quote, urlencode

import numpy as np
import pandas as pd
import shapely
from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from api.auth import Caller, caller
from api.deps import get_settings, get_store
from api.errors import JSON_ERRORS
from api.models import Link
from api.settings import Settings
from api.store import Memo, Snapshot, Store
from gis.access import PUBLIC_VIEWS, Role, mask, visible_layers
from gis.errors import UnknownFeatureError, UnknownLayerError, ValidationError
from gis.features import (
    CRS84,
    GeometryCache,
    Interval,
    OutputCRS,
    Projector,
    add_members,
    collection_json,
    date_range,
    feature_texts,
    field_types,
    in_interval,
    layer_schema,
    matches,
    parse_bbox,
    parse_datetime,
    parse_value,
    properties_json,
    queryables_schema,
    temporal_field,
)
from layers import Layer

__all__ = [
    "CONFORMANCE",
    "Collection",
    "CollectionInfo",
    "Collections",
    "Conformance",
    "Feature",
    "FeatureCollection",
    "LandingPage",
    "Queryables",
    "features_router",
    "get_collection",
]

TAG = "OGC API – Features"
GEOJSON = "application/geo+json"
JSON = "application/json"
SCHEMA_JSON = "application/schema+json"
OPENAPI_JSON = "application/vnd.oai.openapi+json;version=3.0"
GREGORIAN = "http://www.opengis.net/def/uri/ISO-8601/0/Gregorian"
REL_QUERYABLES = "http://www.opengis.net/def/rel/ogc/1.0/queryables"

CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters",
]

#: the query parameters of /items besides the queryables
ITEMS_PARAMETERS = frozenset({"bbox", "bbox-crs", "crs", "limit", "offset", "datetime", "f"})


# -- response models ----------------------------------------------------------------------------
class LandingPage(BaseModel):
    title: str
    description: str
    links: list[Link]


class Conformance(BaseModel):
    conformsTo: list[str]


class SpatialExtent(BaseModel):
    bbox: list[list[float]]
    crs: str = CRS84


class TemporalExtent(BaseModel):
    interval: list[list[str | None]]
    trs: str = GREGORIAN


class Extent(BaseModel):
    spatial: SpatialExtent | None = None
    temporal: TemporalExtent | None = None


class CollectionInfo(BaseModel):
    id: str
    title: str
    description: str
    links: list[Link]
    extent: Extent | None = None
    itemType: Literal["feature"] = "feature"
    crs: list[str]
    storageCrs: str


class Collections(BaseModel):
    links: list[Link]
    collections: list[CollectionInfo]


class Feature(BaseModel):
    """A GeoJSON Feature (geometry null for the features of a table)."""

    type: Literal["Feature"]
    id: str
    geometry: dict[str, Any] | None
    properties: dict[str, Any] | None
    links: list[Link] | None = None


class FeatureCollection(BaseModel):
    """A page of features, with its paging links."""

    type: Literal["FeatureCollection"]
    features: list[Feature]
    links: list[Link]
    numberMatched: int
    numberReturned: int
    timeStamp: str


class Queryables(BaseModel):
    """The queryables of a collection: a JSON Schema (2020-12) document."""

    model_config = ConfigDict(populate_by_name=True)

    schema_: str = Field(alias="$schema")
    id_: str = Field(alias="$id")
    type: Literal["object"]
    title: str
    properties: dict[str, dict[str, Any]]
    additionalProperties: Literal[False]


class GeoJSONResponse(JSONResponse):
    media_type = GEOJSON


class SchemaJSONResponse(JSONResponse):
    media_type = SCHEMA_JSON


CONTENT_CRS = {"Content-Crs": {"description": "坐标的坐标系 / CRS of the coordinates, as <URI>",
                               "schema": {"type": "string"}}}


# -- parameters ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Collection:
    """A collection the caller may read: the layer, who asks, and the store it comes from."""

    name: str
    role: Role
    store: Store
    schema: Layer | None

    @property
    def title(self) -> str:
        return f"{self.schema.zh} {self.schema.en}" if self.schema else self.name


def get_collection(
    collectionId: Annotated[str, Path(description="集合（图层）名 / collection (layer) name")],
    who: Caller = Depends(caller),
    store: Store = Depends(get_store),
) -> Collection:
    """``collectionId`` as a collection the caller may read; 404 otherwise (for the public,
    a closed layer is indistinguishable from a missing one)."""
    readable = visible_layers(store.names(), who.role)
    if collectionId not in readable:
        listed = ", ".join(readable) or "—"
        raise UnknownLayerError(f"没有集合 {collectionId!r}；可用：{listed}",
                                f"no collection {collectionId!r}; available: {listed}")
    return Collection(collectionId, who.role, store, layer_schema(collectionId))


def bbox_query(
    bbox: Annotated[str | None, Query(
        description="minx,miny,maxx,maxy（bbox-crs 的轴顺序；默认 CRS84 经度,纬度）/ "
                    "lower and upper corner in the axis order of bbox-crs (CRS84 lon,lat by "
                    "default)",
        examples=["119.9,30.2,120.0,30.3"])] = None,
) -> tuple[float, float, float, float] | None:
    return parse_bbox(bbox) if bbox is not None else None


def datetime_query(
    value: Annotated[str | None, Query(
        alias="datetime",
        description="时刻或区间（.. 为开放端），按图层的时间字段筛选 / an instant or interval "
                    "(.. for an open end) on the collection's temporal field",
        examples=["2020-01-01/..", "2024-01-01"])] = None,
) -> Interval | None:
    return parse_datetime(value) if value is not None else None


def limit_query(
    limit: Annotated[int | None, Query(
        ge=1, description="每页要素数（超过上限时取上限）/ features per page (values above the "
                          "server's maximum are clamped)")] = None,
    settings: Settings = Depends(get_settings),
) -> int:
    return min(limit if limit is not None else settings.items_limit, settings.items_max_limit)


def offset_query(
    offset: Annotated[int, Query(ge=0, description="跳过的要素数 / features skipped")] = 0,
) -> int:
    return offset


def format_query(
    f: Annotated[Literal["json", "geojson"] | None, Query(
        description="输出格式（仅 JSON）/ output format (JSON only)")] = None,
) -> str | None:
    return f


# -- the router ---------------------------------------------------------------------------------
def _base(request: Request, settings: Settings) -> str:
    return (settings.base_url or str(request.base_url)).rstrip("/")


def _timestamp() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _reject_unknown(request: Request, allowed: frozenset[str] | set[str]) -> None:
    unknown = sorted({k for k in request.query_params if k not in allowed})
    if unknown:
        names = ", ".join(unknown)
        known = ", ".join(sorted(allowed))
        raise ValidationError(f"未知的查询参数：{names}；可用：{known}",
                              f"unknown query parameter(s): {names}; accepted: {known}")


def _filters(request: Request, collection: Collection, types: dict[str, str]
             ) -> dict[str, Any]:
    """The property filters of a request (the queryables among its parameters), typed; any
    other unknown parameter is a 400."""
    _reject_unknown(request, ITEMS_PARAMETERS | set(types))
    filters: dict[str, Any] = {}
    for name in dict.fromkeys(k for k in request.query_params if k not in ITEMS_PARAMETERS):
        values = request.query_params.getlist(name)
        if len(values) > 1:
            raise ValidationError(f"属性 {name} 只能给一个值，收到 {len(values)} 个",
                                  f"property {name} takes one value, got {len(values)}")
        field = collection.schema.get(name) if collection.schema is not None else None
        filters[name] = parse_value(name, values[0], types[name], field)
    return filters


def _geometries(snapshot: Snapshot) -> Any:
    return snapshot.frame.geometry.array if snapshot.is_spatial else None


def features_router(resolve: Callable[..., Collection] = get_collection) -> APIRouter:
    """The OGC API – Features routes.

    Parameters
    ----------
    resolve
        The dependency that turns ``collectionId`` into a :class:`Collection` the caller may
        read (404 otherwise); :func:`get_collection` by default.
    """
    router = APIRouter(tags=[TAG])
    geometry_cache = GeometryCache()
    described = Memo(64)
    projectors: dict[int, tuple[Store, Projector]] = {}

    def get_projector(store: Store = Depends(get_store)) -> Projector:
        held = projectors.get(id(store))
        if held is None or held[0] is not store:
            held = (store, Projector(store.workspace.crs))
            projectors[id(store)] = held
        return held[1]

    def crs_query(
        crs: Annotated[str | None, Query(
            description="输出坐标系 URI（CRS84、EPSG:4490 或工作空间的高斯-克吕格 EPSG），坐标按其轴顺序 / "
                        "output CRS URI, coordinates in its axis order",
            examples=["http://www.opengis.net/def/crs/EPSG/0/4490"])] = None,
        projector: Projector = Depends(get_projector),
    ) -> OutputCRS:
        return projector.resolve(crs, parameter="crs")

    def bbox_crs_query(
        bbox_crs: Annotated[str | None, Query(
            alias="bbox-crs",
            description="bbox 的坐标系 URI（默认 CRS84）/ CRS of bbox (CRS84 by default)")] = None,
        projector: Projector = Depends(get_projector),
    ) -> OutputCRS:
        return projector.resolve(bbox_crs, parameter="bbox-crs")

    # -- collection descriptions ------------------------------------------------------------
    def visible_types(collection: Collection, snapshot: Snapshot) -> dict[str, str]:
        """The property columns the caller may see, with their types (the queryables)."""
        public = collection.role < Role.planner
        key = ("types", collection.name, snapshot.stamp, snapshot.version, public)
        made = described.get(key, lambda: field_types(
            collection.name, mask(collection.name, snapshot.frame.iloc[:0], collection.role)))
        assert isinstance(made, dict)
        return made

    def describe(collection: Collection, snapshot: Snapshot, projector: Projector, base: str
                 ) -> CollectionInfo:
        public = collection.role < Role.planner
        key = ("describe", collection.name, snapshot.stamp, snapshot.version, public)
        made = described.get(key, lambda: _facts(collection, snapshot, projector))
        assert isinstance(made, tuple)
        description, extent = made
        url = f"{base}/collections/{quote(collection.name, safe='')}"
        return CollectionInfo(
            id=collection.name,
            title=collection.title,
            description=description,
            links=[
                Link(href=url, rel="self", type=JSON, title=collection.title),
                Link(href=f"{url}/items", rel="items", type=GEOJSON,
                     title="要素 / features"),
                Link(href=f"{url}/queryables", rel=REL_QUERYABLES, type=SCHEMA_JSON,
                     title="可查询字段 / queryables"),
            ],
            extent=extent,
            crs=projector.uris,
            storageCrs=projector.storage_uri,
        )

    def _facts(collection: Collection, snapshot: Snapshot, projector: Projector
               ) -> tuple[str, Extent | None]:
        view = mask(collection.name, snapshot.frame, collection.role)
        types = field_types(collection.name, view)
        temporal = temporal_field(collection.name, types)
        schema = collection.schema
        zh = [f"{schema.zh}图层" if schema else f"图层 {collection.name}"]
        en = [f"{schema.en} layer" if schema else f"layer {collection.name}"]
        view_note = PUBLIC_VIEWS.get(collection.name)
        if collection.role < Role.planner and view_note is not None:
            zh.append(f"公众可见：{view_note.note_zh}")
            en.append(f"public view: {view_note.note_en}")
        if not snapshot.is_spatial:
            zh.append("无几何（表格，要素的 geometry 为 null）")
            en.append("no geometry (a table; features have null geometry)")
        if temporal is not None:
            field = schema.get(temporal) if schema else None
            zh.append(f"时间字段（datetime 参数）：{temporal}" + (f"（{field.zh}）" if field else ""))
            en.append(f"temporal field (datetime parameter): {temporal}"
                      + (f" ({field.en})" if field else ""))
        else:
            zh.append("无时间字段")
            en.append("no temporal field")
        extent = Extent()
        if snapshot.is_spatial:
            box = projector.extent(np.asarray(view.geometry.array))
            if box is not None:
                extent.spatial = SpatialExtent(bbox=[box])
        span = date_range(view[temporal]) if temporal is not None else None
        if span is not None:
            extent.temporal = TemporalExtent(interval=[list(span)])
        has_extent = extent.spatial is not None or extent.temporal is not None
        return "；".join(zh) + " / " + "; ".join(en), extent if has_extent else None

    # -- routes -----------------------------------------------------------------------------
    @router.get("/", response_model=LandingPage, response_model_exclude_none=True,
                summary="首页 / landing page")
    def landing(
        request: Request,
        who: Caller = Depends(caller),
        settings: Settings = Depends(get_settings),
        f: str | None = Depends(format_query),
    ) -> LandingPage:
        base = _base(request, settings)
        app = request.app
        links = [Link(href=f"{base}/", rel="self", type=JSON, title="首页 / this document")]
        if app.openapi_url:
            links.append(Link(href=f"{base}{app.openapi_url}", rel="service-desc",
                              type=OPENAPI_JSON, title="OpenAPI 接口定义 / the API definition"))
        if app.docs_url:
            links.append(Link(href=f"{base}{app.docs_url}", rel="service-doc", type="text/html",
                              title="接口文档 / the API documentation"))
        links += [
            Link(href=f"{base}/conformance", rel="conformance", type=JSON,
                 title="符合的标准 / conformance classes"),
            Link(href=f"{base}/collections", rel="data", type=JSON,
                 title="要素集合 / feature collections"),
        ]
        return LandingPage(
            title=settings.title,
            description=("地等 dideng 土地要素保障服务的要素集合（OGC API – Features）；"
                         f"当前角色：{who.role.label} / land layers of the dideng service as "
                         f"OGC API – Features; you are {who.role.name}"),
            links=links,
        )

    @router.get("/conformance", response_model=Conformance,
                summary="符合的标准 / conformance classes")
    def conformance(
        who: Caller = Depends(caller),
        f: str | None = Depends(format_query),
    ) -> Conformance:
        return Conformance(conformsTo=CONFORMANCE)

    @router.get("/collections", response_model=Collections, response_model_exclude_none=True,
                summary="要素集合 / feature collections")
    def collections(
        request: Request,
        who: Caller = Depends(caller),
        store: Store = Depends(get_store),
        settings: Settings = Depends(get_settings),
        projector: Projector = Depends(get_projector),
        f: str | None = Depends(format_query),
    ) -> Collections:
        base = _base(request, settings)
        infos = [
            describe(Collection(name, who.role, store, layer_schema(name)),
                     store.snapshot(name), projector, base)
            for name in visible_layers(store.names(), who.role)
        ]
        return Collections(
            links=[Link(href=f"{base}/collections", rel="self", type=JSON,
                        title="要素集合 / feature collections")],
            collections=infos,
        )

    @router.get("/collections/{collectionId}", response_model=CollectionInfo,
                response_model_exclude_none=True, summary="一个要素集合 / one collection")
    def collection(
        request: Request,
        coll: Collection = Depends(resolve),
        settings: Settings = Depends(get_settings),
        projector: Projector = Depends(get_projector),
        f: str | None = Depends(format_query),
    ) -> CollectionInfo:
        return describe(coll, coll.store.snapshot(coll.name), projector,
                        _base(request, settings))

    @router.get("/collections/{collectionId}/queryables", response_model=Queryables,
                response_class=SchemaJSONResponse, responses=JSON_ERRORS,
                summary="可查询字段 / queryables")
    def queryables(
        request: Request,
        coll: Collection = Depends(resolve),
        settings: Settings = Depends(get_settings),
        f: str | None = Depends(format_query),
    ) -> Response:
        snapshot = coll.store.snapshot(coll.name)
        view = mask(coll.name, snapshot.frame, coll.role)
        base = _base(request, settings)
        document = queryables_schema(
            coll.name, view,
            uri=f"{base}/collections/{quote(coll.name, safe='')}/queryables",
            spatial=snapshot.is_spatial, title=coll.title)
        return SchemaJSONResponse(document)

    @router.get("/collections/{collectionId}/items", response_model=FeatureCollection,
                response_class=GeoJSONResponse,
                responses={**JSON_ERRORS, 200: {"headers": CONTENT_CRS}},
                summary="要素 / features")
    def items(
        request: Request,
        coll: Collection = Depends(resolve),
        bbox: tuple[float, float, float, float] | None = Depends(bbox_query),
        bbox_crs: OutputCRS = Depends(bbox_crs_query),
        out: OutputCRS = Depends(crs_query),
        limit: int = Depends(limit_query),
        offset: int = Depends(offset_query),
        interval: Interval | None = Depends(datetime_query),
        settings: Settings = Depends(get_settings),
        projector: Projector = Depends(get_projector),
        f: str | None = Depends(format_query),
    ) -> Response:
        store = coll.store
        # 1. the spatial test: live index, then the exact test on the candidates
        positions: np.ndarray | None = None
        if bbox is None:
            snapshot = store.snapshot(coll.name)
        else:
            area = projector.box_to_storage(bbox, bbox_crs)
            if area is None:
                snapshot, positions = store.snapshot(coll.name), np.zeros(0, np.int64)
            else:
                snapshot, iids = store.query(coll.name, tuple(shapely.bounds(area)))
                found = np.sort(snapshot.frame.index.get_indexer(iids))
                found = found[found >= 0]
                geometries = _geometries(snapshot)
                if geometries is None or not len(found):
                    positions = np.zeros(0, np.int64)
                else:
                    shapely.prepare(area)
                    hit = shapely.intersects(np.asarray(geometries[found]), area)
                    positions = found[np.asarray(hit, dtype=bool)]
        frame = snapshot.frame
        # 2. what the caller may see, and the filters on it
        types = visible_types(coll, snapshot)
        filters = _filters(request, coll, types)
        temporal = temporal_field(coll.name, types) if interval is not None else None
        if interval is not None and temporal is None:
            raise ValidationError(
                f"集合 {coll.name} 没有时间字段，不能用 datetime 筛选",
                f"collection {coll.name} has no temporal field; datetime cannot be used")
        view = mask(coll.name, frame if positions is None else frame.iloc[positions], coll.role)
        keep = np.ones(len(view), dtype=bool)
        for name, value in filters.items():
            keep &= matches(view[name], value, types[name])
        if interval is not None and temporal is not None:
            keep &= in_interval(view[temporal], interval)
        if not keep.all():
            view = view[keep]
        # 3. the page
        matched = len(view)
        start = min(offset, matched)
        page = view.iloc[start:start + limit]
        rows = frame.index.get_indexer(page.index)
        body = collection_json(
            _encode(snapshot, rows, page, out, projector),
            {
                "links": _page_links(request, settings, coll, offset, limit, matched),
                "numberMatched": matched,
                "numberReturned": len(page),
                "timeStamp": _timestamp(),
            },
        )
        return Response(body, media_type=GEOJSON, headers={"Content-Crs": f"<{out.uri}>"})

    @router.get("/collections/{collectionId}/items/{featureId}", response_model=Feature,
                response_class=GeoJSONResponse,
                responses={**JSON_ERRORS, 200: {"headers": CONTENT_CRS}},
                summary="一个要素 / one feature")
    def item(
        request: Request,
        featureId: Annotated[str, Path(description="要素编号 / feature id")],
        coll: Collection = Depends(resolve),
        out: OutputCRS = Depends(crs_query),
        settings: Settings = Depends(get_settings),
        projector: Projector = Depends(get_projector),
        f: str | None = Depends(format_query),
    ) -> Response:
        _reject_unknown(request, frozenset({"crs", "f"}))
        snapshot = coll.store.snapshot(coll.name)
        position = snapshot.position(featureId)
        view = mask(coll.name, snapshot.frame.iloc[[position]], coll.role)
        if view.empty:  # masked out: as missing as a feature that does not exist
            raise UnknownFeatureError(f"集合 {coll.name} 中没有要素 {featureId!r}",
                                      f"no feature {featureId!r} in collection {coll.name}")
        base = _base(request, settings)
        url = f"{base}/collections/{quote(coll.name, safe='')}"
        links = [
            Link(href=f"{url}/items/{quote(featureId, safe='')}", rel="self", type=GEOJSON),
            Link(href=url, rel="collection", type=JSON, title=coll.title),
        ]
        text = _encode(snapshot, np.array([position]), view, out, projector)[0]
        body = add_members(text, {"links": [link.model_dump(exclude_none=True)
                                            for link in links]})
        return Response(body, media_type=GEOJSON, headers={"Content-Crs": f"<{out.uri}>"})

    def _encode(snapshot: Snapshot, rows: np.ndarray, page: pd.DataFrame, out: OutputCRS,
                projector: Projector) -> list[str]:
        """Feature texts of the snapshot's ``rows`` (whose masked properties are ``page``)."""
        geometries = _geometries(snapshot)
        if geometries is None:
            shapes: Any = ["null"] * len(rows)
        else:
            shapes = geometry_cache.texts(
                (snapshot.name, snapshot.stamp, snapshot.version, out.uri),
                len(snapshot.frame), rows,
                lambda where: projector.geojson(np.asarray(geometries[where]), out))
        return feature_texts(snapshot.ids[rows], shapes, properties_json(page))

    return router


def _page_links(request: Request, settings: Settings, collection: Collection, offset: int,
                limit: int, matched: int) -> list[dict[str, str]]:
    """self, next and prev (keeping the other parameters) and the collection."""
    base = _base(request, settings)
    url = f"{base}/collections/{quote(collection.name, safe='')}"
    others = [(k, v) for k, v in request.query_params.multi_items()
              if k not in ("offset", "limit")]

    def page(at: int) -> str:
        return f"{url}/items?" + urlencode([*others, ("limit", str(limit)),
                                            ("offset", str(at))], safe=",:/")

    links = [{"href": page(offset), "rel": "self", "type": GEOJSON,
              "title": "本页 / this page"}]
    if offset + limit < matched:
        links.append({"href": page(offset + limit), "rel": "next", "type": GEOJSON,
                      "title": "下一页 / next page"})
    if offset > 0:
        links.append({"href": page(max(0, offset - limit)), "rel": "prev", "type": GEOJSON,
                      "title": "上一页 / previous page"})
    links.append({"href": url, "rel": "collection", "type": JSON, "title": collection.title})
    return links
