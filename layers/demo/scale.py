"""A county ``scale`` times larger: translated copies of the base county on a compact grid.

Copies are placed tile by tile around the base county (columns 0, +1, −1, +2, … east–west,
rows the same north–south), all inside zone 40: eastings within ±144 km of the central
meridian (the zone's half-width at 30°N), northings between 24°N and 44°N. Copy 0 is the base
county itself, unchanged; copy k ≥ 1 prefixes every id with ``S{k:04d}-`` (so foreign keys still
meet their keys) and gets credit codes of its own, derived from the counter ``k × n + i`` of the
base county's party ``i`` (:func:`layers.demo.parties.credit_codes`), hence unique and valid.

Everything is vectorized over the copies: one take of the base rows, one
:func:`shapely.transform` per layer with per-coordinate offsets, pandas string concatenation
for ids, one array of credit codes.
"""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from layers.demo.land import ANCHOR, TILE
from layers.demo.parties import credit_codes

__all__ = ["EASTING_RANGE", "NORTHING_RANGE", "copy_offsets", "scale_layers"]

#: where copies may go (EPSG:4528 metres): ±144 km around 40 500 000, 24°N … 44°N
EASTING_RANGE = (40_356_000.0, 40_644_000.0)
NORTHING_RANGE = (2_660_000.0, 4_870_000.0)

#: per layer: id columns (prefixed per copy) and credit-code columns (re-derived per copy)
ID_COLUMNS = {
    "zones": ("zone_id", "parent_id"),
    "parcels": ("parcel_id", "zone_id"),
    "approvals": ("approval_id",),
    "supplies": ("supply_id", "parcel_id"),
    "buildings": ("building_id",),
    "enterprises": (),
    "tenancies": ("parcel_id",),
    "zoning": ("zoning_id",),
    "constraints": ("constraint_id",),
    "infrastructure": ("facility_id",),
    "projects": ("project_id",),
}
CREDIT_COLUMNS = {
    "parcels": ("owner_credit_code",),
    "supplies": ("user_credit_code",),
    "enterprises": ("credit_code",),
    "tenancies": ("credit_code",),
}


def _sequence(lo: int, hi: int) -> list[int]:
    """0, 1, −1, 2, −2, … limited to [lo, hi]."""
    out = [0]
    k = 1
    while k <= max(hi, -lo):
        if k <= hi:
            out.append(k)
        if -k >= lo:
            out.append(-k)
        k += 1
    return out


def copy_offsets(scale: int) -> np.ndarray:
    """(scale × 2) translations of the copies; row 0 is (0, 0)."""
    w, h = TILE[2] - TILE[0], TILE[3] - TILE[1]
    ax, ay = ANCHOR
    cols = _sequence(math.ceil((EASTING_RANGE[0] - (ax + TILE[0])) / w),
                     math.floor((EASTING_RANGE[1] - (ax + TILE[2])) / w))
    rows = _sequence(math.ceil((NORTHING_RANGE[0] - (ay + TILE[1])) / h),
                     math.floor((NORTHING_RANGE[1] - (ay + TILE[3])) / h))
    ncols = min(len(cols), math.ceil(math.sqrt(scale)))
    if scale > ncols * len(rows):
        cap = len(cols) * len(rows)
        raise ValueError(
            f"示范县最多可放大 {cap} 倍（须留在 40 带内）/ the demo county scales up to {cap} "
            f"copies inside zone 40; {scale} asked"
        )
    k = np.arange(scale)
    r, c = np.divmod(k, ncols)
    return np.column_stack([np.array(cols)[c] * w, np.array(rows)[r] * h]).astype(float)


def _tile_geometry(geoms: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """``geoms`` repeated once per offset, each copy moved by its offset (one transform)."""
    n = len(geoms)
    tiled = np.tile(geoms, len(offsets))
    per_geom = np.repeat(offsets, n, axis=0)
    counts = shapely.get_num_coordinates(tiled)
    per_coord = np.repeat(per_geom, counts, axis=0)
    return shapely.transform(tiled, lambda xy: xy + per_coord)


def scale_layers(base: dict[str, pd.DataFrame], parties: dict[str, np.ndarray], scale: int
                 ) -> dict[str, pd.DataFrame]:
    """The base county's layers repeated ``scale`` times (see the module docstring)."""
    offsets = copy_offsets(scale)
    width = max(4, len(str(scale - 1)))
    prefixes = np.array([""] + [f"S{k:0{width}d}-" for k in range(1, scale)], dtype=object)
    n_parties = len(parties["code"])
    index_of = pd.Series(np.arange(n_parties), index=parties["code"])
    table = credit_codes(
        np.arange(scale * n_parties, dtype=np.int64),
        np.tile(parties["head"], scale), np.tile(parties["region"], scale),
        np.tile(parties["modern"], scale),
    ).reshape(scale, n_parties)

    out: dict[str, pd.DataFrame] = {}
    for name, df in base.items():
        n = len(df)
        take = np.tile(np.arange(n), scale)
        copy = np.repeat(np.arange(scale), n)
        big = df.iloc[take].reset_index(drop=True)
        prefix = pd.Series(np.repeat(prefixes, n), dtype="str")
        for col in ID_COLUMNS.get(name, ()):
            big[col] = (prefix + big[col]).astype("str")
        for col in CREDIT_COLUMNS.get(name, ()):
            idx = big[col].map(index_of)
            present = idx.notna().to_numpy()
            values = np.full(len(big), None, dtype=object)
            values[present] = table[copy[present], idx[present].to_numpy(dtype=np.int64)]
            big[col] = pd.Series(values, dtype="str")
        if name == "projects":
            big["zones"] = pd.Series(
                [None if not isinstance(z, str) else
                 ",".join(p + part for part in z.split(",")) for p, z in
                 zip(np.repeat(prefixes, n), big["zones"], strict=True)], dtype="str")
        if isinstance(df, gpd.GeoDataFrame):
            moved = _tile_geometry(np.asarray(df.geometry.values, dtype=object), offsets)
            big = big.set_geometry(gpd.GeoSeries(moved, crs=df.crs))
        out[name] = big
    return out
