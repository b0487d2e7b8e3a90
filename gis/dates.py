"""Days and calendar arithmetic shared by the analyses: the ``as_of`` day, policy year
parameters as calendar offsets, what is known on a day, and ages in years.

>>> as_date("2026-09-30 15:00")
Timestamp('2026-09-30 00:00:00')
>>> as_date("2024-02-29") + years_offset(1, "idle.grace_years")  # a calendar anniversary
Timestamp('2025-02-28 00:00:00')
>>> years_offset(1.5, "idle.grace_years")
<DateOffset: months=18>
>>> default_as_of(None, reference="2026-09-30")  # the demo county's reference day
Timestamp('2026-09-30 00:00:00')
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from gis.errors import ValidationError

__all__ = ["EARLIEST", "LATEST", "add_months", "as_date", "default_as_of", "known_on",
           "offset_months", "years_between", "years_offset"]

#: the days an analysis may be run at: earlier or later ones are typing mistakes (and
#: calendar arithmetic on year 1 fails)
EARLIEST, LATEST = pd.Timestamp("1900-01-01"), pd.Timestamp("2199-12-31")


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


def default_as_of(value: date | str | None = None, *, reference: str | None = None,
                  today: date | None = None, name: str = "as_of") -> pd.Timestamp:
    """The day an analysis is run at: ``value`` when given, else the workspace's reference day,
    else today. The rule of every face (the CLI's ``--as-of``, the service's ``as_of``).

    Parameters
    ----------
    value
        The day asked for: a ``date`` or a string ``pd.Timestamp`` reads (``YYYY-MM-DD``). None
        or a blank string means "not given".
    reference
        The workspace's reference day, if it has one (the demo county stores ``demo_as_of`` in
        its metadata: its data are made to be read on that day).
    today
        What "today" is (default: the clock's), for tests.
    name
        The option's name as the caller knows it (``"--as-of"``, ``"as_of"``), for messages.

    Returns
    -------
    Timestamp
        Midnight of the day, without a time zone.

    Raises
    ------
    ValidationError
        ``value`` is not a date, or lies outside :data:`EARLIEST` … :data:`LATEST`.

    Examples
    --------
    >>> default_as_of("2026-09-30", reference="2025-01-01")
    Timestamp('2026-09-30 00:00:00')
    >>> default_as_of("", today=date(2026, 1, 2))
    Timestamp('2026-01-02 00:00:00')
    >>> default_as_of("2026-02-30")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    gis.errors.ValidationError: as_of 不是有效日期：2026-02-30（应为 YYYY-MM-DD） / ...
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        if reference:
            return as_date(reference)
        return as_date(today if today is not None else date.today())
    try:
        day = as_date(value if isinstance(value, date) else pd.Timestamp(str(value).strip()))
    except (ValueError, TypeError, OverflowError):
        raise ValidationError(f"{name} 不是有效日期：{value}（应为 YYYY-MM-DD）",
                              f"{name} is not a valid date: {value} (YYYY-MM-DD)") from None
    if not EARLIEST <= day <= LATEST:
        first, last = EARLIEST.date().isoformat(), LATEST.date().isoformat()
        raise ValidationError(f"{name} 超出可计算的日期范围 {first} 至 {last}：{value}",
                              f"{name} lies outside the days analyses run at, {first} to "
                              f"{last}: {value}")
    return day


def offset_months(n: float, name: str) -> int:
    """The number of calendar months in ``n`` years (whole months allowed: 1.5 → 18).

    Parameters
    ----------
    n
        The policy parameter's value, in years.
    name
        The parameter's qualified name (``"idle.grace_years"``), for the error message.

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
    return int(months)


def years_offset(n: float, name: str) -> pd.DateOffset:
    """A calendar offset of ``n`` years (whole months allowed: 1.5 → 18 months).

    Returns
    -------
    DateOffset
        ``years=n`` for whole years, else ``months=12 n``: adding it to a day gives the calendar
        anniversary (29 February → 28 February). :func:`add_months` does the same on arrays.

    Raises
    ------
    ValidationError
        ``n`` is negative or not a whole number of months (:func:`offset_months`).
    """
    months = offset_months(n, name)
    if float(n).is_integer():
        return pd.DateOffset(years=int(n))
    return pd.DateOffset(months=months)


def add_months(days: np.ndarray, months: int) -> np.ndarray:
    """``days`` (``datetime64``) moved by whole calendar ``months``, the day of the month
    clipped to the end of the target month (31 January + 1 month = 28 or 29 February; 29
    February + 12 months = 28 February) and the time of day kept; NaT stays NaT.

    The same calendar as ``pandas.DateOffset(months=…)`` (and ``years=…``), on plain numpy
    arrays.

    >>> days = np.array(["2024-02-29", "2025-01-31", "NaT"], dtype="datetime64[D]")
    >>> add_months(days, 12).tolist(), add_months(days, 1)[1]
    ([datetime.date(2025, 2, 28), datetime.date(2026, 1, 31), None], np.datetime64('2025-02-28'))
    """
    days = np.asarray(days)
    unit = np.datetime_data(days.dtype)[0]
    month = days.astype("datetime64[M]")
    first = month.astype("datetime64[D]")
    day_of_month = days.astype("datetime64[D]") - first
    target = month + np.timedelta64(int(months), "M")
    length = (target + np.timedelta64(1, "M")).astype("datetime64[D]") - \
        target.astype("datetime64[D]")
    clipped = np.minimum(day_of_month, length - np.timedelta64(1, "D"))
    time_of_day = days - days.astype("datetime64[D]").astype(days.dtype)
    out = (target.astype("datetime64[D]") + clipped).astype(f"datetime64[{unit}]") + time_of_day
    return out


def known_on(dates: pd.Series, day: pd.Timestamp) -> pd.Series:
    """Dates that had happened by ``day`` (later ones are NaT: not yet known)."""
    return dates.where(dates <= day)


def years_between(later: pd.Timestamp | pd.Series, earlier: pd.Series) -> pd.Series:
    """Whole days from ``earlier`` to ``later`` ÷ 365.25 (NaN where a date is missing)."""
    return (later - earlier).dt.days / 365.25
