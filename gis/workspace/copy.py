"""Copy a workspace to another store: GeoPackage ↔ PostGIS, losslessly.

:func:`copy_workspace` creates the target in the source's CRS, writes every layer through the
target's own atomic ``write`` (so each layer is one transaction there, with an import-log line of
mode ``copy``), carries the workspace metadata and the source's import history along, and then
reads every layer back from the target and checks it against the source: the same rows in the
same order, geometries identical coordinate for coordinate, every attribute equal (Chinese text
byte for byte, dates, NULLs). A difference is an error, never a silent loss.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gis.errors import WorkspaceError
from gis.workspace import (
    ImportLogEntry,
    Workspace,
    mask_location,
    open_workspace,
    same_workspace,
)

__all__ = ["CopiedLayer", "CopyReport", "copy_workspace", "layer_digest"]

#: metadata keys a copy does not carry over (the target sets its own)
_OWN_META = ("crs", "created")


@dataclass(frozen=True)
class CopiedLayer:
    """One layer copied: its rows, its content digest and how long it took."""

    name: str
    rows: int
    sha256: str
    seconds: float


@dataclass
class CopyReport:
    """What :func:`copy_workspace` did."""

    source: str
    target: str
    epsg: int | None
    layers: list[CopiedLayer] = field(default_factory=list)
    meta: list[str] = field(default_factory=list)
    log_lines: int = 0

    @property
    def rows(self) -> int:
        return sum(layer.rows for layer in self.layers)


def layer_digest(frame: pd.DataFrame) -> str:
    """SHA-256 of a layer's content: every attribute as text and every geometry as WKB, in row
    order (the same for the same content in either store)."""
    h = hashlib.sha256()
    h.update(",".join(map(str, frame.columns)).encode())
    for name in frame.columns:
        col = frame[name]
        if isinstance(col.dtype, gpd.array.GeometryDtype):
            wkb = shapely.to_wkb(np.asarray(col.values, dtype=object))
            h.update(b"\x1e".join(b"" if w is None else w for w in wkb))
        else:
            text = _plain(col)
            h.update("\x1e".join("\x00" if v is None else str(v) for v in text).encode())
    return h.hexdigest()


def _plain(col: pd.Series) -> list[object]:
    """Values as plain Python objects, NULL as None (so stores' dtypes do not matter)."""
    values = col.astype(object).where(col.notna(), None).tolist()
    return [v.isoformat() if isinstance(v, pd.Timestamp) else v for v in values]


def _differences(name: str, source: pd.DataFrame, copied: pd.DataFrame) -> list[str]:
    """How the copy of a layer differs from the source (empty when it is identical)."""
    problems = []
    if len(source) != len(copied):
        return [f"{name}: {len(source)} → {len(copied)} rows"]
    missing = [c for c in source.columns if c not in copied.columns]
    if missing:
        problems.append(f"{name}: columns lost {missing}")
    for col in source.columns:
        if col in missing:
            continue
        a, b = source[col], copied[col]
        if isinstance(a.dtype, gpd.array.GeometryDtype):
            same = shapely.equals_exact(np.asarray(a.values), np.asarray(b.values), tolerance=0)
            same |= shapely.is_missing(np.asarray(a.values)) & shapely.is_missing(
                np.asarray(b.values))
            if not same.all():
                problems.append(f"{name}.{col}: {int((~same).sum())} geometries differ")
        elif _plain(a) != _plain(b):
            bad = sum(x != y for x, y in zip(_plain(a), _plain(b), strict=True))
            problems.append(f"{name}.{col}: {bad} values differ")
    if isinstance(source, gpd.GeoDataFrame) and isinstance(copied, gpd.GeoDataFrame) and \
            not source.crs.equals(copied.crs):
        problems.append(f"{name}: CRS {source.crs.to_string()} → {copied.crs.to_string()}")
    return problems


def copy_workspace(source: str | Path | Workspace, target: str | Path, *,
                   overwrite: bool = False, layers: Iterable[str] | None = None,
                   progress: Callable[[str], None] | None = None) -> CopyReport:
    """Copy the workspace ``source`` to a new workspace at ``target`` (a .gpkg path or a
    ``postgresql://`` URL) and verify the copy; returns what was copied.

    ``overwrite`` replaces a workspace already at ``target``; ``layers`` limits the copy to
    those layers (default: all). Raises :class:`~gis.errors.WorkspaceError` if the target
    exists (without ``overwrite``) or if any layer does not read back identical.
    """
    say = progress or (lambda _msg: None)
    src = source if isinstance(source, Workspace) else open_workspace(source)
    if same_workspace(target, source if not isinstance(source, Workspace) else src.location):
        raise WorkspaceError("源工作空间与目标相同", "the source and the target are the same")
    names = src.layers()
    if layers is not None:
        wanted = list(layers)
        unknown = sorted(set(wanted) - set(names))
        if unknown:
            raise WorkspaceError(f"源工作空间中没有图层：{', '.join(unknown)}",
                                 f"no such layer in the source: {', '.join(unknown)}")
        names = [n for n in names if n in wanted]
    dst = Workspace.create(target, src.crs, overwrite=overwrite)
    report = CopyReport(source=mask_location(src.location), target=mask_location(dst.location),
                        epsg=src.crs.to_epsg())

    history = src.import_log()
    if len(history):
        dst.extend_log(_log_entries(history))
        report.log_lines = len(history)
    for key, value in src.meta().items():
        if key not in _OWN_META:
            dst.set_meta(key, value)
            report.meta.append(key)

    for name in names:
        t0 = time.perf_counter()
        frame = src.read(name)
        say(f"复制 {name}（{len(frame):,} 行）/ copying {name}")
        digest = layer_digest(frame)
        dst.write(name, frame, log=ImportLogEntry(
            layer=name, source=f"dideng copy {report.source}", sha256=digest,
            rows_read=len(frame), rows_repaired=0, rows_rejected=0, rows_written=len(frame),
            mode="copy"))
        problems = _differences(name, frame, dst.read(name))
        if problems:
            raise WorkspaceError(
                "复制后校验不一致（目标中的该图层与源不同）：" + "；".join(problems),
                "the copy does not read back identical: " + "; ".join(problems))
        report.layers.append(CopiedLayer(name, len(frame), digest,
                                         round(time.perf_counter() - t0, 3)))
    return report


def _log_entries(log: pd.DataFrame) -> list[ImportLogEntry]:
    out = []
    for row in log.itertuples(index=False):
        at = pd.Timestamp(row.at).to_pydatetime() if pd.notna(row.at) else None
        out.append(ImportLogEntry(
            layer=row.layer, source=row.source, sha256=row.sha256,
            rows_read=int(row.rows_read), rows_repaired=int(row.rows_repaired),
            rows_rejected=int(row.rows_rejected), rows_written=int(row.rows_written),
            mode=row.mode or "replace", at=at))
    return out
