"""Read and write the 部标 coordinate TXT exchange format (勘测定界界址点坐标交换格式).

The format used to submit red-line boundaries in 建设用地报批, 勘测定界 and 用地预审
(DOMAIN.md §9)::

    [属性描述]
    格式版本号=1.01版本
    坐标系=2000国家大地坐标系
    几度分带=3
    带号=40
    ...
    [地块坐标]
    5,6.0000,1,彭埠地块,面,,,,@
    J1,1,3353189.181,40520986.477
    ...

A parcel header line (``界址点数,地块面积,地块编号,地块名称,面,图幅号,地块用途,地类编码,@``) is
followed by its boundary points ``点号,圈号,X,Y`` with **X = northing** and **Y = easting with the
zone prefix**; in GIS order x = Y, y = X. :func:`read_txt` takes every variant of DOMAIN.md §9.2
and says what it inferred or repaired in a list of :class:`gis.report.Issue`; :func:`write_txt`
writes what bureau upload systems accept (GBK, CRLF, 3 decimals, area in 公顷).

Polygons are assembled by containment, never by ring number alone: a ring inside an odd number of
other rings of its parcel is a hole of the smallest of them, any other ring is a shell, and the
shells of one parcel make a MultiPolygon.

Examples
--------
>>> text = (
...     "[属性描述]\\n坐标系=2000国家大地坐标系\\n几度分带=3\\n带号=40\\n[地块坐标]\\n"
...     "5,6.0000,1,示例地块,面,,,,@\\n"
...     "J1,1,3353000.000,40520000.000\\nJ2,1,3353000.000,40520300.000\\n"
...     "J3,1,3352800.000,40520300.000\\nJ4,1,3352800.000,40520000.000\\n"
...     "J1,1,3353000.000,40520000.000\\n"
... )
>>> gdf, issues = read_txt(text)
>>> gdf.crs.to_epsg(), float(gdf.area.iloc[0]), gdf.loc[0, "name"]
(4528, 60000.0, '示例地块')
>>> float(gdf.loc[0, "declared_area_m2"])
60000.0
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from gis.crs import (
    EASTING_RANGE,
    NORTHING_RANGE,
    datum_notes,
    gk_epsg,
    gk_info,
    workspace_crs_for,
    zone_from_easting,
)
from gis.errors import CRSError, FormatError, ValidationError
from gis.report import ROW, Issue, Status
from gis.units import M2_PER_HA

__all__ = ["COLUMNS", "read_txt", "write_txt"]

#: columns of the frame returned by :func:`read_txt`
COLUMNS = [
    "parcel_id",
    "name",
    "land_use",
    "purpose",
    "sheet_no",
    "declared_area_m2",
    ROW,
    "geometry",
]

#: the declared area matches the geometry when within this relative difference
AREA_TOLERANCE = 0.01

_OPENING = ("[", "【", "［", "〔")
_SECTION_RE = re.compile(r"^\s*[\[【［〔]\s*(.*?)\s*[\]】］〕]\s*$")
_PROJECT, _ATTRIBUTES, _COORDINATES = "项目信息", "属性描述", "地块坐标"

# 记录图形属性 (record geometry kind) values
_POLYGON_KINDS = {"面", "多边形", "面状", "区", "polygon", "area"}
_LINE_KINDS = {"线", "线状", "line", "polyline"}
_POINT_KINDS = {"点", "点状", "point"}
_KINDS = _POLYGON_KINDS | _LINE_KINDS | _POINT_KINDS

_DATUM_HEADER = {
    "CGCS2000": "2000国家大地坐标系",
    "Xian1980": "80国家大地坐标系",
    "Beijing1954": "54北京坐标系",
}
_UNIT_ZH = {"ha": "公顷", "m2": "平方米"}
_UNIT_EN = {"ha": "hectares", "m2": "square metres"}


# ----------------------------------------------------------------------------------------------
# reading: text
# ----------------------------------------------------------------------------------------------
def _load(source: str | Path | bytes) -> tuple[str, str]:
    """Text of the source and a description of its encoding."""
    if isinstance(source, bytes | bytearray):
        return _decode(bytes(source))
    if isinstance(source, str) and ("\n" in source or "\r" in source):
        return source.lstrip("\ufeff"), "文本 text"
    path = Path(source)
    return _decode(path.read_bytes())


def _decode(data: bytes) -> tuple[str, str]:
    """BOM → that encoding; else strict UTF-8; else GB18030 (a superset of GBK and GB2312)."""
    try:
        if data.startswith(codecs.BOM_UTF8):
            return data[len(codecs.BOM_UTF8) :].decode("utf-8"), "UTF-8 (BOM)"
        if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return data.decode("utf-16"), "UTF-16 (BOM)"
    except UnicodeDecodeError as exc:
        raise FormatError(
            f"文件以 BOM 标明编码，但内容无法按该编码解码（第 {exc.start} 字节）",
            f"the file's BOM names an encoding its content does not decode in (byte {exc.start})",
        ) from None
    try:
        return data.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030"), "GBK/GB18030"
    except UnicodeDecodeError as exc:
        raise FormatError(
            f"文件既不是 UTF-8 也不是 GBK/GB18030 编码（第 {exc.start} 字节无法解码）",
            f"the file is neither UTF-8 nor GBK/GB18030 (byte {exc.start} does not decode)",
        ) from None


@dataclass
class _Sections:
    attributes: dict[str, str]
    project: dict[str, str]
    body: list[str]
    body_lines: list[int]
    unknown: list[str]


def _key_value(line: str) -> tuple[str, str] | None:
    line = line.replace("＝", "=")
    if "=" not in line:
        return None
    key, value = line.split("=", 1)
    return re.sub(r"\s+", "", key), value.strip()


def _split_sections(text: str) -> _Sections:
    """Cut the text into its sections; every line ending (CRLF, LF, lone CR) is accepted."""
    out = _Sections({}, {}, [], [], [])
    lines = text.lstrip("\ufeff").splitlines()
    marks = [
        (i, m)
        for i, line in enumerate(lines)
        if line.lstrip()[:1] in _OPENING and (m := _SECTION_RE.match(line)) is not None
    ]
    bounds = [(-1, None), *marks, (len(lines), None)]
    for (start, m), (stop, _) in itertools.pairwise(bounds):
        section = re.sub(r"\s+", "", m.group(1)) if m is not None else None
        if section == _COORDINATES:
            for number in range(start + 1, stop):
                line = lines[number].strip()
                if line:
                    out.body.append(line)
                    out.body_lines.append(number + 1)
        elif section in (_ATTRIBUTES, _PROJECT, None):
            target = out.project if section == _PROJECT else out.attributes
            for line in lines[start + 1 : stop]:
                kv = _key_value(line.strip())
                if kv is not None:
                    target.setdefault(*kv)
        else:
            out.unknown.append(section)
    return out


def _lookup(header: dict[str, str], *names: str, contains: str | None = None) -> str:
    for name in names:
        if name in header:
            return header[name]
    if contains is not None:
        for key, value in header.items():
            if contains in key:
                return value
    return ""


# ----------------------------------------------------------------------------------------------
# reading: parcel header lines and point lines
# ----------------------------------------------------------------------------------------------
@dataclass
class _Parcel:
    row: int
    line: int
    text: str
    count: int | None = None
    area_text: str = ""
    parcel_id: str | None = None
    name: str | None = None
    kind: str = ""
    sheet_no: str | None = None
    purpose: str | None = None
    land_use: str | None = None
    description: str | None = None
    shifted: tuple[str, str] | None = None


def _blank(value: str) -> str | None:
    value = value.strip()
    return value or None


def _parse_parcel_line(text: str, row: int, line: int) -> _Parcel:
    """Fields of a parcel header line, realigned on the 图形属性 (面/线/点) field if shifted."""
    before = text.split("@", 1)[0].rstrip()
    fields = [f.strip() for f in before.split(",")]
    if before.endswith(","):
        fields.pop()
    p = _Parcel(row=row, line=line, text=text)
    k = 4
    if not (len(fields) > 4 and fields[4].lower() in _KINDS):
        anchors = [i for i, f in enumerate(fields) if f.lower() in _KINDS and i >= 1]
        if anchors:
            k = min(anchors, key=lambda i: abs(i - 4))
    if k > 4:
        # more fields than the standard before 图形属性: a name containing unescaped commas
        count, area, pid = fields[:3]
        name = ",".join(fields[3:k])
        p.shifted = (
            f"图形属性「{fields[k]}」在第 {k + 1} 字段，第 4–{k} 字段合并为地块名称",
            f"geometry kind '{fields[k]}' is field {k + 1}; fields 4–{k} joined as the name",
        )
    elif k < 4:
        # fewer fields: the leading ones (界址点数, then 地块面积…) are taken as missing
        count, area, pid, name = ([""] * (4 - k) + fields[:k])[:4]
        p.shifted = (
            f"图形属性「{fields[k]}」在第 {k + 1} 字段，前面缺少 {4 - k} 个字段，"
            f"按 地块面积={area or '空'}、地块编号={pid or '空'}、地块名称={name or '空'} 读取",
            f"geometry kind '{fields[k]}' is field {k + 1}; {4 - k} leading field(s) missing; "
            f"read as area={area or 'blank'}, id={pid or 'blank'}, name={name or 'blank'}",
        )
    else:
        count, area, pid, name = (fields + [""] * 4)[:4]
    p.kind = fields[k] if k < len(fields) else ""
    after = fields[k + 1 :]
    sheet, purpose, land_use = (after + [""] * 3)[:3]
    p.count = int(count) if count.isdigit() else None
    p.area_text = area
    p.parcel_id, p.name = _blank(pid), _blank(name)
    p.sheet_no, p.purpose, p.land_use = _blank(sheet), _blank(purpose), _blank(land_use)
    p.description = _blank(",".join(after[3:]))
    return p


@dataclass
class _Points:
    parcel: np.ndarray  # 0-based parcel index; -1 before the first parcel
    ring: np.ndarray  # 圈号 (float, NaN if unreadable)
    x: np.ndarray  # X column of the file (northing)
    y: np.ndarray  # Y column of the file (easting with zone prefix)
    line: np.ndarray  # 1-based line number in the file
    ok: np.ndarray  # the four fields were read


def _parse_body(sections: _Sections) -> tuple[list[_Parcel], _Points, list[int]]:
    """Parcel header lines and the point table (numbers parsed column-wise, not per point)."""
    body = sections.body
    lines = np.asarray(sections.body_lines, dtype=np.int64)
    is_header = np.fromiter(("@" in line for line in body), dtype=bool, count=len(body))
    cand = np.flatnonzero(~is_header)
    ring = np.full(len(body), np.nan)
    x, y = ring.copy(), ring.copy()
    ok = np.zeros(len(body), dtype=bool)
    no_at = np.zeros(len(body), dtype=bool)
    fast = _read_points_fast([body[i] for i in cand])
    if fast is not None:
        ring[cand], x[cand], y[cand] = fast
        ok[cand] = True
    elif cand.size:
        parts = (
            pd.Series([body[i] for i in cand], dtype=object)
            .str.replace("，", ",", regex=False)
            .str.split(",", n=4, expand=True)
            .reindex(columns=range(5))
        )
        r = pd.to_numeric(parts[1], errors="coerce").to_numpy(dtype=float)
        ring[cand] = r
        x[cand] = pd.to_numeric(parts[2], errors="coerce").to_numpy(dtype=float)
        y[cand] = pd.to_numeric(parts[3], errors="coerce").to_numpy(dtype=float)
        ok = np.isfinite(ring) & (ring == np.round(ring)) & np.isfinite(x) & np.isfinite(y)
        # a header line that lost its '@': not a point line, and 面/线/点 as 5th field or 7+
        for i in np.flatnonzero(~ok & ~is_header):
            fields = [f.strip().lower() for f in body[i].split(",")]
            no_at[i] = len(fields) >= 7 or (len(fields) >= 5 and fields[4] in _KINDS)
        is_header |= no_at
    parcel = np.cumsum(is_header) - 1
    header_pos = np.flatnonzero(is_header)
    parcels = [
        _parse_parcel_line(body[i], row=n, line=int(lines[i]))
        for n, i in enumerate(header_pos, start=1)
    ]
    missing_at = [int(parcel[i]) for i in np.flatnonzero(no_at)]
    pts = ~is_header
    points = _Points(
        parcel=parcel[pts],
        ring=ring[pts],
        x=x[pts],
        y=y[pts],
        line=lines[pts],
        ok=ok[pts],
    )
    return parcels, points, missing_at


def _read_points_fast(lines: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """圈号, X and Y of well-formed point lines with pandas' C parser; None when any line is
    not exactly ``name,ring,X,Y`` with numbers (the careful path then reads them)."""
    if not lines:
        return None
    try:
        table = pd.read_csv(
            io.StringIO("\n".join(lines)),
            header=None,
            names=range(4),
            usecols=[1, 2, 3],
            dtype=dict.fromkeys((1, 2, 3), np.float64),
            quoting=csv.QUOTE_NONE,
            skip_blank_lines=False,
            na_filter=False,
            engine="c",
        )
    except (ValueError, pd.errors.ParserError):
        return None
    if len(table) != len(lines):
        return None
    ring, x, y = (table[c].to_numpy(dtype=float) for c in (1, 2, 3))
    if not (np.isfinite(x).all() and np.isfinite(y).all() and (ring == np.round(ring)).all()):
        return None
    return ring, x, y


# ----------------------------------------------------------------------------------------------
# reading: CRS
# ----------------------------------------------------------------------------------------------
def _datum_of(text: str) -> str | None:
    t = re.sub(r"\s+", "", text).upper()
    if "2000" in t or "CGCS" in t:
        return "CGCS2000"
    if "80" in t or "西安" in t or "XIAN" in t:
        return "Xian1980"
    if "54" in t or "北京" in t or "BEIJING" in t:
        return "Beijing1954"
    return None


def _width_of(text: str) -> int | None:
    m = re.search(r"[36三六]", text)
    if m is None:
        return None
    return 3 if m.group(0) in "3三" else 6


def _zone_of(text: str, width: int | None) -> tuple[int | None, str | None]:
    """带号 value → zone; a central meridian written as 带号 (e.g. 120) is converted."""
    m = re.search(r"\d+", text)
    if m is None:
        return None, None
    value = int(m.group(0))
    if value <= 60:
        return value, None
    if width == 6 and (value + 3) % 6 == 0:
        zone = (value + 3) // 6
    elif value % 3 == 0:
        zone = value // 3
    else:
        return value, None
    return zone, f"{value}"


def _note(
    code: str, zh: str, en: str, *, field: str | None = None, value: str | None = None
) -> Issue:
    return Issue("note", code, zh, en, field=field, value=value)


def _decide_crs(
    attributes: dict[str, str], prefix: int | None, crs: CRS | int | str | None
) -> tuple[CRS, list[Issue]]:
    """CRS of the coordinates from 坐标系 + 几度分带 + 带号, the Y prefix, or ``crs``."""
    issues: list[Issue] = []
    datum_text = _lookup(attributes, "坐标系", "坐标系统", contains="坐标系")
    width_text = _lookup(attributes, "几度分带", "分带", "分带方式", contains="分带")
    zone_text = _lookup(attributes, "带号")
    cm_text = _lookup(attributes, "中央子午线", "中央经线", contains="中央")
    declared = CRS.from_user_input(crs) if crs is not None else None
    declared_info = gk_info(declared) if declared is not None else None

    datum = _datum_of(datum_text) if datum_text else None
    if datum is None:
        if declared_info is not None:
            datum = declared_info.datum
            how_zh, how_en = (
                f"按参数 crs 的基准 {datum}",
                f"the datum of the crs argument ({datum})",
            )
        else:
            datum = "CGCS2000"
            how_zh, how_en = "按 2000国家大地坐标系 (CGCS2000) 处理", "taken as CGCS2000"
        if datum_text:
            issues.append(
                _note(
                    "txt.datum_unknown",
                    f"坐标系「{datum_text}」无法识别，{how_zh}",
                    f"coordinate system '{datum_text}' not recognised; {how_en}",
                    field="坐标系",
                    value=datum_text,
                )
            )
        else:
            issues.append(
                _note(
                    "txt.datum_missing",
                    f"文件未写坐标系，{how_zh}",
                    f"the file names no coordinate system; {how_en}",
                    field="坐标系",
                )
            )
    width = _width_of(width_text) if width_text else None
    zone, cm = _zone_of(zone_text, width) if zone_text else (None, None)
    if zone is None and cm_text:
        m = re.search(r"\d+(\.\d+)?", cm_text)
        if m is not None:
            zone, cm = _zone_of(str(round(float(m.group(0)))), width)
    if cm is not None:
        issues.append(
            _note(
                "txt.zone_from_meridian",
                f"带号写作中央经线 {cm}°，按第 {zone} 带处理",
                f"the zone was written as central meridian {cm}°; taken as zone {zone}",
                field="带号",
                value=cm,
            )
        )

    if prefix is not None:
        found = zone_from_easting(prefix * 1_000_000 + 500_000)
        if found is None:
            raise CRSError(
                f"Y 坐标的带号前缀 {prefix} 不是有效的 3°（25–45）或 6°（13–23）带号",
                f"the zone prefix {prefix} of the Y coordinates is neither a 3-degree (25–45) "
                "nor a 6-degree (13–23) zone",
            )
        pzone, pwidth = found
        if zone is None:
            issues.append(
                _note(
                    "txt.zone_from_prefix",
                    f"带号为空，按 Y 坐标的带号前缀取第 {pzone} 带（{pwidth}°带）",
                    f"带号 is empty; zone {pzone} ({pwidth}-degree) taken from the Y prefix",
                    field="带号",
                )
            )
        elif zone != pzone:
            issues.append(
                _note(
                    "txt.zone_conflict",
                    f"带号={zone} 与 Y 坐标的带号前缀 {pzone} 不符，按坐标前缀取第 {pzone} 带",
                    f"带号={zone} disagrees with the Y prefix {pzone}; zone {pzone} taken from "
                    "the coordinates",
                    field="带号",
                    value=str(zone),
                )
            )
        if width is not None and width != pwidth:
            issues.append(
                _note(
                    "txt.width_conflict",
                    f"几度分带={width} 与带号 {pzone} 不符，按 {pwidth}°带处理",
                    f"zone width {width} disagrees with zone {pzone}; taken as {pwidth}-degree",
                    field="几度分带",
                    value=width_text,
                )
            )
        target = CRS.from_epsg(gk_epsg(pzone, width=pwidth, prefixed=True, datum=datum))
        how_zh, how_en = "", ""
    elif zone is not None:
        zwidth = 3 if 25 <= zone <= 45 else 6 if 13 <= zone <= 23 else (width or 3)
        if width is not None and width != zwidth:
            issues.append(
                _note(
                    "txt.width_conflict",
                    f"几度分带={width} 与带号 {zone} 不符，按 {zwidth}°带处理",
                    f"zone width {width} disagrees with zone {zone}; taken as {zwidth}-degree",
                    field="几度分带",
                    value=width_text,
                )
            )
        target = CRS.from_epsg(gk_epsg(zone, width=zwidth, prefixed=False, datum=datum))
        how_zh, how_en = "（Y 坐标不带带号前缀）", " (eastings carry no zone prefix)"
    elif declared is not None:
        if declared.is_geographic:
            raise CRSError(
                f"参数 crs 是经纬度坐标系 {declared.name}，但文件坐标是以米为单位的高斯-克吕格坐标",
                f"the crs argument {declared.name} is geographic, but the file's coordinates are "
                "Gauss-Krüger metres",
            )
        target = declared
        if declared_info is not None and declared_info.prefixed:
            target = CRS.from_epsg(
                gk_epsg(
                    declared_info.zone,
                    width=declared_info.width,
                    prefixed=False,
                    datum=declared_info.datum,
                )
            )
            issues.append(
                _note(
                    "crs.prefix_missing",
                    f"参数 crs {declared.name} 带带号，但 Y 坐标没有带号，按 EPSG:{target.to_epsg()} 处理",
                    f"the crs argument {declared.name} has a zone prefix but the eastings do not; "
                    f"taken as EPSG:{target.to_epsg()}",
                )
            )
        how_zh, how_en = (
            "（带号为空、Y 无带号前缀，按参数 crs）",
            " (no 带号, no Y prefix: crs argument)",
        )
        header_datum = _datum_of(datum_text) if datum_text else None
        if header_datum is not None and (
            declared_info is None or declared_info.datum != header_datum
        ):
            issues.append(
                _note(
                    "txt.datum_conflict",
                    f"文件写的坐标系「{datum_text}」与参数 crs（{declared.name}）不一致，按参数 crs",
                    f"the file's coordinate system '{datum_text}' differs from the crs argument "
                    f"({declared.name}); the crs argument was used",
                    field="坐标系",
                    value=datum_text,
                )
            )
    else:
        raise CRSError(
            "无法确定坐标系：带号为空，Y 坐标也没有带号前缀；请指定坐标系，"
            "如 crs=4549（CGCS2000 3°带 中央经线 120°E，不带带号）",
            "cannot tell the CRS: 带号 is empty and the Y coordinates carry no zone prefix; "
            "give it, e.g. crs=4549 (CGCS2000 3-degree, CM 120E, no prefix)",
        )
    if declared is not None and target != declared and (prefix is not None or zone is not None):
        issues.append(
            _note(
                "txt.crs_argument_ignored",
                f"文件已确定坐标系 EPSG:{target.to_epsg()}，参数 crs（{declared.name}）未采用",
                f"the file determines EPSG:{target.to_epsg()}; the crs argument "
                f"({declared.name}) was not used",
            )
        )
    issues.append(
        _note(
            "txt.crs",
            f"坐标系：{target.name} (EPSG:{target.to_epsg()}){how_zh}",
            f"coordinate system: {target.name} (EPSG:{target.to_epsg()}){how_en}",
        )
    )
    issues.extend(datum_notes(target))
    params = _lookup(attributes, "转换参数", contains="转换参数")
    values = [v.strip() for v in params.replace("，", ",").split(",") if v.strip()]
    if any(_nonzero(v) for v in values):
        issues.append(
            _note(
                "txt.transform_parameters",
                f"文件带有转换参数「{params}」，已记录但未应用；坐标按原样读取",
                f"the file carries transformation parameters '{params}'; recorded, not applied; "
                "coordinates read as they are",
                field="转换参数",
                value=params,
            )
        )
    return target, issues


def _nonzero(value: str) -> bool:
    try:
        return float(value) != 0.0
    except ValueError:
        return True


# ----------------------------------------------------------------------------------------------
# reading: geometry
# ----------------------------------------------------------------------------------------------
@dataclass
class _Built:
    parcel: np.ndarray  # parcel index of each built geometry
    geometry: np.ndarray  # MultiPolygons
    unclosed: dict[int, list[int]]  # parcel -> ring numbers closed by the reader
    degenerate: dict[int, list[int]]  # parcel -> ring numbers dropped (< 3 points / no area)
    split: dict[int, list[int]]  # parcel -> ring numbers used for several closed rings
    roles: dict[int, tuple[list[int], list[int]]]  # parcel -> (shell ring nos, hole ring nos)
    made_valid: dict[int, str]  # parcel -> GEOS reason of invalidity
    empty: list[int]  # parcels whose geometry came out empty


_EMPTY_INT = np.zeros(0, dtype=np.int64)
_EMPTY_GEOM = np.zeros(0, dtype=object)


def _segments(
    p: np.ndarray, xs: np.ndarray, ys: np.ndarray, new: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, set[int]]:
    """Start, end (exclusive) and closed flag of each ring; a group of points sharing one 圈号
    that returns to its first point before its end holds several rings and is split there."""
    n = len(p)
    starts = np.flatnonzero(new)
    ends = np.r_[starts[1:], n]
    gid = np.cumsum(new) - 1
    pos = np.arange(n) - starts[gid]
    eq = (xs == xs[starts][gid]) & (ys == ys[starts][gid])
    is_last = np.arange(n) == ends[gid] - 1
    inner = eq & (pos >= 3) & ~is_last
    seg_s, seg_e = starts.copy(), ends.copy()
    closed = eq[ends - 1] & (ends - starts >= 2)
    odd = np.unique(gid[inner])
    split_groups: set[int] = set()
    if odd.size:
        keep = np.ones(len(starts), dtype=bool)
        keep[odd] = False
        extra_s, extra_e, extra_c = [], [], []
        for g in odd:
            split_groups.add(int(g))
            a, e = int(starts[g]), int(ends[g])
            while a < e:
                hit = np.flatnonzero((xs[a + 3 : e] == xs[a]) & (ys[a + 3 : e] == ys[a]))
                b = a + 3 + int(hit[0]) + 1 if hit.size else e
                extra_s.append(a)
                extra_e.append(b)
                extra_c.append(bool(hit.size))
                a = b
        seg_s = np.r_[seg_s[keep], extra_s].astype(np.int64)
        seg_e = np.r_[seg_e[keep], extra_e].astype(np.int64)
        closed = np.r_[closed[keep], extra_c].astype(bool)
        order = np.argsort(seg_s, kind="stable")
        seg_s, seg_e, closed = seg_s[order], seg_e[order], closed[order]
    return seg_s, seg_e, closed, split_groups


def _build(parcel: np.ndarray, ring: np.ndarray, e: np.ndarray, n: np.ndarray) -> _Built:
    """MultiPolygon per parcel from its points, rings assembled by containment.

    Vectorized over all points of the file: rings, their polygons, the containment test
    (one STRtree over every ring) and the final constructors; Python loops only where a ring
    has to be split or a geometry repaired.
    """
    if len(e) == 0:
        return _Built(_EMPTY_INT, _EMPTY_GEOM, {}, {}, {}, {}, {}, [])
    order = np.lexsort((np.arange(len(e)), ring, parcel))
    p, r, xs, ys = parcel[order], ring[order], e[order], n[order]
    new = np.ones(len(p), dtype=bool)
    new[1:] = (p[1:] != p[:-1]) | (r[1:] != r[:-1])
    seg_s, seg_e, closed, split_groups = _segments(p, xs, ys, new)
    split: dict[int, list[int]] = {}
    starts = np.flatnonzero(new)
    for g in sorted(split_groups):
        split.setdefault(int(p[starts[g]]), []).append(int(r[starts[g]]))

    # coordinate index of every ring vertex, the closing vertex appended where missing
    nseg = len(seg_s)
    lens = seg_e - seg_s + (~closed)
    ring_of = np.repeat(np.arange(nseg), lens)
    offset = np.arange(int(lens.sum())) - np.repeat(np.cumsum(lens) - lens, lens)
    idx = np.repeat(seg_s, lens) + offset
    last = np.cumsum(lens) - 1
    idx[last[~closed]] = seg_s[~closed]
    cx, cy = xs[idx], ys[idx]
    seg_parcel, seg_ring = p[seg_s], r[seg_s].astype(np.int64)

    # fewer than three distinct points: no ring
    o = np.lexsort((cy, cx, ring_of))
    ro, xo, yo = ring_of[o], cx[o], cy[o]
    first = np.ones(len(o), dtype=bool)
    first[1:] = (ro[1:] != ro[:-1]) | (xo[1:] != xo[:-1]) | (yo[1:] != yo[:-1])
    distinct = np.bincount(ro[first], minlength=nseg)
    good = distinct >= 3

    unclosed: dict[int, list[int]] = {}
    degenerate: dict[int, list[int]] = {}
    for s in np.flatnonzero(~closed & good):
        unclosed.setdefault(int(seg_parcel[s]), []).append(int(seg_ring[s]))

    keep_coord = good[ring_of]
    kept = np.flatnonzero(good)
    compact = np.full(nseg, -1)
    compact[kept] = np.arange(kept.size)
    rings = shapely.linearrings(
        np.column_stack([cx[keep_coord], cy[keep_coord]]), indices=compact[ring_of[keep_coord]]
    )
    r_parcel, r_no = seg_parcel[kept], seg_ring[kept]

    # rings that are no polygon of their own (collinear, self-crossing): test on a valid version
    polys = shapely.polygons(rings)
    test = polys.copy()
    invalid = ~shapely.is_valid(polys)
    if invalid.any():
        test[invalid] = shapely.make_valid(polys[invalid], method="structure", keep_collapsed=False)
    area = shapely.area(test)
    flat = area <= 0
    dropped = np.flatnonzero(~good)
    for s in dropped:
        degenerate.setdefault(int(seg_parcel[s]), []).append(int(seg_ring[s]))
    for i in np.flatnonzero(flat):
        degenerate.setdefault(int(r_parcel[i]), []).append(int(r_no[i]))
    live = np.flatnonzero(~flat)
    rings, test, area = rings[live], test[live], area[live]
    r_parcel, r_no = r_parcel[live], r_no[live]
    nr = len(rings)
    if nr == 0:
        return _Built(_EMPTY_INT, _EMPTY_GEOM, unclosed, degenerate, split, {}, {}, [])

    # containment within each parcel: depth = number of other rings containing a ring
    # (only rings of parcels with several rings need testing: the common single ring does not)
    several = np.bincount(r_parcel)[r_parcel] > 1
    sub = np.flatnonzero(several)
    tree = shapely.STRtree(test[sub])
    outer, inner_ = tree.query(test[sub], predicate="contains")
    outer, inner_ = sub[outer], sub[inner_]
    same = (outer != inner_) & (r_parcel[outer] == r_parcel[inner_])
    outer, inner_ = outer[same], inner_[same]
    depth = np.bincount(inner_, minlength=nr)
    hole = depth % 2 == 1
    # a hole belongs to the smallest containing ring one level up
    cand = (depth[outer] == depth[inner_] - 1) & hole[inner_]
    co, ci = outer[cand], inner_[cand]
    pick = np.lexsort((area[co], ci))
    co, ci = co[pick], ci[pick]
    firsts = np.ones(len(ci), dtype=bool)
    firsts[1:] = ci[1:] != ci[:-1]
    parent = np.arange(nr)
    parent[ci[firsts]] = co[firsts]
    hole &= parent != np.arange(nr)  # odd depth but no ring one level up: keep as a shell

    # polygons: shell first, then its holes; parcels: their polygons in file order
    ring_order = np.lexsort((np.arange(nr), hole, parent))
    poly_key = parent[ring_order]
    poly_new = np.ones(nr, dtype=bool)
    poly_new[1:] = poly_key[1:] != poly_key[:-1]
    poly_idx = np.cumsum(poly_new) - 1
    polygons = shapely.polygons(rings[ring_order], indices=poly_idx)
    poly_parcel = r_parcel[ring_order][poly_new]
    parcel_new = np.ones(len(polygons), dtype=bool)
    parcel_new[1:] = poly_parcel[1:] != poly_parcel[:-1]
    geoms = shapely.multipolygons(polygons, indices=np.cumsum(parcel_new) - 1)
    built_parcel = poly_parcel[parcel_new]

    # ring numbers that do not mean "first = shell, others = holes" (rings are parcel-sorted)
    starts_p = np.r_[True, r_parcel[1:] != r_parcel[:-1]]
    first_no = np.minimum.reduceat(r_no, np.flatnonzero(starts_p))[np.cumsum(starts_p) - 1]
    odd_role = (hole & (r_no == first_no)) | (~hole & (r_no != first_no))
    roles: dict[int, tuple[list[int], list[int]]] = {}
    for pi in np.unique(r_parcel[odd_role]):
        mine = r_parcel == pi
        nos, holes_ = r_no[mine], hole[mine]
        roles[int(pi)] = (
            sorted({int(v) for v in nos[~holes_]}),
            sorted({int(v) for v in nos[holes_]}),
        )

    geoms = shapely.orient_polygons(geoms, exterior_cw=False)
    made_valid: dict[int, str] = {}
    empty: list[int] = []
    bad = np.flatnonzero(~shapely.is_valid(geoms))
    if bad.size:
        reasons = shapely.is_valid_reason(geoms[bad])
        fixed = shapely.make_valid(geoms[bad], method="structure", keep_collapsed=False)
        for j, b in enumerate(bad):
            made_valid[int(built_parcel[b])] = str(reasons[j])
            geoms[b] = _multipolygon(fixed[j])
        geoms[bad] = shapely.orient_polygons(geoms[bad], exterior_cw=False)
    for j in np.flatnonzero(shapely.is_empty(geoms)):
        empty.append(int(built_parcel[j]))
    keep = ~shapely.is_empty(geoms)
    return _Built(
        parcel=built_parcel[keep],
        geometry=geoms[keep],
        unclosed=unclosed,
        degenerate=degenerate,
        split=split,
        roles=roles,
        made_valid=made_valid,
        empty=empty,
    )


def _multipolygon(geom: shapely.Geometry) -> shapely.MultiPolygon:
    """The polygonal part of a geometry as a MultiPolygon (empty if none)."""
    parts = shapely.get_parts(geom)
    polys: list[shapely.Polygon] = []
    for part in parts:
        if isinstance(part, shapely.Polygon) and not part.is_empty:
            polys.append(part)
        elif isinstance(part, shapely.MultiPolygon | shapely.GeometryCollection):
            polys.extend(_multipolygon(part).geoms)
    return shapely.MultiPolygon(polys)


# ----------------------------------------------------------------------------------------------
# reading: the public function
# ----------------------------------------------------------------------------------------------
def read_txt(
    source: str | Path | bytes, *, crs: CRS | int | str | None = None
) -> tuple[gpd.GeoDataFrame, list[Issue]]:
    """Read a 部标 coordinate TXT file (勘测定界界址点坐标交换格式).

    Parameters
    ----------
    source : str, Path or bytes
        A path (any extension or none: the file is recognised by its content), the file's raw
        bytes, or its decoded text (a ``str`` containing a line break is taken as text).
    crs : CRS, int or str, optional
        Used only when the file cannot tell its CRS: 带号 empty and the Y coordinates carry no
        zone prefix. A zone-prefixed Gauss-Krüger CRS given here is turned into the matching
        CM-only one (the coordinates have no prefix), with a note.

    Returns
    -------
    gdf : GeoDataFrame
        One row per parcel that could be built, in file order, columns ``parcel_id``
        (地块编号), ``name`` (地块名称), ``land_use`` (地类编码), ``purpose`` (地块用途),
        ``sheet_no`` (图幅号) — missing text is null —, ``declared_area_m2`` (the header's
        地块面积 in m², NaN if blank), ``_row`` (1-based ordinal of the parcel in the file, also
        counting rejected parcels) and ``geometry`` (valid MultiPolygon, x = easting including
        any zone prefix, y = northing; exteriors counter-clockwise). ``gdf.crs`` is the
        Gauss-Krüger CRS of the file; ``gdf.attrs["txt_header"]`` holds the [属性描述] entries
        and ``gdf.attrs["txt_project"]`` the optional [项目信息] ones.
    issues : list of Issue
        ``note`` for file-level facts (encoding, CRS and how it was decided, area unit) and
        per-parcel observations (area mismatch, ring numbers that do not mean shell/hole);
        ``repaired`` (``row`` = ``_row``) for what was fixed (ring closed, degenerate ring
        dropped, fields realigned, geometry made valid); ``rejected`` (``row`` = ``_row``) for a
        parcel that could not be built and is not in ``gdf``.

    Raises
    ------
    FormatError
        Undecodable bytes, no [地块坐标] section, or no parcel in it.
    CRSError
        The CRS cannot be determined (no 带号, no Y prefix, no ``crs``), or the zone is not a
        Chinese Gauss-Krüger zone.

    Notes
    -----
    The declared 地块面积 is normally in 公顷 but some tools write m². Each parcel's declared
    area is compared with its geometry's area; the unit whose value is within 1 % (and
    closest) is taken. One note names the unit when all parcels agree (one per parcel when they
    differ); a parcel matching neither gets a note with both numbers and is converted with the
    file's unit (公顷 if none could be decided).
    """
    text, encoding = _load(source)
    issues: list[Issue] = [
        _note("txt.encoding", f"文件编码：{encoding}", f"file encoding: {encoding}")
    ]
    sections = _split_sections(text)
    if not sections.body:
        has_section = _COORDINATES in text or "地块坐标" in text
        raise FormatError(
            "不是部标坐标 TXT：没有 [地块坐标] 节" if not has_section else "[地块坐标] 节为空",
            "not a 部标 coordinate TXT: no [地块坐标] section"
            if not has_section
            else "the [地块坐标] section is empty",
        )
    for name in sections.unknown:
        issues.append(
            _note(
                "txt.unknown_section",
                f"不认识的节 [{name}]，其内容未读取",
                f"unknown section [{name}]; its content was not read",
                value=name,
            )
        )
    parcels, points, missing_at = _parse_body(sections)
    if not parcels:
        raise FormatError(
            "[地块坐标] 节中没有地块记录行（以 @ 结尾的行）",
            "no parcel header line (ending with '@') in the [地块坐标] section",
        )

    rejected: dict[int, Issue] = {}

    def key(i: int) -> str | None:
        return parcels[i].parcel_id

    def issue(
        status: Status,
        i: int,
        code: str,
        zh: str,
        en: str,
        *,
        field: str | None = None,
        value: str | None = None,
    ) -> Issue:
        row = parcels[i].row
        return Issue(status, code, zh, en, row=row, key=key(i), field=field, value=value)

    def reject(i: int, code: str, zh: str, en: str, **kw: str | None) -> None:
        if i not in rejected:
            rejected[i] = issue("rejected", i, code, zh, en, **kw)

    def repaired(i: int, code: str, zh: str, en: str, **kw: str | None) -> None:
        issues.append(issue("repaired", i, code, zh, en, **kw))

    def parcel_note(i: int, code: str, zh: str, en: str, **kw: str | None) -> None:
        issues.append(issue("note", i, code, zh, en, **kw))

    orphans = points.parcel < 0
    if orphans.any():
        lines_ = ", ".join(str(v) for v in points.line[orphans][:5])
        issues.append(
            Issue(
                "rejected",
                "txt.orphan_points",
                f"第一个地块记录行之前有 {int(orphans.sum())} 个坐标行（文件第 {lines_} 行等），"
                "不属于任何地块，未读取",
                f"{int(orphans.sum())} point line(s) before the first parcel header (file lines "
                f"{lines_}…) belong to no parcel; not read",
            )
        )
    for i in missing_at:
        repaired(
            i,
            "txt.header_without_at",
            f"地块记录行（文件第 {parcels[i].line} 行）缺少结尾的 @，按地块记录行读取",
            f"parcel header line (file line {parcels[i].line}) lacks the closing '@'; read as one",
            value=parcels[i].text,
        )
    described = 0
    for i, p in enumerate(parcels):
        if p.shifted is not None:
            zh, en = p.shifted
            repaired(i, "txt.header_shifted", zh, en, value=p.text)
        if p.description is not None:
            described += 1
        kind = p.kind.lower()
        if kind in _LINE_KINDS | _POINT_KINDS:
            reject(
                i,
                "txt.not_polygon",
                f"图形属性为「{p.kind}」，不是面，未读取",
                f"geometry kind is '{p.kind}', not a polygon (面); not read",
                field="图形属性",
                value=p.kind,
            )
        elif kind and kind not in _POLYGON_KINDS:
            parcel_note(
                i,
                "txt.kind_unknown",
                f"图形属性「{p.kind}」无法识别，按面读取",
                f"geometry kind '{p.kind}' not recognised; read as a polygon",
                field="图形属性",
                value=p.kind,
            )
    if described:
        issues.append(
            _note(
                "txt.description_ignored",
                f"{described} 个地块记录行有第 10 字段（描述），该字段未导入",
                f"{described} parcel header line(s) carry a 10th field (描述); it was not imported",
            )
        )

    # point lines that could not be read reject their parcel
    bad = ~points.ok & ~orphans
    for i, j, n_bad in zip(*_first_by_parcel(bad, points.parcel), strict=True):
        reject(
            i,
            "txt.bad_point_line",
            f"{n_bad} 个坐标行无法读取（首个为文件第 {points.line[j]} 行），需要 点号,圈号,X,Y",
            f"{n_bad} point line(s) cannot be read (the first is file line {points.line[j]}); "
            "expected point,ring,X,Y",
            field="geometry",
            value=sections.body[int(np.searchsorted(sections.body_lines, points.line[j]))],
        )
    counts = np.bincount(points.parcel[~orphans], minlength=len(parcels))
    for i in np.flatnonzero(counts == 0):
        reject(
            int(i),
            "txt.no_points",
            "地块记录行后没有坐标行",
            "no point lines follow the parcel header",
            field="geometry",
        )

    use = points.ok & ~orphans
    x_col, y_col = points.x[use], points.y[use]
    pt_parcel, pt_ring, pt_line = points.parcel[use], points.ring[use], points.line[use]
    if x_col.size and (x_col >= 1e7).all() and (y_col < 1e7).all():
        x_col, y_col = y_col, x_col
        issues.append(
            _note(
                "txt.swapped_xy",
                "X 列是带带号的东坐标、Y 列是北坐标（与规定相反），已交换",
                "the X column holds zone-prefixed eastings and Y the northings (the reverse of "
                "the format); swapped",
            )
        )
    east, north = y_col, x_col

    # zone prefix: one for the whole file; parcels that disagree, or lie out of range, rejected
    prefix = np.where(east >= 1e7, np.floor(east / 1e6), 0).astype(np.int64)
    values, freq = np.unique(prefix, return_counts=True)
    file_prefix = int(values[np.argmax(freq)]) if values.size else 0
    for i, j, _ in zip(*_first_by_parcel(prefix != file_prefix, pt_parcel), strict=True):
        other = int(prefix[j])
        reject(
            i,
            "txt.zone_prefix_mismatch",
            f"Y 坐标的带号前缀（{other or '无'}）与文件中其他地块（{file_prefix or '无'}）不一致",
            f"the zone prefix of the Y coordinates ({other or 'none'}) differs from the rest of "
            f"the file ({file_prefix or 'none'})",
            field="geometry",
        )
    rest = east - prefix * 1_000_000
    out = ~(
        (rest >= EASTING_RANGE[0])
        & (rest <= EASTING_RANGE[1])
        & (north >= NORTHING_RANGE[0])
        & (north <= NORTHING_RANGE[1])
    )
    for i, j, _ in zip(*_first_by_parcel(out, pt_parcel), strict=True):
        reject(
            i,
            "txt.coordinates_out_of_range",
            f"坐标超出中国高斯-克吕格坐标的合理范围（文件第 {pt_line[j]} 行 X={north[j]}, "
            f"Y={east[j]}）",
            f"coordinates outside the plausible Chinese Gauss-Krüger range (file line "
            f"{pt_line[j]}: X={north[j]}, Y={east[j]})",
            field="geometry",
        )

    target, crs_issues = _decide_crs(sections.attributes, file_prefix or None, crs)
    issues.extend(crs_issues)

    # geometry
    live = ~np.isin(pt_parcel, np.fromiter(rejected, dtype=np.int64, count=len(rejected)))
    built = _build(pt_parcel[live], pt_ring[live], east[live], north[live])
    for i, nos in built.split.items():
        repaired(
            i,
            "txt.ring_split",
            f"圈号 {_list(nos)} 下有多个闭合环，已分开",
            f"ring number(s) {_list(nos, ', ')} hold several closed rings; split",
            field="geometry",
        )
    for i, nos in built.degenerate.items():
        repaired(
            i,
            "txt.ring_degenerate",
            f"圈号 {_list(nos)} 不足 3 个不同的点或面积为零，已舍去",
            f"ring(s) {_list(nos, ', ')} have fewer than 3 distinct points or no area; dropped",
            field="geometry",
        )
    for i, nos in built.unclosed.items():
        repaired(
            i,
            "txt.ring_closed",
            f"圈号 {_list(nos)} 未闭合（末点不等于首点），已用首点闭合",
            f"ring(s) {_list(nos, ', ')} not closed (last point differs from the first); closed",
            field="geometry",
        )
    for i, (shells, holes) in built.roles.items():
        parcel_note(
            i,
            "txt.ring_roles",
            f"圈号与内外环关系不符，按包含关系读取：外环 圈号 {_list(shells)}"
            + (f"，内环（洞）圈号 {_list(holes)}" if holes else ""),
            f"ring numbers do not match shell/hole roles; assembled by containment: shells "
            f"{_list(shells, ', ')}" + (f"; holes {_list(holes, ', ')}" if holes else ""),
            field="geometry",
        )
    for i, reason in built.made_valid.items():
        repaired(
            i,
            "txt.geometry_made_valid",
            f"图形无效（{reason}），已修复为有效图形",
            f"invalid geometry ({reason}); made valid",
            field="geometry",
            value=reason,
        )
    for i in built.empty:
        reject(
            i,
            "txt.empty_geometry",
            "图形修复后为空（环自相交或重叠相消）",
            "the geometry is empty once made valid (self-crossing or cancelling rings)",
            field="geometry",
        )
    built_set = {int(v) for v in built.parcel}
    for i in range(len(parcels)):
        if i not in rejected and i not in built_set:
            reject(
                i,
                "txt.no_valid_ring",
                "没有可用的环（每个环都不足 3 个不同的点或面积为零）",
                "no usable ring (every ring has fewer than 3 distinct points or no area)",
                field="geometry",
            )

    gdf = _frame(parcels, built, target)
    issues.extend(_area_unit(gdf, parcels, built.parcel))
    issues.extend(_point_counts(parcels, built.parcel, pt_parcel, pt_ring))
    issues.extend(rejected[i] for i in sorted(rejected))
    gdf.attrs["txt_header"] = dict(sections.attributes)
    gdf.attrs["txt_project"] = dict(sections.project)
    return gdf, issues


def _first_by_parcel(
    mask: np.ndarray, parcel: np.ndarray
) -> tuple[list[int], list[int], list[int]]:
    """Parcels having points where ``mask`` holds: (parcel, index of its first such point,
    how many)."""
    idx = np.flatnonzero(mask)
    found, first, count = np.unique(parcel[idx], return_index=True, return_counts=True)
    return found.tolist(), idx[first].tolist(), count.tolist()


def _list(values: list[int], sep: str = "、") -> str:
    return sep.join(str(v) for v in values)


def _frame(parcels: list[_Parcel], built: _Built, target: CRS) -> gpd.GeoDataFrame:
    chosen = [parcels[int(i)] for i in built.parcel]
    return gpd.GeoDataFrame(
        {
            "parcel_id": pd.Series([p.parcel_id for p in chosen], dtype="str"),
            "name": pd.Series([p.name for p in chosen], dtype="str"),
            "land_use": pd.Series([p.land_use for p in chosen], dtype="str"),
            "purpose": pd.Series([p.purpose for p in chosen], dtype="str"),
            "sheet_no": pd.Series([p.sheet_no for p in chosen], dtype="str"),
            "declared_area_m2": np.full(len(chosen), np.nan),
            ROW: np.array([p.row for p in chosen], dtype=np.int64),
        },
        geometry=built.geometry,
        crs=target,
    )


def _area_unit(
    gdf: gpd.GeoDataFrame, parcels: list[_Parcel], built_parcel: np.ndarray
) -> list[Issue]:
    """Decide 公顷 or m² for the declared areas, fill ``declared_area_m2`` and say so."""
    issues: list[Issue] = []
    if gdf.empty:
        return issues
    texts = pd.Series([parcels[int(i)].area_text for i in built_parcel], dtype="str")
    declared = pd.to_numeric(texts, errors="coerce").to_numpy(dtype=float)
    for j in np.flatnonzero(~np.isfinite(declared) & (texts.str.strip() != "").to_numpy()):
        p = parcels[int(built_parcel[j])]
        issues.append(
            Issue(
                "note",
                "txt.area_unreadable",
                f"地块面积「{p.area_text}」不是数字，按空处理",
                f"declared area '{p.area_text}' is not a number; taken as blank",
                row=p.row,
                key=p.parcel_id,
                field="declared_area_m2",
                value=p.area_text,
            )
        )
    area = gdf.geometry.area.to_numpy(dtype=float)
    has = np.isfinite(declared)
    with np.errstate(invalid="ignore", divide="ignore"):
        err_ha = np.abs(declared * M2_PER_HA - area) / area
        err_m2 = np.abs(declared - area) / area
    is_ha = has & (err_ha <= AREA_TOLERANCE) & (err_ha <= err_m2)
    is_m2 = has & (err_m2 <= AREA_TOLERANCE) & ~is_ha
    neither = has & ~is_ha & ~is_m2
    n_ha, n_m2 = int(is_ha.sum()), int(is_m2.sum())
    default = "m2" if n_m2 and not n_ha else "ha"
    unit = np.where(is_m2, "m2", np.where(is_ha, "ha", default))
    gdf["declared_area_m2"] = np.where(
        has, np.where(unit == "ha", declared * M2_PER_HA, declared), np.nan
    )
    if n_ha and n_m2:
        for j in np.flatnonzero(is_ha | is_m2):
            p = parcels[int(built_parcel[j])]
            u = str(unit[j])
            issues.append(
                Issue(
                    "note",
                    "txt.area_unit",
                    f"本地块的地块面积 {p.area_text} 以{_UNIT_ZH[u]}计（与图形面积 "
                    f"{area[j]:.1f} m² 相符）；本文件中面积单位不统一",
                    f"this parcel's declared area {p.area_text} is in {_UNIT_EN[u]} (matches "
                    f"the geometry's {area[j]:.1f} m²); the file mixes units",
                    row=p.row,
                    key=p.parcel_id,
                    field="declared_area_m2",
                    value=_UNIT_ZH[u],
                )
            )
    elif n_ha or n_m2:
        u = "ha" if n_ha else "m2"
        count = n_ha or n_m2
        issues.append(
            _note(
                "txt.area_unit",
                f"地块面积单位判定为{_UNIT_ZH[u]}：{count} 个地块的申报面积与图形面积相差不超过 1%",
                f"declared areas are in {_UNIT_EN[u]}: {count} parcel(s) match the geometry "
                "area within 1 %",
                field="declared_area_m2",
                value=_UNIT_ZH[u],
            )
        )
    for j in np.flatnonzero(neither):
        p = parcels[int(built_parcel[j])]
        u = str(unit[j])
        d = declared[j]
        issues.append(
            Issue(
                "note",
                "txt.area_mismatch",
                f"申报面积 {p.area_text} 与图形面积 {area[j]:.2f} m² 不符：按公顷为 "
                f"{d * M2_PER_HA:.2f} m²（差 {err_ha[j]:.1%}），按平方米差 {err_m2[j]:.1%}；"
                f"按{_UNIT_ZH[u]}换算",
                f"declared area {p.area_text} does not match the geometry's {area[j]:.2f} m²: "
                f"as hectares {d * M2_PER_HA:.2f} m² ({err_ha[j]:.1%} off), as m² "
                f"{err_m2[j]:.1%} off; converted as {_UNIT_EN[u]}",
                row=p.row,
                key=p.parcel_id,
                field="declared_area_m2",
                value=p.area_text,
            )
        )
    return issues


def _point_counts(
    parcels: list[_Parcel], built_parcel: np.ndarray, pt_parcel: np.ndarray, pt_ring: np.ndarray
) -> list[Issue]:
    """A declared 界址点数 matching no counting convention hints at a truncated record."""
    issues: list[Issue] = []
    rows = np.bincount(pt_parcel, minlength=len(parcels))
    pairs = np.unique(np.column_stack([pt_parcel, pt_ring]), axis=0)
    rings = np.bincount(pairs[:, 0].astype(np.int64), minlength=len(parcels))
    for i in built_parcel:
        p = parcels[int(i)]
        n, k = int(rows[int(i)]), int(rings[int(i)])
        # tools count with or without the closing repeats (one per ring)
        if p.count is not None and not n - k <= p.count <= n:
            issues.append(
                Issue(
                    "note",
                    "txt.point_count",
                    f"界址点数 {p.count} 与坐标行数 {n} 不符，按坐标行读取",
                    f"declared point count {p.count} differs from the {n} point lines; "
                    "the point lines were read",
                    row=p.row,
                    key=p.parcel_id,
                    value=str(p.count),
                )
            )
    return issues


# ----------------------------------------------------------------------------------------------
# writing
# ----------------------------------------------------------------------------------------------
def _text(value: object) -> str:
    """A field value safe inside a record: no separator, no terminator, one line."""
    if value is None or (pd.api.types.is_scalar(value) and pd.isna(value)):
        return ""
    text = str(value).strip()
    for a, b in ((",", "，"), ("@", "＠"), ("\r", " "), ("\n", " ")):
        text = text.replace(a, b)
    return text


def write_txt(
    gdf: gpd.GeoDataFrame,
    path: str | Path | None = None,
    *,
    id_field: str = "parcel_id",
    name_field: str | None = "name",
    land_use_field: str | None = "land_use",
    purpose_field: str | None = None,
    sheet_field: str | None = None,
    producer: str = "dideng",
    produced_on: date | None = None,
    encoding: str = "gbk",
) -> str:
    """Write parcels as a 部标 coordinate TXT file.

    Parameters
    ----------
    gdf : GeoDataFrame
        Polygons or MultiPolygons (polygonal parts of collections are taken). In a CGCS2000
        Gauss-Krüger CRS (3° or 6°, with or without the zone prefix) it is written as it is;
        Xian 1980 and Beijing 1954 Gauss-Krüger too, with their own 坐标系 (a datum shift needs
        local parameters, so none is made). Any other CRS is reprojected to the CGCS2000 3°
        zone of the data's centre.
    path : str or Path, optional
        Where to write; the text is returned either way.
    id_field, name_field, land_use_field, purpose_field, sheet_field : str or None
        Columns written as 地块编号, 地块名称, 地类编码, 地块用途 and 图幅号. ``id_field`` must
        exist; the others are left blank when None or absent.
    producer : str
        数据产生单位.
    produced_on : date, optional
        数据产生日期 (today by default), written ISO (2024-05-01).
    encoding : str
        ``"gbk"`` (what bureau upload systems expect) by default; ``"utf-8-sig"`` or
        ``"gb18030"`` for text GBK cannot hold.

    Returns
    -------
    str
        The file's text, with CRLF line endings.

    Notes
    -----
    Per parcel: ``界址点数,地块面积,地块编号,地块名称,面,图幅号,地块用途,地类编码,@`` with the
    area in 公顷 (4 decimals) and 界址点数 counting every point line (closing repeats
    included); then ``J<n>,<圈号>,<X>,<Y>`` with X = northing and Y = easting including the
    zone prefix, 3 decimals. Each polygon's exterior gets the next 圈号 (1 for the first),
    its holes the following ones; exteriors are written clockwise and holes counter-clockwise
    (the surveying habit); each ring ends with its first point repeated under the same 点号;
    J numbers restart at 1 for every parcel and run on across its rings. Commas and ``@`` in
    text fields are written full-width (，＠) so that they cannot break the record.

    Raises
    ------
    ValidationError
        ``id_field`` missing, a row without polygonal geometry, or text the encoding cannot
        represent.
    CRSError
        ``gdf`` has no CRS.
    """
    if gdf.crs is None:
        raise CRSError("数据没有坐标系，无法写出坐标", "data has no CRS; cannot write coordinates")
    if id_field not in gdf.columns:
        raise ValidationError(
            f"没有地块编号字段「{id_field}」；现有字段：{', '.join(map(str, gdf.columns))}",
            f"no id field '{id_field}'; columns are: {', '.join(map(str, gdf.columns))}",
        )
    if gdf.empty:
        raise ValidationError("没有可写出的地块", "no parcel to write")
    info = gk_info(gdf.crs)
    geoseries = gdf.geometry
    if info is None:
        geoseries = geoseries.to_crs(workspace_crs_for(geoseries))
        info = gk_info(geoseries.crs)
        assert info is not None
    shift = 0.0 if info.prefixed else info.zone * 1_000_000.0

    geoms = np.empty(len(geoseries), dtype=object)
    geoms[:] = [_multipolygon(g) if g is not None else None for g in geoseries.values]
    empty = [i for i, g in enumerate(geoms) if g is None or g.is_empty]
    if empty:
        rows = ", ".join(str(i + 1) for i in empty[:10])
        raise ValidationError(
            f"第 {rows} 行没有面图形，无法写出",
            f"row(s) {rows} have no polygon geometry; cannot write",
        )
    geoms = shapely.orient_polygons(geoms, exterior_cw=True)
    areas_ha = shapely.area(geoms) / M2_PER_HA

    # rings of every parcel, coordinates and point numbers, all at once
    parts, part_parcel = shapely.get_parts(geoms, return_index=True)
    rings, ring_part = shapely.get_rings(parts, return_index=True)
    ring_parcel = part_parcel[ring_part]
    nrings = len(rings)
    parcel_first_ring = np.searchsorted(ring_parcel, np.arange(len(geoms)))
    ring_no = np.arange(nrings) - parcel_first_ring[ring_parcel] + 1
    coords, coord_ring = shapely.get_coordinates(rings, return_index=True)
    ring_len = np.bincount(coord_ring, minlength=nrings)
    ring_start = np.cumsum(ring_len) - ring_len
    pos = np.arange(len(coords)) - ring_start[coord_ring]
    # distinct points before each ring in its parcel → J number base
    distinct = ring_len - 1
    cum = np.cumsum(distinct) - distinct
    base = cum - cum[parcel_first_ring[ring_parcel]]
    closing = pos == ring_len[coord_ring] - 1
    number = base[coord_ring] + np.where(closing, 0, pos) + 1
    coord_parcel = ring_parcel[coord_ring]
    per_parcel = np.bincount(coord_parcel, minlength=len(geoms))
    northing = coords[:, 1]
    easting = coords[:, 0] + shift
    point_lines = [
        f"J{j},{r},{x:.3f},{y:.3f}"
        for j, r, x, y in zip(
            number.tolist(),
            ring_no[coord_ring].tolist(),
            northing.tolist(),
            easting.tolist(),
            strict=True,
        )
    ]

    def column(name: str | None) -> list[str]:
        if name is None or name not in gdf.columns:
            return [""] * len(gdf)
        return [_text(v) for v in gdf[name]]

    ids, names = column(id_field), column(name_field)
    sheets, purposes, uses = column(sheet_field), column(purpose_field), column(land_use_field)
    made = produced_on or date.today()
    lines = [
        "[属性描述]",
        "格式版本号=1.01版本",
        f"数据产生单位={_text(producer)}",
        f"数据产生日期={made.isoformat()}",
        f"坐标系={_DATUM_HEADER[info.datum]}",
        f"几度分带={info.width}",
        "投影类型=高斯克吕格",
        "计量单位=米",
        f"带号={info.zone}",
        "精度=0.001",
        "转换参数=,,,,,,",
        "[地块坐标]",
    ]
    first = np.cumsum(per_parcel) - per_parcel
    for i in range(len(geoms)):
        lines.append(
            f"{per_parcel[i]},{areas_ha[i]:.4f},{ids[i]},{names[i]},面,"
            f"{sheets[i]},{purposes[i]},{uses[i]},@"
        )
        lines.extend(point_lines[first[i] : first[i] + per_parcel[i]])
    text = "\r\n".join(lines) + "\r\n"
    try:
        data = text.encode(encoding)
    except UnicodeEncodeError as exc:
        bad = exc.object[exc.start : exc.end]
        raise ValidationError(
            f"字符「{bad}」无法用 {encoding} 编码；请改用 encoding='gb18030' 或 'utf-8-sig'",
            f"character '{bad}' cannot be encoded in {encoding}; use encoding='gb18030' or "
            "'utf-8-sig'",
        ) from None
    if path is not None:
        Path(path).write_bytes(data)
    return text
