"""Rings → polygons of a 部标 TXT file, assembled by containment.

A ring inside an odd number of other rings of its parcel is a hole of the smallest of them,
any other ring is a shell, and the shells of one parcel make a MultiPolygon. Unclosed rings are
closed, a 圈号 holding several closed rings is split, degenerate rings are dropped and invalid
results made valid; :class:`_Built` records each of these for the reader to report.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely


@dataclass
class _Built:
    parcel: np.ndarray  # parcel index of each built geometry
    geometry: np.ndarray  # MultiPolygons
    unclosed: dict[int, list[int]]  # parcel -> ring numbers closed by the reader
    degenerate: dict[int, list[int]]  # parcel -> ring numbers dropped (< 3 points / no area)
    split: dict[int, list[int]]  # parcel -> ring numbers used for several closed rings
    roles: dict[int, tuple[list[int], list[int]]]  # parcel -> (shell ring nos, hole ring nos)
    made_valid: dict[int, str]  # parcel -> GEOS reason of invalidity
    empty: list[int]  # parcels whose geometry came out empty


_EMPTY_INT = np.zeros(0, dtype=np.int64)
_EMPTY_GEOM = np.zeros(0, dtype=object)


def _segments(
    p: np.ndarray, xs: np.ndarray, ys: np.ndarray, new: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, set[int]]:
    """Start, end (exclusive) and closed flag of each ring; a group of points sharing one 圈号
    that returns to its first point before its end holds several rings and is split there."""
    n = len(p)
    starts = np.flatnonzero(new)
    ends = np.r_[starts[1:], n]
    gid = np.cumsum(new) - 1
    pos = np.arange(n) - starts[gid]
    eq = (xs == xs[starts][gid]) & (ys == ys[starts][gid])
    is_last = np.arange(n) == ends[gid] - 1
    inner = eq & (pos >= 3) & ~is_last
    seg_s, seg_e = starts.copy(), ends.copy()
    closed = eq[ends - 1] & (ends - starts >= 2)
    odd = np.unique(gid[inner])
    split_groups: set[int] = set()
    if odd.size:
        keep = np.ones(len(starts), dtype=bool)
        keep[odd] = False
        extra_s, extra_e, extra_c = [], [], []
        for g in odd:
            split_groups.add(int(g))
            a, e = int(starts[g]), int(ends[g])
            while a < e:
                hit = np.flatnonzero((xs[a + 3 : e] == xs[a]) & (ys[a + 3 : e] == ys[a]))
                b = a + 3 + int(hit[0]) + 1 if hit.size else e
                extra_s.append(a)
                extra_e.append(b)
                extra_c.append(bool(hit.size))
                a = b
        seg_s = np.r_[seg_s[keep], extra_s].astype(np.int64)
        seg_e = np.r_[seg_e[keep], extra_e].astype(np.int64)
        closed = np.r_[closed[keep], extra_c].astype(bool)
        order = np.argsort(seg_s, kind="stable")
        seg_s, seg_e, closed = seg_s[order], seg_e[order], closed[order]
    return seg_s, seg_e, closed, split_groups


def _build(parcel: np.ndarray, ring: np.ndarray, e: np.ndarray, n: np.ndarray) -> _Built:
    """MultiPolygon per parcel from its points, rings assembled by containment.

    Vectorized over all points of the file: rings, their polygons, the containment test
    (one STRtree over every ring) and the final constructors; Python loops only where a ring
    has to be split or a geometry repaired.
    """
    if len(e) == 0:
        return _Built(_EMPTY_INT, _EMPTY_GEOM, {}, {}, {}, {}, {}, [])
    order = np.lexsort((np.arange(len(e)), ring, parcel))
    p, r, xs, ys = parcel[order], ring[order], e[order], n[order]
    new = np.ones(len(p), dtype=bool)
    new[1:] = (p[1:] != p[:-1]) | (r[1:] != r[:-1])
    seg_s, seg_e, closed, split_groups = _segments(p, xs, ys, new)
    split: dict[int, list[int]] = {}
    starts = np.flatnonzero(new)
    for g in sorted(split_groups):
        split.setdefault(int(p[starts[g]]), []).append(int(r[starts[g]]))

    # coordinate index of every ring vertex, the closing vertex appended where missing
    nseg = len(seg_s)
    lens = seg_e - seg_s + (~closed)
    ring_of = np.repeat(np.arange(nseg), lens)
    offset = np.arange(int(lens.sum())) - np.repeat(np.cumsum(lens) - lens, lens)
    idx = np.repeat(seg_s, lens) + offset
    last = np.cumsum(lens) - 1
    idx[last[~closed]] = seg_s[~closed]
    cx, cy = xs[idx], ys[idx]
    seg_parcel, seg_ring = p[seg_s], r[seg_s].astype(np.int64)

    # fewer than three distinct points: no ring
    o = np.lexsort((cy, cx, ring_of))
    ro, xo, yo = ring_of[o], cx[o], cy[o]
    first = np.ones(len(o), dtype=bool)
    first[1:] = (ro[1:] != ro[:-1]) | (xo[1:] != xo[:-1]) | (yo[1:] != yo[:-1])
    distinct = np.bincount(ro[first], minlength=nseg)
    good = distinct >= 3

    unclosed: dict[int, list[int]] = {}
    degenerate: dict[int, list[int]] = {}
    for s in np.flatnonzero(~closed & good):
        unclosed.setdefault(int(seg_parcel[s]), []).append(int(seg_ring[s]))

    keep_coord = good[ring_of]
    kept = np.flatnonzero(good)
    compact = np.full(nseg, -1)
    compact[kept] = np.arange(kept.size)
    rings = shapely.linearrings(
        np.column_stack([cx[keep_coord], cy[keep_coord]]), indices=compact[ring_of[keep_coord]]
    )
    r_parcel, r_no = seg_parcel[kept], seg_ring[kept]

    # rings that are no polygon of their own (collinear, self-crossing): test on a valid version
    polys = shapely.polygons(rings)
    test = polys.copy()
    invalid = ~shapely.is_valid(polys)
    if invalid.any():
        test[invalid] = shapely.make_valid(polys[invalid], method="structure", keep_collapsed=False)
    area = shapely.area(test)
    flat = area <= 0
    dropped = np.flatnonzero(~good)
    for s in dropped:
        degenerate.setdefault(int(seg_parcel[s]), []).append(int(seg_ring[s]))
    for i in np.flatnonzero(flat):
        degenerate.setdefault(int(r_parcel[i]), []).append(int(r_no[i]))
    live = np.flatnonzero(~flat)
    rings, test, area = rings[live], test[live], area[live]
    r_parcel, r_no = r_parcel[live], r_no[live]
    nr = len(rings)
    if nr == 0:
        return _Built(_EMPTY_INT, _EMPTY_GEOM, unclosed, degenerate, split, {}, {}, [])

    # containment within each parcel: depth = number of other rings containing a ring
    # (only rings of parcels with several rings need testing: the common single ring does not)
    several = np.bincount(r_parcel)[r_parcel] > 1
    sub = np.flatnonzero(several)
    tree = shapely.STRtree(test[sub])
    outer, inner_ = tree.query(test[sub], predicate="contains")
    outer, inner_ = sub[outer], sub[inner_]
    same = (outer != inner_) & (r_parcel[outer] == r_parcel[inner_])
    outer, inner_ = outer[same], inner_[same]
    depth = np.bincount(inner_, minlength=nr)
    hole = depth % 2 == 1
    # a hole belongs to the smallest containing ring one level up
    cand = (depth[outer] == depth[inner_] - 1) & hole[inner_]
    co, ci = outer[cand], inner_[cand]
    pick = np.lexsort((area[co], ci))
    co, ci = co[pick], ci[pick]
    firsts = np.ones(len(ci), dtype=bool)
    firsts[1:] = ci[1:] != ci[:-1]
    parent = np.arange(nr)
    parent[ci[firsts]] = co[firsts]
    hole &= parent != np.arange(nr)  # odd depth but no ring one level up: keep as a shell

    # polygons: shell first, then its holes; parcels: their polygons in file order
    ring_order = np.lexsort((np.arange(nr), hole, parent))
    poly_key = parent[ring_order]
    poly_new = np.ones(nr, dtype=bool)
    poly_new[1:] = poly_key[1:] != poly_key[:-1]
    poly_idx = np.cumsum(poly_new) - 1
    polygons = shapely.polygons(rings[ring_order], indices=poly_idx)
    poly_parcel = r_parcel[ring_order][poly_new]
    parcel_new = np.ones(len(polygons), dtype=bool)
    parcel_new[1:] = poly_parcel[1:] != poly_parcel[:-1]
    geoms = shapely.multipolygons(polygons, indices=np.cumsum(parcel_new) - 1)
    built_parcel = poly_parcel[parcel_new]

    # ring numbers that do not mean "first = shell, others = holes" (rings are parcel-sorted)
    starts_p = np.r_[True, r_parcel[1:] != r_parcel[:-1]]
    first_no = np.minimum.reduceat(r_no, np.flatnonzero(starts_p))[np.cumsum(starts_p) - 1]
    odd_role = (hole & (r_no == first_no)) | (~hole & (r_no != first_no))
    roles: dict[int, tuple[list[int], list[int]]] = {}
    for pi in np.unique(r_parcel[odd_role]):
        mine = r_parcel == pi
        nos, holes_ = r_no[mine], hole[mine]
        roles[int(pi)] = (
            sorted({int(v) for v in nos[~holes_]}),
            sorted({int(v) for v in nos[holes_]}),
        )

    geoms = shapely.orient_polygons(geoms, exterior_cw=False)
    made_valid: dict[int, str] = {}
    empty: list[int] = []
    bad = np.flatnonzero(~shapely.is_valid(geoms))
    if bad.size:
        reasons = shapely.is_valid_reason(geoms[bad])
        fixed = shapely.make_valid(geoms[bad], method="structure", keep_collapsed=False)
        for j, b in enumerate(bad):
            made_valid[int(built_parcel[b])] = str(reasons[j])
            geoms[b] = _multipolygon(fixed[j])
        geoms[bad] = shapely.orient_polygons(geoms[bad], exterior_cw=False)
    for j in np.flatnonzero(shapely.is_empty(geoms)):
        empty.append(int(built_parcel[j]))
    keep = ~shapely.is_empty(geoms)
    return _Built(
        parcel=built_parcel[keep],
        geometry=geoms[keep],
        unclosed=unclosed,
        degenerate=degenerate,
        split=split,
        roles=roles,
        made_valid=made_valid,
        empty=empty,
    )


def _multipolygon(geom: shapely.Geometry) -> shapely.MultiPolygon:
    """The polygonal part of a geometry as a MultiPolygon (empty if none)."""
    parts = shapely.get_parts(geom)
    polys: list[shapely.Polygon] = []
    for part in parts:
        if isinstance(part, shapely.Polygon) and not part.is_empty:
            polys.append(part)
        elif isinstance(part, shapely.MultiPolygon | shapely.GeometryCollection):
            polys.extend(_multipolygon(part).geoms)
    return shapely.MultiPolygon(polys)
