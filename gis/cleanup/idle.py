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

from gis.dates import as_date, known_on, years_between, years_offset
from gis.policy import Policy
from gis.schema import PANDAS_DTYPES, conform
from gis.units import area_m2, m2_to_mu
from layers import catalogue, results

__all__ = ["idle", "sort_ledger"]

_SUPPLIES = catalogue["supplies"]
_RESULT = results["idle"]


def _column(df: pd.DataFrame, name: str) -> pd.Series:
    """A supplies field in its canonical dtype, all NA when the layer does not carry it."""
    if name in df:
        return df[name]
    dtype = PANDAS_DTYPES[_SUPPLIES.field(name).dtype]
    # NA is not a float: a missing float column is NaN, other dtypes take their own missing value
    return pd.Series(None, index=df.index, dtype=object).astype(dtype)


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
    """
    policy = policy if policy is not None else Policy.load()
    p = policy.idle
    day = as_date(as_of)
    grace = years_offset(p.grace_years, "idle.grace_years")
    halt = years_offset(p.halt_years, "idle.halt_years")
    take_back = years_offset(p.take_back_years, "idle.take_back_years")
    horizon = day + pd.Timedelta(days=int(p.watch_days))

    df = supplies.iloc[_candidates(supplies, day, horizon, grace, halt)].reset_index(drop=True)
    agreed = _column(df, "agreed_start")
    started = known_on(_column(df, "actual_start"), day).notna()
    completed = known_on(_column(df, "actual_completion"), day).notna()
    halted_on = known_on(_column(df, "halted_on"), day)
    open_ = ~completed

    # type A: not started; the clock runs from the agreed start
    a = open_ & ~started & agreed.notna()
    a_due = (agreed + grace).where(a)
    # type B: started and halted; the clock runs from the halt, if the shortfall is measured
    area = area_m2(df.geometry)
    developed = _column(df, "developed_area_m2")
    invested = _column(df, "invested_wan")
    total = _column(df, "total_investment_wan")
    area_ok = developed.notna() & (area > 0)
    invest_ok = invested.notna() & total.notna() & (total > 0)
    short_area = area_ok & (developed < p.developed_share_min * area)
    short_invest = invest_ok & (invested < p.invested_share_min * total)
    b = open_ & started & halted_on.notna() & (short_area | short_invest)
    b_due = (halted_on + halt).where(b)

    kind = pd.Series(np.where(a, "A", np.where(b, "B", None)), index=df.index, dtype="str")
    base = agreed.where(a, halted_on.where(b))
    due = a_due.where(a, b_due)
    is_idle = due.notna() & (due <= day)
    is_watch = due.notna() & (due > day) & (due <= horizon)
    keep = is_idle | is_watch
    df, kind, base, due, is_idle = df[keep], kind[keep], base[keep], due[keep], is_idle[keep]

    raw_cause = _column(df, "delay_cause")
    cause = pd.Series(np.where(raw_cause.isin(["enterprise", "government"]),
                               raw_cause.astype(object), "unknown"),
                      index=df.index, dtype="str")
    government = cause == "government"
    taken = is_idle & ~government & ((base + take_back) <= day)
    action = np.select([~is_idle, government, taken], ["watch", "negotiate", "take_back"],
                       "levy_fee")
    price = _column(df, "price_wan")
    fee = (p.fee_rate * price).round(4).where(action == "levy_fee", 0.0)
    options = pd.Series(np.where(action == "negotiate", ";".join(p.government_options), None),
                        index=df.index, dtype="str")

    out = gpd.GeoDataFrame({
        "supply_id": _column(df, "supply_id"),
        "parcel_id": _column(df, "parcel_id"),
        "user_credit_code": _column(df, "user_credit_code"),
        "user_name": _column(df, "user_name"),
        "zone_id": pd.Series(pd.NA, index=df.index, dtype="str"),
        "town": pd.Series(pd.NA, index=df.index, dtype="str"),
        "idle_type": kind,
        "agreed_start": agreed.loc[df.index],
        "halted_on": halted_on.loc[df.index],
        "idle_since": due.where(is_idle),
        "becomes_idle_on": due.where(~is_idle),
        "overdue_years": years_between(day, base).round(2),
        "cause": cause,
        "action": pd.Series(action, index=df.index, dtype="str"),
        "options": options,
        "fee_wan": fee,
        "price_wan": price,
        "area_mu": m2_to_mu(area.loc[df.index]).round(4),
    }, geometry=df.geometry, crs=supplies.crs)

    return conform(sort_ledger(out), _RESULT)


#: the most a calendar offset in months moves a day less than the same offset taken back from
#: the later day (month-end clipping: 31 January + 1 month = 28 February)
_CLIP_SLACK = np.timedelta64(4, "D")


def _candidates(supplies: pd.DataFrame, day: pd.Timestamp, horizon: pd.Timestamp,
                grace: pd.DateOffset, halt: pd.DateOffset) -> np.ndarray:
    """Positions of the contracts that can be idle or watched on ``day``: supplied, not
    completed, and either not started with an agreed start at most ``grace`` (plus the clipping
    slack) before ``horizon``, or started and halted at most ``halt`` before it.

    A cheap, conservative pre-selection on plain arrays (a superset of the ledger's rows: the
    rules are applied exactly to these rows afterwards), so that the ledger never copies or
    measures the whole layer."""
    def days(name: str) -> np.ndarray:
        return _column(supplies, name).to_numpy(dtype="datetime64[ms]")

    today = np.datetime64(day.to_datetime64(), "ms")
    def known(name: str) -> np.ndarray:  # NaT compares False: a missing date is not known
        return days(name) <= today

    open_ = known("supplied_on") & ~known("actual_completion")
    started = known("actual_start")
    agreed, halted = days("agreed_start"), days("halted_on")
    a_latest = np.datetime64((horizon - grace).to_datetime64(), "ms") + _CLIP_SLACK
    b_latest = np.datetime64((horizon - halt).to_datetime64(), "ms") + _CLIP_SLACK
    a = ~started & (agreed <= a_latest)
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
