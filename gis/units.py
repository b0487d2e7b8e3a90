"""Area and money units. 1 亩 = 2000/3 m² exactly; 1 公顷 = 15 亩 = 10 000 m².

Areas are computed from geometry in the workspace's projected Gauss-Krüger CRS, never in degrees
or Web Mercator (:func:`area_m2` refuses both).

Examples
--------
>>> m2_to_mu(2000)
3.0
>>> round(ha_to_mu(5.7089), 2)
85.63
"""

from __future__ import annotations

from fractions import Fraction

import geopandas as gpd
import numpy as np
import pandas as pd

from gis.errors import CRSError

__all__ = [
    "M2_PER_HA",
    "M2_PER_MU",
    "area_m2",
    "area_mu",
    "ha_to_mu",
    "m2_to_ha",
    "m2_to_mu",
    "mu_to_m2",
]

#: square metres per 亩, exact (2000/3); never use the rounded 666.67
M2_PER_MU: float = float(Fraction(2000, 3))
M2_PER_HA: float = 10_000.0

_WEB_MERCATOR = {3857, 900913, 3785, 102100, 102113}


def m2_to_mu(m2):
    """Square metres to 亩 (works on scalars, arrays and Series)."""
    return m2 * 3 / 2000


def mu_to_m2(mu):
    """亩 to square metres."""
    return mu * 2000 / 3


def m2_to_ha(m2):
    """Square metres to 公顷."""
    return m2 / M2_PER_HA


def ha_to_mu(ha):
    """公顷 to 亩 (1 公顷 = 15 亩)."""
    return ha * 15


#: the CRSs (by their definition) found fit for areas: asking pyproj for an EPSG code costs
#: tens of microseconds, which a county-sized analysis repeats for nothing
_AREA_CRS_OK: set[str] = set()


def assert_area_crs(crs) -> None:
    """Raise :class:`CRSError` unless ``crs`` is a projected CRS fit for areas.

    Geographic CRSs (degrees) and Web Mercator (areas ×2.4 at 50°N) are refused.
    """
    if crs is not None and crs.srs in _AREA_CRS_OK:
        return
    if crs is None:
        raise CRSError(
            "数据没有坐标系，无法计算面积", "data has no CRS; cannot compute areas"
        )
    if crs.is_geographic:
        raise CRSError(
            f"坐标系 {crs.name} 是经纬度（度），面积必须在高斯-克吕格投影（米）下计算",
            f"CRS {crs.name} is in degrees; areas must be computed in a Gauss-Krüger CRS (metres)",
        )
    epsg = crs.to_epsg()
    if epsg in _WEB_MERCATOR or "Pseudo-Mercator" in crs.name:
        raise CRSError(
            f"Web 墨卡托 ({crs.name}) 面积严重失真，不能用于面积计算",
            f"Web Mercator ({crs.name}) distorts areas; refused for area work",
        )
    _AREA_CRS_OK.add(crs.srs)


def area_m2(gdf: gpd.GeoDataFrame | gpd.GeoSeries) -> pd.Series:
    """Area of each geometry in m², guarded against degrees and Web Mercator."""
    assert_area_crs(gdf.crs)
    geoms = gdf.geometry if isinstance(gdf, gpd.GeoDataFrame) else gdf
    return pd.Series(np.asarray(geoms.area, dtype=float), index=geoms.index, name="area_m2")


def area_mu(gdf: gpd.GeoDataFrame | gpd.GeoSeries) -> pd.Series:
    """Area of each geometry in 亩 (from m², exact factor)."""
    return m2_to_mu(area_m2(gdf)).rename("area_mu")
