"""A live spatial index: an R-tree over a layer's features that takes inserts and deletes.

The service keeps one per served layer. When an import replaces the layer, only the features
whose bounding box changed are deleted and re-inserted (:meth:`LiveIndex.update`); the index is
never rebuilt while the service runs. Batch analyses use shapely's STRtree instead — it is
faster to build but immutable.

>>> import numpy as np
>>> index = LiveIndex(np.array([1, 2]), np.array([[0, 0, 1, 1], [5, 5, 6, 6]], dtype=float))
>>> index.query((0.5, 0.5, 5.5, 5.5)).tolist()
[1, 2]
>>> index.update(np.array([1, 2]), np.array([[0, 0, 1, 1], [5, 5, 6, 6]], dtype=float),
...              np.array([1, 3]), np.array([[0, 0, 1, 1], [9, 9, 10, 10]], dtype=float))
(1, 1)
>>> index.query((0, 0, 10, 10)).tolist(), len(index)
([1, 3], 2)
"""

from __future__ import annotations

import numpy as np
from rtree import index as rtree_index

__all__ = ["LiveIndex"]


def _finite(bounds: np.ndarray) -> np.ndarray:
    """Rows of ``bounds`` that describe a real box (empty or null geometries have NaN)."""
    return np.isfinite(bounds).all(axis=1) if len(bounds) else np.zeros(0, dtype=bool)


class LiveIndex:
    """An R-tree keyed by stable integer ids (the service's internal feature ids).

    Parameters
    ----------
    ids : ndarray of int
        One id per feature.
    bounds : ndarray, shape (n, 4)
        ``minx, miny, maxx, maxy`` per feature; rows with NaN (no geometry) are left out.
    """

    def __init__(self, ids: np.ndarray, bounds: np.ndarray) -> None:
        ids = np.asarray(ids, dtype=np.int64)
        bounds = np.asarray(bounds, dtype=float).reshape(-1, 4)
        ok = _finite(bounds)
        ids, bounds = ids[ok], bounds[ok]
        props = rtree_index.Property()
        if len(ids):
            # bulk (STR) load; rtree's array interface takes ids and interleaved min/max arrays
            self._tree = rtree_index.Index(
                (ids, np.ascontiguousarray(bounds[:, :2]), np.ascontiguousarray(bounds[:, 2:])),
                properties=props, interleaved=True,
            )
        else:
            self._tree = rtree_index.Index(properties=props, interleaved=True)
        self._count = len(ids)

    def __len__(self) -> int:
        return self._count

    def query(self, bbox: tuple[float, float, float, float]) -> np.ndarray:
        """Ids of the features whose bounding box intersects ``bbox``, sorted."""
        hits = self._tree.intersection(tuple(float(v) for v in bbox), objects=False)
        return np.sort(np.fromiter(hits, dtype=np.int64))

    def insert(self, ids: np.ndarray, bounds: np.ndarray) -> None:
        bounds = np.asarray(bounds, dtype=float).reshape(-1, 4)
        ok = _finite(bounds)
        for i, box in zip(np.asarray(ids, dtype=np.int64)[ok], bounds[ok], strict=True):
            self._tree.insert(int(i), tuple(box))
            self._count += 1

    def delete(self, ids: np.ndarray, bounds: np.ndarray) -> None:
        bounds = np.asarray(bounds, dtype=float).reshape(-1, 4)
        ok = _finite(bounds)
        for i, box in zip(np.asarray(ids, dtype=np.int64)[ok], bounds[ok], strict=True):
            self._tree.delete(int(i), tuple(box))
            self._count -= 1

    def update(self, old_ids: np.ndarray, old_bounds: np.ndarray, new_ids: np.ndarray,
               new_bounds: np.ndarray) -> tuple[int, int]:
        """Move the index from the old features to the new ones, touching only what changed.

        A feature keeps its place when its id and bounding box are unchanged; it is deleted
        when its id disappears or its box moved, and inserted when its id is new or its box
        moved. Returns ``(deleted, inserted)``.
        """
        old_ids = np.asarray(old_ids, dtype=np.int64)
        new_ids = np.asarray(new_ids, dtype=np.int64)
        old_bounds = np.asarray(old_bounds, dtype=float).reshape(-1, 4)
        new_bounds = np.asarray(new_bounds, dtype=float).reshape(-1, 4)
        common, io, jn = np.intersect1d(old_ids, new_ids, assume_unique=True,
                                        return_indices=True)
        same = np.zeros(len(common), dtype=bool)
        if len(common):
            a, b = old_bounds[io], new_bounds[jn]
            same = ((a == b) | (np.isnan(a) & np.isnan(b))).all(axis=1)
        keep_old = np.zeros(len(old_ids), dtype=bool)
        keep_old[io[same]] = True
        keep_new = np.zeros(len(new_ids), dtype=bool)
        keep_new[jn[same]] = True
        gone = ~keep_old
        come = ~keep_new
        self.delete(old_ids[gone], old_bounds[gone])
        self.insert(new_ids[come], new_bounds[come])
        return int((gone & _finite(old_bounds)).sum()), int((come & _finite(new_bounds)).sum())
