"""PostGIS for the benchmarks: connecting (or saying why not) and loading layers by COPY.

Rows go to the server with ``COPY … FROM STDIN`` (psycopg), geometries as hex EWKB carrying the
SRID, a chunk at a time: from a frame already in memory (:func:`frame_chunks`) or streamed from a
GeoPackage or GeoParquet file as Arrow record batches (:func:`load_arrow`), so a layer never has
to be held whole by the client. After the COPY, a GiST index on the geometry and
VACUUM (ANALYZE).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence

import numpy as np
import pandas as pd
import shapely

__all__ = ["DEFAULT_URL", "connect", "copy_rows", "frame_chunks", "index_and_analyze",
           "load_arrow", "url"]

DEFAULT_URL = "postgresql://postgres@127.0.0.1/dideng_bench"
#: rows per COPY chunk (bounds the client's memory for the converted values)
CHUNK = 50_000
#: catalogue dtype → SQL type
SQL_TYPES = {"str": "text", "int": "bigint", "float": "double precision", "bool": "boolean",
             "date": "date"}


def url() -> str:
    """``$DIDENG_BENCH_PG_URL``, else :data:`DEFAULT_URL`."""
    return os.environ.get("DIDENG_BENCH_PG_URL", DEFAULT_URL)


def connect(location: str):
    """``((connection, postgis_full_version), None)``, or ``(None, reason)`` when the server, the
    database, the PostGIS extension or the psycopg client is missing."""
    try:
        import psycopg
    except ImportError:
        return None, "Python 客户端 psycopg 未安装 / the psycopg client is not installed"
    try:
        con = psycopg.connect(location, autocommit=True, connect_timeout=5)
    except Exception as exc:  # any failure to reach the server means: skip the PostGIS half
        return None, f"无法连接 PostGIS / cannot connect to {location}: {' '.join(str(exc).split())}"
    try:
        version = con.execute("SELECT postgis_full_version()").fetchone()[0]
    except Exception as exc:
        con.close()
        return None, f"数据库没有 PostGIS 扩展 / no PostGIS extension at {location}: {exc}"
    return (con, version), None


def _values(col: pd.Series) -> list:
    """A column as Python values psycopg's COPY takes (dates as ``date``, missing as None)."""
    if pd.api.types.is_datetime64_any_dtype(col):
        return [None if pd.isna(v) else v.date() for v in col]
    if pd.api.types.is_float_dtype(col):
        return [None if pd.isna(v) else float(v) for v in col]
    return col.astype(object).where(col.notna(), None).tolist()


def _ewkb(geoms: np.ndarray, srid: int) -> list:
    return shapely.to_wkb(shapely.set_srid(np.asarray(geoms, dtype=object), srid), hex=True,
                          include_srid=True).tolist()


def frame_chunks(frame: pd.DataFrame, columns: Sequence[str], srid: int, *,
                 geometry: np.ndarray | None = None, chunk: int = CHUNK
                 ) -> Iterator[tuple[list[list], list]]:
    """``(column values, hex EWKB)`` of ``frame`` in chunks (geometry: the frame's own)."""
    geoms = np.asarray(frame.geometry.array if geometry is None else geometry, dtype=object)
    for start in range(0, len(frame), chunk):
        part = frame.iloc[start:start + chunk]
        yield [_values(part[c]) for c in columns], _ewkb(geoms[start:start + chunk], srid)


def copy_rows(con, table: str, columns: Sequence[str], chunks: Iterable[tuple[list[list], list]]
              ) -> int:
    """One ``COPY table (columns…, geom)`` fed chunk by chunk; returns the rows copied."""
    n = 0
    with con.cursor() as cur, cur.copy(
            f"COPY {table} ({', '.join([*columns, 'geom'])}) FROM STDIN") as copy:
        for values, wkb in chunks:
            for row in zip(*values, wkb, strict=True):
                copy.write_row(row)
            n += len(wkb)
    return n


def index_and_analyze(con, table: str) -> None:
    """A GiST index, then VACUUM (ANALYZE): statistics, and the visibility map and hint bits
    written now — not by autovacuum later, in the background of the timed runs (a freshly
    loaded table is an insert-only table autovacuum visits)."""
    con.execute(f"CREATE INDEX ON {table} USING gist (geom)")
    con.execute(f"VACUUM (ANALYZE) {table}")


def _arrow_chunks(batches: Iterable, columns: Sequence[str], geometry: str, srid: int
                  ) -> Iterator[tuple[list[list], list]]:
    for batch in batches:
        frame = batch.select(list(columns)).to_pandas()
        wkb = batch.column(geometry).to_numpy(zero_copy_only=False)
        yield [_values(frame[c]) for c in columns], _ewkb(shapely.from_wkb(wkb), srid)


def load_arrow(con, table: str, path: str, columns: dict[str, str], srid: int, *,
               layer: str | None = None, chunk: int = CHUNK) -> int:
    """Create ``table`` (``columns``: name → catalogue dtype, plus ``geom``) and stream the file
    at ``path`` into it: a GeoPackage layer (``layer``) or a GeoParquet file (WKB geometry).
    Returns the rows loaded."""
    con.execute(f"DROP TABLE IF EXISTS {table}")
    fields = ", ".join(f"{c} {SQL_TYPES[t]}" for c, t in columns.items())
    con.execute(f"CREATE TABLE {table} ({fields}, geom geometry(Geometry, {srid}))")
    if layer is not None:
        from pyogrio.raw import open_arrow

        with open_arrow(path, layer=layer, columns=list(columns), batch_size=chunk,
                        use_pyarrow=True) as (meta, reader):
            n = copy_rows(con, table, list(columns),
                          _arrow_chunks(reader, columns, meta["geometry_name"] or "wkb", srid))
    else:
        import pyarrow.parquet as pq

        source = pq.ParquetFile(path)
        n = copy_rows(con, table, list(columns),
                      _arrow_chunks(source.iter_batches(batch_size=chunk,
                                                        columns=[*columns, "geometry"]),
                                    columns, "geometry", srid))
    index_and_analyze(con, table)
    return n
