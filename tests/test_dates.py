"""Calendar arithmetic on arrays (gis.dates.add_months) against pandas' DateOffset."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from gis.dates import add_months, offset_months, years_offset
from gis.errors import ValidationError


def _pandas(days: np.ndarray, months: int) -> np.ndarray:
    offset = pd.DateOffset(years=months // 12) if months % 12 == 0 else \
        pd.DateOffset(months=months)
    return (pd.Series(days) + offset).to_numpy(dtype="datetime64[ms]")


@given(days=st.lists(st.none() | st.dates(min_value=date(1900, 1, 1),
                                           max_value=date(2199, 12, 31)), max_size=30),
       months=st.integers(-240, 240))
def test_add_months_is_pandas_calendar(days, months):
    """Month ends clip (31 Jan + 1 month = 28/29 Feb; 29 Feb + 1 year = 28 Feb), NaT stays."""
    arr = np.array([np.datetime64("NaT") if d is None else np.datetime64(d) for d in days],
                   dtype="datetime64[ms]")
    ours = add_months(arr, months)
    theirs = _pandas(arr, months)
    assert ours.dtype == arr.dtype
    assert np.array_equal(np.isnat(ours), np.isnat(arr))
    assert (ours[~np.isnat(ours)] == theirs[~np.isnat(theirs)]).all()


@pytest.mark.parametrize(("day", "months", "expected"), [
    ("2024-01-31", 1, "2024-02-29"),
    ("2025-01-31", 1, "2025-02-28"),
    ("2024-02-29", 12, "2025-02-28"),
    ("2024-02-29", 48, "2028-02-29"),
    ("2026-03-31", -1, "2026-02-28"),
    ("2026-09-30", 18, "2028-03-30"),
])
def test_add_months_by_hand(day, months, expected):
    out = add_months(np.array([day], dtype="datetime64[ms]"), months)
    assert out[0] == np.datetime64(expected, "ms")


def test_time_of_day_is_kept():
    out = add_months(np.array(["2025-01-31T15:30"], dtype="datetime64[ms]"), 1)
    assert out[0] == np.datetime64("2025-02-28T15:30", "ms")


@pytest.mark.parametrize(("years", "months"), [(2, 24), (1.5, 18), (0, 0), (0.25, 3)])
def test_offset_months(years, months):
    assert offset_months(years, "idle.grace_years") == months
    assert pd.Timestamp("2024-02-29") + years_offset(years, "x") == pd.Timestamp(
        add_months(np.array(["2024-02-29"], dtype="datetime64[ms]"), months)[0])


@pytest.mark.parametrize("years", [-1, 1.01, 0.1])
def test_offset_months_refuses_fractions_and_negatives(years):
    with pytest.raises(ValidationError, match="整月数"):
        offset_months(years, "idle.grace_years")
