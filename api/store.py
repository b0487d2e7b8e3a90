"""The service's view of the workspace: one immutable snapshot and one live R-tree per layer.

Readers never touch the GeoPackage file: a request takes the layer's current snapshot (an
in-memory frame that is never modified) and, for a bbox, asks the layer's live index. When a
layer is replaced — by an import through the service, or by someone else (the CLI, QGIS),
noticed through the workspace's stamps — the new layer is read whole, its features get their
stable internal ids (same feature id → same internal id), the index is updated by deletes and
inserts of what moved, and the snapshot reference is swapped. The swap and the index update
happen under the layer's lock, and so does every index query: a reader sees the old layer or
the new one, never a mixture, and never a "database is locked" error.

Feature ids (OGC ``featureId``) are the layer's catalogue key (joined with ``.`` when the key
has several fields); a layer without a unique key numbers its rows from 1.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd

from gis.errors import UnknownFeatureError, UnknownLayerError
from gis.index import LiveIndex
from gis.workspace import Workspace
from layers import catalogue, results

__all__ = ["Memo", "Snapshot", "Store", "feature_ids"]


def _schema(name: str):
    return catalogue.get(name) or results.get(name)


def feature_ids(name: str, frame: pd.DataFrame) -> np.ndarray:
    """The OGC feature ids of a layer's rows (strings): its key, else row numbers from 1."""
    schema = _schema(name)
    key = [k for k in (schema.key if schema is not None else ()) if k in frame.columns]
    if key and (schema is None or len(key) == len(schema.key)):
        parts = [frame[k].astype("string").fillna("") for k in key]
        ids = parts[0]
        for p in parts[1:]:
            ids = ids + "." + p
        values = ids.to_numpy(dtype=object)
        if len(values) == len(set(values)) and all(values):
            return values.astype(str)
    return np.arange(1, len(frame) + 1).astype(str)


@dataclass(frozen=True)
class Snapshot:
    """One version of a layer as served: never modified once made."""

    name: str
    frame: pd.DataFrame  # index: internal ids (int64), rows in workspace order
    ids: np.ndarray  # OGC feature ids (str), aligned with ``frame``
    bounds: np.ndarray  # (n, 4) in the workspace CRS; NaN rows have no geometry
    stamp: str
    version: int
    _positions: dict[str, int] = field(repr=False, default_factory=dict)

    @property
    def is_spatial(self) -> bool:
        return isinstance(self.frame, gpd.GeoDataFrame)

    @property
    def total_bounds(self) -> tuple[float, float, float, float] | None:
        ok = np.isfinite(self.bounds).all(axis=1) if len(self.bounds) else np.zeros(0, bool)
        if not ok.any():
            return None
        b = self.bounds[ok]
        return (float(b[:, 0].min()), float(b[:, 1].min()), float(b[:, 2].max()),
                float(b[:, 3].max()))

    def position(self, feature_id: str) -> int:
        """Row position of a feature id, or :class:`UnknownFeatureError`."""
        try:
            return self._positions[str(feature_id)]
        except KeyError:
            raise UnknownFeatureError(
                f"图层 {self.name} 中没有要素 {feature_id!r}",
                f"no feature {feature_id!r} in collection {self.name}") from None


class _Served:
    """A layer's current snapshot and live index, guarded by one lock."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.snapshot: Snapshot | None = None
        self.index: LiveIndex | None = None
        self.updates = 0  # how many times the index was updated in place


class Store:
    """Snapshots and live indexes over a workspace, refreshed when layers change."""

    def __init__(self, workspace: Workspace, *, refresh_seconds: float = 2.0) -> None:
        self.workspace = workspace
        self.refresh_seconds = refresh_seconds
        self._served: dict[str, _Served] = {}
        self._guard = threading.Lock()
        self._reload_lock = threading.Lock()  # one reader of the workspace at a time
        self._iids = itertools.count(1)
        self._stamps: dict[str, str] = workspace.stamps()
        self._checked = time.monotonic()

    # -- what is served ---------------------------------------------------------------------
    def names(self) -> list[str]:
        """The layers present, in catalogue order, then results, then any others."""
        self.refresh()
        present = set(self._stamps)
        order = [*catalogue, *results]
        return [n for n in order if n in present] + sorted(present - set(order))

    def stamps(self, names: Iterable[str] | None = None) -> tuple[tuple[str, str], ...]:
        """The current stamps of ``names`` (all layers by default): a cache key."""
        self.refresh()
        wanted = self._stamps if names is None else names
        return tuple((n, self._stamps.get(n, "")) for n in wanted)

    def _require(self, name: str) -> _Served:
        self.refresh()
        if name not in self._stamps:
            present = ", ".join(self.names()) or "—"
            raise UnknownLayerError(f"没有图层（集合）{name!r}；现有：{present}",
                                    f"no collection {name!r}; present: {present}")
        with self._guard:
            return self._served.setdefault(name, _Served())

    # -- reading ----------------------------------------------------------------------------
    def snapshot(self, name: str) -> Snapshot:
        served = self._require(name)
        snap = served.snapshot
        if snap is None or snap.stamp != self._stamps.get(name):
            self._load(name, served)
            snap = served.snapshot
        assert snap is not None
        return snap

    def query(self, name: str, bbox: tuple[float, float, float, float]
              ) -> tuple[Snapshot, np.ndarray]:
        """The snapshot and the internal ids of its features whose box meets ``bbox``
        (in the workspace CRS), taken together so they always agree."""
        self.snapshot(name)
        served = self._require(name)
        with served.lock:
            snap = served.snapshot
            assert snap is not None and served.index is not None
            return snap, served.index.query(bbox)

    def frames(self, names: Iterable[str]) -> dict[str, pd.DataFrame]:
        """The current frames of the layers among ``names`` that are present."""
        present = set(self.names())
        return {n: self.snapshot(n).frame for n in names if n in present}

    def index_updates(self, name: str) -> int:
        """How many times ``name``'s index was updated in place (for tests and stats)."""
        return self._require(name).updates

    # -- refreshing -------------------------------------------------------------------------
    def refresh(self, *, force: bool = False) -> None:
        """Re-read the workspace's stamps when ``refresh_seconds`` have passed."""
        now = time.monotonic()
        if not force and now - self._checked < self.refresh_seconds:
            return
        with self._reload_lock:
            self._stamps = self.workspace.stamps()
            self._checked = time.monotonic()

    def reload(self, name: str) -> Snapshot:
        """Take up a layer just written by this process (e.g. an import)."""
        self.refresh(force=True)
        return self.snapshot(name)

    def _load(self, name: str, served: _Served) -> None:
        with self._reload_lock:
            stamp = self._stamps.get(name, "")
            if served.snapshot is not None and served.snapshot.stamp == stamp:
                return  # another thread loaded it meanwhile
            frame = self.workspace.read(name)
            ids = feature_ids(name, frame)
            old = served.snapshot
            if old is not None:
                known = dict(zip(old.ids.tolist(), old.frame.index.tolist(), strict=True))
                iids = np.fromiter((known.get(i, -1) for i in ids.tolist()), dtype=np.int64,
                                   count=len(ids))
            else:
                iids = np.full(len(ids), -1, dtype=np.int64)
            fresh = iids < 0
            iids[fresh] = np.fromiter(itertools.islice(self._iids, int(fresh.sum())),
                                      dtype=np.int64, count=int(fresh.sum()))
            frame = frame.set_axis(pd.Index(iids, name="iid"))
            if isinstance(frame, gpd.GeoDataFrame):
                bounds = frame.geometry.bounds.to_numpy(dtype=float)
            else:
                bounds = np.full((len(frame), 4), np.nan)
            snap = Snapshot(name, frame, ids, bounds, stamp,
                            (old.version + 1) if old is not None else 1,
                            {fid: i for i, fid in enumerate(ids.tolist())})
            with served.lock:
                if served.index is None:
                    served.index = LiveIndex(iids, bounds)
                else:
                    assert old is not None
                    served.index.update(old.frame.index.to_numpy(np.int64), old.bounds, iids,
                                        bounds)
                    served.updates += 1
                served.snapshot = snap


class Memo:
    """A small least-recently-used cache for analysis results (keyed by their inputs,
    including the stamps of the layers they read)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[Hashable, object] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, make: Callable[[], object]) -> object:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        value = make()
        self.put(key, value)
        return value

    def put(self, key: Hashable, value: object) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def peek(self, key: Hashable) -> object | None:
        with self._lock:
            return self._items.get(key)
