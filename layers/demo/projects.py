"""Ten investment projects waiting for land (招商项目), as a promotion office would enter them.

Chosen so that matching (issue 5) has work of every kind: projects that fit one reserve lot,
ones that need adjacent lots merged, a 一类 project that may take 二类 land, a hazardous one
restricted to 西园, one that needs the rail spur, one near a motorway exit, one asking for more
power than most substations have spare, and one that nothing in the county can take
(a 180–200 亩 三类 polyolefin plant in 西园 needing rail, a motorway exit within 3 km and
80 MVA): matching must say why.
"""

from __future__ import annotations

__all__ = ["PROJECTS"]

_COLUMNS = ("project_id", "name", "industry_code", "land_use", "need_mu_min", "need_mu_max",
            "investment_wan", "expected_tax_wan", "expected_output_wan", "power_kva",
            "water_t_per_day", "energy_tce", "hazardous", "needs_rail",
            "max_km_to_highway_exit", "zones", "zones_required")

_ROWS = (
    ("XM2026001", "新能源汽车零部件项目", "3670", "100102", 40, 60, 18_000, 1_500, 36_000,
     6_300, 300, 2_500, False, False, 8.0, "KFQ-DY", False),
    ("XM2026002", "高端数控机床及关键功能部件项目", "3421", "100102", 80, 100, 36_000, 2_800,
     60_000, 10_000, 400, 4_000, False, False, None, "KFQ-DY", False),
    ("XM2026003", "电子级湿化学品项目", "2661", "100103", 50, 80, 30_000, 2_000, 40_000, 8_000,
     1_200, 9_000, True, False, None, "KFQ-XY", True),
    ("XM2026004", "高性能改性塑料及制品项目", "2929", "100102", 30, 45, 12_000, 900, 24_000,
     4_000, 200, 3_000, False, False, None, None, False),
    # logistics projects commit to the 南园 标准地 floors (投资 ≥ 290, 税收 ≥ 17 万元/亩 in newer blocks)
    ("XM2026005", "冷链物流中心项目", "5930", "110101", 60, 90, 27_000, 1_600, None, 5_000, 150,
     1_800, False, False, 5.0, "KFQ-NY", False),
    ("XM2026006", "公铁联运物流园项目", "5810", "110102", 120, 180, 60_000, 3_200, None, 4_000,
     100, 1_000, False, True, 10.0, "KFQ-NY", False),
    ("XM2026007", "智能电网成套设备项目", "3821", "100102", 25, 35, 12_000, 1_000, 25_000,
     3_000, 80, 600, False, False, None, None, False),
    ("XM2026008", "锂电池正极材料项目", "3985", "100102", 100, 150, 80_000, 5_000, 120_000,
     30_000, 2_000, 25_000, False, False, None, "KFQ-DY,KFQ-XY", False),
    ("XM2026009", "精密轴承项目", "3451", "100101", 15, 20, 6_000, 450, 10_000, 1_250, 50, 400,
     False, False, None, None, False),
    ("XM2026010", "年产30万吨高端聚烯烃项目", "2651", "100103", 180, 200, 600_000, 30_000,
     900_000, 80_000, 8_000, 150_000, True, True, 3.0, "KFQ-XY", True),
)

#: the ten projects as column → values
PROJECTS: dict[str, list] = {c: [row[k] for row in _ROWS] for k, c in enumerate(_COLUMNS)}
