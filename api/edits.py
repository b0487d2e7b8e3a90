"""Edits (admin): ``PATCH`` and ``DELETE`` on ``/collections/{collectionId}/items/{featureId}``.

The shape follows OGC API – Features Part 4 (create, replace, update, delete): a PATCH carries a
partial GeoJSON Feature whose ``properties`` are merged into the feature; a DELETE removes it
(204). Both are thin faces over :mod:`gis.edits` — the edited row is validated like an imported
one, written atomically, logged — and the store then takes the new layer up (the live index by
deletes and inserts). Geometry and keys are changed by import, not here.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Response
from fastapi import Path as PathParam
from pydantic import BaseModel, ConfigDict, Field

from api.auth import Caller
from api.deps import get_store, needs
from api.imports import Counts, IssueOut, ReportOut
from api.store import Store
from gis.access import Role
from gis.edits import delete_feature, edit_feature
from gis.errors import ValidationError
from layers import catalogue

__all__ = ["EditAnswer", "FeaturePatch", "edits_router"]

Value = str | float | int | bool | None
LayerPath = Annotated[str, PathParam(description="图层 / layer")]
FeaturePath = Annotated[str, PathParam(description="要素编号 / feature id")]


class FeaturePatch(BaseModel):
    """The properties to change (a partial GeoJSON Feature); ``null`` clears a value."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["Feature"] | None = None
    properties: dict[str, Value] = Field(
        ..., description="要修改的属性 / properties to change, e.g. {\"ready\": \"是\"}")


class EditAnswer(BaseModel):
    """What an edit did: the feature, the fields changed and the validation report."""

    layer: str
    feature_id: str
    changed: list[str]
    report: ReportOut


def _key(store: Store, collection: str, feature_id: str) -> tuple[str, dict[str, object]]:
    if collection not in catalogue:
        store.snapshot(collection)  # 404 for an unknown collection
        raise ValidationError(f"{collection} 是分析结果图层，不能编辑",
                              f"{collection} is an analysis result layer and cannot be edited")
    snapshot = store.snapshot(collection)
    row = snapshot.frame.iloc[snapshot.position(feature_id)]
    return collection, {k: row[k] for k in catalogue[collection].key}


def edits_router() -> APIRouter:
    router = APIRouter(tags=["edits"])
    admin = needs(Role.admin, "编辑要素", "editing features")

    @router.patch("/collections/{collectionId}/items/{featureId}", response_model=EditAnswer,
                  summary="修改要素属性 / update a feature's properties (admin)")
    def patch_feature(patch: FeaturePatch, collectionId: LayerPath,
                      featureId: FeaturePath,
                      who: Caller = Depends(admin), store: Store = Depends(get_store)
                      ) -> EditAnswer:
        fid = featureId
        layer, key = _key(store, collectionId, fid)
        report = edit_feature(store.workspace, layer, key, patch.properties,
                              source=f"PATCH {fid} (API {who.name})")
        store.reload(layer)
        data = report.to_dict()
        return EditAnswer(layer=layer, feature_id=fid, changed=sorted(patch.properties),
                          report=ReportOut(source=f"PATCH {fid}", layer=layer,
                                           counts=Counts.model_validate(data["counts"]),
                                           issues=[IssueOut.model_validate(i)
                                                   for i in data.get("issues", [])]))

    @router.delete("/collections/{collectionId}/items/{featureId}", status_code=204,
                   response_class=Response,
                   summary="删除要素 / delete a feature (admin)")
    def remove_feature(collectionId: LayerPath, featureId: FeaturePath,
                       who: Caller = Depends(admin), store: Store = Depends(get_store)
                       ) -> Response:
        fid = featureId
        layer, key = _key(store, collectionId, fid)
        delete_feature(store.workspace, layer, key, source=f"DELETE {fid} (API {who.name})")
        store.reload(layer)
        return Response(status_code=204)

    return router
