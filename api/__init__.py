"""dideng's web service: OGC API – Features for QGIS, the planner endpoints, uploads.

``create_app(settings)`` builds the FastAPI application over one workspace; ``dideng serve``
runs it with uvicorn. Each router is a thin face over a ``gis`` function (DESIGN.md §6) and can
be mounted alone on a bare ``FastAPI()``:

* :func:`api.ogc.features_router` — landing page, conformance, collections, items, queryables;
* :func:`api.analyses.analyses_router` — /cleanup, /evaluation, /match;
* :func:`api.imports.imports_router` — /imports/{layer};
* :func:`api.edits.edits_router` — PATCH / DELETE of one feature (admin);
* :func:`api.maps.maps_router` — /maps: web maps (HTML), park posters and site briefs (PDF).

Roles and masking come from :mod:`gis.access`; errors map to HTTP in :mod:`api.errors`.
"""

from __future__ import annotations

from fastapi import FastAPI

from api.errors import ERROR_RESPONSES, add_exception_handlers
from api.settings import Settings

__all__ = ["Settings", "create_app"]

__version__ = "0.1.0"

DESCRIPTION = """\
地等 dideng 土地要素保障服务 / land and element-guarantee service.

* **OGC API – Features**（/collections）：QGIS 可直接添加为图层源 / add it to QGIS as an
  OGC API – Features connection.
* **三清、亩均、地等项目** / clean-ups, per-mu evaluation, project matching: /cleanup, /evaluation,
  /match（需 planner 密钥 / planner key）.
* **导入** / imports: POST /imports/{layer}（需 admin 密钥 / admin key）.
* **地图** / maps: /maps/park/{zone_id}（公众可看 / public）, /maps/park/{zone_id}.pdf（招商图 /
  print poster）, /maps/cleanup, /maps/evaluation, /maps/match/{id}（需 planner 密钥）.

没有密钥即为公众角色，只能看到可供应地块与园区 / without a key you are the public: available
land and zones only.
"""


def create_app(settings: Settings | None = None) -> FastAPI:
    """The service over ``settings.workspace``."""
    from api.analyses import analyses_router
    from api.auth import KeyRing
    from api.edits import edits_router
    from api.imports import imports_router
    from api.maps import maps_router
    from api.ogc import features_router
    from api.store import Memo, Store
    from gis.errors import WorkspaceError
    from gis.policy import Policy
    from gis.workspace import open_workspace

    settings = settings or Settings()
    if settings.location is None:
        raise WorkspaceError("未配置工作空间（DIDENG_WORKSPACE 或 DIDENG_DATABASE_URL）",
                             "no workspace configured (DIDENG_WORKSPACE or DIDENG_DATABASE_URL)")
    workspace = open_workspace(settings.location)
    production = settings.environment == "production"
    keys = KeyRing.load(keys=settings.api_keys, keys_file=settings.keys_file,
                        demo=settings.demo_keys, production=production)

    app = FastAPI(
        title=settings.title,
        version=__version__,
        description=DESCRIPTION,
        openapi_tags=[
            {"name": "OGC API – Features", "description": "要素服务 / feature collections"},
            {"name": "analyses", "description": "三清、亩均、地等项目 / planner analyses"},
            {"name": "imports", "description": "数据导入 / uploads (admin)"},
            {"name": "edits", "description": "要素编辑 / feature edits (admin)"},
            {"name": "maps", "description": "网页地图与打印图 / web maps and print maps"},
        ],
    )
    app.state.settings = settings
    app.state.keys = keys
    app.state.policy = Policy.load(settings.policy)
    app.state.store = Store(workspace, refresh_seconds=settings.refresh_seconds)
    app.state.memo = Memo(8)
    app.state.matches = Memo(settings.match_results_kept)
    add_exception_handlers(app)
    app.include_router(features_router(), responses=ERROR_RESPONSES)
    app.include_router(analyses_router(), responses=ERROR_RESPONSES)
    app.include_router(imports_router(), responses=ERROR_RESPONSES)
    app.include_router(edits_router(), responses=ERROR_RESPONSES)
    app.include_router(maps_router(), responses=ERROR_RESPONSES)
    _answer_400_not_422(app)
    return app


def _answer_400_not_422(app: FastAPI) -> None:
    """Invalid requests are answered 400 with an OGC exception body (api.errors); drop the
    422 FastAPI documents by default so the OpenAPI document says what the service does."""
    from fastapi.openapi.utils import get_openapi

    def openapi() -> dict:
        if app.openapi_schema is None:
            doc = get_openapi(title=app.title, version=app.version, description=app.description,
                              routes=app.routes, tags=app.openapi_tags)
            for path in doc.get("paths", {}).values():
                for operation in path.values():
                    responses = operation.get("responses", {})
                    default = responses.get("422", {})
                    if "HTTPValidationError" in str(default):
                        del responses["422"]
            for name in ("HTTPValidationError", "ValidationError"):
                doc.get("components", {}).get("schemas", {}).pop(name, None)
            app.openapi_schema = doc
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
