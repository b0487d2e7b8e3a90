"""The demo county's land: three parks on road grids, their blocks and lots, the collective
land around them, the red lines, the infrastructure and the building footprints.

Everything is drawn in *local* metres (x east, y north) around the county's anchor
(:data:`ANCHOR`, ≈ 119.50°E 30.64°N in EPSG:4528) and moved there at the very end. Each park has
its own grid frame (u along its streets, v across them), rotated by the park's angle; lots and
buildings are drawn in that frame, where they are axis-aligned rectangles, so that containment of
a building in its lot is exact before the one affine move to the county frame.

Only the base county is drawn here, with Python loops over a few thousand features; larger
counties are translated copies (:mod:`layers.demo.scale`).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field

import numpy as np
import shapely
from shapely.geometry import LineString, Point, Polygon, box

__all__ = ["ANCHOR", "PARKS", "TILE", "County", "Lot", "ParkSpec", "draw_county", "park_frame",
           "park_outline"]

#: EPSG:4528 coordinates of the local origin (≈ 119.50°E, 30.64°N; zone 40, CM 120°E)
ANCHOR = (40_452_000.0, 3_391_000.0)
#: local extent of one county copy (xmin, ymin, xmax, ymax); copies of a larger county tile it
TILE = (-9_000.0, -8_000.0, 9_000.0, 7_500.0)

ROAD_WIDTH = {"trunk": 50.0, "primary": 40.0, "secondary": 30.0, "branch": 20.0}
MU = 2000.0 / 3.0  # m² per 亩 (gis.units.M2_PER_MU, exact)

COUNTY_CODE = "330599"  # fictional 示范县 (区划 330500 湖州市 family; 99 is no real county)


@dataclass(frozen=True)
class ParkSpec:
    """One park of 示范经济开发区 (一区三园)."""

    code: str  # DY / XY / NY
    name: str  # 东园
    theme: str
    town: str
    district: str  # 地籍区 (3 digits) of the town
    road_prefix: str  # 东 → 东经一路 / 东纬一路
    avenue: str  # name of the park's primary road
    origin: tuple[float, float]  # local x, y of the park frame's origin
    angle: float  # degrees, counter-clockwise
    size: tuple[float, float]  # extent along u and v (m)
    block_u: tuple[float, float]
    block_v: tuple[float, float]
    cuts: tuple[tuple[str, float, float], ...]  # corners cut off the rectangle: (corner, fu, fv)
    start: tuple[float, float]  # where development started, as a fraction of (size_u, size_v)
    old_share: float  # blocks approved and supplied before 2014 (no batch in the data)
    future_share: float  # blocks not yet approved (still collective land)
    lot_median_mu: float


PARKS: tuple[ParkSpec, ...] = (
    ParkSpec("DY", "东园", "装备制造", "东城街道", "001", "东", "开发大道",
             origin=(-400.0, 0.0), angle=0.0, size=(5000.0, 3400.0),
             block_u=(300.0, 390.0), block_v=(250.0, 320.0),
             cuts=(("ne", 0.22, 0.30), ("se", 0.12, 0.18)), start=(0.0, 0.5),
             old_share=0.46, future_share=0.10, lot_median_mu=24.0),
    ParkSpec("XY", "西园", "新材料", "青山镇", "002", "西", "新材料大道",
             origin=(-7600.0, 900.0), angle=12.0, size=(3300.0, 2700.0),
             block_u=(340.0, 430.0), block_v=(300.0, 360.0),
             cuts=(("nw", 0.25, 0.22), ("sw", 0.10, 0.15)), start=(1.0, 0.0),
             old_share=0.40, future_share=0.14, lot_median_mu=34.0),
    ParkSpec("NY", "南园", "物流", "双桥镇", "003", "南", "物流大道",
             origin=(-3600.0, -5600.0), angle=-8.0, size=(3100.0, 2200.0),
             block_u=(360.0, 450.0), block_v=(290.0, 340.0),
             cuts=(("sw", 0.15, 0.25), ("ne", 0.10, 0.12)), start=(0.5, 1.0),
             old_share=0.36, future_share=0.12, lot_median_mu=38.0),
)

#: towns outside the parks (collective land), with their 地籍区
OTHER_TOWNS = (("溪口镇", "004"), ("白鹭乡", "005"), ("城南街道", "006"))

# the river (陆地水域) from the north-west hills to the south-east, passing between the parks
RIVER = ((-9000.0, 3600.0), (-7900.0, 300.0), (-6200.0, -1100.0), (-4300.0, -2700.0),
         (-1800.0, -3000.0), (1500.0, -2200.0), (5200.0, -2700.0), (9000.0, -3900.0))
MOTORWAY = ((-9000.0, -7300.0), (-4200.0, -6700.0), (200.0, -6300.0), (3600.0, -4300.0),
            (6500.0, -2000.0), (9000.0, -600.0))
EXITS = (("示范南互通", (-1200.0, -6450.0)), ("示范东互通", (5000.0, -3200.0)))
RAIL_SPUR = ((-9000.0, -4300.0), (-6400.0, -4650.0), (-4600.0, -4800.0))
HV_LINES = (  # (name, kV, half width of the tower strip, protection distance (buffer_m), line)
    ("220kV 青溪线", 220, 6.0, 15.0, ((-9000.0, 1900.0), (-2500.0, 6400.0))),
    ("500kV 浙北东送线", 500, 12.0, 20.0, ((3900.0, 7500.0), (4150.0, -2000.0), (4600.0, -8000.0))),
)
HILL = (-8300.0, 5600.0, 1300.0)  # 青山 (eco red line): centre x, y and mean radius


# --------------------------------------------------------------------------------------------
# small helpers
# --------------------------------------------------------------------------------------------
_CN = "零一二三四五六七八九"


def cn_number(n: int) -> str:
    """1 → 一, 12 → 十二, 20 → 二十, 35 → 三十五 (1–99)."""
    tens, ones = divmod(n, 10)
    if tens == 0:
        return _CN[ones]
    head = "" if tens == 1 else _CN[tens]
    return head + "十" + (_CN[ones] if ones else "")


def park_frame(park: ParkSpec):
    """A coordinate function (n×2 array, park frame → local county frame) for shapely.transform."""
    a = math.radians(park.angle)
    c, s = math.cos(a), math.sin(a)
    ox, oy = park.origin

    def move(xy: np.ndarray) -> np.ndarray:
        u, v = xy[:, 0], xy[:, 1]
        return np.column_stack([ox + u * c - v * s, oy + u * s + v * c])

    return move


def park_unframe(park: ParkSpec):
    """Inverse of :func:`park_frame` (local county frame → park frame)."""
    a = math.radians(park.angle)
    c, s = math.cos(a), math.sin(a)
    ox, oy = park.origin

    def move(xy: np.ndarray) -> np.ndarray:
        x, y = xy[:, 0] - ox, xy[:, 1] - oy
        return np.column_stack([x * c + y * s, -x * s + y * c])

    return move


def _noisy_blob(cx: float, cy: float, r: float, rng: np.random.Generator, n: int = 28) -> Polygon:
    """A roundish, valid polygon (radius varies smoothly ±25%)."""
    t = np.linspace(0, 2 * np.pi, n, endpoint=False)
    k = rng.uniform(0, 2 * np.pi, 3)
    rad = r * (1 + 0.12 * np.sin(2 * t + k[0]) + 0.08 * np.sin(3 * t + k[1])
               + 0.05 * np.sin(5 * t + k[2]))
    return Polygon(np.column_stack([cx + rad * np.cos(t), cy + rad * np.sin(t)]))


# --------------------------------------------------------------------------------------------
# the county's content, as plain records
# --------------------------------------------------------------------------------------------
@dataclass
class Lot:
    """One parcel of the base county (before it becomes a row of ``parcels``)."""

    geom: Polygon  # local county frame
    use: str  # 2023 land-use code
    kind: str  # industrial, logistics, commercial, research, residential, utility, green, park,
    # road, rail, water, village, farmland, forest, collective_industry
    town: str
    district: str
    subdistrict: str
    name: str
    park: str | None = None  # park code
    block: tuple[int, int] | None = None
    uv: Polygon | None = None  # geometry in the park frame (lots and blocks only)
    phase: str = "outside"  # old, batch, single, future, outside
    batch: int | None = None  # index into County.batches
    road_key: tuple | None = None
    ready: bool = False
    assessed: bool = False  # 区域评估 done for the area
    utility: str | None = None  # facility kind placed on a utility lot


@dataclass
class Block:
    park: str
    i: int
    j: int
    uv: Polygon  # clipped block, park frame
    use: str  # block use: industrial, logistics, residential, commercial, research, park,
    # sewage, railyard, smallbiz
    planned: str  # zoning planned use (2023 code)
    phase: str = "old"
    rank: float = 0.0
    batch: int | None = None
    lots: list[int] = field(default_factory=list)


@dataclass
class Batch:
    """An approval (批次 or 单独选址) before dates and fates are decided."""

    park: str
    blocks: list[tuple[int, int]]
    kind: str  # batch | single
    rank: float  # development order within its park, 0..1
    lots: list[int] = field(default_factory=list)
    roads: list[int] = field(default_factory=list)
    hole: int | None = None  # lot index carved out of the batch (a village plot left inside)


@dataclass
class Facility:
    kind: str
    name: str
    geom: Point | LineString
    spare_kva: float | None = None
    capacity: float | None = None
    road_class: str | None = None


@dataclass
class Constraint:
    kind: str
    effect: str
    name: str
    geom: Polygon | shapely.MultiPolygon
    buffer_m: float | None = None


@dataclass
class ZoningUnit:
    label: str
    park: str
    planned: str
    geom: Polygon | shapely.MultiPolygon
    kind: str  # the lot/block kind the indicators come from
    newer: bool = False  # on a block approved from 2014 on (stricter 标准地 floors)


@dataclass
class County:
    """The base county, drawn in local metres."""

    parks: dict[str, ParkSpec]
    outlines: dict[str, Polygon]  # local frame
    blocks: dict[tuple[str, int, int], Block]
    lots: list[Lot]
    batches: list[Batch]
    facilities: list[Facility]
    constraints: list[Constraint]
    zoning: list[ZoningUnit]
    corridors: shapely.Geometry  # HV corridors with their protection distance (no building)


# --------------------------------------------------------------------------------------------
# grids and blocks
# --------------------------------------------------------------------------------------------
def _grid(length: float, block: tuple[float, float], rng: np.random.Generator
          ) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Road centre-lines across one axis of a park: positions, widths and classes.

    The outer roads sit half outside the park edge, so roads and blocks tile [0, length]
    exactly (roads [p − w/2, p + w/2], blocks between them).
    """
    n = max(2, round(length / (sum(block) / 2 + 25)))  # number of blocks
    classes = []
    for k in range(n + 1):
        if k in (0, n):
            classes.append("secondary")
        elif k == n // 2:
            classes.append("primary")
        elif k % 3 == 0:
            classes.append("secondary")
        else:
            classes.append("branch")
    widths = np.array([ROAD_WIDTH[c] for c in classes])
    room = length - widths.sum()
    sizes = rng.uniform(block[0], block[1], n)
    sizes *= room / sizes.sum()
    pos = np.empty(n + 1)
    pos[0] = widths[0] / 2
    for k in range(n):
        pos[k + 1] = pos[k] + widths[k] / 2 + sizes[k] + widths[k + 1] / 2
    return pos, widths, classes


def park_outline(park: ParkSpec) -> Polygon:
    """The park's boundary in its frame: the grid rectangle with corners cut off (convex)."""
    su, sv = park.size
    corners = {"sw": (0.0, 0.0), "se": (su, 0.0), "ne": (su, sv), "nw": (0.0, sv)}
    pts: list[tuple[float, float]] = []
    cuts = {c: (fu * su, fv * sv) for c, fu, fv in park.cuts}
    for name in ("sw", "se", "ne", "nw"):
        x, y = corners[name]
        if name not in cuts:
            pts.append((x, y))
            continue
        du, dv = cuts[name]
        sx = 1 if x == 0 else -1
        sy = 1 if y == 0 else -1
        # walk counter-clockwise: the point on the incoming edge first
        if name in ("sw", "ne"):
            pts += [(x, y + sy * dv), (x + sx * du, y)]
        else:
            pts += [(x + sx * du, y), (x, y + sy * dv)]
    return shapely.normalize(Polygon(pts))


def _block_use(park: ParkSpec, i: int, j: int, n: int, m: int) -> tuple[str, str]:
    """(block use, planned 2023 code) of block (i, j) of an n × m grid."""
    if park.code == "DY":
        if i == 0 and 3 <= j <= 7:
            return "residential", "070102"
        if i == 0 and j == 8:
            return "commercial", "0902"
        if i == 1 and j in (5, 6):
            return "research", "0802"
        if i == 1 and j == 4:
            return "park", "1401"
        if i == n // 2 and j == m // 2:
            return "commercial", "0901"
        if i == 1 and j in (2, 3):
            # old factories in a block the new plan turned residential (退二进三): nonconforming
            return "industrial", "070102"
        if (i, j) == (3, 4):
            return "smallbiz", "100101"
        return "industrial", "100101" if i <= 2 else "100102"
    if park.code == "XY":
        if (i, j) == (n - 1, 0):
            return "sewage", "1302"
        if i in (0, n - 1) or j in (0, m - 1):
            return "industrial", "100102"
        return "industrial", "100103"
    # NY
    if i == n // 2 and 1 <= j <= 3:
        return "commercial", "090102" if j == 2 else "0902" if j == 3 else "0901"
    if (i, j) == (0, 2):
        return "railyard", "1201"
    if j == m - 1 and i >= n - 2:
        return "industrial", "100101"
    return "logistics", "110102" if (i + j) % 3 == 0 else "110101"


# --------------------------------------------------------------------------------------------
# lots in a block
# --------------------------------------------------------------------------------------------
def _split(length: float, sample, min_len: float) -> list[float]:
    """Cut ``length`` into pieces drawn by ``sample()``; the last piece takes the remainder."""
    out: list[float] = []
    rest = length
    while True:
        s = max(sample(), min_len)
        if rest - s < min_len:
            if out and rest < min_len:
                out[-1] += rest
            else:
                out.append(rest)
            return out
        out.append(s)
        rest -= s


def _lots_in_rect(u0, v0, u1, v1, median_mu, rng, *, two_rows_p=0.75, whole_p=0.05,
                  min_front=55.0) -> list[Polygon]:
    """Subdivide an axis-aligned rectangle into rows of lots of lognormal size (亩)."""
    du, dv = u1 - u0, v1 - v0
    area_mu = du * dv / MU
    if (area_mu <= 150 and rng.random() < whole_p * 4) or rng.random() < whole_p:
        return [box(u0, v0, u1, v1)]
    along_u = du >= dv
    depth = dv if along_u else du
    rows = 2 if depth >= 2 * 105 and rng.random() < two_rows_p else 1
    row_depth = depth / rows

    def sample() -> float:
        mu = float(np.clip(rng.lognormal(math.log(median_mu), 0.5), 10.0, 150.0))
        return mu * MU / row_depth

    out = []
    # edges as cumulative positions, the last one exactly the rectangle's edge (no slivers)
    cross = [v0, v0 + row_depth, v1] if along_u and rows == 2 else \
        [u0, u0 + row_depth, u1] if rows == 2 else [v0, v1] if along_u else [u0, u1]
    for r in range(rows):
        pieces = _split(du if along_u else dv, sample, max(min_front, 10 * MU / row_depth))
        start = u0 if along_u else v0
        end = u1 if along_u else v1
        edges = [start, *(start + np.cumsum(pieces[:-1])).tolist(), end]
        for a, b in itertools.pairwise(edges):
            if along_u:
                out.append(box(a, cross[r], b, cross[r + 1]))
            else:
                out.append(box(cross[r], a, cross[r + 1], b))
    return out


# --------------------------------------------------------------------------------------------
# drawing the county
# --------------------------------------------------------------------------------------------
def draw_county(rng: np.random.Generator) -> County:
    """Draw the base county (geometry and land uses; no dates, owners or money yet)."""
    lots: list[Lot] = []
    blocks: dict[tuple[str, int, int], Block] = {}
    batches: list[Batch] = []
    facilities: list[Facility] = []
    outlines: dict[str, Polygon] = {}

    corridors = shapely.union_all([
        LineString(line).buffer(half + buf, cap_style="flat")
        for _name, _kv, half, buf, line in HV_LINES
    ])

    def add(lot: Lot) -> int:
        lots.append(lot)
        return len(lots) - 1

    for park in PARKS:
        to_local = park_frame(park)
        outline = park_outline(park)
        outlines[park.code] = shapely.transform(outline, to_local)
        corr_uv = shapely.transform(corridors, park_unframe(park))
        su, sv = park.size
        pu, wu, cu = _grid(su, park.block_u, rng)
        pv, wv, cv = _grid(sv, park.block_v, rng)
        n, m = len(pu) - 1, len(pv) - 1
        road_names_u = [park.avenue if c == "primary" else f"{park.road_prefix}经{cn_number(k + 1)}路"
                        for k, c in enumerate(cu)]
        road_names_v = [f"{park.road_prefix}纬{cn_number(k + 1)}路" if c != "primary"
                        else f"{park.road_prefix}园路" for k, c in enumerate(cv)]

        # -- roads: parcels per segment, centre-lines per road -------------------------------
        for i in range(n + 1):  # roads along v (u = const), split per block row
            for j in range(m):
                top = pv[j + 1] - wv[j + 1] / 2 if j < m - 1 else sv
                seg = box(pu[i] - wu[i] / 2, pv[j] - wv[j] / 2, pu[i] + wu[i] / 2, top)
                seg = seg.intersection(outline)
                if seg.area < 300 or seg.geom_type != "Polygon":
                    continue
                add(Lot(shapely.transform(seg, to_local), "1207", "road", park.town,
                        park.district, "001", road_names_u[i], park=park.code, uv=seg,
                        road_key=("u", i, j), phase="old"))
            line = LineString([(pu[i], 0), (pu[i], sv)]).intersection(outline)
            if not line.is_empty:
                facilities.append(Facility("road", road_names_u[i],
                                           shapely.transform(line, to_local), road_class=cu[i]))
        for j in range(m + 1):  # roads along u (v = const), between the u-roads
            for i in range(n):
                seg = box(pu[i] + wu[i] / 2, pv[j] - wv[j] / 2, pu[i + 1] - wu[i + 1] / 2,
                          pv[j] + wv[j] / 2).intersection(outline)
                if seg.area < 300 or seg.geom_type != "Polygon":
                    continue
                add(Lot(shapely.transform(seg, to_local), "1207", "road", park.town,
                        park.district, "001", road_names_v[j], park=park.code, uv=seg,
                        road_key=("v", j, i), phase="old"))
            line = LineString([(0, pv[j]), (su, pv[j])]).intersection(outline)
            if not line.is_empty:
                facilities.append(Facility("road", road_names_v[j],
                                           shapely.transform(line, to_local), road_class=cv[j]))

        # -- blocks: use, development order ---------------------------------------------------
        park_blocks: list[Block] = []
        for i in range(n):
            for j in range(m):
                rect = box(pu[i] + wu[i] / 2, pv[j] + wv[j] / 2,
                           pu[i + 1] - wu[i + 1] / 2, pv[j + 1] - wv[j + 1] / 2)
                clipped = rect.intersection(outline)
                if clipped.area < 0.35 * rect.area:
                    continue
                use, planned = _block_use(park, i, j, n, m)
                cx, cy = (i + 0.5) / n, (j + 0.5) / m
                rank = math.hypot(cx - park.start[0], cy - park.start[1]) + rng.normal(0, 0.08)
                if use in ("residential", "commercial", "research", "park", "smallbiz"):
                    rank -= 0.6  # the town side and the service blocks came first
                b = Block(park.code, i, j, clipped, use, planned, rank=rank)
                park_blocks.append(b)
                blocks[(park.code, i, j)] = b
        park_blocks.sort(key=lambda b: b.rank)
        nb = len(park_blocks)
        n_old = round(park.old_share * nb)
        n_future = round(park.future_share * nb)
        for k, b in enumerate(park_blocks):
            if b.use in ("sewage", "railyard"):
                b.phase = "single"
            elif k < n_old:
                b.phase = "old"
            elif k >= nb - n_future and b.use in ("industrial", "logistics"):
                b.phase = "future"
            else:
                b.phase = "batch"

        # -- lots ----------------------------------------------------------------------------
        assessed_share = {"DY": 0.9, "XY": 0.55, "NY": 0.85}[park.code]
        for b in park_blocks:
            i, j = b.i, b.j
            block_assessed = bool(rng.random() < assessed_share)
            if b.phase == "future":
                # not yet approved: still collective farmland with a hamlet
                kind, use = ("village", "0703") if rng.random() < 0.2 else ("farmland", "0101")
                b.lots.append(add(Lot(
                    shapely.transform(b.uv, to_local), use, kind, park.town, park.district,
                    "002", f"{park.name}规划区{cn_number(i + 1)}-{j + 1}号农地" if kind == "farmland"
                    else f"{park.name}规划区自然村", park=park.code, block=(i, j), uv=b.uv,
                    phase="future")))
                continue
            u0, v0, u1, v1 = b.uv.bounds
            pieces: list[tuple[Polygon, str, str]] = []  # (uv polygon, kind, code)
            # a green strip along a primary road or the corridor side of the block
            if b.use in ("industrial", "logistics", "smallbiz"):
                if cu[i] == "primary" and rng.random() < 0.7:
                    pieces.append((box(u0, v0, u0 + 25, v1), "green", "1402"))
                    u0 += 25
                elif cv[j + 1] == "primary" and rng.random() < 0.7:
                    pieces.append((box(u0, v1 - 25, u1, v1), "green", "1402"))
                    v1 -= 25
                # a protective belt along the park's outer edge
                if i == n - 1 and rng.random() < 0.6:
                    pieces.append((box(u1 - 20, v0, u1, v1), "green", "1402"))
                    u1 -= 20
                elif j == 0 and rng.random() < 0.6:
                    pieces.append((box(u0, v0, u1, v0 + 20), "green", "1402"))
                    v0 += 20
                elif i == 0 and rng.random() < 0.6:
                    pieces.append((box(u0, v0, u0 + 20, v1), "green", "1402"))
                    u0 += 20
            # a utility lot at a block corner
            util = _utility_for(park.code, i, j, n, m)
            if util is not None and b.use in ("industrial", "logistics"):
                code, ukind, w, h = util
                pieces.append((box(u1 - w, v0, u1, v0 + h), f"utility:{ukind}", code))
                # the rest of the corner row continues beside it
                rest_rect = box(u0, v0, u1 - w, v0 + h)
                if rest_rect.area > 10 * MU:
                    pieces.append((rest_rect, b.use, b.planned))
                v0 += h
            if b.use in ("industrial", "logistics"):
                rects = _lots_in_rect(u0, v0, u1, v1, park.lot_median_mu, rng,
                                      whole_p=0.03 if park.code == "DY" else 0.06)
                kind = b.use
                code = b.planned if b.planned[:2] in ("10", "11") else "100102"
                pieces += [(r, kind, code) for r in rects]
            elif b.use == "smallbiz":
                pieces += [(r, "smallbiz", "100101") for r in
                           _lots_in_rect(u0, v0, u1, v1, 40, rng, two_rows_p=1.0, whole_p=0)]
            elif b.use == "residential":
                pieces += [(r, "residential", "070102") for r in
                           _lots_in_rect(u0, v0, u1, v1, 70, rng, two_rows_p=0.6, whole_p=0)]
            elif b.use == "commercial":
                pieces += [(r, "commercial", b.planned) for r in
                           _lots_in_rect(u0, v0, u1, v1, 18, rng, two_rows_p=0.9, whole_p=0)]
            elif b.use == "research":
                pieces += [(r, "research", "0802") for r in
                           _lots_in_rect(u0, v0, u1, v1, 45, rng, two_rows_p=0.3, whole_p=0)]
            elif b.use == "park":
                pieces.append((box(u0, v0, u1, v1), "park", "1401"))
            elif b.use == "sewage":
                pieces.append((box(u0, v0, u1, v1), "utility:sewage", "1302"))
            elif b.use == "railyard":
                pieces.append((box(u0, v0, u1, v1), "rail", "1201"))

            lot_no = 0
            for rect, kind, code in pieces:
                poly = rect.intersection(outline)
                if poly.is_empty or poly.geom_type != "Polygon" or poly.area < 400:
                    continue
                if kind in ("industrial", "logistics") and poly.area < 5 * MU:
                    kind, code = "green", "1402"  # a clipped corner too small to build on
                if kind in ("industrial", "logistics", "smallbiz"):
                    # land under an HV corridor is not sold: kept as a belt of green
                    share = poly.intersection(corr_uv).area / poly.area
                    if share > 0.35:
                        kind, code = "green", "1402"
                utility = None
                if kind.startswith("utility:"):
                    utility = kind.split(":", 1)[1]
                    kind = "utility"
                lot_no += 1
                label = f"{park.name}{chr(65 + i)}{j + 1:02d}-{lot_no:02d}"
                b.lots.append(add(Lot(
                    shapely.transform(poly, to_local), code, kind, park.town, park.district, "001",
                    f"{label}地块", park=park.code, block=(i, j), uv=poly, phase=b.phase,
                    assessed=block_assessed, utility=utility)))

        # -- batches: consecutive blocks in development order ---------------------------------
        order = [b for b in park_blocks if b.phase == "batch"]
        k = 0
        while k < len(order):
            size = int(rng.choice([1, 2, 2, 3, 3, 4]))
            group = order[k:k + size]
            k += size
            bt = Batch(park.code, [(b.i, b.j) for b in group], "batch",
                       rank=(park_blocks.index(group[0]) / nb))
            for b in group:
                b.batch = len(batches)
            batches.append(bt)
        for b in park_blocks:
            if b.phase == "single":
                b.batch = len(batches)
                batches.append(Batch(park.code, [(b.i, b.j)], "single",
                                     rank=park_blocks.index(b) / nb))

    # roads belong to the batch of a block they border (first come), for partial/none batches
    road_index = {(lots[x].park, lots[x].road_key): x for x in range(len(lots))
                  if lots[x].kind == "road"}
    for bi, bt in enumerate(batches):
        for (i, j) in bt.blocks:
            blk = blocks[(bt.park, i, j)]
            bt.lots += blk.lots
            for key in (("u", i, j), ("u", i + 1, j), ("v", j, i), ("v", j + 1, i)):
                x = road_index.get((bt.park, key))
                if x is not None and lots[x].batch is None:
                    bt.roads.append(x)
        for x in bt.lots:
            lots[x].batch = bi
        for x in bt.roads:
            lots[x].batch = bi

    _carve_hamlet(lots, blocks, batches, rng)
    _node(lots)
    facilities += _infrastructure(lots, outlines)
    county = County({p.code: p for p in PARKS}, outlines, blocks, lots, batches, facilities,
                    [], [], corridors)
    county.zoning = _zoning(county)
    _collective_land(county, rng)
    county.constraints = _constraints(county, rng)
    return county


def _node(lots: list[Lot]) -> None:
    """Give every park polygon the vertices of its neighbours that lie on its edges (lot
    corners on a road edge, …), in the exact park frame, then move it to the county frame.

    Without this, a corner lying on a neighbour's edge drifts off that edge by rounding once
    rotated, and the two polygons overlap (or gap) by a hair.
    """
    for park in PARKS:
        idx = [x for x, lot in enumerate(lots) if lot.park == park.code and lot.uv is not None]
        polys = np.array([lots[x].uv for x in idx], dtype=object)
        vertices = shapely.multipoints(np.unique(shapely.get_coordinates(polys), axis=0))
        noded = shapely.snap(polys, vertices, 1e-6)
        moved = shapely.transform(noded, park_frame(park))
        for x, uv, g in zip(idx, noded, moved, strict=True):
            lots[x].uv, lots[x].geom = uv, g


def _zoning(county: County) -> list[ZoningUnit]:
    """Zoning units: one per block for its main use, green/utility/rail lots on their own,
    and the road network of each park as one unit."""
    lots = county.lots
    out: list[ZoningUnit] = []
    for park in PARKS:
        to_local = park_frame(park)
        park_blocks = sorted((b for b in county.blocks.values() if b.park == park.code),
                             key=lambda b: (b.i, b.j))
        for b in park_blocks:
            label = f"{park.code}-{chr(65 + b.i)}{b.j + 1:02d}"
            newer = b.phase in ("batch", "future")
            main = [lots[x].uv for x in b.lots if lots[x].kind in
                    ("industrial", "logistics", "smallbiz", "residential", "commercial",
                     "research", "village", "farmland")]
            if main:
                out.append(ZoningUnit(label, park.code, b.planned,
                                      shapely.transform(shapely.union_all(main), to_local),
                                      b.use, newer))
            for x in b.lots:
                lot = lots[x]
                if lot.kind in ("green", "park", "utility", "rail"):
                    out.append(ZoningUnit(f"{label}-{lot.name[-4:-2]}", park.code, lot.use,
                                          lot.geom, lot.kind, newer))
        roads = [lot.geom for lot in lots if lot.kind == "road" and lot.park == park.code]
        out.append(ZoningUnit(f"{park.code}-R", park.code, "1207", shapely.union_all(roads),
                              "road"))
    return out


def _utility_for(park: str, i: int, j: int, n: int, m: int):
    """(code, facility kind, width, depth) of a utility lot at the corner of block (i, j)."""
    table = {
        ("DY", 2, 1): ("1303", "substation", 90.0, 70.0),
        ("DY", n - 3, m - 3): ("1303", "substation", 90.0, 70.0),
        ("DY", n // 2 + 1, 2): ("1301", "water", 70.0, 60.0),
        ("DY", 5, m - 2): ("1304", "gas", 60.0, 50.0),
        ("DY", 3, 1): ("1310", "fire", 70.0, 60.0),
        ("DY", 6, 1): ("1309", "sanitation", 60.0, 50.0),
        ("DY", 8, m - 2): ("1306", "telecom", 50.0, 45.0),
        ("DY", n - 2, 2): ("120803", "parking", 80.0, 60.0),
        ("XY", n - 2, m - 2): ("1310", "fire", 70.0, 60.0),
        ("XY", 3, 1): ("1309", "sanitation", 60.0, 50.0),
        ("NY", n - 1, m - 2): ("120802", "bus", 90.0, 70.0),
        ("NY", 4, 1): ("1310", "fire", 70.0, 60.0),
        ("XY", 1, 1): ("1303", "substation", 90.0, 70.0),
        ("XY", n // 2, m // 2): ("1304", "gas", 70.0, 60.0),
        ("XY", 2, m - 2): ("1301", "water", 60.0, 50.0),
        ("NY", n - 2, 1): ("1303", "substation", 90.0, 70.0),
        ("NY", 2, m - 2): ("1302", "sewage", 80.0, 70.0),
        ("NY", 1, 1): ("1304", "gas", 60.0, 50.0),
    }
    return table.get((park, i, j))


def _carve_hamlet(lots: list[Lot], blocks, batches: list[Batch], rng) -> None:
    """Leave a village plot (宅基地, collective) in the middle of one batch's block: the
    batch polygon gets a hole there, and the lots around it lose that corner."""
    candidates = [bi for bi, bt in enumerate(batches)
                  if bt.kind == "batch" and bt.park == "DY" and len(bt.blocks) >= 2]
    bi = candidates[len(candidates) // 2]
    bt = batches[bi]
    blk = blocks[(bt.park, *bt.blocks[0])]
    park = next(p for p in PARKS if p.code == bt.park)
    cx, cy = blk.uv.centroid.x, blk.uv.centroid.y
    square = box(cx - 32, cy - 26, cx + 32, cy + 26)
    to_local = park_frame(park)
    for x in list(blk.lots):
        lot = lots[x]
        if lot.uv is not None and lot.uv.intersects(square):
            rest = lot.uv.difference(square)
            lot.uv = rest
            lot.geom = shapely.transform(rest, to_local)
    x = len(lots)
    lots.append(Lot(shapely.transform(square, to_local), "0703", "village", park.town,
                    park.district, "002", f"{park.name}{chr(65 + blk.i)}{blk.j + 1:02d}地块内宅基地",
                    park=park.code, block=(blk.i, blk.j), uv=square, phase="batch"))
    bt.hole = x


def _infrastructure(lots: list[Lot], outlines: dict[str, Polygon]) -> list[Facility]:
    """Substations, water, sewage and gas at their utility lots; trunk roads, the motorway and
    its exits, the rail spur and the river port."""
    out: list[Facility] = []
    spare = {  # (park, nth substation) -> (name, capacity kVA, spare kVA)
        ("DY", 0): ("110kV 东园变", 100_000.0, 12_000.0),
        ("DY", 1): ("110kV 东园二期变", 126_000.0, 50_000.0),
        ("XY", 0): ("110kV 西园变", 100_000.0, 0.0),
        ("NY", 0): ("110kV 南园变", 80_000.0, 31_500.0),
    }
    seen: dict[tuple[str, str], int] = {}
    for lot in lots:
        if lot.kind != "utility" or lot.utility not in ("substation", "water", "sewage", "gas"):
            continue
        key = (lot.park, lot.utility)
        nth = seen.get(key, 0)
        seen[key] = nth + 1
        pt = lot.geom.representative_point()
        park_name = {"DY": "东园", "XY": "西园", "NY": "南园"}[lot.park]
        if lot.utility == "substation":
            name, cap, sp = spare[(lot.park, nth)]
            out.append(Facility("substation", name, pt, spare_kva=sp, capacity=cap))
        elif lot.utility == "water":
            out.append(Facility("water", f"{park_name}加压泵站", pt, capacity=30_000.0))
        elif lot.utility == "sewage":
            cap = 40_000.0 if lot.park == "XY" else 15_000.0
            out.append(Facility("sewage", f"{park_name}污水处理厂", pt, capacity=cap))
        elif lot.utility == "gas":
            out.append(Facility("gas", f"{park_name}天然气调压站", pt, capacity=50_000.0))
    out += [
        Facility("substation", "220kV 示范变", Point(-1500.0, 1200.0), spare_kva=50_000.0,
                 capacity=360_000.0),
        Facility("substation", "35kV 双桥变", Point(-4300.0, -3600.0), spare_kva=3_000.0,
                 capacity=20_000.0),
        Facility("water", "示范县第二水厂", Point(-2600.0, 2600.0), capacity=100_000.0),
        Facility("sewage", "城东污水处理厂", Point(2200.0, -1500.0), capacity=30_000.0),
        Facility("gas", "示范县天然气门站", Point(-2200.0, -600.0), capacity=300_000.0),
    ]
    # trunk roads linking the parks and the motorway exits (快速路), ending at the park edges
    # where the parks' boundary roads run; the motorway itself
    def edge(code: str, toward: tuple[float, float]) -> tuple[float, float]:
        ring = outlines[code].exterior
        p = ring.interpolate(ring.project(Point(toward)))
        return (p.x, p.y)

    trunks = (
        ("示范快速路", edge("XY", (-1500.0, 900.0)), (-1500.0, 900.0), edge("DY", (-1500.0, 900.0))),
        ("园区连接线", edge("NY", (-1500.0, -2400.0)), (-1500.0, -2400.0), (-1500.0, 900.0)),
        ("东互通连接线", EXITS[1][1], (4400.0, -1500.0), edge("DY", (4400.0, -1500.0))),
        ("南互通连接线", EXITS[0][1], edge("NY", EXITS[0][1])),
    )
    for name, *pts in trunks:
        out.append(Facility("road", name, LineString(pts), road_class="trunk"))
    out.append(Facility("road", "杭长高速（示范段）", LineString(MOTORWAY), road_class="motorway"))
    for name, (x, y) in EXITS:
        out.append(Facility("highway_exit", name, Point(x, y)))
    yard = next(lot for lot in lots if lot.kind == "rail").geom.centroid  # the spur's freight yard
    out.append(Facility("rail", "示范铁路专用线", LineString([*RAIL_SPUR, (yard.x, yard.y)]),
                        capacity=3_000_000.0))
    out.append(Facility("port", "双桥港区作业区", Point(-2900.0, -2950.0), capacity=2_000_000.0))
    return out


# --------------------------------------------------------------------------------------------
# land outside the parks
# --------------------------------------------------------------------------------------------
def _river_polygon() -> Polygon:
    return LineString(RIVER).buffer(35.0, cap_style="flat")


def _collective_land(county: County, rng: np.random.Generator) -> None:
    """Collective land in a belt around the parks: paddies, dry fields, woods, hamlets and a few
    village workshops (村级工业), in cells of a coarse grid, plus the river."""
    lots = county.lots
    river = _river_polygon()
    lots.append(Lot(river.intersection(box(*TILE)), "1701", "water", "溪口镇", "004", "009",
                    "苕溪（示范段）"))
    parks = shapely.union_all([o.buffer(120.0) for o in county.outlines.values()])
    keep_out = shapely.union_all([
        parks, river.buffer(25.0),
        *(f.geom.buffer(45.0) for f in county.facilities if f.kind in ("road", "rail")
          and f.road_class in ("trunk", "motorway", None)),
        _noisy_blob(*HILL, np.random.default_rng(7)),
    ])
    near = shapely.union_all([o.buffer(2000.0) for o in county.outlines.values()])
    xs = np.arange(TILE[0] + 400, TILE[2] - 400, 330.0)
    ys = np.arange(TILE[1] + 400, TILE[3] - 400, 280.0)
    cells = [box(x + 12, y + 10, x + 318, y + 270) for y in ys for x in xs]
    cells = np.array(cells, dtype=object)
    ok = shapely.intersects(cells, near) & ~shapely.intersects(cells, keep_out)
    cells = cells[ok]
    pick = rng.random(len(cells)) < 0.75
    cells = cells[pick]
    towns = {"DY": "东城街道", "XY": "青山镇", "NY": "双桥镇"}
    districts = {"东城街道": "001", "青山镇": "002", "双桥镇": "003"}
    centroids = {c: o.centroid for c, o in county.outlines.items()}
    villages = ("上塘村", "枫树湾村", "石门村", "龙山村", "双溪村", "后洋村", "新桥村",
                "白鹭村", "山河村", "高桥村", "溪口村", "东岙村")
    for k, cell in enumerate(cells):
        c = cell.centroid
        nearest = min(centroids, key=lambda p: c.distance(centroids[p]))
        d = c.distance(centroids[nearest])
        if d > 3200:
            town, district = OTHER_TOWNS[k % len(OTHER_TOWNS)]
        else:
            town = towns[nearest]
            district = districts[town]
        village = villages[int(abs(c.x) // 1100 + abs(c.y) // 900) % len(villages)]
        r = rng.random()
        if r < 0.50:
            kind, use, label = "farmland", "0101", "水田"
        elif r < 0.60:
            kind, use, label = "farmland", "0103", "旱地"
        elif r < 0.70:
            kind, use, label = "forest", "0301" if rng.random() < 0.6 else "0202", "林地"
        elif r < 0.74:
            kind, use, label = "pond", "1704", "坑塘"
        elif r < 0.92:
            kind, use, label = "village", "0703", "宅基地"
        else:
            kind, use, label = "collective_industry", "100101", "村级工业用地"
        geom = cell
        if kind in ("village", "collective_industry"):
            geom = box(c.x - 110, c.y - 90, c.x + 110, c.y + 90)
        elif kind == "pond":
            geom = box(c.x - 70, c.y - 55, c.x + 70, c.y + 55)
        lots.append(Lot(geom, use, kind, town, district, f"{10 + k % 80:03d}",
                        f"{village}{label}", phase="outside"))


def _constraints(county: County, rng: np.random.Generator) -> list[Constraint]:
    """Red lines: 永久基本农田 over most paddies (and over the edge of one reserve lot), the hill
    and the river as 生态保护红线, the two HV corridors, a flood zone, a heritage site."""
    lots = county.lots
    out: list[Constraint] = []
    farmland = [lot.geom for lot in lots if lot.kind == "farmland" and lot.phase == "outside"]
    farmland = np.array(farmland, dtype=object)
    keep = rng.random(len(farmland)) < 0.8
    merged = shapely.get_parts(shapely.union_all(shapely.buffer(farmland[keep], 13.0,
                                                                join_style="mitre")))
    merged = [g.buffer(-13.0, join_style="mitre") for g in merged]
    merged = sorted((g for g in merged if g.area > 0), key=lambda g: (-g.area, g.centroid.x))
    for k, g in enumerate(merged):
        out.append(Constraint("basic_farmland", "exclude", f"永久基本农田保护片{cn_number(k + 1)}"
                              if k < 99 else f"永久基本农田保护片{k + 1}", g))
    # the hill and the river
    hill = _noisy_blob(*HILL, np.random.default_rng(7))
    out.append(Constraint("eco_redline", "exclude", "青山生态保护红线", hill))
    river = _river_polygon().buffer(30.0).intersection(box(*TILE))
    out.append(Constraint("eco_redline", "exclude", "苕溪生态保护红线", river))
    # HV corridors: the tower strip, with the protection distance as buffer_m
    for name, _kv, half, buf, line in HV_LINES:
        strip = LineString(line).buffer(half, cap_style="flat").intersection(box(*TILE))
        out.append(Constraint("hv_corridor", "penalize", f"{name}高压走廊", strip, buffer_m=buf))
    # flood zone on the low land between the river and 南园
    ny = county.outlines["NY"]
    flood = LineString(RIVER[3:6]).buffer(650.0).intersection(ny.buffer(900.0)).intersection(
        LineString(RIVER[3:6]).buffer(1400.0))
    out.append(Constraint("flood", "penalize", "苕溪下游洪涝风险区（20年一遇）", flood))
    return out


def farmland_conflict(county: County, lot_index: int) -> Constraint:
    """A basic-farmland patch reaching 40 m into the given (reserve) lot from outside the park:
    the plan and the red line disagree there, so the lot cannot be offered whole."""
    lot = county.lots[lot_index]
    park = county.parks[lot.park]
    outline = park_outline(park)
    u0, v0, u1, v1 = lot.uv.bounds
    su, sv = park.size
    # the lot's side nearest the park edge
    gaps = {"w": u0, "e": su - u1, "s": v0, "n": sv - v1}
    side = min(gaps, key=gaps.get)
    if side == "w":
        rect = box(-400, v0 + 10, u0 + 40, v1 - 10)
    elif side == "e":
        rect = box(u1 - 40, v0 + 10, su + 400, v1 - 10)
    elif side == "s":
        rect = box(u0 + 10, -400, u1 - 10, v0 + 40)
    else:
        rect = box(u0 + 10, v1 - 40, u1 - 10, sv + 400)
    rect = rect.difference(outline.difference(lot.uv))  # only into this lot, not its neighbours
    rect = max(shapely.get_parts(rect), key=lambda g: g.area) if rect.geom_type != "Polygon" \
        else rect
    return Constraint("basic_farmland", "exclude", "永久基本农田保护片（规划冲突）",
                      shapely.transform(rect, park_frame(park)))


def heritage_site(county: County, lot_index: int) -> Constraint:
    """A protected old stone bridge (文物保护范围) inside a reserve lot."""
    lot = county.lots[lot_index]
    c = lot.geom.representative_point()
    return Constraint("heritage", "exclude", "永济古桥文物保护范围", c.buffer(35.0, quad_segs=6))
