"""The PostGIS workspace: one PostgreSQL schema, shared by many users, opened by QGIS as it is.

The location is a URL ``postgresql://user:password@host:port/dbname?schema=NAME`` (or
``postgres://``). ``schema`` (default ``dideng``) names the PostgreSQL schema that holds the
workspace; it is taken off before the rest goes to libpq, other parameters pass through. The
password never appears in :attr:`PostGISWorkspace.location`, in a message or in a repr.

Each layer is one table named after it: the frame's columns, typed from the catalogue for
catalogue and result layers (``str`` text, ``int`` bigint, ``float`` double precision, ``bool``
boolean, ``date`` date) and from the pandas dtype otherwise; a primary key ``fid``; and a column
``geometry`` typed ``geometry(MultiPolygon|Point|MultiLineString|Geometry, srid)`` after the
catalogue's geometry kind, exactly as the GeoPackage types it (Z kept when the data has it),
with a GiST index. Internal tables: ``dideng_meta`` (crs, created, dideng_version),
``dideng_import_log`` and ``dideng_layers`` (the stamps). Reads come back as the GeoPackage's
do: catalogue layers in canonical dtypes, rows in fid order, a bbox selecting the features that
meet the box (the GiST index finds the candidates, ``ST_Intersects`` decides).

Writes are atomic: one transaction takes the layer's advisory lock (writers of one layer queue),
creates a staging table, COPYs the rows in (binary; geometry as WKB), builds the index, drops the
old table, renames the staging table (and its index, sequence and key) into place, and writes the
import-log line and the stamp. Any failure rolls all of it back. A reader first takes the
table's share lock: one that comes during a swap waits for the commit, then PostgreSQL looks the
name up again and it reads the new table — readers see the old or the new layer, never an error.

Every operation opens its own connection (a few milliseconds on a LAN, small beside a layer read
or write), so one workspace object serves many threads with nothing shared but immutable
settings, and nothing needs closing.
"""

from __future__ import annotations

import functools
import hashlib
import re
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Concatenate, ParamSpec, TypeVar
from urllib.parse import unquote

import geopandas as gpd
import numpy as np
import pandas as pd
import psycopg
import pyarrow as pa
import shapely
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from pyproj import CRS

from gis import __version__
from gis.errors import UnknownLayerError, WorkspaceError
from gis.schema import conform
from gis.workspace import ImportLogEntry, Workspace, mask_location
from gis.workspace.gpkg import _GEOMETRY_TYPES, _LOG_COLUMNS, LOG, META, _schema

__all__ = ["DEFAULT_SCHEMA", "PostGISWorkspace"]

#: the PostgreSQL schema of a URL without ``?schema=``
DEFAULT_SCHEMA = "dideng"
LAYERS = "dideng_layers"
STAGING = "_dideng_staging_"
_INTERNAL = (META, LOG, LAYERS)
_MAX_NAME = 63  # bytes in a PostgreSQL identifier (NAMEDATALEN - 1); longer ones are truncated

_P = ParamSpec("_P")
_R = TypeVar("_R")
_W = TypeVar("_W", bound="PostGISWorkspace")

# -- the location ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Target:
    """A parsed location: what is shown, the schema, and the libpq conninfo (with the password,
    never shown: excluded from the repr)."""

    location: str
    schema: str
    conninfo: str = field(repr=False)

    @property
    def params(self) -> dict[str, Any]:
        return conninfo_to_dict(self.conninfo)


def _parse(url: str) -> _Target:
    shown = mask_location(url)
    base, _, query = url.partition("?")
    kept, schemas = [], []
    for item in query.split("&") if query else []:
        key, _, value = item.partition("=")
        if unquote(key) == "schema":
            schemas.append(unquote(value))
        elif item:
            kept.append(item)
    schema = schemas[-1] if schemas else DEFAULT_SCHEMA
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", schema) or len(schema) > _MAX_NAME or \
            schema.lower().startswith("pg_"):
        raise WorkspaceError(
            f"PostgreSQL 模式名 {schema!r} 无效（英文字母、数字和下划线，不以 pg_ 开头，"
            f"最多 {_MAX_NAME} 个字符）：{shown}",
            f"invalid PostgreSQL schema name {schema!r} (letters, digits and underscores, not "
            f"starting with pg_, at most {_MAX_NAME} characters): {shown}",
        )
    try:
        params = conninfo_to_dict(base + ("?" + "&".join(kept) if kept else ""))
    except psycopg.Error as exc:
        reason = _reason(exc)
        raise WorkspaceError(
            f"PostgreSQL 地址无效：{shown}（{reason}）；格式为 "
            "postgresql://用户:密码@主机:端口/数据库?schema=模式",
            f"invalid PostgreSQL URL {shown} ({reason}); the form is "
            "postgresql://user:password@host:port/dbname?schema=NAME",
        ) from None
    params.setdefault("connect_timeout", "10")
    params.setdefault("application_name", "dideng")
    return _Target(shown, schema, make_conninfo("", **params))


def _reason(exc: BaseException) -> str:
    """An exception's message on one line, libpq's prefix dropped, any password masked."""
    text = " ".join(str(exc).split())
    text = re.sub(r"^connection failed: ", "", text)
    text = re.sub(r"(postgres(?:ql)?://[^\s]*)", lambda m: mask_location(m.group(1)), text)
    return re.sub(r"(password\s*=\s*)\S+", r"\1***", text)


def _connection_error(target: _Target, exc: psycopg.Error) -> WorkspaceError:
    """A bilingual WorkspaceError that says what went wrong connecting and how to fix it."""
    reason = _reason(exc)
    low = reason.lower()
    params = target.params
    user = params.get("user", "")
    db = params.get("dbname", user)
    where = f"{params.get('host', 'localhost')}:{params.get('port', '5432')}"
    if "password authentication failed" in low or "no password supplied" in low or \
            "authentication failed" in low or ("role" in low and "does not exist" in low):
        return WorkspaceError(
            f"PostgreSQL 拒绝登录：用户名或密码不正确（用户 {user}，{target.location}）；"
            f"请检查地址中的用户名和密码（{reason}）",
            f"PostgreSQL refused the login: wrong user name or password (user {user}, "
            f"{target.location}); check the user and password in the URL ({reason})",
        )
    if "database" in low and "does not exist" in low:
        return WorkspaceError(
            f"数据库 {db} 不存在（{target.location}）；请先建库：CREATE DATABASE {db}; "
            f"再在其中执行 CREATE EXTENSION postgis;",
            f"database {db} does not exist ({target.location}); create it first: "
            f"CREATE DATABASE {db}; then, in it, CREATE EXTENSION postgis;",
        )
    return WorkspaceError(
        f"无法连接 PostgreSQL 服务器 {where}（{target.location}）；请确认服务器已启动、"
        f"主机名和端口正确、防火墙放行（{reason}）",
        f"cannot connect to the PostgreSQL server at {where} ({target.location}); check that it "
        f"is running, that the host and port are right and that no firewall blocks it ({reason})",
    )


@contextmanager
def _session(target: _Target, search_path: str | None = None
             ) -> Iterator[psycopg.Connection[Any]]:
    """A new connection, in one transaction: committed when the block ends, rolled back when
    it raises, closed in both cases. ``search_path`` puts PostGIS's schema in reach."""
    try:
        con = psycopg.connect(target.conninfo)
    except psycopg.Error as exc:
        raise _connection_error(target, exc) from None
    with con:
        if search_path is not None:
            con.execute("SELECT set_config('search_path', %s, true)", (search_path,))
        yield con


def _check_database(con: psycopg.Connection[Any], target: _Target) -> str:
    """Refuse a database without PostGIS or not in UTF-8; the search_path that reaches
    PostGIS."""
    row = con.execute(
        "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace "
        "WHERE e.extname = 'postgis'"
    ).fetchone()
    db = con.info.dbname
    if row is None:
        raise WorkspaceError(
            f"数据库 {db} 没有安装 PostGIS 扩展（{target.location}）；请由数据库超级用户在该库中"
            "执行：CREATE EXTENSION postgis;",
            f"the database {db} does not have the PostGIS extension ({target.location}); as a "
            "database superuser, run in it: CREATE EXTENSION postgis;",
        )
    encoding = con.execute(
        "SELECT pg_encoding_to_char(encoding) FROM pg_database WHERE datname = current_database()"
    ).fetchone()
    if encoding is not None and encoding[0] != "UTF8":
        raise WorkspaceError(
            f"数据库 {db} 的编码是 {encoding[0]}，存不下中文；请用 UTF8 编码建库"
            f"（CREATE DATABASE … ENCODING 'UTF8'）",
            f"the database {db} is encoded in {encoding[0]}, which cannot hold Chinese text; "
            "create it in UTF8 (CREATE DATABASE … ENCODING 'UTF8')",
        )
    return sql.Identifier(row[0]).as_string(con)


def _state(con: psycopg.Connection[Any], schema: str) -> str:
    """``missing``, ``empty``, ``dideng`` (holds a workspace) or ``foreign`` (other tables)."""
    if con.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", (schema,)).fetchone() is None:
        return "missing"
    rows = con.execute(
        "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = %s AND c.relkind IN ('r', 'p', 'v', 'm', 'f')",
        (schema,),
    ).fetchall()
    names = {r[0] for r in rows}
    if META in names:
        return "dideng"
    return "foreign" if names else "empty"


def _db_errors(method: Callable[Concatenate[_W, _P], _R]) -> Callable[Concatenate[_W, _P], _R]:
    """Turn a database error in ``method`` into a WorkspaceError saying which workspace."""

    @functools.wraps(method)
    def wrapper(self: _W, *args: _P.args, **kwargs: _P.kwargs) -> _R:
        try:
            return method(self, *args, **kwargs)
        except psycopg.Error as exc:
            reason = _reason(exc)
            raise WorkspaceError(
                f"PostGIS 工作空间 {self.location} 出错：{reason}",
                f"PostGIS workspace {self.location} failed: {reason}",
            ) from exc

    return wrapper


def _derived(name: str, suffix: str) -> str:
    """``name + suffix`` within PostgreSQL's identifier length (a digest keeps it unique)."""
    if len((name + suffix).encode()) <= _MAX_NAME:
        return name + suffix
    digest = hashlib.sha1(name.encode()).hexdigest()[:8]
    return f"{name[: _MAX_NAME - len(suffix) - 9]}_{digest}{suffix}"


# -- columns: pandas -> PostgreSQL -> pandas ---------------------------------------------------

#: catalogue dtype -> the Arrow type its values are sent as
_CATALOGUE_ARROW: dict[str, pa.DataType] = {
    "str": pa.string(),
    "int": pa.int64(),
    "float": pa.float64(),
    "bool": pa.bool_(),
    "date": pa.date32(),
}

#: PostgreSQL type (pg_type.typname) -> the Arrow type its values are read into; others are
#: read as text
_READ_ARROW: dict[str, pa.DataType] = {
    "text": pa.string(),
    "varchar": pa.string(),
    "bpchar": pa.string(),
    "int2": pa.int64(),
    "int4": pa.int64(),
    "int8": pa.int64(),
    "float4": pa.float64(),
    "float8": pa.float64(),
    "numeric": pa.float64(),
    "bool": pa.bool_(),
    "date": pa.date32(),
    "timestamp": pa.timestamp("us"),
    "timestamptz": pa.timestamp("us", tz="UTC"),
    "bytea": pa.binary(),
}

# shapely type id -> geometry type name (a LinearRing is written as a LineString)
_TYPE_NAMES = {0: "Point", 1: "LineString", 2: "LineString", 3: "Polygon", 4: "MultiPoint",
               5: "MultiLineString", 6: "MultiPolygon", 7: "GeometryCollection"}
_MULTI = {"MultiPoint": (0, shapely.multipoints), "MultiLineString": (1, shapely.multilinestrings),
          "MultiPolygon": (3, shapely.multipolygons)}


@dataclass(frozen=True)
class _Column:
    """One attribute column on its way in: SQL type, COPY type and the values (None = NULL)."""

    name: str
    sql_type: str
    copy_type: str
    values: list[Any]


@dataclass(frozen=True)
class _Load:
    """A frame made ready to COPY: attribute columns, geometry type and WKB."""

    columns: list[_Column]
    rows: int
    geometry_type: str | None = None  # PostGIS type modifier name, None for a table
    wkb: np.ndarray | None = None


@dataclass(frozen=True)
class _Field:
    """One column of a stored table."""

    name: str
    typname: str
    geometry_type: str | None  # postgis_typmod_type for geometry columns
    srid: int | None


def _arrow(series: pd.Series, target: pa.DataType | None) -> pa.Array | pa.ChunkedArray:
    try:
        arr = pa.array(series, from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        arr = pa.array(series.astype("str"), from_pandas=True)  # mixed objects: as text
    if pa.types.is_dictionary(arr.type):  # categoricals
        arr = arr.cast(arr.type.value_type)
    if target is not None and arr.type != target:
        arr = arr.cast(target)
    return arr


def _sql_type(t: pa.DataType) -> tuple[str, str, pa.DataType] | None:
    """SQL type, COPY type and the Arrow type to cast to, for an Arrow type (None: as text)."""
    if pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_null(t):
        return "text", "text", pa.string()
    if pa.types.is_boolean(t):
        return "boolean", "bool", t
    if pa.types.is_integer(t):
        return "bigint", "int8", pa.int64()
    if pa.types.is_floating(t):
        return "double precision", "float8", pa.float64()
    if pa.types.is_date(t):
        return "date", "date", pa.date32()
    if pa.types.is_timestamp(t):
        if t.tz is not None:
            return "timestamptz", "timestamptz", pa.timestamp("us", tz=t.tz)
        return "timestamp", "timestamp", pa.timestamp("us")
    if pa.types.is_decimal(t):
        return "numeric", "numeric", t
    if pa.types.is_binary(t) or pa.types.is_large_binary(t):
        return "bytea", "bytea", pa.binary()
    return None


def _column(name: str, series: pd.Series, dtype: str | None) -> _Column:
    arr = _arrow(series, _CATALOGUE_ARROW.get(dtype or ""))
    typed = _sql_type(arr.type)
    if typed is None:
        arr = _arrow(series.astype("str"), pa.string())
        typed = ("text", "text", pa.string())
    sql_type, copy_type, cast = typed
    if arr.type != cast:
        arr = arr.cast(cast)
    return _Column(name, sql_type, copy_type, arr.to_pylist())


def _promote(geoms: np.ndarray, multi: str) -> np.ndarray:
    """Single parts made multi (Polygon -> MultiPolygon …), vectorized as pyogrio does."""
    single, make = _MULTI[multi]
    mask = shapely.get_type_id(geoms) == single
    if mask.any():
        geoms = geoms.copy()
        geoms[mask] = make(np.atleast_2d(geoms[mask]), axis=0)
    return geoms


def _geometry_type(geoms: np.ndarray, kind: str | None) -> tuple[str, np.ndarray]:
    """The column's geometry type (a PostGIS type modifier) and the geometries to store: the
    catalogue's kind when there is one, else inferred from the data as pyogrio does."""
    if kind in _GEOMETRY_TYPES:
        name = _GEOMETRY_TYPES[kind]
        if name in _MULTI:
            geoms = _promote(geoms, name)
        return ("Geometry" if name == "Unknown" else name), geoms
    ids = shapely.get_type_id(geoms)
    names = {_TYPE_NAMES[int(i)] for i in np.unique(ids[ids >= 0])}
    if len(names) == 1:
        return names.pop(), geoms
    for multi in _MULTI:
        if names == {multi, multi.removeprefix("Multi")}:
            return multi, _promote(geoms, multi)
    return "Geometry", geoms


def _info_geometry_type(typmod: str) -> str:
    """A PostGIS type modifier name as pyogrio reports geometry types."""
    base = re.sub(r"(ZM|Z|M)$", "", typmod)
    name = "Unknown" if base.lower() == "geometry" else base
    suffix = typmod[len(base):]
    return f"{name} {suffix}" if suffix and name != "Unknown" else name


def _select(f: _Field) -> sql.Composable:
    """How a column is selected: as it is, numeric as float8, other types as text."""
    if f.typname == "numeric":
        return sql.SQL("{}::float8").format(sql.Identifier(f.name))
    if f.typname in _READ_ARROW:
        return sql.Identifier(f.name)
    return sql.SQL("{}::text").format(sql.Identifier(f.name))


def _check_name(name: str) -> None:
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", name) or name in _INTERNAL or \
            len(name) > _MAX_NAME:
        raise WorkspaceError(
            f"图层名 {name!r} 无效（只能用英文字母、数字和下划线，最多 {_MAX_NAME} 个字符）",
            f"invalid layer name {name!r} (letters, digits and underscores only, at most "
            f"{_MAX_NAME} characters)",
        )


def _check_columns(names: Sequence[str]) -> None:
    problems = []
    seen: set[str] = set()
    for n in names:
        if n in seen:
            problems.append(f"{n!r} (duplicate)")
        seen.add(n)
        if n in ("fid", "geometry"):
            problems.append(f"{n!r} (reserved)")
        elif not n or len(n.encode()) > _MAX_NAME:
            problems.append(f"{n!r} (empty or longer than {_MAX_NAME} bytes)")
    if problems:
        raise WorkspaceError(
            f"列名无效：{', '.join(problems)}；fid 与 geometry 为保留名，列名须唯一且不超过 "
            f"{_MAX_NAME} 字节",
            f"invalid column names: {', '.join(problems)}; fid and geometry are reserved, names "
            f"must be unique and at most {_MAX_NAME} bytes",
        )


# -- the workspace -----------------------------------------------------------------------------


class PostGISWorkspace(Workspace):
    """A workspace stored in one schema of a PostGIS database."""

    def __init__(self, url: str) -> None:
        self._target = _parse(url)
        try:
            with _session(self._target) as con:
                self._search_path = _check_database(con, self._target)
                self._check_state(_state(con, self.schema))
                row = con.execute(
                    sql.SQL("SELECT value FROM {} WHERE key = 'crs'").format(self._table(META))
                ).fetchone()
        except psycopg.Error as exc:
            reason = _reason(exc)
            raise WorkspaceError(f"打开工作空间 {self.location} 失败：{reason}",
                                 f"opening workspace {self.location} failed: {reason}") from exc
        if row is None:
            raise WorkspaceError(
                f"{self.location} 的 {META} 表中没有坐标系（crs）",
                f"the {META} table of {self.location} has no crs",
            )
        self.crs = CRS.from_user_input(row[0])
        self.srid = int(self.crs.to_epsg() or 0)

    def _check_state(self, state: str) -> None:
        if state == "missing":
            raise WorkspaceError(
                f"工作空间不存在：{self.location}（数据库中没有模式 {self.schema}）",
                f"workspace does not exist: {self.location} (no schema {self.schema} in the "
                "database)",
            )
        if state != "dideng":
            raise WorkspaceError(
                f"{self.location} 不是 dideng 工作空间（模式 {self.schema} 中缺少 {META} 表）",
                f"{self.location} is not a dideng workspace (no {META} table in schema "
                f"{self.schema})",
            )

    # -- creation ---------------------------------------------------------------------------
    @classmethod
    def create(cls, url: str, crs: CRS | int | str, *, overwrite: bool = False
               ) -> PostGISWorkspace:
        """Create the workspace's schema and internal tables; an existing dideng schema is
        refused unless ``overwrite`` (which drops it with everything in it)."""
        crs = CRS.from_user_input(crs)
        if crs.is_geographic:
            raise WorkspaceError(
                f"工作空间坐标系必须是投影坐标（高斯-克吕格），不能是 {crs.name}",
                f"a workspace CRS must be projected (Gauss-Krüger), not {crs.name}",
            )
        epsg = crs.to_epsg()
        if epsg is None:
            raise WorkspaceError(
                f"PostGIS 工作空间的坐标系须有 EPSG 代码：{crs.name}",
                f"a PostGIS workspace CRS needs an EPSG code: {crs.name}",
            )
        target = _parse(url)
        try:
            with _session(target) as con:
                search_path = _check_database(con, target)
                con.execute("SELECT set_config('search_path', %s, true)", (search_path,))
                cls._initialise(con, target, epsg, overwrite)
        except psycopg.Error as exc:
            reason = _reason(exc)
            raise WorkspaceError(
                f"创建工作空间 {target.location} 失败：{reason}",
                f"creating workspace {target.location} failed: {reason}",
            ) from exc
        return cls(url)

    @staticmethod
    def _initialise(con: psycopg.Connection[Any], target: _Target, epsg: int,
                    overwrite: bool) -> None:
        schema = target.schema
        if con.execute("SELECT 1 FROM spatial_ref_sys WHERE srid = %s", (epsg,)).fetchone() \
                is None:
            raise WorkspaceError(
                f"PostGIS 的 spatial_ref_sys 中没有 EPSG:{epsg}；请先补充该坐标系",
                f"EPSG:{epsg} is not in PostGIS's spatial_ref_sys; add it first",
            )
        # two creators of one schema queue here
        con.execute("SELECT pg_advisory_xact_lock(hashtext('dideng.create'), hashtext(%s))",
                    (schema,))
        state = _state(con, schema)
        if state == "dideng":
            if not overwrite:
                raise WorkspaceError(f"工作空间已存在：{target.location}",
                                     f"workspace already exists: {target.location}")
            con.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))
        elif state == "foreign":
            raise WorkspaceError(
                f"模式 {schema} 已存在且其中有别的表，不是 dideng 工作空间，不会覆盖；请换一个"
                f"模式名（?schema=…）：{target.location}",
                f"schema {schema} exists and holds other tables (not a dideng workspace); it is "
                f"not overwritten — choose another schema (?schema=…): {target.location}",
            )
        ident = sql.Identifier(schema)
        con.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(ident))
        con.execute(sql.SQL("CREATE TABLE {} (key text PRIMARY KEY, value text)").format(
            sql.Identifier(schema, META)))
        con.execute(sql.SQL(
            "CREATE TABLE {} (fid bigserial PRIMARY KEY, at timestamptz NOT NULL, layer text, "
            "source text, sha256 text, rows_read bigint, rows_repaired bigint, "
            "rows_rejected bigint, rows_written bigint, mode text)"
        ).format(sql.Identifier(schema, LOG)))
        con.execute(sql.SQL(
            "CREATE TABLE {} (name text PRIMARY KEY, stamp text NOT NULL, "
            "changed timestamptz NOT NULL)"
        ).format(sql.Identifier(schema, LAYERS)))
        with con.cursor() as cur:
            cur.executemany(
                sql.SQL("INSERT INTO {} (key, value) VALUES (%s, %s)").format(
                    sql.Identifier(schema, META)),
                [("crs", f"EPSG:{epsg}"),
                 ("created", datetime.now(UTC).isoformat(timespec="seconds")),
                 ("dideng_version", __version__)],
            )

    @classmethod
    def exists(cls, url: str) -> bool:
        """Whether the URL's schema holds a dideng workspace (an unreachable database, or one
        without PostGIS, raises WorkspaceError)."""
        target = _parse(url)
        try:
            with _session(target) as con:
                _check_database(con, target)
                return _state(con, target.schema) == "dideng"
        except psycopg.Error as exc:
            reason = _reason(exc)
            raise WorkspaceError(f"查询工作空间 {target.location} 失败：{reason}",
                                 f"looking up workspace {target.location} failed: {reason}"
                                 ) from exc

    # -- plumbing ---------------------------------------------------------------------------
    @property
    def location(self) -> str:
        return self._target.location

    @property
    def schema(self) -> str:
        """The PostgreSQL schema holding the workspace."""
        return self._target.schema

    @contextmanager
    def _session(self) -> Iterator[psycopg.Connection[Any]]:
        with _session(self._target, self._search_path) as con:
            yield con

    def _table(self, name: str) -> sql.Identifier:
        return sql.Identifier(self.schema, name)

    def _fields(self, con: psycopg.Connection[Any], name: str) -> list[_Field]:
        rows = con.execute(
            "SELECT a.attname, t.typname, "
            "CASE WHEN t.typname = 'geometry' THEN postgis_typmod_type(a.atttypmod) END, "
            "CASE WHEN t.typname = 'geometry' THEN postgis_typmod_srid(a.atttypmod) END "
            "FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
            "JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_type t ON t.oid = a.atttypid "
            "WHERE n.nspname = %s AND c.relname = %s AND a.attnum > 0 AND NOT a.attisdropped "
            "ORDER BY a.attnum",
            (self.schema, name),
        ).fetchall()
        return [_Field(*r) for r in rows]

    def _lock(self, con: psycopg.Connection[Any], name: str) -> None:
        """Take the layer's share lock (waiting for a writer's swap to commit), or raise
        UnknownLayerError."""
        if name in _INTERNAL or name.startswith(STAGING) or len(name.encode()) > _MAX_NAME:
            raise self._unknown(name)
        try:
            con.execute(sql.SQL("LOCK TABLE {} IN ACCESS SHARE MODE").format(self._table(name)))
        except (psycopg.errors.UndefinedTable, psycopg.errors.WrongObjectType):
            raise self._unknown(name) from None

    def _unknown(self, name: str) -> UnknownLayerError:
        present = ", ".join(self.layers())
        return UnknownLayerError(
            f"工作空间中没有图层 {name!r}；现有：{present or '无'}",
            f"no layer {name!r} in the workspace; present: {present or 'none'}",
        )

    # -- reading ----------------------------------------------------------------------------
    def _tables(self, con: psycopg.Connection[Any]) -> list[tuple[str, str]]:
        """(name, stamp) of the layers; a table dideng did not write is stamped by its oid."""
        rows = con.execute(
            sql.SQL(
                "SELECT c.relname, coalesce(l.stamp, 'oid:' || c.oid::text) FROM pg_class c "
                "JOIN pg_namespace n ON n.oid = c.relnamespace "
                "LEFT JOIN {} l ON l.name = c.relname "
                "WHERE n.nspname = %s AND c.relkind IN ('r', 'p') AND c.relname <> ALL(%s) "
                "AND left(c.relname, %s) <> %s"
            ).format(self._table(LAYERS)),
            (self.schema, list(_INTERNAL), len(STAGING), STAGING),
        ).fetchall()
        return [(r[0], r[1]) for r in rows]

    @_db_errors
    def layers(self) -> list[str]:
        with self._session() as con:
            return sorted(n for n, _ in self._tables(con))

    @_db_errors
    def stamps(self) -> dict[str, str]:
        with self._session() as con:
            return dict(sorted(self._tables(con)))

    @_db_errors
    def info(self, name: str) -> dict[str, object]:
        with self._session() as con:
            self._lock(con, name)
            fields = self._fields(con, name)
            geom = next((f for f in fields if f.geometry_type is not None), None)
            if geom is None:
                row = con.execute(sql.SQL("SELECT count(*) FROM {}").format(
                    self._table(name))).fetchone()
            else:
                row = con.execute(sql.SQL(
                    "SELECT n, ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM "
                    "(SELECT count(*) AS n, ST_Extent({}) AS e FROM {}) s"
                ).format(sql.Identifier(geom.name), self._table(name))).fetchone()
        assert row is not None
        bounds = None
        if geom is not None and row[1] is not None:
            bounds = tuple(float(v) for v in row[1:])
        return {
            "name": name,
            "features": int(row[0]),
            "geometry_type": None if geom is None else _info_geometry_type(
                geom.geometry_type or "Geometry"),
            "crs": None if geom is None else f"EPSG:{geom.srid or self.srid}",
            "total_bounds": bounds,
            "fields": [f.name for f in fields if f.name != "fid" and f is not geom],
        }

    @_db_errors
    def read(self, name: str, *, bbox: tuple[float, float, float, float] | None = None,
             columns: list[str] | None = None) -> gpd.GeoDataFrame | pd.DataFrame:
        with self._session() as con:
            self._lock(con, name)
            fields = self._fields(con, name)
            geom = next((f for f in fields if f.geometry_type is not None), None)
            attrs = [f for f in fields if f.name != "fid" and f is not geom
                     and (columns is None or f.name in columns)]
            select = [_select(f) for f in attrs]
            params: list[Any] = []
            where = sql.SQL("")
            if geom is not None:
                g = sql.Identifier(geom.name)
                select.append(sql.SQL("ST_AsBinary({})").format(g))
                if bbox is not None:
                    # && finds candidates in the GiST index (float4 boxes, rounded outward by
                    # metres at Gauss-Krüger eastings); ST_Intersects keeps exactly those that
                    # meet the box, as GDAL does for a GeoPackage
                    env = sql.SQL("ST_MakeEnvelope(%s, %s, %s, %s, %s)")
                    where = sql.SQL(" WHERE {g} && {env} AND ST_Intersects({g}, {env})").format(
                        g=g, env=env)
                    box = [float(v) for v in bbox]
                    params = [*box, geom.srid or 0, *box, geom.srid or 0]
            order = sql.SQL(" ORDER BY fid") if any(f.name == "fid" for f in fields) else \
                sql.SQL("")
            query = sql.SQL("SELECT {} FROM {}{}{}").format(
                sql.SQL(", ").join(select) if select else sql.SQL("NULL"),
                self._table(name), where, order)
            with con.cursor(binary=True) as cur:
                cur.execute(query, params)
                rows = cur.fetchall()
        values = list(zip(*rows, strict=True)) if rows else [()] * max(len(select), 1)
        data = {f.name: pa.array(v, type=_READ_ARROW.get(f.typname, pa.string()))
                for f, v in zip(attrs, values, strict=False)}
        frame = pa.table(data).to_pandas() if data else pd.DataFrame(index=pd.RangeIndex(len(rows)))
        if geom is not None:
            srid = geom.srid or self.srid
            crs = self.crs if srid == self.srid else CRS.from_epsg(srid)
            wkb = np.empty(len(rows), dtype=object)
            wkb[:] = values[len(attrs)] if rows else []
            frame = gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(shapely.from_wkb(wkb),
                                                                   crs=crs))
        if (layer := _schema(name)) is not None:
            frame = conform(frame, layer)
        return frame

    @_db_errors
    def import_log(self) -> pd.DataFrame:
        cols = [c for c, _ in _LOG_COLUMNS]
        with self._session() as con:
            rows = con.execute(sql.SQL("SELECT {} FROM {} ORDER BY fid").format(
                sql.SQL(", ").join(map(sql.Identifier, cols)), self._table(LOG))).fetchall()
        rows = [(r[0].astimezone(UTC).isoformat(timespec="seconds"), *r[1:]) for r in rows]
        return pd.DataFrame(rows, columns=cols)

    @_db_errors
    def get_meta(self, key: str, default: str | None = None) -> str | None:
        with self._session() as con:
            row = con.execute(sql.SQL("SELECT value FROM {} WHERE key = %s").format(
                self._table(META)), (key,)).fetchone()
        return row[0] if row else default

    @_db_errors
    def meta(self) -> dict[str, str]:
        """All metadata keys and values."""
        with self._session() as con:
            rows = con.execute(sql.SQL("SELECT key, value FROM {} ORDER BY key").format(
                self._table(META))).fetchall()
        return dict(rows)

    @_db_errors
    def set_meta(self, key: str, value: str) -> None:
        with self._session() as con:
            con.execute(sql.SQL(
                "INSERT INTO {} (key, value) VALUES (%s, %s) "
                "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value"
            ).format(self._table(META)), (key, value))

    @_db_errors
    def extend_log(self, entries: Iterable[ImportLogEntry]) -> None:
        """Append lines to the import log (e.g. the history of a copied workspace), in one
        transaction."""
        with self._session() as con, con.cursor() as cur:
            for entry in entries:
                self._insert_log(cur, self.schema, entry)

    # -- writing ----------------------------------------------------------------------------
    def write(self, name: str, frame: pd.DataFrame, *, log: ImportLogEntry | None = None
              ) -> None:
        _check_name(name)
        try:
            load = self._prepare(name, frame)
            with self._session() as con, con.cursor() as cur:
                self._replace(cur, name, load, log)
        except Exception as exc:
            if isinstance(exc, WorkspaceError):
                raise
            reason = _reason(exc)
            raise WorkspaceError(
                f"写入图层 {name} 失败，原图层保持不变：{reason}",
                f"writing layer {name} failed; the previous layer is unchanged: {reason}",
            ) from exc

    def _prepare(self, name: str, frame: pd.DataFrame) -> _Load:
        """The frame as COPY will send it: conformed, in the workspace CRS, values and WKB."""
        layer = _schema(name)
        if layer is not None:
            frame = conform(frame, layer)
        geometry_type, wkb = None, None
        attrs = frame
        if isinstance(frame, gpd.GeoDataFrame):
            if frame.crs is None:
                frame = frame.set_crs(self.crs)
            elif not frame.crs.equals(self.crs):
                frame = frame.to_crs(self.crs)
            geoms = np.asarray(frame.geometry.values, dtype=object)
            geometry_type, geoms = _geometry_type(geoms, layer.geometry if layer else None)
            present = geoms[~shapely.is_missing(geoms)]
            has_z = shapely.has_z(present[~shapely.is_empty(present)])
            if has_z.any():  # 3D kept, as the GeoPackage keeps it (2D parts get z = 0)
                geometry_type += "Z"
                if not has_z.all():
                    geoms = shapely.force_3d(geoms)
            wkb = shapely.to_wkb(geoms, output_dimension=3 if has_z.any() else 2)
            attrs = pd.DataFrame(frame.drop(columns=frame.geometry.name))
        names = [str(c) for c in attrs.columns]
        _check_columns(names)
        dtypes = {f.name: f.dtype for f in layer.fields} if layer is not None else {}
        columns = [_column(n, attrs.iloc[:, i], dtypes.get(n)) for i, n in enumerate(names)]
        return _Load(columns, len(frame), geometry_type, wkb)

    def _replace(self, cur: psycopg.Cursor[Any], name: str, load: _Load,
                 log: ImportLogEntry | None) -> None:
        """Inside one transaction: stage the new table, swap it in, log, stamp."""
        schema = self.schema
        staging = f"{STAGING}{uuid.uuid4().hex[:8]}"
        cur.execute("SELECT pg_advisory_xact_lock(hashtext(%s), hashtext(%s))", (schema, name))
        defs = [sql.SQL(
            "fid bigint GENERATED BY DEFAULT AS IDENTITY (SEQUENCE NAME {}) "
            "CONSTRAINT {} PRIMARY KEY"
        ).format(sql.Identifier(schema, f"{staging}_fid_seq"), sql.Identifier(f"{staging}_pkey"))]
        defs += [sql.SQL("{} {}").format(sql.Identifier(c.name), sql.SQL(c.sql_type))
                 for c in load.columns]
        if load.geometry_type is not None:
            defs.append(sql.SQL("geometry geometry({}, {})").format(
                sql.SQL(load.geometry_type), sql.SQL(str(self.srid))))
        table = self._table(staging)
        cur.execute(sql.SQL("CREATE TABLE {} ({})").format(table, sql.SQL(", ").join(defs)))
        self._copy(cur, table, load)
        if load.geometry_type is not None:
            cur.execute(sql.SQL("CREATE INDEX {} ON {} USING GIST (geometry)").format(
                sql.Identifier(f"{staging}_geometry_idx"), table))
        self._comment(cur, table, name, {c.name for c in load.columns})
        cur.execute(sql.SQL("ANALYZE {}").format(table))
        cur.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(self._table(name)))
        self._rename_layer(cur, schema, staging, name)
        if log is not None:
            self._insert_log(cur, schema, log)
        stamp = f"{datetime.now(UTC):%Y-%m-%dT%H:%M:%S.%fZ}/{uuid.uuid4().hex[:8]}"
        cur.execute(sql.SQL(
            "INSERT INTO {} (name, stamp, changed) VALUES (%s, %s, now()) "
            "ON CONFLICT (name) DO UPDATE SET stamp = EXCLUDED.stamp, changed = EXCLUDED.changed"
        ).format(self._table(LAYERS)), (name, stamp))

    @staticmethod
    def _copy(cur: psycopg.Cursor[Any], table: sql.Identifier, load: _Load) -> None:
        """COPY the rows in, binary: each value dumped by psycopg, geometry as WKB bytes that
        PostGIS's receive function reads (taking the column's SRID)."""
        names = [c.name for c in load.columns]
        types = [c.copy_type for c in load.columns]
        arrays: list[Sequence[Any]] = [c.values for c in load.columns]
        if load.wkb is not None:
            names.append("geometry")
            types.append("bytea")
            arrays.append(load.wkb)
        if not names:  # a table with no columns still has its rows
            cur.execute(sql.SQL("INSERT INTO {} SELECT FROM generate_series(1, %s)").format(
                table), (load.rows,))
            return
        statement = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT BINARY)").format(
            table, sql.SQL(", ").join(map(sql.Identifier, names)))
        with cur.copy(statement) as copy:
            copy.set_types(types)
            for row in zip(*arrays, strict=True):
                copy.write_row(row)

    @staticmethod
    def _comment(cur: psycopg.Cursor[Any], table: sql.Identifier, name: str,
                 present: set[str]) -> None:
        """The catalogue's Chinese and English names as table and column comments (QGIS shows
        them)."""
        layer = _schema(name)
        if layer is None:
            return
        statements = [sql.SQL("COMMENT ON TABLE {} IS {}").format(
            table, sql.Literal(f"{layer.zh} / {layer.en}"))]
        statements += [sql.SQL("COMMENT ON COLUMN {}.{} IS {}").format(
            table, sql.Identifier(f.name), sql.Literal(f"{f.zh} / {f.en}"))
            for f in layer.fields if f.name in present]
        cur.execute(sql.SQL("; ").join(statements))

    @staticmethod
    def _rename_layer(cur: psycopg.Cursor[Any], schema: str, old: str, new: str) -> None:
        """Rename a staged table into place with its key, identity sequence and GiST index."""
        cur.execute(sql.SQL("ALTER TABLE {} RENAME TO {}").format(
            sql.Identifier(schema, old), sql.Identifier(new)))
        cur.execute(sql.SQL("ALTER TABLE {} RENAME CONSTRAINT {} TO {}").format(
            sql.Identifier(schema, new), sql.Identifier(f"{old}_pkey"),
            sql.Identifier(_derived(new, "_pkey"))))
        cur.execute(sql.SQL("ALTER SEQUENCE {} RENAME TO {}").format(
            sql.Identifier(schema, f"{old}_fid_seq"), sql.Identifier(_derived(new, "_fid_seq"))))
        cur.execute(sql.SQL("ALTER INDEX IF EXISTS {} RENAME TO {}").format(
            sql.Identifier(schema, f"{old}_geometry_idx"),
            sql.Identifier(_derived(new, "_geometry_idx"))))

    @staticmethod
    def _insert_log(cur: psycopg.Cursor[Any], schema: str, entry: ImportLogEntry) -> None:
        at = entry.at or datetime.now(UTC)
        if at.tzinfo is None:
            at = at.replace(tzinfo=UTC)  # a naive time is taken as UTC
        cols = [c for c, _ in _LOG_COLUMNS]
        values = {"at": at, "layer": entry.layer, "source": entry.source,
                  "sha256": entry.sha256, "rows_read": entry.rows_read,
                  "rows_repaired": entry.rows_repaired, "rows_rejected": entry.rows_rejected,
                  "rows_written": entry.rows_written, "mode": entry.mode}
        cur.execute(sql.SQL("INSERT INTO {} ({}) VALUES ({})").format(
            sql.Identifier(schema, LOG), sql.SQL(", ").join(map(sql.Identifier, cols)),
            sql.SQL(", ").join([sql.Placeholder()] * len(cols))), [values[c] for c in cols])
