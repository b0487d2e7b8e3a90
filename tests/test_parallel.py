"""Threads over the cores (gis/parallel.py): every helper gives what the one-thread
computation gives, in the same order, whatever the number of cores or chunks; an error in a
thread reaches the caller; a call from inside a worker thread does not wait on itself; and the
matcher's candidate attributes are the same computed in threads or in one."""

import threading

import numpy as np
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gis import parallel
from gis.matching import pool as pool_module
from layers.demo import DEMO_AS_OF, build_demo


@pytest.fixture
def many_threads(monkeypatch):
    """Three cores and chunks from a single item, whatever this machine has."""
    monkeypatch.setattr(parallel, "cores", lambda: 3)
    monkeypatch.setattr(parallel, "MIN_ITEMS", 1)
    monkeypatch.setattr(parallel, "_POOL", None)


@pytest.fixture
def one_core(monkeypatch):
    monkeypatch.setattr(parallel, "cores", lambda: 1)


@given(n=st.integers(0, 500), cores=st.integers(1, 9), min_items=st.integers(1, 200))
def test_blocks_and_round_robin_cover_each_index_once(n, cores, min_items):
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(parallel, "cores", lambda: cores)
        b = parallel.blocks(n, min_items=min_items)
        r = parallel.round_robin(n, min_items=min_items)
    flat = np.concatenate([np.arange(n)[s] for s in b])
    assert np.array_equal(flat, np.arange(n))  # contiguous, in order
    assert all(s.stop > s.start for s in b) or n == 0  # no block empty
    assert all(len(c) for c in r) or n == 0
    assert np.array_equal(np.sort(np.concatenate(r)), np.arange(n))
    single = n < min_items or cores == 1
    assert len(b) == (1 if single else min(cores, n))
    assert len(r) == (1 if single else min(4 * cores, n))


square = st.tuples(st.floats(0, 100), st.floats(0, 100), st.floats(0.5, 30))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(tree_boxes=st.lists(square, max_size=60), query_boxes=st.lists(square, max_size=40),
       predicate=st.sampled_from([None, "intersects", "contains", "within", "dwithin"]))
def test_query_gives_the_trees_pairs_in_its_order(many_threads, tree_boxes, query_boxes,
                                                  predicate):
    def geoms(boxes):
        return np.array([shapely.box(x, y, x + s, y + s) for x, y, s in boxes], dtype=object)

    tree = shapely.STRtree(geoms(tree_boxes))
    q = geoms(query_boxes)
    distance = 5.0 if predicate == "dwithin" else None
    expected = tree.query(q, predicate=predicate, distance=distance)
    got = parallel.query(tree, q, predicate, distance)
    assert got.dtype == expected.dtype
    assert np.array_equal(got, expected)


def test_threaded_keeps_each_value_in_place(many_threads):
    rng = np.random.default_rng(7)
    polys = shapely.buffer(shapely.points(rng.random((300, 2)) * 1000), rng.random(300) * 20 + 1)
    areas = parallel.threaded(shapely.area, polys)
    assert np.array_equal(areas, shapely.area(polys))
    points = parallel.threaded(shapely.point_on_surface, polys, dtype=object)
    assert points.dtype == object
    assert shapely.equals_exact(points, shapely.point_on_surface(polys), 0).all()


def test_an_error_in_a_chunk_reaches_the_caller(many_threads):
    def fail_on_third(chunk):
        if chunk == 2:
            raise ValueError("第三块出错 / chunk 2 failed")
        return chunk

    with pytest.raises(ValueError, match="chunk 2"):
        parallel.map_chunks(fail_on_third, [0, 1, 2, 3])
    assert parallel.map_chunks(lambda c: c * 10, [0, 1, 2, 3]) == [0, 10, 20, 30]


def test_a_worker_calling_map_chunks_does_not_wait_on_itself(monkeypatch):
    """One worker thread: the inner calls find it busy and run their chunks themselves."""
    monkeypatch.setattr(parallel, "cores", lambda: 2)
    monkeypatch.setattr(parallel, "_POOL", None)
    threads = set()

    def inner(c):
        threads.add(threading.current_thread().name)
        return c + 1

    def outer(c):
        return sum(parallel.map_chunks(inner, list(range(c, c + 5))))

    done = threading.Event()
    result = []

    def run():
        result.append(parallel.map_chunks(outer, [0, 10, 20]))
        done.set()

    threading.Thread(target=run, daemon=True).start()
    assert done.wait(20), "map_chunks deadlocked"
    assert result == [[15, 65, 115]]


def test_the_caller_takes_back_queued_chunks(monkeypatch):
    """With one worker thread and eight chunks, the calling thread does not wait behind the
    worker: it runs the first chunk and takes back queued ones while the worker runs others."""
    import time

    monkeypatch.setattr(parallel, "cores", lambda: 2)
    monkeypatch.setattr(parallel, "_POOL", None)
    caller = threading.current_thread().name
    ran_by = {}

    def slow(c):
        time.sleep(0.02)
        ran_by[c] = threading.current_thread().name
        return c

    assert parallel.map_chunks(slow, list(range(8))) == list(range(8))
    mine = sum(name == caller for name in ran_by.values())
    assert mine >= 2, ran_by  # about half; waiting on each chunk in turn gave 1


def test_together_returns_each_in_order_and_raises_any(many_threads):
    assert parallel.together(lambda: "a", lambda: "b", lambda: "c") == ["a", "b", "c"]
    with pytest.raises(KeyError):
        parallel.together(lambda: 1, lambda: {}["x"])
    with pytest.raises(ZeroDivisionError):
        parallel.together(lambda: 1 / 0, lambda: 1)


def test_a_forked_child_gets_its_own_workers(monkeypatch):
    monkeypatch.setattr(parallel, "cores", lambda: 2)
    monkeypatch.setattr(parallel, "_POOL", None)
    first = parallel._executor()
    assert parallel._executor() is first
    monkeypatch.setattr(parallel.os, "getpid", lambda: -1)  # as in a forked child
    assert parallel._executor() is not first


@pytest.fixture(scope="module")
def demo_pool():
    from gis.policy import Policy

    layers = build_demo()
    return layers, pool_module._gather(layers, DEMO_AS_OF, Policy.load())


def _arrays(demo_pool) -> dict:
    layers, gathered = demo_pool
    return pool_module.candidate_arrays(gathered.copy(), layers)


def test_candidate_attributes_the_same_in_threads(demo_pool, monkeypatch):
    """Zoning, red-line and net-area overlaps, flags and zone paths of every demo candidate:
    computed on one core, and in many chunks on three threads, equal to the bit."""
    with monkeypatch.context() as mp:
        mp.setattr(parallel, "cores", lambda: 1)
        one = _arrays(demo_pool)
    monkeypatch.setattr(parallel, "cores", lambda: 3)
    monkeypatch.setattr(parallel, "MIN_ITEMS", 1)
    monkeypatch.setattr(parallel, "_POOL", None)
    many = _arrays(demo_pool)
    assert one.keys() == many.keys()
    for key in one:
        if key == "zone_paths":
            assert one[key] == many[key]
        else:
            a, b = np.asarray(one[key]), np.asarray(many[key])
            assert a.dtype == b.dtype, key
            assert np.array_equal(a, b, equal_nan=a.dtype.kind == "f"), key
    # the demo is not trivial: red lines, penalized overlaps and zoning all occur
    assert (one["red_line_m2"] > 0).any()
    assert (one["net_area_mu"] < one["area_mu"]).any()
    assert (np.asarray(one["zoning_id"], dtype=object) != None).any()  # noqa: E711
