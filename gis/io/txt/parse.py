"""The text of a 部标 TXT file: decoding, sections, header keys, parcel and point lines.

Nothing here decides a CRS or builds a geometry: the file is cut into its ``[属性描述]`` /
``[项目信息]`` key=value entries and the ``[地块坐标]`` body, whose lines become parcel records
(:class:`_Parcel`, realigned on the 图形属性 field when shifted) and one column-wise point
table (:class:`_Points`).
"""

from __future__ import annotations

import csv
import io
import itertools
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from gis.errors import FormatError
from gis.io import detect_text
from gis.report import Issue

_OPENING = ("[", "【", "［", "〔")
_SECTION_RE = re.compile(r"^\s*[\[【［〔]\s*(.*?)\s*[\]】］〕]\s*$")
_PROJECT, _ATTRIBUTES, _COORDINATES = "项目信息", "属性描述", "地块坐标"

# 记录图形属性 (record geometry kind) values
_POLYGON_KINDS = {"面", "多边形", "面状", "区", "polygon", "area"}
_LINE_KINDS = {"线", "线状", "line", "polyline"}
_POINT_KINDS = {"点", "点状", "point"}
_KINDS = _POLYGON_KINDS | _LINE_KINDS | _POINT_KINDS


def _note(
    code: str, zh: str, en: str, *, field: str | None = None, value: str | None = None
) -> Issue:
    """A file-level note (no row)."""
    return Issue("note", code, zh, en, field=field, value=value)


# ----------------------------------------------------------------------------------------------
# decoding and sections
# ----------------------------------------------------------------------------------------------
def _load(source: str | Path | bytes) -> tuple[str, str]:
    """Text of the source and a description of its encoding."""
    if isinstance(source, bytes | bytearray):
        return _decode(bytes(source))
    if isinstance(source, str) and ("\n" in source or "\r" in source):
        return source.lstrip("\ufeff"), "文本 text"
    path = Path(source)
    return _decode(path.read_bytes())


_LABELS = {"utf-8-sig": "UTF-8 (BOM)", "utf-16": "UTF-16 (BOM)", "utf-8": "UTF-8",
           "gb18030": "GBK/GB18030"}


def _decode(data: bytes) -> tuple[str, str]:
    """BOM → that encoding; else strict UTF-8; else GB18030 (a superset of GBK and GB2312)."""
    try:
        text, codec = detect_text(data)
    except UnicodeDecodeError as exc:
        if exc.encoding != "gb18030":  # a BOM named an encoding the content does not decode in
            raise FormatError(
                f"文件以 BOM 标明编码，但内容无法按该编码解码（第 {exc.start} 字节）",
                f"the file's BOM names an encoding its content does not decode in "
                f"(byte {exc.start})",
            ) from None
        raise FormatError(
            f"文件既不是 UTF-8 也不是 GBK/GB18030 编码（第 {exc.start} 字节无法解码）",
            f"the file is neither UTF-8 nor GBK/GB18030 (byte {exc.start} does not decode)",
        ) from None
    return text, _LABELS[codec]


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
# parcel header lines and point lines
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
