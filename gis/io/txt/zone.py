"""The CRS of a 部标 TXT file's coordinates, decided from its header.

坐标系 gives the datum, 几度分带 the zone width and 带号 the zone (a central meridian written
there is converted); the zone prefix of the Y coordinates wins over 带号 when they disagree,
and the ``crs`` argument of :func:`gis.io.txt.read_txt` is the last resort. Every inference
and conflict is reported as a note.
"""

from __future__ import annotations

import re

from pyproj import CRS

from gis.crs import datum_notes, gk_epsg, gk_info, zone_from_easting
from gis.errors import CRSError
from gis.io.txt.parse import _lookup, _note
from gis.report import Issue


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



def _width_conflict(width: int, zone: int, taken: int, width_text: str) -> Issue:
    """The note for a 几度分带 header contradicting the zone number."""
    return _note(
        "txt.width_conflict",
        f"几度分带={width} 与带号 {zone} 不符，按 {taken}°带处理",
        f"zone width {width} disagrees with zone {zone}; taken as {taken}-degree",
        field="几度分带",
        value=width_text,
    )


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
            issues.append(_width_conflict(width, pzone, pwidth, width_text))
        target = CRS.from_epsg(gk_epsg(pzone, width=pwidth, prefixed=True, datum=datum))
        how_zh, how_en = "", ""
    elif zone is not None:
        zwidth = 3 if 25 <= zone <= 45 else 6 if 13 <= zone <= 23 else (width or 3)
        if width is not None and width != zwidth:
            issues.append(_width_conflict(width, zone, zwidth, width_text))
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
