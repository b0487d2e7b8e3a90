"""Idle land 闲置 (gis/cleanup/idle.py): hand-built contracts with hand-computed expectations for
every rule of issue 3 and its edges, and the demo county recounted independently.

Unless a test says otherwise the day is 2026-09-30, the policy the defaults (grace 1 year,
take-back 2 years, fee 20 %, developed 1/3, invested 25 %, halt 1 year, watch 90 days), and every
contract a 200 m × 100 m box (20 000 m² = 30 亩) supplied on 2020-01-01 for 1 000 万元.
"""

from __future__ import annotations

import sys
from datetime import date, timedelta

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely.geometry import box

from gis.cleanup.idle import idle, sort_ledger
from gis.errors import CRSError, ValidationError
from gis.policy import Policy
from gis.schema import PANDAS_DTYPES, conform, empty_frame
from gis.validate import validate
from layers import catalogue, results
from layers.demo import DEMO_AS_OF, build_demo

X0, Y0 = 40_520_000.0, 3_353_000.0  # EPSG:4528, CGCS2000 3° zone 40
AS_OF = date(2026, 9, 30)
OPTIONS = "extend;adjust;temporary_use;paid_take_back;swap"
LOW = {"developed_area_m2": 1000.0, "invested_wan": 10.0, "total_investment_wan": 100.0}


def contract(sid: str, agreed_start: str | None = None, **kw) -> dict:
    row = {
        "supply_id": sid, "supplied_on": "2020-01-01", "method": "transfer",
        "land_use": "100101", "price_wan": 1000.0, "agreed_start": agreed_start or "2021-01-01",
        "agreed_completion": "2035-12-31", "parcel_id": f"P-{sid}", "user_name": f"{sid}公司",
        "actual_start": None, "actual_completion": None, "halted_on": None,
        "developed_area_m2": None, "invested_wan": None, "total_investment_wan": None,
        "delay_cause": "enterprise",
    }
    row.update(kw)
    return row


def halted(sid: str, halted_on: str, **kw) -> dict:
    """Started 2022-03-01 (agreed 2022-01-01), halted on ``halted_on``, far behind by default."""
    return contract(sid, "2022-01-01", actual_start="2022-03-01", halted_on=halted_on,
                    **{**LOW, **kw})


def supplies(*rows: dict) -> gpd.GeoDataFrame:
    """The rows as a validated supplies layer (canonical dtypes), 20 000 m² boxes side by side."""
    geoms = [box(X0 + 300 * i, Y0, X0 + 300 * i + 200, Y0 + 100) for i in range(len(rows))]
    frame = gpd.GeoDataFrame(pd.DataFrame(list(rows)), geometry=geoms, crs=4528)
    clean, report = validate(frame, "supplies")
    assert not report.rejected_rows, report.to_text()
    return clean


def run(*rows: dict, as_of=AS_OF, policy: Policy | None = None) -> dict[str, dict]:
    """The ledger rows by supply_id."""
    out = idle(supplies(*rows), as_of, policy)
    return {r["supply_id"]: r for r in out.to_dict("records")}


def ts(day: str) -> pd.Timestamp:
    return pd.Timestamp(day)


# -- type A: the anniversaries --------------------------------------------------------------


@pytest.mark.parametrize(("as_of", "action", "idle_since", "becomes", "fee", "overdue"), [
    # anniversary 2025-03-15 is 2 days ahead: watch; 363 / 365.25 = 0.9938
    ("2025-03-13", "watch", None, "2025-03-15", 0.0, 0.99),
    # the day before the first anniversary: not idle, on the watch list; 364 / 365.25 = 0.9966
    ("2025-03-14", "watch", None, "2025-03-15", 0.0, 1.0),
    # on the anniversary: idle, fee 20 % × 1 234.50 = 246.90; 365 / 365.25 = 0.9993
    ("2025-03-15", "levy_fee", "2025-03-15", None, 246.9, 1.0),
    # the day before the second anniversary: still the fee; 729 / 365.25 = 1.9959
    ("2026-03-14", "levy_fee", "2025-03-15", None, 246.9, 2.0),
    # on the second anniversary: take back without compensation, no fee; 730 / 365.25 = 1.9986
    ("2026-03-15", "take_back", "2025-03-15", None, 0.0, 2.0),
])
def test_type_a_first_and_second_anniversary(as_of, action, idle_since, becomes, fee, overdue):
    row = run(contract("A", "2024-03-15", price_wan=1234.5), as_of=as_of)["A"]
    assert row["idle_type"] == "A"
    assert row["action"] == action
    assert row["cause"] == "enterprise"
    assert row["fee_wan"] == pytest.approx(fee)
    assert row["overdue_years"] == overdue
    expected = {"idle_since": idle_since, "becomes_idle_on": becomes}
    for column, day in expected.items():
        assert row[column] is pd.NaT if day is None else row[column] == ts(day)
    assert pd.isna(row["options"])


def test_not_listed_long_before_the_anniversary():
    # agreed 2025-12-30: the anniversary 2026-12-30 is 91 days after 2026-09-30
    assert run(contract("A", "2025-12-30")) == {}


def test_government_cause_negotiates_with_the_lawful_options():
    got = run(contract("G4", "2022-01-10", delay_cause="government"),
              contract("G1", "2025-06-01", delay_cause="government"))
    for sid in ("G4", "G1"):  # past the second anniversary or not: always negotiate, no fee
        assert got[sid]["action"] == "negotiate"
        assert got[sid]["cause"] == "government"
        assert got[sid]["options"] == OPTIONS
        assert got[sid]["fee_wan"] == 0.0
    assert got["G4"]["idle_since"] == ts("2023-01-10")
    # 2022-01-10 → 2026-01-10 1 461 days, → 2026-09-30 263 more: 1 724 / 365.25 = 4.720
    assert got["G4"]["overdue_years"] == 4.72


def test_unknown_cause_is_treated_as_enterprise():
    got = run(contract("U1", "2025-06-01", delay_cause=None),
              contract("U2", "2024-06-01", delay_cause=None))
    assert got["U1"]["cause"] == got["U2"]["cause"] == "unknown"
    assert got["U1"]["action"] == "levy_fee"
    assert got["U1"]["fee_wan"] == pytest.approx(200.0)  # 20 % × 1 000
    assert got["U2"]["action"] == "take_back"  # 2024-06-01 + 2 years ≤ as_of
    assert got["U2"]["fee_wan"] == 0.0
    assert pd.isna(got["U2"]["options"])


def test_each_cause_is_coded_on_its_own_row():
    # a frame that was not validated may carry a cause outside the catalogue's two: unknown
    frame = supplies(contract("gov", "2022-01-10", delay_cause="government"),
                     contract("ent", "2022-01-10"),
                     contract("blank", "2022-01-10", delay_cause=None),
                     contract("other", "2022-01-10"))
    frame["delay_cause"] = pd.array(["government", "enterprise", None, "不可抗力"], dtype="str")
    got = {r["supply_id"]: r for r in idle(frame, AS_OF).to_dict("records")}
    assert {k: (r["cause"], r["action"]) for k, r in got.items()} == {
        "gov": ("government", "negotiate"), "ent": ("enterprise", "take_back"),
        "blank": ("unknown", "take_back"), "other": ("unknown", "take_back")}


def test_completed_contracts_are_never_idle():
    got = run(
        # halted once, far behind at the time, but completed since
        contract("done", "2021-01-01", actual_start="2021-02-01", halted_on="2021-06-01",
                 actual_completion="2022-06-01", developed_area_m2=0.0, invested_wan=0.0,
                 total_investment_wan=100.0),
        # completion recorded without a start date: still completed
        contract("done_nostart", "2021-01-01", actual_completion="2023-01-01"),
        # completion after as_of has not happened yet: halted 2024-01-01, idle since 2025-01-01,
        # take-back from 2026-01-01; 731 + 272 = 1 003 days / 365.25 = 2.746
        halted("later", "2024-01-01", actual_completion="2026-10-01"),
    )
    assert set(got) == {"later"}
    assert got["later"]["idle_type"] == "B"
    assert got["later"]["action"] == "take_back"
    assert got["later"]["idle_since"] == ts("2025-01-01")
    assert got["later"]["overdue_years"] == 2.75


def test_started_after_as_of_counts_as_not_started():
    got = run(contract("late", "2025-06-01", actual_start="2026-10-15"),
              contract("today", "2025-06-01", actual_start="2026-09-30"))
    assert set(got) == {"late"}  # started on as_of itself: started, and not halted
    assert got["late"]["idle_type"] == "A"
    assert got["late"]["action"] == "levy_fee"
    assert got["late"]["idle_since"] == ts("2026-06-01")


def test_halted_without_a_start_is_type_a():
    row = run(contract("H", "2023-06-01", halted_on="2024-01-01"))["H"]
    assert row["idle_type"] == "A"
    assert row["idle_since"] == ts("2024-06-01")
    assert row["action"] == "take_back"  # 2025-06-01 ≤ as_of
    assert row["halted_on"] == ts("2024-01-01")
    # 2023-06-01 → 2026-06-01 1 096 days, + 122: 1 218 / 365.25 = 3.335
    assert row["overdue_years"] == 3.33


# -- type B ---------------------------------------------------------------------------------


def test_halted_less_than_a_year():
    got = run(halted("B365", "2025-09-30"),  # anniversary today: idle
              halted("B364", "2025-10-01"),  # anniversary tomorrow: watch
              halted("B273", "2026-01-01"),  # anniversary in 93 days: not listed
              halted("Bfuture", "2026-12-01"))  # halted after as_of: not known yet
    assert set(got) == {"B365", "B364"}
    assert got["B365"]["action"] == "levy_fee"
    assert got["B365"]["idle_since"] == ts("2026-09-30")
    assert got["B365"]["fee_wan"] == pytest.approx(200.0)
    assert got["B364"]["action"] == "watch"
    assert got["B364"]["idle_type"] == "B"
    assert got["B364"]["becomes_idle_on"] == ts("2026-10-01")
    assert got["B364"]["overdue_years"] == 1.0  # 364 / 365.25 = 0.997
    assert got["B364"]["halted_on"] == ts("2025-10-01")


@pytest.mark.parametrize(("developed", "invested", "total", "is_idle"), [
    (6000.0, 50.0, 100.0, True),  # area only: 6 000 < 20 000 / 3 = 6 666.7; 50 % invested
    (10000.0, 20.0, 100.0, True),  # investment only: half developed, 20 % < 25 %
    (10000.0, 30.0, 100.0, False),  # neither
    (10000.0, 25.0, 100.0, False),  # exactly 25 % invested is not "below 25 %"
    (None, 20.0, 100.0, True),  # area unknown; investment fails
    (None, 30.0, 100.0, False),  # area unknown; investment passes
    (6000.0, None, 100.0, True),  # investment unknown; area fails
    (6000.0, 10.0, None, True),  # total unknown; area fails
    (10000.0, None, None, False),  # investment unknown; area passes
    (None, None, None, False),  # nothing measured: not type B
    (None, 0.0, 0.0, False),  # total investment 0: no share to compute
])
def test_type_b_share_tests(developed, invested, total, is_idle):
    got = run(halted("B", "2025-06-30", developed_area_m2=developed, invested_wan=invested,
                     total_investment_wan=total))
    assert ("B" in got) is is_idle
    if is_idle:
        row = got["B"]
        assert (row["idle_type"], row["action"]) == ("B", "levy_fee")
        assert row["idle_since"] == ts("2026-06-30")
        assert row["overdue_years"] == 1.25  # 365 + 92 = 457 days / 365.25 = 1.251
        assert row["agreed_start"] == ts("2022-01-01")


def test_type_b_second_anniversary_and_government():
    got = run(halted("B2", "2024-06-01"),  # halted + 2 years = 2026-06-01 ≤ as_of
              halted("B2day", "2024-10-01"),  # second anniversary tomorrow
              halted("Bgov", "2024-06-01", delay_cause="government"))
    assert got["B2"]["action"] == "take_back"
    assert got["B2"]["fee_wan"] == 0.0
    assert got["B2day"]["action"] == "levy_fee"
    assert got["Bgov"]["action"] == "negotiate"
    assert got["Bgov"]["options"] == OPTIONS


# -- calendar, dates known on as_of ---------------------------------------------------------


@pytest.mark.parametrize(("as_of", "action", "day"), [
    ("2025-02-27", "watch", "2025-02-28"),
    ("2025-02-28", "levy_fee", "2025-02-28"),  # 29 Feb + 1 year = 28 Feb
    ("2026-02-27", "levy_fee", "2025-02-28"),
    ("2026-02-28", "take_back", "2025-02-28"),
])
def test_29_february(as_of, action, day):
    got = run(contract("A", "2024-02-29"), halted("B", "2024-02-29"), as_of=as_of)
    for sid in ("A", "B"):
        assert got[sid]["action"] == action
        when = got[sid]["becomes_idle_on" if action == "watch" else "idle_since"]
        assert when == ts(day)


def test_supplied_after_as_of_is_ignored():
    rows = (contract("next", "2024-01-01", supplied_on="2026-10-01"),
            contract("today", "2024-01-01", supplied_on="2026-09-30"))
    assert set(run(*rows)) == {"today"}
    got = run(*rows, as_of="2026-10-01")
    assert set(got) == {"next", "today"}
    assert got["next"]["action"] == "take_back"


def test_overdue_years():
    got = run(contract("A", "2023-01-01"), halted("B", "2025-06-30"))
    # 2023-01-01 → 2026-01-01 1 096 days, + 272: 1 368 / 365.25 = 3.745
    assert got["A"]["overdue_years"] == 3.75
    # from the halt, not from the agreed start: 457 / 365.25 = 1.251
    assert got["B"]["overdue_years"] == 1.25


def test_watch_window_boundaries():
    # as_of + 90 days = 2026-12-29
    got = run(contract("A90", "2025-12-29"), contract("A91", "2025-12-30"),
              halted("B90", "2025-12-29"), halted("B91", "2025-12-30"))
    assert set(got) == {"A90", "B90"}
    for sid in ("A90", "B90"):
        row = got[sid]
        assert row["action"] == "watch"
        assert row["becomes_idle_on"] == ts("2026-12-29")
        assert row["idle_since"] is pd.NaT
        assert row["fee_wan"] == 0.0
        assert row["overdue_years"] == 0.75  # 275 / 365.25 = 0.753


def test_watch_rows_of_government_contracts_carry_no_options():
    row = run(contract("G", "2025-11-01", delay_cause="government"))["G"]
    assert (row["action"], row["cause"]) == ("watch", "government")
    assert pd.isna(row["options"])


def test_policy_override_changes_results():
    rows = (contract("fee", "2025-06-01"),
            contract("w30", "2025-10-30"),  # idle on 2026-10-30 = as_of + 30
            contract("w31", "2025-10-31"))  # idle on 2026-10-31 = as_of + 31
    default = run(*rows)
    assert set(default) == {"fee", "w30", "w31"}
    assert default["fee"]["fee_wan"] == pytest.approx(200.0)
    local = run(*rows, policy=Policy.load(overrides={"idle": {"watch_days": 30,
                                                              "fee_rate": 0.1}}))
    assert set(local) == {"fee", "w30"}
    assert local["fee"]["fee_wan"] == pytest.approx(100.0)  # 10 % × 1 000


def test_policy_years_in_whole_months():
    rows = (contract("A", "2025-03-30"),)  # 18 months before as_of
    assert run(*rows)["A"]["action"] == "levy_fee"
    got = run(*rows, policy=Policy.load(overrides={"idle": {"grace_years": 1.5}}))
    assert got["A"]["idle_since"] == ts("2026-09-30")
    with pytest.raises(ValidationError, match="grace_years"):
        run(*rows, policy=Policy.load(overrides={"idle": {"grace_years": 1.3}}))


# -- the frame --------------------------------------------------------------------------------


def test_layout_order_and_purity():
    frame = supplies(
        contract("watch_late", "2025-12-01"),
        contract("idle_1y", "2025-06-01"),
        contract("watch_soon", "2025-10-10"),
        contract("idle_3y", "2023-06-01", delay_cause="government"),
        contract("busy", "2021-01-01", actual_start="2021-02-01"),
    )
    before = frame.copy()
    out = idle(frame, AS_OF)
    pd.testing.assert_frame_equal(frame, before)
    layer = results["idle"]
    assert list(out.columns) == [*layer.field_names, "geometry"]
    for f in layer.fields:
        assert str(out[f.name].dtype) == PANDAS_DTYPES[f.dtype], f.name
    assert isinstance(out, gpd.GeoDataFrame)
    assert out.crs.to_epsg() == 4528
    assert list(out.index) == list(range(len(out)))
    # idle by overdue_years descending, then watch by becomes_idle_on
    assert list(out["supply_id"]) == ["idle_3y", "idle_1y", "watch_soon", "watch_late"]
    assert out["zone_id"].isna().all() and out["town"].isna().all()
    assert (out["area_mu"] == 30.0).all()  # 20 000 m² × 3 / 2 000
    assert (out["price_wan"] == 1000.0).all()
    assert list(out["parcel_id"]) == ["P-idle_3y", "P-idle_1y", "P-watch_soon", "P-watch_late"]
    assert out["user_name"].iloc[0] == "idle_3y公司"
    assert out.geometry.iloc[0].equals(frame.geometry.iloc[3])


def test_as_of_as_date_string_or_timestamp():
    frame = supplies(contract("A", "2025-06-01"), contract("W", "2025-11-01"))
    first = idle(frame, AS_OF)
    pd.testing.assert_frame_equal(first, idle(frame, "2026-09-30"))
    pd.testing.assert_frame_equal(first, idle(frame, pd.Timestamp("2026-09-30 15:00")))


def test_empty_layer_gives_an_empty_ledger():
    out = idle(empty_frame(catalogue["supplies"], crs=4528), AS_OF)
    assert len(out) == 0
    assert list(out.columns) == [*results["idle"].field_names, "geometry"]


def test_areas_refused_in_degrees():
    frame = supplies(contract("A", "2025-06-01")).to_crs(4490)
    with pytest.raises(CRSError):
        idle(frame, AS_OF)


# -- the demo county --------------------------------------------------------------------------


def _add_years(d: date, n: int) -> date:
    try:
        return d.replace(year=d.year + n)
    except ValueError:  # 29 February
        return d.replace(year=d.year + n, day=28)


def recount(s: gpd.GeoDataFrame, as_of: date) -> dict[str, tuple[str, str]]:
    """supply_id → (idle_type, action), straight from the raw columns, one contract at a time."""

    def known(value) -> date | None:
        return value.date() if pd.notna(value) and value.date() <= as_of else None

    out = {}
    for r in s.itertuples():
        if r.supplied_on.date() > as_of or known(r.actual_completion):
            continue
        if known(r.actual_start) is None:
            kind, base = "A", r.agreed_start.date()
        elif known(r.halted_on) is not None:
            tests = []
            if pd.notna(r.developed_area_m2):
                tests.append(r.developed_area_m2 < r.geometry.area / 3)
            if pd.notna(r.invested_wan) and pd.notna(r.total_investment_wan) \
                    and r.total_investment_wan > 0:
                tests.append(r.invested_wan < 0.25 * r.total_investment_wan)
            if not any(tests):
                continue
            kind, base = "B", known(r.halted_on)
        else:
            continue
        first = _add_years(base, 1)
        if first > as_of:
            if first <= as_of + timedelta(days=90):
                out[r.supply_id] = (kind, "watch")
            continue
        if r.delay_cause == "government" if isinstance(r.delay_cause, str) else False:
            action = "negotiate"
        elif _add_years(base, 2) <= as_of:
            action = "take_back"
        else:
            action = "levy_fee"
        out[r.supply_id] = (kind, action)
    return out


@pytest.fixture(scope="module")
def demo_supplies() -> gpd.GeoDataFrame:
    return build_demo()["supplies"]


def test_demo_county_has_every_case(demo_supplies):
    out = idle(demo_supplies, DEMO_AS_OF)
    assert set(out["action"]) == {"levy_fee", "take_back", "negotiate", "watch"}
    idle_rows = out[out["action"] != "watch"]
    assert set(idle_rows["idle_type"]) == {"A", "B"}
    assert set(out.loc[out["action"] == "watch", "idle_type"]) == {"A", "B"}
    assert set(idle_rows["cause"]) == {"enterprise", "government", "unknown"}
    # the demo's edges: idle on the anniversary itself, and idle tomorrow
    assert (idle_rows["idle_since"] == pd.Timestamp(DEMO_AS_OF)).any()
    assert (out["becomes_idle_on"] == pd.Timestamp(DEMO_AS_OF + timedelta(days=1))).any()

    expected = recount(demo_supplies, DEMO_AS_OF)
    got = {r.supply_id: (r.idle_type, r.action) for r in out.itertuples()}
    assert got == expected
    counts = pd.Series(list(expected.values())).value_counts()
    assert counts.to_dict() == out.groupby(["idle_type", "action"]).size().to_dict()

    fee = idle_rows[idle_rows["action"] == "levy_fee"]
    assert (fee["fee_wan"] - 0.2 * fee["price_wan"]).abs().max() < 1e-4
    assert (out.loc[out["action"] != "levy_fee", "fee_wan"] == 0).all()
    assert (out.loc[out["action"] == "negotiate", "options"] == OPTIONS).all()
    overdue = idle_rows["overdue_years"].to_numpy()
    assert (overdue[:-1] >= overdue[1:]).all()
    assert out.loc[out["action"] == "watch", "becomes_idle_on"].is_monotonic_increasing


@pytest.mark.parametrize("as_of", ["2025-12-31", "2026-06-30", DEMO_AS_OF, "2028-03-31"])
def test_ledger_order_and_dtypes_are_the_layer_contract(demo_supplies, as_of):
    """idle() builds its ledger on plain arrays: its rows come in sort_ledger's order (which the
    partitioned engine applies to concatenated cells) and its columns in the result layer's
    canonical dtypes, on days with idle and watch rows of every kind."""
    ledger = idle(demo_supplies, as_of)
    assert set(ledger["action"]) == {"watch", "levy_fee", "negotiate", "take_back"}
    assert set(ledger["idle_type"]) == {"A", "B"}
    pd.testing.assert_frame_equal(ledger, sort_ledger(ledger))
    pd.testing.assert_frame_equal(ledger, conform(ledger, results["idle"]))
    shuffled = idle(demo_supplies.sample(frac=1.0, random_state=7), as_of)
    pd.testing.assert_frame_equal(ledger, shuffled)


def test_supplies_without_optional_columns_are_read_as_blank():
    """A bureau's supplies layer that lacks every optional column (no investment figures, no
    halts, no causes) still gives the type A ledger."""
    import geopandas as gpd
    from shapely.geometry import box

    from gis.validate import validate

    frame = gpd.GeoDataFrame(
        {"supply_id": ["S1"], "supplied_on": ["2019-01-01"], "method": ["出让"],
         "land_use": ["100102"], "price_wan": [100.0], "agreed_start": ["2019-06-01"],
         "agreed_completion": ["2021-06-01"]},
        geometry=[box(40_520_000, 3_353_000, 40_520_100, 3_353_100)], crs=4528)
    supplies, _ = validate(frame, "supplies")
    ledger = idle(supplies, "2020-07-01")
    assert ledger["action"].tolist() == ["levy_fee"]
    assert ledger["fee_wan"].tolist() == [20.0]
    assert ledger["cause"].tolist() == ["unknown"]


# -- the pre-selection ------------------------------------------------------------------------
_SHIFT = st.integers(-6, 6)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(st.tuples(_SHIFT, st.booleans(), st.none() | _SHIFT, st.booleans()),
                     min_size=1, max_size=12),
       as_of=st.sampled_from([date(2026, 2, 28), date(2026, 3, 31), date(2024, 2, 29),
                              date(2026, 9, 30), date(2025, 12, 31), date(2026, 11, 30)]),
       months=st.sampled_from([12, 18, 13, 6]))
def test_pre_selection_never_drops_a_ledger_row(rows, as_of, months, monkeypatch_module):
    """The cheap pre-selection of contracts keeps every contract the rules list, month-end
    clipping included: with agreed starts and halts a few days either side of the watch
    horizon's anniversary, the ledger equals the ledger computed on every supplied contract."""
    module = sys.modules["gis.cleanup.idle"]
    edge = pd.Timestamp(as_of) + pd.Timedelta(days=90) - pd.DateOffset(months=months)

    def day(shift):
        return None if shift is None else (edge + pd.Timedelta(days=shift)).date().isoformat()

    records = [contract(f"S{i}", day(shift), actual_start="2018-01-02" if started else None,
                        halted_on=day(halt), actual_completion="2030-01-01" if done else None,
                        **LOW)
               for i, (shift, started, halt, done) in enumerate(rows)]
    frame = conform(gpd.GeoDataFrame(pd.DataFrame(records), geometry=[
        box(X0 + 300 * i, Y0, X0 + 300 * i + 200, Y0 + 100) for i in range(len(records))],
        crs=4528), catalogue["supplies"])
    policy = Policy.load(overrides={"idle": {"grace_years": months / 12,
                                             "halt_years": months / 12}})
    fast = idle(frame, as_of, policy)
    with monkeypatch_module.context() as m:
        m.setattr(module, "_candidates",
                  lambda dates, today, *a: np.flatnonzero(dates["supplied_on"] <= today))
        slow = idle(frame, as_of, policy)
    pd.testing.assert_frame_equal(fast, slow)


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as m:
        yield m
