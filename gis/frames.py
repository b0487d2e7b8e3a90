"""Reading layer frames in the analyses: numeric columns that may be absent, layers brought
into the analysis CRS, and key → value lookups.

>>> frame = pd.DataFrame({"tax_wan": [1, None], "code": ["A", "A"]})
>>> numeric_column(frame, "tax_wan"), numeric_column(frame, "revenue_wan")
(array([ 1., nan]), array([nan, nan]))
>>> numeric_column(frame, "tax_wan", np.array([1, 0, 1])), numeric_column(frame, "x", [0])
(array([nan,  1., nan]), array([nan]))
>>> unique_map(frame["code"], pd.Series(["first", "second"])).to_dict()
{'A': 'first'}
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from gis.schema import PANDAS_DTYPES

__all__ = ["arrow_text", "numeric_column", "same_crs", "text_array", "text_is", "unique_map"]

#: the layers' text dtype (pandas' ``str``: Arrow storage, missing as NaN)
_TEXT = pd.api.types.pandas_dtype(PANDAS_DTYPES["str"])


def arrow_text(values: pd.Series | pd.api.extensions.ExtensionArray) -> pa.Array:
    """A text column as one Arrow array (chunks joined; missing values null), for Arrow's
    vectorized lookups, ranks and membership tests — without a copy when the column is Arrow
    text already."""
    array = values.array if isinstance(values, pd.Series) else values
    if not (isinstance(array.dtype, pd.StringDtype) and array.dtype.storage == "pyarrow"):
        array = pd.array(array, dtype="str", copy=False)
    arrow = pa.array(array, from_pandas=True)
    if isinstance(arrow, pa.ChunkedArray):
        return arrow.chunk(0) if arrow.num_chunks == 1 else arrow.combine_chunks()
    return arrow


def text_array(values: pa.Array) -> pd.api.extensions.ExtensionArray:
    """An Arrow text array as a pandas ``str`` array (the layers' text dtype), wrapped without
    a copy or a round trip through Python strings."""
    if not pa.types.is_large_string(values.type):
        values = values.cast(pa.large_string())
    return pd.arrays.ArrowStringArray(values, dtype=_TEXT)


def text_is(values: pd.Series | pd.api.extensions.ExtensionArray | pa.Array, value: str
            ) -> np.ndarray:
    """Where a text column (or its :func:`arrow_text`) equals ``value`` (missing: False),
    compared in Arrow (pandas' ``eq`` on Arrow text boxes the scalar anew each call, ten times
    slower)."""
    arrow = values if isinstance(values, pa.Array) else arrow_text(values)
    return pc.equal(arrow, value).fill_null(False).to_numpy(zero_copy_only=False)


def numeric_column(frame: pd.DataFrame, name: str, rows: np.ndarray | None = None
                   ) -> np.ndarray:
    """A numeric column as float (NA → NaN), NaN when absent; only its values at positions
    ``rows`` when given."""
    if name not in frame:
        return np.full(len(frame) if rows is None else len(rows), np.nan)
    column = frame[name]
    if column.dtype == np.float64:  # the layers' own number dtype: nothing to parse
        values = column.to_numpy()
        return values.copy() if rows is None else values[rows]
    values = pd.to_numeric(column, errors="coerce").astype("float64").to_numpy(na_value=np.nan)
    return values if rows is None else values[rows]


def same_crs(frame: pd.DataFrame, crs) -> pd.DataFrame:
    """``frame`` reprojected to ``crs`` when it is a non-empty GeoDataFrame in another CRS;
    otherwise as it is (a plain frame, an empty layer, or either CRS unknown)."""
    if (isinstance(frame, gpd.GeoDataFrame) and frame.crs is not None and crs is not None
            and frame.crs != crs and len(frame)):
        return frame.to_crs(crs)
    return frame


def unique_map(keys: pd.Series, values: pd.Series) -> pd.Series:
    """keys → values, the first value where a key repeats."""
    s = pd.Series(values.to_numpy(), index=keys.to_numpy(dtype=object))
    return s[~s.index.duplicated(keep="first")]
