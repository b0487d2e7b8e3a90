"""Days and calendar arithmetic shared by the analyses: the ``as_of`` day, policy year
parameters as calendar offsets, what is known on a day, and ages in years.

>>> as_date("2026-09-30 15:00")
Timestamp('2026-09-30 00:00:00')
>>> as_date("2024-02-29") + years_offset(1, "idle.grace_years")  # a calendar anniversary
Timestamp('2025-02-28 00:00:00')
>>> years_offset(1.5, "idle.grace_years")
<DateOffset: months=18>
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from gis.errors import ValidationError

__all__ = ["as_date", "known_on", "years_between", "years_offset"]


def as_date(value: date | str | pd.Timestamp | np.datetime64) -> pd.Timestamp:
    """A day as a normalised Timestamp (ISO strings accepted).

    Parameters
    ----------
    value
        A ``date``, ``datetime``, ``Timestamp``, ``numpy.datetime64`` or ISO string. The time of
        day is dropped, and so is a time zone (the day is the one on the clock).

    Returns
    -------
    Timestamp
        Midnight of that day, without a time zone.

    Raises
    ------
    ValidationError
        ``value`` is missing (None, NaT, an empty string): "as_of is missing".
    TypeError
        ``value`` is not a date (a number, say).
    """
    if value is not None and not isinstance(value, (date, str, np.datetime64)):
        raise TypeError(f"as_of 须为日期 / as_of must be a date, got {value!r}")
    ts = pd.Timestamp(value) if value is not None else pd.NaT
    if ts is pd.NaT:
        raise ValidationError("未给出统计日期 as_of", "as_of is missing")
    if ts.tzinfo is not None:
        ts = ts.tz_localize(None)
    return ts.normalize()


def years_offset(n: float, name: str) -> pd.DateOffset:
    """A calendar offset of ``n`` years (whole months allowed: 1.5 → 18 months).

    Parameters
    ----------
    n
        The policy parameter's value, in years.
    name
        The parameter's qualified name (``"idle.grace_years"``), for the error message.

    Returns
    -------
    DateOffset
        ``years=n`` for whole years, else ``months=12 n``: adding it to a day gives the calendar
        anniversary (29 February → 28 February).

    Raises
    ------
    ValidationError
        ``n`` is negative or not a whole number of months.
    """
    months = float(n) * 12
    if not months.is_integer() or months < 0:
        raise ValidationError(f"政策参数 {name} 须为非负的整月数（年），实为 {n!r}",
                              f"policy parameter {name} must be a non-negative whole number "
                              f"of months (in years), got {n!r}")
    if float(n).is_integer():
        return pd.DateOffset(years=int(n))
    return pd.DateOffset(months=int(months))


def known_on(dates: pd.Series, day: pd.Timestamp) -> pd.Series:
    """Dates that had happened by ``day`` (later ones are NaT: not yet known)."""
    return dates.where(dates <= day)


def years_between(later: pd.Timestamp | pd.Series, earlier: pd.Series) -> pd.Series:
    """Whole days from ``earlier`` to ``later`` ÷ 365.25 (NaN where a date is missing)."""
    return (later - earlier).dt.days / 365.25
