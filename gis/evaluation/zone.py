"""Development-zone intensive land-use indicators 开发区土地集约利用 (TD/T 1029-2010; DOMAIN.md
§0.6, §6; issue 4).

:func:`zone_indicators` returns one row per zone — every zone of the ``zones`` layer, the parent
zone and each of its parks — and one row for the county (``zone_id`` "county", ``name`` "全县",
geometry the union of the zones), with the indicators of §6.2, the potentials of §6.3 and the
national averages of §6.1 beside the indicators that have one. Columns: the ``zone_indicators``
result layer of the catalogue, then geometry. Values are not rounded (round for display).

Attribution
-----------
Everything is located by its **representative point** (``shapely.point_on_surface``) within the
zone polygon: a parcel lying across a park boundary counts wholly in the park holding its point,
and in every zone containing that point (the parent zone and the park). The county row counts
each parcel, supply, firm once if its point lies in any zone, so its amounts are the sums over
the parks (when the parks partition the zone), and every rate of every row is the ratio of that
row's own sums — never an average of rates. Zone area is the polygon area (the county: the area
of the union). Areas are computed from geometry in the zones' projected CRS; other layers are
reprojected to it.

Land (per parcel, parcels of the ``parcels`` layer)
---------------------------------------------------
* **已供应国有建设用地** supplied: ``status == "supplied"``. A supplied parcel whose contracts in
  ``supplies`` were all signed after ``as_of`` is not supplied yet on ``as_of``: it counts as land
  ready for supply and still to be supplied. A contract is on the parcel of its ``parcel_id``,
  else on the parcel containing its representative point.
* **已达到供地条件** ready: supplied land, plus reserve parcels (``status == "reserve"``) marked
  ``ready`` (净地). When ``approvals`` is given, a reserve parcel counts only if its point also lies
  in a batch approved on or before ``as_of`` (征转 completed — DOMAIN §6.2).
* **已建成城镇建设用地** built: supplied parcels carrying a footprint of a building whose
  ``state`` is in ``zone.built_states`` (built, dilapidated) or not recorded; buildings under
  construction neither make a parcel built nor add floor area. Roads and other land not supplied
  by contract are therefore not built land here (issue 4's definition).
* **工矿仓储** industrial: ``land_use`` starting with one of ``zone.industrial_prefixes`` (10, 11).
* Floor area and footprint per parcel: :func:`gis.metrics.building_measures` —
  footprints clipped to the parcel, a storey higher than ``low_efficiency.tall_storey_m`` (8 m)
  counts twice, overlapping footprints are not counted twice in the covered area.

Economy
-------
* Enterprise figures of the latest ``year`` ≤ ``as_of.year`` present in the table (``year``).
* A firm's tax and revenue are located on the parcels it owns (``owner_credit_code``), split by
  parcel area; a firm owning no parcel, on the parcel containing its point (tenants); a firm on no
  parcel, at its point (counted in its zone's 综合地均税收 only); a firm without either is not
  located and not counted.
* 工业用地地均税收 / 产出强度: tax / revenue (营业收入, TD/T's 工业(物流)企业总收入) located on
  built industrial parcels ÷ built industrial 公顷 — the firms on industrial land, whatever their
  industry code. 综合地均税收: all tax located in the zone ÷ built 公顷.
* 工业用地固定资产投入强度: Σ ``invested_wan`` of the contracts (signed ≤ ``as_of``) on built
  industrial parcels ÷ built industrial 公顷. A missing ``invested_wan`` adds nothing (TD/T's
  denominator is all built industrial land, so a gap in the ledger lowers the figure).
* Units: 万元/公顷 for the three intensities and both tax figures (TD/T 1029); ÷ 15 for 万元/亩.

Idle land and expired projects
------------------------------
* The idle ledger is ``idle`` when given (the ``idle`` result layer, e.g. from ``cleanup()``),
  else it is computed with :func:`gis.cleanup.idle.idle` (the same 53号令 rules). Rows with
  ``action == "watch"`` are not idle.
* **闲置土地处置率** = disposed ÷ (disposed + idle now), by area. *Disposed* = a contract that
  was idle by 53号令 and no longer is, as far as the supply ledger shows: it started
  (``actual_start`` ≤ ``as_of``) on or after ``agreed_start`` + ``idle.grace_years`` — idle for a
  while, then developed (延长动工期限 / paid fee and started) — and is not idle now. Take-backs
  cannot be seen in the data (the contract is gone), nor can a halt that was later resumed (the
  developed share at the time of the halt is unknown); both are left out. NA where no land of
  the row has been idle (0 ÷ 0).
* **到期项目** expired project: a contract signed ≤ ``as_of`` whose ``agreed_completion`` is
  before ``as_of`` and that has not completed by ``as_of``.

Potentials (§6.3; ideal values from ``policy.zone``)
----------------------------------------------------
* 扩展潜力 ``expansion_ha``: unsupplied parcels whose status is in ``zone.supplyable_statuses``
  (reserve — 净地 or not — and collective land awaiting 征收; "other" land such as roads and
  water is never supplied by contract); ``expansion_industrial_ha`` the industrial part.
* 结构潜力 ``structure_ha`` = max(0, (ideal 工业用地率 − 工业用地率) × built 公顷).
* 强度潜力 per factor F (plot ratio, coverage, investment, output, tax):
  built industrial 公顷 × max(0, 1 − F ÷ ideal F).
* 管理潜力 ``management_ha`` = ``management_idle_ha`` (idle contracts to be taken back:
  ``action == "take_back"``) + ``management_expired_ha`` (expired projects not already among
  them) — a contract is counted once.
* 尚可供地年数 = ``expansion_ha`` ÷ ``supplied_per_year_ha``, the area of the contracts signed in
  (``as_of`` − ``zone.supply_window_years`` years, ``as_of``] ÷ the years (supply geometry area,
  located by its point). NA when nothing was supplied in the window — never infinity.
* Potentials of a parent zone and of the county are computed from their own sums, like every
  rate; where one park is above an ideal value and another below, that row's potential is less
  than the sum of the parks'. A potential whose base area is zero is 0.

Rates whose denominator is zero are NA. Everything is vectorized: one STRtree query per layer
against the zones (and one for points against the parcels), ``np.bincount`` over
(item, row) pairs.

The spatial part — areas, representative points, standing buildings, the batch and the parcel
at a point — is computed first as light tables (:class:`ZoneMeasures`, :func:`zone_measures`);
the indicators are judged from those alone, summing in the tables' canonical order
(:func:`gis.measures.canonical`). The partitioned engine (:mod:`gis.partition`) builds the same
tables cell by cell and gets the same indicators, to the last bit.

>>> from layers.demo import DEMO_AS_OF, build_demo
>>> d = build_demo()
>>> table = zone_indicators(d["zones"], d["parcels"], d["supplies"], d["buildings"],
...                         d["enterprises"], DEMO_AS_OF)
>>> list(table["zone_id"])
['KFQ', 'KFQ-DY', 'KFQ-XY', 'KFQ-NY', 'county']
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gis.cleanup.idle import idle as idle_ledger
from gis.dates import as_date, known_on, years_offset
from gis.errors import ValidationError
from gis.frames import numeric_column, same_crs, unique_map
from gis.measures import (
    canonical,
    locate,
    parcel_at,
    parcel_measures,
    points_at,
    representative_points,
    row_measures,
)
from gis.policy import Policy
from gis.schema import conform, empty_frame
from gis.units import M2_PER_HA, assert_area_crs
from layers import results

__all__ = ["COUNTY_ID", "COUNTY_NAME", "NATIONAL", "ZoneMeasures", "firm_measures",
           "ledger_measures", "supply_measures", "zone_indicators", "zone_measures"]

COUNTY_ID = "county"
COUNTY_NAME = "全县"

#: indicator → the policy parameter holding its national average (DOMAIN §6.1)
NATIONAL: dict[str, str] = {
    "land_development_rate": "national_land_development_rate",
    "land_supply_rate": "national_land_supply_rate",
    "built_rate": "national_built_rate",
    "industrial_land_rate": "national_industrial_land_rate",
    "composite_plot_ratio": "national_composite_plot_ratio",
    "building_density": "national_building_density",
    "industrial_investment_intensity": "national_industrial_investment_intensity",
    "industrial_tax_per_ha": "national_industrial_tax_per_ha",
    "composite_tax_per_ha": "national_composite_tax_per_ha",
}

#: intensity-potential column → (indicator, ideal-value parameter)
_INTENSITY: dict[str, tuple[str, str]] = {
    "intensity_plot_ratio_ha": ("industrial_plot_ratio", "ideal_industrial_plot_ratio"),
    "intensity_coverage_ha": ("industrial_coverage", "ideal_industrial_coverage"),
    "intensity_investment_ha": ("industrial_investment_intensity",
                                "ideal_investment_intensity"),
    "intensity_output_ha": ("industrial_output_intensity", "ideal_output_intensity"),
    "intensity_tax_ha": ("industrial_tax_per_ha", "ideal_tax_per_ha"),
}

_LAYER = results["zone_indicators"]


@dataclass
class ZoneMeasures:
    """The spatial part of the zone indicators: light tables, no geometry.

    Attributes
    ----------
    parcels
        :func:`gis.measures.parcel_measures` with ``approvals``/``as_of`` and ``standing``: one
        row per parcel.
    supplies
        One row per contract: :data:`SUPPLY_FIELDS`, its area and representative point, and the
        parcel containing the point (``at_pid``, ``at_x``, ``at_y``).
    ledger
        One row per idle-ledger row: ``supply_id``, ``action``, area and point.
    firms
        One row per enterprise row, in the table's order: ``credit_code``, ``year``,
        ``tax_wan``, ``revenue_wan``, its point (``pt_x``, ``pt_y``) and the parcel containing it.
    """

    parcels: pd.DataFrame
    supplies: pd.DataFrame
    ledger: pd.DataFrame
    firms: pd.DataFrame


#: the contract fields the indicators read
SUPPLY_FIELDS = ("supply_id", "parcel_id", "supplied_on", "agreed_start", "actual_start",
                 "agreed_completion", "actual_completion", "invested_wan")


def supply_measures(supplies: pd.DataFrame, parcels: gpd.GeoDataFrame | None) -> pd.DataFrame:
    """Contracts: their fields, area, point and the parcel containing the point (every parcel
    containing a contract's point must be among ``parcels``)."""
    out = pd.DataFrame({f: (supplies[f] if f in supplies else pd.Series(
        pd.NA, index=supplies.index, dtype=object)) for f in SUPPLY_FIELDS}).reset_index(
        drop=True)
    rows = row_measures(supplies).reset_index(drop=True)
    at = parcel_at(points_at(rows["rep_x"], rows["rep_y"]), parcels)
    return pd.concat([out, rows, at], axis=1)


def ledger_measures(ledger: pd.DataFrame) -> pd.DataFrame:
    """Idle-ledger rows: ``supply_id``, ``action``, area and point."""
    return pd.concat([_text(ledger, "supply_id").reset_index(drop=True).rename("supply_id"),
                      _text(ledger, "action").reset_index(drop=True).rename("action"),
                      row_measures(ledger).reset_index(drop=True)], axis=1)


def firm_measures(enterprises: pd.DataFrame | None, parcels: gpd.GeoDataFrame | None
                  ) -> pd.DataFrame:
    """Enterprise rows (in the table's order): code, year, tax, revenue, point, and the parcel
    containing the point (none without ``parcels``)."""
    cols = ("credit_code", "year", "tax_wan", "revenue_wan")
    if enterprises is None:
        enterprises = pd.DataFrame({c: pd.Series([], dtype=object) for c in cols})
    out = pd.DataFrame({c: (enterprises[c] if c in enterprises else pd.Series(
        pd.NA, index=enterprises.index, dtype=object)) for c in cols}).reset_index(drop=True)
    geoms = np.asarray(enterprises.geometry.values) if isinstance(
        enterprises, gpd.GeoDataFrame) else np.full(len(enterprises), None, dtype=object)
    out["pt_x"], out["pt_y"] = representative_points(geoms)
    at = parcel_at(points_at(out["pt_x"], out["pt_y"]), parcels)
    return pd.concat([out, at], axis=1)


def zone_measures(zones: gpd.GeoDataFrame, parcels: gpd.GeoDataFrame,
                  supplies: gpd.GeoDataFrame, buildings: gpd.GeoDataFrame,
                  enterprises: pd.DataFrame, as_of: date | str | pd.Timestamp,
                  policy: Policy | None = None, *, approvals: gpd.GeoDataFrame | None = None,
                  idle: gpd.GeoDataFrame | None = None) -> ZoneMeasures:
    """The :class:`ZoneMeasures` of whole layers (what :func:`zone_indicators` computes when it
    is not handed them; the partitioned engine builds the same tables cell by cell)."""
    policy = policy if policy is not None else Policy.load()
    day = as_date(as_of)
    crs = zones.crs
    parcels = _in_crs(parcels, crs)
    supplies = _in_crs(supplies, crs)
    buildings = same_crs(buildings, crs)
    enterprises = same_crs(enterprises, crs)
    measured = parcel_measures(parcels, policy=policy, buildings=buildings, approvals=approvals,
                               as_of=day, built_for=None, standing=True, geometry=False)
    ledger = idle_ledger(supplies, day, policy) if idle is None else same_crs(idle, crs)
    return ZoneMeasures(parcels=measured, supplies=supply_measures(supplies, parcels),
                        ledger=ledger_measures(ledger),
                        firms=firm_measures(enterprises, parcels))


def _in_crs(frame: gpd.GeoDataFrame, crs) -> gpd.GeoDataFrame:
    """``frame`` in ``crs``: reprojected, or taken to be in it when it has no CRS."""
    if isinstance(frame, gpd.GeoDataFrame) and frame.crs is None:
        return frame.set_crs(crs)
    return same_crs(frame, crs)


def zone_indicators(
    zones: gpd.GeoDataFrame,
    parcels: gpd.GeoDataFrame | None,
    supplies: gpd.GeoDataFrame | None,
    buildings: gpd.GeoDataFrame | None,
    enterprises: pd.DataFrame | None,
    as_of: date | str | pd.Timestamp,
    policy: Policy | None = None,
    *,
    approvals: gpd.GeoDataFrame | None = None,
    idle: gpd.GeoDataFrame | None = None,
    measures: ZoneMeasures | None = None,
) -> gpd.GeoDataFrame:
    """The intensive-use indicators and potentials of every zone and of the county on ``as_of``
    (definitions in the module docstring).

    Parameters
    ----------
    zones, parcels, supplies, buildings, enterprises
        Workspace layers in canonical dtypes; ``zones`` in a projected (Gauss-Krüger) CRS, the
        others are reprojected to it. ``enterprises`` may be a plain frame (no points).
    as_of
        The evaluation day: contracts signed later are ignored, later dates have not happened.
    policy
        ``policy.zone`` (classes, ideal values, national averages), ``policy.idle`` and
        ``policy.low_efficiency.tall_storey_m``; the defaults when omitted.
    approvals
        Optional batches: when given, a reserve 净地 parcel is ready for supply only inside a
        batch approved on or before ``as_of``.
    idle
        Optional idle ledger (the ``idle`` result layer); computed from ``supplies`` when omitted.
    measures
        The :class:`ZoneMeasures` when they are already computed (by the partitioned engine,
        cell by cell): then only ``zones`` is read besides them. Without them they are computed
        here from the layers (:func:`zone_measures`), by the very same functions.

    Returns
    -------
    GeoDataFrame
        One row per zone in the order of ``zones``, then the county row.
    """
    policy = policy if policy is not None else Policy.load()
    cfg = policy.zone
    day = as_date(as_of)
    crs = zones.crs
    assert_area_crs(crs)
    if len(zones) == 0:
        return empty_frame(_LAYER, crs=crs)
    ideals = {name: float(getattr(cfg, name)) for name in
              ("ideal_industrial_land_rate", *(p for _, p in _INTENSITY.values()))}
    for name, value in ideals.items():
        if not value > 0:
            raise ValidationError(f"政策参数 zone.{name} 须为正数，实为 {value!r}",
                                  f"policy parameter zone.{name} must be positive, got {value!r}")
    window = int(cfg.supply_window_years)
    if window <= 0 or window != cfg.supply_window_years:
        raise ValidationError(f"政策参数 zone.supply_window_years 须为正整数，实为 "
                              f"{cfg.supply_window_years!r}",
                              "policy parameter zone.supply_window_years must be a positive whole "
                              f"number, got {cfg.supply_window_years!r}")
    if measures is None:
        measures = zone_measures(zones, parcels, supplies, buildings, enterprises, day, policy,
                                 approvals=approvals, idle=idle)

    zgeoms = np.asarray(zones.geometry.values)
    units = _Units(zgeoms)
    n_units = units.n

    # -- parcels (in the canonical order: every sum below runs in it) -------------------------
    parcels = canonical(measures.parcels)
    p_area = np.nan_to_num(parcels["area_m2"].to_numpy(dtype=float), nan=0.0)
    p_item, p_unit = units.members(points_at(parcels["rep_x"], parcels["rep_y"]))
    in_zone = np.zeros(len(parcels), dtype=bool)
    in_zone[p_item] = True

    status = _text(parcels, "status")
    ready_flag = _flag(parcels, "ready")
    land_use = _text(parcels, "land_use")
    industrial = land_use.str.startswith(tuple(cfg.industrial_prefixes), na=False).to_numpy()
    pid = _text(parcels, "parcel_id")

    # contracts signed by as_of, each on a parcel (by parcel_id, else by its point)
    supplies = canonical(measures.supplies, key="supply_id")
    signed = _dates(supplies, "supplied_on")
    is_known = (signed <= day).fillna(False).to_numpy(dtype=bool)
    known = supplies[is_known]
    s_pos = _parcel_of(supplies, pid, parcels) if len(supplies) else np.empty(0, dtype=int)
    on = s_pos >= 0
    # a parcel whose contracts were all signed after as_of is not supplied yet on as_of
    n_parcels = len(parcels)
    signed_later = (np.bincount(s_pos[on], minlength=n_parcels) > 0) & ~(
        np.bincount(s_pos[on & is_known], minlength=n_parcels) > 0)
    is_supplied = (status == "supplied").to_numpy() & ~signed_later
    pending = (status == "supplied").to_numpy() & signed_later
    reserve_ready = (status == "reserve").to_numpy() & ready_flag
    # inside a batch approved by as_of (NA: no approvals given, nothing to check)
    reserve_ready &= parcels["in_approval"].astype("boolean").fillna(True).to_numpy(dtype=bool)
    ready = is_supplied | reserve_ready | pending
    supplyable = ~is_supplied & (status.isin(list(cfg.supplyable_statuses)).to_numpy() | pending)

    # floor area and footprint of standing buildings, on the supplied parcels in a zone
    floor = np.zeros(len(parcels))
    cover = np.zeros(len(parcels))
    sel = np.flatnonzero(is_supplied & in_zone & (p_area > 0))
    if len(sel):
        floor[sel] = parcels["standing_floor"].to_numpy(dtype=float)[sel]
        cover[sel] = parcels["standing_cover"].to_numpy(dtype=float)[sel]
    built = is_supplied & (cover > 0)
    built_ind = built & industrial

    # -- enterprises: tax and revenue on parcels, or at a point -------------------------------
    year, firms = _firms(measures.firms, day.year)
    p_tax, p_rev, pt_x, pt_y, pt_tax = _locate_firms(firms, parcels, p_area)
    f_item, f_unit = units.members(points_at(pt_x, pt_y))

    # -- contracts: investment on parcels ------------------------------------------------------
    amount = np.nan_to_num(numeric_column(supplies, "invested_wan"), nan=0.0)
    take = on & is_known
    invest = np.bincount(s_pos[take], amount[take], minlength=n_parcels)

    def by_unit(values: np.ndarray) -> np.ndarray:
        return np.bincount(p_unit, np.asarray(values, dtype=float)[p_item], minlength=n_units)

    area = np.append(shapely.area(zgeoms), shapely.area(units.county))
    ready_m2 = by_unit(p_area * ready)
    supplied_m2 = by_unit(p_area * is_supplied)
    built_m2 = by_unit(p_area * built)
    ind_m2 = by_unit(p_area * built_ind)
    floor_m2 = by_unit(floor * built)
    cover_m2 = by_unit(cover * built)
    ind_floor = by_unit(floor * built_ind)
    ind_cover = by_unit(cover * built_ind)
    ind_invest = by_unit(invest * built_ind)
    ind_tax = by_unit(p_tax * built_ind)
    ind_rev = by_unit(p_rev * built_ind)
    all_tax = by_unit(p_tax) + np.bincount(f_unit, pt_tax[f_item], minlength=n_units)
    expansion = by_unit(p_area * supplyable)
    expansion_ind = by_unit(p_area * (supplyable & industrial))

    # -- supply history, idle land, expired projects -------------------------------------------
    start = day - pd.DateOffset(years=window)
    recent = (_dates(known, "supplied_on") > start).to_numpy(dtype=bool)
    supplied_window = units.sum_areas(known[recent])

    ledger = canonical(measures.ledger, key="supply_id")
    action = _text(ledger, "action")
    idle_now = (action != "watch").fillna(True).to_numpy(dtype=bool)
    take_back = (action == "take_back").fillna(False).to_numpy(dtype=bool)
    idle_m2 = units.sum_areas(ledger[idle_now])
    take_back_m2 = units.sum_areas(ledger[take_back])
    sid = _text(known, "supply_id")
    lid = _text(ledger, "supply_id")
    idle_ids = set(lid[idle_now].dropna())
    take_back_ids = set(lid[take_back].dropna())

    started = known_on(_dates(known, "actual_start"), day)
    late = started >= _dates(known, "agreed_start") + years_offset(policy.idle.grace_years,
                                                                   "idle.grace_years")
    disposed = (late.fillna(False) & ~sid.isin(idle_ids)).to_numpy(dtype=bool)
    disposed_m2 = units.sum_areas(known[disposed])
    completed = _dates(known, "actual_completion") <= day
    expired = ((_dates(known, "agreed_completion") < day) & ~completed.fillna(False)
               & ~sid.isin(take_back_ids)).fillna(False).to_numpy(dtype=bool)
    expired_m2 = units.sum_areas(known[expired])

    # -- indicators ------------------------------------------------------------------------------
    ha = 1.0 / M2_PER_HA
    ind_ha = ind_m2 * ha
    values: dict[str, np.ndarray] = {
        "area_ha": area * ha,
        "ready_ha": ready_m2 * ha,
        "supplied_ha": supplied_m2 * ha,
        "built_ha": built_m2 * ha,
        "industrial_built_ha": ind_ha,
        "land_development_rate": _ratio(ready_m2, area),
        "land_supply_rate": _ratio(supplied_m2, ready_m2),
        "built_rate": _ratio(built_m2, supplied_m2),
        "industrial_land_rate": _ratio(ind_m2, built_m2),
        "composite_plot_ratio": _ratio(floor_m2, built_m2),
        "building_density": _ratio(cover_m2, built_m2),
        "industrial_plot_ratio": _ratio(ind_floor, ind_m2),
        "industrial_coverage": _ratio(ind_cover, ind_m2),
        "industrial_investment_intensity": _ratio(ind_invest, ind_ha),
        "industrial_output_intensity": _ratio(ind_rev, ind_ha),
        "industrial_tax_per_ha": _ratio(ind_tax, ind_ha),
        "composite_tax_per_ha": _ratio(all_tax, built_m2 * ha),
        "idle_disposal_rate": _ratio(disposed_m2, disposed_m2 + idle_m2),
    }
    for name, param in NATIONAL.items():
        values[f"{name}_national"] = np.full(n_units, float(getattr(cfg, param)))

    # -- potentials ------------------------------------------------------------------------------
    values["expansion_ha"] = expansion * ha
    values["expansion_industrial_ha"] = expansion_ind * ha
    gap = ideals["ideal_industrial_land_rate"] - np.nan_to_num(values["industrial_land_rate"])
    values["structure_ha"] = np.where(built_m2 > 0, np.maximum(0.0, gap) * built_m2 * ha, 0.0)
    for column, (indicator, param) in _INTENSITY.items():
        share = 1.0 - np.nan_to_num(values[indicator]) / ideals[param]
        values[column] = np.where(ind_m2 > 0, ind_ha * np.maximum(0.0, share), 0.0)
    values["management_idle_ha"] = take_back_m2 * ha
    values["management_expired_ha"] = expired_m2 * ha
    values["management_ha"] = (take_back_m2 + expired_m2) * ha
    per_year = supplied_window * ha / window
    values["supplied_per_year_ha"] = per_year
    values["years_of_supply_left"] = _ratio(expansion * ha, per_year)

    ids = _text(zones, "zone_id").to_numpy(dtype=object)
    out = pd.DataFrame({
        "zone_id": np.append(ids, COUNTY_ID),
        "name": np.append(_text(zones, "name").to_numpy(dtype=object), COUNTY_NAME),
        "parent_id": np.append(_text(zones, "parent_id").to_numpy(dtype=object), None),
        "year": pd.array([year] * n_units, dtype="Int64"),
        **values,
    })
    geometry = np.append(zgeoms, _multi(units.county))
    out = gpd.GeoDataFrame(out, geometry=gpd.GeoSeries(geometry, crs=crs), crs=crs)
    return conform(out, _LAYER)


# ---------------------------------------------------------------------------------------------
class _Units:
    """The result rows: zones 0 … n−1 and the county (index n, the union of the zones)."""

    def __init__(self, zgeoms: np.ndarray) -> None:
        self.zones = zgeoms
        self.n = len(zgeoms) + 1
        self.county = shapely.union_all(zgeoms)
        self._tree = shapely.STRtree(zgeoms)

    def members(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(item, row) pairs: every zone containing each point, and the county once for a point
        in any zone."""
        points = np.asarray(points, dtype=object)
        if len(points) == 0:
            return np.empty(0, dtype=int), np.empty(0, dtype=int)
        item, zone = self._tree.query(points, predicate="within")
        county = np.unique(item)
        return (np.concatenate([item, county]),
                np.concatenate([zone, np.full(len(county), self.n - 1)]))

    def sum_areas(self, rows: pd.DataFrame) -> np.ndarray:
        """Σ ``area_m2`` per result row of measured rows (contracts, ledger rows), each located
        by its representative point (``rep_x``, ``rep_y``)."""
        if len(rows) == 0:
            return np.zeros(self.n)
        item, row = self.members(points_at(rows["rep_x"], rows["rep_y"]))
        areas = np.nan_to_num(rows["area_m2"].to_numpy(dtype=float), nan=0.0)
        return np.bincount(row, areas[item], minlength=self.n)


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """num ÷ den, NaN (NA) where den is zero — never infinity."""
    num = np.asarray(num, dtype=float)
    den = np.asarray(den, dtype=float)
    ok = den > 0
    return np.where(ok, num / np.where(ok, den, 1.0), np.nan)


def _text(frame: pd.DataFrame, name: str) -> pd.Series:
    """A text column stripped, all NA when absent."""
    if name not in frame:
        return pd.Series(pd.NA, index=frame.index, dtype="str")
    return frame[name].astype("str").str.strip()


def _flag(frame: pd.DataFrame, name: str) -> np.ndarray:
    if name not in frame:
        return np.zeros(len(frame), dtype=bool)
    return frame[name].astype("boolean").fillna(False).to_numpy(dtype=bool)


def _dates(frame: pd.DataFrame, name: str) -> pd.Series:
    if name not in frame:
        return pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ms]")
    return pd.to_datetime(frame[name])


def _multi(geom):
    """The county geometry as a MultiPolygon (result layers store polygons as multipolygons)."""
    if shapely.get_type_id(geom) == 3:  # Polygon
        return shapely.multipolygons([geom])
    return geom


def _parcel_of(contracts: pd.DataFrame, pid: pd.Series, parcels: pd.DataFrame) -> np.ndarray:
    """Parcel position of each contract: by ``parcel_id``, else the parcel containing its
    representative point (measured: ``at_pid``, ``at_x``, ``at_y``)."""
    pos = _text(contracts, "parcel_id").map(
        unique_map(pid, pd.Series(np.arange(len(pid))))).astype("float64")
    pos = pos.fillna(-1).astype(int).to_numpy(copy=True)
    missing = np.flatnonzero(pos < 0)
    if len(missing):
        at = contracts.iloc[missing]
        pos[missing] = locate(at["at_pid"].to_numpy(dtype=object), at["at_x"], at["at_y"],
                              parcels)
    return pos


def _firms(table: pd.DataFrame, year: int) -> tuple[int | None, pd.DataFrame]:
    """The enterprise rows (of :func:`firm_measures`) of the latest year ≤ ``year`` present
    (one per credit code: the first)."""
    empty = pd.DataFrame({"code": pd.Series([], dtype=object), "tax": [], "revenue": [],
                          "pt_x": [], "pt_y": [], "at_pid": pd.Series([], dtype=object),
                          "at_x": [], "at_y": []})
    if table is None or len(table) == 0:
        return None, empty
    years = pd.to_numeric(table["year"], errors="coerce")
    past = years[years <= year]
    if past.notna().sum() == 0:
        return None, empty
    chosen = int(past.max())
    rows = table[(years == chosen).fillna(False).to_numpy(dtype=bool)]
    firms = pd.DataFrame({
        "code": _text(rows, "credit_code").to_numpy(dtype=object),
        "tax": np.nan_to_num(numeric_column(rows, "tax_wan"), nan=0.0),
        "revenue": np.nan_to_num(numeric_column(rows, "revenue_wan"), nan=0.0),
        "pt_x": rows["pt_x"].to_numpy(dtype=float), "pt_y": rows["pt_y"].to_numpy(dtype=float),
        "at_pid": rows["at_pid"].to_numpy(dtype=object),
        "at_x": rows["at_x"].to_numpy(dtype=float), "at_y": rows["at_y"].to_numpy(dtype=float),
    })
    firms = firms[pd.notna(firms["code"])]
    return chosen, firms[~firms["code"].duplicated(keep="first")].reset_index(drop=True)


def _locate_firms(firms: pd.DataFrame, parcels: pd.DataFrame, p_area: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Tax and revenue per parcel, and the firms located only at a point (their points, tax).

    Owned parcels first (split by area), else the parcel containing the firm's point, else the
    point itself."""
    n = len(parcels)
    tax = np.zeros(n)
    rev = np.zeros(n)
    if len(firms) == 0:
        return tax, rev, np.empty(0), np.empty(0), np.empty(0)
    f_tax = pd.Series(firms["tax"].to_numpy(), index=firms["code"].to_numpy())
    f_rev = pd.Series(firms["revenue"].to_numpy(), index=firms["code"].to_numpy())

    owner = _text(parcels, "owner_credit_code")
    owned = f_tax.index.get_indexer(owner.to_numpy(dtype=object)) >= 0
    pos = np.flatnonzero(owned)
    codes = owner.to_numpy(dtype=object)[pos]
    weight = pd.Series(p_area[pos])
    total = weight.groupby(codes).transform("sum").to_numpy()
    count = weight.groupby(codes).transform("size").to_numpy()
    share = np.where(total > 0, weight.to_numpy() / np.where(total > 0, total, 1.0), 1.0 / count)
    tax += np.bincount(pos, f_tax.reindex(codes).to_numpy() * share, minlength=n)
    rev += np.bincount(pos, f_rev.reindex(codes).to_numpy() * share, minlength=n)

    rest = firms[pd.Index(np.unique(codes)).get_indexer(firms["code"].to_numpy()) < 0]
    rest = rest[~(np.isnan(rest["pt_x"].to_numpy()) | np.isnan(rest["pt_y"].to_numpy()))]
    on = locate(rest["at_pid"].to_numpy(dtype=object), rest["at_x"], rest["at_y"], parcels)
    hit = on >= 0
    tax += np.bincount(on[hit], rest["tax"].to_numpy()[hit], minlength=n)
    rev += np.bincount(on[hit], rest["revenue"].to_numpy()[hit], minlength=n)
    return (tax, rev, rest["pt_x"].to_numpy()[~hit], rest["pt_y"].to_numpy()[~hit],
            rest["tax"].to_numpy()[~hit])
