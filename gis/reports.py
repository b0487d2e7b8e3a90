"""Excel ledgers (台账) with Chinese headers from the catalogue, ready to print.

A ledger is a workbook of sheets: each list with a title row, a header row whose labels come
from the catalogue (Chinese first, unit and field name beside it), codes shown as their Chinese
labels, number formats by unit, the header frozen and repeated on every printed page, landscape
A4 fitted to the page width.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from layers import Field, Layer

__all__ = ["Sheet", "labelled", "write_ledger"]

#: number format per catalogue unit
_FORMATS = {
    "mu": "#,##0.00",
    "m2": "#,##0",
    "m": "#,##0.0",
    "wan": "#,##0.00",
    "wan_per_mu": "#,##0.00",
    "ratio": "0.00",
    "share": "0.0%",
    "ha": "#,##0.00",
    "wan_per_ha": "#,##0.00",
    "year": "0.00",
    "kva": "#,##0",
}
_HEAD = Font(bold=True)
_TITLE = Font(bold=True, size=14)
_FILL = PatternFill("solid", fgColor="DDEBF7")
_THIN = Side(style="thin", color="999999")
_BOX = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)


@dataclass
class Sheet:
    """One sheet: its name, title line, rows and (for labels and formats) its catalogue layer."""

    name: str
    title: str
    frame: pd.DataFrame
    layer: Layer | None = None
    #: extra header labels and unit codes for columns not in the layer (summary tables)
    labels: dict[str, tuple[str, str | None]] | None = None


def _label_value(f: Field, value: object) -> object:
    if f.values is None or value is None or (isinstance(value, float) and pd.isna(value)) or \
            value is pd.NA:
        return value
    parts = str(value).split(";")
    return "、".join(f.values.get(p, p) for p in parts if p)


def labelled(frame: pd.DataFrame, layer: Layer | None) -> pd.DataFrame:
    """Codes replaced by their Chinese labels (lists joined with 、), geometry dropped."""
    table = pd.DataFrame(frame.drop(columns=frame.geometry.name)) if isinstance(
        frame, gpd.GeoDataFrame) else frame.copy()
    if layer is not None:
        for f in layer.fields:
            if f.values is not None and f.name in table:
                table[f.name] = table[f.name].astype(object).map(
                    lambda v, fld=f: _label_value(fld, v))
    return table


def _width(text: object) -> int:
    s = str(text)
    return sum(2 if ord(c) > 0x2E80 else 1 for c in s)


def _cell(value: object) -> object:
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and pd.isna(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime().date()
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return value


def write_ledger(path: str | Path, sheets: Sequence[Sheet]) -> Path:
    """Write the sheets to an .xlsx ledger at ``path``."""
    path = Path(path)
    wb = Workbook()
    wb.remove(wb.active)
    for sheet in sheets:
        ws = wb.create_sheet(sheet.name[:31])
        table = labelled(sheet.frame, sheet.layer)
        fields = {f.name: f for f in sheet.layer.fields} if sheet.layer else {}
        extra = sheet.labels or {}
        headers, units = [], []
        for col in table.columns:
            if col in fields:
                headers.append(fields[col].header)
                units.append(fields[col].unit or ("date" if fields[col].dtype == "date" else None))
            elif col in extra:
                headers.append(extra[col][0])
                units.append(extra[col][1])
            else:
                headers.append(str(col))
                units.append(None)
        ncol = max(len(headers), 1)
        ws.cell(row=1, column=1, value=sheet.title).font = _TITLE
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=ncol)
        for j, text in enumerate(headers, start=1):
            c = ws.cell(row=2, column=j, value=text)
            c.font, c.fill, c.border = _HEAD, _FILL, _BOX
            c.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
        for i, row in enumerate(table.itertuples(index=False), start=3):
            for j, value in enumerate(row, start=1):
                c = ws.cell(row=i, column=j, value=_cell(value))
                c.border = _BOX
                unit = units[j - 1]
                if unit == "date":
                    c.number_format = "yyyy-mm-dd"
                elif unit in _FORMATS:
                    c.number_format = _FORMATS[unit]
        for j, text in enumerate(headers, start=1):
            sample = [_width(v) for v in table.iloc[:200, j - 1].tolist()] if len(table) else []
            width = min(max([_width(text) // 2 + 2, *[w + 2 for w in sample]]), 40)
            ws.column_dimensions[get_column_letter(j)].width = max(width, 8)
        ws.row_dimensions[2].height = 32
        ws.freeze_panes = "A3"
        ws.print_title_rows = "1:2"
        ws.page_setup.orientation = "landscape"
        ws.page_setup.paperSize = ws.PAPERSIZE_A4
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        ws.oddFooter.center.text = "第 &P 页 / 共 &N 页"
    wb.save(path)
    return path


def records(frame: pd.DataFrame, *, with_geometry: bool = False) -> list[dict[str, object]]:
    """Rows as JSON-ready dicts: ISO dates, null for missing, geometry as GeoJSON in CRS84."""
    import json

    table = frame
    geoms = None
    if isinstance(frame, gpd.GeoDataFrame):
        if with_geometry and len(frame):
            geoms = json.loads(frame.geometry.to_crs(4326).to_json())["features"]
        table = pd.DataFrame(frame.drop(columns=frame.geometry.name))
    out = json.loads(table.to_json(orient="records", date_format="iso", force_ascii=False))
    for row in out:
        for key, value in row.items():
            if isinstance(value, str) and value.endswith("T00:00:00.000"):
                row[key] = value[:10]
    if geoms is not None:
        for row, feature in zip(out, geoms, strict=True):
            row["geometry"] = feature["geometry"]
    return out
