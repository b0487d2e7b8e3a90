"""gis.io.table: Excel/CSV as read (header row below titles, codes kept as text, Excel row
numbers, encodings, delimiters) and placing rows by coordinate columns."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from shapely.geometry import Point

from gis.errors import FormatError
from gis.io.table import points_from_xy, read_table, write_table

DATA = Path(__file__).parent / "data"
KNOWN = ["宗地编号", "统一社会信用代码", "用地用海分类", "用地面积", "供地日期"]


def only(notes: list, code: str):
    hits = [n for n in notes if n.code == code]
    assert len(hits) == 1, [n.code for n in notes]
    return hits[0]


def ledger(path: Path, *, empty_first_sheet: bool = False) -> Path:
    """A bureau ledger: merged title (row 1), unit row (2), header (3), a blank row (6)."""
    wb = openpyxl.Workbook()
    ws = wb.active
    if empty_first_sheet:
        ws.title = "填表说明"
        ws = wb.create_sheet("闲置土地")
    else:
        ws.title = "闲置土地"
    ws["A1"] = "某某县闲置土地台账"
    ws.merge_cells("A1:G1")
    ws["A2"] = "单位：亩、万元"
    ws.append(
        [
            "序号",
            "宗地编号",
            "统一社会信用代码",
            "用地用海分类",
            "用地面积（亩）",
            "供地日期",
            "备注",
        ]
    )
    ws.append([1, "JD-001", "91350200776049653A", "0101", 12.5, dt.date(2021, 3, 15), "已动工"])
    ws.append([2, "JD-002", "91350203MA2Y0QW21B", 1001, 30, dt.date(2019, 11, 2), None])
    ws.append([])
    ws.append([3, "JD-003", 913502007760496530, 601, 8.25, None, "  "])
    ws["D7"].number_format = "0000"  # Excel shows 601 as 0601
    wb.save(path)
    return path


# -- Excel ------------------------------------------------------------------------------------
def test_xlsx_header_below_title_codes_as_text_and_excel_rows(tmp_path):
    df, notes = read_table(ledger(tmp_path / "台账.xlsx"), known_headers=KNOWN)
    assert list(df.columns) == [
        "序号", "宗地编号", "统一社会信用代码", "用地用海分类", "用地面积（亩）", "供地日期", "备注", "_row",
    ]  # fmt: skip
    assert df["_row"].tolist() == [4, 5, 7]  # Excel's own row numbers
    assert df["宗地编号"].tolist() == ["JD-001", "JD-002", "JD-003"]
    assert df["统一社会信用代码"].tolist()[:2] == ["91350200776049653A", "91350203MA2Y0QW21B"]
    # "0101" typed as text keeps its zero; 1001 typed as a number reads "1001", not "1001.0";
    # 601 shown through the number format 0000 reads as shown
    assert df["用地用海分类"].tolist() == ["0101", "1001", "0601"]
    assert df["用地面积（亩）"].tolist() == ["12.5", "30", "8.25"]
    assert df["序号"].tolist() == ["1", "2", "3"]
    assert df["供地日期"].iloc[0] == pd.Timestamp("2021-03-15") and pd.isna(df["供地日期"].iloc[2])
    assert df["备注"].tolist()[0] == "已动工" and pd.isna(df["备注"].iloc[2])  # blank text is empty

    header = only(notes, "table.header_row")
    assert header.row == 3 and "某某县闲置土地台账" in header.zh
    empty = only(notes, "table.empty_rows_dropped")
    assert empty.value == "1" and "第 6 行" in empty.zh
    precision = only(notes, "table.number_precision")  # an 18-digit credit code typed as a number
    assert precision.row == 7 and precision.field == "统一社会信用代码" and "15" in precision.zh


def test_xlsx_header_found_without_known_headers(tmp_path):
    df, _ = read_table(ledger(tmp_path / "台账.xlsx"))
    assert df.columns[1] == "宗地编号" and df["_row"].tolist() == [4, 5, 7]


def test_known_headers_match_despite_units_spaces_and_full_width(tmp_path):
    path = tmp_path / "t.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    # two text cells above the header: not the header
    ws.append(["填报单位：某某县自然资源局", "填报日期：2024 年 6 月"])
    ws.append(["宗地 编号", "用地面积\n（亩）", "ＡＢＣ"])
    ws.append(["JD-9", 1.5, "x"])
    wb.save(path)
    df, notes = read_table(path, known_headers=["宗地编号", "用地面积", "abc"])
    assert list(df.columns) == ["宗地 编号", "用地面积\n（亩）", "ＡＢＣ", "_row"]  # original texts
    assert df["_row"].tolist() == [3] and only(notes, "table.header_row").row == 2


def test_sheet_choice(tmp_path):
    path = ledger(tmp_path / "two.xlsx", empty_first_sheet=True)
    df, notes = read_table(path)
    note = only(notes, "table.sheet")
    assert note.value == "闲置土地" and "填表说明" in note.zh
    assert len(df) == 3
    assert len(read_table(path, sheet="闲置土地")[0]) == 3
    assert len(read_table(path, sheet=1)[0]) == 3
    with pytest.raises(FormatError) as err:
        read_table(path, sheet="供地")
    assert "填表说明" in err.value.zh and "闲置土地" in err.value.zh


def test_old_xls_fixture():
    # tests/data/idle_ledger.xls, made by tests/data/make_xls.py (xlwt, once)
    df, notes = read_table(DATA / "idle_ledger.xls", known_headers=KNOWN)
    assert only(notes, "table.sheet").value == "闲置土地"  # the first sheet is empty
    assert only(notes, "table.header_row").row == 3
    assert only(notes, "table.empty_rows_dropped").value == "1"
    assert df["_row"].tolist() == [4, 5, 7]
    assert df["宗地编号"].tolist() == ["JD-001", "JD-002", "1003"]  # numeric cell → "1003"
    assert df["统一社会信用代码"].tolist()[:2] == ["91350200776049653A", "91350203MA2Y0QW21B"]
    assert df["用地用海分类"].tolist() == ["0101", "1001", "0601"]  # text, number, "0000"
    assert df["用地面积（亩）"].tolist() == ["12.5", "30", "8.25"]
    assert df["供地日期"].iloc[0] == pd.Timestamp("2021-03-15")
    assert df["供地日期"].iloc[1] == pd.Timestamp("2019-11-02")


def test_html_named_xls_is_refused_and_text_named_xls_is_read(tmp_path):
    html = tmp_path / "export.xls"
    html.write_text("<html><table><tr><td>宗地编号</td></tr></table></html>", encoding="utf-8")
    with pytest.raises(FormatError, match="xlsx"):
        read_table(html)
    tsv = tmp_path / "tsv.xls"
    tsv.write_bytes("宗地编号\t用途代码\nJD-1\t0101\n".encode("gbk"))
    df, notes = read_table(tsv)
    assert df.to_dict("records") == [{"宗地编号": "JD-1", "用途代码": "0101", "_row": 2}]
    assert only(notes, "table.text_as_excel") and only(notes, "table.delimiter").value == "\t"


# -- CSV --------------------------------------------------------------------------------------
CSV_TEXT = (
    "宗地编号,统一社会信用代码,用地用海分类,用地面积（亩）\n"
    "JD-001,91350200776049653A,0101,12.5\n"
    "\n"
    "JD-002,91350203MA2Y0QW21B,1001,30\n"
)


def check_csv(df: pd.DataFrame) -> None:
    assert list(df.columns) == [
        "宗地编号",
        "统一社会信用代码",
        "用地用海分类",
        "用地面积（亩）",
        "_row",
    ]
    assert df["_row"].tolist() == [2, 4]  # line numbers; the blank line 3 is dropped
    assert df["用地用海分类"].tolist() == ["0101", "1001"]
    assert df["统一社会信用代码"].tolist() == ["91350200776049653A", "91350203MA2Y0QW21B"]
    assert df["用地面积（亩）"].tolist() == ["12.5", "30"]  # text; the validator coerces


def test_csv_gbk(tmp_path):
    path = tmp_path / "gbk.csv"
    path.write_bytes(CSV_TEXT.encode("gbk"))
    df, notes = read_table(path)
    check_csv(df)
    note = only(notes, "encoding.detected")
    assert note.value == "GB18030" and "GBK" in note.zh
    assert only(notes, "table.empty_rows_dropped").value == "1"


def test_csv_utf8_bom(tmp_path):
    path = tmp_path / "bom.csv"
    path.write_bytes(CSV_TEXT.encode("utf-8-sig"))
    df, notes = read_table(path)
    check_csv(df)  # no BOM glued to the first header
    assert only(notes, "encoding.detected").value == "UTF-8-SIG"


def test_csv_utf8_tab_delimited_with_quoted_newline_and_title(tmp_path):
    path = tmp_path / "tab.csv"
    text = (
        "某某县企业亩均效益评价表\n"
        "统一社会信用代码\t企业名称\t税收（万元）\n"
        '91350200776049653A\t"厦门某某\n科技有限公司"\t120.5\n'
        "91350203MA2Y0QW21B\t某某制造有限公司\t0\n"
    )
    path.write_text(text, encoding="utf-8")
    df, notes = read_table(path, known_headers=["统一社会信用代码", "企业名称"])
    assert df["企业名称"].tolist() == ["厦门某某\n科技有限公司", "某某制造有限公司"]
    assert df["_row"].tolist() == [3, 5]  # the quoted field spans lines 3–4
    assert df["税收（万元）"].tolist() == ["120.5", "0"]
    assert only(notes, "table.delimiter").value == "\t"
    assert only(notes, "encoding.detected").value == "UTF-8"
    assert only(notes, "table.header_row").row == 2


def test_csv_explicit_encoding_and_undecodable(tmp_path):
    path = tmp_path / "x.csv"
    path.write_bytes("名称\n工业\n".encode("gbk"))
    df, notes = read_table(path, encoding="gbk")
    assert df["名称"].tolist() == ["工业"] and only(notes, "encoding.detected").value == "GBK"
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"a,b\n\x81\x20,1\n")
    with pytest.raises(FormatError, match="encoding"):
        read_table(bad)


# -- points from coordinate columns -----------------------------------------------------------
def test_points_from_lon_lat_with_dms_and_blanks():
    df = pd.DataFrame(
        {
            "企业名称": ["甲", "乙", "丙", "丁"],
            "经度": ["118.1", "118°30′36″", None, "东经"],
            "纬度": ["24.5", "24°27'00\"N", "24.6", "24.7"],
            "_row": [2, 3, 4, 5],
        }
    )
    gdf, notes = points_from_xy(df)
    assert gdf.crs is None
    assert gdf.geometry.iloc[0].equals(Point(118.1, 24.5))
    assert gdf.geometry.iloc[1].x == pytest.approx(118.51) and gdf.geometry.iloc[1].y == 24.45
    assert gdf.geometry.iloc[2] is None and gdf.geometry.iloc[3] is None
    assert only(notes, "coords.columns").value == "经度,纬度"
    missing = only(notes, "coords.missing")
    assert missing.row == 4 and missing.field == "经度"
    bad = only(notes, "coords.unparseable")
    assert bad.row == 5 and bad.value == "东经"
    assert gdf["企业名称"].tolist() == ["甲", "乙", "丙", "丁"]  # attributes kept


def test_points_from_survey_x_y_where_x_is_northing():
    df = pd.DataFrame(
        {"点号": ["J1"], "X坐标": ["2717000.50"], "Y坐标": ["40520986.48"], "_row": [2]}
    )
    gdf, notes = points_from_xy(df)
    p = gdf.geometry.iloc[0]
    assert (p.x, p.y) == (40520986.48, 2717000.50)  # easting from Y, northing from X
    note = only(notes, "coords.columns")
    assert note.value == "Y坐标,X坐标" and "X 为北坐标" in note.zh


def test_points_swapped_magnitudes_decide():
    # an ArcGIS-style table: "X" holds the easting with zone prefix, "Y" the northing
    df = pd.DataFrame({"X": [40520986.48, 40521000.0], "Y": [2717000.5, 2717100.0]})
    gdf, notes = points_from_xy(df)
    assert (gdf.geometry.iloc[0].x, gdf.geometry.iloc[0].y) == (40520986.48, 2717000.5)
    note = only(notes, "coords.columns")
    assert "按数值大小判断" in note.zh and note.value == "X,Y"
    # 经度 holding latitudes and 纬度 longitudes
    ll = pd.DataFrame({"经度": [24.5], "纬度": [118.1]})
    gdf, notes = points_from_xy(ll)
    assert gdf.geometry.iloc[0].equals(Point(118.1, 24.5))
    assert only(notes, "coords.columns").value == "纬度,经度"
    # plain eastings (no zone prefix) against northings
    plain = pd.DataFrame({"X坐标": [520986.4], "Y坐标": [2717000.5]})
    gdf, _ = points_from_xy(plain)
    assert (gdf.geometry.iloc[0].x, gdf.geometry.iloc[0].y) == (520986.4, 2717000.5)


def test_points_explicit_columns_and_none_found():
    df = pd.DataFrame({"东": ["120.1"], "北": ["30.2"]})
    with pytest.raises(FormatError) as err:
        points_from_xy(df)
    assert "东" in err.value.zh
    gdf, notes = points_from_xy(df, x="东", y="北")
    assert gdf.geometry.iloc[0].equals(Point(120.1, 30.2))
    assert only(notes, "coords.columns").value == "东,北"
    with pytest.raises(FormatError):
        points_from_xy(df, x="东")


# -- writing ----------------------------------------------------------------------------------
def test_write_table_round_trips(tmp_path):
    df = pd.DataFrame(
        {
            "parcel_id": ["JD-001", "JD-002"],
            "land_use": ["0101", "1001"],
            "area_mu": [12.5, 30.0],
            "supplied_on": pd.to_datetime(["2021-03-15", "2019-11-02"]),
        }
    )
    headers = {"parcel_id": "宗地编号 parcel_id", "land_use": "用地用海分类 land_use"}
    xlsx = tmp_path / "out" / "台账.xlsx"
    write_table(df, xlsx, sheet_name="宗地/台账", headers=headers)
    back, notes = read_table(xlsx)
    assert list(back.columns)[:2] == ["宗地编号 parcel_id", "用地用海分类 land_use"]
    assert back["用地用海分类 land_use"].tolist() == ["0101", "1001"]  # still text
    assert back["area_mu"].tolist() == ["12.5", "30"]
    assert back["supplied_on"].iloc[0] == pd.Timestamp("2021-03-15")
    assert back["_row"].tolist() == [2, 3] and notes == []
    wb = openpyxl.load_workbook(xlsx, read_only=True)
    try:
        assert wb.sheetnames == ["宗地_台账"]  # "/" is not allowed in sheet names
    finally:
        wb.close()

    csv_path = tmp_path / "out.csv"
    write_table(df, csv_path, headers=headers)
    assert csv_path.read_bytes().startswith(b"\xef\xbb\xbf")  # Excel opens Chinese intact
    back, _ = read_table(csv_path)
    assert back["用地用海分类 land_use"].tolist() == ["0101", "1001"]
    with pytest.raises(FormatError):
        write_table(df, tmp_path / "out.xls")


def test_unsupported_and_empty(tmp_path):
    with pytest.raises(FormatError, match="unsupported"):
        read_table(tmp_path / "a.ods")
    empty = tmp_path / "empty.csv"
    empty.write_text("\n\n", encoding="utf-8")
    with pytest.raises(FormatError, match="empty"):
        read_table(empty)


def test_csv_whose_bom_lies_is_a_clear_error(tmp_path):
    from gis.errors import FormatError

    path = tmp_path / "bad.csv"
    path.write_bytes(b"\xef\xbb\xbf" + "宗地编号\n".encode("gbk"))  # UTF-8 BOM, GBK body
    with pytest.raises(FormatError) as exc:
        read_table(path)
    assert "bad.csv" in exc.value.zh and "encoding" in exc.value.en
