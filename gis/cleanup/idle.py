"""Idle land 闲置土地 (《闲置土地处置办法》国土资源部令第53号; DOMAIN.md §0.1, §1; issue 3).

:func:`idle` reads the supply contracts (``supplies``) as they stood on ``as_of`` and returns the
ledger of idle contracts and of contracts about to become idle (the watch list), one row per
contract, with the action the law prescribes. Every threshold comes from ``policy.idle``.

Rules
-----
Only what is known on ``as_of`` counts: a contract supplied after ``as_of`` is ignored, and an
``actual_start``, ``halted_on`` or ``actual_completion`` after ``as_of`` has not happened yet.

* Completed (``actual_completion`` ≤ as_of): never idle, never watched.
* Type A 未动工: not started and as_of ≥ ``agreed_start`` + ``grace_years`` (calendar
  anniversary; 29 Feb → 28 Feb). ``idle_since`` = that anniversary.
* Type B 动工后中止: started, halted on ``halted_on`` ≤ as_of, as_of ≥ ``halted_on`` +
  ``halt_years``, and developed area < ``developed_share_min`` × the supply's geometry area **or**
  invested < ``invested_share_min`` × ``total_investment_wan``. A test whose figures are missing
  (or whose base is zero) cannot be failed; when neither test can be evaluated the contract is not
  type B — 53号令 makes type B conditional on a measured shortfall, so a ledger gap is left to the
  investigator, not guessed.
* Action: enterprise cause, or none recorded (``unknown``) → ``levy_fee`` (fee = ``fee_rate`` ×
  ``price_wan``) from the first anniversary, ``take_back`` (fee 0) from the ``take_back_years``
  anniversary of the same date; government cause → ``negotiate`` with ``government_options``.
* Watch: not idle yet, but idle by the same rules on a day ``becomes_idle_on`` with
  as_of < becomes_idle_on ≤ as_of + ``watch_days``.

Decisions where the issue is silent
-----------------------------------
* A contract with ``halted_on`` but no ``actual_start`` (or a start after as_of) has not started:
  it is judged as type A.
* ``options`` is filled on ``negotiate`` rows only; watch rows of a government-caused contract
  keep their cause but no options (nothing is to be negotiated yet).
* ``becomes_idle_on`` is set on watch rows only, ``idle_since`` on idle rows only; ``halted_on``
  is shown as known on as_of (a halt dated later is left out).
* The year parameters may be whole months (``grace_years = 1.5`` → 18 months); any other
  fraction is refused. An optional supplies column the layer lacks is read as all blank.
* ``fee_wan`` is rounded to 4 decimals (1 元); ``overdue_years`` to 2, ``area_mu`` to 4.
* Ties are broken by ``supply_id`` so the order is deterministic.

>>> from layers.demo import DEMO_AS_OF, build_demo
>>> ledger = idle(build_demo()["supplies"], DEMO_AS_OF)
>>> sorted(ledger["action"].unique())
['levy_fee', 'negotiate', 'take_back', 'watch']
"""

from __future__ import annotations

from datetime import date

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import shapely

from gis.dates import add_months, as_date, offset_months
from gis.frames import arrow_text, numeric_column, text_array
from gis.policy import Policy
from gis.units import assert_area_crs, m2_to_mu
from layers import results

__all__ = ["idle", "sort_ledger"]

_RESULT = results["idle"]
_DATES = ("supplied_on", "agreed_start", "actual_start", "actual_completion", "halted_on")
_NAT = np.datetime64("NaT", "ms")
_DAY = np.timedelta64(1, "D")
_CAUSES = ("government", "enterprise", "unknown")
_ACTIONS = ("watch", "negotiate", "take_back", "levy_fee")
#: the ledger's fixed words as Arrow text, built once (a column is ``words.take(codes)``)
_CAUSE_WORDS = pa.array(_CAUSES, pa.large_string())
_ACTION_WORDS = pa.array(_ACTIONS, pa.large_string())
_TYPE_WORDS = pa.array(["A", "B"], pa.large_string())
#: the causes recorded in the layer, in the order of their codes (anything else: unknown)
_RECORDED_CAUSES = pa.array(_CAUSES[:2], pa.large_string())


def _texts(df: pd.DataFrame, name: str) -> pa.Array:
    """The text field ``name`` of every row as one Arrow array (all null when the layer lacks
    it)."""
    if name not in df:
        return pa.nulls(len(df), pa.large_string())
    return arrow_text(df[name])


def _dates(df: pd.DataFrame, name: str) -> np.ndarray:
    """The date field ``name`` of every row as ``datetime64[ms]`` (NaT: blank, or the layer
    lacks it)."""
    if name not in df:
        return np.full(len(df), _NAT)
    return df[name].to_numpy(dtype="datetime64[ms]")


def idle(supplies: gpd.GeoDataFrame, as_of: date | str | pd.Timestamp,
         policy: Policy | None = None) -> gpd.GeoDataFrame:
    """The idle-land ledger (idle rows and the watch list) of ``supplies`` on ``as_of``.

    Parameters
    ----------
    supplies
        The validated ``supplies`` layer in canonical dtypes, in a projected (Gauss-Krüger) CRS.
    as_of
        The day the ledger describes; later facts are ignored.
    policy
        Thresholds (``policy.idle``); the defaults when omitted.

    Returns
    -------
    GeoDataFrame
        Columns of the ``idle`` result layer in catalogue order plus geometry; ``zone_id`` and
        ``town`` are left NA for the caller. Idle rows first (``overdue_years`` descending), then
        watch rows (``becomes_idle_on`` ascending).

    Notes
    -----
    The rules run on plain numpy arrays of the few contracts :func:`_candidates` pre-selects;
    pandas only builds the ledger at the end (a county's ledger in a few milliseconds).
    """
    policy = policy if policy is not None else Policy.load()
    p = policy.idle
    day = as_date(as_of)
    grace = offset_months(p.grace_years, "idle.grace_years")
    halt = offset_months(p.halt_years, "idle.halt_years")
    take_back = offset_months(p.take_back_years, "idle.take_back_years")
    geoms = supplies.geometry.array
    assert_area_crs(geoms.crs)
    today = np.datetime64(day.to_datetime64(), "ms")
    horizon = today + np.timedelta64(int(p.watch_days), "D")

    all_dates = {name: _dates(supplies, name) for name in _DATES}
    pos = _candidates(all_dates, today, horizon, grace, halt)
    dates = {name: values[pos] for name, values in all_dates.items()}
    agreed = dates["agreed_start"]
    started = dates["actual_start"] <= today  # NaT compares False: not known, not happened
    completed = dates["actual_completion"] <= today
    halted_on = np.where(dates["halted_on"] <= today, dates["halted_on"], _NAT)
    open_ = ~completed

    # type A: not started; the clock runs from the agreed start
    a = open_ & ~started & ~np.isnat(agreed)
    # type B: started and halted; the clock runs from the halt, if the shortfall is measured
    area = shapely.area(np.asarray(geoms, dtype=object)[pos])
    developed = numeric_column(supplies, "developed_area_m2", pos)
    invested = numeric_column(supplies, "invested_wan", pos)
    total = numeric_column(supplies, "total_investment_wan", pos)
    with np.errstate(invalid="ignore"):  # NaN compares False: a test that cannot be failed
        short_area = (area > 0) & (developed < p.developed_share_min * area)
        short_invest = (total > 0) & (invested < p.invested_share_min * total)
    b = open_ & started & ~np.isnat(halted_on) & (short_area | short_invest)

    base = np.where(a, agreed, np.where(b, halted_on, _NAT))
    due = np.where(a, add_months(agreed, grace), np.where(b, add_months(halted_on, halt), _NAT))
    is_idle = due <= today
    keep = is_idle | ((due > today) & (due <= horizon))
    pos, a, base, due, is_idle = pos[keep], a[keep], base[keep], due[keep], is_idle[keep]
    area, halted_on, agreed = area[keep], halted_on[keep], agreed[keep]

    # cause: 0 government, 1 enterprise, 2 unknown (blank, or anything else)
    recorded = pc.index_in(_texts(supplies, "delay_cause").take(pos), value_set=_RECORDED_CAUSES)
    cause = recorded.fill_null(2).to_numpy(zero_copy_only=False)
    government = cause == 0
    taken = is_idle & ~government & (add_months(base, take_back) <= today)
    action = np.where(~is_idle, 0, np.where(government, 1, np.where(taken, 2, 3)))  # _ACTIONS
    price = numeric_column(supplies, "price_wan", pos)
    fee = np.where(action == 3, np.round(p.fee_rate * price, 4), 0.0)
    overdue = np.round(((today - base) // _DAY) / 365.25, 2)

    watch = ~is_idle
    supply_id = _texts(supplies, "supply_id").take(pos)
    # UTF-8 bytes: code point order, as pandas sorts
    by_id = pc.rank(supply_id, tiebreaker="dense")
    order = np.lexsort((np.asarray(by_id), np.where(watch, due, _NAT),
                        np.where(watch, 0.0, -overdue), watch))
    rows = pos[order]
    action = action[order]

    def text(name: str) -> pd.api.extensions.ExtensionArray:
        return text_array(_texts(supplies, name).take(rows))

    def blank() -> pd.api.extensions.ExtensionArray:  # one array per column (not copied)
        return text_array(pa.nulls(len(rows), pa.large_string()))

    columns = {
        "supply_id": text_array(supply_id.take(order)),
        "parcel_id": text("parcel_id"),
        "user_credit_code": text("user_credit_code"),
        "user_name": text("user_name"),
        "zone_id": blank(),
        "town": blank(),
        "idle_type": text_array(_TYPE_WORDS.take(np.where(a[order], 0, 1))),
        "agreed_start": agreed[order],
        "halted_on": halted_on[order],
        "idle_since": np.where(is_idle, due, _NAT)[order],
        "becomes_idle_on": np.where(watch, due, _NAT)[order],
        "overdue_years": overdue[order],
        "cause": text_array(_CAUSE_WORDS.take(cause[order])),
        "action": text_array(_ACTION_WORDS.take(action)),
        "options": text_array(pa.array([None, ";".join(p.government_options)], pa.large_string())
                              .take((action == 1).astype(np.intp))),
        "fee_wan": fee[order],
        "price_wan": price[order],
        "area_mu": np.round(m2_to_mu(area), 4)[order],
    }
    assert list(columns) == [f.name for f in _RESULT.fields]
    # the geometry array carries the CRS; naming its column is geopandas' cheapest constructor
    columns["geometry"] = geoms.take(rows)
    return gpd.GeoDataFrame(columns, geometry="geometry", copy=False)


#: the most a calendar offset in months moves a day less than the same offset taken back from
#: the later day (month-end clipping: 31 January + 1 month = 28 February)
_CLIP_SLACK = np.timedelta64(4, "D")


def _candidates(dates: dict[str, np.ndarray], today: np.datetime64, horizon: np.datetime64,
                grace: int, halt: int) -> np.ndarray:
    """Positions of the contracts that can be idle or watched on ``today``: supplied, not
    completed, and either not started with an agreed start at most ``grace`` months (plus the
    clipping slack) before ``horizon``, or started and halted at most ``halt`` months before it.

    A cheap, conservative pre-selection on plain arrays (a superset of the ledger's rows: the
    rules are applied exactly to these rows afterwards), so that the ledger never copies or
    measures the whole layer."""
    open_ = (dates["supplied_on"] <= today) & ~(dates["actual_completion"] <= today)
    started = dates["actual_start"] <= today
    a_latest = add_months(np.array([horizon]), -grace)[0] + _CLIP_SLACK
    b_latest = add_months(np.array([horizon]), -halt)[0] + _CLIP_SLACK
    a = ~started & (dates["agreed_start"] <= a_latest)
    halted = dates["halted_on"]
    b = started & (halted <= today) & (halted <= b_latest)
    return np.flatnonzero(open_ & (a | b))


def sort_ledger(ledger: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The ledger's order: idle rows first by ``overdue_years`` descending, then watch rows by
    ``becomes_idle_on``; ``supply_id`` breaks ties. Every row is judged on its own, so ledgers
    of several cells concatenated and sorted are the ledger of the whole."""
    ledger = ledger.reset_index(drop=True)
    is_idle = ledger["action"] != "watch"
    order = pd.DataFrame({
        "watch": ~is_idle,
        "overdue": -ledger["overdue_years"].where(is_idle, 0.0),
        "becomes": ledger["becomes_idle_on"],
        "supply_id": ledger["supply_id"],
    }).sort_values(["watch", "overdue", "becomes", "supply_id"], kind="stable")
    return ledger.loc[order.index].reset_index(drop=True)
