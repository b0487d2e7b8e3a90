"""The GeoPackage workspace: one ``.gpkg`` file, opened by QGIS as it is.

Writes are atomic: the new layer is written under a staging name by GDAL (pyogrio), then one
SQLite transaction drops the old layer and renames the staging layer into place (table, R-tree
index, triggers and the GeoPackage metadata rows) together with the import-log line. A failure
at any point leaves the previous layer untouched. The file is in WAL mode, so readers never
block on the writer and see either the old or the new layer.
"""

from __future__ import annotations

import functools
import re
import sqlite3
import threading
import uuid
from collections.abc import Iterable
from contextlib import closing, contextmanager
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
from pyproj import CRS

from gis.errors import UnknownLayerError, WorkspaceError
from gis.schema import conform
from gis.workspace import ImportLogEntry, Workspace
from layers import catalogue, results

__all__ = ["GeoPackageWorkspace"]

META = "dideng_meta"
LOG = "dideng_import_log"
STAGING = "_dideng_staging_"
_INTERNAL = (META, LOG)

# GeoPackage metadata tables whose rows name a layer
_META_TABLES = (
    "gpkg_contents",
    "gpkg_geometry_columns",
    "gpkg_extensions",
    "gpkg_ogr_contents",
    "gpkg_data_columns",
    "gpkg_metadata_reference",
)

_GEOMETRY_TYPES = {
    "polygon": "MultiPolygon",
    "point": "Point",
    "line": "MultiLineString",
    "point_or_line": "Unknown",
    "any": "Unknown",
}

_LOG_COLUMNS = (
    ("at", "TEXT"),
    ("layer", "TEXT"),
    ("source", "TEXT"),
    ("sha256", "TEXT"),
    ("rows_read", "INTEGER"),
    ("rows_repaired", "INTEGER"),
    ("rows_rejected", "INTEGER"),
    ("rows_written", "INTEGER"),
    ("mode", "TEXT"),
)


# GDAL (inside pyogrio) links its own copy of SQLite, distinct from Python's sqlite3 module. Two
# SQLite copies holding the same file at once in one process clear each other's POSIX locks
# (sqlite.org/howtocorrupt.html §2.2), so within a process every operation on a workspace file
# takes that file's lock: GDAL and sqlite3 never hold the file together. Other processes (QGIS,
# a second CLI) are unaffected and rely on SQLite's own locking and WAL.
_FILE_LOCKS: dict[str, threading.RLock] = {}
_FILE_LOCKS_GUARD = threading.Lock()


def _file_lock(path: Path) -> threading.RLock:
    key = str(path.resolve())
    with _FILE_LOCKS_GUARD:
        return _FILE_LOCKS.setdefault(key, threading.RLock())


def _locked(method):
    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        with _file_lock(self.path):
            return method(self, *args, **kwargs)

    return wrapper


def _schema(name: str):
    """The catalogue layer (input or result) a workspace layer conforms to, if any."""
    if name in catalogue:
        return catalogue[name]
    return results.get(name)


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class GeoPackageWorkspace(Workspace):
    """A workspace stored in one GeoPackage file."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        if not self.path.exists():
            raise WorkspaceError(f"工作空间不存在：{self.path}", f"workspace not found: {self.path}")
        try:
            epsg = self.get_meta("crs")
        except sqlite3.DatabaseError as exc:
            raise WorkspaceError(
                f"{self.path} 不是有效的 GeoPackage 工作空间（{exc}）",
                f"{self.path} is not a valid GeoPackage workspace ({exc})",
            ) from exc
        if epsg is None:
            raise WorkspaceError(
                f"{self.path} 不是 dideng 工作空间（缺少 {META} 表）",
                f"{self.path} is not a dideng workspace (no {META} table)",
            )
        self.crs = CRS.from_user_input(epsg)

    # -- creation ---------------------------------------------------------------------------
    @classmethod
    def create(cls, path: str | Path, crs: CRS | int | str, *, overwrite: bool = False
               ) -> GeoPackageWorkspace:
        path = Path(path)
        crs = CRS.from_user_input(crs)
        if crs.is_geographic:
            raise WorkspaceError(
                f"工作空间坐标系必须是投影坐标（高斯-克吕格），不能是 {crs.name}",
                f"a workspace CRS must be projected (Gauss-Krüger), not {crs.name}",
            )
        if path.exists():
            if not overwrite:
                raise WorkspaceError(f"工作空间已存在：{path}", f"workspace already exists: {path}")
            for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
                p.unlink(missing_ok=True)
        path.parent.mkdir(parents=True, exist_ok=True)
        with _file_lock(path):
            cls._initialise(path, crs)
        return cls(path)

    @staticmethod
    def _initialise(path: Path, crs: CRS) -> None:
        meta = pd.DataFrame(
            {
                "key": ["crs", "created", "dideng_version"],
                "value": [
                    f"EPSG:{crs.to_epsg()}",
                    datetime.now(UTC).isoformat(timespec="seconds"),
                    "0.1.0",
                ],
            }
        )
        pyogrio.write_dataframe(meta, path, layer=META, driver="GPKG")
        log = pd.DataFrame({c: pd.Series([], dtype="str" if t == "TEXT" else "int64")
                            for c, t in _LOG_COLUMNS})
        pyogrio.write_dataframe(log, path, layer=LOG, driver="GPKG")
        with closing(sqlite3.connect(path)) as con:
            con.execute("PRAGMA journal_mode=WAL")

    # -- plumbing ---------------------------------------------------------------------------
    @contextmanager
    def _connect(self):
        con = sqlite3.connect(self.path, timeout=60, isolation_level=None)
        try:
            yield con
        finally:
            con.close()

    @property
    def location(self) -> str:
        return str(self.path)

    def _tables(self, con: sqlite3.Connection) -> list[tuple[str, str]]:
        return con.execute("SELECT table_name, data_type FROM gpkg_contents").fetchall()

    # -- reading ----------------------------------------------------------------------------
    @_locked
    def layers(self) -> list[str]:
        with self._connect() as con:
            names = [t for t, _ in self._tables(con)]
        return sorted(n for n in names if n not in _INTERNAL and not n.startswith(STAGING))

    @_locked
    def stamps(self) -> dict[str, str]:
        with self._connect() as con:
            rows = con.execute("SELECT table_name, last_change FROM gpkg_contents").fetchall()
        return {n: str(t) for n, t in rows if n not in _INTERNAL and not n.startswith(STAGING)}

    @_locked
    def info(self, name: str) -> dict[str, object]:
        self._require(name)
        info = pyogrio.read_info(self.path, layer=name)
        return {
            "name": name,
            "features": int(info["features"]),
            "geometry_type": info["geometry_type"],
            "crs": info["crs"],
            "total_bounds": (tuple(info["total_bounds"]) if info["geometry_type"]
                             and info["total_bounds"] is not None else None),  # None: empty
            "fields": list(info["fields"]),
        }

    def _require(self, name: str) -> None:
        if name not in self.layers():
            raise UnknownLayerError(
                f"工作空间中没有图层 {name!r}；现有：{', '.join(self.layers()) or '无'}",
                f"no layer {name!r} in the workspace; present: {', '.join(self.layers()) or 'none'}",
            )

    @_locked
    def read(self, name: str, *, bbox: tuple[float, float, float, float] | None = None,
             columns: list[str] | None = None) -> gpd.GeoDataFrame | pd.DataFrame:
        self._require(name)
        frame = pyogrio.read_dataframe(
            self.path, layer=name, bbox=bbox, columns=columns, use_arrow=True,
            fid_as_index=bbox is not None)
        if bbox is not None:  # the R-tree gives its own order; rows come in fid order, as whole
            frame = frame.sort_index(kind="stable").reset_index(drop=True)
        if isinstance(frame, gpd.GeoDataFrame):
            if frame.geometry.name != "geometry":
                frame = frame.rename_geometry("geometry")
            if frame.crs is None:
                frame = frame.set_crs(self.crs)
        if (schema := _schema(name)) is not None:
            frame = conform(frame, schema)
        return frame

    @_locked
    def import_log(self) -> pd.DataFrame:
        with self._connect() as con:
            cols = ", ".join(c for c, _ in _LOG_COLUMNS)
            rows = con.execute(f"SELECT {cols} FROM {LOG} ORDER BY fid").fetchall()
        return pd.DataFrame(rows, columns=[c for c, _ in _LOG_COLUMNS])

    @_locked
    def get_meta(self, key: str, default: str | None = None) -> str | None:
        with self._connect() as con:
            row = con.execute(f"SELECT value FROM {META} WHERE key = ?", (key,)).fetchone()
        return row[0] if row else default

    @_locked
    def set_meta(self, key: str, value: str) -> None:
        with self._connect() as con:
            con.execute("BEGIN IMMEDIATE")
            con.execute(f"DELETE FROM {META} WHERE key = ?", (key,))
            con.execute(f"INSERT INTO {META} (key, value) VALUES (?, ?)", (key, value))
            con.execute("COMMIT")

    @_locked
    def meta(self) -> dict[str, str]:
        with self._connect() as con:
            rows = con.execute(f"SELECT key, value FROM {META} ORDER BY key").fetchall()
        return dict(rows)

    @_locked
    def extend_log(self, entries: Iterable[ImportLogEntry]) -> None:
        with self._connect() as con:
            con.execute("BEGIN IMMEDIATE")
            try:
                for entry in entries:
                    self._insert_log(con, entry)
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise

    # -- writing ----------------------------------------------------------------------------
    @_locked
    def write(self, name: str, frame: pd.DataFrame, *, log: ImportLogEntry | None = None
              ) -> None:
        if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", name) or name in _INTERNAL:
            raise WorkspaceError(
                f"图层名 {name!r} 无效（只能用英文字母、数字和下划线）",
                f"invalid layer name {name!r} (letters, digits and underscores only)",
            )
        staging = f"{STAGING}{name}_{uuid.uuid4().hex[:8]}"
        try:
            self._write_staging(staging, name, frame)
            with self._connect() as con:
                con.execute("BEGIN IMMEDIATE")
                try:
                    self._drop_layer(con, name)
                    self._rename_layer(con, staging, name)
                    if log is not None:
                        self._insert_log(con, log)
                    con.execute("COMMIT")
                except BaseException:
                    con.execute("ROLLBACK")
                    raise
        except Exception as exc:
            self._discard(staging)
            if isinstance(exc, WorkspaceError):
                raise
            raise WorkspaceError(
                f"写入图层 {name} 失败，原图层保持不变：{exc}",
                f"writing layer {name} failed; the previous layer is unchanged: {exc}",
            ) from exc

    def _write_staging(self, staging: str, name: str, frame: pd.DataFrame) -> None:
        kw: dict[str, object] = {}
        schema = _schema(name)
        if schema is not None:
            frame = conform(frame, schema)
        if isinstance(frame, gpd.GeoDataFrame):
            if frame.crs is None:
                frame = frame.set_crs(self.crs)
            elif not frame.crs.equals(self.crs):
                frame = frame.to_crs(self.crs)
            kind = schema.geometry if schema is not None else None
            if kind in _GEOMETRY_TYPES:
                kw["geometry_type"] = _GEOMETRY_TYPES[kind]
                kw["promote_to_multi"] = kind in ("polygon", "line")
            elif len(frame) == 0:
                kw["geometry_type"] = "Unknown"
        pyogrio.write_dataframe(frame, self.path, layer=staging, driver="GPKG", **kw)

    def _discard(self, staging: str) -> None:
        try:
            with self._connect() as con:
                con.execute("BEGIN IMMEDIATE")
                self._drop_layer(con, staging)
                con.execute("COMMIT")
        except sqlite3.Error:
            pass  # nothing was written, or the file is unreachable: nothing more to undo

    @staticmethod
    def _drop_layer(con: sqlite3.Connection, name: str) -> None:
        """Drop a GeoPackage layer with its R-tree index and metadata rows (inside a txn)."""
        exists = con.execute(
            "SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", (name,)
        ).fetchone()
        for rtree in GeoPackageWorkspace._rtrees(con, name):
            con.execute(f"DROP TABLE IF EXISTS {_q(rtree)}")
        if exists:
            con.execute(f"DROP TABLE {_q(name)}")
        for table in _META_TABLES:
            if con.execute(
                "SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", (table,)
            ).fetchone():
                con.execute(f"DELETE FROM {table} WHERE lower(table_name) = lower(?)", (name,))

    @staticmethod
    def _rtrees(con: sqlite3.Connection, name: str) -> list[str]:
        """The R-tree index tables of a layer (rtree_<table>_<geometry column>) that exist."""
        cols = con.execute(
            "SELECT column_name FROM gpkg_geometry_columns WHERE table_name = ?", (name,)
        ).fetchall()
        out = []
        for (col,) in cols:
            rtree = f"rtree_{name}_{col}"
            if con.execute(
                "SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", (rtree,)
            ).fetchone():
                out.append(rtree)
        return out

    @staticmethod
    def _rename_layer(con: sqlite3.Connection, old: str, new: str) -> None:
        """Rename a GeoPackage layer in place: table, R-tree, triggers, metadata rows."""
        triggers = con.execute(
            "SELECT name, sql FROM sqlite_master WHERE type='trigger' AND tbl_name=?", (old,)
        ).fetchall()
        for trig, _sql in triggers:
            con.execute(f"DROP TRIGGER {_q(trig)}")
        con.execute(f"ALTER TABLE {_q(old)} RENAME TO {_q(new)}")
        for rtree in GeoPackageWorkspace._rtrees(con, old):
            con.execute(f"ALTER TABLE {_q(rtree)} RENAME TO {_q(rtree.replace(old, new, 1))}")
        for table in _META_TABLES:
            if con.execute(
                "SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", (table,)
            ).fetchone():
                con.execute(f"UPDATE {table} SET table_name = ? WHERE table_name = ?", (new, old))
        con.execute("UPDATE gpkg_contents SET identifier = ? WHERE table_name = ?", (new, new))
        for _trig, sql in triggers:
            con.execute(sql.replace(old, new))

    @staticmethod
    def _insert_log(con: sqlite3.Connection, entry: ImportLogEntry) -> None:
        row = asdict(entry)
        row["at"] = (entry.at or datetime.now(UTC)).isoformat(timespec="seconds")
        cols = [c for c, _ in _LOG_COLUMNS]
        con.execute(
            f"INSERT INTO {LOG} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
            [row[c] for c in cols],
        )
