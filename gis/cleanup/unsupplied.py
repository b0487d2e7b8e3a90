"""批而未供 Approved but unsupplied: per approval batch (批次), how much of the approved land has
been supplied by ``as_of``, what is left, in which pieces, and the county's five-year supply rate
(DOMAIN.md §0.2 and §2; issue 3).

:func:`unsupplied` is a pure function of the ``approvals`` and ``supplies`` layers, an ``as_of``
date and the ``[unsupplied]`` section of the :class:`~gis.policy.Policy`. It returns the batch
ledger (``results.unsupplied_batches``), the remainder pieces (``results.unsupplied_pieces``) and
the five-year rate. ``zone_id`` and ``town`` are left empty: the caller attaches them.

Rules
-----
* Only approvals with ``approved_on`` ≤ ``as_of`` and supplies with ``supplied_on`` ≤ ``as_of``
  count (rows without a date are not counted).
* ``approved_mu`` is the batch geometry's area; ``supplied_mu`` = area(batch ∩ ⋃ supplies);
  ``unsupplied_mu`` = area(batch − ⋃ supplies), computed as ``approved − supplied`` (the same
  area, and the two always add up). Supplies may overlap each other: a batch whose supplies
  overlap inside it is measured on their union, so nothing is counted twice.
* ``status``: ``full`` when ``supply_rate`` ≥ ``full_rate``, ``none`` when nothing is supplied,
  else ``partial``. ``lapsed``: nothing supplied and ``as_of`` on or after the ``lapse_years``
  calendar anniversary of ``approved_on`` (an approval of 29 February lapses on 28 February).
  ``age_years`` = days since approval / 365.25.
* ``area_mismatch``: ``declared_area_m2`` differs from the geometry's area by more than
  ``area_mismatch`` (relative to the geometry); exactly 1% is not flagged. Empty when there is
  no declared area.
* Pieces: the unsupplied geometry of each batch exploded into single polygons, numbered
  ``{approval_id}-{n}`` from 1 by area, largest first (equal areas: west first, then south).
  ``width_m`` = 2 × the radius of the maximum inscribed circle. ``usable`` when the area is at
  least ``piece_min_mu`` and the width at least ``piece_min_width_m``; otherwise ``reason`` is
  ``too_small`` (area; it takes precedence) or ``too_narrow``.
* Five-year rate: batches approved in (as_of − ``window_years`` years, as_of] — approved exactly
  five years before ``as_of`` is outside, the day after inside — Σ supplied / Σ approved by
  area, against ``rate_floor``. Every such batch counts, lapsed or not (a lapse is not a
  recorded withdrawal, DOMAIN §2.2).

Numerical noise
---------------
Overlays of neighbouring polygons whose coordinates do not quite match leave *dust*: parts far
below a square metre. Parts of the remainder under :data:`DUST_M2` (1 m²) are not pieces, and a
batch whose supplied area is under 1 m² counts as not supplied at all (``none``, may lapse).
Dust is not land and makes no piece, but it is not hidden either: ``unsupplied_mu`` keeps it (so
supplied + unsupplied = approved exactly), and ``pieces.attrs["dust"]`` says how many parts were
dropped and how many m² of unsupplied area no piece holds — Σ piece areas fall short of
Σ ``unsupplied_mu`` by exactly that amount.

Width
-----
``width_m`` is the diameter of the maximum inscribed circle, never overstated:

* a rectangle — every vertex within :data:`RECTANGLE_NOISE_M` (5 cm) of its minimum rotated
  rectangle, no holes — takes the rectangle's shorter side less twice the largest vertex
  deviation: exact for a true rectangle, at most 0.1 m short otherwise;
* any other piece: ``shapely.maximum_inscribed_circle`` with a tolerance of 2% of a lower
  bound of the radius, at least 5 cm (:data:`MIC_RELATIVE_TOLERANCE`,
  :data:`MIC_MIN_TOLERANCE_M`). The lower bound is the larger of area / perimeter (which never
  exceeds the inscribed radius of a polygon without holes) and the radius a first, coarse search
  finds (tolerance area / perimeter). So the width is short by at most 2% of itself or 0.1 m,
  whichever is larger (1% at most on the demo county). A fixed 0.1 m costs several times more
  on wide pieces, and GEOS's default (1/1000 of the envelope, what PostGIS's
  ST_MaximumInscribedCircle uses) is loosest on long narrow strips — the very pieces the width
  rule is about;
* a piece found narrower than ``piece_min_width_m`` but within the tolerance of it is searched
  again at 5 cm (:data:`MIC_THRESHOLD_TOLERANCE_M`), so ``usable`` is decided to 0.1 m.

Speed
-----
Vectorized: one STRtree query pairs batches with supplies and one DE-9IM matrix per pair sorts
them — a supply lying wholly inside the batch is taken as it is, one that crosses its edge is
clipped (one vectorized intersection), one that only touches it is dropped; a batch whose
pieces do not overlap is measured by their sum (the fast path), and only batches that need a
remainder geometry, or whose pieces overlap, take a grouped ``union_all`` (a loop over those
batches, never over supplies). Large arrays are split over the CPU's cores in threads (shapely
releases the GIL). The scale-100 demo county takes a few seconds
(``tests/benchmarks/bench_cleanup.py`` compares it with the same computation in PostGIS).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gis.dates import as_date, years_between
from gis.errors import CRSError
from gis.parallel import built, map_chunks, round_robin, threaded
from gis.policy import Policy
from gis.schema import conform, empty_frame
from gis.units import assert_area_crs, m2_to_mu, mu_to_m2
from layers import results

__all__ = ["DUST_M2", "MIC_MIN_TOLERANCE_M", "MIC_RELATIVE_TOLERANCE", "Unsupplied", "assemble",
           "unsupplied", "unsupplied_pieces", "unsupplied_rows"]

#: parts of an overlay below this area (m²) are numerical noise, not land
DUST_M2: float = 1.0
#: inscribed-circle search tolerance, relative to a lower bound of the radius
MIC_RELATIVE_TOLERANCE: float = 0.02
#: … and never finer than this (m)
MIC_MIN_TOLERANCE_M: float = 0.05
#: a polygon whose vertices all lie this close to its minimum rotated rectangle is a rectangle
RECTANGLE_NOISE_M: float = 0.05
#: tolerance of the second search for pieces whose width is near the usable threshold (m)
MIC_THRESHOLD_TOLERANCE_M: float = 0.05

_BATCHES = results["unsupplied_batches"]
_PIECES = results["unsupplied_pieces"]


@dataclass(frozen=True)
class Unsupplied:
    """The 批而未供 result.

    Attributes
    ----------
    batches
        One row per approval counted at ``as_of``: the ``results.unsupplied_batches`` fields and
        the batch geometry.
    pieces
        The unsupplied remainder as single polygons: the ``results.unsupplied_pieces`` fields.
        ``attrs["dust"]`` = ``{"parts": n, "m2": area}``: overlay-noise parts dropped, and the
        unsupplied m² no piece holds.
    five_year
        ``window_start`` (excluded), ``window_end`` (included) as ISO dates, ``batches``,
        ``approved_mu``, ``supplied_mu``, ``rate`` (None without batches), ``floor``,
        ``meets_floor`` (None without batches).
    """

    batches: gpd.GeoDataFrame
    pieces: gpd.GeoDataFrame
    five_year: dict = field(default_factory=dict)


# --------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------
def _dates(frame: pd.DataFrame, name: str) -> pd.Series:
    if name not in frame:
        raise KeyError(f"缺少字段 {name} / missing column {name!r}")
    col = frame[name]
    if not pd.api.types.is_datetime64_any_dtype(col):
        col = pd.to_datetime(col)
    return col.dt.normalize()


def _interiors_meet(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Whether the interiors of polygons ``a`` and ``b`` share an area (they overlap, not just
    touch)."""
    return shapely.relate_pattern(a, b, "2********")


def _polygons(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Single polygons of ``geoms`` and the index of the geometry each came from."""
    parts, owner = shapely.get_parts(geoms, return_index=True)
    # a GeometryCollection may hold a MultiPolygon: one more level
    parts, inner = shapely.get_parts(parts, return_index=True)
    owner = owner[inner]
    poly = shapely.get_type_id(parts) == 3
    return parts[poly], owner[poly]


# --------------------------------------------------------------------------------------------
# widths
# --------------------------------------------------------------------------------------------
def _near_rectangles(polygons: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Which polygons are rectangles up to :data:`RECTANGLE_NOISE_M`, and their width.

    Let R be a polygon's minimum rotated rectangle (which contains it) and ε the noise. When the
    polygon has no holes, each of its edges runs within ε of one side of R (both ends within ε
    of the same side), and it is larger than R's band of width ε along the sides, its boundary
    winds once round the band, so it contains R's core (R shrunk by ε): its inscribed circle is
    at least R's less ε. Its width is then R's shorter side less twice the largest vertex
    deviation, and at most R's shorter side — exact for a true rectangle."""
    n = len(polygons)
    ok = np.zeros(n, dtype=bool)
    width = np.zeros(n)
    env = shapely.oriented_envelope(polygons)
    cand = np.flatnonzero((shapely.get_type_id(env) == 3) &
                          (shapely.get_num_interior_rings(polygons) == 0))
    if len(cand) == 0:
        return ok, width
    eps = RECTANGLE_NOISE_M
    corners = shapely.get_coordinates(shapely.get_exterior_ring(env[cand])).reshape(-1, 5, 2)
    sides = np.hypot(*(corners[:, 1:] - corners[:, :-1]).transpose(2, 0, 1))  # (m, 4)
    short = sides.min(axis=1)
    core = np.clip(sides[:, 0] - 2 * eps, 0, None) * np.clip(sides[:, 1] - 2 * eps, 0, None)
    big = shapely.area(env[cand]) - shapely.area(polygons[cand]) < core
    coords, owner = shapely.get_coordinates(polygons[cand], return_index=True)
    start, end = corners[owner, :-1], corners[owner, 1:]  # (v, 4, 2): the four sides
    seg = end - start
    t = np.clip(np.einsum("vkj,vkj->vk", coords[:, None, :] - start, seg) /
                np.maximum(np.einsum("vkj,vkj->vk", seg, seg), 1e-300), 0.0, 1.0)
    dist = np.hypot(*(coords[:, None, :] - start - t[..., None] * seg).transpose(2, 0, 1))
    near = dist <= eps  # (v, 4): vertex within ε of side k
    dev = np.zeros(len(cand))
    np.maximum.at(dev, owner, dist.min(axis=1))
    same = owner[1:] == owner[:-1]  # consecutive coordinates of one ring: an edge
    edge_ok = (near[1:] & near[:-1]).any(axis=1) | ~same
    bad = np.zeros(len(cand), dtype=bool)
    bad[owner[1:][~edge_ok]] = True
    good = big & ~bad & (dev <= eps)
    ok[cand[good]] = True
    width[cand[good]] = np.maximum(short[good] - 2 * dev[good], 0.0)
    return ok, width


def _local(polygons: np.ndarray) -> np.ndarray:
    """Copies of the polygons moved to their own south-west corner: widths do not change, and
    GEOS's minimum rotated rectangle loses centimetres at Gauss-Krüger magnitudes (40 520 000 m
    eastings), which it does not near the origin."""
    coords, owner = shapely.get_coordinates(polygons, return_index=True)
    corner = shapely.bounds(polygons)[:, :2]
    return shapely.set_coordinates(polygons.copy(), coords - corner[owner])


def _circle_widths(polygons: np.ndarray, tolerance: np.ndarray) -> np.ndarray:
    """Diameters of the maximum inscribed circles found to ``tolerance`` (each at most
    2 × tolerance short)."""
    return 2 * shapely.length(shapely.maximum_inscribed_circle(polygons, tolerance))


def _radius_floor(polygons: np.ndarray) -> np.ndarray:
    """Area / perimeter: a lower bound of the inscribed radius of a polygon without holes (the
    level sets of the distance to the boundary are no longer than the perimeter)."""
    area = shapely.area(polygons)
    per = shapely.length(polygons)
    return np.divide(area, per, out=np.zeros(len(polygons)), where=per > 0)


def widths(polygons: np.ndarray, threshold_m: float | None = None) -> np.ndarray:
    """2 × the radius of each polygon's maximum inscribed circle (m): never overstated, short by
    at most 2% or 0.1 m (see the module notes); near ``threshold_m`` by at most 0.1 m."""
    polygons = np.asarray(polygons, dtype=object)
    out = np.zeros(len(polygons))
    if len(polygons) == 0:
        return out
    polygons = _local(polygons)
    rect, rect_width = _near_rectangles(polygons)
    out[rect] = rect_width[rect]
    rest = np.flatnonzero(~rect)
    if len(rest) == 0:
        return out
    geoms = polygons[rest]
    # a coarse search (to area / perimeter) first: the radius it finds is a lower bound, often
    # twice area / perimeter, and sets the tolerance of the search proper
    floor = _radius_floor(geoms)
    coarse = threaded(_circle_widths, geoms, np.maximum(MIC_MIN_TOLERANCE_M, floor),
                      chunks=round_robin(len(geoms)))
    tol = np.maximum(MIC_MIN_TOLERANCE_M, MIC_RELATIVE_TOLERANCE * np.maximum(floor, coarse / 2))
    w = np.maximum(coarse, threaded(_circle_widths, geoms, tol, chunks=round_robin(len(geoms))))
    if threshold_m is not None:
        near = np.flatnonzero((w < threshold_m) & (w + 2 * tol >= threshold_m))
        if len(near):
            fine = _circle_widths(geoms[near], np.full(len(near), MIC_THRESHOLD_TOLERANCE_M))
            w[near] = np.maximum(w[near], fine)
    out[rest] = w
    return out


# --------------------------------------------------------------------------------------------
# the overlay
# --------------------------------------------------------------------------------------------
def _overlay_chunk(batches: np.ndarray, approved_m2: np.ndarray, supplies: np.ndarray,
                   skey: np.ndarray, tree: shapely.STRtree) -> tuple[np.ndarray, np.ndarray]:
    """Supplied area and unsupplied remainder (None where only dust is left) of ``batches``."""
    n = len(batches)
    supplied = np.zeros(n)
    remainder = np.full(n, None, dtype=object)
    bi, si = tree.query(batches, predicate="intersects")
    # DE-9IM: a supply the batch covers (nothing of it outside the batch) is its own piece; one
    # whose interior meets the batch's interior is clipped; one that only touches adds nothing.
    covered = shapely.relate_pattern(batches[bi], supplies[si], "******FF*")
    keep = covered.copy()
    rest = np.flatnonzero(~covered)
    keep[rest] = _interiors_meet(batches[bi[rest]], supplies[si[rest]])
    bi, si, covered = bi[keep], si[keep], covered[keep]
    piece = supplies[si]
    clip = np.flatnonzero(~covered)
    if len(clip):
        piece[clip] = shapely.intersection(batches[bi[clip]], supplies[si[clip]])
    parea = shapely.area(piece)
    keep = parea > 0
    bi, si, piece, parea = bi[keep], si[keep], piece[keep], parea[keep]
    # each batch's pieces in a canonical order — by the supply's key, then by value — not in
    # the STRtree's: the sums and unions do not depend on which other supplies were read
    corner = shapely.bounds(piece)
    order = np.lexsort((corner[:, 3], corner[:, 2], corner[:, 1], corner[:, 0], parea,
                        skey[si], bi))
    bi, piece, parea = bi[order], piece[order], parea[order]

    count = np.bincount(bi, minlength=n)
    total = np.bincount(bi, weights=parea, minlength=n)
    # Fast path: a batch whose pieces do not overlap is supplied by their sum. Overlaps are
    # looked for only where the sum looks complete; elsewhere the union is needed anyway.
    looks_full = approved_m2 - total < DUST_M2
    overlap = np.zeros(n, dtype=bool)
    check = np.flatnonzero(looks_full[bi] & (count[bi] >= 2))
    if len(check):
        sub, owner = piece[check], bi[check]
        i, j = shapely.STRtree(sub).query(sub)  # envelopes that meet
        same = (i < j) & (owner[i] == owner[j])
        i, j = i[same], j[same]
        overlap[owner[i[_interiors_meet(sub[i], sub[j])]]] = True
    supplied[:] = total
    union = np.flatnonzero((count >= 2) & (overlap | ~looks_full))
    if len(union):
        sel = np.isin(bi, union)
        groups = np.split(piece[sel], np.flatnonzero(np.diff(bi[sel])) + 1)
        merged = np.array([shapely.union_all(g) for g in groups], dtype=object)
        supplied[union] = shapely.area(merged)
        rem = approved_m2[union] - supplied[union] >= DUST_M2
        remainder[union[rem]] = shapely.difference(batches[union[rem]], merged[rem])
    single = np.flatnonzero((count == 1) & ~looks_full)
    if len(single):
        remainder[single] = shapely.difference(batches[single],
                                               piece[np.searchsorted(bi, single)])
    np.minimum(supplied, approved_m2, out=supplied)  # a union inside a batch cannot exceed it
    noise = supplied < DUST_M2  # nothing supplied, or only overlay noise
    supplied[noise] = 0.0
    bare = noise & (approved_m2 >= DUST_M2)
    remainder[bare] = batches[bare]
    return supplied, remainder


def _overlay(batches: np.ndarray, approved_m2: np.ndarray, supplies: np.ndarray,
             skey: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Per batch: supplied m² and the unsupplied remainder geometry (chunks of batches in
    threads, one STRtree of the supplies shared). ``skey``: the supplies' sort ranks (by
    ``supply_id``), which order each batch's pieces."""
    supplied = np.zeros(len(batches))
    remainder = np.full(len(batches), None, dtype=object)
    if len(batches) == 0:
        return supplied, remainder
    if skey is None:
        skey = np.zeros(len(supplies), dtype=np.intp)
    tree = shapely.STRtree(supplies)
    built(tree)  # complete before threads share it
    chunks = round_robin(len(batches))
    done = map_chunks(lambda idx: _overlay_chunk(batches[idx], approved_m2[idx], supplies, skey,
                                           tree), chunks)
    for idx, (sup, rem) in zip(chunks, done, strict=True):
        supplied[idx] = sup
        remainder[idx] = rem
    return supplied, remainder


# --------------------------------------------------------------------------------------------
# the analysis
# --------------------------------------------------------------------------------------------
def _text(frame: pd.DataFrame, name: str) -> pd.Series:
    if name in frame:
        return frame[name].astype("str")
    return pd.Series(pd.NA, index=frame.index, dtype="str")


def unsupplied(approvals: gpd.GeoDataFrame, supplies: gpd.GeoDataFrame, as_of,
               policy: Policy | None = None) -> Unsupplied:
    """批而未供: batches, remainder pieces and the five-year supply rate at ``as_of``.

    Parameters
    ----------
    approvals, supplies
        The ``approvals`` and ``supplies`` layers (canonical names and dtypes), in the same
        projected CRS.
    as_of
        The reference date (``date``, ISO string or timestamp).
    policy
        Thresholds (section ``[unsupplied]``); the defaults when omitted.
    """
    batches = unsupplied_rows(approvals, supplies, as_of, policy)
    return assemble(batches, unsupplied_pieces(batches, policy), as_of, policy)


def unsupplied_rows(approvals: gpd.GeoDataFrame, supplies: gpd.GeoDataFrame, as_of,
                    policy: Policy | None = None) -> gpd.GeoDataFrame:
    """The batch rows, each batch judged on its own against the supplies that overlap it.

    Private columns carry what the next steps need: the exact areas (``_approved_m2``,
    ``_supplied_m2``, ``_unsupplied_m2``), the unsupplied remainder (``_remainder``, cut into
    pieces by :func:`unsupplied_pieces`) and the number of overlay-noise parts it holds
    (``_dust_parts``); :func:`assemble` takes the county-wide sums and drops them. Every supply
    intersecting a batch must be among ``supplies``; others are harmless — so the partitioned
    engine runs this cell by cell, on the batches whose point lies in the cell and the supplies
    read around them.
    """
    rules = (policy if policy is not None else Policy.load()).unsupplied
    day = as_date(as_of)
    crs = approvals.crs
    assert_area_crs(crs)
    if supplies.crs is not None and supplies.crs != crs:
        raise CRSError(
            f"批次与供地的坐标系不同（{crs.name} / {supplies.crs.name}），请先统一",
            f"approvals and supplies are in different CRSs ({crs.name} / {supplies.crs.name})",
        )

    approved_on = _dates(approvals, "approved_on")
    counted = (approved_on <= day).fillna(False).to_numpy(bool)
    a, approved_on = approvals[counted], approved_on[counted]
    supplied_on = _dates(supplies, "supplied_on")
    s = supplies[(supplied_on <= day).fillna(False).to_numpy(bool)]

    batches = np.asarray(a.geometry.array, dtype=object)
    present = ~(shapely.is_missing(batches) | shapely.is_empty(batches))
    approved_m2 = np.where(present, shapely.area(batches), 0.0)
    sgeoms = np.asarray(s.geometry.array, dtype=object)
    real = ~(shapely.is_missing(sgeoms) | shapely.is_empty(sgeoms))
    skey, _ = pd.factorize(_text(s, "supply_id").to_numpy(dtype=object, na_value=None)[real],
                           sort=True)
    supplied_m2, remainder = _overlay(batches, approved_m2, sgeoms[real], skey)

    unsupplied_m2 = np.maximum(approved_m2 - supplied_m2, 0.0)
    rate = np.divide(supplied_m2, approved_m2, out=np.full(len(a), np.nan), where=approved_m2 > 0)
    status = np.select([rate >= rules.full_rate, supplied_m2 == 0], ["full", "none"], "partial")
    anniversary = approved_on + pd.DateOffset(years=int(rules.lapse_years))
    lapsed = (supplied_m2 == 0) & (day >= anniversary).to_numpy(bool)
    age = years_between(day, approved_on).to_numpy(float)
    if "declared_area_m2" in a:
        declared = pd.to_numeric(a["declared_area_m2"], errors="coerce").to_numpy(float)
    else:
        declared = np.full(len(a), np.nan)
    rel = np.divide(np.abs(declared - approved_m2), approved_m2, out=np.full(len(a), np.nan),
                    where=approved_m2 > 0)
    mismatch = pd.array(rel > rules.area_mismatch * (1 + 1e-9), dtype="boolean")
    mismatch[np.isnan(declared)] = pd.NA

    out = pd.DataFrame({
        "approval_id": _text(a, "approval_id").to_numpy(),
        "name": _text(a, "name").to_numpy(),
        "doc_no": _text(a, "doc_no").to_numpy(),
        "kind": _text(a, "kind").to_numpy(),
        "zone_id": pd.array([pd.NA] * len(a), dtype="str"),
        "town": pd.array([pd.NA] * len(a), dtype="str"),
        "approved_on": approved_on.to_numpy(),
        "age_years": age,
        "approved_mu": m2_to_mu(approved_m2),
        "supplied_mu": m2_to_mu(supplied_m2),
        "unsupplied_mu": m2_to_mu(unsupplied_m2),
        "supply_rate": rate,
        "status": status,
        "lapsed": pd.array(lapsed, dtype="boolean"),
        "declared_mu": m2_to_mu(declared),
        "area_mismatch": mismatch,
    })
    batch_frame = conform(gpd.GeoDataFrame(out, geometry=batches, crs=crs), _BATCHES)
    _, owner, _, dust = _parts(remainder)
    private = {"_approved_m2": approved_m2, "_supplied_m2": supplied_m2,
               "_unsupplied_m2": unsupplied_m2,
               "_dust_parts": np.bincount(owner[dust], minlength=len(a)).astype(np.int64),
               "_remainder": gpd.GeoSeries(remainder, index=batch_frame.index, crs=crs)}
    for name, values in private.items():
        batch_frame.insert(len(batch_frame.columns) - 1, name, values)
    return batch_frame


#: the private columns of :func:`unsupplied_rows` and :func:`unsupplied_pieces`
PRIVATE = ("_approved_m2", "_supplied_m2", "_unsupplied_m2", "_dust_parts", "_remainder",
           "_area_m2")


def _parts(remainder: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Single polygons of the remainders: parts, owning batch, area, and which are dust."""
    remainder = np.asarray(remainder, dtype=object)
    has = np.flatnonzero(~shapely.is_missing(remainder))
    polys, owner = _polygons(remainder[has])
    owner = has[owner]
    area = shapely.area(polys)
    return polys, owner, area, area < DUST_M2


def assemble(batches: gpd.GeoDataFrame, pieces: gpd.GeoDataFrame, as_of,
             policy: Policy | None = None) -> Unsupplied:
    """The :class:`Unsupplied` result from the rows of :func:`unsupplied_rows` and
    :func:`unsupplied_pieces` — of the whole layer, or of several cells concatenated: the
    five-year rate and the dust are exact sums (``math.fsum``), the same whatever the order of
    the rows."""
    rules = (policy if policy is not None else Policy.load()).unsupplied
    day = as_date(as_of)
    unsupplied_m2 = batches["_unsupplied_m2"].to_numpy(dtype=float)
    piece_m2 = pieces["_area_m2"].to_numpy(dtype=float)
    five = _five_year(batches, batches["_approved_m2"].to_numpy(dtype=float),
                      batches["_supplied_m2"].to_numpy(dtype=float), day, rules)
    dust = {"parts": int(batches["_dust_parts"].sum()),
            "m2": max(math.fsum(unsupplied_m2) - math.fsum(piece_m2), 0.0)}
    batches = batches.drop(columns=[c for c in PRIVATE if c in batches])
    pieces = pieces.drop(columns=[c for c in PRIVATE if c in pieces])
    pieces.attrs["dust"] = dust
    return Unsupplied(batches, pieces, five)


def unsupplied_pieces(batches: gpd.GeoDataFrame, policy: Policy | None = None
                      ) -> gpd.GeoDataFrame:
    """The remainder pieces of the batch rows of :func:`unsupplied_rows`, numbered per batch,
    with their exact area in ``_area_m2``. Parts under :data:`DUST_M2` are no pieces; the
    unsupplied area no piece holds (those parts, and remainders under 1 m² never cut out — a
    batch supplied to within dust by pieces that do not overlap) is summed by :func:`assemble`.
    """
    rules = (policy if policy is not None else Policy.load()).unsupplied
    crs = batches.crs
    polys, owner, area, dust = _parts(np.asarray(batches["_remainder"].values, dtype=object))
    polys, owner, area = polys[~dust], owner[~dust], area[~dust]
    if len(polys) == 0:
        frame = empty_frame(_PIECES, crs)
        frame.insert(len(frame.columns) - 1, "_area_m2", pd.Series([], dtype="float64"))
        return frame
    bounds = shapely.bounds(polys)
    order = np.lexsort((bounds[:, 1], bounds[:, 0], -area, owner))
    polys, owner, area = polys[order], owner[order], area[order]
    first = np.searchsorted(owner, owner)  # owner is sorted: index of the batch's first piece
    n = np.arange(len(owner)) - first + 1
    width = widths(polys, threshold_m=float(rules.piece_min_width_m))
    small = area < mu_to_m2(float(rules.piece_min_mu)) - 1e-6
    narrow = width < float(rules.piece_min_width_m) - 1e-6
    reason = np.where(small, "too_small", np.where(narrow, "too_narrow", None))
    ids = batches["approval_id"].to_numpy(dtype=object)[owner]
    frame = pd.DataFrame({
        "piece_id": [f"{i}-{k}" for i, k in zip(ids, n, strict=True)],
        "approval_id": ids,
        "zone_id": pd.array([pd.NA] * len(owner), dtype="str"),
        "town": pd.array([pd.NA] * len(owner), dtype="str"),
        "approved_on": batches["approved_on"].to_numpy()[owner],
        "age_years": batches["age_years"].to_numpy()[owner],
        "area_mu": m2_to_mu(area),
        "width_m": width,
        "usable": pd.array(~(small | narrow), dtype="boolean"),
        "reason": pd.array(reason, dtype="str"),
    })
    out = conform(gpd.GeoDataFrame(frame, geometry=polys, crs=crs), _PIECES)
    out.insert(len(out.columns) - 1, "_area_m2", area)
    return out


def _five_year(batches: pd.DataFrame, approved_m2: np.ndarray, supplied_m2: np.ndarray,
               day: pd.Timestamp, rules) -> dict:
    start = day - pd.DateOffset(years=int(rules.window_years))
    on = batches["approved_on"]
    inside = ((on > start) & (on <= day)).to_numpy(bool)
    # exact sums: the same whatever the order of the batches (whole layer or cells)
    appr = float(m2_to_mu(math.fsum(approved_m2[inside])))
    sup = float(m2_to_mu(math.fsum(supplied_m2[inside])))
    rate = sup / appr if appr > 0 else None
    floor = float(rules.rate_floor)
    return {
        "window_start": start.date().isoformat(),
        "window_end": day.date().isoformat(),
        "batches": int(inside.sum()),
        "approved_mu": appr,
        "supplied_mu": sup,
        "rate": rate,
        "floor": floor,
        "meets_floor": None if rate is None else bool(rate >= floor),
    }
