"""Canonical pandas dtypes of catalogue fields, and :func:`conform` to put a frame in them.

Used on every read from a store and at the end of validation, so analyses always see the same
types whatever the storage did (GeoPackage has no nullable int/bool, dates come back as
datetimes).
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pyarrow as pa

from layers import Layer

__all__ = ["PANDAS_DTYPES", "conform", "empty_frame"]

#: catalogue dtype -> pandas dtype
PANDAS_DTYPES: dict[str, str] = {
    "str": "str",
    "int": "Int64",
    "float": "float64",
    "bool": "boolean",
    "date": "datetime64[ms]",
}


def _contiguous(col: pd.Series) -> pd.Series:
    """An Arrow-backed text column in one chunk. A read in batches leaves several, and taking
    rows from a chunked array first concatenates every chunk (ten times slower than the take:
    the ledgers take a few rows of whole layers)."""
    arrow = pa.array(col.array)
    if not isinstance(arrow, pa.ChunkedArray) or arrow.num_chunks <= 1:
        return col
    return pd.Series(pd.array(arrow.combine_chunks(), dtype=col.dtype), index=col.index,
                     name=col.name)


def conform(frame: pd.DataFrame, layer: Layer) -> pd.DataFrame:
    """Cast the catalogue fields present in ``frame`` to their canonical dtypes (text in one
    Arrow chunk); key and catalogue fields first (catalogue order), other columns after,
    geometry last."""
    out = frame.copy()
    for f in layer.fields:
        if f.name not in out:
            continue
        target = PANDAS_DTYPES[f.dtype]
        col = out[f.name]
        if f.dtype == "date":
            col = pd.to_datetime(col).dt.normalize().astype(target)
        elif f.dtype == "bool" and col.dtype == object:
            col = col.astype("boolean")
        elif str(col.dtype) != target:
            col = col.astype(target)
        if f.dtype == "str":
            col = _contiguous(col)
        out[f.name] = col
    known = [f.name for f in layer.fields if f.name in out]
    geom = [out.geometry.name] if isinstance(out, gpd.GeoDataFrame) else []
    rest = [c for c in out.columns if c not in known and c not in geom]
    return out[known + rest + geom]


def empty_frame(layer: Layer, crs=None) -> pd.DataFrame:
    """A zero-row frame with the layer's fields in canonical dtypes."""
    data = {f.name: pd.Series([], dtype=PANDAS_DTYPES[f.dtype]) for f in layer.fields}
    if layer.has_geometry:
        return gpd.GeoDataFrame(data, geometry=gpd.GeoSeries([], crs=crs), crs=crs)
    return pd.DataFrame(data)
