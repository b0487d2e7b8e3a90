"""Uploads: ``POST /imports/{layer}`` (admin) replaces a layer from a file; ``GET /imports``
(planner) lists the import log.

The route is a thin face over :func:`gis.imports.import_file` — the same pipeline as
``dideng import``: sniff, map headers, place and reproject, validate, write atomically with a
log line. What the face adds is the care an upload needs:

* **before the body is read** (FastAPI parses a multipart body before it resolves any
  dependency, so :class:`UploadRoute` does this first): the key must be an admin's, the layer
  must exist and a declared ``Content-Length`` must fit ``DIDENG_MAX_UPLOAD_MB``; then the body
  is counted as it arrives and reading stops (413) once it is over the limit;
* the file is copied in chunks into a private temporary directory under a name the service
  chooses — the client's file name is never a path; only its suffix is kept, from an
  allow-list (415 otherwise) — and the directory is removed whatever happens;
* zips are opened by :mod:`gis.io.vector`, which refuses path traversal and zip bombs (400);
* rows rejected and ``allow_rejects`` false: nothing is written and the answer is 422 with the
  same :class:`ImportAnswer` (the report says why, row by row);
* after a write the store takes the new layer up (:meth:`api.store.Store.reload`): the live
  index is updated by deletes and inserts, and readers switch from the old snapshot to the new
  one at once.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Coroutine
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import IO, Annotated, Any, Literal

import pandas as pd
from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi import Path as PathParam
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException
from starlette.types import Message, Receive

from api.auth import Caller, caller
from api.deps import get_settings, get_store, needs
from api.errors import ApiError, OGCException
from api.settings import Settings
from api.store import Store
from gis.access import Role, require
from gis.errors import DidengError, ValidationError
from gis.imports import ImportResult, import_file
from layers import catalogue

__all__ = ["SUFFIXES", "ImportAnswer", "ImportLogLine", "UploadRoute", "imports_router"]

#: the file suffixes an upload may have (a shapefile travels as a .zip with its sidecars)
SUFFIXES = (".gpkg", ".zip", ".geojson", ".json", ".parquet", ".xlsx", ".xls", ".csv", ".txt")

#: room for the multipart envelope (boundaries, part headers, the small form fields) on top of
#: the file itself when the whole request body is counted
FORM_OVERHEAD = 64 * 1024

_CHUNK = 1024 * 1024
_ADMIN_ZH, _ADMIN_EN = "导入数据", "importing"


# -- answers --------------------------------------------------------------------------------
class IssueOut(BaseModel):
    """One finding of the import report (see :class:`gis.report.Issue`)."""

    status: Literal["note", "repaired", "rejected"]
    code: str
    zh: str
    en: str
    row: int | None = Field(None, description="源文件中的行号 / row number in the source file")
    key: str | None = None
    field: str | None = None
    value: str | None = None


class Counts(BaseModel):
    read: int
    ok: int
    repaired: int
    rejected: int


class ReportOut(BaseModel):
    """The import report: counts, and every finding in Chinese and English."""

    source: str | None = Field(None, description="上传的文件名 / the uploaded file's name")
    layer: str | None = None
    counts: Counts
    issues: list[IssueOut]


class ImportAnswer(BaseModel):
    """What an upload did. ``written`` false (status 422): rows were rejected and nothing
    changed; send ``allow_rejects=true`` to import the accepted rows only."""

    layer: str
    written: bool
    rows_written: int
    report: ReportOut


class ImportLogLine(BaseModel):
    """One line of the workspace's import log (CLI, API and demo imports alike)."""

    at: datetime | None = None
    layer: str
    source: str = Field(description="来源文件；经服务上传时注明密钥持有人 / source file; "
                                    "uploads name the key holder")
    sha256: str | None = None
    rows_read: int | None = None
    rows_repaired: int | None = None
    rows_rejected: int | None = None
    rows_written: int | None = None
    mode: str | None = None


# -- guarding the body ----------------------------------------------------------------------
class _BodyTooLarge(HTTPException):
    """Raised while the body is being read; an HTTPException so that FastAPI lets it through
    its body parsing untouched (anything else becomes a 400 there)."""

    def __init__(self) -> None:
        super().__init__(status_code=413)


def _too_large(settings: Settings) -> ApiError:
    mb = f"{settings.max_upload_mb:g}"
    return ApiError(413, f"上传文件超过 {mb} MB 上限（DIDENG_MAX_UPLOAD_MB），未导入",
                    f"the upload is over the {mb} MB limit (DIDENG_MAX_UPLOAD_MB); "
                    "nothing was imported")


def _counting(receive: Receive, cap: int) -> Receive:
    """``receive`` that raises :class:`_BodyTooLarge` once more than ``cap`` bytes came in."""
    seen = 0

    async def counted() -> Message:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > cap:
                raise _BodyTooLarge()
        return message

    return counted


class UploadRoute(APIRoute):
    """An API route that vets an upload before its body is read.

    FastAPI reads (and spools to disk) a multipart body before it resolves the route's
    dependencies, so a caller without the right key could make the service store 200 MB
    before hearing 403. This route checks the key (admin), the layer and the declared size
    first, then counts the body as it arrives and stops reading it at the limit. The route's
    own dependencies still run afterwards and remain the documented checks.
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()

        async def vetted(request: Request) -> Response:
            settings: Settings = request.app.state.settings
            who = caller(request, request.headers.get("x-api-key"))
            require(who.role, Role.admin, _ADMIN_ZH, _ADMIN_EN)
            catalogue.resolve_layer(request.path_params.get("layer", ""))
            cap = settings.max_upload_bytes + FORM_OVERHEAD
            try:
                declared = int(request.headers.get("content-length", ""))
            except ValueError:
                declared = None  # chunked: counted below
            if declared is not None and declared > cap:
                raise _too_large(settings)
            try:
                return await handle(Request(request.scope, _counting(request.receive, cap)))
            except _BodyTooLarge:
                raise _too_large(settings) from None

        return vetted


# -- reading the request ----------------------------------------------------------------------
def _original_name(filename: str | None) -> str:
    """The client's file name for messages and the log only: its last component, printable
    characters, at most 200 of them."""
    base = PurePosixPath((filename or "").replace("\\", "/")).name
    base = "".join(c for c in base if c.isprintable())[:200].strip()
    return base or "upload"


def _suffix(name: str) -> str:
    suffix = PurePosixPath(name).suffix.lower()
    if suffix in SUFFIXES:
        return suffix
    allowed = " ".join(SUFFIXES)
    shp_zh = "；Shapefile 请连同 .dbf/.shx/.prj 打包成 .zip 上传" if suffix == ".shp" else ""
    shp_en = "; zip a shapefile with its .dbf/.shx/.prj and upload the .zip" if (
        suffix == ".shp") else ""
    raise ApiError(415, f"不支持的文件类型 {suffix or '（无后缀）'}：{name}；可上传 {allowed}{shp_zh}",
                   f"unsupported file type {suffix or '(no suffix)'}: {name}; upload one of "
                   f"{allowed}{shp_en}")


def _parse_defaults(text: str | None) -> dict[str, str]:
    """``"supplied_on=2020-01-01;zone_id=KFQ-DY"`` → a dict (``;``, ``；`` or new lines)."""
    pairs: dict[str, str] = {}
    for item in (text or "").replace("；", ";").replace("\n", ";").split(";"):
        if not item.strip():
            continue
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise ValidationError(f"defaults 应写成 字段=值;字段=值：{item.strip()!r}",
                                  f"defaults must read FIELD=VALUE;FIELD=VALUE: {item.strip()!r}")
        pairs[name.strip()] = value.strip()
    return pairs


def _save(source: IO[bytes], target: Path, settings: Settings) -> int:
    """Copy the upload in chunks, stopping (413) as soon as it is over the limit."""
    limit = settings.max_upload_bytes
    size = 0
    with target.open("wb") as out:
        while chunk := source.read(_CHUNK):
            size += len(chunk)
            if size > limit:
                raise _too_large(settings)
            out.write(chunk)
    if size == 0:
        raise ValidationError("上传的文件是空的", "the uploaded file is empty")
    return size


# -- answering ----------------------------------------------------------------------------------
def _shown(value: object, saved: Path, original: str) -> object:
    """``value`` in the uploader's terms: the saved copy's path and name replaced by the
    client's file name (the server's paths are nobody's business), the CLI's
    ``--allow-rejects`` by the form field ``allow_rejects=true``."""
    if isinstance(value, str):
        return value.replace(str(saved), original).replace(saved.name, original).replace(
            "--allow-rejects", "allow_rejects=true")
    return value


def _answer(layer: str, result: ImportResult, saved: Path, original: str) -> ImportAnswer:
    """The answer, in the user's terms (see :func:`_shown`)."""
    report = result.report.to_dict()
    issues = report.get("issues", [])
    assert isinstance(issues, list)
    return ImportAnswer(
        layer=layer,
        written=result.written,
        rows_written=result.rows_written,
        report=ReportOut(
            source=original,
            layer=layer,
            counts=Counts.model_validate(report["counts"]),
            issues=[IssueOut.model_validate({k: _shown(v, saved, original)
                                             for k, v in issue.items()}) for issue in issues],
        ),
    )


def _log_lines(log: pd.DataFrame) -> list[ImportLogLine]:
    rows = log.astype(object).where(log.notna(), None).to_dict("records")
    return [ImportLogLine.model_validate(row) for row in rows]


def _error(description: str) -> dict[str, Any]:
    return {"model": OGCException, "description": description}


# -- the router ---------------------------------------------------------------------------------
def imports_router() -> APIRouter:
    """``POST /imports/{layer}`` (admin) and ``GET /imports`` (planner)."""
    router = APIRouter(tags=["imports"])

    def upload(
        layer: Annotated[str, PathParam(
            description="目录中的图层名（或中文名），如 parcels、宗地 / catalogue layer, e.g. "
                        "parcels")],
        file: Annotated[UploadFile, File(
            description="GeoPackage、Shapefile(.zip)、GeoJSON、GeoParquet、Excel、CSV 或部标 TXT")],
        who: Annotated[Caller, Depends(needs(Role.admin, _ADMIN_ZH, _ADMIN_EN))],
        store: Annotated[Store, Depends(get_store)],
        settings: Annotated[Settings, Depends(get_settings)],
        allow_rejects: Annotated[bool, Form(
            description="有被拒绝的行时仍导入合格行 / import the accepted rows even if some "
                        "are rejected")] = False,
        crs: Annotated[str | None, Form(
            description="源数据坐标系（文件未声明或声明错误时），如 EPSG:4528 / source CRS")] = None,
        sheet: Annotated[str | None, Form(description="Excel 工作表名或序号 / sheet")] = None,
        source_layer: Annotated[str | None, Form(
            description="GeoPackage/ZIP 中的图层 / layer inside the file")] = None,
        encoding: Annotated[str | None, Form(
            description="强制编码，如 GBK / force an encoding")] = None,
        defaults: Annotated[str | None, Form(
            description="空值默认，如 supplied_on=2020-01-01;zone_id=KFQ-DY / values for empty "
                        "cells")] = None,
    ) -> ImportAnswer | JSONResponse:
        """上传文件并替换图层（校验并生成报告）/ Upload a file that replaces a layer.

        有被拒绝的行且未设 ``allow_rejects`` 时不写入任何数据，返回 422 与同样的报告 /
        when rows are rejected and ``allow_rejects`` is false nothing is written and the
        answer is 422 with the same report.
        """
        lay = catalogue.resolve_layer(layer)
        original = _original_name(file.filename)
        suffix = _suffix(original)
        pairs = _parse_defaults(defaults)
        with tempfile.TemporaryDirectory(prefix="dideng-upload-") as folder:
            saved = Path(folder) / f"upload{suffix}"
            _save(file.file, saved, settings)
            try:
                result = import_file(
                    store.workspace, lay.name, saved, allow_rejects=allow_rejects,
                    crs=crs or None,
                    sheet=int(sheet) if sheet and sheet.isdigit() else (sheet or None),
                    source_layer=source_layer or None, encoding=encoding or None,
                    defaults=pairs or None, source_name=f"{original} (API {who.name})",
                )
            except DidengError as exc:  # a bad file: say so in the user's terms
                exc.zh = str(_shown(exc.zh, saved, original))
                exc.en = str(_shown(exc.en, saved, original))
                raise
            answer = _answer(lay.name, result, saved, original)
        if not result.written:
            return JSONResponse(answer.model_dump(mode="json"), status_code=422)
        store.reload(lay.name)
        return answer

    router.add_api_route(
        "/imports/{layer}", upload, methods=["POST"], response_model=ImportAnswer,
        summary="导入文件 / import a file", route_class_override=UploadRoute,
        form_limits={"max_files": 1, "max_fields": 16},
        responses={
            413: _error("文件超过 DIDENG_MAX_UPLOAD_MB / upload over the size limit"),
            415: _error("不支持的文件类型 / unsupported file type (" + " ".join(SUFFIXES) + ")"),
            422: {"model": ImportAnswer,
                  "description": "有被拒绝的行，未写入 / rows rejected, nothing written"},
        },
    )

    @router.get("/imports", response_model=list[ImportLogLine],
                summary="导入记录 / the import log",
                dependencies=[Depends(needs(Role.planner, "查看导入记录", "reading the import log"))])
    def import_log(store: Annotated[Store, Depends(get_store)]) -> list[ImportLogLine]:
        """工作空间的导入记录，最早的在前 / the workspace's import log, oldest first."""
        return _log_lines(store.workspace.import_log())

    return router
