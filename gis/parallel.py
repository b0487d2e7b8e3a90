"""Threads over the machine's cores for shapely's vectorized functions.

Shapely 2 releases the GIL inside GEOS, so one process can use every core on large geometry
arrays. The rules the callers keep:

* every function run in a thread uses unprepared geometries, or prepares its own (GEOS builds
  a prepared geometry's indexes lazily, which two threads must not do at once);
* an STRtree shared by threads is queried once before they start (GEOS builds the tree on its
  first query) — :func:`built`;
* results are written back by position, so the answer does not depend on the scheduling.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from itertools import pairwise
from typing import TypeVar

import numpy as np
import shapely

__all__ = ["blocks", "built", "cores", "map_chunks", "query", "round_robin", "threaded",
           "together"]

T = TypeVar("T")
Chunk = TypeVar("Chunk")
U = TypeVar("U")

_POOL: tuple[int, ThreadPoolExecutor] | None = None
_POOL_LOCK = threading.Lock()

#: arrays shorter than this are not worth a thread (unsupplied(), 850 pieces: 0.34 → 0.22 s)
MIN_ITEMS = 128


def cores() -> int:
    """The cores this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def round_robin(n: int, *, min_items: int | None = None) -> list[np.ndarray]:
    """Indices 0..n-1 dealt round-robin into a few chunks per core (one chunk when fewer than
    ``min_items``, default :data:`MIN_ITEMS`, or on one core): round-robin, so that costly
    items in one region of an array are shared out."""
    workers = cores()
    if n < (MIN_ITEMS if min_items is None else min_items) or workers == 1:
        return [np.arange(n)]
    k = min(workers * 4, n)  # no chunk empty
    return [np.arange(i, n, k) for i in range(k)]


def blocks(n: int, *, min_items: int | None = None) -> list[slice]:
    """0..n-1 as one contiguous block per core (one block when fewer than ``min_items``,
    default :data:`MIN_ITEMS`, or on one core): for work spread evenly over an array, blocks
    keep each thread's geometries together in memory."""
    workers = cores()
    if n < (MIN_ITEMS if min_items is None else min_items) or workers == 1:
        return [slice(0, n)]
    edges = np.linspace(0, n, min(workers, n) + 1).astype(int)  # no block empty
    return [slice(int(a), int(b)) for a, b in pairwise(edges)]


def _executor() -> ThreadPoolExecutor:
    """The process's worker threads (one fewer than the cores: the caller works too), made
    once per process — a thread's first GEOS call costs a few milliseconds — and again in a
    forked child, which has none of its parent's threads."""
    global _POOL
    with _POOL_LOCK:
        if _POOL is None or _POOL[0] != os.getpid():
            _POOL = (os.getpid(), ThreadPoolExecutor(max(1, cores() - 1),
                                                     thread_name_prefix="dideng-geos"))
        return _POOL[1]


def map_chunks(func: Callable[[Chunk], T], chunks: list[Chunk]) -> list[T]:
    """``func`` over ``chunks``, in this thread and the worker threads when there are several
    cores: this thread runs the first chunk, then takes back and runs every chunk no worker
    has started yet, and only then waits for the workers' (so it never idles while work is
    queued, and a call from a worker thread cannot wait on itself)."""
    if len(chunks) == 1 or cores() == 1:
        return [func(c) for c in chunks]
    futures = [_executor().submit(func, c) for c in chunks[1:]]
    out: list = [None] * len(chunks)
    try:
        out[0] = func(chunks[0])
        for i, f in enumerate(futures, start=1):  # one at a time: the workers go on meanwhile
            if f.cancel():
                out[i] = func(chunks[i])
        for i, f in enumerate(futures, start=1):
            if not f.cancelled():
                out[i] = f.result()
    except BaseException:
        for f in futures:
            f.cancel()
        raise
    return out


def threaded(func: Callable[..., np.ndarray], *arrays: np.ndarray, dtype=float,
             chunks: list[Chunk] | None = None) -> np.ndarray:
    """``func(*arrays)`` of an element-wise function giving ``dtype`` values, over ``chunks``
    of the arrays in threads (default: :func:`blocks`)."""
    chunks = blocks(len(arrays[0])) if chunks is None else chunks
    out = np.empty(len(arrays[0]), dtype=dtype)
    for idx, values in zip(chunks, map_chunks(lambda i: func(*(a[i] for a in arrays)), chunks),
                           strict=True):
        out[idx] = values
    return out


def query(tree: shapely.STRtree, geoms: np.ndarray, predicate: str | None = None,
          distance: float | None = None, *, min_items: int | None = None) -> np.ndarray:
    """``tree.query(geoms, predicate, distance)``, the same pairs in the same order, with the
    query geometries in :func:`blocks` over the cores (each thread prepares its own;
    ``min_items`` as there: give a small one when each query geometry finds many)."""
    chunks = blocks(len(geoms), min_items=min_items)
    if len(chunks) == 1:
        return tree.query(geoms, predicate=predicate, distance=distance)
    built(tree)
    parts = map_chunks(lambda b: tree.query(geoms[b], predicate=predicate, distance=distance),
                       chunks)
    return np.concatenate([p + np.array([[b.start], [0]]) for b, p in
                           zip(chunks, parts, strict=True)], axis=1)


def together(*jobs: Callable[[], T]) -> list[T]:
    """Each job's result, in order: the first in this thread, the others in the worker
    threads or taken back here (:func:`map_chunks` over the jobs; give the longest first)."""
    return map_chunks(lambda job: job(), list(jobs))


def built(tree: shapely.STRtree) -> shapely.STRtree:
    """``tree``, built (GEOS builds an STRtree on its first query; threads must share it
    complete)."""
    if len(tree.geometries):
        tree.query(tree.geometries[:1])
    return tree
