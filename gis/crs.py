"""CGCS2000 Gauss-Krüger zones, EPSG lookup, and placing coordinates that arrive without (or
with a wrong) CRS.

Chinese surveying convention: X = northing, Y = easting; a 3° zone's easting may carry the zone
number as prefix (Y = zone × 10⁶ + 500 000 ± …). GIS order is x = easting, y = northing. The
EPSG codes (DOMAIN.md §8.1, checked against the EPSG registry through pyproj):

- CGCS2000 3° with zone prefix: 4513 (zone 25) … 4533 (zone 45); without prefix 4534 … 4554
- CGCS2000 6° with zone prefix: 4491 (zone 13) … 4501 (zone 23); without prefix 4502 … 4512

Examples
--------
>>> gk_zone(118.49), gk_zone(118.5)
(39, 40)
>>> gk_epsg(40), gk_epsg(40, prefixed=False)
(4528, 4549)
>>> zone_from_easting(40_520_986.477)
(40, 3)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import shapely
from pyproj import CRS, Transformer

from gis.errors import CRSError
from gis.report import Issue

__all__ = [
    "GK",
    "central_meridian",
    "gk_epsg",
    "gk_info",
    "gk_zone",
    "place",
    "swap_xy",
    "workspace_crs_for",
    "zone_from_easting",
]

# China's extent with a margin, in degrees and in Gauss-Krüger northing (metres)
LON_RANGE = (72.0, 138.0)
LAT_RANGE = (0.5, 56.0)
NORTHING_RANGE = (50_000.0, 6_300_000.0)
#: easting without prefix: 500 000 ± 1/2 zone width (6° zones at the equator reach ±334 km)
EASTING_RANGE = (100_000.0, 900_000.0)

# EPSG families: (datum, width, prefixed) -> (first epsg, first zone)
_FAMILIES: dict[tuple[str, int, bool], tuple[int, int]] = {
    ("CGCS2000", 3, True): (4513, 25),
    ("CGCS2000", 3, False): (4534, 25),
    ("CGCS2000", 6, True): (4491, 13),
    ("CGCS2000", 6, False): (4502, 13),
    ("Xian1980", 3, True): (2349, 25),
    ("Xian1980", 3, False): (2370, 25),
    ("Xian1980", 6, True): (2327, 13),
    ("Xian1980", 6, False): (2338, 13),
    ("Beijing1954", 3, True): (2401, 25),
    ("Beijing1954", 3, False): (2422, 25),
    ("Beijing1954", 6, True): (21413, 13),
    ("Beijing1954", 6, False): (21453, 13),
}
_ZONES = {3: range(25, 46), 6: range(13, 24)}


@dataclass(frozen=True)
class GK:
    """A Gauss-Krüger CRS of the Chinese EPSG families."""

    datum: str
    width: int
    zone: int
    prefixed: bool

    @property
    def epsg(self) -> int:
        return gk_epsg(self.zone, width=self.width, prefixed=self.prefixed, datum=self.datum)

    @property
    def central_meridian(self) -> float:
        return central_meridian(self.zone, self.width)


def gk_zone(lon: float, width: int = 3) -> int:
    """Zone number for a longitude: 3° n = floor((λ + 1.5)/3), 6° n = floor(λ/6) + 1.

    ``floor``, not ``round``: Python's banker's rounding breaks at zone edges.
    """
    if width == 3:
        return math.floor((lon + 1.5) / 3)
    if width == 6:
        return math.floor(lon / 6) + 1
    raise ValueError(f"分带宽度只能是 3 或 6 / zone width must be 3 or 6, got {width}")


def central_meridian(zone: int, width: int = 3) -> float:
    """Central meridian of a zone: 3n (3°) or 6n − 3 (6°)."""
    return float(3 * zone if width == 3 else 6 * zone - 3)


def gk_epsg(zone: int, *, width: int = 3, prefixed: bool = True, datum: str = "CGCS2000") -> int:
    """EPSG code of a Gauss-Krüger zone (CGCS2000 by default)."""
    try:
        first_epsg, first_zone = _FAMILIES[(datum, width, prefixed)]
    except KeyError:
        raise CRSError(
            f"不支持的坐标系组合：{datum} {width}°带",
            f"unsupported datum/zone width: {datum} {width}-degree",
        ) from None
    if zone not in _ZONES[width]:
        raise CRSError(
            f"{width}°带带号 {zone} 不在中国范围内（{_ZONES[width].start}–{_ZONES[width].stop - 1}）",
            f"{width}-degree zone {zone} is outside China "
            f"({_ZONES[width].start}–{_ZONES[width].stop - 1})",
        )
    return first_epsg + zone - first_zone


def gk_info(crs: CRS | int | str | None) -> GK | None:
    """Recognise a CRS of the Chinese Gauss-Krüger EPSG families (None for anything else)."""
    if crs is None:
        return None
    epsg = CRS.from_user_input(crs).to_epsg()
    if epsg is None:
        return None
    for (datum, width, prefixed), (first_epsg, first_zone) in _FAMILIES.items():
        n = len(_ZONES[width])
        if first_epsg <= epsg < first_epsg + n:
            return GK(datum, width, first_zone + epsg - first_epsg, prefixed)
    return None


def zone_from_easting(y: float) -> tuple[int, int] | None:
    """(zone, width) from an easting carrying the zone prefix, e.g. 40 520 986 → (40, 3).

    3° zones are 25–45 and 6° zones 13–23, so the number itself tells the width.
    """
    if not np.isfinite(y) or y < 1e7:
        return None
    zone = int(y // 1_000_000)
    rest = y - zone * 1_000_000
    if not EASTING_RANGE[0] <= rest <= EASTING_RANGE[1]:
        return None
    if zone in _ZONES[3]:
        return zone, 3
    if zone in _ZONES[6]:
        return zone, 6
    return None


def swap_xy(geoms: gpd.GeoSeries) -> gpd.GeoSeries:
    """Swap x and y of every coordinate (vectorized)."""
    swapped = shapely.transform(np.asarray(geoms.values), lambda c: c[:, ::-1])
    return gpd.GeoSeries(swapped, index=geoms.index, crs=geoms.crs)


def _in(lo_hi: tuple[float, float], lo: float, hi: float) -> bool:
    return lo_hi[0] <= lo and hi <= lo_hi[1]


def _prefixed_zone(lo: float, hi: float) -> tuple[int, int] | None:
    a, b = zone_from_easting(lo), zone_from_easting(hi)
    return a if a is not None and a == b else None


def _looks(xmin: float, xmax: float, ymin: float, ymax: float) -> str | None:
    """Classify bounds: 'lonlat', 'latlon', 'gk_prefixed', 'gk_prefixed_swapped', 'gk_plain',
    'gk_plain_swapped' or None."""
    if _in(LON_RANGE, xmin, xmax) and _in(LAT_RANGE, ymin, ymax):
        return "lonlat"
    if _in(LAT_RANGE, xmin, xmax) and _in(LON_RANGE, ymin, ymax):
        return "latlon"
    if _prefixed_zone(xmin, xmax) and _in(NORTHING_RANGE, ymin, ymax):
        return "gk_prefixed"
    if _prefixed_zone(ymin, ymax) and _in(NORTHING_RANGE, xmin, xmax):
        return "gk_prefixed_swapped"
    if _in(EASTING_RANGE, xmin, xmax) and _in(NORTHING_RANGE, ymin, ymax):
        return "gk_plain"
    if _in(EASTING_RANGE, ymin, ymax) and _in(NORTHING_RANGE, xmin, xmax):
        return "gk_plain_swapped"
    return None


def _note(code: str, zh: str, en: str) -> Issue:
    return Issue("note", code, zh, en)


def place(
    geoms: gpd.GeoSeries, crs: CRS | int | str | None = None
) -> tuple[gpd.GeoSeries, list[Issue]]:
    """Give coordinates their true CRS and axis order, saying what was inferred.

    ``crs`` is the declared CRS (from the user; else the series' own CRS from the file); the
    coordinates are checked against it. Degrees where metres are expected, swapped X/Y (Chinese X = northing), Gauss-Krüger
    coordinates without a .prj (8-digit easting with zone prefix) and a zone prefix that does not
    match the declared family are each inferred with a note — never silently. Coordinates that
    cannot be placed raise :class:`CRSError`.
    """
    issues: list[Issue] = []
    if crs is None:
        crs = geoms.crs
    declared = CRS.from_user_input(crs) if crs is not None else None
    valid = geoms[~(geoms.isna() | geoms.is_empty)]
    if valid.empty:
        if declared is None:
            raise CRSError("没有几何，也没有坐标系", "no geometry and no CRS")
        return geoms.set_crs(declared, allow_override=True), issues
    xmin, ymin, xmax, ymax = (float(v) for v in valid.total_bounds)
    kind = _looks(xmin, xmax, ymin, ymax)
    bounds = f"({xmin:.3f}, {ymin:.3f}) – ({xmax:.3f}, {ymax:.3f})"

    if kind is None:
        if declared is not None and not declared.is_geographic and gk_info(declared) is None:
            # some other projected CRS (e.g. Web Mercator, UTM): trust it, reprojection follows
            return geoms.set_crs(declared, allow_override=True), issues
        raise CRSError(
            f"无法判断坐标所在位置：范围 {bounds} 既不是中国境内的经纬度，也不是高斯-克吕格坐标；"
            "请用 --crs 指定坐标系",
            f"cannot place coordinates with bounds {bounds}: neither lon/lat in China nor "
            "Gauss-Krüger; give the CRS with --crs",
        )

    swapped = kind in ("latlon", "gk_prefixed_swapped", "gk_plain_swapped")
    if swapped:
        geoms = swap_xy(geoms)
        xmin, ymin, xmax, ymax = ymin, xmin, ymax, xmax
        issues.append(
            _note(
                "crs.swapped_xy",
                "坐标的 X/Y 顺序颠倒（中国测量习惯 X 为北坐标），已交换",
                "X/Y were swapped (Chinese convention X = northing); swapped back",
            )
        )
        kind = {"latlon": "lonlat", "gk_prefixed_swapped": "gk_prefixed"}.get(kind, "gk_plain")

    info = gk_info(declared) if declared is not None else None
    if kind == "lonlat":
        if declared is not None and declared.is_geographic:
            return geoms.set_crs(declared, allow_override=True), issues
        target = CRS.from_epsg(4490)
        if declared is None:
            issues.append(
                _note(
                    "crs.assumed_cgcs2000_geographic",
                    "文件未声明坐标系，坐标为经纬度，按 CGCS2000 (EPSG:4490) 处理",
                    "no CRS declared; coordinates are degrees, taken as CGCS2000 (EPSG:4490)",
                )
            )
        else:
            issues.append(
                _note(
                    "crs.degrees_not_metres",
                    f"声明的坐标系 {declared.name} 以米为单位，但坐标是经纬度（度），按 EPSG:4490 处理",
                    f"declared CRS {declared.name} is in metres but the coordinates are degrees; "
                    "taken as EPSG:4490",
                )
            )
        return geoms.set_crs(target, allow_override=True), issues

    if kind == "gk_prefixed":
        zone, width = _prefixed_zone(xmin, xmax)  # type: ignore[misc]
        datum = info.datum if info is not None else "CGCS2000"
        target = CRS.from_epsg(gk_epsg(zone, width=width, prefixed=True, datum=datum))
        if info is not None and info.prefixed and info.zone == zone and info.width == width:
            return geoms.set_crs(declared, allow_override=True), issues
        if declared is None:
            issues.append(
                _note(
                    "crs.inferred_gauss_kruger",
                    f"文件未声明坐标系；Y 坐标带带号 {zone}，按 {target.name} (EPSG:{target.to_epsg()}) "
                    "处理（假定 CGCS2000 基准）",
                    f"no CRS declared; eastings carry zone prefix {zone}; taken as {target.name} "
                    f"(EPSG:{target.to_epsg()}), assuming the CGCS2000 datum",
                )
            )
        else:
            issues.append(
                _note(
                    "crs.zone_mismatch",
                    f"声明的坐标系 {declared.name} 与坐标中的带号 {zone} 不符，按 EPSG:{target.to_epsg()} 处理",
                    f"declared CRS {declared.name} does not match the zone prefix {zone} in the "
                    f"coordinates; taken as EPSG:{target.to_epsg()}",
                )
            )
        return geoms.set_crs(target, allow_override=True), issues

    # gk_plain: projected metres with no zone prefix — the zone must come from the declaration
    if info is not None and not info.prefixed:
        return geoms.set_crs(declared, allow_override=True), issues
    if info is not None and info.prefixed:
        target = CRS.from_epsg(
            gk_epsg(info.zone, width=info.width, prefixed=False, datum=info.datum)
        )
        issues.append(
            _note(
                "crs.prefix_missing",
                f"声明的坐标系 {declared.name} 带带号，但 Y 坐标没有带号，按 EPSG:{target.to_epsg()} 处理",  # type: ignore[union-attr]
                f"declared CRS {declared.name} has a zone prefix but the eastings do not; "  # type: ignore[union-attr]
                f"taken as EPSG:{target.to_epsg()}",
            )
        )
        return geoms.set_crs(target, allow_override=True), issues
    if declared is not None and not declared.is_geographic:
        return geoms.set_crs(declared, allow_override=True), issues
    raise CRSError(
        f"坐标像是不带带号的高斯-克吕格坐标（范围 {bounds}），无法判断带号；请用 --crs 指定，"
        "如 EPSG:4549（CGCS2000 3°带 中央经线 120°E）",
        f"coordinates look like Gauss-Krüger without a zone prefix (bounds {bounds}); the zone "
        "cannot be inferred; give it with --crs, e.g. EPSG:4549 (CGCS2000 3-degree CM 120E)",
    )


def datum_notes(crs: CRS) -> list[Issue]:
    """Warn where converting to CGCS2000 needs local parameters (Xian 1980, Beijing 1954)."""
    info = gk_info(crs)
    name = crs.name
    if (info is not None and info.datum != "CGCS2000") or any(
        s in name for s in ("Xian 1980", "Beijing 1954")
    ):
        return [
            _note(
                "crs.legacy_datum",
                f"{name} 转换到 CGCS2000 需要当地七参数；未提供参数时的转换可能有数十米偏差",
                f"{name} to CGCS2000 needs local 7-parameter transformation; without them the "
                "result may be off by tens of metres",
            )
        ]
    return []


def workspace_crs_for(geoms: gpd.GeoSeries, *, prefixed: bool = True) -> CRS:
    """The canonical CRS for a new workspace holding ``geoms``.

    Data already in a CGCS2000 3° Gauss-Krüger CRS keeps it; otherwise the zone comes from the
    longitude of the data's centre: zone = floor((lon + 1.5)/3), with the zone prefix by default
    (as in 部标 TXT files).
    """
    info = gk_info(geoms.crs)
    if info is not None and info.datum == "CGCS2000" and info.width == 3:
        return CRS.from_epsg(info.epsg)
    if geoms.crs is None:
        raise CRSError("数据没有坐标系", "data has no CRS")
    xmin, ymin, xmax, ymax = geoms.total_bounds
    to_ll = Transformer.from_crs(geoms.crs, 4490, always_xy=True)
    lon, _lat = to_ll.transform((xmin + xmax) / 2, (ymin + ymax) / 2)
    return CRS.from_epsg(gk_epsg(gk_zone(lon), prefixed=prefixed))
