"""Edits of single features: change some properties of one row of an input layer, or delete it.

An edit is an import of one row: the changed row goes through the same validation as a file
(catalogue dtypes, code tables, checks, row rules such as dates in order), and the layer is
written atomically with a line in the import log (mode ``edit`` or ``delete``). A change that
would be rejected writes nothing and raises :class:`~gis.errors.ValidationError` naming the
reason in Chinese and English. Keys and geometry are not edited here: a new key is a new
feature, a new shape comes by import.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from gis.errors import UnknownFeatureError, ValidationError
from gis.report import ROW, Report
from gis.validate import validate
from gis.workspace import ImportLogEntry, Workspace
from layers import Layer, catalogue, results

__all__ = ["delete_feature", "edit_feature"]


def _input_layer(name: str) -> Layer:
    if name in results:
        raise ValidationError(
            f"{name} 是分析结果图层，不能逐条编辑；请修改源数据后重新分析",
            f"{name} is an analysis result layer and cannot be edited; edit the input layers "
            "and run the analysis again")
    return catalogue.resolve_layer(name)


def _locate(frame: pd.DataFrame, layer: Layer, key: Mapping[str, object]) -> int:
    if set(key) != set(layer.key):
        raise ValidationError(
            f"定位要素需要图层 {layer.name} 的键 {', '.join(layer.key)}",
            f"finding a feature needs the key of {layer.name}: {', '.join(layer.key)}")
    hit = np.ones(len(frame), dtype=bool)
    for name, value in key.items():
        hit &= frame[name].astype("string").eq(str(value)).fillna(False).to_numpy(bool)
    found = np.flatnonzero(hit)
    if len(found) != 1:
        shown = ", ".join(f"{k}={v}" for k, v in key.items())
        raise UnknownFeatureError(f"图层 {layer.name} 中没有要素 {shown}",
                                  f"no feature {shown} in layer {layer.name}")
    return int(found[0])


def edit_feature(workspace: Workspace, layer: str, key: Mapping[str, object],
                 changes: Mapping[str, object], *, source: str = "edit") -> Report:
    """Change the properties ``changes`` of the feature of ``layer`` with ``key``.

    Values are given as they would be in a file (``"2024-05-01"``, ``"是"``, ``12.5``,
    ``None`` to clear). Returns the validation report of the edited row.
    """
    lay = _input_layer(layer)
    unknown = sorted(set(changes) - set(lay.field_names))
    if unknown:
        raise ValidationError(
            f"图层 {lay.name} 没有字段 {', '.join(unknown)}（可用：{', '.join(lay.field_names)}）",
            f"layer {lay.name} has no field {', '.join(unknown)} "
            f"(fields: {', '.join(lay.field_names)})")
    fixed = sorted(set(changes) & set(lay.key))
    if fixed:
        raise ValidationError(f"键字段 {', '.join(fixed)} 不能修改（新键即新要素，请导入）",
                              f"key fields {', '.join(fixed)} cannot change (a new key is a "
                              "new feature; import it)")
    if not changes:
        raise ValidationError("没有要修改的字段", "no fields to change")
    frame = workspace.read(lay.name)
    at = _locate(frame, lay, key)
    row = frame.iloc[[at]].astype({c: object for c in changes if c in frame.columns})
    for name, value in changes.items():
        row[name] = [value]
    row[ROW] = at + 1
    clean, report = validate(row, lay)
    if report.counts["rejected"]:
        problems = [i for i in report.issues if i.status == "rejected"]
        raise ValidationError("修改未保存：" + "；".join(i.zh for i in problems),
                              "nothing saved: " + "; ".join(i.en for i in problems))
    edited = pd.concat([frame.iloc[:at], clean[frame.columns], frame.iloc[at + 1:]],
                       ignore_index=True)
    workspace.write(lay.name, edited, log=ImportLogEntry(
        layer=lay.name, source=source, sha256="", rows_read=1,
        rows_repaired=report.counts["repaired"], rows_rejected=0, rows_written=len(edited),
        mode="edit"))
    return report


def delete_feature(workspace: Workspace, layer: str, key: Mapping[str, object], *,
                   source: str = "delete") -> int:
    """Delete the feature of ``layer`` with ``key``; returns the rows left."""
    lay = _input_layer(layer)
    frame = workspace.read(lay.name)
    at = _locate(frame, lay, key)
    left = frame.drop(index=frame.index[at]).reset_index(drop=True)
    workspace.write(lay.name, left, log=ImportLogEntry(
        layer=lay.name, source=source, sha256="", rows_read=0, rows_repaired=0,
        rows_rejected=0, rows_written=len(left), mode="delete"))
    return len(left)
