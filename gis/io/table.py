"""Raw table readers and writers: Excel (.xlsx/.xlsm, old .xls) and CSV with Chinese headers.

:func:`read_table` returns the file's own header texts as column names and the cells as read,
plus an int column ``_row``: the line number the user sees in Excel or in a text editor (the
header row counts, so the first data row under a header on line 1 is 2). Header mapping to
catalogue names and validation happen later, elsewhere.

What "as read" means for cells
------------------------------
- CSV: every cell is a string (codes such as ``0101`` or ``91350200776049653A`` keep their
  leading zeros); empty cells are missing.
- Excel: text cells stay text; **numeric cells become the string of the number** — an integral
  value as the integer (``101.0`` → ``"101"``, never ``"101.0"``), another as Excel shows it
  (15 significant digits, ``12.5`` → ``"12.5"``) — so a column reads the same whether its cells
  were typed as numbers or as text, and the same as from CSV; the validator coerces. A numeric
  cell of 16 or more digits gets a note: Excel keeps 15, so a credit code or an ID number typed
  as a number has lost its tail. A whole number shown with a zero-padded format (``0000``)
  reads as shown (``101`` → ``"0101"``). Date cells are datetimes, boolean cells booleans, error cells
  (``#N/A``) their text; empty and blank-text cells are missing.

Header row
----------
Bureau ledgers often carry a (merged) title row and a unit row above the real header. Among the
first 10 non-empty rows, the header is the row with the most cells matching ``known_headers``
(compared after stripping spaces, full-width → half-width, case folding and dropping a trailing
unit in brackets: ``用地面积（亩）`` matches ``用地面积``); the column keeps the original text.
Without ``known_headers`` (or no match) it is the first row with at least two non-empty cells,
mostly text, and at least half as wide as the widest of those rows.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import math
import re
import unicodedata
import warnings
import zipfile
from collections import Counter
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gis.crs import EASTING_RANGE, LAT_RANGE, LON_RANGE, NORTHING_RANGE, zone_from_easting
from gis.errors import FormatError
from gis.io import check_file, detect_text
from gis.io.headers import header_key
from gis.report import ROW, Issue

__all__ = ["TABLE_SUFFIXES", "points_from_xy", "read_table", "write_table"]

TABLE_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".csv")

#: rows searched for the header
HEADER_SCAN_ROWS = 10
_DELIMITERS = (",", "\t", ";", "|")
_DELIMITER_NAMES = {
    ",": ("逗号", "comma"),
    "\t": ("制表符", "tab"),
    ";": ("分号", "semicolon"),
    "|": ("竖线", "vertical bar"),
}
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGIC = b"PK\x03\x04"
#: Excel keeps 15 significant digits; numbers this large may have lost their tail
_PRECISION_LIMIT = 1e15
_ROWS_LISTED = 20


def _note(code: str, zh: str, en: str, **kw: Any) -> Issue:
    return Issue("note", code, zh, en, **kw)


# -- header normalisation ---------------------------------------------------------------------


def _column_letter(i: int) -> str:
    """Excel column letter of a 0-based index (0 → A, 26 → AA)."""
    letters = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        letters = chr(65 + r) + letters
    return letters


# -- cells ------------------------------------------------------------------------------------
def _blank(v: object) -> bool:
    if v is None:
        return True
    if isinstance(v, str):
        return not v.strip()
    return isinstance(v, float) and math.isnan(v)


_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?%?$")


def _is_text(v: object) -> bool:
    """A non-empty cell that reads as words, not as a number or a date."""
    if not isinstance(v, str) or not v.strip():
        return False
    s = unicodedata.normalize("NFKC", v).strip().replace(",", "")
    return not _NUMBER.match(s)


_ZERO_PADDED = re.compile(r"^0+$")


def _padded(v: Any, number_format: str | None) -> Any:
    """A whole number shown with a zero-padded format (``0000`` shows 101 as ``0101``, as
    land-use codes often are) becomes the text the user sees; anything else is unchanged."""
    if (
        number_format
        and _ZERO_PADDED.match(number_format)
        and isinstance(v, int | float)
        and not isinstance(v, bool)
        and math.isfinite(v)
        and v >= 0
        and v == int(v)
    ):
        return str(int(v)).zfill(len(number_format))
    return v


def _number_text(v: float | int) -> str:
    """A numeric cell as text: integral values as the integer, others as Excel shows them."""
    if isinstance(v, int):
        return str(v)
    if math.isfinite(v) and v == int(v):
        return str(int(v))
    return f"{v:.15g}"


@dataclass(frozen=True)
class _Row:
    line: int  # as the user sees it: Excel row number or CSV line number
    cells: list[Any]

    @property
    def empty(self) -> bool:
        return all(_blank(c) for c in self.cells)


def _find_header(rows: Sequence[_Row], known: Collection[str]) -> int:
    """Index (into ``rows``) of the header row."""
    first = [i for i, r in enumerate(rows) if not r.empty][:HEADER_SCAN_ROWS]
    if not first:
        raise FormatError("表格没有内容", "the table is empty")
    if known:
        keys = {header_key(k) for k in known}
        scores = [
            (sum(1 for c in rows[i].cells if _is_text(c) and header_key(c) in keys), i)
            for i in first
        ]
        best = max(scores, key=lambda s: (s[0], -s[1]))
        if best[0] > 0:
            return best[1]
    filled = {i: sum(not _blank(c) for c in rows[i].cells) for i in first}
    widest = max(filled.values())
    for i in first:
        n = filled[i]
        text = sum(_is_text(c) for c in rows[i].cells)
        if n >= 2 and text * 2 > n and n * 2 >= widest:
            return i
    return first[0]


def _frame(
    rows: Sequence[_Row],
    known: Collection[str],
    convert: Callable[[Any, int, str, list[Issue]], Any],
    where: str,
    *,
    dtype: str | None = None,
) -> tuple[pd.DataFrame, list[Issue]]:
    """Build the frame from raw rows: find the header, convert cells, drop empty rows."""
    issues: list[Issue] = []
    h = _find_header(rows, known)
    header = rows[h]
    if header.line != 1:
        skipped = [r for r in rows[:h] if not r.empty]
        above = "；".join(
            " ".join(str(c).strip() for c in r.cells if not _blank(c)) for r in skipped[:3]
        )
        issues.append(
            _note(
                "table.header_row",
                f"{where}：表头在第 {header.line} 行"
                + (f"，跳过上方的标题或说明行（{above}）" if above else ""),
                f"{where}: the header is on row {header.line}"
                + (f"; title or note rows above it skipped ({above})" if above else ""),
                row=header.line,
            )
        )
    body = list(rows[h + 1 :])
    while body and body[-1].empty:  # trailing (formatting-only) rows are not rows to the user
        body.pop()
    width = max([len(header.cells), *(len(r.cells) for r in body)])
    names: list[str | None] = []
    for j in range(width):
        cell = header.cells[j] if j < len(header.cells) else None
        if _blank(cell):
            names.append(None)
        elif isinstance(cell, dt.datetime | dt.date):
            names.append(cell.isoformat())
        elif isinstance(cell, float | int) and not isinstance(cell, bool):
            names.append(_number_text(cell))
        else:
            names.append(str(cell).strip())

    data_rows = [r for r in body if not r.empty]
    empty_rows = [r.line for r in body if r.empty]
    used = [
        j
        for j in range(width)
        if names[j] is not None
        or any(j < len(r.cells) and not _blank(r.cells[j]) for r in data_rows)
    ]
    columns: list[str] = []
    seen: Counter[str] = Counter()
    unnamed: list[str] = []
    duplicated: list[str] = []
    for j in used:
        base = names[j]
        if base is None:
            base = f"Unnamed: {_column_letter(j)}"
            unnamed.append(_column_letter(j))
        name = base
        if seen[base]:
            duplicated.append(base)
            name = f"{base}.{seen[base]}"
        seen[base] += 1
        columns.append(name)
    if unnamed:
        issues.append(
            _note(
                "table.unnamed_column",
                f"{where}：第 {'、'.join(unnamed)} 列没有表头但有数据，列名记为 Unnamed: 列号",
                f"{where}: column(s) {', '.join(unnamed)} have data but no header; named "
                "'Unnamed: <column>'",
            )
        )
    if duplicated:
        issues.append(
            _note(
                "table.duplicate_header",
                f"{where}：表头重复：{'、'.join(dict.fromkeys(duplicated))}；重复的列加了 .1、.2 后缀",
                f"{where}: repeated headers: {', '.join(dict.fromkeys(duplicated))}; the repeats "
                "are suffixed .1, .2",
            )
        )
    if empty_rows:
        listed = "、".join(map(str, empty_rows[:_ROWS_LISTED]))
        more = "…" if len(empty_rows) > _ROWS_LISTED else ""
        issues.append(
            _note(
                "table.empty_rows_dropped",
                f"{where}：删除空行 {len(empty_rows)} 行（第 {listed}{more} 行），空行不是数据",
                f"{where}: dropped {len(empty_rows)} empty row(s) (row {listed.replace('、', ', ')}"
                f"{more}); empty rows are not data",
                value=str(len(empty_rows)),
            )
        )
    values: dict[str, list[Any]] = {c: [] for c in columns}
    for r in data_rows:
        for j, name in zip(used, columns, strict=True):
            cell = r.cells[j] if j < len(r.cells) else None
            values[name].append(convert(cell, r.line, name, issues))
    df = pd.DataFrame(values, columns=columns, dtype=dtype)
    if ROW in df.columns:
        issues.append(
            _note(
                "row.replaced",
                f"{where}：文件自带的 {ROW} 列已被本次读取的行号替换",
                f"{where}: the file's own {ROW} column was replaced by this read's row numbers",
            )
        )
    df[ROW] = np.array([r.line for r in data_rows], dtype="int64")
    return df, issues


# -- Excel ------------------------------------------------------------------------------------
def _excel_cell(v: Any, line: int, name: str, issues: list[Issue]) -> Any:
    if _blank(v):
        return None
    if isinstance(v, bool | str | dt.datetime | dt.date | dt.time):
        return v
    if isinstance(v, int | float):
        text = _number_text(v)
        if abs(v) >= _PRECISION_LIMIT:
            issues.append(
                _note(
                    "table.number_precision",
                    f"数值 {text} 有 16 位以上数字，Excel 只保存 15 位有效数字，末尾可能已丢失；"
                    "信用代码、身份证号等请以文本格式保存",
                    f"the number {text} has 16 or more digits; Excel keeps 15 significant digits, "
                    "so its tail may be lost; store codes and ID numbers as text",
                    row=line,
                    field=name,
                    value=text,
                )
            )
        return text
    return v


@dataclass
class _Sheet:
    name: str
    visible: bool
    rows: Any  # () -> Iterator[_Row]


def _xlsx_sheets(book: Any) -> list[_Sheet]:
    sheets = []
    for ws in book.worksheets:
        if not hasattr(ws, "iter_rows"):
            continue  # chart sheets

        def rows(ws: Any = ws) -> Iterator[_Row]:
            ws.reset_dimensions()  # some writers record a wrong used range
            for line, cells in enumerate(ws.iter_rows(min_row=1), start=1):
                yield _Row(
                    line, [_padded(c.value, getattr(c, "number_format", None)) for c in cells]
                )

        sheets.append(_Sheet(ws.title, ws.sheet_state == "visible", rows))
    return sheets


def _xls_sheets(book: Any) -> list[_Sheet]:
    import xlrd

    def number_format(cell: Any) -> str | None:
        try:
            return str(book.format_map[book.xf_list[cell.xf_index].format_key].format_str)
        except (AttributeError, IndexError, KeyError, TypeError):
            return None

    def convert(cell: Any) -> Any:
        if cell.ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK):
            return None
        if cell.ctype == xlrd.XL_CELL_NUMBER:
            return _padded(cell.value, number_format(cell))
        if cell.ctype == xlrd.XL_CELL_DATE:
            try:
                return xlrd.xldate.xldate_as_datetime(cell.value, book.datemode)
            except (xlrd.xldate.XLDateError, ValueError, OverflowError):
                return cell.value
        if cell.ctype == xlrd.XL_CELL_BOOLEAN:
            return bool(cell.value)
        if cell.ctype == xlrd.XL_CELL_ERROR:
            return xlrd.error_text_from_code.get(cell.value, "#ERROR")
        return cell.value

    sheets = []
    for sh in book.sheets():

        def rows(sh: Any = sh) -> Iterator[_Row]:
            for r in range(sh.nrows):
                yield _Row(r + 1, [convert(c) for c in sh.row(r)])

        sheets.append(_Sheet(sh.name, sh.visibility == 0, rows))
    return sheets


def _has_rows(sheet: _Sheet, n: int) -> bool:
    count = 0
    for row in sheet.rows():
        if not row.empty:
            count += 1
            if count >= n:
                return True
    return False


def _pick_sheet(
    sheets: list[_Sheet], sheet: str | int | None, where: str
) -> tuple[_Sheet, list[Issue]]:
    names = [s.name for s in sheets]
    listed = "、".join(names)
    if isinstance(sheet, int) and not isinstance(sheet, bool):
        if not 0 <= sheet < len(sheets):
            raise FormatError(
                f"{where}：没有第 {sheet + 1} 个工作表（共 {len(sheets)} 个：{listed}）",
                f"{where}: no sheet number {sheet} (0-based); it has {len(sheets)}: "
                f"{', '.join(names)}",
            )
        return sheets[sheet], []
    if isinstance(sheet, str):
        for s in sheets:
            if s.name == sheet or s.name.strip() == sheet.strip():
                return s, []
        raise FormatError(
            f"{where}：没有工作表 {sheet!r}，可选：{listed}",
            f"{where}: no sheet {sheet!r}; choose one of: {', '.join(names)}",
        )
    ordered = [s for s in sheets if s.visible] + [s for s in sheets if not s.visible]
    chosen = next((s for s in ordered if _has_rows(s, 2)), None) or next(
        (s for s in ordered if _has_rows(s, 1)), None
    )
    if chosen is None:
        raise FormatError(f"{where}：工作簿中没有数据", f"{where}: the workbook holds no data")
    issues = []
    if len(sheets) > 1:
        issues.append(
            _note(
                "table.sheet",
                f"{where}：读取工作表“{chosen.name}”（第一个有数据的工作表；共有：{listed}）",
                f"{where}: read sheet {chosen.name!r} (the first with data; sheets: "
                f"{', '.join(names)})",
                value=chosen.name,
            )
        )
    return chosen, issues


def _read_excel(
    path: Path, kind: str, sheet: str | int | None, encoding: str | None, known: Collection[str]
) -> tuple[pd.DataFrame, list[Issue]]:
    where = path.name
    if kind == "xlsx":
        import openpyxl
        from openpyxl.utils.exceptions import InvalidFileException

        with warnings.catch_warnings():
            # "Workbook contains no default style", "Data Validation extension is not
            # supported": openpyxl's remarks about formatting, not about the data
            warnings.filterwarnings("ignore", category=UserWarning, module="openpyxl")
            try:
                from gis.io.vector import _zip_members  # an .xlsx is a zip: same bomb guards

                with zipfile.ZipFile(path) as zf:
                    _zip_members(zf, where)
                book = openpyxl.load_workbook(path, read_only=True, data_only=True)
            except (InvalidFileException, zipfile.BadZipFile, OSError, KeyError, ValueError
                    ) as e:
                raise FormatError(
                    f"{where}：无法打开 Excel 文件（{e}）",
                    f"{where}: cannot open the workbook ({e})",
                ) from None
            try:
                chosen, issues = _pick_sheet(_xlsx_sheets(book), sheet, where)
                rows = list(chosen.rows())
            finally:
                book.close()
    else:
        import xlrd

        try:
            book = xlrd.open_workbook(str(path), encoding_override=encoding, formatting_info=True)
        except xlrd.XLRDError as e:
            encrypted = "encrypt" in str(e).lower()
            raise FormatError(
                f"{where}："
                + (
                    "Excel 文件有密码保护，请去掉密码后再导入"
                    if encrypted
                    else f"无法打开 .xls 文件（{e}）"
                ),
                f"{where}: "
                + ("the workbook is password-protected" if encrypted else f"cannot open ({e})"),
            ) from None
        try:
            chosen, issues = _pick_sheet(_xls_sheets(book), sheet, where)
            rows = list(chosen.rows())
        finally:
            book.release_resources()
    df, more = _frame(rows, known, _excel_cell, f"{where}[{chosen.name}]")
    return df, issues + more


# -- CSV --------------------------------------------------------------------------------------
def _decode(data: bytes, encoding: str | None, where: str) -> tuple[str, Issue]:
    def note(codec: str, zh: str, en: str) -> Issue:
        return _note("encoding.detected", f"{where}：{zh}", f"{where}: {en}", value=codec)

    if encoding is not None:
        try:
            codecs.lookup(encoding)
            text = data.decode(encoding)
        except LookupError:
            raise FormatError(
                f"未知的编码 {encoding!r}", f"unknown encoding {encoding!r}"
            ) from None
        except UnicodeDecodeError as e:
            raise FormatError(
                f"{where}：按指定的编码 {encoding} 无法解码（第 {e.start} 字节）",
                f"{where}: cannot be decoded as {encoding}, as given (byte {e.start})",
            ) from None
        return text.lstrip("\ufeff"), note(
            encoding.upper(), f"按指定的编码 {encoding} 读取", f"read as {encoding}, as given"
        )
    try:
        text, codec = detect_text(data)
    except UnicodeDecodeError as e:
        raise FormatError(
            f"{where}：无法识别文件编码（既不是 UTF-8 也不是 GBK，第 {e.start} 字节），请指定 encoding",
            f"{where}: cannot tell the encoding (neither UTF-8 nor GBK, byte {e.start}); "
            "give it with encoding=",
        ) from None
    zh, en = _DETECTED[codec]
    return text, note(codec.upper(), zh, en)


_DETECTED = {
    "utf-8-sig": ("编码为 UTF-8（带 BOM）", "encoding is UTF-8 (with BOM)"),
    "utf-16": ("编码为 UTF-16（带 BOM）", "encoding is UTF-16 (with BOM)"),
    "utf-8": ("编码检测为 UTF-8", "encoding detected as UTF-8"),
    "gb18030": ("编码检测为 GBK（不是有效的 UTF-8，按 GB18030 读取）",
                "encoding detected as GBK (not valid UTF-8; read as GB18030)"),
}


def _sniff_delimiter(text: str) -> str:
    """The delimiter that splits the first lines into the most consistent number of fields."""
    sample = [line for line in text[:65536].splitlines()[:50] if line.strip()]
    best, best_score = ",", (0.0, 0)
    for d in _DELIMITERS:
        try:
            counts = [len(r) for r in csv.reader(sample, delimiter=d) if r]
        except csv.Error:
            continue
        if not counts:
            continue
        mode, freq = Counter(counts).most_common(1)[0]
        score = (freq / len(counts) if mode > 1 else 0.0, mode)
        if score > best_score:
            best, best_score = d, score
    return best


def _csv_cell(v: Any, line: int, name: str, issues: list[Issue]) -> Any:
    return None if _blank(v) else v


def _read_csv_text(
    text: str, where: str, known: Collection[str]
) -> tuple[pd.DataFrame, list[Issue]]:
    if "\x00" in text:
        raise FormatError(
            f"{where}：文件含有空字节，不是文本表格",
            f"{where}: the file holds NUL bytes; not a text table",
        )
    issues: list[Issue] = []
    delimiter = _sniff_delimiter(text)
    if delimiter != ",":
        zh, en = _DELIMITER_NAMES[delimiter]
        issues.append(
            _note(
                "table.delimiter",
                f"{where}：分隔符为{zh}",
                f"{where}: delimited by {en}",
                value=delimiter,
            )
        )
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows: list[_Row] = []
    try:
        while True:
            start = reader.line_num + 1
            try:
                cells = next(reader)
            except StopIteration:
                break
            rows.append(_Row(start, cells))
    except csv.Error as e:
        raise FormatError(
            f"{where}：第 {reader.line_num} 行无法解析（{e}）",
            f"{where}: line {reader.line_num} cannot be parsed ({e})",
        ) from None
    df, more = _frame(rows, known, _csv_cell, where, dtype="str")
    return df, issues + more


def _read_csv(
    path: Path, encoding: str | None, known: Collection[str]
) -> tuple[pd.DataFrame, list[Issue]]:
    text, note = _decode(path.read_bytes(), encoding, path.name)
    df, issues = _read_csv_text(text, path.name, known)
    return df, [note, *issues]


# -- public: reading --------------------------------------------------------------------------
def read_table(
    path: str | Path,
    *,
    sheet: str | int | None = None,
    encoding: str | None = None,
    known_headers: Collection[str] = (),
) -> tuple[pd.DataFrame, list[Issue]]:
    """Read an Excel sheet or a CSV file as it is, with its own headers and ``_row``.

    Parameters
    ----------
    path
        ``.xlsx``/``.xlsm`` (openpyxl), ``.xls`` (xlrd) or ``.csv``.
    sheet
        Sheet name or 0-based index; default the first (visible) sheet with data (noted when
        the workbook has several).
    encoding
        CSV encoding, overriding detection (BOM → UTF-8/UTF-16; strict UTF-8; else GB18030); for
        an old ``.xls`` without a code page record, the code page to assume.
    known_headers
        Header texts that the caller will recognise (the catalogue's labels and aliases): they
        find the header row below title and unit rows.

    Returns
    -------
    (DataFrame, notes)
        Columns are the header texts (stripped of surrounding spaces) plus ``_row``; fully
        empty rows are dropped with a note.

    Raises
    ------
    FormatError
        Unsupported, unreadable, password-protected or empty files; unknown sheet; undecidable
        encoding.
    """
    path = Path(path)
    suffix = check_file(path, TABLE_SUFFIXES, "表格", "table")
    if suffix == ".csv":
        return _read_csv(path, encoding, known_headers)
    with path.open("rb") as f:
        magic = f.read(8)
    if magic.startswith(_ZIP_MAGIC):
        return _read_excel(path, "xlsx", sheet, encoding, known_headers)
    if magic.startswith(_OLE_MAGIC):
        # an old .xls, or an encrypted .xlsx (also an OLE container): xlrd tells them apart
        return _read_excel(path, "xls", sheet, encoding, known_headers)
    head = magic.lstrip().lower()
    if head.startswith((b"<", b"\xef\xbb\xbf<")):
        raise FormatError(
            f"{path.name}：这是网页或 XML 格式的“Excel”文件（常见于业务系统导出），请用 Excel 打开后"
            "另存为 .xlsx 再导入",
            f"{path.name}: an HTML or XML file named like a workbook (as some systems export); "
            "open it in Excel and save it as .xlsx",
        )
    # systems also export tab-separated text named .xls
    df, issues = _read_csv(path, encoding, known_headers)
    issues.insert(
        0,
        _note(
            "table.text_as_excel",
            f"{path.name}：文件扩展名是 {suffix}，内容其实是分隔符文本，按 CSV 读取",
            f"{path.name}: named {suffix} but holds delimited text; read as CSV",
        ),
    )
    return df, issues


# -- public: placing rows by coordinates ------------------------------------------------------
# header keys (see _header_key) of coordinate columns; each pair is (easting-ish, northing-ish)
_LON = ("经度", "lon", "lng", "long", "longitude", "东经", "x经度")
_LAT = ("纬度", "lat", "latitude", "北纬", "y纬度")
_EASTING = ("easting", "东坐标", "东向坐标", "横坐标y", "y横坐标")
_NORTHING = ("northing", "北坐标", "北向坐标", "纵坐标x", "x纵坐标")
_GIS_X = ("point_x", "x_coord", "xcoord", "coord_x")
_GIS_Y = ("point_y", "y_coord", "ycoord", "coord_y")
#: Chinese surveying: X is the northing (纵坐标), Y the easting (横坐标)
_SURVEY_X = ("x", "x坐标", "坐标x", "x值", "纵坐标", "x(北)", "x北")
_SURVEY_Y = ("y", "y坐标", "坐标y", "y值", "横坐标", "y(东)", "y东")
# (names of the easting column, names of the northing column, how the pair is named)
_PAIRS: tuple[tuple[tuple[str, ...], tuple[str, ...], str], ...] = (
    (_LON, _LAT, "lonlat"),
    (_EASTING, _NORTHING, "en"),
    (_GIS_X, _GIS_Y, "gis"),
    (_SURVEY_Y, _SURVEY_X, "survey"),
)

_DMS = re.compile(
    r"^(?P<pre>[NSEW东西南北]|东经|西经|北纬|南纬)?\s*(?P<sign>-)?(?P<d>\d+(?:\.\d+)?)\s*[°度d]\s*"
    r"(?:(?P<m>\d+(?:\.\d+)?)\s*['′’分m]\s*)?"
    r"(?:(?P<s>\d+(?:\.\d+)?)\s*(?:\"|″|′′|''|’’|秒|s)\s*)?"
    r"(?P<post>[NSEW东西南北])?$",
    re.IGNORECASE,
)


def _coordinate(v: Any) -> float | None:
    """A coordinate from a cell: a number, a numeric string, or degrees-minutes-seconds."""
    if isinstance(v, bool) or _blank(v):
        return None
    if isinstance(v, int | float | np.integer | np.floating):
        f = float(v)
        return f if math.isfinite(f) else None
    s = unicodedata.normalize("NFKC", str(v)).strip().replace(",", "").replace(" ", "")
    try:
        f = float(s)
    except ValueError:
        m = _DMS.match(s)
        if m is None:
            return None
        f = float(m["d"]) + float(m["m"] or 0) / 60 + float(m["s"] or 0) / 3600
        hemi = (m["pre"] or "") + (m["post"] or "")
        if m["sign"] or any(h in hemi.upper() for h in ("S", "W", "南", "西")):
            f = -f
    return f if math.isfinite(f) else None


def _kind(values: np.ndarray) -> str | None:
    """What a coordinate column looks like: lon, lat, prefixed (easting with zone), plain
    (100–900 km: an easting, or a northing near the equator), northing, or None."""
    v = values[np.isfinite(values)]
    if v.size == 0:
        return None
    lo, hi = float(v.min()), float(v.max())
    if LON_RANGE[0] <= lo and hi <= LON_RANGE[1]:
        return "lon"
    if LAT_RANGE[0] <= lo and hi <= LAT_RANGE[1]:
        return "lat"
    a, b = zone_from_easting(lo), zone_from_easting(hi)
    if a is not None and a == b:
        return "prefixed"
    if EASTING_RANGE[0] <= lo and hi <= EASTING_RANGE[1]:
        return "plain"
    if EASTING_RANGE[1] < lo and hi <= NORTHING_RANGE[1]:
        return "northing"
    return None


def _by_magnitude(east: np.ndarray, north: np.ndarray) -> bool | None:
    """True if the values say the columns are the right way round, False if swapped, None if
    they do not tell."""
    ke, kn = _kind(east), _kind(north)
    good = {("lon", "lat"), ("prefixed", "northing"), ("prefixed", "plain"), ("plain", "northing")}
    if (ke, kn) in good:
        return True
    if (kn, ke) in good:
        return False
    return None


def _find_columns(df: pd.DataFrame) -> tuple[str, str, str] | None:
    keys = {c: header_key(c) for c in df.columns if isinstance(c, str) and c != ROW}
    for east_names, north_names, how in _PAIRS:
        east = next((c for c, k in keys.items() if k in east_names), None)
        north = next((c for c, k in keys.items() if k in north_names), None)
        if east is not None and north is not None and east != north:
            return east, north, how
    return None


def points_from_xy(
    df: pd.DataFrame, *, x: str | None = None, y: str | None = None
) -> tuple[gpd.GeoDataFrame, list[Issue]]:
    """Place table rows as points by their coordinate columns.

    ``x`` and ``y`` name the easting (or longitude) and northing (or latitude) columns in GIS
    order; without them the columns are recognised by header: 经度/纬度, lon/lat,
    longitude/latitude; 东坐标/北坐标, easting/northing; POINT_X/POINT_Y (GIS order); and
    X坐标/Y坐标 or X/Y in the Chinese surveying convention, **X = northing, Y = easting**. The
    values have the last word when they tell (an 8-digit value with a zone prefix is an
    easting; 73–135 is a longitude and 3–54 a latitude in China; a value beyond 900 km is a
    northing); the columns are then swapped with a note.

    Returns a GeoDataFrame with ``crs=None`` (the caller declares or infers it) and notes:
    which columns were used as what, and one per row whose coordinates are blank or
    unparseable (its geometry is None; ``row`` is its ``_row`` when the frame has one).

    Raises
    ------
    FormatError
        No coordinate columns recognised, or a named column is missing.
    """
    issues: list[Issue] = []
    if (x is None) != (y is None):
        raise FormatError("x 与 y 须同时指定", "give both x and y, or neither")
    if x is not None and y is not None:
        missing = [c for c in (x, y) if c not in df.columns]
        if missing:
            raise FormatError(
                f"表格中没有坐标列 {'、'.join(missing)}",
                f"no coordinate column {', '.join(missing)}",
            )
        east, north, how = x, y, "given"
    else:
        found = _find_columns(df)
        if found is None:
            cols = "、".join(str(c) for c in df.columns if c != ROW)
            raise FormatError(
                f"表格中没有可识别的坐标列（经度/纬度、X坐标/Y坐标…）；现有列：{cols}",
                "no coordinate columns recognised (经度/纬度, lon/lat, X坐标/Y坐标, …); columns: "
                + ", ".join(str(c) for c in df.columns if c != ROW),
            )
        east, north, how = found
    xs = np.array([_coordinate(v) for v in df[east]], dtype=float)
    ys = np.array([_coordinate(v) for v in df[north]], dtype=float)

    swapped = False
    if how != "given":
        verdict = _by_magnitude(xs, ys)
        if verdict is False:
            east, north, xs, ys, swapped = north, east, ys, xs, True
    if swapped:
        zh = f"按数值大小判断：{east} 为东坐标（经度），{north} 为北坐标（纬度），与表头习惯相反"
        en = (
            f"judged by the values: {east} is the easting (longitude) and {north} the northing "
            "(latitude), against what the headers suggest"
        )
    elif how == "survey":
        zh = (
            f"{east} 用作东坐标（横坐标），{north} 用作北坐标（纵坐标）（中国测量习惯：X 为北坐标）"
        )
        en = (
            f"{east} used as easting and {north} as northing (Chinese surveying convention: "
            "X is the northing)"
        )
    elif how == "given":
        zh = f"按指定：{east} 为东坐标（经度），{north} 为北坐标（纬度）"
        en = f"as given: {east} is the easting (longitude), {north} the northing (latitude)"
    else:
        zh = f"{east} 用作东坐标（经度），{north} 用作北坐标（纬度）"
        en = f"{east} used as easting (longitude) and {north} as northing (latitude)"
    issues.append(_note("coords.columns", zh, en, value=f"{east},{north}"))

    rows = df[ROW].tolist() if ROW in df.columns else [None] * len(df)
    ok = np.isfinite(xs) & np.isfinite(ys)
    for i in np.flatnonzero(~ok):
        raw = {c: df[c].iloc[i] for c in (east, north)}
        blank = [c for c, v in raw.items() if _blank(v)]
        bad = [c for c, v in raw.items() if not _blank(v) and _coordinate(v) is None]
        row = None if rows[i] is None else int(rows[i])
        if bad:
            shown = "，".join(f"{c}={raw[c]}" for c in bad)
            issues.append(
                _note(
                    "coords.unparseable",
                    f"坐标无法识别（{shown}），该行没有点位",
                    f"coordinates cannot be read ({', '.join(f'{c}={raw[c]}' for c in bad)}); "
                    "the row has no point",
                    row=row,
                    field=",".join(bad),
                    value="，".join(str(raw[c]) for c in bad),
                )
            )
        else:
            issues.append(
                _note(
                    "coords.missing",
                    f"坐标为空（{'、'.join(blank)}），该行没有点位",
                    f"coordinates are blank ({', '.join(blank)}); the row has no point",
                    row=row,
                    field=",".join(blank),
                )
            )
    geoms = np.full(len(df), None, dtype=object)
    geoms[ok] = shapely.points(xs[ok], ys[ok])
    out = gpd.GeoDataFrame(df.copy(), geometry=gpd.GeoSeries(geoms, index=df.index), crs=None)
    return out, issues


# -- public: writing --------------------------------------------------------------------------
_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


def write_table(
    df: pd.DataFrame,
    path: str | Path,
    *,
    sheet_name: str = "Sheet1",
    headers: Mapping[str, str] | None = None,
) -> None:
    """Write a table as ``.xlsx`` (text stays text, so ``0101`` keeps its zero) or ``.csv``
    (UTF-8 with BOM, which Excel opens with Chinese intact).

    ``headers`` maps column names to the header texts to write (e.g. the catalogue's
    ``用地面积（亩）area_mu``); other columns keep their names. A geometry column is not
    written (tables carry attributes; use :func:`gis.io.vector.write_vector` for shapes).
    Timezone-aware datetimes are written as local times (Excel has no time zones).
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".xlsx", ".csv"):
        raise FormatError(
            f"{path.name}：只能写出 .xlsx 或 .csv 表格",
            f"{path.name}: tables are written as .xlsx or .csv",
        )
    table = pd.DataFrame(df)
    if isinstance(df, gpd.GeoDataFrame):
        table = pd.DataFrame(df.drop(columns=df.geometry.name))
    for col in table.columns:
        if isinstance(table[col].dtype, pd.DatetimeTZDtype):
            table[col] = table[col].dt.tz_localize(None)
    if headers:
        table = table.rename(columns=dict(headers))
    path.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".csv":
        table.to_csv(path, index=False, encoding="utf-8-sig")
        return
    name = _SHEET_FORBIDDEN.sub("_", sheet_name).strip("'")[:31] or "Sheet1"
    with pd.ExcelWriter(path, engine="openpyxl") as xl:
        table.to_excel(xl, sheet_name=name, index=False)
        ws = xl.sheets[name]
        ws.freeze_panes = "A2"
        for j, col in enumerate(table.columns):
            texts = [str(col), *(str(v) for v in table[col].head(200) if not _blank(v))]
            width = max(sum(2 if ord(ch) > 0x2E80 else 1 for ch in t) for t in texts)
            ws.column_dimensions[_column_letter(j)].width = min(max(width + 2, 8), 60)
