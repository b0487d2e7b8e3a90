"""The map faces: interactive HTML maps and the printed park poster / site brief.

* GET /maps/cleanup, /maps/evaluation, /maps/match/{answer_id} — planner maps (HTML);
* GET /maps/park/{zone_id} — the park's land on offer: open to the public (public mask),
  planners see the internal audience;
* GET /maps/park/{zone_id}.pdf|.png — the printed poster (:func:`gis.maps.print.park_poster`);
* GET /maps/match/{answer_id}/brief.pdf — the brief of one site (:func:`gis.maps.print.site_brief`);
* GET /maps/static/... — the vendored Leaflet the HTML maps load (no CDN: intranets work).

The analyses are computed and cached exactly as /cleanup and /evaluation do (same memo keys),
so a map and its ledger always show the same result.
"""

from __future__ import annotations

import enum
from typing import Annotated, Any

import pandas as pd
from fastapi import APIRouter, Depends, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import FileResponse, HTMLResponse, Response

from api.analyses import as_of_query, cleanup_result, evaluation_result, year_query
from api.auth import Caller, caller
from api.deps import MemoDep, PolicyDep, SettingsDep, StoreDep, needs
from api.errors import JSON_ERRORS, ApiError
from api.settings import Settings
from api.store import Store
from gis.access import Role, require
from gis.maps.interactive import BASEMAPS, STATIC_DIR
from layers import MATCH_LAYERS

__all__ = ["maps_router"]

HTML = "text/html"
PDF = "application/pdf"
PNG = "image/png"
#: layers a park map reads (result layers when the workspace holds them)
PARK_LAYERS = ("zones", "parcels", "unsupplied_pieces", "idle", "low_efficiency",
               "infrastructure", "constraints")



class Basemap(enum.StrEnum):
    osm = "osm"
    tianditu_vec = "tianditu_vec"
    tianditu_img = "tianditu_img"
    amap = "amap"
    none = "none"


assert tuple(Basemap) == BASEMAPS


class Paper(enum.StrEnum):
    A4 = "A4"
    A3 = "A3"
    A2 = "A2"
    A1 = "A1"
    A0 = "A0"


class Orientation(enum.StrEnum):
    landscape = "landscape"
    portrait = "portrait"


class Audience(enum.StrEnum):
    public = "public"
    internal = "internal"


def _basemap(basemap: Annotated[Basemap, Query(
        description="底图：osm（默认）、tianditu_vec / tianditu_img（需 tk）、amap（叠加图层转 GCJ-02）、"
                    "none / basemap")] = Basemap.osm) -> str:
    return basemap.value


def _tk(request: Request, tk: Annotated[str | None, Query(
        max_length=64, pattern=r"^[0-9A-Za-z]+$",
        description="天地图密钥（默认取服务配置）/ Tianditu key (default: the service's)")] = None
        ) -> str | None:
    return tk or getattr(request.app.state.settings, "tianditu_key", None)


BasemapDep = Annotated[str, Depends(_basemap)]
TkDep = Annotated[str | None, Depends(_tk)]


def _html(request: Request) -> dict[str, Any]:
    """Where the map's assets and the bbox API are, as seen by the browser."""
    root = request.scope.get("root_path", "").rstrip("/")
    return {"static_url": f"{root}/maps/static", "api_url": root or "/", "offline": False}


def _page(m) -> HTMLResponse:
    return HTMLResponse(m.get_root().render())


def _responses(kind: str, what: str) -> dict[int | str, dict[str, Any]]:
    schema = {"type": "string"} if kind == HTML else {"type": "string", "format": "binary"}
    return {**JSON_ERRORS, 200: {"description": what, "content": {kind: {"schema": schema}}}}


def _printing():
    try:
        from gis.maps import print as printing
    except ImportError:
        raise ApiError(503, "印刷地图模块不可用（gis.maps.print）",
                       "print maps are not available (gis.maps.print)") from None
    return printing


def _stored_match(request: Request, answer_id: str, settings: Settings) -> dict[str, Any]:
    stored = request.app.state.matches.peek(answer_id)
    if stored is None:
        kept = settings.match_results_kept
        raise ApiError(404, f"没有编号为 {answer_id} 的匹配结果（可能已过期：只保留最近 {kept} 次）",
                       f"no match result {answer_id} (it may have expired: the latest {kept} "
                       "are kept)")
    return stored.model_dump(mode="json")  # type: ignore[no-any-return]


def _zone_check(store: Store, zone_id: str) -> None:
    zones = store.frames(["zones"]).get("zones")
    if zones is None or not zones["zone_id"].astype("string").eq(zone_id).fillna(False).any():
        raise ApiError(404, f"没有编号为 {zone_id} 的开发区或园区", f"no zone or park {zone_id!r}")


def maps_router() -> APIRouter:
    """/maps/… (tag "maps")."""
    router = APIRouter(tags=["maps"])

    @router.get("/maps/static/{path:path}", include_in_schema=False)
    def static(path: str) -> FileResponse:
        base = STATIC_DIR.resolve()
        target = (base / path).resolve()
        if not target.is_relative_to(base) or not target.is_file():
            raise ApiError(404, f"没有静态文件 {path}", f"no static file {path}")
        return FileResponse(target)

    @router.get(
        "/maps/cleanup", response_class=HTMLResponse, operation_id="map_cleanup",
        summary="三清图 / the clean-up map",
        dependencies=[Depends(needs(Role.planner, "三清图", "the clean-up map"))],
        responses=_responses(HTML, "交互式地图 / interactive map (HTML)"))
    def map_cleanup(request: Request, day: Annotated[pd.Timestamp, Depends(as_of_query)],
                    basemap: BasemapDep, tk: TkDep, store: StoreDep, memo: MemoDep,
                    policy: PolicyDep) -> HTMLResponse:
        """闲置（按处置建议）、批而未供地块（可/不可供应）、低效用地（按原因）的交互式地图。

        The three clean-ups at ``as_of`` on one interactive map (same result as /cleanup)."""
        from gis.maps.interactive import cleanup_map

        result = cleanup_result(store, memo, policy, day)
        layers = store.frames(("zones", "constraints", "infrastructure"))
        return _page(cleanup_map(result, layers, basemap=basemap, tianditu_key=tk,
                                 **_html(request)))

    @router.get(
        "/maps/evaluation", response_class=HTMLResponse, operation_id="map_evaluation",
        summary="亩均评价图 / the per-mu map",
        dependencies=[Depends(needs(Role.planner, "亩均评价图", "the per-mu map"))],
        responses=_responses(HTML, "交互式地图 / interactive map (HTML)"))
    def map_evaluation(request: Request, year: Annotated[int | None, Depends(year_query)],
                       basemap: BasemapDep, tk: TkDep, store: StoreDep, memo: MemoDep,
                       policy: PolicyDep) -> HTMLResponse:
        """宗地亩均评价等级分级图与开发区集约利用指标。/ Parcels by per-mu class, zone
        indicators (same result as /evaluation)."""
        from gis.maps.interactive import permu_map

        result = evaluation_result(store, memo, policy, year)
        layers = store.frames(("zones", "constraints", "infrastructure"))
        return _page(permu_map(result, layers, basemap=basemap, tianditu_key=tk,
                               **_html(request)))

    @router.get(
        "/maps/match/{answer_id}", response_class=HTMLResponse, operation_id="map_match",
        summary="地等项目候选地块图 / the map of a match",
        dependencies=[Depends(needs(Role.planner, "地等项目地图", "the match map"))],
        responses=_responses(HTML, "交互式地图 / interactive map (HTML)"))
    def map_match(request: Request,
                  answer_id: Annotated[str, PathParam(max_length=64,
                                                      description="POST /match 给出的 id")],
                  basemap: BasemapDep, tk: TkDep, store: StoreDep,
                  settings: SettingsDep) -> HTMLResponse:
        """一次匹配的候选地块（按名次编号）、组成宗地与最接近的落选地块。/ The sites of an
        earlier POST /match, numbered by rank, and the near-misses."""
        from gis.maps.interactive import match_map

        answer = _stored_match(request, answer_id, settings)
        layers = store.frames((*MATCH_LAYERS, "unsupplied_pieces"))
        return _page(match_map(answer, layers, basemap=basemap, tianditu_key=tk,
                               **_html(request)))

    @router.get(
        "/maps/match/{answer_id}/brief.pdf", response_class=Response,
        operation_id="map_match_brief", summary="候选地块简介 PDF / a site brief",
        dependencies=[Depends(needs(Role.planner, "地块简介", "the site brief"))],
        responses=_responses(PDF, "地块简介 / the site brief (PDF)"))
    def match_brief(request: Request,
                    answer_id: Annotated[str, PathParam(max_length=64)],
                    store: StoreDep, settings: SettingsDep,
                    site: Annotated[int, Query(ge=1, le=50, description="名次 / rank")] = 1,
                    ) -> Response:
        """一个候选地块的简介（默认第 1 名）。/ The printed brief of one site (rank 1 by
        default)."""
        answer = _stored_match(request, answer_id, settings)
        chosen = next((s for s in answer.get("sites") or [] if s.get("rank") == site), None)
        if chosen is None:
            raise ApiError(404, f"该匹配结果没有第 {site} 名地块", f"this match has no site {site}")
        printing = _printing()
        layers = store.frames((*MATCH_LAYERS, "unsupplied_pieces"))
        pdf = printing.site_brief(chosen, answer.get("project") or {}, layers,
                                  as_of=answer.get("as_of"))
        return Response(pdf, media_type=PDF, headers={
            "Content-Disposition": f'inline; filename="site_{answer_id}_{site}.pdf"'})

    def poster(fmt: str) -> Any:
        def route(zone_id: Annotated[str, PathParam(max_length=64)], store: StoreDep,
                  who: Annotated[Caller, Depends(caller)],
                  paper: Annotated[Paper, Query(description="纸张 / paper")] = Paper.A3,
                  orientation: Annotated[Orientation, Query()] = Orientation.landscape,
                  audience: Annotated[Audience, Query(
                      description="public（公众，默认）或 internal（内部，需 planner）")]
                  = Audience.public,
                  contact: Annotated[str | None, Query(max_length=200)] = None,
                  ) -> Response:
            if audience is Audience.internal:
                require(who.role, Role.planner, "内部版招商图", "the internal poster")
            _zone_check(store, zone_id)
            printing = _printing()
            reference = store.workspace.get_meta("demo_as_of")
            layers = store.frames((*PARK_LAYERS, "zoning"))
            data = printing.park_poster(layers, zone_id, paper=paper.value,
                                        orientation=orientation.value,
                                        audience=audience.value, as_of=reference,
                                        contact=contact, fmt=fmt)
            return Response(data, media_type=PDF if fmt == "pdf" else PNG)

        return route

    for fmt, kind in (("pdf", PDF), ("png", PNG)):
        router.add_api_route(
            f"/maps/park/{{zone_id}}.{fmt}", poster(fmt), methods=["GET"],
            response_class=Response, operation_id=f"map_park_{fmt}",
            summary=f"园区招商图（{fmt.upper()}）/ the park poster",
            description="可打印的园区招商图；公众版不含权利人与企业数据。/ The printed park "
                        "poster; the public version shows no owner and no figure.",
            responses=_responses(kind, f"招商图 / the poster ({fmt})"))

    @router.get(
        "/maps/park/{zone_id}", response_class=HTMLResponse, operation_id="map_park",
        summary="园区招商地图 / the park map",
        responses=_responses(HTML, "交互式地图 / interactive map (HTML)"))
    def map_park(request: Request, zone_id: Annotated[str, PathParam(max_length=64)],
                 basemap: BasemapDep, tk: TkDep, store: StoreDep,
                 who: Annotated[Caller, Depends(caller)]) -> HTMLResponse:
        """园区可供应土地（储备宗地、可供应的批而未供地块）与道路、配套设施。无密钥即公众版
        （不含权利人与企业数据）；planner 看到内部版。

        A park's land on offer with roads and facilities. Without a key: the public version
        (no owner, no figure); planners get the internal one."""
        from gis.maps.interactive import park_map

        _zone_check(store, zone_id)
        role = Role.planner if who.role >= Role.planner else Role.public
        layers = store.frames(PARK_LAYERS)
        return _page(park_map(layers, zone_id, role=role, basemap=basemap, tianditu_key=tk,
                              **_html(request)))

    return router

