"""The partitioned engine's map step keeps only the measure rows and columns its reduce reads
(gis.partition.cleanup_rows, evaluation_rows): judging the kept rows gives exactly what judging
every row gives, whatever the cells that chose them.

The demo county is given the bad data that makes each rule matter: a contract naming a parcel
far from its own (which nobody owns and which meets no zone), a tenancy on a parcel nobody owns.
"""

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gis.cleanup import cleanup_measures
from gis.cleanup.idle import idle
from gis.cleanup.lowefficiency import low_efficiency
from gis.evaluation import evaluation_measures
from gis.evaluation.permu import classes, permu
from gis.evaluation.zone import (
    ZoneMeasures,
    firm_measures,
    ledger_measures,
    supply_measures,
    zone_indicators,
)
from gis.measures import canonical, tenancy_hosts
from gis.partition import _UNREAD, _near_zone, cleanup_rows, evaluation_rows, grid, named_ids
from gis.policy import Policy
from layers.demo import DEMO_AS_OF, build_demo

DAY = pd.Timestamp(DEMO_AS_OF)


@pytest.fixture(scope="module")
def county():
    """The demo layers with a far-named contract and a tenancy on an unowned parcel."""
    d = {k: v.copy() for k, v in build_demo().items() if isinstance(v, pd.DataFrame)}
    parcels, supplies, zones = d["parcels"], d["supplies"], d["zones"]
    near = _near_zone(parcels, zones)
    owner = parcels["owner_credit_code"].astype("str").str.strip()
    hosts = parcels["parcel_id"].isin(tenancy_hosts(d["tenancies"]))
    lone = np.flatnonzero(~near & owner.isna().to_numpy() & ~hosts.to_numpy())
    assert len(lone) >= 2
    # an invested contract on industrial land in a zone that names a lone parcel far away:
    # the indicators place it (and its investment) on that parcel, not on the parcel under it
    under = parcels.set_index("parcel_id").reindex(supplies["parcel_id"])
    chosen = np.flatnonzero(
        _near_zone(supplies, zones)
        & (supplies["supplied_on"] <= DAY).fillna(False).to_numpy(dtype=bool)
        & (supplies["invested_wan"] > 0).fillna(False).to_numpy(dtype=bool)
        & under["land_use"].astype("str").str.startswith(("10", "11"), na=False).to_numpy()
        & (under["status"] == "supplied").fillna(False).to_numpy(dtype=bool))
    assert len(chosen)
    supplies.loc[supplies.index[chosen[0]], "parcel_id"] = parcels["parcel_id"].iloc[lone[0]]
    # a tenancy on another lone parcel: its host is read although nobody owns it
    tenancies = d["tenancies"]
    extra = tenancies.iloc[[0]].copy()
    extra["parcel_id"] = parcels["parcel_id"].iloc[lone[1]]
    d["tenancies"] = pd.concat([tenancies, extra], ignore_index=True)
    # a firm's shop: owned, not industrial — in the firm's 亩均 land, not on the low list
    firm = parcels["owner_credit_code"].isin(d["enterprises"]["credit_code"]).to_numpy()
    parcels.loc[parcels.index[np.flatnonzero(firm)[0]], "land_use"] = "0901"
    d["policy"] = Policy.load()
    return d


def cut(table: pd.DataFrame, bounds, k: int, order: list[int], choose) -> pd.DataFrame:
    """The table cut into the ``k`` cells of a grid by representative point, each cell
    choosing its rows (``choose(part, positions)``), put together in the order given."""
    cells = grid(bounds, k)
    parts = []
    for i in order:
        cell = cells[i % len(cells)]
        at = np.flatnonzero(cell.holds(table["rep_x"], table["rep_y"]))
        part = table.iloc[at].reset_index(drop=True)
        parts.append(part[choose(part, at)])
    seen = {i % len(cells) for i in order}
    assert seen == set(range(len(cells))), "every cell once"
    return pd.concat(parts, ignore_index=True)


def cells_order(k: int, seed: int) -> list[int]:
    n = len(grid((0.0, 0.0, 1.0, 1.0), k))
    return list(np.random.default_rng(seed).permutation(n))


def assert_frames_equal(a: pd.DataFrame, b: pd.DataFrame) -> None:
    assert list(a.columns) == list(b.columns)
    pd.testing.assert_frame_equal(pd.DataFrame(a).reset_index(drop=True),
                                  pd.DataFrame(b).reset_index(drop=True), check_exact=True)


@settings(max_examples=4, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(k=st.integers(1, 9), seed=st.integers(0, 1000))
def test_cleanup_rows_give_the_same_low_efficiency_list(county, k, seed):
    d, policy = county, county["policy"]
    full = cleanup_measures(d["parcels"], d["buildings"], d["zoning"],
                            tenancy_hosts(d["tenancies"]), policy, geometry=False)
    pruned = cut(full, d["parcels"].total_bounds, k, cells_order(k, seed),
                 lambda part, at: cleanup_rows(part, d["tenancies"][["parcel_id"]], policy))
    pruned = pruned.drop(columns=list(_UNREAD["cleanup"]))
    assert len(pruned) < 0.6 * len(full)  # the point: most parcels are read by nobody
    year = int(d["enterprises"]["year"].max())

    def judge(measures):
        evaluation = permu(d["enterprises"], None, d["tenancies"], policy, year=year,
                           measures=measures)
        low = low_efficiency(None, None, d["enterprises"], d["tenancies"], None, DAY, policy,
                             permu=classes(evaluation), measures=measures)
        return evaluation.enterprises, low

    (c1, l1), (c2, l2) = judge(full), judge(pruned)
    assert len(c1) > 0 and len(l1) > 0
    assert_frames_equal(c1, c2)
    assert_frames_equal(l1.drop(columns="geometry"), l2.drop(columns="geometry"))


@settings(max_examples=4, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(k=st.integers(1, 9), seed=st.integers(0, 1000))
def test_evaluation_rows_give_the_same_evaluation_and_indicators(county, k, seed):
    d, policy = county, county["policy"]
    parcels, zones = d["parcels"], d["zones"]
    hosts = tenancy_hosts(d["tenancies"])
    full = evaluation_measures(parcels, d["buildings"], zones, d.get("approvals"), hosts, DAY,
                               policy, geometry=False)
    supplies = supply_measures(d["supplies"], parcels)
    contract = supplies["parcel_id"].astype("str").str.strip()
    near = _near_zone(parcels, zones)
    pruned = cut(full, parcels.total_bounds, k, cells_order(k, seed),
                 lambda part, at: evaluation_rows(
                     part, d["tenancies"][["parcel_id"]], near_zone=near[at],
                     named=named_ids(contract), named_missing=bool(contract.isna().any())))
    pruned = pruned.drop(columns=list(_UNREAD["evaluation"]))
    assert len(pruned) < len(full)
    year = int(d["enterprises"]["year"].max())
    ledger = ledger_measures(idle(d["supplies"], DAY, policy))
    firms = firm_measures(d["enterprises"], parcels)

    def judge(measures):
        evaluation = permu(d["enterprises"], None, d["tenancies"], policy, year=year,
                           zones=zones, measures=measures)
        table = zone_indicators(zones, None, None, None, d["enterprises"], DAY, policy,
                                measures=ZoneMeasures(parcels=measures, supplies=supplies,
                                                      ledger=ledger, firms=firms))
        return evaluation, table

    (e1, z1), (e2, z2) = judge(full), judge(pruned)
    assert len(e1.enterprises) > 0 and len(e1.parcels) > 0
    assert_frames_equal(e1.enterprises, e2.enterprises)
    assert_frames_equal(e1.parcels.drop(columns="geometry"), e2.parcels.drop(columns="geometry"))
    pd.testing.assert_frame_equal(e1.zones, e2.zones, check_exact=True)
    pd.testing.assert_frame_equal(e1.towns, e2.towns, check_exact=True)
    assert e1.benchmarks == e2.benchmarks
    assert_frames_equal(z1.drop(columns="geometry"), z2.drop(columns="geometry"))


def test_the_far_named_contract_matters(county):
    """The bad data is not idle: placed by its point instead of by the parcel it names, the
    contract changes the indicators (so the tests above see the contract rule at work)."""
    d, policy = county, county["policy"]
    parcels, zones = d["parcels"], d["zones"]
    full = evaluation_measures(parcels, d["buildings"], zones, d.get("approvals"),
                               tenancy_hosts(d["tenancies"]), DAY, policy, geometry=False)
    supplies = supply_measures(d["supplies"], parcels)
    named = supplies["parcel_id"].astype("str").str.strip()
    lone = ~evaluation_rows(full, d["tenancies"][["parcel_id"]],
                            near_zone=_near_zone(parcels, zones),
                            named=named_ids(named.iloc[0:0]), named_missing=False)
    without = canonical(full[~(lone & full["parcel_id"].isin(named).to_numpy())])
    args = (zones, None, None, None, d["enterprises"], DAY, policy)
    extra = {"ledger": ledger_measures(idle(d["supplies"], DAY, policy)),
             "firms": firm_measures(d["enterprises"], parcels), "supplies": supplies}
    a = zone_indicators(*args, measures=ZoneMeasures(parcels=full, **extra))
    b = zone_indicators(*args, measures=ZoneMeasures(parcels=without, **extra))
    assert not a.drop(columns="geometry").equals(b.drop(columns="geometry"))


def test_measure_columns_left_out_are_read_by_nobody():
    """A column left out in the map step is one the reduce never reads: the judging code
    names none of them (a rename would have to update _UNREAD)."""
    import inspect

    import gis.cleanup.lowefficiency as low
    import gis.evaluation.permu as per
    import gis.evaluation.zone as zone

    cleanup_src = inspect.getsource(low) + inspect.getsource(per)
    evaluation_src = inspect.getsource(per) + inspect.getsource(zone)
    for column in _UNREAD["cleanup"]:
        assert f'"{column}"' not in cleanup_src, column
    for column in _UNREAD["evaluation"]:
        assert f'"{column}"' not in evaluation_src, column
