"""gis.index.LiveIndex: after any sequence of updates, a query equals brute force over the
current boxes; boxes without a geometry (NaN) are left out; only what changed is touched."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from gis.index import LiveIndex

NAN_BOX = (np.nan, np.nan, np.nan, np.nan)

# coordinates on a millimetre grid, as surveyed: libspatialindex compares with a tolerance of
# about 1e-16, so boxes thinner than that (which no parcel is) would not be found
coord = st.integers(-100_000, 100_000).map(lambda v: v / 1000)
size = st.integers(0, 30_000).map(lambda v: v / 1000)  # 0: a point or a segment


@st.composite
def boxes(draw):
    """A box (minx, miny, maxx, maxy), or now and then the NaN box of an empty geometry."""
    if draw(st.integers(0, 9)) == 0:
        return NAN_BOX
    x, y = draw(coord), draw(coord)
    return (x, y, x + draw(size), y + draw(size))


layers = st.dictionaries(st.integers(0, 200), boxes(), max_size=40)


@st.composite
def next_layer(draw, old: dict, start: int) -> dict:
    """The layer after an import: each old feature kept, moved or removed; some added (with
    fresh ids from ``start`` on)."""
    new = {}
    for i, b in old.items():
        fate = draw(st.sampled_from(["keep", "keep", "move", "remove"]))
        if fate == "keep":
            new[i] = b
        elif fate == "move":
            new[i] = draw(boxes())
    for i in draw(st.lists(st.integers(start, start + 199), max_size=10, unique=True)):
        new[i] = draw(boxes())
    return new


def arrays(layer: dict) -> tuple[np.ndarray, np.ndarray]:
    ids = np.fromiter(layer, dtype=np.int64, count=len(layer))
    bounds = np.array([layer[i] for i in layer], dtype=float).reshape(-1, 4)
    return ids, bounds


def finite(b) -> bool:
    return bool(np.isfinite(b).all())


def brute(layer: dict, q) -> list[int]:
    """Ids whose box meets ``q`` (closed intervals: touching counts)."""
    return sorted(i for i, b in layer.items() if finite(b) and b[0] <= q[2] and b[2] >= q[0]
                  and b[1] <= q[3] and b[3] >= q[1])


queries = st.lists(boxes().filter(finite), min_size=1, max_size=5)


@settings(max_examples=150, deadline=None)
@given(first=layers, data=st.data())
def test_queries_equal_brute_force_after_random_updates(first, data):
    index = LiveIndex(*arrays(first))
    current = first
    assert len(index) == sum(finite(b) for b in current.values())
    for step in range(data.draw(st.integers(1, 4), label="steps")):
        new = data.draw(next_layer(current, 1000 * (step + 1)), label=f"layer {step}")
        old_ids, old_bounds = arrays(current)
        new_ids, new_bounds = arrays(new)
        deleted, inserted = index.update(old_ids, old_bounds, new_ids, new_bounds)

        # only what changed was touched
        kept = {i for i in current.keys() & new.keys()
                if np.array_equal(current[i], new[i], equal_nan=True)}
        assert deleted == sum(finite(b) and i not in kept for i, b in current.items())
        assert inserted == sum(finite(b) and i not in kept for i, b in new.items())

        current = new
        assert len(index) == sum(finite(b) for b in current.values())
        for q in data.draw(queries, label=f"queries {step}"):
            assert index.query(q).tolist() == brute(current, q)
        everything = (-1e4, -1e4, 1e4, 1e4)
        assert index.query(everything).tolist() == sorted(
            i for i, b in current.items() if finite(b))


@given(layer=layers, q=boxes().filter(finite))
def test_a_fresh_index_equals_brute_force(layer, q):
    assert LiveIndex(*arrays(layer)).query(q).tolist() == brute(layer, q)


def test_empty_and_nan_boxes_are_left_out():
    ids = np.array([1, 2, 3])
    bounds = np.array([[0, 0, 1, 1], NAN_BOX, [2, 2, 3, 3]], dtype=float)
    index = LiveIndex(ids, bounds)
    assert len(index) == 2
    assert index.query((-10, -10, 10, 10)).tolist() == [1, 3]
    index.insert(np.array([4]), np.array([NAN_BOX]))
    assert len(index) == 2
    index.delete(np.array([2]), np.array([NAN_BOX]))  # never inserted: nothing to delete
    assert len(index) == 2
    # a feature that gains a geometry is inserted; one that loses it is deleted
    assert index.update(ids, bounds, ids, np.array([NAN_BOX, [5, 5, 6, 6], [2, 2, 3, 3]])) == (
        1, 1)
    assert index.query((-10, -10, 10, 10)).tolist() == [2, 3] and len(index) == 2

    empty = LiveIndex(np.array([], dtype=np.int64), np.empty((0, 4)))
    assert len(empty) == 0 and empty.query((0, 0, 1, 1)).tolist() == []
    empty.insert(np.array([7]), np.array([[0, 0, 1, 1]], dtype=float))
    assert empty.query((0.5, 0.5, 2, 2)).tolist() == [7] and len(empty) == 1
