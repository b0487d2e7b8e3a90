"""Errors to HTTP, once: the status table and the exception handlers.

Every error answer has the OGC API exception body (``code`` and ``description``) plus the
message in Chinese and English. Bad input is a 4xx; a 500 only ever means a bug, and its body
never carries a traceback.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from gis.errors import (
    AccessDenied,
    AuthenticationError,
    DidengError,
    ImportRejected,
    SetupError,
    UnknownFeatureError,
    UnknownLayerError,
    ValidationError,
    WorkspaceError,
)

__all__ = ["ERROR_RESPONSES", "JSON_ERRORS", "STATUS_CODES", "ApiError", "OGCException",
           "add_exception_handlers", "error_response"]

log = logging.getLogger("dideng.api")

#: domain error -> (HTTP status, OGC exception code); most specific first
STATUS_CODES: tuple[tuple[type[BaseException], int, str], ...] = (
    (ImportRejected, 422, "ImportRejected"),
    (AuthenticationError, 401, "Unauthorized"),
    (AccessDenied, 403, "Forbidden"),
    (UnknownFeatureError, 404, "NotFound"),
    (UnknownLayerError, 404, "NotFound"),
    (ValidationError, 400, "InvalidParameterValue"),
    (WorkspaceError, 503, "WorkspaceUnavailable"),
    (SetupError, 503, "ServiceUnavailable"),
    (DidengError, 400, "BadRequest"),
)

_HTTP_CODES = {400: "InvalidParameterValue", 401: "Unauthorized", 403: "Forbidden",
               404: "NotFound", 405: "MethodNotAllowed", 406: "NotAcceptable",
               413: "PayloadTooLarge", 415: "UnsupportedMediaType", 422: "Unprocessable"}


class OGCException(BaseModel):
    """The OGC API exception body, with the message in both languages."""

    code: str
    description: str
    zh: str | None = None
    en: str | None = None


class ApiError(DidengError):
    """An error raised by the service itself with an explicit HTTP status."""

    def __init__(self, status: int, zh: str, en: str, *, code: str | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(zh, en)
        self.status = status
        self.code = code or _HTTP_CODES.get(status, "Error")
        self.headers = headers


def _describe(status: int) -> dict:
    return {"model": OGCException, "description": {
        400: "参数无效 / invalid parameter", 401: "密钥无效 / unknown API key",
        403: "权限不足 / role not allowed", 404: "不存在 / not found",
        413: "文件过大 / upload too large", 422: "导入被拒绝 / import rejected",
        503: "工作空间不可用 / workspace unavailable"}.get(status, "error")}


#: the error answers every route may give, for the OpenAPI document
ERROR_RESPONSES: dict[int | str, dict] = {s: _describe(s) for s in (400, 401, 403, 404, 503)}
#: the same, declared explicitly as application/json — for routes whose own answer has another
#: media type (GeoJSON, HTML, PDF), which FastAPI would otherwise give their errors too
JSON_ERRORS: dict[int | str, dict] = {
    status: {"description": spec["description"],
             "content": {"application/json": {"schema": OGCException.model_json_schema()}}}
    for status, spec in ERROR_RESPONSES.items()
}


def error_response(status: int, code: str, zh: str, en: str,
                   headers: dict[str, str] | None = None) -> JSONResponse:
    body = OGCException(code=code, description=f"{zh} / {en}", zh=zh, en=en)
    return JSONResponse(body.model_dump(), status_code=status, headers=headers)


def _domain(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DidengError)
    if isinstance(exc, ApiError):
        return error_response(exc.status, exc.code, exc.zh, exc.en, exc.headers)
    status, code = next((s, c) for t, s, c in STATUS_CODES if isinstance(exc, t))
    headers = {"WWW-Authenticate": "ApiKey"} if status == 401 else None
    return error_response(status, code, exc.zh, exc.en, headers)


def _invalid(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    parts_zh, parts_en = [], []
    for e in exc.errors()[:5]:
        where = ".".join(str(p) for p in e.get("loc", ()) if p not in ("query", "body", "path"))
        parts_zh.append(f"{where or '请求'}：{e.get('msg', '')}")
        parts_en.append(f"{where or 'request'}: {e.get('msg', '')}")
    return error_response(400, "InvalidParameterValue",
                          "请求参数无效：" + "；".join(parts_zh),
                          "invalid request: " + "; ".join(parts_en))


def _http(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    status = exc.status_code
    detail = str(exc.detail)
    zh = {404: "不存在", 405: "不支持此请求方法"}.get(status, "请求错误")
    return error_response(status, _HTTP_CODES.get(status, "Error"), f"{zh}：{detail}", detail,
                          getattr(exc, "headers", None))


def _bug(request: Request, exc: Exception) -> JSONResponse:
    log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(500, "ServerError", "服务内部错误，已记录日志",
                          "internal server error; it has been logged")


def add_exception_handlers(app: FastAPI) -> None:
    """Map domain errors, invalid requests and bugs to OGC exception bodies."""
    app.add_exception_handler(DidengError, _domain)
    app.add_exception_handler(RequestValidationError, _invalid)
    app.add_exception_handler(StarletteHTTPException, _http)
    app.add_exception_handler(Exception, _bug)
