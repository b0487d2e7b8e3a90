"""Building footprints inside a lot, drawn in the park frame where lots are axis-aligned.

A lot gets a layout after its use: factories along the lot's long side behind a setback, an
office block and sometimes a dormitory (industry); standard multi-storey factory blocks (小微园);
slab blocks (housing); towers on podia (commerce, research); one small building (utilities).
The coverage target and the share of multi-storey factories come from the owner's efficiency,
so plot ratio and 亩均 tax go together (with noise); a few lots are built thin on purpose.
Every footprint lies inside the lot shrunk by its setback, so it never crosses the lot edge.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from shapely.geometry import Polygon, box

__all__ = ["Profile", "draw_buildings"]


@dataclass(frozen=True)
class Profile:
    """How a lot is built: coverage target, multi-storey share, and the construction state.

    ``state`` is ``built``, ``dilapidated`` (old, most buildings 危旧), ``progress`` (being built:
    the main hall under construction), or ``stalled`` (only a small start, under construction;
    ``coverage`` is then the developed share).
    """

    coverage: float
    multi: float
    state: str = "built"


Footprint = tuple[Polygon, int, float, float, str]  # polygon, floors, height, storey, state


def _inner(lot: Polygon, setback: float) -> Polygon | None:
    inner = lot.buffer(-setback, join_style="mitre")
    if inner.is_empty or inner.geom_type != "Polygon":
        return None
    return inner


def _fit(rects: list[Polygon], inner: Polygon) -> list[int]:
    """Indices of the rectangles that lie inside ``inner``."""
    return [k for k, r in enumerate(rects) if inner.contains(r)]


def draw_buildings(lot: Polygon, kind: str, profile: Profile, rng: np.random.Generator
                   ) -> list[Footprint]:
    """Footprints with floors, height, storey height and state, inside ``lot`` (park frame)."""
    if kind == "residential":
        return _housing(lot, profile, rng)
    if kind in ("commercial", "research"):
        return _towers(lot, kind, profile, rng)
    if kind == "utility":
        return _utility(lot, rng)
    return _industry(lot, kind, profile, rng)


def _industry(lot: Polygon, kind: str, p: Profile, rng: np.random.Generator) -> list[Footprint]:
    setback = float(rng.uniform(8.0, 14.0))
    inner = _inner(lot, setback)
    if inner is None:
        return []
    x0, y0, x1, y1 = inner.bounds
    along_x = (x1 - x0) >= (y1 - y0)
    length, depth = (x1 - x0, y1 - y0) if along_x else (y1 - y0, x1 - x0)
    area = lot.area
    gap = 13.0
    if p.state == "stalled":
        n = 1
    elif kind == "smallbiz":
        n = max(2, min(5, int(length // 70)))
    else:
        n = 1 if area < 12_000 else 2 if area < 22_000 else 3 if area < 45_000 else 4
        n = min(n, max(1, int((length + gap) // 45)))
    usable = length - (n - 1) * gap
    if usable <= 20:
        return []
    # building types along the lot: main hall first, then office, warehouse/second hall, dorm
    if kind == "smallbiz":
        types = ["standard"] * n
    else:
        types = ["hall", "office", "hall", "dorm"][:n] if n < 4 else ["hall", "office", "hall", "dorm"]
    weights = np.array([{"hall": 3.0, "office": 0.7, "dorm": 0.8, "standard": 1.0}[t]
                        for t in types])
    weights *= rng.uniform(0.85, 1.15, n)
    segs = usable * weights / weights.sum()
    target = p.coverage * area
    # depth of each building: offices and dorms are slabs (≤ 22 m), halls take what is needed
    slab = [t in ("office", "dorm") for t in types]
    slab_depth = min(depth, 20.0)
    slab_area = sum(s * slab_depth for s, is_slab in zip(segs, slab, strict=True) if is_slab)
    hall_len = sum(s for s, is_slab in zip(segs, slab, strict=True) if not is_slab)
    if hall_len <= 0:
        return []
    hall_depth = float(np.clip((target - slab_area) / hall_len, 18.0, depth))
    shrink = float(np.clip((target - slab_area) / (hall_len * hall_depth), 0.35, 1.0))
    out: list[Footprint] = []
    pos = 0.0
    front = rng.random() < 0.5
    for seg, t, is_slab in zip(segs, types, slab, strict=True):
        d = slab_depth if is_slab else hall_depth
        ln = seg if is_slab else seg * shrink
        off = 0.0 if front else depth - d
        a0 = pos + (seg - ln) / 2
        if along_x:
            r = box(x0 + a0, y0 + off, x0 + a0 + ln, y0 + off + d)
        else:
            r = box(x0 + off, y0 + a0, x0 + off + d, y0 + a0 + ln)
        pos += seg + gap
        if not inner.contains(r):
            r = r.intersection(inner).envelope
            if not inner.contains(r) or r.area < 200:
                continue
        floors, storey = _floors(t, p, rng)
        height = round(floors * storey + (0.5 if floors == 1 else rng.uniform(0.9, 1.8)), 1)
        out.append((r, floors, height, storey, "built"))
    return _states(out, p, rng)


def _floors(t: str, p: Profile, rng: np.random.Generator) -> tuple[int, float]:
    if t == "office":
        return int(rng.integers(4, 7)), round(float(rng.uniform(3.6, 4.2)), 1)
    if t == "dorm":
        return int(rng.integers(5, 7)), round(float(rng.uniform(3.0, 3.3)), 1)
    if t == "standard":
        return int(rng.integers(4, 7)), round(float(rng.uniform(4.5, 5.4)), 1)
    if rng.random() < p.multi:
        return int(rng.integers(2, 5)), round(float(rng.uniform(4.5, 6.0)), 1)
    if rng.random() < 0.5:  # a single-storey hall with cranes: > 8 m counts double
        return 1, round(float(rng.uniform(8.5, 12.5)), 1)
    return 1, round(float(rng.uniform(5.5, 7.8)), 1)


def _states(out: list[Footprint], p: Profile, rng: np.random.Generator) -> list[Footprint]:
    if p.state == "built":
        return out
    if p.state == "dilapidated":
        return [(r, f, h, s, "dilapidated" if k == 0 or rng.random() < 0.7 else "built")
                for k, (r, f, h, s, _) in enumerate(out)]
    if p.state == "progress":
        return [(r, f, h, s, "under_construction" if k == 0 or rng.random() < 0.6 else "built")
                for k, (r, f, h, s, _) in enumerate(out)]
    # stalled: a foundation and a first storey of the main hall
    return [(r, 1, round(min(h, 6.0), 1), min(s, 6.0), "under_construction")
            for (r, f, h, s, _) in out[:1]]


def _housing(lot: Polygon, p: Profile, rng: np.random.Generator) -> list[Footprint]:
    inner = _inner(lot, 15.0)
    if inner is None:
        return []
    x0, y0, x1, y1 = inner.bounds
    floors = int(rng.choice([11, 11, 15, 18]))
    storey = 3.0
    depth, length = 14.0, float(rng.uniform(38.0, 56.0))
    spacing = max(24.0, 1.0 * floors * storey)  # 日照间距, relaxed
    out: list[Footprint] = []
    y = y0
    while y + depth <= y1:
        x = x0
        while x + length <= x1:
            r = box(x, y, x + length, y + depth)
            if inner.contains(r):
                out.append((r, floors, round(floors * storey + 1.5, 1), storey, "built"))
            x += length + 18.0
        y += depth + spacing
    if p.state == "progress":
        return [(r, f, h, s, "under_construction") for (r, f, h, s, _) in out]
    return out


def _towers(lot: Polygon, kind: str, p: Profile, rng: np.random.Generator) -> list[Footprint]:
    inner = _inner(lot, 12.0)
    if inner is None:
        return []
    x0, y0, x1, y1 = inner.bounds
    w, h = x1 - x0, y1 - y0
    n = 1 if lot.area < 10_000 else 2 if lot.area < 25_000 else 3
    out: list[Footprint] = []
    for k in range(n):
        bw = min(w / n - 10, float(rng.uniform(30, 60)))
        bh = min(h * 0.6, float(rng.uniform(25, 45)))
        if bw < 12 or bh < 12:
            continue
        cx = x0 + (k + 0.5) * w / n
        r = box(cx - bw / 2, y0 + 2, cx + bw / 2, y0 + 2 + bh)
        if not inner.contains(r):
            continue
        floors = int(rng.integers(3, 11)) if kind == "commercial" else int(rng.integers(4, 9))
        storey = round(float(rng.uniform(3.8, 4.5)), 1)
        out.append((r, floors, round(floors * storey + 1.2, 1), storey, "built"))
    if p.state == "progress":
        return [(r, f, hh, s, "under_construction") for (r, f, hh, s, _) in out]
    return out


def _utility(lot: Polygon, rng: np.random.Generator) -> list[Footprint]:
    inner = _inner(lot, 8.0)
    if inner is None:
        return []
    x0, y0, x1, y1 = inner.bounds
    r = box(x0, y0, x0 + (x1 - x0) * 0.5, y0 + (y1 - y0) * 0.45)
    if r.area < 60:
        return []
    floors = int(rng.integers(1, 3))
    return [(r, floors, round(floors * 4.5 + 0.8, 1), 4.5, "built")]
