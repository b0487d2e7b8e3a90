"""Matching one project from cold: nothing prepared beforehand but the loaded layers (and the
clean-ups, which gather the pool), e.g. ``dideng match --project X``.

:class:`gis.matching.MatchIndex` prepares every attribute of every candidate for any request to
come — the service builds it once. Most of that time goes to exact nearest distances (five
kinds of facility, and a substation of every spare-capacity level) and to the adjacency of
every pair of candidates. One project needs far less, and :class:`ColdIndex` computes only
that:

1. every candidate's cheap exact attributes: gross and net area, red-line overlap, the zoning
   at the representative point, the flags and the zone path
   (:func:`gis.matching.pool.candidate_attributes`, the same code as the full index);
2. every candidate's hard-rule statuses (:meth:`ColdIndex.statuses`):
   :func:`gis.matching.rules.evaluate` on those attributes, and — only for the distance rules
   the project has (rail, highway exit, power at its capacity level) — a bounded index test
   :func:`gis.matching.pool.within_km` (``dwithin`` queries; exact, the ``<=`` of the limit
   included) instead of measuring every nearest distance;
3. exact distances (:meth:`ColdIndex.rows`) only for the rows the answer scores or shows:
   passing single candidates, the parts of merged sites and the near-misses listed — the
   substation distance only at the project's capacity level (the only column of ``sub_km`` the
   project reads; the others are NaN);
4. the adjacency (:func:`gis.matching.merge.adjacency`) only among the candidates the project
   may merge (:meth:`ColdIndex.pairs_among`): the pairs of a subset are those of the whole
   restricted to it.

The geometry work runs on every core (:mod:`gis.parallel`): the zoning lookup beside the
overlaps, each split in contiguous blocks of candidates or constraints, and each distance rule's
``dwithin`` queries split over its facilities; the results are put back by position, so they are
the same on one core or many (``tests/test_parallel.py``).

:func:`gis.matching.match` answers through the same code with either index (``statuses``,
``rows``, ``pairs_among``), so its answer is the same whichever it is given; exact distances
are cached, so a :class:`ColdIndex` may answer several projects.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer

from gis.dates import as_date
from gis.matching import pool as _pool
from gis.matching.rules import (
    DISTANCE_RULES,
    FAIL,
    NOT_APPLICABLE,
    PASS,
    RULES,
    Project,
    evaluate,
    substation_column,
    use_parts,
)
from gis.policy import Policy

__all__ = ["ColdIndex", "site_table"]


def site_table(c: gpd.GeoDataFrame, a: Mapping[str, object], policy: Policy
               ) -> tuple[dict[str, np.ndarray], list[tuple[str, ...]]]:
    """The candidates ``c`` with their :func:`~gis.matching.pool.candidate_arrays` ``a`` as
    the arrays the rules and scores read (facility distances apart), and the distinct zone
    paths ``path_code`` points into."""
    uses = np.asarray(a["planned_use"], dtype=object)
    codes, distinct = pd.factorize(pd.Series(uses, dtype=object), use_na_sentinel=True)
    parts = [use_parts(u) for u in distinct] + [use_parts(None)]  # -1: no planned use
    classes = np.array([p[0] for p in parts], dtype=object)
    cats = np.array([p[1] for p in parts], dtype=np.int64)
    sites = {
        "area_mu": a["area_mu"],
        "net_area_mu": a["net_area_mu"],
        "red_line_m2": a["red_line_m2"],
        "planned_use": uses,
        "use_class": classes[codes],
        "use_cat": cats[codes],
        "inv_min": a["investment_min_wan_per_mu"],
        "tax_min": a["tax_min_wan_per_mu"],
        "out_min": a["output_min_wan_per_mu"],
        "energy_max": a["energy_max_tce_per_wan"],
        "ready": a["ready"],
        "ra": a["regional_assessment"],
        "source_rank": _ranks(c["source"], policy.matching.source_rank),
        "path_code": a["path_code"],
        "zone_id": c["zone_id"].to_numpy(dtype=object, na_value=None),
    }
    return sites, list(a["zone_paths"])


def _ranks(sources: pd.Series, rank: Mapping[str, int]) -> np.ndarray:
    """Each source's rank (NaN where it has none), looked up once per distinct source."""
    codes, distinct = pd.factorize(sources, use_na_sentinel=True)
    table = np.array([float(rank.get(s, np.nan)) for s in distinct] + [np.nan])
    return table[codes]  # -1 (missing) → the NaN at the end


@lru_cache(maxsize=8)
def _to_crs84(crs) -> Transformer:
    return Transformer.from_crs(crs, "OGC:CRS84", always_xy=True)


def to_crs84(crs) -> Transformer | None:
    """The transformer to CRS84 (longitude, latitude), made once per CRS: making one costs
    about a quarter of a second."""
    return _to_crs84(crs) if crs is not None else None


@dataclass
class ColdIndex:
    """What one project's match needs, computed on demand (see the module doc)."""

    as_of: pd.Timestamp
    policy: Policy
    candidates: gpd.GeoDataFrame
    sites: dict[str, np.ndarray]  # every candidate's cheap attributes (no distances)
    zone_paths: list[tuple[str, ...]]
    facilities: _pool.Facilities
    roads: pd.DataFrame | None
    _distances: dict[object, np.ndarray] = field(default_factory=dict, repr=False)
    _tree: shapely.STRtree | None = field(default=None, repr=False)
    _bounds: np.ndarray | None = field(default=None, repr=False)
    _to84: list = field(default_factory=list, repr=False)

    @classmethod
    def build(cls, layers: Mapping[str, pd.DataFrame], *, as_of, policy: Policy | None = None
              ) -> ColdIndex:
        policy = policy or Policy.load()
        day = as_date(as_of)
        c = _pool._gather(layers, day, policy).reset_index(drop=True)
        tree = shapely.STRtree(np.asarray(c.geometry.values, dtype=object))
        sites, paths = site_table(c, _pool.candidate_arrays(c, layers, tree=tree), policy)
        return cls(as_of=day, policy=policy, candidates=c, sites=sites, zone_paths=paths,
                   facilities=_pool.facilities(layers, c.crs),
                   roads=layers.get("infrastructure"), _tree=tree)

    @property
    def to_crs84(self) -> Transformer | None:
        """To CRS84 for the GeoJSON of the sites shown (made when first asked)."""
        if not self._to84:
            self._to84.append(to_crs84(self.candidates.crs))
        return self._to84[0]

    @property
    def spare_levels(self) -> np.ndarray:
        return self.facilities.levels

    @property
    def geoms(self) -> np.ndarray:
        return np.asarray(self.candidates.geometry.values, dtype=object)

    def _candidate_tree(self) -> shapely.STRtree:
        if self._tree is None:
            self._tree = shapely.STRtree(self.geoms)
        return self._tree

    def _targets(self, key) -> np.ndarray:
        if isinstance(key, tuple):  # ("substation", column)
            return self.facilities.substations_with(key[1])
        return self.facilities.by_kind[key]

    def statuses(self, prj: Project) -> dict[str, np.ndarray]:
        """Status of every hard rule for every candidate (as :func:`evaluate` gives them on
        the full index): the distance rules by bounded ``dwithin`` tests, only when they apply."""
        m = self.policy.matching
        n = len(self.sites["area_mu"])
        out = evaluate(self.sites, prj, self.policy, levels=self.spare_levels,
                       zone_paths=self.zone_paths,
                       rules=tuple(r for r in RULES if r not in DISTANCE_RULES))
        na = np.full(n, NOT_APPLICABLE, dtype=np.int8)

        def within(key, limit_km: float) -> np.ndarray:
            targets = self._targets(key) if key is not None else np.empty(0, dtype=object)
            if self._bounds is None:
                self._bounds = shapely.bounds(self.geoms)
            ok = _pool.within_km(self.geoms, targets, limit_km, tree=self._candidate_tree(),
                                 bounds=self._bounds)
            return np.where(ok, PASS, FAIL).astype(np.int8)

        out["rail"] = within("rail", m.rail_km) if prj.needs_rail else na
        out["highway"] = na if prj.max_km_to_highway_exit is None else \
            within("highway_exit", prj.max_km_to_highway_exit)
        if prj.power_kva is None:
            out["power"] = na
        else:
            j = substation_column(self.spare_levels, prj.power_kva)
            out["power"] = within(None if j is None else ("substation", j), m.power_km)
        return {r: out[r] for r in RULES}

    def _distance(self, key, idx: np.ndarray) -> np.ndarray:
        """Exact nearest distance (km) of rows ``idx`` to facility ``key``, measured once."""
        known = self._distances.get(key)
        if known is None:
            known = self._distances[key] = np.full(len(self.sites["area_mu"]), np.nan)
        todo = np.unique(idx[np.isnan(known[idx])])
        if len(todo):
            known[todo] = _pool.nearest_km(self.geoms[todo], self._targets(key))
        return known[idx]

    def rows(self, idx: np.ndarray, prj: Project) -> dict[str, np.ndarray]:
        """The site table of candidates ``idx`` with the exact distances ``prj`` reads."""
        idx = np.asarray(idx, dtype=np.intp)
        table = {k: v[idx] for k, v in self.sites.items()}
        levels = self.spare_levels
        sub = np.full((len(idx), len(levels)), np.nan)
        j = substation_column(levels, prj.power_kva)
        if j is not None:
            sub[:, j] = self._distance(("substation", j), idx)
        table["sub_km"] = sub
        for kind in _pool.FACILITY_KINDS:
            table[f"{kind}_km"] = self._distance(kind, idx)
        return table

    def pairs_among(self, positions: np.ndarray) -> np.ndarray:
        """The pairs (positions into ``positions``) of those candidates that may merge."""
        from gis.matching.merge import adjacency

        m = self.policy.matching
        sub = self.candidates.iloc[positions][["candidate_id", "source", "geometry"]]
        return adjacency(sub.reset_index(drop=True), self.roads, gap_m=m.gap_m,
                         barrier_classes=tuple(m.barrier_classes))

    def positions_of(self, ids) -> np.ndarray:
        return pd.Index(self.candidates["candidate_id"].astype("str")).get_indexer(list(ids))
