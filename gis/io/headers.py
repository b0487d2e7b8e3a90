"""Map the headers of a bureau file to catalogue field names.

A header matches a field by its canonical name, its Chinese label, its English label or one of
its aliases in the catalogue — after normalisation (full-width to half-width, spaces removed,
case folded). A unit written in the header, as in ``用地面积（亩）`` or ``出让价款(元)``, is
recognised and the values are converted to the field's unit (reported). Headers dideng itself
writes (``出让价款（万元）price_wan``) map back.

Examples
--------
>>> from layers import catalogue
>>> import pandas as pd
>>> df, notes, factors = map_headers(pd.DataFrame(columns=["宗地代码", "用途代码", "备注"]),
...                                  catalogue["parcels"])
>>> list(df.columns)
['parcel_id', 'land_use', '备注']
>>> mapped, notes, factors = map_headers(pd.DataFrame(columns=["批复面积（亩）"]),
...                                      catalogue["approvals"])
>>> list(mapped.columns), round(factors["declared_area_m2"], 4)
(['declared_area_m2'], 666.6667)
"""

from __future__ import annotations

import re
import unicodedata

import geopandas as gpd
import pandas as pd

from gis.report import ROW, Issue
from gis.units import M2_PER_MU
from layers import UNIT_LABELS, Layer

__all__ = ["header_key", "header_lookup", "map_headers", "normalize_header"]

# unit written in a header -> (unit code of the catalogue, factor to that unit)
_HEADER_UNITS: dict[str, tuple[str, float]] = {
    "亩": ("m2", M2_PER_MU),
    "公顷": ("m2", 10_000.0),
    "ha": ("m2", 10_000.0),
    "平方米": ("m2", 1.0),
    "m2": ("m2", 1.0),
    "㎡": ("m2", 1.0),
    "平方公里": ("m2", 1_000_000.0),
    "万元": ("wan", 1.0),
    "元": ("wan", 1e-4),
    "亿元": ("wan", 1e4),
    "千瓦时": ("kwh", 1.0),
    "度": ("kwh", 1.0),
    "kwh": ("kwh", 1.0),
    "万千瓦时": ("kwh", 1e4),
    "万度": ("kwh", 1e4),
    "吨标煤": ("tce", 1.0),
    "吨标准煤": ("tce", 1.0),
    "万吨标煤": ("tce", 1e4),
    "千伏安": ("kva", 1.0),
    "kva": ("kva", 1.0),
    "米": ("m", 1.0),
    "m": ("m", 1.0),
    "公里": ("km", 1.0),
    "千米": ("km", 1.0),
    "km": ("km", 1.0),
    "人": ("person", 1.0),
    "吨": ("t", 1.0),
    "万元/亩": ("wan_per_mu", 1.0),
    "元/平方米": ("wan_per_mu", 1e-4 * M2_PER_MU),
    "%": ("share", 0.01),
}
# areas given in 亩 for fields kept in 亩 (projects' needs)
_MU_UNITS = {"亩": 1.0, "公顷": 15.0, "平方米": 1 / M2_PER_MU, "m2": 1 / M2_PER_MU}

_UNIT_TAIL = re.compile(
    r"^(?P<head>.+?)[(\[【{](?P<unit>[^()\[\]【】{}]*)[)\]】}]\s*(?P<name>[a-z0-9_]*)$"
)


def normalize_header(text: object) -> str:
    """Header text for matching: NFKC (full-width → ASCII), no spaces, lower case."""
    s = unicodedata.normalize("NFKC", str(text))
    return re.sub(r"\s+", "", s).lower()


def header_key(text: object) -> str:
    """:func:`normalize_header` with a trailing bracketed unit dropped: ``用地面积（亩）`` →
    ``用地面积`` (for finding the header row, where only the name matters)."""
    return _split_unit(normalize_header(text))[0]


def _split_unit(norm: str) -> tuple[str, str | None, str | None]:
    """'用地面积(亩)' → ('用地面积', '亩', None); '出让价款(万元)price_wan' → (…, '万元', 'price_wan')."""
    m = _UNIT_TAIL.match(norm)
    if m:
        return m["head"], m["unit"], m["name"] or None
    return norm, None, None


def header_lookup(layer: Layer) -> dict[str, str]:
    """Normalised header → field name for a layer (names, labels, aliases)."""
    table: dict[str, str] = {}
    for f in layer.fields:
        for text in (f.name, f.zh, f.en, *f.aliases):
            key = normalize_header(text)
            table.setdefault(key, f.name)
        unit = UNIT_LABELS.get(f.unit or "")
        table.setdefault(normalize_header(f.header), f.name)
        if unit:
            table.setdefault(normalize_header(f"{f.zh}({unit})"), f.name)
    return table


def _truncated(norm: str, lookup: dict[str, str]) -> str | None:
    """The field a header cut at the DBF's 10-byte name limit stands for, if unique.

    Only headers whose byte length (GBK or UTF-8) reaches the limit can have been cut; the
    header must then be the start of exactly one field's label or alias.
    """
    if len(norm) < 2 or not any(
        len(norm.encode(enc, errors="replace")) >= limit
        for enc, limit in (("gb18030", 9), ("utf-8", 8))
    ):
        return None
    fields = {f for text, f in lookup.items() if text.startswith(norm) and text != norm}
    return fields.pop() if len(fields) == 1 else None


def _factor(field_unit: str | None, header_unit: str) -> float | None:
    """Factor from the header's unit to the field's, None if they are unrelated."""
    if field_unit == "mu":
        return _MU_UNITS.get(header_unit)
    known = _HEADER_UNITS.get(header_unit)
    if known is None or known[0] != field_unit:
        return None
    return known[1]


def map_headers(frame: pd.DataFrame, layer: Layer
                ) -> tuple[pd.DataFrame, list[Issue], dict[str, float]]:
    """Rename columns to field names; return (frame, notes, unit factors per field).

    Columns that match no field are kept under their own names (noted); a second column
    matching an already-mapped field is kept under its own name (noted), never merged.
    """
    lookup = header_lookup(layer)
    fields = {f.name: f for f in layer.fields}
    geometry = frame.geometry.name if isinstance(frame, gpd.GeoDataFrame) else None
    renames: dict[str, str] = {}
    factors: dict[str, float] = {}
    notes: list[Issue] = []
    unknown: list[str] = []
    for col in frame.columns:
        if col in (ROW, geometry):
            continue
        norm = normalize_header(col)
        target = lookup.get(norm)
        header_unit = None
        if target is None:
            head, unit, name = _split_unit(norm)
            if name and name in fields:
                target = name
            elif head in lookup:
                target = lookup[head]
                header_unit = unit
        if target is None and (target := _truncated(norm, lookup)) is not None:
            notes.append(Issue(
                "note", "header.truncated",
                f"列“{col}”是被截断的字段名（Shapefile 字段名最长 10 字节），识别为 {target}",
                f"column '{col}' is a field name cut at the shapefile's 10-byte limit; "
                f"taken as {target}",
                field=target))
        if target is None:
            unknown.append(str(col))
            continue
        if target in renames.values():
            notes.append(Issue(
                "note", "header.duplicate",
                f"列“{col}”与已识别的列同指字段 {target}，按原名保留，未使用",
                f"column '{col}' maps to {target} like an earlier column; kept under its own "
                "name and not used",
                field=target))
            continue
        renames[col] = target
        field_unit = fields[target].unit
        if header_unit:
            factor = _factor(field_unit, header_unit)
            if factor is None:
                notes.append(Issue(
                    "note", "header.unit_unknown",
                    f"列“{col}”的单位“{header_unit}”无法换算为 {UNIT_LABELS.get(field_unit or '', '')}"
                    "，按原值读取",
                    f"unit '{header_unit}' of column '{col}' cannot be converted to "
                    f"{field_unit}; values taken as they are",
                    field=target))
            elif factor != 1.0:
                factors[target] = factor
                notes.append(Issue(
                    "note", "header.unit_converted",
                    f"列“{col}”单位为{header_unit}，已换算为"
                    f"{UNIT_LABELS.get(field_unit or '', field_unit)}（×{factor:g}）",
                    f"column '{col}' is in {header_unit}; converted to {field_unit} "
                    f"(×{factor:g})",
                    field=target))
    if unknown:
        notes.append(Issue(
            "note", "header.unmapped",
            f"以下列不属于图层 {layer.zh}，按原名保留：{'、'.join(unknown)}",
            f"columns not in layer {layer.name}, kept under their own names: "
            f"{', '.join(unknown)}"))
    return frame.rename(columns=renames), notes, factors
