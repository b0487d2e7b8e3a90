"""Merging adjacent candidates into sites: which candidates may merge, and the bounded search
for the connected groups of 2–4 that answer a need.

Two candidates may merge (:func:`adjacency`) when they share an edge or lie within ``gap_m``
of each other and no road of a barrier class (motorway, trunk, primary) runs between them.
:func:`merge_sites` grows connected groups over that graph, level by level (pairs, then
triples, …), and keeps the groups whose summed area answers the need and whose union is
compact (area ÷ convex-hull area).

Everything is vectorized: one STRtree ``dwithin`` query for the neighbours, one vectorized
barrier test over the pairs, and the groups of each level grown as one integer array (rows of
sorted candidate positions) from the previous level's through the adjacency lists — no Python
loop per candidate, pair or group.

>>> import geopandas as gpd
>>> candidates = gpd.GeoDataFrame(
...     {"candidate_id": ["a", "b"], "area_mu": [16.0, 16.0], "source": ["reserve", "idle"]},
...     geometry=[shapely.box(0, 0, 100, 160), shapely.box(100, 0, 200, 160)], crs=4528)
>>> pairs = adjacency(candidates, None)
>>> pairs
array([[0, 1]])
>>> site = merge_sites(candidates, pairs, need_min_mu=30, need_max_mu=40).iloc[0]
>>> site["site_id"], site["sources"], float(site["area_mu"]), float(site["compactness"])
('M-a+b', ('reserve', 'idle'), 32.0, 1.0)
"""

from __future__ import annotations

from collections.abc import Collection
from itertools import combinations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gis.frames import numeric_column, same_crs

__all__ = ["SITE_COLUMNS", "adjacency", "merge_sites"]

#: the columns of :func:`merge_sites`' frame, geometry last
SITE_COLUMNS = ("site_id", "candidate_ids", "sources", "parts", "area_mu", "compactness",
                "geometry")

#: half-width (m) of the corridor between two candidates that a barrier road must not touch
_CORRIDOR_M = 1.0


def adjacency(candidates: gpd.GeoDataFrame, roads: gpd.GeoDataFrame | None, *,
              gap_m: float = 10.0,
              barrier_classes: Collection[str] = ("motorway", "trunk", "primary")
              ) -> np.ndarray:
    """The pairs of candidates that may merge: near each other, no barrier road between.

    Parameters
    ----------
    candidates
        Candidate polygons (projected metres); missing or empty geometries have no neighbours.
    roads
        Road lines (or surfaces): a ``roads`` frame or the ``facilities`` layer (only rows
        whose ``kind`` is ``road`` count when that column is present). A road is a barrier when
        its ``road_class`` is one of ``barrier_classes``; a frame without ``road_class``, a
        missing class, ``None`` or an empty frame bars nothing. Brought into the candidates'
        CRS when it differs.
    gap_m
        Candidates sharing an edge or a corner, or at most this far apart (m), are neighbours.
    barrier_classes
        The road classes that separate candidates.

    Returns
    -------
    ndarray
        int, shape (k, 2): positions ``i < j`` in ``candidates``, sorted by ``i`` then ``j``.

    Notes
    -----
    The barrier test: the *corridor* between two neighbours is the shortest line between the
    polygons (a single point when they touch) together with their shared boundary, buffered by
    1 m. A barrier road touching the corridor separates them — it runs through the gap, or along
    the common edge of two touching parcels. A road passing by the ends of the gap without
    entering it does not.
    """
    geoms = np.asarray(candidates.geometry.values, dtype=object) if len(candidates) else \
        np.empty(0, dtype=object)
    present = np.flatnonzero(~shapely.is_missing(geoms) & ~shapely.is_empty(geoms))
    if len(present) < 2:
        return np.empty((0, 2), dtype=np.intp)
    sub = geoms[present]
    i, j = shapely.STRtree(sub).query(sub, predicate="dwithin", distance=gap_m)
    keep = i < j
    i, j = present[i[keep]], present[j[keep]]
    order = np.lexsort((j, i))
    pairs = np.column_stack([i[order], j[order]]).astype(np.intp)

    barriers = _barrier_geoms(roads, candidates.crs, barrier_classes)
    if len(pairs) and len(barriers):
        # a corridor lies within gap_m + its half-width of both candidates (the link is at
        # most gap_m long and ends on them, the shared boundary is theirs): only a pair of two
        # candidates that near a barrier can be separated — the others are not measured
        tree = shapely.STRtree(barriers)
        near = np.zeros(len(geoms), dtype=bool)
        near[present[tree.query(sub, predicate="dwithin",
                                distance=gap_m + 2 * _CORRIDOR_M)[0]]] = True
        maybe = np.flatnonzero(near[pairs[:, 0]] & near[pairs[:, 1]])
        blocked = np.zeros(len(pairs), dtype=bool)
        blocked[maybe] = _separated(geoms[pairs[maybe, 0]], geoms[pairs[maybe, 1]], tree)
        pairs = pairs[~blocked]
    return pairs


def _separated(a: np.ndarray, b: np.ndarray, barriers: shapely.STRtree) -> np.ndarray:
    """Whether a barrier road touches the corridor between each ``a`` and ``b`` (see
    :func:`adjacency`)."""
    out = np.zeros(len(a), dtype=bool)
    if len(a) == 0:
        return out
    link = shapely.shortest_line(a, b)
    touching = np.flatnonzero(shapely.length(link) == 0)
    if len(touching):
        shared = shapely.intersection(shapely.boundary(a[touching]),
                                      shapely.boundary(b[touching]))
        link[touching] = shapely.union(link[touching], shared)
    corridor = shapely.buffer(link, _CORRIDOR_M)
    hit, _ = barriers.query(corridor, predicate="intersects")
    out[hit] = True
    return out


def _barrier_geoms(roads: gpd.GeoDataFrame | None, crs, barrier_classes: Collection[str]
                   ) -> np.ndarray:
    """The non-empty geometries of the barrier roads, in ``crs``."""
    if roads is None or len(roads) == 0 or not isinstance(roads, gpd.GeoDataFrame) \
            or "road_class" not in roads:
        return np.empty(0, dtype=object)
    roads = same_crs(roads, crs)
    barrier = roads["road_class"].astype("str").isin(list(barrier_classes))
    if "kind" in roads:
        barrier &= roads["kind"].astype("str").eq("road")
    rgeoms = np.asarray(roads.geometry.values, dtype=object)[barrier.fillna(False).to_numpy(bool)]
    return rgeoms[~shapely.is_missing(rgeoms) & ~shapely.is_empty(rgeoms)]


def merge_sites(candidates: gpd.GeoDataFrame, pairs: np.ndarray, *, need_min_mu: float,
                need_max_mu: float, max_parts: int = 4, min_compactness: float = 0.7,
                limit: int = 200, max_groups: int = 20_000) -> gpd.GeoDataFrame:
    """Sites of 2..``max_parts`` connected candidates that together answer a need.

    Parameters
    ----------
    candidates
        ``candidate_id`` (str, unique), ``area_mu`` (net or gross: the caller decides),
        ``source`` and the polygons (projected metres).
    pairs
        Positions ``(i, j)`` in ``candidates`` that may merge, as :func:`adjacency` returns.
    need_min_mu, need_max_mu
        The project's need (亩). A site's summed ``area_mu`` is at least ``need_min_mu`` and
        at most ``2 × need_max_mu`` (larger sites are too large).
    max_parts
        At most this many candidates in a site.
    min_compactness
        Least area(union) ÷ area(convex hull of the union).
    limit
        At most this many sites, the best kept.
    max_groups
        The work bound of dense pools: at most this many groups are grown from, and at most
        this many finished groups are measured, per level — those whose area is closest to
        ``need_max_mu`` (then the lowest candidate ids). Exact below the bound.

    Returns
    -------
    GeoDataFrame
        One row per site, columns :data:`SITE_COLUMNS`: ``site_id`` (``"M-"`` + the sorted
        candidate ids joined by ``"+"``), ``candidate_ids`` (tuple, sorted), ``sources``
        (tuple, same order), ``parts``, ``area_mu`` (the sum), ``compactness`` and the union
        as geometry; ordered best first — fewest parts, then most compact, then area closest
        to ``need_max_mu``, then ``site_id``. Same output for the same candidates in any row
        order.

    Notes
    -----
    The search is bounded. Groups grow one neighbour at a time from every candidate; a group
    stops growing once its area reaches ``need_min_mu`` (it is a site if compact enough) or
    exceeds ``2 × need_max_mu`` (dropped), and is dropped early when even its
    ``max_parts − size`` largest possible additions cannot bring it to ``need_min_mu``. A
    candidate that alone has ``need_min_mu`` answers the need by itself and takes part in no
    merge; a group containing a smaller site already found is not a site (nothing to add).
    The levels stop as soon as ``limit`` sites are found, as every larger group ranks after
    them. Candidates with a missing area or geometry are left out.
    """
    n = len(candidates)
    if n == 0 or limit <= 0 or max_parts < 2:
        return _empty_sites(candidates)
    ids = candidates["candidate_id"].astype("str").to_numpy(dtype=object)
    order = np.argsort(ids, kind="stable")  # work in candidate_id order: row-order free
    rank = np.empty(n, dtype=np.intp)
    rank[order] = np.arange(n)
    ids = ids[order]
    sources = candidates["source"].astype("str").to_numpy(dtype=object, na_value="")[order]
    area = numeric_column(candidates, "area_mu")[order]
    geoms = np.asarray(candidates.geometry.values, dtype=object)[order]
    cap = 2.0 * need_max_mu

    usable = (np.isfinite(area) & (area >= 0) & (area < need_min_mu)
              & ~shapely.is_missing(geoms) & ~shapely.is_empty(geoms))
    pairs = np.asarray(pairs, dtype=np.intp).reshape(-1, 2)
    if len(pairs):
        pairs = np.sort(rank[pairs], axis=1)
        pairs = pairs[(pairs[:, 0] != pairs[:, 1]) & usable[pairs].all(axis=1)]
    if len(pairs) == 0:
        return _empty_sites(candidates)
    pairs = np.unique(pairs, axis=0)
    indptr, indices = _csr(pairs, n)
    nodes = np.unique(pairs)
    # the best that k more parts can add: the k largest usable areas
    top = np.sort(area[nodes])[::-1][:max_parts]
    best_add = np.concatenate([[0.0], np.cumsum(top)])
    best_add = np.pad(best_add, (0, max_parts + 1 - len(best_add)), mode="edge")
    overlapping = _overlapping_nodes(pairs, geoms, n)

    found: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []  # (groups, area, compactness)
    site_keys: dict[int, np.ndarray] = {}
    frontier = nodes[:, None]
    count = 0
    for k in range(2, max_parts + 1):
        if len(frontier) == 0:
            break
        groups = _extend(frontier, indptr, indices, n)
        total = area[groups].sum(axis=1)
        alive = total <= cap
        groups, total = groups[alive], total[alive]
        alive = ~_contains_site(groups, site_keys, n)
        groups, total = groups[alive], total[alive]
        done = total >= need_min_mu
        grow = ~done & (total + best_add[max_parts - k] >= need_min_mu)
        frontier = groups[_closest(grow, total, need_max_mu, max_groups)]
        pick = _closest(done, total, need_max_mu, max_groups)
        groups, total = groups[pick], total[pick]
        compact = _compactness(groups, geoms, overlapping)
        good = compact >= min_compactness
        groups, total, compact = groups[good], total[good], compact[good]
        site_keys[k] = np.sort(_row_keys(groups, n))
        found.append((groups, total, compact))
        count += len(groups)
        if count >= limit:
            break
    return _site_frame(found, ids, sources, geoms, need_max_mu, limit, candidates)


def _closest(mask: np.ndarray, total: np.ndarray, target: float, budget: int) -> np.ndarray:
    """Positions where ``mask`` holds, at most ``budget`` of them — the totals closest to
    ``target`` first, ties in position order — returned ascending."""
    where = np.flatnonzero(mask)
    if len(where) <= budget:
        return where
    keep = where[np.argsort(np.abs(total[where] - target), kind="stable")[:budget]]
    return np.sort(keep)


def _csr(pairs: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Adjacency lists of the undirected ``pairs``: neighbours of ``v`` are
    ``indices[indptr[v]:indptr[v + 1]]``, ascending."""
    src = np.concatenate([pairs[:, 0], pairs[:, 1]])
    dst = np.concatenate([pairs[:, 1], pairs[:, 0]])
    order = np.lexsort((dst, src))
    indptr = np.zeros(n + 1, dtype=np.intp)
    np.cumsum(np.bincount(src, minlength=n), out=indptr[1:])
    return indptr, dst[order]


def _extend(groups: np.ndarray, indptr: np.ndarray, indices: np.ndarray, n: int) -> np.ndarray:
    """Every group grown by one neighbour of any member: rows sorted, duplicates removed."""
    m, k = groups.shape
    members = groups.ravel()
    deg = indptr[members + 1] - indptr[members]
    total = int(deg.sum())
    if total == 0:
        return np.empty((0, k + 1), dtype=np.intp)
    offset = np.arange(total) - np.repeat(np.cumsum(deg) - deg, deg)
    added = indices[np.repeat(indptr[members], deg) + offset]
    base = groups[np.repeat(np.repeat(np.arange(m), k), deg)]
    fresh = ~(base == added[:, None]).any(axis=1)
    grown = np.sort(np.column_stack([base[fresh], added[fresh]]), axis=1)
    if len(grown) == 0:
        return grown.reshape(0, k + 1)
    _, first = np.unique(_row_keys(grown, n), return_index=True)  # ascending keys: rows in order
    return grown[first]


def _row_keys(rows: np.ndarray, n: int) -> np.ndarray:
    """One integer per row of positions < ``n`` (mixed radix; Python ints when int64 is too
    small)."""
    k = rows.shape[1]
    if n ** max(k, 1) < 2 ** 62:
        weights = n ** np.arange(k - 1, -1, -1, dtype=np.int64)
        return rows.astype(np.int64) @ weights
    keys = np.zeros(len(rows), dtype=object)
    for c in range(k):  # a loop over ≤ max_parts columns, not over rows
        keys = keys * n + rows[:, c].astype(object)
    return keys


def _contains_site(groups: np.ndarray, site_keys: dict[int, np.ndarray], n: int) -> np.ndarray:
    """Whether each group contains a site already found (any smaller size)."""
    hit = np.zeros(len(groups), dtype=bool)
    if len(groups) == 0:
        return hit
    for size, keys in site_keys.items():
        if len(keys) == 0:
            continue
        for cols in combinations(range(groups.shape[1]), size):  # ≤ 6 column subsets
            hit |= np.isin(_row_keys(groups[:, list(cols)], n), keys)
    return hit


def _overlapping_nodes(pairs: np.ndarray, geoms: np.ndarray, n: int) -> np.ndarray:
    """Candidates whose interior overlaps a neighbour's: only there is a union's area not the
    sum of its parts' areas."""
    a, b = geoms[pairs[:, 0]], geoms[pairs[:, 1]]
    near = np.flatnonzero(shapely.intersects(a, b))
    flagged = np.zeros(n, dtype=bool)
    if len(near):
        over = shapely.relate_pattern(a[near], b[near], "2********")
        flagged[pairs[near[over]].ravel()] = True
    return flagged


def _padded(groups: np.ndarray, geoms: np.ndarray) -> np.ndarray:
    """The groups' geometries as a 2-D object array (row = group)."""
    return geoms[groups] if len(groups) else np.empty((0, groups.shape[1]), dtype=object)


def _compactness(groups: np.ndarray, geoms: np.ndarray, overlapping: np.ndarray) -> np.ndarray:
    """area(union) ÷ area(convex hull) of each group (0 when the hull has no area)."""
    if len(groups) == 0:
        return np.empty(0)
    m, k = groups.shape
    # the hull of the group is the hull of its parts' hull vertices: gathered as coordinates
    coords, owner = shapely.get_coordinates(shapely.convex_hull(geoms), return_index=True)
    start = np.searchsorted(owner, np.arange(len(geoms) + 1))
    members = groups.ravel()
    count = start[members + 1] - start[members]
    total = int(count.sum())
    offset = np.arange(total) - np.repeat(np.cumsum(count) - count, count)
    points = coords[np.repeat(start[members], count) + offset]
    hulls = shapely.convex_hull(shapely.linestrings(
        points, indices=np.repeat(np.repeat(np.arange(m), k), count)))
    covered = shapely.area(geoms)[groups].sum(axis=1)
    exact = np.flatnonzero(overlapping[groups].any(axis=1))
    if len(exact):
        covered[exact] = shapely.area(shapely.union_all(_padded(groups[exact], geoms), axis=1))
    hull_area = shapely.area(hulls)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(hull_area > 0, np.minimum(covered / hull_area, 1.0), 0.0)


def _site_frame(found, ids, sources, geoms, need_max_mu, limit, candidates) -> gpd.GeoDataFrame:
    """The best ``limit`` sites of every level, ranked, as a frame."""
    rows = [(g, a, c) for g, a, c in found if len(g)]
    if not rows:
        return _empty_sites(candidates)
    width = max(g.shape[1] for g, _, _ in rows)
    groups = np.concatenate([np.pad(g, ((0, 0), (0, width - g.shape[1])), constant_values=-1)
                             for g, _, _ in rows])
    parts = np.concatenate([np.full(len(g), g.shape[1]) for g, _, _ in rows])
    total = np.concatenate([a for _, a, _ in rows])
    compact = np.concatenate([c for _, _, c in rows])
    padded_ids = np.append(ids, None)  # position -1 → None
    member_ids = padded_ids[groups]
    site_ids = np.array(["M-" + "+".join(r[:p]) for r, p in zip(member_ids, parts, strict=True)],
                        dtype=object)
    best = np.lexsort((site_ids, np.abs(total - need_max_mu), -compact, parts))[:limit]
    groups, parts, total, compact = groups[best], parts[best], total[best], compact[best]
    site_ids = site_ids[best]
    padded_geoms = np.append(geoms, None)
    union = shapely.union_all(padded_geoms[groups], axis=1)
    padded_sources = np.append(sources, None)
    cand = [tuple(r[:p]) for r, p in zip(member_ids[best], parts, strict=True)]
    srcs = [tuple(r[:p]) for r, p in zip(padded_sources[groups], parts, strict=True)]
    return gpd.GeoDataFrame(
        {"site_id": pd.array(site_ids, dtype="str"),
         "candidate_ids": pd.Series(cand, dtype=object),
         "sources": pd.Series(srcs, dtype=object),
         "parts": parts.astype(np.int64),
         "area_mu": total.astype(float),
         "compactness": compact.astype(float)},
        geometry=gpd.GeoSeries(union, crs=candidates.crs))


def _empty_sites(candidates: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """A site frame without rows."""
    return gpd.GeoDataFrame(
        {"site_id": pd.array([], dtype="str"),
         "candidate_ids": pd.Series([], dtype=object),
         "sources": pd.Series([], dtype=object),
         "parts": np.array([], dtype=np.int64),
         "area_mu": np.array([], dtype=float),
         "compactness": np.array([], dtype=float)},
        geometry=gpd.GeoSeries([], crs=getattr(candidates, "crs", None)))
