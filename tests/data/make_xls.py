"""Generate ``idle_ledger.xls`` (old BIFF8 Excel), the fixture of tests/test_io_table.py.

Run once, by hand, where ``xlwt`` is installed (it is not a dependency of dideng, and neither
the code nor the tests import it); the binary it writes is committed::

    pip install xlwt && python tests/data/make_xls.py

Sheet 1 "封面" is empty; sheet 2 "闲置土地" holds a merged title row, a unit row, the header
on Excel row 3, data on rows 4, 5 and 7 and a blank row 6. Land-use codes: "0101" as text,
1001 as a number, 601 as a number shown as "0601" (number format 0000).
"""

import datetime as dt
from pathlib import Path

import xlwt

HERE = Path(__file__).parent

book = xlwt.Workbook(encoding="utf-8")
book.add_sheet("封面")
ws = book.add_sheet("闲置土地")
date = xlwt.easyxf(num_format_str="YYYY-MM-DD")
padded = xlwt.easyxf(num_format_str="0000")
ws.write_merge(0, 0, 0, 5, "某某县闲置土地台账")
ws.write(1, 0, "单位：亩")
header = ["序号", "宗地编号", "统一社会信用代码", "用地用海分类", "用地面积（亩）", "供地日期"]
for c, h in enumerate(header):
    ws.write(2, c, h)
rows = {
    3: [1, "JD-001", "91350200776049653A", "0101", 12.5, dt.date(2021, 3, 15)],
    4: [2, "JD-002", "91350203MA2Y0QW21B", 1001, 30, dt.date(2019, 11, 2)],
    6: [3, 1003, "", 601, 8.25, None],
}
for r, values in rows.items():
    for c, v in enumerate(values):
        if isinstance(v, dt.date):
            ws.write(r, c, v, date)
        elif v == 601:
            ws.write(r, c, v, padded)
        elif v not in ("", None):
            ws.write(r, c, v)
book.save(str(HERE / "idle_ledger.xls"))
