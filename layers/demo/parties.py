"""The demo county's parties: enterprises, the park's platform company, utilities and agencies,
with valid 统一社会信用代码 and plausible names.

A party is a counter. Its credit code is derived from that counter (vectorized, so a scaled
county re-derives codes for every copy without a Python loop per party): the 9-character
组织机构代码 inside it is a bijection of the counter (8 digits for pre-2015 registrations,
"MA" + 6 characters for newer ones), with its mod-11 check character, and the 18th character is
the mod-31 check of GB 32100-2015 (DOMAIN.md §8.4; the scalar versions are
:func:`gis.codes.org_code_check_char` and :func:`gis.codes.credit_code_check_char`, which the
tests hold these codes against).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gis.codes import CREDIT_CHARS

__all__ = ["INDUSTRIES", "Parties", "Party", "credit_codes"]

_CREDIT_WEIGHTS = np.array([pow(3, i, 31) for i in range(17)], dtype=np.int64)
_ORG_WEIGHTS = np.array([3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int64)
_CREDIT_VALUE = np.full(128, -1, dtype=np.int64)
for _k, _c in enumerate(CREDIT_CHARS):
    _CREDIT_VALUE[ord(_c)] = _k
_CREDIT_ASCII = np.frombuffer(CREDIT_CHARS.encode(), dtype=np.uint8)
_NUMERIC_SPAN = 90_000_000  # 8-digit org codes 10000000–99999999
_MODERN_SPAN = 31**6  # "MA" + 6 credit characters


def credit_codes(counter: np.ndarray, head: np.ndarray, region: np.ndarray,
                 modern: np.ndarray) -> np.ndarray:
    """Valid credit codes for integer ``counter`` values (unique counters → unique codes).

    ``head`` holds the 2-character 登记管理部门 + 机构类别 codes ("91" enterprise, "11" agency,
    "12" public institution), ``region`` the 6-digit 行政区划码, ``modern`` whether the
    organisation code is of the post-2015 "MA…" form.
    """
    counter = np.asarray(counter, dtype=np.int64)
    n = len(counter)
    org = np.empty((n, 9), dtype=np.uint8)
    # pre-2015: an affine bijection of the counter onto 8 digits
    num = (counter * 48_271 + 12_345_679) % _NUMERIC_SPAN + 10_000_000
    for k in range(8):
        org[:, 7 - k] = ord("0") + (num // 10**k) % 10
    # post-2015: "MA" + 6 base-31 characters from another bijection
    modern = np.asarray(modern, dtype=bool)
    if modern.any():
        val = (counter[modern] * 7_919 + 104_729) % _MODERN_SPAN
        org[modern, 0] = ord("M")
        org[modern, 1] = ord("A")
        for k in range(6):
            org[modern, 7 - k] = _CREDIT_ASCII[(val // 31**k) % 31]
    # organisation-code check character (mod 11; digits and letters valued base 36)
    vals36 = np.where(org[:, :8] >= ord("A"), org[:, :8] - ord("A") + 10, org[:, :8] - ord("0"))
    c9 = 11 - (vals36.astype(np.int64) @ _ORG_WEIGHTS) % 11
    org[:, 8] = np.where(c9 == 10, ord("X"), np.where(c9 == 11, ord("0"), ord("0") + c9 % 10))
    # the 17 characters and the mod-31 check
    body = np.empty((n, 18), dtype=np.uint8)
    body[:, :2] = np.frombuffer("".join(head).encode(), dtype=np.uint8).reshape(n, 2)
    body[:, 2:8] = np.frombuffer("".join(region).encode(), dtype=np.uint8).reshape(n, 6)
    body[:, 8:17] = org
    total = _CREDIT_VALUE[body[:, :17]] @ _CREDIT_WEIGHTS
    body[:, 17] = _CREDIT_ASCII[(31 - total % 31) % 31]
    return body.view("S18").ravel().astype(str)


# --------------------------------------------------------------------------------------------
# industries per theme: (GB/T 4754-2017 class, weight, word used in company names)
# --------------------------------------------------------------------------------------------
INDUSTRIES: dict[str, tuple[tuple[str, float, str], ...]] = {
    "equipment": (
        ("3670", 8, "汽车零部件"), ("3484", 6, "机械"), ("3443", 4, "阀门"), ("3441", 4, "泵业"),
        ("3451", 3, "轴承"), ("3360", 3, "表面处理"), ("3311", 3, "钢结构"), ("3421", 3, "数控机床"),
        ("3442", 2, "压缩机"), ("3411", 2, "锅炉"), ("3812", 3, "电机"), ("3821", 3, "电气"),
        ("3831", 2, "电缆"), ("3591", 2, "环保设备"), ("4011", 2, "自动化"), ("3989", 3, "电子"),
        ("3982", 2, "电路"), ("3453", 2, "传动"), ("3399", 2, "五金"), ("3841", 2, "新能源"),
    ),
    "materials": (
        ("2614", 5, "化工"), ("2619", 3, "化学"), ("2641", 3, "涂料"), ("2651", 4, "新材料"),
        ("2652", 1, "橡胶"), ("2659", 3, "高分子材料"), ("2661", 4, "化学试剂"), ("2662", 3, "精细化工"),
        ("2669", 3, "化学品"), ("2921", 3, "薄膜"), ("2929", 3, "塑业"), ("3062", 2, "复合材料"),
        ("3091", 2, "碳素"), ("3985", 3, "电子材料"), ("2710", 2, "药业"), ("3240", 2, "合金"),
        ("2645", 1, "染料"),
    ),
    "logistics": (
        ("5920", 5, "仓储"), ("5930", 3, "冷链"), ("5437", 3, "供应链"), ("5810", 2, "多式联运"),
        ("5821", 3, "货运代理"), ("6020", 2, "快递"), ("5431", 3, "物流"), ("5942", 1, "危化品仓储"),
        ("5941", 1, "油气仓储"), ("5990", 1, "仓储服务"),
    ),
    "light": (
        ("3484", 4, "精密机械"), ("3989", 3, "电子"), ("2929", 3, "塑胶"), ("3399", 3, "五金"),
        ("4011", 2, "智能科技"), ("3982", 2, "电路"), ("2231", 1, "包装"), ("3360", 1, "表面处理"),
    ),
    "outside": (
        ("2041", 5, "竹业"), ("2120", 3, "竹家具"), ("2110", 3, "家具"), ("1530", 2, "茶业"),
        ("1711", 2, "纺织"), ("2231", 2, "包装"), ("3099", 2, "建材"), ("2929", 2, "塑料制品"),
        ("3399", 2, "五金"), ("3484", 2, "机械"),
    ),
}

_FIRST = "恒永华金宏瑞天博鑫中东力海新精卓晨汇嘉润佳盛德凯宇锦泰鼎诚祥安富荣兴立万广"
_SECOND = "达信泰鼎源丰成远盛联方诺纳锐越辉通科创业宝利隆昌升和益邦威展信川航旺"
_PLACES = ("浙江", "浙江", "示范县", "示范", "湖州", "")
_REGIONS = ("330599",) * 14 + ("330100", "330500", "310115", "320583")


@dataclass
class Party:
    """A party holding or using land: enterprise, platform company, utility, agency."""

    idx: int
    head: str  # "91" enterprise, "11" agency, "12" public institution
    region: str
    modern: bool
    name: str
    role: str  # owner, tenant, outside, platform, developer, utility, agency, institution
    theme: str | None = None
    industry: str | None = None
    park: str | None = None
    z: float = 0.0  # efficiency (standard normal): denser buildings, more tax per 亩
    flag: str | None = None  # "zombie" (亩均税收 < 1) or "star" (> 60), placed on purpose


class Parties:
    """The registry of parties of the base county, numbered in creation order."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng
        self.items: list[Party] = []
        second = "".join(dict.fromkeys(_SECOND))
        cores = [a + b for a in dict.fromkeys(_FIRST) for b in second if a != b]
        order = rng.permutation(len(cores))
        self._cores = [cores[k] for k in order]
        self._next_core = 0
        self._fixed: dict[str, Party] = {}

    def _core(self) -> str:
        core = self._cores[self._next_core % len(self._cores)]
        self._next_core += 1
        if self._next_core > len(self._cores):  # more parties than cores: add a place word
            core = ("东", "西", "南", "北")[self._next_core // len(self._cores) % 4] + core
        return core

    def _add(self, **kw) -> Party:
        p = Party(idx=len(self.items), **kw)
        self.items.append(p)
        return p

    def enterprise(self, role: str, theme: str, park: str | None = None, *,
                   founded_after_2015: bool | None = None, z: float | None = None) -> Party:
        """A new enterprise of a theme, with an industry class and a name that fits it."""
        rng = self.rng
        table = INDUSTRIES[theme]
        w = np.array([t[1] for t in table], dtype=float)
        code, _, word = table[int(rng.choice(len(table), p=w / w.sum()))]
        place = _PLACES[int(rng.integers(len(_PLACES)))]
        suffix = "股份有限公司" if rng.random() < 0.12 else "有限公司"
        if theme == "materials" and word in ("化工", "化学", "精细化工") and rng.random() < 0.3:
            suffix = "科技有限公司"
        modern = bool(rng.random() < 0.45) if founded_after_2015 is None else founded_after_2015
        return self._add(
            head="91", region=_REGIONS[int(rng.integers(len(_REGIONS)))], modern=modern,
            name=f"{place}{self._core()}{word}{suffix}", role=role, theme=theme, industry=code,
            park=park, z=float(rng.normal()) if z is None else z,
        )

    def fixed(self, key: str, name: str, role: str, head: str = "91") -> Party:
        """A named party created once (platform company, utility, agency)."""
        if key not in self._fixed:
            self._fixed[key] = self._add(head=head, region="330599", modern=head == "91",
                                         name=name, role=role)
        return self._fixed[key]

    def developer(self) -> Party:
        rng = self.rng
        core = self._core()
        kind = ("置业", "房地产开发", "商业管理", "实业")[int(rng.integers(4))]
        return self._add(head="91", region=_REGIONS[int(rng.integers(len(_REGIONS)))],
                         modern=bool(rng.random() < 0.5), name=f"示范{core}{kind}有限公司",
                         role="developer")

    def codes(self) -> np.ndarray:
        """Credit codes of all parties, in index order."""
        p = self.items
        return credit_codes(
            np.arange(len(p)), np.array([x.head for x in p]), np.array([x.region for x in p]),
            np.array([x.modern for x in p]),
        )
