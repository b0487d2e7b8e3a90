"""Print maps (issue 7): the park's 招商地块图 poster and the one-page site brief of a match.

Pure functions of layers (no web framework): they return the bytes of a PDF (or PNG) and can
write them to a path. Everything is drawn in the workspace's Gauss-Krüger CRS (metres), so the
scale bar is true; a site arriving in CRS84 GeoJSON is transformed to it first.

* :func:`park_poster` — A4/A3/A1, portrait or landscape, at true size: title, subtitle (as-of
  day, data source), the park and its neighbours, the available land coloured by source and
  labelled with its 亩 (small parcels with a number keyed to the table), roads by class,
  facilities, a Chinese/English legend, scale bar and north arrow, an inset of the zone in the
  county, the table of available parcels (continued on further pages when long) and a contact
  block. ``audience="public"`` shows only what :func:`gis.access.mask` lets the public see.
* :func:`site_brief` — one A4 page for an investor about one site of a :func:`gis.matching.match`
  answer: map, parcels and areas, checks, scores, distances, the 标准地 indicators to meet.
* :func:`nice_scale_length` — the round length of a scale bar.

Figures are built with the object-oriented API (``Figure`` + a canvas, never ``pyplot``), inside
:func:`gis.maps.fonts.print_context` (the CJK font, TrueType embedding), and dropped after saving.
"""

from __future__ import annotations

import io
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.collections import PatchCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import FancyArrow, Patch, Rectangle
from matplotlib.patheffects import withStroke
from pyproj import CRS
from shapely.geometry import shape

from gis.access import Role, mask
from gis.cleanup import cleanup
from gis.dates import default_as_of
from gis.errors import UnknownFeatureError, ValidationError
from gis.frames import same_crs
from gis.maps.fonts import print_context
from gis.maps.palette import colour, label, source_label
from gis.matching.pool import build_pool
from gis.matching.rules import RULE_NAMES
from gis.matching.score import CRITERIA, NAMES
from gis.policy import Policy
from gis.units import assert_area_crs
from layers import catalogue, land_use_codes

__all__ = ["PAPER_MM", "Poster", "ScaleBar", "UnknownZoneError", "build_park_poster",
           "draw_scale_bar", "nice_scale_length", "park_poster", "site_brief"]

#: ISO 216 sheets, portrait (width, height) in mm
PAPER_MM: dict[str, tuple[float, float]] = {"A4": (210.0, 297.0), "A3": (297.0, 420.0),
                                            "A1": (594.0, 841.0)}
MM_PER_INCH = 25.4
PT_PER_MM = 72.0 / 25.4

#: the sources of available land, in the order of legends and tables; public: the first two
SOURCES = ("unsupplied", "reserve", "idle", "low_efficiency")
PUBLIC_SOURCES = ("unsupplied", "reserve")
ROAD_CLASSES = ("motorway", "trunk", "primary", "secondary", "branch")
ROAD_WIDTH_PT = {"motorway": 2.6, "trunk": 2.0, "primary": 1.5, "secondary": 0.9, "branch": 0.5}
#: facility kind -> matplotlib marker (rail is drawn as a line when it is one)
FACILITY_MARKERS = {"substation": "^", "water": "o", "sewage": "s", "gas": "D",
                    "highway_exit": "H", "rail": "P", "port": "v"}
STATUS_ZH = {"pass": "通过 pass", "fail": "不通过 fail", "unknown": "待核实 unknown",
             "not_applicable": "不适用 n/a"}
AUDIENCES = ("public", "internal")


class UnknownZoneError(UnknownFeatureError, ValidationError):
    """A zone id that is not in the zones layer (a 404 for the API; also a ``ValueError``)."""


# ------------------------------------------------------------------------------------------
# small pure helpers
# ------------------------------------------------------------------------------------------
def nice_scale_length(extent_m: float, *, fraction: float = 0.2) -> float:
    """A round scale-bar length (1, 2 or 5 × 10ⁿ metres) of at most ``fraction`` of the extent.

    >>> nice_scale_length(5800)
    1000.0
    >>> nice_scale_length(4000), nice_scale_length(12_000), nice_scale_length(30)
    (500.0, 2000.0, 5.0)
    """
    if not extent_m or not np.isfinite(extent_m) or extent_m <= 0:
        raise ValidationError(f"比例尺的地图范围无效：{extent_m!r}",
                              f"invalid map extent for a scale bar: {extent_m!r}")
    target = extent_m * fraction
    power = 10.0 ** math.floor(math.log10(target))
    for step in (5.0, 2.0, 1.0):
        if step * power <= target:
            return float(step * power)
    return float(power)  # pragma: no cover - 1 × 10ⁿ ≤ target always


def _length_text(m: float) -> str:
    return f"{m / 1000:g} km" if m >= 1000 else f"{m:g} m"


@dataclass
class ScaleBar:
    """A scale bar drawn on a map axes: its length in data units (GK metres) and its label."""

    length_m: float
    label: str
    x0: float
    y0: float
    rects: list[Rectangle]

    @property
    def drawn_length(self) -> float:
        """The summed width of the bar's segments, in the axes' data units (metres)."""
        return float(sum(r.get_width() for r in self.rects))


def _projected(crs) -> None:
    """Refuse a CRS whose units are not ground metres (degrees, Web Mercator)."""
    crs = CRS.from_user_input(crs) if crs is not None else None
    assert_area_crs(crs)
    if not crs.axis_info or crs.axis_info[0].unit_name not in ("metre", "meter"):
        raise ValidationError(f"比例尺需要以米为单位的投影坐标系（当前 {crs.name}）",
                              f"a scale bar needs a projected CRS in metres (got {crs.name})")


def draw_scale_bar(ax: Axes, crs, *, fs: float = 7.0, length_m: float | None = None
                   ) -> ScaleBar:
    """Draw a four-segment scale bar at the lower left of ``ax``, whose data are in ``crs``.

    ``crs`` must be projected in metres (the workspace's Gauss-Krüger CRS): one data unit is then
    one metre on the ground (a scale bar in EPSG:4326 or 3857 would lie).
    """
    _projected(crs)
    x_min, x_max = ax.get_xlim()
    y_min, y_max = ax.get_ylim()
    width, height = x_max - x_min, y_max - y_min
    length = float(length_m) if length_m else nice_scale_length(width)
    x0, y0 = x_min + 0.04 * width, y_min + 0.045 * height
    h = 0.012 * height
    seg = length / 4
    rects = [Rectangle((x0 + k * seg, y0), seg, h) for k in range(4)]
    segments = PatchCollection(rects, facecolors=["#222222", "white"] * 2,
                               edgecolors="#222222", linewidths=0.5, zorder=30)
    ax.add_collection(segments)
    halo = [withStroke(linewidth=2.0, foreground="white")]
    for k, frac in enumerate((0.0, 0.5, 1.0)):
        text = "0" if k == 0 else (_length_text(length * frac))
        ax.text(x0 + frac * length, y0 + 1.6 * h, text, ha="center", va="bottom", fontsize=fs,
                zorder=31, path_effects=halo)
    return ScaleBar(length_m=length, label=_length_text(length), x0=x0, y0=y0, rects=rects)


def draw_north_arrow(ax: Axes, *, fs: float = 8.0, x: float = 0.95, y: float = 0.86) -> None:
    """A north arrow (grid north of the Gauss-Krüger map) at axes fraction ``x``, ``y``."""
    ax.add_patch(FancyArrow(x, y, 0, 0.07, width=0.012, head_width=0.035, head_length=0.035,
                            length_includes_head=True, transform=ax.transAxes,
                            facecolor="#222222", edgecolor="#222222", zorder=30))
    halo = [withStroke(linewidth=2.0, foreground="white")]
    ax.text(x, y + 0.085, "N 北", transform=ax.transAxes, ha="center", va="bottom",
            fontsize=fs, zorder=31, path_effects=halo)


def _em(text: str) -> float:
    """Rough width of ``text`` in em (CJK full width, the rest about 0.58)."""
    return sum(1.0 if ord(c) >= 0x2E80 else 0.55 for c in text)


def _yes_no(value) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return "—"
    return "是" if bool(value) else "否"


def _use_label(code) -> str:
    if code is None or pd.isna(code):
        return "—"
    code = str(code)
    return land_use_codes.get(code) or land_use_codes.get(code[:4]) or code


def _source_label(code: str) -> str:
    """``中文 english`` of a source."""
    return source_label(code)


def _map_axes(ax, xlim: tuple[float, float], ylim: tuple[float, float]) -> None:
    """Frame ``ax`` as a map: these limits (Gauss-Krüger metres), equal scale, no ticks and
    no axis names (geopandas names the GK axes; a map needs none)."""
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.set_aspect("equal", adjustable="box")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.xaxis.label.set_visible(False)
    ax.yaxis.label.set_visible(False)


def _plain(frame: pd.DataFrame | None) -> gpd.GeoDataFrame | None:
    if frame is None or not isinstance(frame, gpd.GeoDataFrame) or len(frame) == 0:
        return None
    return frame


# ------------------------------------------------------------------------------------------
# the data of a poster
# ------------------------------------------------------------------------------------------
def _zone_row(zones: gpd.GeoDataFrame | None, zone_id: str) -> pd.Series:
    if zones is None or "zone_id" not in zones:
        raise UnknownZoneError(f"没有园区图层，无法制作园区 {zone_id!r} 的招商地块图",
                               f"no zones layer: cannot map zone {zone_id!r}")
    hit = zones[zones["zone_id"].astype("str").eq(str(zone_id)).fillna(False).to_numpy(bool)]
    if len(hit) == 0:
        known = "、".join(zones["zone_id"].astype("str").dropna())
        raise UnknownZoneError(f"未知园区编号 {zone_id!r}（现有：{known}）",
                               f"unknown zone id {zone_id!r} (known: {known.replace('、', ', ')})")
    return hit.iloc[0]


def available_land(layers: Mapping[str, pd.DataFrame], zone_id: str, *, as_of,
                   audience: str = "public", policy: Policy | None = None) -> gpd.GeoDataFrame:
    """The available land of ``zone_id`` (and its sub-parks) at ``as_of``, as a poster lists it.

    The matching pool (:func:`gis.matching.pool.build_pool`) defines what is available; the
    public sees the usable unsupplied pieces and reserve parcels that :func:`gis.access.mask`
    lets through, planners (``internal``) also idle land to take back and low-efficiency land.
    Columns: ``no`` (the number on the map), ``candidate_id``, ``source``, ``area_mu``,
    ``use`` (planned use code), ``ready``, ``regional_assessment``, geometry; ordered by source,
    then north to south, west to east.
    """
    policy = policy or Policy.load()
    day = default_as_of(as_of)
    pool = build_pool(layers, day, policy).candidates
    in_zone = np.array([str(zone_id) in (p or ()) for p in pool["zone_path"]], dtype=bool)
    pool = pool[in_zone]
    if audience == "public":
        pool = pool[pool["source"].isin(PUBLIC_SOURCES).to_numpy(bool)]
        allowed: set[str] = set()
        parcels = layers.get("parcels")
        if parcels is not None and len(parcels):
            allowed |= set(mask("parcels", parcels, Role.public)["parcel_id"].astype("str"))
        pieces = cleanup(layers, day, policy).unsupplied.pieces
        if len(pieces):
            allowed |= set(mask("unsupplied_pieces", pieces, Role.public)["piece_id"]
                           .astype("str"))
        ids = pool["candidate_id"].astype("str")
        base = ids.str.replace(r"/\d+$", "", regex=True)
        pool = pool[(ids.isin(allowed) | base.isin(allowed)).to_numpy(bool)]
    use = pool["planned_use"].astype("str").fillna(pool["land_use"].astype("str"))
    out = gpd.GeoDataFrame(
        {"candidate_id": pool["candidate_id"].astype("str").to_numpy(),
         "source": pool["source"].astype("str").to_numpy(),
         "area_mu": pool["area_mu"].to_numpy(float),
         "use": use.to_numpy(),
         "ready": pool["ready"].to_numpy(), "regional_assessment":
             pool["regional_assessment"].to_numpy()},
        geometry=gpd.GeoSeries(pool.geometry.values, crs=pool.crs))
    if len(out) == 0:
        return out.assign(no=pd.Series([], dtype=int))
    pts = shapely.point_on_surface(np.asarray(out.geometry.values))
    x, y = shapely.get_x(pts), shapely.get_y(pts)
    band = np.floor((y.max() - y) / 400.0)  # 400 m bands, read like text
    rank = out["source"].map({s: k for k, s in enumerate(SOURCES)}).to_numpy()
    order = np.lexsort((x, band, rank))
    out = out.iloc[order].reset_index(drop=True)
    out.insert(0, "no", np.arange(1, len(out) + 1))
    return out


# ------------------------------------------------------------------------------------------
# layout
# ------------------------------------------------------------------------------------------
def _page_mm(paper: str, orientation: str) -> tuple[float, float]:
    key = str(paper).upper()
    if key not in PAPER_MM:
        raise ValidationError(f"不支持的纸张 {paper!r}（可用：A4、A3、A1）",
                              f"unsupported paper {paper!r} (A4, A3 or A1)")
    w, h = PAPER_MM[key]
    if orientation == "landscape":
        return h, w
    if orientation == "portrait":
        return w, h
    raise ValidationError(f"不支持的方向 {orientation!r}（landscape 横向或 portrait 纵向）",
                          f"unsupported orientation {orientation!r} (landscape or portrait)")


#: the poster's boxes on an A3 sheet (x, y from the lower left, w, h in mm); other A sizes
#: are the same sheet scaled (all A sizes share the √2 aspect)
_LAYOUT = {
    "landscape": {"map": (10, 62, 250, 204), "legend": (10, 10, 148, 47),
                  "inset": (162, 10, 50, 47), "contact": (216, 10, 44, 47),
                  "table": (264, 10, 148, 256), "header_y": 297 - 12},
    "portrait": {"map": (10, 206, 277, 180), "legend": (10, 152, 174, 49),
                 "inset": (188, 152, 50, 49), "contact": (242, 152, 45, 49),
                 "table": (10, 10, 277, 137), "header_y": 420 - 12},
}


class _Page:
    """A figure of ``w`` × ``h`` mm with boxes placed in mm."""

    def __init__(self, w: float, h: float) -> None:
        self.w, self.h = w, h
        self.fig = Figure(figsize=(w / MM_PER_INCH, h / MM_PER_INCH))
        FigureCanvasAgg(self.fig)

    def axes(self, x: float, y: float, w: float, h: float, **kw) -> Axes:
        return self.fig.add_axes((x / self.w, y / self.h, w / self.w, h / self.h), **kw)

    def sheet(self) -> Axes:
        """An invisible axes over the whole page in mm, for free text and rules."""
        ax = self.axes(0, 0, self.w, self.h)
        ax.set_xlim(0, self.w)
        ax.set_ylim(0, self.h)
        ax.set_axis_off()
        ax.set_zorder(-1)
        return ax


def _frame_limits(bounds: Sequence[float], box_w: float, box_h: float, pad: float = 0.06
                  ) -> tuple[tuple[float, float], tuple[float, float]]:
    """Limits around ``bounds`` with the aspect of the ``box_w`` × ``box_h`` box (equal axes)."""
    x0, y0, x1, y1 = bounds
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    w, h = (x1 - x0) * (1 + 2 * pad), (y1 - y0) * (1 + 2 * pad)
    w, h = max(w, 1.0), max(h, 1.0)
    aspect = box_w / box_h
    if w / h < aspect:
        w = h * aspect
    else:
        h = w / aspect
    return (cx - w / 2, cx + w / 2), (cy - h / 2, cy + h / 2)


# ------------------------------------------------------------------------------------------
# drawing
# ------------------------------------------------------------------------------------------
def _draw_roads(ax: Axes, infra: gpd.GeoDataFrame | None, k: float, *, classes=ROAD_CLASSES
                ) -> list[str]:
    drawn: list[str] = []
    if infra is None or "road_class" not in infra:
        return drawn
    roads = infra[infra["kind"].astype("str").eq("road").fillna(False).to_numpy(bool)]
    cls = roads["road_class"].astype("str")
    for c in reversed(ROAD_CLASSES):  # minor first, major on top
        if c not in classes:
            continue
        part = roads[cls.eq(c).fillna(False).to_numpy(bool)]
        if len(part):
            part.geometry.plot(ax=ax, color=colour("road_class", c),
                               linewidth=ROAD_WIDTH_PT[c] * k, zorder=5, capstyle="round")
            drawn.append(c)
    return [c for c in ROAD_CLASSES if c in drawn]


def _draw_facilities(ax: Axes, infra: gpd.GeoDataFrame | None, k: float, fs: float,
                     *, names: bool = True, window=None) -> list[str]:
    drawn: list[str] = []
    if infra is None:
        return drawn
    kinds = infra["kind"].astype("str")
    for kind, marker in FACILITY_MARKERS.items():
        part = infra[kinds.eq(kind).fillna(False).to_numpy(bool)]
        if len(part) == 0:
            continue
        geoms = np.asarray(part.geometry.values)
        lines = shapely.get_type_id(geoms) != 0
        if lines.any():  # a rail siding drawn as a line
            part[lines].geometry.plot(ax=ax, color=colour("facility", kind),
                                      linewidth=1.6 * k, linestyle=(0, (4, 2)), zorder=6)
        pts = shapely.point_on_surface(geoms)
        ax.scatter(shapely.get_x(pts), shapely.get_y(pts), marker=marker, s=(7.5 * k) ** 2,
                   c=colour("facility", kind), edgecolors="white", linewidths=0.6 * k, zorder=20)
        drawn.append(kind)
        if names and "name" in part:
            halo = [withStroke(linewidth=1.8 * k, foreground="white")]
            x, y = shapely.get_x(pts), shapely.get_y(pts)
            inside = np.ones(len(pts), bool) if window is None else (
                (x > window[0]) & (x < window[2]) & (y > window[1]) & (y < window[3]))
            for xi, yi, text in zip(x[inside], y[inside],
                                    part["name"].astype("str").to_numpy()[inside], strict=True):
                ax.annotate(text, (xi, yi), xytext=(4 * k, 3 * k), textcoords="offset points",
                            fontsize=fs, color="#1b2631", zorder=21, path_effects=halo,
                            annotation_clip=True)
    return drawn


def _label_parcels(ax: Axes, land: gpd.GeoDataFrame, fs: float, m_per_pt: float) -> None:
    """Label each parcel with its number and 亩 where both fit, else with its number only."""
    if len(land) == 0:
        return
    geoms = np.asarray(land.geometry.values)
    circles = shapely.maximum_inscribed_circle(geoms, tolerance=1.0)
    centre = shapely.get_point(circles, 0)
    radius = shapely.length(circles)
    x, y = shapely.get_x(centre), shapely.get_y(centre)
    bounds = shapely.bounds(geoms)
    bw = bounds[:, 2] - bounds[:, 0]
    nos = land["no"].to_numpy()
    mus = land["area_mu"].to_numpy(float)
    full = [f"{n}\n{mu:.1f}亩" for n, mu in zip(nos, mus, strict=True)]
    w_full = np.array([_em(f"{mu:.1f}亩") for mu in mus]) * fs * m_per_pt
    h_full = 2.3 * fs * m_per_pt
    fits = (h_full <= 2.2 * radius) & (w_full <= 0.92 * bw) & (w_full <= 4.0 * radius)
    halo = [withStroke(linewidth=1.6, foreground="white")]
    for xi, yi, ok, text, n in zip(x, y, fits, full, nos, strict=True):
        ax.text(xi, yi, text if ok else str(n), ha="center", va="center", fontsize=fs,
                linespacing=1.0, color="#111111", zorder=25, path_effects=halo, clip_on=True)


def _table_rows(land: gpd.GeoDataFrame) -> list[tuple[str, ...]]:
    return [(str(r.no), r.candidate_id, f"{r.area_mu:.1f}", _use_label(r.use),
             source_label(r.source, english=False),
             f"{_yes_no(r.ready)}/{_yes_no(r.regional_assessment)}")
            for r in land.itertuples(index=False)]


TABLE_HEAD = ("图号", "编号 ID", "面积（亩）", "用途 use", "来源", "净地/区评")


def _table_geometry(rows: list[tuple[str, ...]], fs: float) -> tuple[list[float], float]:
    """Column widths (mm) and the row pitch (mm) of a table at ``fs`` pt."""
    em_mm = fs / PT_PER_MM
    widths = []
    for j, head in enumerate(TABLE_HEAD):
        longest = max([_em(head)] + [_em(r[j]) for r in rows]) if rows else _em(head)
        widths.append(longest * em_mm + 1.2)
    return widths, fs * 1.32 / PT_PER_MM


def _draw_table_block(ax: Axes, rows: list[tuple[str, ...]], x: float, top: float,
                      widths: list[float], pitch: float, fs: float, sources: list[str]) -> None:
    """One block of the table at (x, top) in the sheet's mm; one text artist per cell."""
    total = sum(widths)
    n = len(rows)
    ax.add_patch(Rectangle((x, top - pitch), total, pitch, facecolor="#1f4e79",
                           edgecolor="none", zorder=1))
    stripes = [Rectangle((x, top - (i + 2) * pitch), total, pitch) for i in range(1, n, 2)]
    ax.add_collection(PatchCollection(stripes, facecolor="#eef2f6", edgecolor="none", zorder=1))
    # a swatch of the source colour before each row
    ys = top - (np.arange(n) + 1.5) * pitch
    ax.scatter(np.full(n, x - 1.2), ys, marker="s", s=(fs * 0.8) ** 2,
               c=[colour("source", s) for s in sources], linewidths=0, zorder=2)
    cx = x
    for j, head in enumerate(TABLE_HEAD):
        right = j in (0, 2)
        tx = cx + widths[j] - 0.8 if right else cx + 0.8
        ha = "right" if right else "left"
        ax.text(tx, top - 0.5 * pitch, head, ha=ha, va="center", fontsize=fs, color="white",
                zorder=3)
        for i, row in enumerate(rows):
            ax.text(tx, top - (i + 1.5) * pitch, row[j], ha=ha, va="center", fontsize=fs,
                    zorder=3)
        cx += widths[j]


def _fill_table(ax: Axes, rows, sources, box, fs: float, *, title: str | None) -> int:
    """Draw as many rows as fit in ``box`` (x, y, w, h mm) in blocks side by side; how many."""
    x, y, w, h = box
    top = y + h
    if title:
        ax.text(x, top, title, ha="left", va="top", fontsize=fs * 1.45)
        top -= fs * 1.45 * 1.6 / PT_PER_MM
    widths, pitch = _table_geometry(rows, fs)
    block_w = sum(widths) + 3.0
    blocks = max(1, int((w + 3.0) // block_w))
    per_block = max(1, int((top - y) // pitch) - 1)
    done = 0
    for b in range(blocks):
        part = rows[done:done + per_block]
        if not part:
            break
        _draw_table_block(ax, part, x + 2.0 + b * block_w, top, widths, pitch, fs,
                          sources[done:done + per_block])
        done += len(part)
    return done


def _legend_handles(sources: list[str], roads: list[str], kinds: list[str], k: float,
                    zone_name: str) -> tuple[list, list[str]]:
    handles: list = [Patch(facecolor="none", edgecolor=colour("frame", "park"), linewidth=1.6 * k),
                     Patch(facecolor="#f4f6f7", edgecolor=colour("frame", "zone"),
                           linewidth=0.8 * k, linestyle="--")]
    labels = [f"{zone_name}范围 park boundary", "其他园区 other parks"]
    for s in sources:
        handles.append(Patch(facecolor=colour("source", s), edgecolor="white"))
        labels.append(f"可供地块·{_source_label(s)}")
    for c in roads:
        handles.append(Line2D([], [], color=colour("road_class", c),
                              linewidth=ROAD_WIDTH_PT[c] * k))
        labels.append(label("infrastructure", "road_class", c))
    for kind in kinds:
        handles.append(Line2D([], [], marker=FACILITY_MARKERS[kind], linestyle="none",
                              markerfacecolor=colour("facility", kind), markeredgecolor="white",
                              markersize=7.5 * k, color=colour("facility", kind)))
        labels.append(label("infrastructure", "kind", kind))
    return handles, labels


@dataclass
class Poster:
    """A built poster: its figures (pages), the available land listed, the map and scale bar."""

    figures: list[Figure]
    land: gpd.GeoDataFrame
    map_ax: Axes
    scale: ScaleBar
    crs: object
    page_mm: tuple[float, float]
    rows_on_first_page: int

    def close(self) -> None:
        for fig in self.figures:
            fig.clear()
        self.figures.clear()


def _county_extent(layers: Mapping[str, pd.DataFrame], crs) -> tuple[float, ...]:
    boxes = []
    for name in ("zones", "parcels", "infrastructure", "approvals"):
        frame = _plain(layers.get(name))
        if frame is not None:
            boxes.append(same_crs(frame, crs).total_bounds)
    b = np.array(boxes)
    return (b[:, 0].min(), b[:, 1].min(), b[:, 2].max(), b[:, 3].max())


def _draw_inset(ax: Axes, zones: gpd.GeoDataFrame, zone_id: str, infra, extent, window,
                k: float, fs: float) -> None:
    x0, y0, x1, y1 = extent
    ax.add_patch(Rectangle((x0, y0), x1 - x0, y1 - y0, facecolor="#fbfcfc", edgecolor="#7f8c8d",
                           linewidth=0.6 * k, linestyle=":", zorder=0))
    _draw_roads(ax, infra, k * 0.5, classes=("motorway", "trunk"))
    ids = zones["zone_id"].astype("str")
    zones[~ids.eq(zone_id).to_numpy(bool)].plot(ax=ax, facecolor="#d6eaf8",
                                                  edgecolor=colour("frame", "zone"),
                                                  linewidth=0.4 * k, zorder=2)
    zones[ids.eq(zone_id).to_numpy(bool)].plot(ax=ax, facecolor=colour("frame", "site"),
                                                 edgecolor=colour("frame", "site"),
                                                 linewidth=0.8 * k, alpha=0.8, zorder=3)
    wx0, wy0, wx1, wy1 = window
    ax.add_patch(Rectangle((wx0, wy0), wx1 - wx0, wy1 - wy0, facecolor="none",
                           edgecolor=colour("frame", "site"), linewidth=0.8 * k, zorder=4))
    xl, yl = _frame_limits(extent, 1.0, 1.0, pad=0.04)
    _map_axes(ax, xl, yl)
    ax.set_title("区位 Location（县域数据范围）", fontsize=fs, pad=2)


def build_park_poster(layers: Mapping[str, pd.DataFrame], zone_id: str, *, paper: str = "A3",
                      orientation: str = "landscape", audience: str = "public", as_of=None,
                      contact: str | Mapping[str, str] | None = None,
                      source: str | None = None, policy: Policy | None = None,
                      pages: bool = True) -> Poster:
    """Build the poster's figures (call inside :func:`gis.maps.fonts.print_context`).

    See :func:`park_poster`; ``pages=False`` builds the first page only (PNG output).
    """
    if audience not in AUDIENCES:
        raise ValidationError(f"未知的读者类型 {audience!r}（public 公众或 internal 内部）",
                              f"unknown audience {audience!r} (public or internal)")
    role = Role.public if audience == "public" else Role.planner
    w, h = _page_mm(paper, orientation)
    k = max(w, h) / 420.0
    L = {key: (v * k if isinstance(v, (int, float)) else tuple(c * k for c in v))
         for key, v in _LAYOUT[orientation].items()}
    zones_all = _plain(layers.get("zones"))
    zone = _zone_row(zones_all, zone_id)
    crs = zones_all.crs
    _projected(crs)
    day = default_as_of(as_of)
    land = available_land(layers, zone_id, as_of=day, audience=audience, policy=policy)
    land = same_crs(land, crs) if len(land) else land
    zones = mask("zones", zones_all, role)
    infra = _plain(layers.get("infrastructure"))
    infra = same_crs(mask("infrastructure", infra, role), crs) if infra is not None else None

    page = _Page(w, h)
    sheet = page.sheet()
    fs = 7.0 * k
    name = str(zone["name"]) if pd.notna(zone.get("name")) else str(zone_id)
    sheet.text(10 * k, L["header_y"], f"{name}招商地块图", fontsize=22 * k,
               va="top", color="#1b2631")
    src = source or "地等工作空间 dideng workspace（自然资源局）"
    audience_text = "公开版 public" if audience == "public" else "内部版 internal — 不得外传"
    sheet.text(10 * k, L["header_y"] - 11 * k,
               f"{zone_id} · 数据截至 as of {day.date().isoformat()} · 数据来源 source：{src} · "
               f"坐标系 {crs.name}（EPSG:{crs.to_epsg()}）· {audience_text}",
               fontsize=8.5 * k, va="top", color="#34495e")
    sheet.plot([10 * k, w - 10 * k], [L["header_y"] - 16.5 * k] * 2, color="#1f4e79",
               linewidth=1.0 * k)

    # --- the map ---------------------------------------------------------------------------
    mx, my, mw, mh = L["map"]
    ax = page.axes(mx, my, mw, mh)
    zgeom = gpd.GeoSeries([zone.geometry], crs=crs)
    xlim, ylim = _frame_limits(zgeom.total_bounds, mw, mh)
    window = (xlim[0], ylim[0], xlim[1], ylim[1])
    ax.set_facecolor("#fdfefe")
    ids = zones["zone_id"].astype("str")
    others = zones[~ids.eq(str(zone_id)).to_numpy(bool)]
    if len(others):
        others.plot(ax=ax, facecolor="#f4f6f7", edgecolor=colour("frame", "zone"),
                    linewidth=0.8 * k, linestyle="--", zorder=1)
    if role >= Role.planner:
        parcels = _plain(layers.get("parcels"))
        if parcels is not None:
            same_crs(parcels, crs).boundary.plot(ax=ax, color="#d5d8dc", linewidth=0.25 * k,
                                                 zorder=2)
    roads = _draw_roads(ax, infra, k)
    if len(land):
        land.plot(ax=ax, color=[colour("source", s) for s in land["source"]],
                  edgecolor="white", linewidth=0.35 * k, zorder=8)
    zgeom.boundary.plot(ax=ax, color=colour("frame", "park"), linewidth=1.6 * k, zorder=9)
    _map_axes(ax, xlim, ylim)
    for spine in ax.spines.values():
        spine.set_linewidth(0.8 * k)
    kinds = _draw_facilities(ax, infra, k, fs * 0.85, window=window)
    m_per_pt = (xlim[1] - xlim[0]) / (mw * PT_PER_MM)
    _label_parcels(ax, land, 5.2 * k, m_per_pt)
    bar = draw_scale_bar(ax, crs, fs=fs)
    scale_n = round((xlim[1] - xlim[0]) / (mw / 1000.0), -2)
    ax.text(bar.x0, bar.y0 - 0.02 * (ylim[1] - ylim[0]),
            f"比例尺 scale ≈ 1:{scale_n:,.0f}（{paper.upper()}）", fontsize=fs * 0.85,
            va="top", zorder=31, path_effects=[withStroke(linewidth=2.0, foreground="white")])
    draw_north_arrow(ax, fs=fs * 1.1)

    # --- legend, inset, contact ------------------------------------------------------------
    lx, ly, lw, lh = L["legend"]
    lax = page.axes(lx, ly, lw, lh)
    lax.set_axis_off()
    present = [s for s in SOURCES if s in set(land["source"])] if len(land) else []
    handles, labels = _legend_handles(present, roads, kinds, k, name)
    lax.legend(handles, labels, loc="upper left", ncol=3,
               fontsize=fs * 0.9, title="图例 Legend", title_fontsize=fs * 1.1, frameon=False,
               alignment="left", handlelength=2.2, columnspacing=1.2, borderaxespad=0.0)
    ix, iy, iw, ih = L["inset"]
    iax = page.axes(ix, iy, iw, ih - 5 * k)
    _draw_inset(iax, zones, str(zone_id), infra, _county_extent(layers, crs), window, k, fs * 0.9)
    cx, cy, cw, ch = L["contact"]
    if contact is None:
        contact_text = "（请填写招商单位、电话、地址）\n(fill in office, phone, address)"
    elif isinstance(contact, Mapping):
        contact_text = "\n".join(f"{key}：{value}" for key, value in contact.items())
    else:
        contact_text = str(contact)
    sheet.add_patch(Rectangle((cx, cy), cw, ch, facecolor="#f4f6f7", edgecolor="#aab7b8",
                              linewidth=0.6 * k))
    sheet.text(cx + 2.5 * k, cy + ch - 3 * k, "招商联系 Contact", fontsize=fs * 1.1,
               va="top")
    sheet.text(cx + 2.5 * k, cy + ch - 10 * k, contact_text, fontsize=fs * 0.85, va="top",
               wrap=True, linespacing=1.5)
    total_mu = float(land["area_mu"].sum()) if len(land) else 0.0
    sheet.text(cx + 2.5 * k, cy + 3 * k,
               f"可供地块 {len(land)} 宗\n合计 {total_mu:,.1f} 亩", fontsize=fs * 0.9,
               va="bottom", linespacing=1.4, color="#1f4e79")

    # --- the table -------------------------------------------------------------------------
    rows = _table_rows(land)
    sources = list(land["source"]) if len(land) else []
    tfs = 5.0 * k
    tbox = L["table"]
    title = f"可供地块一览 Available parcels（{len(rows)} 宗，{total_mu:,.1f} 亩）"
    done = _fill_table(sheet, rows, sources, tbox, tfs, title=title)
    if done < len(rows):
        sheet.text(tbox[0] + tbox[2], tbox[1] - 2 * k, f"余 {len(rows) - done} 宗见续页 "
                   f"(continued overleaf)", ha="right", va="top", fontsize=tfs)
    figures = [page.fig]
    page_no = 1
    while pages and done < len(rows):
        page_no += 1
        more = _Page(w, h)
        msheet = more.sheet()
        msheet.text(10 * k, h - 10 * k, f"{name}招商地块图 · 可供地块一览（续 {page_no}）",
                    fontsize=14 * k, va="top")
        n = _fill_table(msheet, rows[done:], sources[done:],
                        (10 * k, 10 * k, w - 20 * k, h - 30 * k), tfs, title=None)
        done += n
        figures.append(more.fig)
    return Poster(figures=figures, land=land, map_ax=ax, scale=bar, crs=crs, page_mm=(w, h),
                  rows_on_first_page=min(done, len(rows)) if not pages else
                  _fill_count(rows, tbox, tfs))


def _fill_count(rows, box, fs) -> int:
    _x, y, w, h = box
    top = y + h - fs * 1.45 * 1.6 / PT_PER_MM
    widths, pitch = _table_geometry(rows, fs)
    block_w = sum(widths) + 3.0
    blocks = max(1, int((w + 3.0) // block_w))
    return min(len(rows), blocks * max(1, int((top - y) // pitch) - 1))


def _save(figures: list[Figure], fmt: str, dpi: float) -> bytes:
    buf = io.BytesIO()
    if fmt == "pdf":
        with PdfPages(buf, metadata={"Creator": "dideng 地等", "Title": "招商地块图"}) as pdf:
            for fig in figures:
                pdf.savefig(fig)
    elif fmt == "png":
        figures[0].savefig(buf, format="png", dpi=dpi, facecolor="white")
    else:
        raise ValidationError(f"不支持的格式 {fmt!r}（pdf 或 png）",
                              f"unsupported format {fmt!r} (pdf or png)")
    return buf.getvalue()


def park_poster(layers: Mapping[str, pd.DataFrame], zone_id: str, *, paper: str = "A3",
                orientation: str = "landscape", audience: str = "public", as_of=None,
                contact: str | Mapping[str, str] | None = None, fmt: str = "pdf",
                dpi: float = 150, source: str | None = None, policy: Policy | None = None,
                out: str | Path | None = None) -> bytes:
    """The 招商地块图 of a park (or zone) as PDF or PNG bytes; also written to ``out`` if given.

    Parameters
    ----------
    layers
        The workspace's layers (GeoDataFrames in its Gauss-Krüger CRS): zones, parcels,
        approvals, supplies, infrastructure, zoning, constraints… as the analyses take them.
    zone_id
        The park (e.g. ``"KFQ-DY"``) or zone; an unknown id raises :class:`UnknownZoneError`.
    paper, orientation
        ``"A4"``, ``"A3"`` or ``"A1"``; ``"landscape"`` or ``"portrait"`` — the page at true size.
    audience
        ``"public"`` (what :func:`gis.access.mask` lets the public see: reserve parcels and usable
        unsupplied pieces, no owners) or ``"internal"`` (also idle land to take back and
        low-efficiency land, and the parcel fabric).
    as_of
        The day of the analysis (default: today).
    contact
        The 招商联系 block: text, or a mapping such as ``{"电话": "0571-…"}``; a placeholder
        when None.
    fmt, dpi
        ``"pdf"`` (every page: the poster, then the table's continuation pages) or ``"png"``
        (the first page, at ``dpi``).
    source
        The data source named in the subtitle (default: the dideng workspace).
    out
        A path to write the bytes to as well.
    """
    fmt = str(fmt).lower().lstrip(".")
    if fmt not in ("pdf", "png"):
        raise ValidationError(f"不支持的格式 {fmt!r}（pdf 或 png）",
                              f"unsupported format {fmt!r} (pdf or png)")
    with print_context():
        poster = build_park_poster(layers, zone_id, paper=paper, orientation=orientation,
                                   audience=audience, as_of=as_of, contact=contact,
                                   source=source, policy=policy, pages=fmt == "pdf")
        try:
            data = _save(poster.figures, fmt, dpi)
        finally:
            poster.close()
    if out is not None:
        Path(out).write_bytes(data)
    return data


# ------------------------------------------------------------------------------------------
# the site brief
# ------------------------------------------------------------------------------------------
def _site_geometry(site: Mapping, crs) -> gpd.GeoSeries:
    geometry = site.get("geometry")
    if not geometry:
        raise ValidationError(f"地块 {site.get('site_id')!r} 没有几何（GeoJSON）",
                              f"site {site.get('site_id')!r} has no geometry (GeoJSON)")
    return gpd.GeoSeries([shape(geometry)], crs="OGC:CRS84").to_crs(crs)


def _fmt(value, nd: int = 1, unit: str = "") -> str:
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return "—"
    try:
        if pd.isna(value):
            return "—"
    except (TypeError, ValueError):
        pass
    if isinstance(value, (int, float, np.floating, np.integer)):
        return f"{float(value):,.{nd}f}{unit}"
    return f"{value}{unit}"


def _text_table(ax: Axes, x: float, top: float, rows: list[tuple[str, ...]],
                widths: Sequence[float], fs: float, *, head: bool = True) -> float:
    """Rows of text at mm positions on the sheet ``ax``; returns the y below the table."""
    pitch = fs * 1.45 / PT_PER_MM
    total = sum(widths)
    for i, row in enumerate(rows):
        y = top - (i + 0.5) * pitch
        if i == 0 and head:
            ax.add_patch(Rectangle((x, top - pitch), total, pitch, facecolor="#1f4e79",
                                   edgecolor="none"))
        elif i % 2 == 0:
            ax.add_patch(Rectangle((x, top - (i + 1) * pitch), total, pitch,
                                   facecolor="#eef2f6", edgecolor="none"))
        cx = x
        for j, cell in enumerate(row):
            ax.text(cx + 1.0, y, cell, va="center", ha="left", fontsize=fs,
                    color="white" if (i == 0 and head) else "#1b2631",
                    )
            cx += widths[j]
    return top - len(rows) * pitch


def _zoning_at(layers: Mapping[str, pd.DataFrame], geom, crs) -> pd.Series | None:
    zoning = _plain(layers.get("zoning"))
    if zoning is None:
        return None
    zoning = same_crs(zoning, crs)
    point = shapely.point_on_surface(geom)
    geoms = np.asarray(zoning.geometry.values)
    hit = np.flatnonzero(shapely.contains(geoms, point))
    if len(hit) == 0:
        hit = np.flatnonzero(shapely.intersects(geoms, geom))
    if len(hit) == 0:
        return None
    best = hit[np.argmin(shapely.area(geoms[hit]))]
    return zoning.iloc[best]


STANDARD_FIELDS = ("investment_min_wan_per_mu", "tax_min_wan_per_mu", "output_min_wan_per_mu",
                   "energy_max_tce_per_wan", "plot_ratio_min", "plot_ratio_max",
                   "density_min", "green_max", "height_max_m")
UNIT_ZH = {"wan_per_mu": "万元/亩", "tce_per_wan": "吨标煤/万元", "ratio": "", "share": "%",
           "m": "米"}


def site_brief(site: Mapping, project: Mapping, layers: Mapping[str, pd.DataFrame], *,
               as_of=None, out: str | Path | None = None) -> bytes:
    """One A4 page (PDF) about ``site`` — one entry of ``match(...)["sites"]`` — for an investor.

    The map shows the site's parcels, the public view of the neighbouring parks, reserve land,
    roads and facilities (no owners: the context passes :func:`gis.access.mask` for the public),
    drawn in the layers' Gauss-Krüger CRS (the site's CRS84 GeoJSON is transformed to it), with
    scale bar and north arrow. Beside it: the project and its need, parcels and areas (亩 gross
    and net), the checks, the score per criterion, distances to facilities and the 标准地
    indicators of the zoning under the site.
    """
    zones_all = _plain(layers.get("zones"))
    parcels_all = _plain(layers.get("parcels"))
    crs = (zones_all if zones_all is not None else parcels_all).crs
    _projected(crs)
    site_geom = _site_geometry(site, crs)
    geom = site_geom.iloc[0]
    day = default_as_of(as_of)
    with print_context():
        page = _Page(*PAPER_MM["A4"])
        try:
            _draw_brief(page, site, project, layers, site_geom, geom, crs, day)
            data = _save([page.fig], "pdf", 150)
        finally:
            page.fig.clear()
    if out is not None:
        Path(out).write_bytes(data)
    return data


def _draw_brief(page: _Page, site, project, layers, site_geom, geom, crs, day) -> None:
    w, h = page.w, page.h
    fs = 7.0
    sheet = page.sheet()
    pname = str(project.get("name") or project.get("project_id") or "")
    sheet.text(10, h - 10, "项目选址简报 Site brief", fontsize=10, color="#34495e", va="top")
    sheet.text(10, h - 16, pname, fontsize=16, va="top", color="#1b2631")
    need = (f"需地 need {_fmt(project.get('need_mu_min'))}–{_fmt(project.get('need_mu_max'))} 亩"
            f" · 总投资 investment {_fmt(project.get('investment_wan'), 0)} 万元"
            f" · 项目编号 {project.get('project_id', '—')} · 数据截至 as of {day.date()}")
    sheet.text(10, h - 25, need, fontsize=7.5, va="top", color="#34495e")
    sheet.text(10, h - 30.5, f"推荐地块 site {site.get('site_id')}（第 {site.get('rank', '—')} 名，"
               f"综合得分 score {_fmt(site.get('score'))}）", fontsize=8, va="top",
               color=colour("frame", "site"))
    sheet.plot([10, w - 10], [h - 35, h - 35], color="#1f4e79", linewidth=0.8)

    # --- map ---------------------------------------------------------------------------------
    mx, my, mw, mh = 10, 150, 190, 108
    ax = page.axes(mx, my, mw, mh)
    xlim, ylim = _frame_limits(site_geom.total_bounds, mw, mh, pad=0.9)
    window = (xlim[0], ylim[0], xlim[1], ylim[1])
    zones = _plain(layers.get("zones"))
    if zones is not None:
        mask("zones", zones, Role.public).plot(ax=ax, facecolor="#f8f9f9",
                                               edgecolor=colour("frame", "zone"),
                                               linewidth=0.8, linestyle="--", zorder=1)
    parcels = _plain(layers.get("parcels"))
    if parcels is not None:
        reserve = same_crs(mask("parcels", parcels, Role.public), crs)
        reserve.plot(ax=ax, facecolor=colour("source", "reserve"), alpha=0.25,
                     edgecolor="white", linewidth=0.3, zorder=2)
    infra = _plain(layers.get("infrastructure"))
    infra = same_crs(mask("infrastructure", infra, Role.public), crs) if infra is not None \
        else None
    roads = _draw_roads(ax, infra, 0.9)
    parts = shapely.get_parts(np.asarray([geom]))
    gpd.GeoSeries(parts, crs=crs).plot(ax=ax, facecolor=colour("frame", "site"), alpha=0.5,
                                       edgecolor=colour("frame", "site"), linewidth=1.4,
                                       zorder=8)
    _map_axes(ax, xlim, ylim)
    kinds = _draw_facilities(ax, infra, 0.85, 6.0, window=window)
    halo = [withStroke(linewidth=2.0, foreground="white")]
    c = shapely.point_on_surface(geom)
    ax.text(c.x, c.y, f"{_fmt(site.get('area_mu'))} 亩", ha="center", va="center", fontsize=8,
            color=colour("frame", "site"), zorder=26, path_effects=halo)
    draw_scale_bar(ax, crs, fs=6.5)
    draw_north_arrow(ax, fs=7.5)
    handles, labels = _legend_handles(["reserve"], roads, kinds, 0.85, "园区")
    handles = [Patch(facecolor=colour("frame", "site"), alpha=0.5, edgecolor=colour("frame", "site")), *handles[1:]]
    labels = ["推荐地块 site", "园区范围 parks", "储备地块 reserve land", *labels[3:]]
    ax.legend(handles, labels, loc="upper left", fontsize=5.5, ncol=2, framealpha=0.9,
              borderpad=0.5)

    # --- left column: parcels and areas, checks ---------------------------------------------
    top = 143.0
    sheet.text(10, top, "地块与面积 Parcels and area", fontsize=9, va="top")
    ids = list(site.get("parcel_ids") or [])
    srcs = list(site.get("sources") or [])
    rows = [("编号 parcel", "来源 source")]
    rows += [(pid, source_label(s, english=False)) for pid, s in zip(ids, srcs + [""] * len(ids),
                                                            strict=False)]
    y = _text_table(sheet, 10, top - 6, rows, (52, 35), fs)
    sheet.text(10, y - 2, f"毛面积 gross {_fmt(site.get('area_mu'), 2)} 亩 · "
               f"净面积 net {_fmt(site.get('net_area_mu'), 2)} 亩", fontsize=fs + 0.5,
               va="top")
    y -= 9
    sheet.text(10, y, "规则检查 Checks", fontsize=9, va="top")
    checks = site.get("checks") or {}
    rows = [("规则 rule", "结果 result")]
    rows += [(f"{RULE_NAMES.get(r, r)} {r.replace('_', ' ')}", STATUS_ZH.get(str(v), str(v)))
             for r, v in checks.items()]
    _text_table(sheet, 10, y - 6, rows, (52, 35), fs)

    # --- right column: scores, distances, 标准地 -------------------------------------------
    x2 = 107.0
    sheet.text(x2, top, "评分 Scores（0–1，权重 weight）", fontsize=9,
               va="top")
    criteria = site.get("criteria") or {}
    rows = [("准则 criterion", "得分", "权重")]
    for key in CRITERIA:
        if key in criteria:
            zh, en = NAMES[key]
            cr = criteria[key]
            rows.append((f"{zh} {en}", _fmt(cr.get("score"), 2), _fmt(cr.get("weight"), 0)))
    y = _text_table(sheet, x2, top - 6, rows, (58, 15, 20), fs)
    sheet.text(x2, y - 1.5, f"综合得分 total {_fmt(site.get('score'))} / 100", fontsize=fs + 0.5,
               va="top")
    y -= 8
    sheet.text(x2, y, "距离 Distances（公里 km）", fontsize=9, va="top")
    infra_km = dict((criteria.get("infrastructure") or {}).get("value") or {})
    access_km = (criteria.get("access") or {}).get("value")
    rows = [("设施 facility", "距离 km")]
    for key, kind in (("substation_km", "substation"), ("water_km", "water"),
                      ("sewage_km", "sewage"), ("gas_km", "gas")):
        if key in infra_km:
            rows.append((label("infrastructure", "kind", kind), _fmt(infra_km[key], 2)))
    if access_km is not None:
        rows.append((label("infrastructure", "kind", "highway_exit"), _fmt(access_km, 2)))
    y = _text_table(sheet, x2, y - 6, rows, (58, 35), fs)
    y -= 5
    sheet.text(x2, y, "标准地指标 Standard-land (标准地) indicators", fontsize=9,
               va="top")
    zoning = _zoning_at(layers, geom, crs)
    spec = catalogue["zoning"]
    rows = [("指标 indicator", "要求 required")]
    if zoning is None:
        rows.append(("（地块不在控规范围内）", "—"))
    else:
        rows.append((f"规划地块 {zoning['zoning_id']}", _use_label(zoning.get("planned_use"))))
        for name in STANDARD_FIELDS:
            if name not in zoning.index:
                continue
            f = spec.field(name)
            value = zoning[name]
            unit = UNIT_ZH.get(f.unit or "", "")
            if f.unit == "share" and value is not None and pd.notna(value):
                value = float(value) * 100
            rows.append((f.zh, _fmt(value, 2, f" {unit}" if unit else "")))
    _text_table(sheet, x2, y - 6, rows, (58, 35), fs)

    # --- foot: explanation ---------------------------------------------------------------------
    expl = str(site.get("explanation") or "")
    expl_en = str(site.get("explanation_en") or "")
    sheet.text(10, 17, expl, fontsize=7, va="bottom", wrap=True)
    sheet.text(10, 12, expl_en, fontsize=6.5, va="bottom", color="#566573", wrap=True)
    sheet.text(10, 6, f"地等 dideng · 坐标系 {crs.name} · 数据截至 {day.date()} · "
               "本简报仅供招商洽谈参考 for discussion only", fontsize=5.5, color="#7f8c8d",
               va="bottom")
