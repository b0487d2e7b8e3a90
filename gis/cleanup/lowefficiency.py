"""Low-efficiency land 低效用地: supplied industrial and logistics parcels that fail a test.

Evaluated parcels: ``land_use`` starts with one of ``low_efficiency.land_use_prefixes`` (1001xx
工业, 1101xx 物流仓储), ``status == "supplied"`` and an ``owner_credit_code``. For each (DOMAIN.md
§0.3, §3.3, §5.2–5.3; issue 3):

- ``floor_area_m2`` = Σ area(footprint ∩ parcel) × counted floors. A building's storey height
  is ``storey_height_m`` when given, else ``height_m / floors`` when both are given; a storey
  higher than ``tall_storey_m`` (8 m) counts twice (2 × floors). Buildings of every state count,
  ``under_construction`` included (what stands on the parcel is counted; the idle rules look
  after stalled sites). A building without ``floors`` counts one storey.
- ``plot_ratio`` = floor_area_m2 / parcel area; ``building_coverage`` = area(union of the
  footprints ∩ parcel) / parcel area — overlapping footprints are not counted twice (the union
  is computed only for parcels whose footprint pieces overlap each other; elsewhere the sum is
  the union).
- ``tax_per_mu`` = tax attributed to the parcel / parcel 亩, from the enterprise rows of the
  evaluation year: the latest ``year`` ≤ ``as_of.year`` present in the table. Each enterprise's
  tax is split over its *claims* by area share: the evaluated parcels it owns (weight = parcel
  area) and its tenancies (weight = ``rented_land_m2``, else ``rented_floor_m2``). So an owner
  with several parcels has its tax split by parcel area (otherwise it would be counted once per
  parcel) and a tenant renting on several parcels has its tax split by rented area; a tenancy
  on a parcel that is not evaluated keeps its share (that share is simply not shown). A
  tenancy of the parcel's own owner is ignored. When the owner or any tenant of the parcel has
  no row (or no tax) in the evaluation year, ``tax_per_mu`` is NA and the tax reason is not
  raised — an unknown figure never puts a firm on the list.
- ``industry_code`` = the owner's industry in the evaluation year. ``plot_ratio_min`` = the
  industry minimum of ``plot_ratio_min_by_division`` (3-digit key such as "291"/"292" first,
  then the 2-digit division), or ``plot_ratio_default_min`` when the industry is unknown or not
  in the table; raised to the zoning ``plot_ratio_min`` of the zoning polygon containing the
  parcel's representative point when that is higher — only when the planned use is of the
  parcel's own first-level class (a residential minimum does not apply to a factory; that case
  is ``nonconforming_use``). Where several zoning polygons contain the point, the smallest wins.

Reasons, in this fixed order, joined by ";" in ``reasons``:
``plot_ratio_below_min`` (plot_ratio < plot_ratio_min), ``coverage_below_min`` (< coverage_min),
``tax_per_mu_below_min`` (< tax_per_mu_min), ``permu_class_D`` (the owner's 亩均 class is D,
when a ``permu`` frame is given), ``dilapidated`` (Σ footprint ∩ parcel of dilapidated
buildings ≥ dilapidated_share × Σ footprint ∩ parcel, footprint > 0), ``nonconforming_use``
(the zoning planned use at the representative point is of another first-level class).
"Below" is strict, with a relative tolerance of 1e-9 so that a value equal to the threshold by
hand (5 万元/亩) is never below it because of floating point.

Potentials: ``potential_floor_m2`` = max(0, plot_ratio_min × area − floor_area_m2);
``potential_tax_wan`` = max(0, tax_per_mu_benchmark − tax_per_mu) × 亩 (NA when tax unknown).

Rows: evaluated parcels with at least one reason, sorted by the number of reasons (desc), then
potential_tax_wan (desc, NA last), then parcel_id.

Everything is vectorized: one STRtree query buildings × parcels, one intersection over the
pairs, bincount sums; no Python loop per parcel or building. The spatial part (areas, building
measures, zoning at the point) is the parcels' measure table
(:func:`gis.measures.parcel_measures`); the judging reads only that table, the enterprises and
the tenancies, in the table's canonical order — so the partitioned engine, which measures
parcels cell by cell, judges the same table and lists the same rows.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

import geopandas as gpd
import numpy as np
import pandas as pd

from gis.codes import normalize_industry_code
from gis.errors import ValidationError
from gis.frames import numeric_column, unique_map
from gis.measures import (
    MEASURE_COLUMNS,
    PARCEL_FIELDS,
    canonical,
    is_in,
    parcel_measures,
    tenancy_hosts,
)
from gis.policy import Policy
from gis.schema import conform, empty_frame
from gis.units import m2_to_mu
from layers import results

__all__ = ["REASONS", "low_efficiency"]

#: reason codes in the order they are listed in ``reasons``
REASONS: tuple[str, ...] = (
    "plot_ratio_below_min",
    "coverage_below_min",
    "tax_per_mu_below_min",
    "permu_class_D",
    "dilapidated",
    "nonconforming_use",
)

_REL_TOL = 1e-9


def low_efficiency(
    parcels: gpd.GeoDataFrame | None,
    buildings: gpd.GeoDataFrame | None,
    enterprises: pd.DataFrame,
    tenancies: pd.DataFrame,
    zoning: gpd.GeoDataFrame | None,
    as_of: date | str | pd.Timestamp,
    policy: Policy | None = None,
    *,
    permu: pd.DataFrame | None = None,
    measures: pd.DataFrame | None = None,
) -> gpd.GeoDataFrame:
    """The low-efficiency ledger at ``as_of`` (rules in the module docstring).

    ``permu``: optional 亩均 result with ``credit_code`` and ``class`` (A/B/C/D) — when it has a
    ``year`` column, the latest year ≤ ``as_of.year`` is used. The owner's class fills
    ``permu_class``; class D adds ``permu_class_D``.

    ``measures``: the parcels' measure table (:func:`gis.measures.parcel_measures` with
    ``buildings`` and ``zoning``, one row per parcel of the layer) when it is already computed —
    by the partitioned engine, cell by cell. Then ``parcels``, ``buildings`` and ``zoning`` are
    not read, and the rows carry the table's geometry, if any (none: the caller attaches it).
    Without it the table is computed here from the layers, by the very same function.
    """
    policy = policy or Policy.load()
    cfg = policy.low_efficiency
    layer = results["low_efficiency"]
    year = pd.Timestamp(as_of).year
    if measures is None:
        measures = _measure(parcels, buildings, zoning, tenancy_hosts(tenancies), policy)
    crs = measures.attrs.get("crs", getattr(parcels, "crs", None))
    # one order for the sums, whatever order the rows came in; only the rows read
    table = canonical(measures[read_parcels(measures, tenancies, cfg.land_use_prefixes)])

    ev = _evaluated(table, cfg.land_use_prefixes)
    if len(ev) == 0:
        return empty_frame(layer, crs=crs)
    area = ev["area_m2"].to_numpy(dtype=float)
    n = len(ev)

    floor_area = ev["floor_area"].to_numpy(dtype=float)
    footprint = ev["footprint"].to_numpy(dtype=float)
    dilapidated = ev["dilapidated"].to_numpy(dtype=float)
    plot_ratio = floor_area / area
    coverage = ev["coverage"].to_numpy(dtype=float) / area

    # -- enterprises of the evaluation year ---------------------------------------------------
    ent = _year_rows(enterprises, year)
    owners = ev["owner_credit_code"].astype("str").str.strip().to_numpy(dtype=object)
    industry = pd.Series(owners).map(ent["industry_code"]).astype("str") if len(ent) else \
        pd.Series(pd.NA, index=range(n), dtype="str")
    tax = _parcel_tax(ev, owners, area, table, tenancies, ent["tax_wan"] if len(ent) else None)
    area_mu_ = m2_to_mu(area)
    tax_per_mu = tax / area_mu_

    # -- minimum plot ratio and zoning ---------------------------------------------------------
    zuse = ev["zoning_use"].to_numpy(dtype=object, na_value=None)
    zmin = ev["zoning_min"].to_numpy(dtype=float)
    parcel_class = ev["land_use"].astype("str").str.strip().str[:2].fillna("").to_numpy(
        dtype=object)
    has_zoning = pd.notna(zuse)
    # first-level class = the first two digits (gis.codes.land_use_class), vectorized
    zone_class = pd.Series(zuse, dtype="str").str[:2].fillna("").to_numpy(dtype=object)
    nonconforming = has_zoning & (zone_class != parcel_class)
    pr_min = _industry_minimum(industry, cfg.plot_ratio_min_by_division,
                               float(cfg.plot_ratio_default_min))
    zmin_ok = has_zoning & ~nonconforming & ~np.isnan(zmin)
    pr_min = np.where(zmin_ok, np.fmax(pr_min, zmin), pr_min)

    # -- 亩均 class ------------------------------------------------------------------------------
    permu_class = _permu_classes(permu, owners, year)

    # -- reasons -------------------------------------------------------------------------------
    flags = {
        "plot_ratio_below_min": _below(plot_ratio, pr_min),
        "coverage_below_min": _below(coverage, float(cfg.coverage_min)),
        "tax_per_mu_below_min": _below(tax_per_mu, float(cfg.tax_per_mu_min)),
        "permu_class_D": (permu_class == "D").fillna(False).to_numpy(dtype=bool),
        "dilapidated": (footprint > 0) & (
            dilapidated >= cfg.dilapidated_share * footprint * (1 - _REL_TOL)),
        "nonconforming_use": nonconforming,
    }
    count = np.zeros(n, dtype=int)
    text = pd.Series("", index=range(n), dtype="str")
    for code in REASONS:
        mask = np.asarray(flags[code], dtype=bool)
        count += mask
        text = text + np.where(mask, f"{code};", "")
    text = text.str.rstrip(";")

    potential_floor = np.maximum(0.0, pr_min * area - floor_area)
    potential_tax = np.maximum(0.0, float(cfg.tax_per_mu_benchmark) - tax_per_mu) * area_mu_

    def column(name: str) -> np.ndarray:
        if name in ev:
            return ev[name].astype("str").to_numpy(dtype=object)
        return np.full(n, pd.NA, dtype=object)

    out = pd.DataFrame({
        "parcel_id": column("parcel_id"),
        "owner_credit_code": owners,
        "owner_name": column("owner_name"),
        "zone_id": column("zone_id"),
        "town": column("town"),
        "land_use": column("land_use"),
        "industry_code": industry.to_numpy(dtype=object),
        "area_mu": area_mu_,
        "floor_area_m2": floor_area,
        "plot_ratio": plot_ratio,
        "plot_ratio_min": pr_min,
        "building_coverage": coverage,
        "tax_per_mu": tax_per_mu,
        "permu_class": permu_class.to_numpy(dtype=object),
        "reasons": text.to_numpy(dtype=object),
        "potential_floor_m2": potential_floor,
        "potential_tax_wan": potential_tax,
        "_n": count,
    })
    geoms = np.asarray(ev.geometry.values) if isinstance(ev, gpd.GeoDataFrame) else \
        np.full(n, None, dtype=object)
    out = gpd.GeoDataFrame(out, geometry=gpd.GeoSeries(geoms, crs=crs), crs=crs)
    out = out[out["_n"] > 0]
    out = out.sort_values(["_n", "potential_tax_wan", "parcel_id"],
                          ascending=[False, False, True], na_position="last", kind="stable")
    out = out.drop(columns="_n").reset_index(drop=True)
    if len(out) == 0:
        return empty_frame(layer, crs=crs)
    return conform(out, layer)


def _measure(parcels: gpd.GeoDataFrame | None, buildings: gpd.GeoDataFrame | None,
             zoning: gpd.GeoDataFrame | None, hosts, policy: Policy, *,
             geometry: bool = True) -> pd.DataFrame:
    """The measure table of ``parcels`` this analysis reads: supplied parcels and tenancy
    ``hosts`` measured, zoning at the point (an empty table without parcels)."""
    if parcels is None or not isinstance(parcels, gpd.GeoDataFrame):
        crs = getattr(parcels, "crs", None)
        frame = gpd.GeoDataFrame({c: pd.Series([], dtype=object) for c in
                                  (*PARCEL_FIELDS, *MEASURE_COLUMNS)},
                                 geometry=gpd.GeoSeries([], crs=crs), crs=crs)
        frame.attrs["crs"] = crs
        return frame
    return parcel_measures(parcels, policy=policy, buildings=buildings, zoning=zoning,
                           hosts=hosts, geometry=geometry)


# ---------------------------------------------------------------------------------------------
def _evaluated(table: pd.DataFrame, prefixes: list[str]) -> pd.DataFrame:
    """Supplied parcels of the evaluated land uses with an owner and an area (rows of the
    measure table)."""
    return table[_evaluated_mask(table, prefixes)].reset_index(drop=True)


def _evaluated_mask(table: pd.DataFrame, prefixes: list[str]) -> np.ndarray:
    if len(table) == 0 or not {"land_use", "status", "owner_credit_code"} <= set(table):
        return np.zeros(len(table), dtype=bool)
    use = table["land_use"].astype("str").str.strip()
    owner = table["owner_credit_code"].astype("str").str.strip()
    keep = (
        use.str.startswith(tuple(prefixes), na=False)
        & (table["status"].astype("str") == "supplied").fillna(False)
        & owner.notna() & (owner != "").fillna(False)
        & (pd.to_numeric(table["area_m2"], errors="coerce") > 0)
    )
    return keep.to_numpy(dtype=bool)


def read_parcels(measures: pd.DataFrame, tenancies: pd.DataFrame | None,
                 prefixes: list[str]) -> np.ndarray:
    """Which rows of a measure table the low-efficiency list reads (a boolean mask): the
    evaluated parcels, and every row whose parcel id a tenancy names (their owners tell a
    tenancy of the parcel's own owner, :func:`_parcel_tax`). The others are read nowhere, so
    leaving them out changes nothing; the partitioned engine (:mod:`gis.partition`) keeps only
    these rows — and the others its reduce reads — in its map step."""
    keep = _evaluated_mask(measures, prefixes).copy()
    if tenancies is not None and len(tenancies) and "parcel_id" in tenancies \
            and "parcel_id" in measures:
        named = tenancies["parcel_id"].astype("str").str.strip()
        pid = measures["parcel_id"].astype("str").str.strip()
        keep |= is_in(pid, named)
        if named.isna().any():  # a missing id finds the rows without one
            keep |= pid.isna().to_numpy(dtype=bool)
    return keep


def _year_rows(enterprises: pd.DataFrame, year: int) -> pd.DataFrame:
    """Enterprise rows of the evaluation year (latest ≤ ``year``), indexed by credit code."""
    cols = ["industry_code", "tax_wan"]
    if enterprises is None or len(enterprises) == 0 or "year" not in enterprises \
            or "credit_code" not in enterprises:
        return pd.DataFrame(columns=cols)
    years = pd.to_numeric(enterprises["year"], errors="coerce")
    past = years[years <= year]
    if past.notna().sum() == 0:
        return pd.DataFrame(columns=cols)
    rows = enterprises[(years == past.max()).fillna(False).to_numpy(dtype=bool)]
    codes = rows["credit_code"].astype("str").str.strip()
    out = pd.DataFrame({
        "industry_code": rows["industry_code"].astype("str") if "industry_code" in rows
        else pd.Series(pd.NA, index=rows.index, dtype="str"),
        "tax_wan": numeric_column(rows, "tax_wan"),
    }, index=rows.index)
    out.index = pd.Index(codes.to_numpy(dtype=object))
    return out[~out.index.duplicated(keep="first") & out.index.notna()]


def _parcel_tax(ev: gpd.GeoDataFrame, owners: np.ndarray, area: np.ndarray,
                parcels: pd.DataFrame, tenancies: pd.DataFrame, tax: pd.Series | None
                ) -> np.ndarray:
    """Tax (万元) attributed to each evaluated parcel; NaN where a party's figure is missing."""
    n = len(ev)
    if tax is None or len(tax) == 0:
        return np.full(n, np.nan)
    # owners' claims: their evaluated parcels, by area
    claims = [pd.DataFrame({"pos": np.arange(n), "code": owners, "weight": area})]
    if tenancies is not None and len(tenancies) and {"credit_code", "parcel_id"} <= set(tenancies):
        t_code = tenancies["credit_code"].astype("str").str.strip()
        t_pid = tenancies["parcel_id"].astype("str").str.strip()
        land = numeric_column(tenancies, "rented_land_m2")
        floor = numeric_column(tenancies, "rented_floor_m2")
        weight = np.nan_to_num(np.where(np.isnan(land), floor, land), nan=0.0)
        pid_all = parcels["parcel_id"].astype("str").str.strip()
        owner_all = parcels["owner_credit_code"].astype("str").str.strip() \
            if "owner_credit_code" in parcels else pd.Series(pd.NA, index=parcels.index,
                                                             dtype="str")
        host_owner = t_pid.map(unique_map(pid_all, owner_all))
        own_land = (host_owner == t_code).fillna(False).to_numpy(dtype=bool)
        pos = t_pid.map(unique_map(ev["parcel_id"].astype("str").str.strip(),
                                    pd.Series(np.arange(n)))).fillna(-1).astype(int)
        frame = pd.DataFrame({"pos": pos.to_numpy(), "code": t_code.to_numpy(dtype=object),
                              "weight": weight})
        claims.append(frame[~own_land & t_code.notna().to_numpy(dtype=bool)])
    claims_df = pd.concat(claims, ignore_index=True)
    grouped = claims_df.groupby("code", sort=False)["weight"]
    total = grouped.transform("sum").to_numpy()
    count = grouped.transform("size").to_numpy()
    share = np.where(total > 0, claims_df["weight"].to_numpy() / np.where(total > 0, total, 1),
                     1.0 / count)
    amount = claims_df["code"].map(tax).astype("float64").to_numpy(na_value=np.nan) * share
    at = claims_df["pos"].to_numpy()
    on = at >= 0
    unknown = np.bincount(at[on], np.isnan(amount[on]).astype(float), minlength=n) > 0
    total_tax = np.bincount(at[on], np.nan_to_num(amount[on], nan=0.0), minlength=n)
    return np.where(unknown, np.nan, total_tax)


def _industry_minimum(industry: pd.Series, table: Mapping[str, float], default: float
                      ) -> np.ndarray:
    """Minimum plot ratio by industry: 3-digit key, then the 2-digit division, else default."""
    codes = industry.dropna().unique()
    norm = industry.map({c: normalize_industry_code(c) for c in codes}).astype("str")
    three = norm.str[:3].map(table) if len(norm) else norm
    two = norm.str[:2].map(table) if len(norm) else norm
    value = pd.to_numeric(three, errors="coerce").fillna(pd.to_numeric(two, errors="coerce"))
    return value.fillna(default).astype("float64").to_numpy()


def _permu_classes(permu: pd.DataFrame | None, owners: np.ndarray, year: int) -> pd.Series:
    n = len(owners)
    if permu is None or len(permu) == 0:
        return pd.Series(pd.NA, index=range(n), dtype="str")
    missing = {"credit_code", "class"} - set(permu)
    if missing:
        raise ValidationError(
            f"亩均评价结果缺少字段：{'、'.join(sorted(missing))}",
            f"the per-mu evaluation result lacks the columns {', '.join(sorted(missing))}",
        )
    rows = permu
    if "year" in permu:
        years = pd.to_numeric(permu["year"], errors="coerce")
        past = years[years <= year]
        rows = permu[(years == past.max()).fillna(False).to_numpy(dtype=bool)] \
            if past.notna().any() else permu.iloc[0:0]
    codes = rows["credit_code"].astype("str").str.strip()
    dup = codes[codes.duplicated() & codes.notna()]
    if len(dup):
        raise ValidationError(
            f"亩均评价结果中企业重复：{'、'.join(dup.unique()[:5])}",
            f"the per-mu evaluation result lists an enterprise twice: "
            f"{', '.join(dup.unique()[:5])}",
        )
    classes = pd.Series(rows["class"].astype("str").str.strip().str.upper().to_numpy(
        dtype=object), index=codes.to_numpy(dtype=object))
    return pd.Series(owners).map(classes).astype("str")


def _below(value: np.ndarray, threshold) -> np.ndarray:
    """value < threshold, strictly, with a relative tolerance; NaN is never below."""
    threshold = np.asarray(threshold, dtype=float)
    tol = _REL_TOL * np.maximum(1.0, np.abs(threshold))
    with np.errstate(invalid="ignore"):
        return np.asarray(value < threshold - tol, dtype=bool) & ~np.isnan(value)
