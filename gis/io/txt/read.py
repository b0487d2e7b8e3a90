"""Reading a 部标 TXT file: :func:`read_txt`.

Runs :mod:`~gis.io.txt.parse`, :mod:`~gis.io.txt.zone`, :mod:`~gis.io.txt.build` and
:mod:`~gis.io.txt.declared` in turn, checks the points between them (unreadable lines, swapped
X/Y, zone prefix, plausible range) and turns every finding into an :class:`~gis.report.Issue`.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import CRS

from gis.crs import EASTING_RANGE, NORTHING_RANGE
from gis.errors import FormatError
from gis.io.txt.build import _build, _Built
from gis.io.txt.declared import _area_unit, _point_counts
from gis.io.txt.parse import (
    _COORDINATES,
    _LINE_KINDS,
    _POINT_KINDS,
    _POLYGON_KINDS,
    _load,
    _note,
    _Parcel,
    _parse_body,
    _split_sections,
)
from gis.io.txt.zone import _decide_crs
from gis.report import ROW, Issue, Status

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
    ring_repairs = (
        (built.split, "txt.ring_split", "圈号 {} 下有多个闭合环，已分开",
         "ring number(s) {} hold several closed rings; split"),
        (built.degenerate, "txt.ring_degenerate", "圈号 {} 不足 3 个不同的点或面积为零，已舍去",
         "ring(s) {} have fewer than 3 distinct points or no area; dropped"),
        (built.unclosed, "txt.ring_closed", "圈号 {} 未闭合（末点不等于首点），已用首点闭合",
         "ring(s) {} not closed (last point differs from the first); closed"),
    )
    for found, code, zh, en in ring_repairs:
        for i, nos in found.items():
            repaired(i, code, zh.format(_list(nos)), en.format(_list(nos, ", ")), field="geometry")
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
