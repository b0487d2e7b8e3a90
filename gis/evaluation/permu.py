"""亩均效益综合评价 ("亩均论英雄"): the annual per-mu evaluation of enterprises, with the
parcel and zone roll-ups the map and the bureaus' tables need (issue 4; DOMAIN.md §4).

Every number below is a parameter of the ``[permu]`` policy section; the names in brackets.

**Evaluation year.** The ``year`` given, else the latest year of the enterprise table; only that
year's rows are used. A credit code twice in the year is refused (ValidationError).

**Land (亩) per enterprise** (DOMAIN §4.6):

- Owned land: the area (from geometry, m²) of every parcel whose ``owner_credit_code`` is the
  firm, whatever its land use or state (the 不动产权证 area counts built, under-construction and
  ancillary land alike).
- Rented land: each tenancy gives its tenant ``rented_land_m2`` when that is given (> 0); else
  ``rented_floor_m2`` ÷ the host parcel's plot ratio. The plot ratio is computed from
  ``buildings`` exactly as the low-efficiency clean-up computes it (floor area = Σ footprint ∩
  parcel × counted floors, a storey over ``low_efficiency.tall_storey_m`` counting twice, ÷
  parcel area). **Fallback:** where no ``buildings`` are given, where the host parcel has no
  building on it, or where the host parcel is not in the parcel layer, the plot ratio
  ``floor_to_land_plot_ratio`` (default 1.0: one m² of floor counts as one m² of land) is used.
  A tenancy of the parcel's own owner is ignored.
- Owners give up what their tenants are attributed: on each parcel the owner keeps its area
  minus the tenants' land there. Where the tenants' land on a parcel exceeds the parcel (data
  that rent more floor than stands there), the tenants are scaled down in proportion to fill
  the parcel exactly and the owner keeps nothing there. A tenancy on a parcel missing from the
  layer still gives its tenant land (nobody gives it up).
- A firm that neither owns a parcel nor rents gets its declared ``land_area_m2``
  (``land_source`` = declared); a firm with parcels or tenancies always gets the parcel figure
  (``land_source`` = parcels), even when it also declared one.

**Land method** (``land_method``). ``enterprise`` (企业评价法): every firm is evaluated on its
own land and figures. ``parcel`` (地块评价法, 遂昌/江山): a shared parcel is one unit — a tenant
that owns no parcel joins the unit of the owner of its main host parcel (the one giving it the
most land; ties by the owner's credit code) when that owner is itself an enterprise of the year;
otherwise (a 小微园 platform or an owner without figures) the tenant stays on its own. Owners
are never moved. A unit's figures are the sums of its members' figures (a figure missing for
any member is missing for the unit), its land the sum of its members' land (so a tenant's land
on a second landlord's parcel comes along, and the total land is unchanged), its industry the
owner's, and it is above-scale when any member is. Every member row carries the unit's
indicators, item scores, score, rank and class (``unit_credit_code`` names the unit);
``land_mu`` stays the firm's own land so that sums over rows add up; a veto caps only the
vetoed member's class; measures and their amounts use the member's own electricity and land.

**Groups.** Above-scale (规上, ``above_scale``) and below-scale (规下) firms with land ≥
``below_scale_min_mu`` (3 亩) are graded, each group separately; the others are listed with
group ``not_graded`` and ``not_graded_reason``: ``excluded_industry`` (division in
``excluded_industry_divisions``: utilities 44–46), ``no_land`` (no land or 0 亩 — an above-scale
firm without land cannot have per-mu figures), ``scale_unknown`` (above_scale empty),
``below_min_land``; in that order of precedence.

**Indicators** (DOMAIN §0.4, §4.2): tax_per_mu = tax_wan / 亩; value_added_per_mu,
output_per_mu, revenue_per_mu likewise (万元/亩); labour_productivity = value_added_wan /
employees (万元/人); va_per_energy = value_added_wan / energy_tce (万元/吨标煤); va_per_emission
= value_added_wan / emissions_t (万元/吨); rd_share = rd_wan / revenue_wan; tax_per_kwh = tax_wan
× 10 000 / electricity_kwh (元/千瓦时). A missing figure, or a denominator that is 0 or
missing, makes the indicator missing.

**Scores** per group over its weighted items (``weights_above``, ``weights_below``; an item of
weight 0 is not an item, its score column stays empty):

- ``benchmark`` (黄岩): item = weight × min(value ÷ benchmark, ``item_cap_multiple``), where
  benchmark = the group's Σ numerator ÷ Σ denominator over the firms that have the indicator
  (the county average: Σ tax ÷ Σ 亩, Σ tax ÷ Σ kWh …).
- ``minmax`` (旌德): item = weight × [20 + 80 × (value − min) / (max − min)] / 100 over the group;
  where max = min every firm with the indicator gets the full weight.
- ``fixed`` (临海): item = weight × min(value ÷ ``fixed_benchmarks``[item], cap).
- Every item score is then raised to at least ``item_floor`` points.
- **Missing indicator:** for the items in ``mean_score_items`` (va_per_emission, 黄岩) the firm
  gets the group's mean score of that item over the firms that have it; for every other item a
  missing indicator scores ``item_floor`` (0): no data, no points. When no firm of the group has
  the indicator, or the benchmark is not positive, the item scores ``item_floor`` for all.
- score = Σ item scores.

**Classes** (昌乐 quotas, ``class_shares``). Within each group, firms (units) are ranked by score
descending — scores equal to 9 decimals are ties — then credit code ascending; position i of n
is A when i/n ≤ 0.20, B when ≤ 0.75, C when ≤ 0.95, else D (so a group of one firm is D, and a
group of fewer than five has no A: the quotas are applied literally). **Veto:** a non-empty
``veto`` caps the class at ``veto_cap`` (C): a vetoed firm ranked A or B becomes C, a vetoed D
stays D; nobody moves up into the freed places. ``class_name`` from ``class_names``.

**Measures** (``measures`` per class), joined by ";" in ``measures``. Amounts, 万元, where the
inputs allow: ``power_surcharge_wan`` = electricity_kwh × ``power_surcharge_yuan_per_kwh`` / 10 000
(NA when electricity is unknown); ``land_tax_relief_wan`` = taxed area × ``land_tax_yuan_per_m2``
× ``land_tax_relief_share``[class] / 10 000, the taxed area being the gross area of the parcels
the firm owns (the land-use tax is paid by the holder of the land right), else its declared land,
and 0 for a tenant that holds no land. An amount column is NA for a firm whose class does not
list the measure.

**Parcels** (``results.permu_parcels``): every parcel on which an enterprise of the year has
land. Each firm's tax and output are split over its land pieces (owned net area, rented land)
by area (equally when its land is 0); a parcel's tax/output = Σ of the shares on it, per 亩 of
the parcel's area — the parcel's own 亩均税收/产值 whoever the firms are. ``complete`` is false
when the owner or a tenant of the parcel has no row in the year (its share is then unknown and
not counted); output is NA where a firm on the parcel has no output figure. ``owner_class``:
the owner's class.

**Zones and towns**: one row per ``zone_id`` (the firm's main parcel's zone — the parcel giving
it most land; for firms without parcels the leaf zone containing their point when ``zones`` and
points are given) and per ``town`` (the firm's own ``town``, else its main parcel's): firms,
graded, A/B/C/D counts, not graded, vetoed, Σ land, tax, output, revenue, value added, the
per-mu averages Σ figure ÷ Σ land (over firms that have the figure and land) and the mean score;
rows without a zone or town as "（未落区）", and a last "合计 total" row.

Everything is vectorized: merges, group-bys and bincounts, a loop only over the (at most nine)
indicators and the four classes. The parcels enter as their measure table
(:func:`gis.measures.parcel_measures`: area, floor area of the tenancy hosts, park at the point),
in its canonical order; the partitioned engine (:mod:`gis.partition`) builds that table cell by
cell and judges it with this very code.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gis.errors import ValidationError
from gis.frames import numeric_column, same_crs
from gis.measures import canonical, is_in, parcel_measures, tenancy_hosts, zone_at
from gis.policy import Policy
from gis.schema import conform, empty_frame
from gis.units import m2_to_mu
from layers import results

__all__ = ["CLASSES", "INDICATORS", "Evaluation", "classes", "evaluation_year", "permu"]

#: indicator -> (numerator figure, denominator figure, factor); "land_mu" is the firm's 亩
INDICATORS: dict[str, tuple[str, str, float]] = {
    "tax_per_mu": ("tax_wan", "land_mu", 1.0),
    "value_added_per_mu": ("value_added_wan", "land_mu", 1.0),
    "output_per_mu": ("output_wan", "land_mu", 1.0),
    "revenue_per_mu": ("revenue_wan", "land_mu", 1.0),
    "labour_productivity": ("value_added_wan", "employees", 1.0),
    "va_per_energy": ("value_added_wan", "energy_tce", 1.0),
    "va_per_emission": ("value_added_wan", "emissions_t", 1.0),
    "rd_share": ("rd_wan", "revenue_wan", 1.0),
    "tax_per_kwh": ("tax_wan", "electricity_kwh", 10_000.0),  # 元 per kWh
}
#: the enterprise figures used (万元, 吨标煤, kWh, 吨, 人)
FIGURES = ("tax_wan", "revenue_wan", "output_wan", "value_added_wan", "energy_tce",
           "electricity_kwh", "emissions_t", "employees", "rd_wan")
CLASSES = ("A", "B", "C", "D")
GROUPS = ("above", "below")
LAND_METHODS = ("enterprise", "parcel")
SCORINGS = ("benchmark", "minmax", "fixed")
UNPLACED = "（未落区）"
TOTAL = "合计 total"

_TIE_DECIMALS = 9
_EPS = 1e-12
_REL_TOL = 1e-9


# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class Evaluation:
    """One year's 亩均 evaluation (rules in the module docstring)."""

    year: int
    enterprises: pd.DataFrame      # results["permu"] columns
    parcels: gpd.GeoDataFrame      # results["permu_parcels"] columns + geometry
    zones: pd.DataFrame            # per zone_id: counts per class, totals and averages
    towns: pd.DataFrame            # the same per town
    benchmarks: dict               # group -> indicator -> benchmark used
    land_method: str = "enterprise"
    scoring: str = "benchmark"

    def layers(self) -> dict[str, pd.DataFrame]:
        """The result layers to write back to the workspace."""
        return {"permu": self.enterprises, "permu_parcels": self.parcels}

    def summary(self) -> dict[str, Any]:
        """Counts per group and class, vetoes and the benchmarks (JSON-ready)."""
        firms = self.enterprises
        counts: dict[str, dict[str, int]] = {}
        for group in (*GROUPS, "not_graded"):
            part = firms[firms["group"] == group]
            if group == "not_graded":
                counts[group] = {"count": len(part)}
            else:
                counts[group] = {"count": len(part), **{
                    c: int((part["class"] == c).sum()) for c in CLASSES}}
        return {"year": self.year, "land_method": self.land_method, "scoring": self.scoring,
                "enterprises": len(firms), "groups": counts,
                "vetoed": int(firms["vetoed"].fillna(False).sum()),
                "benchmarks": self.benchmarks}


def classes(evaluation_or_frame: Evaluation | pd.DataFrame) -> pd.DataFrame:
    """credit_code, class, year of the graded firms — what the low-efficiency rule
    ``permu_class_D`` consumes (``low_efficiency(..., permu=classes(e))``)."""
    frame = evaluation_or_frame.enterprises if isinstance(evaluation_or_frame, Evaluation) \
        else evaluation_or_frame
    missing = {"credit_code", "class"} - set(frame.columns)
    if missing:
        raise ValidationError(
            f"亩均评价结果缺少字段：{'、'.join(sorted(missing))}",
            f"the per-mu evaluation result lacks the columns {', '.join(sorted(missing))}",
        )
    cols = ["credit_code", "class", *(["year"] if "year" in frame else [])]
    out = pd.DataFrame(frame[cols])
    return out[out["class"].notna()].reset_index(drop=True)


# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Settings:
    land_method: str
    below_min_mu: float
    excluded: tuple[str, ...]
    scoring: str
    cap: float
    floor: float
    mean_items: frozenset[str]
    fallback_ratio: float
    tall_storey_m: float
    weights: dict[str, dict[str, float]]
    fixed: dict[str, float]
    shares: tuple[float, float, float]
    names: dict[str, str]
    veto_cap: str
    measures: dict[str, tuple[str, ...]]
    surcharge: float
    land_tax: float
    relief: dict[str, float]


def _refuse(zh: str, en: str) -> ValidationError:
    return ValidationError(f"亩均评价政策参数：{zh}", f"per-mu policy: {en}")


def _settings(policy: Policy) -> _Settings:
    cfg = policy.permu
    method = str(cfg.land_method)
    if method not in LAND_METHODS:
        raise _refuse(f"land_method 应为 {'/'.join(LAND_METHODS)}，实为 {method!r}",
                      f"land_method must be one of {', '.join(LAND_METHODS)}, got {method!r}")
    scoring = str(cfg.scoring)
    if scoring not in SCORINGS:
        raise _refuse(f"scoring 应为 {'/'.join(SCORINGS)}，实为 {scoring!r}",
                      f"scoring must be one of {', '.join(SCORINGS)}, got {scoring!r}")
    weights: dict[str, dict[str, float]] = {}
    for group, raw in (("above", cfg.weights_above), ("below", cfg.weights_below)):
        unknown = sorted(set(raw) - set(INDICATORS))
        if unknown:
            raise _refuse(f"未知指标 {'、'.join(unknown)}（可用：{'、'.join(INDICATORS)}）",
                          f"unknown indicators {', '.join(unknown)} "
                          f"(known: {', '.join(INDICATORS)})")
        bad = [k for k, w in raw.items()
               if isinstance(w, bool) or not isinstance(w, (int, float)) or w < 0]
        if bad:
            raise _refuse(f"权重应为非负数：{'、'.join(bad)}",
                          f"weights must be non-negative numbers: {', '.join(bad)}")
        weights[group] = {k: float(raw[k]) for k in INDICATORS if raw.get(k, 0) > 0}
    fixed = {k: float(v) for k, v in cfg.fixed_benchmarks.items()}
    if scoring == "fixed":
        lacking = sorted({k for w in weights.values() for k in w}
                         - {k for k, v in fixed.items() if v > 0})
        if lacking:
            raise _refuse(f"固定基准法缺少正的基准值：{'、'.join(lacking)}",
                          f"fixed scoring needs a positive benchmark for {', '.join(lacking)}")
    shares = tuple(float(cfg.class_shares.get(c, np.nan)) for c in ("A", "B", "C"))
    if not all(0 <= s <= 1 for s in shares) or not shares[0] <= shares[1] <= shares[2]:
        raise _refuse(f"分类比例应为0–1之间递增的 A、B、C：{cfg.class_shares}",
                      f"class_shares must give increasing A, B, C within 0–1: "
                      f"{cfg.class_shares}")
    cap = str(cfg.veto_cap).strip().upper()
    if cap not in CLASSES:
        raise _refuse(f"veto_cap 应为 A–D，实为 {cfg.veto_cap!r}",
                      f"veto_cap must be one of A–D, got {cfg.veto_cap!r}")
    measures = {c: tuple(str(m) for m in cfg.measures.get(c, ())) for c in CLASSES}
    relief = {c: float(v) for c, v in cfg.land_tax_relief_share.items()}
    lacking = [c for c in CLASSES if "land_tax_relief" in measures[c] and c not in relief]
    if lacking:
        raise _refuse(f"{'、'.join(lacking)} 类列有城镇土地使用税减免但无减免比例",
                      f"classes {', '.join(lacking)} list land_tax_relief without a "
                      f"land_tax_relief_share")
    mean_items = frozenset(str(k) for k in cfg.mean_score_items)
    if unknown := sorted(mean_items - set(INDICATORS)):
        raise _refuse(f"mean_score_items 含未知指标 {'、'.join(unknown)}",
                      f"mean_score_items names unknown indicators {', '.join(unknown)}")
    ratio = float(cfg.floor_to_land_plot_ratio)
    if not ratio > 0:
        raise _refuse("floor_to_land_plot_ratio 应大于0", "floor_to_land_plot_ratio must be > 0")
    return _Settings(
        land_method=method, below_min_mu=float(cfg.below_scale_min_mu),
        excluded=tuple(str(d) for d in cfg.excluded_industry_divisions), scoring=scoring,
        cap=float(cfg.item_cap_multiple), floor=float(cfg.item_floor), mean_items=mean_items,
        fallback_ratio=ratio, tall_storey_m=float(policy.low_efficiency.tall_storey_m),
        weights=weights, fixed=fixed, shares=shares,  # type: ignore[arg-type]
        names={c: str(cfg.class_names.get(c, c)) for c in CLASSES}, veto_cap=cap,
        measures=measures, surcharge=float(cfg.power_surcharge_yuan_per_kwh),
        land_tax=float(cfg.land_tax_yuan_per_m2), relief=relief,
    )


# ---------------------------------------------------------------------------------------------
def permu(enterprises: pd.DataFrame, parcels: gpd.GeoDataFrame | None,
          tenancies: pd.DataFrame | None, policy: Policy | None = None, *,
          year: int | None = None, buildings: gpd.GeoDataFrame | None = None,
          zones: gpd.GeoDataFrame | None = None,
          measures: pd.DataFrame | None = None) -> Evaluation:
    """The 亩均 evaluation of ``year`` (default: the latest year of ``enterprises``).

    ``measures``: the parcels' measure table (:func:`gis.measures.parcel_measures` with
    ``buildings``, ``zones`` and the tenancy hosts; one row per parcel) when it is already
    computed — by the partitioned engine, cell by cell. Then ``parcels`` and ``buildings`` are
    not read and the parcel rows carry the table's geometry, if any (none: the caller attaches
    it). Without it the table is computed here, by the very same function.
    """
    policy = policy or Policy.load()
    cfg = _settings(policy)
    year = evaluation_year(enterprises, year)
    firms = _firms(enterprises, year)
    if measures is None and firms.n:
        measures = _measure(parcels, buildings, zones, tenancies, policy)
    crs = measures.attrs.get("crs") if measures is not None else \
        getattr(parcels, "crs", None)
    if firms.n == 0:
        return _empty(year, crs, cfg, zones)

    par = _parcels(measures, firms, tenancies)
    land = _land(firms, par, tenancies, cfg)
    zone, town = _place(firms, par, land, zones)
    lead = _leads(firms, par, land, cfg)
    units = _units(firms, land, lead)
    _grade(units, cfg)
    benchmarks = _score(units, cfg)
    _rank(units, cfg)
    rows = _rows(firms, land, lead, units, zone, town, cfg, year)

    order = np.lexsort((np.arange(firms.n), rows["_rank"], rows["_group"]))
    table = pd.DataFrame({k: v for k, v in rows.items() if not k.startswith("_")})
    table = conform(table.iloc[order].reset_index(drop=True), results["permu"])
    return Evaluation(
        year=year, enterprises=table, parcels=_parcel_rows(firms, par, land, rows, crs),
        zones=_summary(firms, land, rows, zone, "zone_id", zones),
        towns=_summary(firms, land, rows, town, "town", None),
        benchmarks=benchmarks, land_method=cfg.land_method, scoring=cfg.scoring,
    )


def _measure(parcels: gpd.GeoDataFrame | None, buildings: gpd.GeoDataFrame | None,
             zones: gpd.GeoDataFrame | None, tenancies: pd.DataFrame | None,
             policy: Policy) -> pd.DataFrame | None:
    """The measure table this evaluation reads: areas, the floor area of tenancy hosts, the
    zone at each parcel's point (None without parcels)."""
    if not isinstance(parcels, gpd.GeoDataFrame) or len(parcels) == 0 \
            or "parcel_id" not in parcels:
        return None
    return parcel_measures(parcels, policy=policy, buildings=buildings, zones=zones,
                           hosts=tenancy_hosts(tenancies), built_for="hosts")


# -- inputs -----------------------------------------------------------------------------------
def evaluation_year(enterprises: pd.DataFrame, year: int | None) -> int:
    """``year``, else the latest year of the enterprise table (refused when it has none)."""
    if year is not None:
        return int(year)
    years = pd.to_numeric(enterprises["year"], errors="coerce").dropna() \
        if enterprises is not None and "year" in enterprises else pd.Series(dtype=float)
    if years.empty:
        raise ValidationError("企业表没有年度数据，无法确定评价年度",
                              "the enterprise table has no year; cannot choose the evaluation year")
    return int(years.max())


def _strings(frame: pd.DataFrame, name: str) -> np.ndarray:
    """A text column stripped, as an object array with None for missing or empty values."""
    if name not in frame:
        return np.full(len(frame), None, dtype=object)
    arr = frame[name].astype("str").str.strip().to_numpy(dtype=object, na_value=None)
    arr[arr == ""] = None
    return arr


def _index(keys: np.ndarray) -> pd.Index:
    return pd.Index(keys, dtype=object)


@dataclass
class _Firms:
    """The evaluation year's enterprises, one per credit code, sorted by credit code (so the
    position of a firm is its credit-code order)."""

    code: np.ndarray
    index: pd.Index
    name: np.ndarray
    industry: np.ndarray
    town: np.ndarray
    veto: np.ndarray
    above: np.ndarray  # 1 above-scale, 0 below, −1 unknown
    declared: np.ndarray
    fig: dict[str, np.ndarray]
    point: np.ndarray | None = None
    point_crs: Any = None

    @property
    def n(self) -> int:
        return len(self.code)


def _firms(enterprises: pd.DataFrame, year: int) -> _Firms:
    empty = np.array([], dtype=object)
    none = _Firms(empty, _index(empty), empty, empty, empty, empty, np.array([], dtype=np.int8),
                  np.array([]), {f: np.array([]) for f in FIGURES})
    if enterprises is None or len(enterprises) == 0 or "year" not in enterprises:
        return none
    years = pd.to_numeric(enterprises["year"], errors="coerce")
    rows = enterprises[(years == year).fillna(False).to_numpy(dtype=bool)]
    if len(rows) == 0:
        return none
    code = _strings(rows, "credit_code")
    lacking = int(pd.isna(code).sum())
    if lacking:
        raise ValidationError(f"{year} 年有 {lacking} 行企业缺统一社会信用代码",
                              f"{lacking} enterprise rows of {year} have no credit code")
    dup = _index(code)[_index(code).duplicated()].unique()
    if len(dup):
        raise ValidationError(f"{year} 年企业重复：{'、'.join(dup[:5])}",
                              f"enterprises listed twice in {year}: {', '.join(dup[:5])}")
    try:
        above = rows["above_scale"].astype("boolean") if "above_scale" in rows else \
            pd.Series(pd.NA, index=rows.index, dtype="boolean")
    except (TypeError, ValueError) as exc:
        raise ValidationError("企业表“是否规上”不是是/否值",
                              "above_scale is not a yes/no field") from exc
    scale = np.where(above.isna().to_numpy(), -1,
                     above.fillna(False).to_numpy(dtype=bool).astype(np.int8)).astype(np.int8)
    order = np.argsort(code, kind="stable")
    point = None
    if isinstance(rows, gpd.GeoDataFrame):
        point = np.asarray(rows.geometry.values)[order]
    code = code[order]
    return _Firms(
        code=code, index=_index(code), name=_strings(rows, "name")[order],
        industry=_strings(rows, "industry_code")[order], town=_strings(rows, "town")[order],
        veto=_strings(rows, "veto")[order], above=scale[order],
        declared=numeric_column(rows, "land_area_m2")[order],
        fig={f: numeric_column(rows, f)[order] for f in FIGURES},
        point=point, point_crs=rows.crs if point is not None else None,
    )


@dataclass
class _Parcels:
    """Parcels with an id and an area, sorted by parcel id."""

    pid: np.ndarray
    index: pd.Index
    owner: np.ndarray
    owner_fi: np.ndarray  # the owner's firm position, −1 when the owner is no firm of the year
    zone: np.ndarray
    town: np.ndarray
    land_use: np.ndarray
    owner_name: np.ndarray
    area: np.ndarray
    geom: np.ndarray      # None where the measure table carries no geometry
    floor: np.ndarray     # floor area on the parcel (NaN where not measured)
    zone_at: np.ndarray   # the leaf zone at the parcel's point

    @property
    def n(self) -> int:
        return len(self.pid)


def _parcels(measures: pd.DataFrame | None, firms: _Firms,
             tenancies: pd.DataFrame | None = None) -> _Parcels:
    if measures is None or len(measures) == 0:
        e = np.array([], dtype=object)
        return _Parcels(e, _index(e), e, np.array([], dtype=int), e, e, e, e, np.array([]), e,
                        np.array([]), e)
    # parcel id, then point: the order is the table's, not the read's
    table = canonical(measures[read_parcels(measures, tenancies)])
    area = table["area_m2"].to_numpy(dtype=float)
    pid = _strings(table, "parcel_id")
    # a parcel id twice: the first in that order counts (validation reports duplicate keys)
    keep = pd.notna(pid) & (area > 0) & ~_index(pid).duplicated()
    order = np.flatnonzero(keep)
    order = order[np.argsort(pid[order], kind="stable")]
    owner = _strings(table, "owner_credit_code")[order]
    geom = np.asarray(table.geometry.values)[order] if isinstance(table, gpd.GeoDataFrame) \
        else np.full(len(order), None, dtype=object)
    return _Parcels(
        pid=pid[order], index=_index(pid[order]), owner=owner,
        owner_fi=firms.index.get_indexer(owner),
        zone=_strings(table, "zone_id")[order], town=_strings(table, "town")[order],
        land_use=_strings(table, "land_use")[order],
        owner_name=_strings(table, "owner_name")[order], area=area[order], geom=geom,
        floor=table["floor_area"].to_numpy(dtype=float)[order],
        zone_at=_strings(table, "zone_at")[order],
    )


def _stripped(frame: pd.DataFrame, name: str) -> pd.Series:
    """A text column stripped, NA for missing or empty values (index-aligned)."""
    if name not in frame:
        return pd.Series(pd.NA, index=frame.index, dtype="str")
    text = frame[name].astype("str").str.strip()
    return text.mask(text == "")


def read_parcels(measures: pd.DataFrame, tenancies: pd.DataFrame | None) -> np.ndarray:
    """Which rows of a measure table the evaluation reads (a boolean mask): every row whose
    parcel id is that of an owned parcel (``owner_credit_code`` given) or of a tenancy host.

    Land comes only from owners and tenancies: a parcel that nobody owns and nobody rents
    gives no land to anyone, is in no firm's land and on no result row, so leaving it out
    changes nothing. Whole groups of rows sharing a parcel id are kept or left out together,
    so that "the first of a repeated id counts" picks the same row. The partitioned engine
    (:mod:`gis.partition`) keeps these rows — and the others its reduce reads — in its map step.
    """
    if len(measures) == 0:
        return np.zeros(0, dtype=bool)
    pid = _stripped(measures, "parcel_id")
    owned = _stripped(measures, "owner_credit_code").notna().to_numpy(dtype=bool)
    wanted = [pid[owned]]
    if tenancies is not None and len(tenancies) and "parcel_id" in tenancies:
        wanted.append(_stripped(tenancies, "parcel_id"))
    return is_in(pid, *wanted)


# -- land --------------------------------------------------------------------------------------
@dataclass
class _Land:
    """Land pieces (firm, parcel, m²) and the per-firm land figures."""

    fi: np.ndarray      # piece: firm position, −1 for a party that is no firm of the year
    pos: np.ndarray     # piece: parcel position, −1 for a parcel missing from the layer
    m2: np.ndarray
    rent: np.ndarray    # piece: a tenancy (else an owner's net area)
    land_m2: np.ndarray  # firm: land (NaN when it has none)
    source: np.ndarray   # firm: "parcels" / "declared" / None
    total_m2: np.ndarray  # firm: Σ of its pieces
    count: np.ndarray    # firm: number of pieces
    owned_m2: np.ndarray  # firm: gross area of the parcels it owns
    owns: np.ndarray     # firm: owns a parcel
    main_pos: np.ndarray  # firm: the parcel giving it most land, −1 when none


def _land(firms: _Firms, par: _Parcels, tenancies: pd.DataFrame | None, cfg: _Settings
          ) -> _Land:
    n, k = firms.n, par.n
    rented = np.zeros(k)
    t_fi = t_pos = np.array([], dtype=int)
    t_m2 = np.array([])
    if tenancies is not None and len(tenancies) and {"credit_code", "parcel_id"} <= set(tenancies):
        code = _strings(tenancies, "credit_code")
        pos = par.index.get_indexer(_strings(tenancies, "parcel_id")) if k else \
            np.full(len(code), -1)
        land = numeric_column(tenancies, "rented_land_m2")
        floor = np.nan_to_num(numeric_column(tenancies, "rented_floor_m2"), nan=0.0)
        at = np.maximum(pos, 0)
        host = np.where(pos >= 0, par.owner[at], None) if k else np.full(len(code), None)
        own = pd.notna(host) & (host == code)
        use_land = land > 0
        ratio = np.full(len(code), cfg.fallback_ratio)
        hosts = np.unique(pos[~use_land & (floor > 0) & (pos >= 0)])
        if len(hosts):
            # the hosts' floor area from the measure table (0 without buildings: fallback)
            plot_ratio = np.zeros(k)
            plot_ratio[hosts] = np.nan_to_num(par.floor[hosts]) / par.area[hosts]
            found = plot_ratio[at] if k else np.zeros(len(code))
            ratio = np.where((pos >= 0) & (found > 0), found, ratio)
        m2 = np.where(use_land, land, floor / ratio)
        keep = pd.notna(code) & ~own & (m2 > 0)
        t_pos, t_m2 = pos[keep], m2[keep]
        t_fi = firms.index.get_indexer(code[keep])
        on = t_pos >= 0
        rented = np.bincount(t_pos[on], t_m2[on], minlength=k)
        factor = np.where(rented > par.area, par.area / np.where(rented > 0, rented, 1.0), 1.0)
        t_m2 = np.where(on, t_m2 * (factor[np.maximum(t_pos, 0)] if k else 1.0), t_m2)
        rented = np.minimum(rented, par.area)
    owned = np.flatnonzero(pd.notna(par.owner))
    fi = np.concatenate([par.owner_fi[owned], t_fi]).astype(int)
    pos = np.concatenate([owned, t_pos]).astype(int)
    m2 = np.concatenate([np.maximum(par.area - rented, 0.0)[owned], t_m2])
    rent = np.concatenate([np.zeros(len(owned), dtype=bool), np.ones(len(t_fi), dtype=bool)])

    mine = fi >= 0
    count = np.bincount(fi[mine], minlength=n)
    total = np.bincount(fi[mine], m2[mine], minlength=n)
    has = count > 0
    declared = np.where(firms.declared > 0, firms.declared, np.nan)
    own_piece = mine & ~rent
    owned_m2 = np.bincount(fi[own_piece], par.area[pos[own_piece]], minlength=n)
    located = np.flatnonzero(mine & (pos >= 0))
    main_pos = np.full(n, -1)
    if len(located):
        order = located[np.lexsort((pos[located], -m2[located], fi[located]))]
        first = np.unique(fi[order], return_index=True)[1]
        main_pos[fi[order[first]]] = pos[order[first]]
    return _Land(
        fi=fi, pos=pos, m2=m2, rent=rent,
        land_m2=np.where(has, total, declared),
        source=np.where(has, "parcels", np.where(pd.notna(declared), "declared", None)
                        ).astype(object),
        total_m2=total, count=count, owned_m2=owned_m2,
        owns=np.bincount(fi[own_piece], minlength=n) > 0, main_pos=main_pos,
    )


def _place(firms: _Firms, par: _Parcels, land: _Land, zones: gpd.GeoDataFrame | None
           ) -> tuple[np.ndarray, np.ndarray]:
    """zone_id and town per firm: its main parcel's, else (zone) its point's in ``zones``; the
    firm's own town first. Parcels of the evaluation without a zone_id are placed too (the
    leaf zone at their point, from the measure table)."""
    if zones is not None and len(zones) and par.n:
        used = np.unique(land.pos[(land.fi >= 0) & (land.pos >= 0)])
        need = used[pd.isna(par.zone[used])]
        if len(need):
            par.zone[need] = par.zone_at[need]
    at = land.main_pos >= 0
    zone = np.full(firms.n, None, dtype=object)
    town = np.full(firms.n, None, dtype=object)
    zone[at] = par.zone[land.main_pos[at]]
    town[at] = par.town[land.main_pos[at]]
    town = np.where(pd.notna(firms.town), firms.town, town)
    if zones is not None and len(zones) and firms.point is not None:
        free = np.flatnonzero(~at & ~shapely.is_missing(firms.point)
                              & ~shapely.is_empty(firms.point))
        if len(free):
            src = firms.point_crs
            zone[free] = zone_at(firms.point[free], same_crs(zones, src) if src is not None
                                 else zones)
    return zone, town


def _leads(firms: _Firms, par: _Parcels, land: _Land, cfg: _Settings) -> np.ndarray:
    """Each firm's evaluation unit (a firm position): itself, or under the parcel method the
    owner of its main host parcel."""
    lead = np.arange(firms.n)
    if cfg.land_method != "parcel":
        return lead
    sel = np.flatnonzero(land.rent & (land.fi >= 0) & (land.pos >= 0))
    fi = land.fi[sel]
    host = par.owner_fi[land.pos[sel]]
    ok = (host >= 0) & (host != fi) & ~land.owns[fi]
    sel, fi, host = sel[ok], fi[ok], host[ok]
    if len(sel):
        order = np.lexsort((host, -land.m2[sel], fi))
        first = np.unique(fi[order], return_index=True)[1]
        lead[fi[order[first]]] = host[order[first]]
    return lead


# -- units, groups, scores, ranks --------------------------------------------------------------
def _units(firms: _Firms, land: _Land, lead: np.ndarray) -> dict[str, np.ndarray]:
    """Per firm position: the figures of the unit it leads (members' sums; missing when a
    member's is), land, scale, industry and the indicators. Only ``is_unit`` rows are units."""
    n = firms.n

    def total(values: np.ndarray) -> np.ndarray:
        gap = np.bincount(lead, np.isnan(values).astype(float), minlength=n) > 0
        return np.where(gap, np.nan, np.bincount(lead, np.nan_to_num(values), minlength=n))

    u: dict[str, np.ndarray] = {f: total(firms.fig[f]) for f in FIGURES}
    u["is_unit"] = np.bincount(lead, minlength=n) > 0
    u["land_m2"] = total(land.land_m2)
    u["land_mu"] = m2_to_mu(u["land_m2"])
    any_above = np.bincount(lead, (firms.above == 1).astype(float), minlength=n) > 0
    any_unknown = np.bincount(lead, (firms.above == -1).astype(float), minlength=n) > 0
    u["above"] = np.where(any_above, 1, np.where(any_unknown, -1, 0))
    u["industry"] = firms.industry  # a unit's industry is its lead's (the owner's)
    for name, (num, den, factor) in INDICATORS.items():
        a, b = u[num], u[den]
        ok = ~np.isnan(a) & (b > 0)
        u[name] = np.where(ok, a * factor / np.where(ok, b, 1.0), np.nan)
    return u


def _grade(u: dict[str, np.ndarray], cfg: _Settings) -> None:
    """group and not_graded_reason per unit (None for firms that lead no unit)."""
    division = pd.Series(u["industry"], dtype="str").str.replace(
        r"^[A-Za-z]", "", regex=True).str[:2]
    excluded = division.isin(list(cfg.excluded)).to_numpy(dtype=bool)
    land = u["land_mu"]
    small = ~(land >= cfg.below_min_mu * (1 - _REL_TOL))
    reason = np.select(
        [excluded, ~(land > 0), u["above"] == -1, (u["above"] == 0) & small],
        ["excluded_industry", "no_land", "scale_unknown", "below_min_land"], default="")
    group = np.where(reason != "", "not_graded", np.where(u["above"] == 1, "above", "below"))
    u["not_graded_reason"] = np.where(u["is_unit"] & (reason != ""), reason, None).astype(object)
    u["group"] = np.where(u["is_unit"], group, None).astype(object)


def _score(u: dict[str, np.ndarray], cfg: _Settings) -> dict[str, dict[str, Any]]:
    """Item scores and score per unit of each group (into ``u``); the benchmarks used."""
    n = len(u["group"])
    for name in INDICATORS:
        u[f"score_{name}"] = np.full(n, np.nan)
    u["score"] = np.full(n, np.nan)
    benchmarks: dict[str, dict[str, Any]] = {}
    for g in GROUPS:
        rows = np.flatnonzero(u["group"] == g)
        benchmarks[g] = {}
        if len(rows) == 0:
            continue
        total = np.zeros(len(rows))
        for name, weight in cfg.weights[g].items():
            num, den, factor = INDICATORS[name]
            x = u[name][rows]
            have = ~np.isnan(x)
            score = np.full(len(rows), np.nan)
            if cfg.scoring == "minmax":
                lo = float(x[have].min()) if have.any() else np.nan
                hi = float(x[have].max()) if have.any() else np.nan
                if have.any():
                    rel = (x[have] - lo) / (hi - lo) if hi > lo else np.ones(int(have.sum()))
                    score[have] = weight * (20 + 80 * rel) / 100
                benchmarks[g][name] = {"min": _plain(lo), "max": _plain(hi)}
            else:
                if cfg.scoring == "fixed":
                    bench = cfg.fixed[name]
                elif have.any():
                    bench = float(u[num][rows][have].sum() * factor / u[den][rows][have].sum())
                else:
                    bench = np.nan
                benchmarks[g][name] = _plain(bench)
                if bench > 0:
                    score[have] = weight * np.minimum(x[have] / bench, cfg.cap)
            score = np.maximum(score, cfg.floor)  # NaN stays NaN
            known = ~np.isnan(score)
            fill = float(score[known].mean()) if name in cfg.mean_items and known.any() \
                else cfg.floor
            score = np.where(known, score, fill)
            u[f"score_{name}"][rows] = score
            total += score
        u["score"][rows] = total
    return benchmarks


def _plain(value: float) -> float | None:
    return None if value is None or np.isnan(value) else float(value)


def _rank(u: dict[str, np.ndarray], cfg: _Settings) -> None:
    """rank and class (before vetoes) per unit, within its group."""
    n = len(u["group"])
    u["rank"] = np.full(n, -1)
    u["unit_class"] = np.full(n, None, dtype=object)
    a, b, c = cfg.shares
    for g in GROUPS:
        rows = np.flatnonzero(u["group"] == g)
        if len(rows) == 0:
            continue
        key = -np.round(u["score"][rows], _TIE_DECIMALS)
        rows = rows[np.lexsort((rows, key))]  # score desc, then credit code (= position) asc
        position = np.arange(1, len(rows) + 1)
        share = position / len(rows)
        u["rank"][rows] = position
        u["unit_class"][rows] = np.select(
            [share <= a + _EPS, share <= b + _EPS, share <= c + _EPS], ["A", "B", "C"], "D")


# -- rows ---------------------------------------------------------------------------------------
def _rows(firms: _Firms, land: _Land, lead: np.ndarray, u: dict[str, np.ndarray],
          zone: np.ndarray, town: np.ndarray, cfg: _Settings, year: int
          ) -> dict[str, np.ndarray]:
    """One entry per firm (firm order), the result columns plus ``_group``/``_rank`` keys."""
    n = firms.n
    rank = u["rank"][lead]
    klass = u["unit_class"][lead]
    graded = pd.notna(klass)
    vetoed = pd.notna(firms.veto)
    level = np.full(n, -1)
    level[graded] = pd.Series(klass[graded], dtype=object).map(
        {c: i for i, c in enumerate(CLASSES)}).to_numpy(dtype=int)
    level = np.where(vetoed & graded, np.maximum(level, CLASSES.index(cfg.veto_cap)), level)
    final = np.where(graded, np.asarray((*CLASSES, None), dtype=object)[level], None)
    names = np.asarray([cfg.names[c] for c in CLASSES] + [None], dtype=object)

    measures = np.full(n, None, dtype=object)
    relief = np.full(n, np.nan)
    surcharge = np.full(n, np.nan)
    taxed = np.where(land.owns, land.owned_m2,
                     np.where(land.source == "declared", firms.declared, 0.0))
    for c in CLASSES:
        mask = final == c
        listed = cfg.measures[c]
        if not mask.any() or not listed:
            continue
        measures[mask] = ";".join(listed)
        if "power_surcharge" in listed:
            surcharge[mask] = firms.fig["electricity_kwh"][mask] * cfg.surcharge / 10_000
        if "land_tax_relief" in listed:
            relief[mask] = taxed[mask] * cfg.land_tax * cfg.relief[c] / 10_000

    group = u["group"][lead]
    out: dict[str, np.ndarray] = {
        "credit_code": firms.code, "name": firms.name, "year": np.full(n, year),
        "unit_credit_code": firms.code[lead], "zone_id": zone, "town": town,
        "industry_code": firms.industry, "group": group,
        "not_graded_reason": u["not_graded_reason"][lead], "land_source": land.source,
        "land_mu": m2_to_mu(land.land_m2),
        **{name: u[name][lead] for name in INDICATORS},
        **{f"score_{name}": u[f"score_{name}"][lead] for name in INDICATORS},
        "score": u["score"][lead],
        "rank": pd.array(np.where(rank > 0, rank, 0), dtype="Int64").copy(),
        "class": final, "class_name": names[level],
        "vetoed": vetoed, "veto": firms.veto, "measures": measures,
        "land_tax_relief_wan": relief, "power_surcharge_wan": surcharge,
        "_group": pd.Series(group, dtype=object).map(
            {"above": 0, "below": 1}).fillna(2).to_numpy(dtype=int),
        "_rank": np.where(rank > 0, rank, np.iinfo(np.int64).max),
    }
    out["rank"][rank <= 0] = pd.NA
    out["class_name"] = np.where(graded, out["class_name"], None)
    return out


def _parcel_rows(firms: _Firms, par: _Parcels, land: _Land, rows: dict[str, np.ndarray],
                 crs) -> gpd.GeoDataFrame:
    """The parcels on which enterprises of the year have land, with their 亩均 figures."""
    layer = results["permu_parcels"]
    k = par.n
    sel = (land.fi >= 0) & (land.pos >= 0)
    if k == 0 or not sel.any():
        return empty_frame(layer, crs=crs)
    fi, pos, m2 = land.fi[sel], land.pos[sel], land.m2[sel]
    total, count = land.total_m2[fi], land.count[fi]
    share = np.where(total > 0, m2 / np.where(total > 0, total, 1.0), 1.0 / count)
    tax = firms.fig["tax_wan"][fi] * share
    output = firms.fig["output_wan"][fi] * share
    firms_n = np.bincount(pos, minlength=k)
    tax_wan = np.where(np.bincount(pos, np.isnan(tax).astype(float), minlength=k) > 0, np.nan,
                       np.bincount(pos, np.nan_to_num(tax), minlength=k))
    out_wan = np.where(np.bincount(pos, np.isnan(output).astype(float), minlength=k) > 0,
                       np.nan, np.bincount(pos, np.nan_to_num(output), minlength=k))
    rented = land.rent & (land.pos >= 0)
    tenants = np.bincount(land.pos[rented], minlength=k)
    stranger = np.bincount(land.pos[rented & (land.fi < 0)], minlength=k) > 0
    complete = ~stranger & ~(pd.notna(par.owner) & (par.owner_fi < 0))

    p = np.flatnonzero(firms_n > 0)
    ofi = par.owner_fi[p]
    has = ofi >= 0
    at = np.maximum(ofi, 0)

    def owner_value(values: np.ndarray) -> np.ndarray:
        return np.where(has, values[at], None).astype(object)

    area_mu = m2_to_mu(par.area[p])
    frame = pd.DataFrame({
        "parcel_id": par.pid[p], "zone_id": par.zone[p], "town": par.town[p],
        "land_use": par.land_use[p], "owner_credit_code": par.owner[p],
        "owner_name": np.where(pd.notna(par.owner_name[p]), par.owner_name[p],
                               owner_value(firms.name)),
        "area_mu": area_mu, "firms": firms_n[p], "tenants": tenants[p], "complete": complete[p],
        "tax_wan": tax_wan[p], "output_wan": out_wan[p],
        "tax_per_mu": tax_wan[p] / area_mu, "output_per_mu": out_wan[p] / area_mu,
        "owner_group": owner_value(rows["group"]), "owner_class": owner_value(rows["class"]),
        "owner_class_name": owner_value(rows["class_name"]),
    })
    gdf = gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(par.geom[p], crs=crs), crs=crs)
    return conform(gdf, layer)


# -- zone and town tables -----------------------------------------------------------------------
_COUNTS = ("firms", "graded", *CLASSES, "not_graded", "vetoed")
_SUMMED = ("land_mu", "tax_wan", "output_wan", "revenue_wan", "value_added_wan")
_PER_MU = (("tax_wan", "tax_per_mu"), ("value_added_wan", "value_added_per_mu"),
           ("output_wan", "output_per_mu"), ("revenue_wan", "revenue_per_mu"))


def _summary(firms: _Firms, land: _Land, rows: dict[str, np.ndarray], where: np.ndarray,
             key: str, zones: gpd.GeoDataFrame | None) -> pd.DataFrame:
    """Counts, totals and per-mu averages per zone_id or town, with a total row."""
    mu = m2_to_mu(land.land_m2)
    has_land = mu > 0
    klass = rows["class"]
    data = {
        "firms": np.ones(firms.n, dtype=np.int64),
        "graded": pd.notna(klass).astype(np.int64),
        **{c: (klass == c).astype(np.int64) for c in CLASSES},
        "not_graded": (rows["group"] == "not_graded").astype(np.int64),
        "vetoed": rows["vetoed"].astype(np.int64),
        "land_mu": np.where(has_land, mu, 0.0),
        "_score": rows["score"],
    }
    for fig in _SUMMED[1:]:
        v = firms.fig[fig]
        ok = has_land & ~np.isnan(v)
        data[fig] = np.nan_to_num(v)
        data[f"_num_{fig}"] = np.where(ok, v, 0.0)
        data[f"_den_{fig}"] = np.where(ok, mu, 0.0)
    frame = pd.DataFrame(data)
    frame.insert(0, key, pd.Series(np.where(pd.notna(where), where, UNPLACED), dtype=object))

    def table(part: pd.DataFrame) -> pd.DataFrame:
        g = part.groupby(key, sort=False)
        sums = g.sum()
        out = sums[[*_COUNTS, *_SUMMED]].copy()
        for fig, name in _PER_MU:
            den = sums[f"_den_{fig}"]
            out[name] = (sums[f"_num_{fig}"] / den.where(den > 0)).astype("float64")
        out["mean_score"] = g["_score"].mean()
        return out

    per = table(frame)
    per = per.loc[sorted(per.index, key=lambda v: (v == UNPLACED, str(v)))]
    out = pd.concat([per, table(frame.assign(**{key: TOTAL}))])
    out.index = pd.Index(out.index, dtype="str", name=key)
    out = out.reset_index()
    if key == "zone_id" and zones is not None and len(zones) and "name" in zones:
        names = pd.Series(zones["name"].to_numpy(dtype=object),
                          index=zones["zone_id"].to_numpy(dtype=object))
        names = names[~names.index.duplicated()]
        out.insert(1, "name", out["zone_id"].map(names).astype("str"))
    return out


def _empty_summary(key: str, zones: gpd.GeoDataFrame | None) -> pd.DataFrame:
    cols = {key: pd.Series([], dtype="str")}
    if key == "zone_id" and zones is not None and len(zones) and "name" in zones:
        cols["name"] = pd.Series([], dtype="str")
    for c in _COUNTS:
        cols[c] = pd.Series([], dtype="int64")
    for c in (*_SUMMED, *(name for _, name in _PER_MU), "mean_score"):
        cols[c] = pd.Series([], dtype="float64")
    return pd.DataFrame(cols)


def _empty(year: int, crs, cfg: _Settings, zones: gpd.GeoDataFrame | None) -> Evaluation:
    return Evaluation(
        year=year, enterprises=empty_frame(results["permu"]),
        parcels=empty_frame(results["permu_parcels"], crs=crs),
        zones=_empty_summary("zone_id", zones), towns=_empty_summary("town", None),
        benchmarks={g: {} for g in GROUPS}, land_method=cfg.land_method, scoring=cfg.scoring,
    )
