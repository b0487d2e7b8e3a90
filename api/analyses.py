"""The planner endpoints: /cleanup (三清), /evaluation (亩均), /match (地等项目).

Each route is a thin face over the library function the CLI verb of the same name calls:
:func:`gis.cleanup.cleanup`, :func:`gis.evaluation.evaluate`, :func:`gis.matching.match` (with
:func:`gis.matching.project_from_request` for the request and :func:`gis.dates.default_as_of`
for the day). The layers come from the store's snapshots; results are cached in ``app.state.memo``
keyed by their inputs and the layers' stamps, so a re-import computes afresh. Cached results
are shared between threads and never modified: every answer is built from them anew.

Every route needs at least the planner role (403 otherwise).
"""

from __future__ import annotations

import enum
import tempfile
import threading
import uuid
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import Annotated, Any, TypeVar
from urllib.parse import quote

import pandas as pd
from fastapi import APIRouter, Depends, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import Response

from api.deps import MemoDep, PolicyDep, SettingsDep, StoreDep, needs
from api.errors import ApiError
from api.models import (
    CleanupAnswer,
    EvaluationAnswer,
    Feature,
    FeatureCollection,
    Link,
    MatchAnswer,
    MatchRequest,
)
from api.settings import Settings
from api.store import Memo, Store
from gis.access import Role
from gis.dates import EARLIEST, LATEST, as_date, default_as_of
from gis.policy import Policy
from layers import ANALYSIS_LAYERS, MATCH_LAYERS

__all__ = ["Format", "analyses_router"]

GEOJSON = "application/geo+json"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

T = TypeVar("T")



class Format(enum.StrEnum):
    """What an analysis answers with."""

    json = "json"
    geojson = "geojson"
    xlsx = "xlsx"


# -- one small dependency per query parameter ------------------------------------------------
def as_of_query(
    store: StoreDep,
    as_of: Annotated[str | None, Query(
        max_length=40, json_schema_extra={"format": "date"},
        description="统计日期 YYYY-MM-DD（默认：示范县基准日，否则今天）/ as-of day "
                    "(default: the workspace's reference day, else today)")] = None,
) -> pd.Timestamp:
    """The day asked for, by the rule of every face (:func:`gis.dates.default_as_of`)."""
    return default_as_of(as_of, reference=store.workspace.get_meta("demo_as_of"))


def format_query(
    format: Annotated[Format, Query(
        description="json（默认）、geojson（CRS84）或 xlsx（Excel 台账）/ json (default), "
                    "geojson (CRS84) or xlsx (the Excel ledger)")] = Format.json,
) -> Format:
    return format


def year_query(
    year: Annotated[int | None, Query(
        ge=EARLIEST.year, le=LATEST.year,
        description="评价年度（默认企业表最新年度）/ evaluation year (default: the latest in "
                    "the enterprise table)")] = None,
) -> int | None:
    return year


# -- helpers -----------------------------------------------------------------------------------
class _Once:
    """Compute a memo entry once even when several requests ask for it at the same time
    (one lock per key while anyone waits on it; different keys compute in parallel)."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._locks: dict[Hashable, tuple[threading.Lock, int]] = {}

    def get(self, memo: Memo, key: Hashable, make: Callable[[], T]) -> T:
        with self._guard:
            lock, users = self._locks.get(key, (threading.Lock(), 0))
            self._locks[key] = (lock, users + 1)
        try:
            with lock:
                return memo.get(key, make)  # type: ignore[return-value]
        finally:
            with self._guard:
                lock, users = self._locks[key]
                if users == 1:
                    del self._locks[key]
                else:
                    self._locks[key] = (lock, users - 1)


#: one compute-once guard for every router that reads these results (the ledgers and the maps)
_ONCE = _Once()


def cleanup_result(store: Store, memo: Memo, policy: Policy, day: pd.Timestamp) -> Any:
    """The clean-ups at ``day`` on the store's layers, computed once per (day, layer stamps)
    and shared by /cleanup and /maps/cleanup."""
    from gis.cleanup import cleanup as run

    key = ("cleanup", day, store.stamps(ANALYSIS_LAYERS))
    return _ONCE.get(memo, key, lambda: run(store.frames(ANALYSIS_LAYERS), day, policy))


def evaluation_result(store: Store, memo: Memo, policy: Policy, year: int | None) -> Any:
    """The 亩均 evaluation of ``year`` (the demo county at its reference day when no year is
    given, as ``dideng evaluate``), computed once per input and shared by /evaluation and
    /maps/evaluation."""
    from gis.evaluation import evaluate

    reference = store.workspace.get_meta("demo_as_of")
    as_of = as_date(reference) if reference and year is None else None
    key = ("evaluation", year, as_of, store.stamps(ANALYSIS_LAYERS))

    return _ONCE.get(memo, key, lambda: evaluate(store.frames(ANALYSIS_LAYERS), year=year,
                                                 as_of=as_of, policy=policy))


def _features(rows: list[dict[str, Any]], key: str, listed: str | None = None
              ) -> list[Feature]:
    """GeoJSON features of JSON rows (``records(..., with_geometry=True)``); ``listed`` names
    the list the rows come from, in the property ``list`` and the feature id."""
    out = []
    for row in rows:
        props = {k: v for k, v in row.items() if k != "geometry"}
        fid = props.get(key)
        if listed is not None:
            props = {"list": listed, **props}
            fid = f"{listed}:{fid}"
        out.append(Feature(id=fid, geometry=row.get("geometry"), properties=props))
    return out


def _geojson(features: list[Feature]) -> Response:
    return Response(FeatureCollection(features=features).model_dump_json(), media_type=GEOJSON)


def _xlsx(filename: str, fallback: str, write: Callable[[Path], object]) -> Response:
    """Write a workbook in a private temporary directory and answer it as a download named
    ``filename`` (RFC 5987 UTF-8), or ``fallback`` for clients that only read ASCII names."""
    with tempfile.TemporaryDirectory(prefix="dideng-") as tmp:
        path = Path(tmp) / "ledger.xlsx"
        write(path)
        content = path.read_bytes()
    disposition = f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename)}"
    return Response(content, media_type=XLSX, headers={"Content-Disposition": disposition})


def _inline(schema: dict[str, Any]) -> dict[str, Any]:
    """A model's JSON schema with its ``$defs`` inlined (for a response content entry)."""
    defs = schema.pop("$defs", {})

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                return walk(dict(defs[ref.rsplit("/", 1)[1]]))
            return {k: walk(v) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    return walk(schema)  # type: ignore[no-any-return]


def _alternates(what: str) -> dict[int | str, dict[str, Any]]:
    fc = _inline(FeatureCollection.model_json_schema(mode="serialization"))
    return {200: {"description": what, "content": {
        GEOJSON: {"schema": fc},
        XLSX: {"schema": {"type": "string", "format": "binary"}},
    }}}


def _href(request: Request, settings: Settings, name: str, **params: str) -> str:
    path = request.app.url_path_for(name, **params)
    if settings.base_url:
        return settings.base_url.rstrip("/") + str(path)
    return str(request.url_for(name, **params))


# -- the router --------------------------------------------------------------------------------
def analyses_router() -> APIRouter:
    """/cleanup, /evaluation, /match and /match/{id} (planner role)."""
    router = APIRouter(tags=["analyses"])

    @router.get(
        "/cleanup", response_model=CleanupAnswer, operation_id="cleanup",
        summary="三清台账 / the clean-up ledger",
        dependencies=[Depends(needs(Role.planner, "三清台账", "the clean-up ledger"))],
        responses=_alternates("闲置、批而未供、低效用地 / idle, unsupplied, low-efficiency"))
    def cleanup(
        day: Annotated[pd.Timestamp, Depends(as_of_query)],
        fmt: Annotated[Format, Depends(format_query)],
        store: StoreDep,
        memo: MemoDep,
        policy: PolicyDep,
    ) -> Any:
        """闲置土地、即将闲置预警、批而未供与低效用地清单及汇总（与 ``dideng cleanup`` 相同）。
        format=geojson 给出各清单全部地块（属性 ``list`` 标明清单），format=xlsx 给出 Excel 台账。

        The three clean-ups at ``as_of``, as ``dideng cleanup`` computes them: JSON lists and
        summary; every listed row as one GeoJSON FeatureCollection (property ``list``); or the
        Excel ledger.
        """
        from gis.cleanup.ledger import cleanup_json, write_cleanup_ledger

        result = cleanup_result(store, memo, policy, day)
        stamp = day.date().isoformat()
        if fmt is Format.xlsx:
            zones = store.frames(["zones"]).get("zones")
            names = dict(zip(zones["zone_id"], zones["name"], strict=True)) \
                if zones is not None else None
            return _xlsx(f"三清台账_{stamp}.xlsx", f"cleanup_{stamp}.xlsx",
                         lambda path: write_cleanup_ledger(result, path, zone_names=names))
        doc = cleanup_json(result, with_geometry=fmt is Format.geojson)
        if fmt is Format.geojson:
            un = doc["unsupplied"]
            return _geojson([
                *_features(doc["idle"], "supply_id", "idle"),
                *_features(doc["watch"], "supply_id", "watch"),
                *_features(un["batches"], "approval_id", "unsupplied_batch"),
                *_features(un["pieces"], "piece_id", "unsupplied_piece"),
                *_features(doc["low_efficiency"], "parcel_id", "low_efficiency"),
            ])
        return doc

    @router.get(
        "/evaluation", response_model=EvaluationAnswer, operation_id="evaluation",
        summary="亩均效益评价 / per-mu evaluation",
        dependencies=[Depends(needs(Role.planner, "亩均评价", "the per-mu evaluation"))],
        responses=_alternates("宗地亩均 / parcels' per-mu benefit (GeoJSON), or the workbook"))
    def evaluation(
        year: Annotated[int | None, Depends(year_query)],
        fmt: Annotated[Format, Depends(format_query)],
        store: StoreDep,
        memo: MemoDep,
        policy: PolicyDep,
    ) -> Any:
        """企业亩均效益评价与开发区集约利用指标（与 ``dideng evaluate`` 相同）。
        format=geojson 给出宗地亩均图层（permu_parcels），format=xlsx 给出 Excel 工作簿。

        The per-mu evaluation of ``year`` and the zone indicators, as ``dideng evaluate``
        computes them (the demo county is evaluated at its reference day when no year is
        given); GeoJSON of the parcels' per-mu benefit; or the workbook.
        """
        from gis.evaluation.ledger import evaluation_json, write_evaluation_ledger
        from gis.reports import records

        result = evaluation_result(store, memo, policy, year)
        if fmt is Format.xlsx:
            return _xlsx(f"亩均评价_{result.year}.xlsx", f"evaluation_{result.year}.xlsx",
                         lambda path: write_evaluation_ledger(result, path))
        if fmt is Format.geojson:
            rows = records(result.permu.parcels, with_geometry=True)
            return _geojson(_features(rows, "parcel_id"))
        return evaluation_json(result)

    @router.post(
        "/match", response_model=MatchAnswer, operation_id="match",
        summary="地等项目：为招商项目匹配地块 / match a project to sites",
        dependencies=[Depends(needs(Role.planner, "地等项目匹配", "project matching"))])
    def match(
        body: MatchRequest,
        request: Request,
        store: StoreDep,
        memo: MemoDep,
        policy: PolicyDep,
        settings: SettingsDep,
    ) -> MatchAnswer:
        """按硬性条件筛选、按准则评分，给出候选地块（单宗或相邻多宗合并）及最接近的落选地块和原因
        （与 ``dideng match`` 相同）。结果保存，可用 GET /match/{id} 再次取回。

        The ranked candidate sites for a stored project (``project_id``) or for the project's
        fields, and the nearest near-misses with the rule that excluded each — as ``dideng
        match`` answers. The answer is kept; fetch it again at ``/match/{id}``.
        """
        from gis.matching import MatchIndex, project_from_request
        from gis.matching import match as run

        day = default_as_of(body.as_of, reference=store.workspace.get_meta("demo_as_of"))
        weights = body.weights.model_dump(exclude_none=True) if body.weights else None
        projects = store.frames(["projects"]).get("projects") if body.project_id else None
        project = project_from_request(body.project_fields(), project_id=body.project_id,
                                       projects=projects, weights=weights)
        key = ("match_index", day, store.stamps(MATCH_LAYERS))
        index: Any = _ONCE.get(memo, key, lambda: MatchIndex.build(
            store.frames(MATCH_LAYERS), as_of=day, policy=policy))
        answer = run(project, index=index, top_k=body.top_k)
        answer_id = uuid.uuid4().hex[:12]
        href = _href(request, settings, "get_match", answer_id=answer_id)
        stored = MatchAnswer.model_validate({
            "id": answer_id, **answer,
            "links": [Link(href=href, rel="self", type="application/json",
                           title="本次匹配结果 / this match")],
        })
        request.app.state.matches.put(answer_id, stored)
        return stored

    @router.get(
        "/match/{answer_id}", response_model=MatchAnswer, operation_id="get_match",
        name="get_match", summary="取回匹配结果 / a stored match",
        dependencies=[Depends(needs(Role.planner, "地等项目匹配", "project matching"))])
    def get_match(
        request: Request,
        answer_id: Annotated[str, PathParam(max_length=64, description="POST /match 给出的 id")],
        settings: SettingsDep,
    ) -> MatchAnswer:
        """一次匹配的结果（只保留最近的若干次）/ the answer of an earlier POST /match (the
        service keeps the latest ``DIDENG_MATCH_RESULTS_KEPT``)."""
        stored = request.app.state.matches.peek(answer_id)
        if stored is None:
            kept = settings.match_results_kept
            raise ApiError(404, f"没有编号为 {answer_id} 的匹配结果（可能已过期：只保留最近 {kept} 次）",
                           f"no match result {answer_id} (it may have expired: the latest "
                           f"{kept} are kept)")
        return stored  # type: ignore[no-any-return]

    return router
