"""OGC API – Features, the pure half: request parameters parsed, CRSs resolved, frames encoded.

The web face (:mod:`api.ogc`) reads a request, calls these functions and sends what they return;
nothing here knows about HTTP. Every bad value raises :class:`~gis.errors.ValidationError`
(HTTP 400) with the message in Chinese and English.

* ``bbox`` — :func:`parse_bbox`: four numbers, lower corner first, in the axis order of
  ``bbox-crs``;
* ``datetime`` — :func:`parse_datetime` and :func:`in_interval`: an instant or a closed or
  half-open interval, matched day by day against a date field (the layer's temporal field,
  :func:`temporal_field`);
* ``crs`` / ``bbox-crs`` — :class:`Projector`: the CRSs a workspace can serve (CRS84, CGCS2000
  geographic EPSG:4490 and the workspace's own Gauss-Krüger EPSG), in the axis order each CRS
  defines (OGC API – Features Part 2): EPSG:4490 is latitude first, the Gauss-Krüger EPSGs are
  northing first (Chinese X = northing);
* property filters — :func:`field_types`, :func:`parse_value`, :func:`matches` (exact match,
  typed by the catalogue);
* queryables — :func:`queryables_schema` (JSON Schema 2020-12);
* encoding — :func:`properties_json`, :func:`feature_texts`, :func:`collection_json` and the
  :class:`GeometryCache` of GeoJSON geometry texts per layer version and CRS.

Geometries are never looped over in Python: coordinates are transformed, swapped and rounded in
one :func:`shapely.transform` call and written by :func:`shapely.to_geojson`.

>>> parse_bbox("120.1,30.2,120.3,30.4")
(120.1, 30.2, 120.3, 30.4)
>>> parse_datetime("2020-01-01/..")
Interval(start=Timestamp('2020-01-01 00:00:00'), end=None)
>>> projector = Projector(4528)
>>> projector.resolve("EPSG:4490").north_first, projector.resolve(None).uri
(True, 'http://www.opengis.net/def/crs/OGC/1.3/CRS84')
"""

from __future__ import annotations

import json
import math
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Transformer

from gis.errors import ValidationError
from layers import DTYPES, UNIT_LABELS, Field, Layer, catalogue, results

__all__ = [
    "CRS84",
    "TEMPORAL_FIELDS",
    "GeometryCache",
    "Interval",
    "OutputCRS",
    "Projector",
    "add_members",
    "collection_json",
    "date_range",
    "epsg_uri",
    "feature_texts",
    "field_types",
    "in_interval",
    "layer_schema",
    "matches",
    "parse_bbox",
    "parse_datetime",
    "parse_value",
    "properties_json",
    "queryables_schema",
    "temporal_field",
]

#: OGC's URI of WGS 84 longitude/latitude (the default CRS of OGC API – Features)
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
#: the CGCS2000 geographic CRS (latitude first, as EPSG defines it)
CGCS2000_GEOGRAPHIC = 4490

#: a layer's temporal field where the first date field of the catalogue is not the clearest
#: choice: idle land is dated by the day it became idle, not by the agreed start
TEMPORAL_FIELDS: dict[str, str] = {"idle": "idle_since"}

#: decimals kept in output coordinates: ≈1 cm in degrees (1e-7° ≈ 1.1 cm) and in metres
DECIMALS_DEGREES = 7
DECIMALS_METRES = 2


def layer_schema(name: str) -> Layer | None:
    """The catalogue schema of an input or result layer (None for a layer it does not know)."""
    return catalogue.get(name) or results.get(name)


# -- bbox ---------------------------------------------------------------------------------------
def parse_bbox(text: str) -> tuple[float, float, float, float]:
    """The four numbers of a ``bbox`` parameter: lower corner, then upper corner.

    The numbers are in the axis order of ``bbox-crs`` (CRS84 by default: longitude, latitude);
    :meth:`Projector.box_to_storage` places them.

    Parameters
    ----------
    text
        ``"minx,miny,maxx,maxy"`` (axis 1 and 2 of the lower corner, then of the upper one).

    Returns
    -------
    tuple of float

    Raises
    ------
    ValidationError
        Not four numbers (six — a 3-D box — included: the layers are 2-D), a number that is
        not finite, or a lower corner above the upper one (a box across the antimeridian is
        not supported: no Chinese county needs one).

    Examples
    --------
    >>> parse_bbox(" 118.9, 30.1 ,119.0,30.2")
    (118.9, 30.1, 119.0, 30.2)
    >>> parse_bbox("1,2,3")
    Traceback (most recent call last):
    ...
    gis.errors.ValidationError: bbox 应为 4 个数 minx,miny,maxx,maxy，收到 3 个：'1,2,3' / bbox must be 4 numbers minx,miny,maxx,maxy, got 3: '1,2,3'
    """
    parts = text.split(",")
    if len(parts) == 6:
        raise ValidationError(
            f"不支持三维 bbox（6 个数）：{text!r}；图层是二维的，请给 4 个数 minx,miny,maxx,maxy",
            f"a 3-D bbox (6 numbers) is not supported: {text!r}; the layers are 2-D, give "
            "4 numbers minx,miny,maxx,maxy")
    if len(parts) != 4:
        raise ValidationError(
            f"bbox 应为 4 个数 minx,miny,maxx,maxy，收到 {len(parts)} 个：{text!r}",
            f"bbox must be 4 numbers minx,miny,maxx,maxy, got {len(parts)}: {text!r}")
    try:
        values = [float(p) for p in parts]
    except ValueError:
        raise ValidationError(f"bbox 中有非数字：{text!r}",
                              f"bbox has a value that is not a number: {text!r}") from None
    if not all(math.isfinite(v) for v in values):
        raise ValidationError(f"bbox 中的数必须是有限值：{text!r}",
                              f"bbox values must be finite numbers: {text!r}")
    x1, y1, x2, y2 = values
    if x1 > x2 or y1 > y2:
        raise ValidationError(
            f"bbox 的下角 ({x1}, {y1}) 超过了上角 ({x2}, {y2})；顺序应为 minx,miny,maxx,maxy",
            f"bbox lower corner ({x1}, {y1}) exceeds the upper corner ({x2}, {y2}); the order "
            "is minx,miny,maxx,maxy")
    return x1, y1, x2, y2


# -- datetime -----------------------------------------------------------------------------------
_INSTANT = re.compile(
    r"\d{4}-\d{2}-\d{2}(?:[Tt ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:[Zz]|[+-]\d{2}:?\d{2})?)?")


@dataclass(frozen=True)
class Interval:
    """A closed range of days; ``None`` is an open end."""

    start: pd.Timestamp | None
    end: pd.Timestamp | None


def _day(text: str) -> pd.Timestamp:
    """The day of an RFC 3339 date or date-time (the day on its clock; the time is dropped)."""
    bad = ValidationError(
        f"datetime 中的时间 {text!r} 无效；应为 RFC 3339 日期或时间，如 2024-01-01 或 "
        "2024-01-01T08:00:00Z",
        f"invalid instant {text!r} in datetime; expected an RFC 3339 date or date-time such "
        "as 2024-01-01 or 2024-01-01T08:00:00Z")
    if not _INSTANT.fullmatch(text):
        raise bad
    try:
        value = datetime.fromisoformat(text.upper().replace("Z", "+00:00"))
    except ValueError:
        raise bad from None
    return pd.Timestamp(value.date())


def parse_datetime(text: str) -> Interval:
    """A ``datetime`` parameter: an instant, or an interval ``start/end`` with ``..`` (or
    nothing) for an open end.

    The layers' temporal fields are dates, so instants are taken to their day (the day on the
    clock of the value given): ``2024-03-01T23:00:00+08:00`` is 1 March 2024. A feature matches
    when its date falls within the days of the interval, both ends included.

    Raises
    ------
    ValidationError
        Not a date or date-time, an interval open at both ends, or a start after the end.

    Examples
    --------
    >>> parse_datetime("2024-01-01")
    Interval(start=Timestamp('2024-01-01 00:00:00'), end=Timestamp('2024-01-01 00:00:00'))
    >>> parse_datetime("../2023-12-31T16:00:00Z").end
    Timestamp('2023-12-31 00:00:00')
    >>> parse_datetime("2024-02-30")
    Traceback (most recent call last):
    ...
    gis.errors.ValidationError: datetime 中的时间 '2024-02-30' 无效；应为 RFC 3339 日期或时间，如 2024-01-01 或 2024-01-01T08:00:00Z / invalid instant '2024-02-30' in datetime; expected an RFC 3339 date or date-time such as 2024-01-01 or 2024-01-01T08:00:00Z
    """
    text = text.strip()
    if "/" not in text:
        day = _day(text)
        return Interval(day, day)
    parts = text.split("/")
    if len(parts) != 2:
        raise ValidationError(f"datetime 区间应为 起/止：{text!r}",
                              f"a datetime interval is start/end: {text!r}")
    start, end = (None if p.strip() in ("", "..") else _day(p.strip()) for p in parts)
    if start is None and end is None:
        raise ValidationError(
            f"datetime 区间两端不能都开放：{text!r}；不限时间时请省略 datetime",
            f"a datetime interval cannot be open at both ends: {text!r}; leave datetime out "
            "for no time limit")
    if start is not None and end is not None and start > end:
        raise ValidationError(
            f"datetime 区间的起点 {start.date()} 晚于终点 {end.date()}",
            f"the datetime interval starts ({start.date()}) after it ends ({end.date()})")
    return Interval(start, end)


def _days(values: pd.Series) -> pd.Series:
    """A column as days (NaT where missing or not a date)."""
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        days = values
    else:
        days = pd.to_datetime(values.astype("string"), errors="coerce", format="ISO8601")
    if getattr(days.dt, "tz", None) is not None:
        days = days.dt.tz_localize(None)
    return days.dt.normalize()


def date_range(values: pd.Series) -> tuple[str, str] | None:
    """The first and last day of a date column, ISO (None when it holds no date).

    >>> date_range(pd.Series(pd.to_datetime(["2021-03-01", None, "2019-12-31"])))
    ('2019-12-31', '2021-03-01')
    """
    days = _days(values).dropna()
    if not len(days):
        return None
    return days.min().strftime("%Y-%m-%d"), days.max().strftime("%Y-%m-%d")


def in_interval(values: pd.Series, interval: Interval) -> np.ndarray:
    """Which dates of ``values`` fall within ``interval`` (a missing date never does).

    Examples
    --------
    >>> dates = pd.Series(pd.to_datetime(["2019-05-01", "2021-07-01", None]))
    >>> in_interval(dates, parse_datetime("2020-01-01/..")).tolist()
    [False, True, False]
    """
    days = _days(values)
    ok = days.notna()
    if interval.start is not None:
        ok &= days >= interval.start
    if interval.end is not None:
        ok &= days <= interval.end
    return np.asarray(ok.fillna(False), dtype=bool)


# -- CRS ----------------------------------------------------------------------------------------
_EPSG_FORMS = (
    re.compile(r"https?://www\.opengis\.net/def/crs/EPSG/0/(\d+)", re.IGNORECASE),
    re.compile(r"\[?EPSG:+(\d+)\]?", re.IGNORECASE),
    re.compile(r"urn:ogc:def:crs:EPSG:[\d.]*:(\d+)", re.IGNORECASE),
)
_CRS84_FORMS = {
    "http://www.opengis.net/def/crs/ogc/1.3/crs84",
    "https://www.opengis.net/def/crs/ogc/1.3/crs84",
    "urn:ogc:def:crs:ogc:1.3:crs84",
    "urn:ogc:def:crs:ogc::crs84",
    "ogc:crs84",
    "[ogc:crs84]",
    "crs84",
}


def epsg_uri(code: int) -> str:
    """The OGC URI of an EPSG CRS.

    >>> epsg_uri(4490)
    'http://www.opengis.net/def/crs/EPSG/0/4490'
    """
    return f"http://www.opengis.net/def/crs/EPSG/0/{int(code)}"


def _crs_key(text: str) -> int | str | None:
    """``"CRS84"``, an EPSG code, or None for a text naming no CRS this module understands."""
    text = text.strip()
    if text.lower() in _CRS84_FORMS:
        return "CRS84"
    for form in _EPSG_FORMS:
        m = form.fullmatch(text)
        if m:
            return int(m.group(1))
    return None


@dataclass(frozen=True)
class OutputCRS:
    """A CRS the service reads boxes in and writes coordinates in."""

    uri: str
    crs: CRS
    #: the CRS's first axis is northing or latitude (coordinates are written y, x)
    north_first: bool
    #: decimals kept in written coordinates
    decimals: int

    @property
    def is_geographic(self) -> bool:
        return bool(self.crs.is_geographic)


def _output(uri: str, crs: CRS) -> OutputCRS:
    first = crs.axis_info[0].direction.lower() if crs.axis_info else "east"
    return OutputCRS(uri, crs, first in ("north", "south"),
                     DECIMALS_DEGREES if crs.is_geographic else DECIMALS_METRES)


class Projector:
    """The CRSs a workspace's layers are served in, and the moves between them.

    Parameters
    ----------
    storage
        The workspace CRS (a CGCS2000 Gauss-Krüger EPSG). Stored coordinates are in GIS order
        (x = easting, y = northing) whatever the CRS's own axis order is.

    Examples
    --------
    >>> p = Projector(4528)
    >>> p.uris[1:]
    ['http://www.opengis.net/def/crs/EPSG/0/4490', 'http://www.opengis.net/def/crs/EPSG/0/4528']
    >>> gk = p.resolve("http://www.opengis.net/def/crs/EPSG/0/4528")
    >>> shapely.to_geojson(p.geometries(np.array([shapely.Point(40520986.4771, 3353000.126)]), gk))[0]
    '{"type":"Point","coordinates":[3353000.13,40520986.48]}'
    """

    def __init__(self, storage: CRS | int | str) -> None:
        self.storage = CRS.from_user_input(storage)
        epsg = self.storage.to_epsg()
        self.storage_uri = epsg_uri(epsg) if epsg is not None else CRS84
        self._choices: dict[int | str, OutputCRS] = {
            "CRS84": _output(CRS84, CRS.from_user_input("OGC:CRS84")),
            CGCS2000_GEOGRAPHIC: _output(epsg_uri(CGCS2000_GEOGRAPHIC),
                                         CRS.from_epsg(CGCS2000_GEOGRAPHIC)),
        }
        if epsg is not None:
            self._choices[epsg] = _output(self.storage_uri, self.storage)
        self._storage_key: int | str | None = epsg
        self._transformers: dict[tuple[str, str], Transformer] = {}
        self._lock = threading.Lock()

    @property
    def uris(self) -> list[str]:
        """The URIs of the CRSs served, CRS84 (the default) first."""
        return [c.uri for c in self._choices.values()]

    def resolve(self, text: str | None, *, parameter: str = "crs") -> OutputCRS:
        """The served CRS named by ``text`` (a URI, ``EPSG:4490``, ``urn:ogc:def:crs:…``);
        CRS84 when ``text`` is None or empty.

        Raises
        ------
        ValidationError
            A CRS that is not served (its name says which are).
        """
        if text is None or not text.strip():
            return self._choices["CRS84"]
        key = _crs_key(text)
        if key is None or key not in self._choices:
            served = ", ".join(self.uris)
            raise ValidationError(f"{parameter} 不支持坐标系 {text!r}；可选：{served}",
                                  f"{parameter}: unsupported CRS {text!r}; supported: {served}")
        return self._choices[key]

    def is_storage(self, out: OutputCRS) -> bool:
        return out.uri == self.storage_uri and self._storage_key is not None

    def _transformer(self, src: CRS, dst: CRS) -> Transformer:
        """A transformer (GIS axis order in and out), built once.

        ``Transformer.from_crs`` searches the PROJ database, and pyproj rebuilds a transformer
        the same way in every thread that uses it; one built from the resulting pipeline is
        rebuilt in microseconds.

        Between CRS84 and a CGCS2000 CRS, PROJ knows no datum shift and applies a "ballpark"
        (null) one after a 0.3 s search; the CGCS2000 geographic CRS stands in for CRS84
        instead, which gives the same numbers at once (the two datums agree to a few
        centimetres).
        """
        key = (src.srs, dst.srs)
        with self._lock:
            made = self._transformers.get(key)
            if made is None:
                found = Transformer.from_crs(self._stand_in(src), self._stand_in(dst),
                                             always_xy=True)
                made = Transformer.from_pipeline(found.definition) if found.definition else found
                self._transformers[key] = made
        return made

    def _stand_in(self, crs: CRS) -> CRS:
        """CGCS2000 geographic for CRS84 when the workspace is on CGCS2000 (see above)."""
        geodetic = self.storage.geodetic_crs
        if (crs is self._choices["CRS84"].crs and geodetic is not None
                and geodetic.datum.name.startswith("China 2000")):
            return self._choices[CGCS2000_GEOGRAPHIC].crs
        return crs

    def geometries(self, geoms: np.ndarray, out: OutputCRS) -> np.ndarray:
        """Stored geometries (GIS order) in ``out``: transformed, in its axis order, rounded.

        One vectorized :func:`shapely.transform` over all coordinates; missing geometries stay
        missing.
        """
        transformer = None if self.is_storage(out) else self._transformer(self.storage, out.crs)

        def move(coords: np.ndarray) -> np.ndarray:
            if transformer is not None:
                x, y = transformer.transform(coords[:, 0], coords[:, 1])
                coords = np.column_stack([x, y])
            if out.north_first:
                coords = coords[:, ::-1]
            return np.round(coords, out.decimals)

        return shapely.transform(np.asarray(geoms, dtype=object), move)

    def geojson(self, geoms: np.ndarray, out: OutputCRS) -> np.ndarray:
        """GeoJSON geometry texts (``"null"`` for a missing geometry) in ``out``."""
        texts = shapely.to_geojson(self.geometries(geoms, out))
        texts = np.asarray(texts, dtype=object)
        texts[np.equal(texts, None)] = "null"
        return texts

    def box_to_storage(self, bbox: Sequence[float], bbox_crs: OutputCRS) -> Any | None:
        """The area of ``bbox`` (in ``bbox_crs``'s axis order) as a geometry in storage
        coordinates; None when it lies outside the storage CRS's area of use.

        The box's edges are densified before they are projected, so the exact test against
        the features follows the box's true (curved) outline.

        Raises
        ------
        ValidationError
            Degrees out of range (latitude beyond ±90°, longitude beyond ±180°).
        """
        x1, y1, x2, y2 = (float(v) for v in bbox)
        if bbox_crs.north_first:
            x1, y1, x2, y2 = y1, x1, y2, x2
        if bbox_crs.is_geographic:
            if not (-180 <= x1 <= 180 and -180 <= x2 <= 180 and -90 <= y1 <= 90
                    and -90 <= y2 <= 90):
                raise ValidationError(
                    f"bbox 的经纬度超出范围（经度 ±180°，纬度 ±90°）：{list(bbox)}",
                    f"bbox degrees out of range (longitude ±180°, latitude ±90°): {list(bbox)}")
            use = self.storage.area_of_use
            if use is not None:  # project only what lies near the zone (3° margin)
                w, s, e, n = use.bounds
                x1, y1, x2, y2 = max(x1, w - 3), max(y1, s - 3), min(x2, e + 3), min(y2, n + 3)
                if x1 > x2 or y1 > y2:
                    return None
        area = shapely.envelope(shapely.multipoints([[x1, y1], [x2, y2]]))
        if self.is_storage(bbox_crs):
            return area
        step = max(x2 - x1, y2 - y1) / 64
        if step > 0:
            area = shapely.segmentize(area, step)
        transformer = self._transformer(bbox_crs.crs, self.storage)

        def move(coords: np.ndarray) -> np.ndarray:
            x, y = transformer.transform(coords[:, 0], coords[:, 1])
            return np.column_stack([x, y])

        area = shapely.transform(area, move)
        if not np.isfinite(shapely.bounds(area)).all():
            return None
        return area

    def extent(self, geoms: np.ndarray) -> list[float] | None:
        """The CRS84 bbox (longitude, latitude) of stored geometries: the bounds of their
        projected coordinates (a projected bounding box would be up to tens of metres too
        wide); None when there is no coordinate."""
        coords = shapely.get_coordinates(np.asarray(geoms, dtype=object))
        if not len(coords):
            return None
        t = self._transformer(self.storage, self._choices["CRS84"].crs)
        lon, lat = t.transform(coords[:, 0], coords[:, 1])
        box = (np.min(lon), np.min(lat), np.max(lon), np.max(lat))
        if not np.isfinite(box).all():
            return None
        return [round(float(v), DECIMALS_DEGREES) for v in box]


# -- fields, filters and queryables ------------------------------------------------------------
def _infer_dtype(values: pd.Series) -> str:
    dtype = values.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return "bool"
    if pd.api.types.is_integer_dtype(dtype):
        return "int"
    if pd.api.types.is_float_dtype(dtype):
        return "float"
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return "date"
    return "str"


def _geometry_name(frame: pd.DataFrame) -> str | None:
    name = getattr(frame, "_geometry_column_name", None)
    return name if name in frame.columns else None


def field_types(layer: str, frame: pd.DataFrame) -> dict[str, str]:
    """The catalogue dtype (str, int, float, bool, date) of each property column of ``frame``;
    a column the catalogue does not declare gets the dtype its values have.

    >>> field_types("parcels", pd.DataFrame(columns=["parcel_id", "ready", "extra"]))
    {'parcel_id': 'str', 'ready': 'bool', 'extra': 'str'}
    """
    schema = layer_schema(layer)
    geometry = _geometry_name(frame)
    types: dict[str, str] = {}
    for column in frame.columns:
        if column == geometry:
            continue
        declared = schema.get(column) if schema is not None else None
        dtype = declared.dtype if declared is not None else _infer_dtype(frame[column])
        types[str(column)] = dtype if dtype in DTYPES else "str"
    return types


_TRUE = {"true", "1", "yes", "是", "t"}
_FALSE = {"false", "0", "no", "否", "f"}


def parse_value(name: str, text: str, dtype: str, field: Field | None = None) -> Any:
    """A property filter's value as the field's type.

    A field with coded values (``status``, ``level`` …) takes the code or its Chinese label.

    Raises
    ------
    ValidationError
        A value that is not of the field's type.

    Examples
    --------
    >>> from layers import catalogue
    >>> parse_value("status", "储备", "str", catalogue["parcels"].field("status"))
    'reserve'
    >>> parse_value("ready", "true", "bool"), parse_value("floors", "3", "int")
    (True, 3)
    """
    text = text.strip()
    try:
        if dtype == "int":
            return int(text)
        if dtype == "float":
            value = float(text)
            if not math.isfinite(value):
                raise ValueError(text)
            return value
        if dtype == "bool":
            low = text.lower()
            if low in _TRUE:
                return True
            if low in _FALSE:
                return False
            raise ValueError(text)
        if dtype == "date":
            return _day(text)
    except (ValueError, ValidationError):
        kind = {"int": ("整数", "an integer"), "float": ("数", "a number"),
                "bool": ("true 或 false", "true or false"),
                "date": ("日期（如 2024-01-01）", "a date such as 2024-01-01")}[dtype]
        raise ValidationError(f"属性 {name} 的值应为{kind[0]}，收到 {text!r}",
                              f"property {name} takes {kind[1]}, got {text!r}") from None
    if field is not None and field.values:
        return field.code_for(text) or text
    return text


def matches(values: pd.Series, value: Any, dtype: str) -> np.ndarray:
    """Which entries of ``values`` equal ``value`` (a missing entry never does).

    >>> matches(pd.Series(["a", None, "b"], dtype="string"), "a", "str").tolist()
    [True, False, False]
    """
    try:
        if dtype == "date":
            equal = _days(values) == value
        elif dtype in ("int", "float"):
            equal = pd.to_numeric(values, errors="coerce") == value
        elif dtype == "bool":
            equal = values.astype("boolean") == value
        else:
            equal = values.astype("string") == value
    except (TypeError, ValueError):  # a column whose values are not of the declared type
        return np.zeros(len(values), dtype=bool)
    return np.asarray(pd.Series(equal).fillna(False), dtype=bool)


def temporal_field(layer: str, types: Mapping[str, str]) -> str | None:
    """The field ``datetime`` filters on: :data:`TEMPORAL_FIELDS` where it names one, else the
    first date field of the catalogue; only among the fields in ``types`` (those the caller
    may see). None when the layer has none.

    >>> temporal_field("approvals", {"approval_id": "str", "approved_on": "date"})
    'approved_on'
    >>> temporal_field("idle", {"agreed_start": "date", "idle_since": "date"})
    'idle_since'
    >>> temporal_field("parcels", {"parcel_id": "str"}) is None
    True
    """
    choice = TEMPORAL_FIELDS.get(layer)
    if choice is not None and types.get(choice) == "date":
        return choice
    schema = layer_schema(layer)
    order: Iterable[str] = schema.field_names if schema is not None else ()
    for name in [*order, *types]:
        if types.get(name) == "date":
            return name
    return None


_JSON_TYPES = {"str": {"type": "string"}, "int": {"type": "integer"},
               "float": {"type": "number"}, "bool": {"type": "boolean"},
               "date": {"type": "string", "format": "date"}}


def _multi_valued(values: pd.Series | None) -> bool:
    """Whether a coded column holds lists of codes (``a;b``) rather than single codes."""
    if values is None or len(values) == 0:
        return False
    return bool(values.astype("string").str.contains(";", regex=False).fillna(False).any())


def queryables_schema(layer: str, frame: pd.DataFrame, *, uri: str, spatial: bool,
                      title: str | None = None) -> dict[str, Any]:
    """The queryables of a layer as a JSON Schema (2020-12) document.

    Parameters
    ----------
    layer
        The layer's name.
    frame
        The layer as the caller may see it (its masked view): its columns are the queryables;
        its values tell coded fields that hold lists of codes (no ``enum`` for those).
    uri
        The document's ``$id`` (the URL of the queryables resource).
    spatial
        Whether to add the ``geometry`` queryable.
    title
        The schema's title (the collection's title).

    Examples
    --------
    >>> frame = pd.DataFrame({"parcel_id": ["P1"], "status": ["reserve"]})
    >>> q = queryables_schema("parcels", frame, uri="http://x/q", spatial=False)
    >>> q["properties"]["status"]["enum"], q["properties"]["status"]["title"]
    (['reserve', 'supplied', 'collective', 'other'], '土地状态 Status')
    """
    schema = layer_schema(layer)
    types = field_types(layer, frame)
    temporal = temporal_field(layer, types)
    properties: dict[str, Any] = {}
    for name, dtype in types.items():
        declared = schema.get(name) if schema is not None else None
        entry: dict[str, Any] = {"title": f"{declared.zh} {declared.en}" if declared else name,
                                 **_JSON_TYPES[dtype]}
        notes: list[str] = []
        if declared is not None and declared.values:
            labels = "，".join(f"{code}={label}" for code, label in declared.values.items())
            if _multi_valued(frame[name]):
                notes.append(f"分号分隔的代码 / codes separated by ';': {labels}")
            else:
                entry["enum"] = list(declared.values)
                notes.append(f"代码 / codes: {labels}")
        if declared is not None and declared.unit and UNIT_LABELS.get(declared.unit):
            notes.append(f"单位 / unit: {UNIT_LABELS[declared.unit]} ({declared.unit})")
        if name == temporal:
            entry["x-ogc-role"] = "primary-instant"
            notes.append("datetime 参数按此字段筛选 / the datetime parameter filters on it")
        if notes:
            entry["description"] = "；".join(notes)
        properties[name] = entry
    if spatial:
        properties["geometry"] = {"title": "几何 Geometry", "x-ogc-role": "primary-geometry",
                                  "$ref": "https://geojson.org/schema/Geometry.json"}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": uri,
        "type": "object",
        "title": title or layer,
        "properties": properties,
        "additionalProperties": False,
    }


# -- encoding -----------------------------------------------------------------------------------
def _plain(values: pd.Series) -> list[Any]:
    """A column as JSON-ready Python values: dates ``YYYY-MM-DD``, missing and non-finite
    numbers None, numpy scalars as Python ones."""
    dtype = values.dtype
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return list(values.dt.strftime("%Y-%m-%d").to_numpy(dtype=object, na_value=None))
    if pd.api.types.is_float_dtype(dtype):
        numbers = values.to_numpy(dtype=float, na_value=np.nan)
        out = numbers.astype(object)
        out[~np.isfinite(numbers)] = None
        return list(out)
    return list(values.to_numpy(dtype=object, na_value=None))


def _default(value: Any) -> Any:
    """JSON for the odd value an object column may hold."""
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value) if np.isfinite(value) else None
    if isinstance(value, (pd.Timestamp, datetime, date)):
        return value.strftime("%Y-%m-%d")
    return str(value)


_encode = json.JSONEncoder(ensure_ascii=False, allow_nan=False, default=_default,
                           separators=(",", ":")).encode


def _finite(value: Any) -> Any:
    return None if isinstance(value, float) and not math.isfinite(value) else value


def properties_json(frame: pd.DataFrame) -> list[str]:
    """One JSON object text per row of ``frame``: its columns but the geometry.

    Dates are ISO ``YYYY-MM-DD``, missing values and NaN are ``null``, booleans ``true`` /
    ``false``, integers stay integers, Chinese text is written as it is.

    >>> frame = pd.DataFrame({"n": pd.array([1, None], dtype="Int64"), "x": [0.5, np.nan],
    ...                       "d": pd.to_datetime(["2024-01-02", None]), "s": ["储备", None]})
    >>> properties_json(frame)
    ['{"n":1,"x":0.5,"d":"2024-01-02","s":"储备"}', '{"n":null,"x":null,"d":null,"s":null}']
    """
    geometry = _geometry_name(frame)
    names = [str(c) for c in frame.columns if c != geometry]
    if not names:
        return ["{}"] * len(frame)
    columns = [_plain(frame[c]) for c in frame.columns if c != geometry]
    texts = []
    for row in zip(*columns, strict=True):
        try:
            texts.append(_encode(dict(zip(names, row, strict=True))))
        except ValueError:  # a NaN hidden in an object column
            texts.append(_encode({n: _finite(v) for n, v in zip(names, row, strict=True)}))
    return texts


def feature_texts(ids: Sequence[str], geometries: Sequence[str],
                  properties: Sequence[str]) -> list[str]:
    """GeoJSON Feature texts from their id, geometry text and properties text.

    >>> feature_texts(["P1"], ['{"type":"Point","coordinates":[1,2]}'], ['{"a":1}'])
    ['{"type":"Feature","id":"P1","geometry":{"type":"Point","coordinates":[1,2]},"properties":{"a":1}}']
    """
    return [f'{{"type":"Feature","id":{_encode(str(i))},"geometry":{g},"properties":{p}}}'
            for i, g, p in zip(ids, geometries, properties, strict=True)]


def collection_json(features: Sequence[str], members: Mapping[str, Any]) -> str:
    """A GeoJSON FeatureCollection text: ``features`` (texts) and other ``members`` (links,
    numberMatched …).

    >>> collection_json(['{"type":"Feature","id":"1","geometry":null,"properties":{}}'],
    ...                 {"numberReturned": 1})
    '{"type":"FeatureCollection","features":[{"type":"Feature","id":"1","geometry":null,"properties":{}}],"numberReturned":1}'
    """
    head = '{"type":"FeatureCollection","features":[' + ",".join(features) + "]"
    rest = _encode(dict(members))
    return head + ("," + rest[1:] if members else "}")


def add_members(feature: str, members: Mapping[str, Any]) -> str:
    """A Feature text with more members (e.g. its links)."""
    if not members:
        return feature
    return feature[:-1] + "," + _encode(dict(members))[1:]


class GeometryCache:
    """GeoJSON geometry texts of served layers, kept per (layer version, CRS) key.

    A key holds one text slot per feature of the snapshot, filled the first time a page asks
    for it: serving a page again costs no projection and no encoding. The least recently used
    keys are dropped beyond ``size``; a new version of a layer has a new key, so stale texts
    are never served. Two threads filling the same slots write the same text.
    """

    def __init__(self, size: int = 12) -> None:
        self.size = size
        self._items: OrderedDict[Hashable, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._items)

    def texts(self, key: Hashable, count: int, positions: np.ndarray,
              make: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
        """The texts at ``positions`` of the layer version ``key`` (``count`` features), made
        by ``make(positions)`` where missing."""
        with self._lock:
            slots = self._items.get(key)
            if slots is None or len(slots) != count:
                slots = np.full(count, None, dtype=object)
                self._items[key] = slots
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        positions = np.asarray(positions, dtype=np.int64)
        missing = positions[np.equal(slots[positions], None)]
        if len(missing):
            missing = np.unique(missing)
            slots[missing] = make(missing)
        return slots[positions]
