"""Builders shared by the analysis tests: canonical layer frames from hand-written rows."""

import geopandas as gpd
import pandas as pd
from shapely.geometry import box

from gis.schema import PANDAS_DTYPES, conform
from layers import catalogue

X0, Y0 = 40_520_000.0, 3_353_000.0  # CGCS2000 3° zone 40 (EPSG:4528)
CRS = "EPSG:4528"


def rect(x: float, y: float, w: float = 100, h: float = 100):
    """A w × h m box whose lower-left corner is (x, y) metres from (X0, Y0)."""
    return box(X0 + x, Y0 + y, X0 + x + w, Y0 + y + h)


def frame(layer: str, rows: list[dict]) -> pd.DataFrame:
    """Rows as the catalogue layer in canonical dtypes; a GeoDataFrame when the rows carry a
    geometry (an empty layer with geometry gets an empty geometry column)."""
    spec = catalogue[layer]
    if rows:
        df = pd.DataFrame(rows)
    else:
        df = pd.DataFrame({f.name: pd.Series([], dtype=PANDAS_DTYPES[f.dtype])
                           for f in spec.fields})
        if spec.has_geometry:
            df["geometry"] = None
    if "geometry" in df:  # enterprises may come without points: a plain frame
        df = gpd.GeoDataFrame(df, geometry="geometry", crs=CRS)
    return conform(df, spec)
