"""The project request and the hard rules of matching (issue 5), vectorized over sites.

A *site table* is a dict of equal-length arrays (one row per single candidate or merged site):
``area_mu`` (gross), ``net_area_mu``, ``red_line_m2``, ``planned_use``, ``use_class`` /
``use_cat`` (the planned use's 4-digit class and its 一/二/三类 number, 0 when the code has
none), the 标准地 minimums ``inv_min``, ``tax_min``, ``out_min`` and maximum ``energy_max``,
distances ``water_km`` … ``rail_km``, ``sub_km`` (2-D: nearest substation with at least each
spare level), ``ready`` / ``ra`` (1, 0, NaN), ``source_rank``, ``path_code`` (the zone path's
code) and ``zone_id``.

Each rule gives a status per row: :data:`PASS`, :data:`FAIL`, :data:`UNKNOWN`, or
:data:`NOT_APPLICABLE` when the project does not ask for it (``rail`` without ``needs_rail``, …).
Only ``standard_land`` and a planned use without a category number can be unknown; unknown
never excludes, and it is shown in the site's checks — never a silent pass.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from gis.errors import ValidationError
from gis.policy import Policy

__all__ = ["AREA_RULES", "DISTANCE_RULES", "FAIL", "NON_AREA_RULES", "NOT_APPLICABLE", "PASS",
           "RULES", "RULE_NAMES", "STATUS", "UNKNOWN", "Project", "detail", "evaluate",
           "substation_column", "substation_km", "use_parts"]

PASS, FAIL, UNKNOWN, NOT_APPLICABLE = 0, 1, 2, -1
#: areas compared within this many 亩 are equal (floating-point noise of areas from coordinates)
AREA_EPS_MU = 1e-6
STATUS = {PASS: "pass", FAIL: "fail", UNKNOWN: "unknown"}

#: every rule, in the order checks and exclusions list them
RULES = ("land_use", "red_line", "area", "too_large", "standard_land", "rail", "highway",
         "power", "zones")
#: rules that depend on a site's area (re-checked on merged sites)
#: the rules in Chinese, for ledgers, maps and briefs
RULE_NAMES = {"land_use": "用地性质", "red_line": "红线避让", "area": "面积满足",
              "too_large": "面积不过大", "standard_land": "标准地指标", "rail": "铁路专用线",
              "highway": "高速出入口距离", "power": "供电容量", "zones": "意向园区"}
AREA_RULES = ("area", "too_large", "standard_land")
#: rules that read a facility distance (the project decides whether they apply)
DISTANCE_RULES = ("rail", "highway", "power")
#: rules every part of a merged site must pass on its own
NON_AREA_RULES = tuple(r for r in RULES if r not in AREA_RULES)

_ZONE_SPLIT = re.compile(r"[,，;；、\s]+")


def _missing(value) -> bool:
    """None, NaN, NA or NaT (a list or other non-scalar is not missing)."""
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _num(value) -> float | None:
    if _missing(value):
        return None
    try:
        out = float(value)
    except (TypeError, ValueError):
        raise ValidationError(f"项目字段取值不是数字：{value!r}",
                              f"project value is not a number: {value!r}") from None
    return None if math.isnan(out) else out


def _text(value) -> str | None:
    if _missing(value):
        return None
    text = str(value).strip()
    return text or None


def use_parts(code: str | None) -> tuple[str | None, int]:
    """A 用地用海 code → (4-digit class, category number 1–3; 0 without one)."""
    if not code or len(code) < 4:
        return None, 0
    cat = code[4:6]
    return code[:4], int(cat) if len(code) >= 6 and cat.isdigit() else 0


@dataclass
class Project:
    """A request, normalized: numbers as float or None, zones as a tuple."""

    project_id: str | None
    name: str | None
    industry_code: str | None
    land_use: str
    need_mu_min: float
    need_mu_max: float
    investment_wan: float
    expected_tax_wan: float | None = None
    expected_output_wan: float | None = None
    power_kva: float | None = None
    water_t_per_day: float | None = None
    energy_tce: float | None = None
    hazardous: bool | None = None
    needs_rail: bool = False
    max_km_to_highway_exit: float | None = None
    zones: tuple[str, ...] = ()
    zones_required: bool = False
    weights: dict[str, float] = field(default_factory=dict)

    @classmethod
    def of(cls, project: Mapping | pd.Series) -> Project:
        p = dict(project.items())
        missing = [k for k in ("land_use", "need_mu_min", "need_mu_max", "investment_wan")
                   if _text(p.get(k)) is None]
        if missing:
            raise ValidationError(f"项目缺少必填字段：{'、'.join(missing)}",
                                  f"project lacks required fields: {', '.join(missing)}")
        need_min, need_max = _num(p["need_mu_min"]), _num(p["need_mu_max"])
        if need_min < 0 or need_max < need_min:
            raise ValidationError(f"需地面积区间无效：{need_min}–{need_max} 亩",
                                  f"invalid need range: {need_min}–{need_max} mu")
        zones = p.get("zones")
        if isinstance(zones, str) or zones is None or (not isinstance(zones, (list, tuple))
                                                       and pd.isna(zones)):
            zones = tuple(z for z in _ZONE_SPLIT.split(_text(zones) or "") if z)
        else:
            zones = tuple(str(z) for z in zones)
        weights = p.get("weights") or {}
        if not isinstance(weights, Mapping):
            raise ValidationError("weights 须为 准则→权重 的映射",
                                  "weights must map criteria to numbers")

        def flag(key: str) -> bool:
            v = p.get(key)
            return bool(v) if v is not None and not (np.isscalar(v) and pd.isna(v)) else False

        return cls(
            project_id=_text(p.get("project_id")), name=_text(p.get("name")),
            industry_code=_text(p.get("industry_code")), land_use=_text(p["land_use"]),
            need_mu_min=need_min, need_mu_max=need_max, investment_wan=_num(p["investment_wan"]),
            expected_tax_wan=_num(p.get("expected_tax_wan")),
            expected_output_wan=_num(p.get("expected_output_wan")),
            power_kva=_num(p.get("power_kva")), water_t_per_day=_num(p.get("water_t_per_day")),
            energy_tce=_num(p.get("energy_tce")),
            hazardous=flag("hazardous") if p.get("hazardous") is not None else None,
            needs_rail=flag("needs_rail"),
            max_km_to_highway_exit=_num(p.get("max_km_to_highway_exit")),
            zones=zones, zones_required=flag("zones_required"),
            weights={str(k): float(v) for k, v in weights.items()},
        )

    def to_json(self) -> dict:
        out = {k: v for k, v in self.__dict__.items() if k != "weights"}
        out["zones"] = list(self.zones)
        if self.weights:
            out["weights"] = dict(self.weights)
        return out


def _spare_column(levels: np.ndarray, kva: float) -> int | None:
    """Column of ``sub_km`` for the nearest substation with at least ``kva`` spare (None when
    no substation has that much)."""
    j = int(np.searchsorted(levels, kva, side="left"))
    return j if j < len(levels) else None


def substation_column(levels: np.ndarray, kva: float | None) -> int | None:
    """Column of ``sub_km`` a project with ``kva`` reads: the nearest substation with at least
    ``kva`` spare, any spare > 0 when None (None when no substation has that much)."""
    if kva is None:
        j = int(np.searchsorted(levels, 0.0, side="right"))
        return j if j < len(levels) else None
    return _spare_column(levels, kva)


def substation_km(sites: Mapping[str, np.ndarray], levels: np.ndarray, kva: float | None
                  ) -> np.ndarray:
    """Distance (km) to the nearest substation with ``kva`` spare (any spare > 0 when None)."""
    n = len(sites["area_mu"])
    j = substation_column(levels, kva)
    return sites["sub_km"][:, j] if j is not None else np.full(n, np.inf)


def standard_land_parts(sites: Mapping[str, np.ndarray], prj: Project
                        ) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Per 标准地 indicator: (status, the project's value per 亩 or ratio, the limit)."""
    n = len(sites["area_mu"])
    mu = sites["area_mu"]
    with np.errstate(divide="ignore", invalid="ignore"):
        inv = np.where(mu > 0, prj.investment_wan / mu, np.inf)

        def per_mu(total: float | None) -> np.ndarray:
            return np.full(n, np.nan) if total is None else np.where(mu > 0, total / mu, np.inf)

        tax, out = per_mu(prj.expected_tax_wan), per_mu(prj.expected_output_wan)
        energy = (np.full(n, prj.energy_tce / prj.expected_output_wan)
                  if prj.energy_tce is not None and prj.expected_output_wan
                  else np.full(n, np.nan))

    def at_least(value: np.ndarray, limit: np.ndarray) -> np.ndarray:
        status = np.where(value >= limit, PASS, FAIL)
        status = np.where(np.isnan(value), UNKNOWN, status)
        return np.where(np.isnan(limit), PASS, status)

    def at_most(value: np.ndarray, limit: np.ndarray) -> np.ndarray:
        status = np.where(value <= limit, PASS, FAIL)
        status = np.where(np.isnan(value), UNKNOWN, status)
        return np.where(np.isnan(limit), PASS, status)

    return {
        "investment": (at_least(inv, sites["inv_min"]), inv, sites["inv_min"]),
        "tax": (at_least(tax, sites["tax_min"]), tax, sites["tax_min"]),
        "output": (at_least(out, sites["out_min"]), out, sites["out_min"]),
        "energy": (at_most(energy, sites["energy_max"]), energy, sites["energy_max"]),
    }


def evaluate(sites: Mapping[str, np.ndarray], prj: Project, policy: Policy, *,
             levels: np.ndarray, zone_paths: list[tuple[str, ...]],
             rules: tuple[str, ...] = RULES) -> dict[str, np.ndarray]:
    """Status (int8) of each rule for every row of ``sites``."""
    m = policy.matching
    n = len(sites["area_mu"])
    out: dict[str, np.ndarray] = {}
    na = np.full(n, NOT_APPLICABLE, dtype=np.int8)
    for rule in rules:
        if rule == "land_use":
            cls, cat = use_parts(prj.land_use)
            same = sites["use_class"] == cls
            status = np.where(same & (sites["use_cat"] >= max(cat, 1)), PASS, FAIL)
            status = np.where(same & (sites["use_cat"] == 0), UNKNOWN, status)
        elif rule == "red_line":
            status = np.where(sites["red_line_m2"] >= m.red_line_tolerance_m2, FAIL, PASS)
        elif rule == "area":
            status = np.where(sites["net_area_mu"] >= prj.need_mu_min - AREA_EPS_MU, PASS, FAIL)
        elif rule == "too_large":
            status = np.where(
                sites["area_mu"] > m.too_large_factor * prj.need_mu_max + AREA_EPS_MU, FAIL, PASS)
        elif rule == "standard_land":
            parts = np.stack([s for s, _, _ in standard_land_parts(sites, prj).values()])
            status = np.where((parts == FAIL).any(axis=0), FAIL,
                              np.where((parts == UNKNOWN).any(axis=0), UNKNOWN, PASS))
        elif rule == "rail":
            status = np.where(sites["rail_km"] <= m.rail_km, PASS, FAIL) if prj.needs_rail \
                else na
        elif rule == "highway":
            limit = prj.max_km_to_highway_exit
            status = na if limit is None else np.where(sites["highway_exit_km"] <= limit,
                                                       PASS, FAIL)
        elif rule == "power":
            status = na if prj.power_kva is None else np.where(
                substation_km(sites, levels, prj.power_kva) <= m.power_km, PASS, FAIL)
        elif rule == "zones":
            if prj.zones_required and prj.zones:
                wanted = set(prj.zones)
                ok = np.array([bool(wanted.intersection(p)) for p in zone_paths], dtype=bool)
                status = np.where(ok[sites["path_code"]], PASS, FAIL) if len(ok) \
                    else np.full(n, FAIL)
            else:
                status = na
        else:  # pragma: no cover - RULES is closed
            raise KeyError(rule)
        out[rule] = np.asarray(status, dtype=np.int8)
    return out


def _f(x: float, nd: int = 1) -> str:
    return "—" if x is None or not np.isfinite(x) else f"{x:.{nd}f}"


def detail(rule: str, sites: Mapping[str, np.ndarray], k: int, prj: Project, policy: Policy,
           levels: np.ndarray) -> str:
    """One Chinese sentence and its English twin: why row ``k`` fails ``rule``."""
    m = policy.matching
    s = {key: v[k] for key, v in sites.items() if key != "sub_km"}
    if rule == "land_use":
        use = s["planned_use"] or "（无）"
        zh = (f"规划用途 {use} 不能承载用地类型 {prj.land_use} 的项目：须同属 {prj.land_use[:4]}，"
              "且类别不低于项目（一类项目可用二、三类用地，三类项目只能用三类用地）。")
        en = (f"Planned use {use} cannot take a {prj.land_use} project: it must be in class "
              f"{prj.land_use[:4]} with a category at least the project's.")
    elif rule == "red_line":
        zh = f"与永久基本农田、生态保护红线等禁止占用区重叠 {_f(s['red_line_m2'], 0)} 平方米。"
        en = (f"Overlaps an exclude constraint (basic farmland, ecological red line) by "
              f"{_f(s['red_line_m2'], 0)} m².")
    elif rule == "area":
        zh = (f"扣除高压走廊等管控后净面积 {_f(s['net_area_mu'])} 亩（毛面积 {_f(s['area_mu'])} 亩），"
              f"小于需地下限 {_f(prj.need_mu_min)} 亩。")
        en = (f"Net area {_f(s['net_area_mu'])} mu (gross {_f(s['area_mu'])} mu, after corridors "
              f"and other penalties) is below the need of {_f(prj.need_mu_min)} mu.")
    elif rule == "too_large":
        zh = (f"面积 {_f(s['area_mu'])} 亩，超过需地上限 {_f(prj.need_mu_max)} 亩的 "
              f"{_f(m.too_large_factor, 0)} 倍，过大。")
        en = (f"Area {_f(s['area_mu'])} mu is over {_f(m.too_large_factor, 0)} × the need's "
              f"maximum of {_f(prj.need_mu_max)} mu: too large.")
    elif rule == "standard_land":
        one = {key: np.asarray([v[k]]) for key, v in sites.items() if key != "sub_km"}
        parts = standard_land_parts(one, prj)
        names = {"investment": ("投资强度", "investment per mu", "万元/亩", "wan/mu", "低于下限",
                                "below the minimum"),
                 "tax": ("亩均税收", "tax per mu", "万元/亩", "wan/mu", "低于下限",
                         "below the minimum"),
                 "output": ("亩均产值", "output per mu", "万元/亩", "wan/mu", "低于下限",
                            "below the minimum"),
                 "energy": ("单位产值能耗", "energy per output", "吨标煤/万元", "tce/wan",
                            "高于上限", "above the maximum")}
        zh_parts, en_parts = [], []
        for key, (status, value, limit) in parts.items():
            if status[0] == FAIL:
                z, e, uz, ue, wz, we = names[key]
                nd = 3 if key == "energy" else 2  # 28.96 must not read as "29.0 below 29.0"
                zh_parts.append(f"{z} {_f(value[0], nd)} {uz}{wz} {_f(limit[0], nd)}")
                en_parts.append(f"{e} {_f(value[0], nd)} {ue} {we} {_f(limit[0], nd)}")
        zh = f"按 {_f(s['area_mu'])} 亩计，标准地指标不达标：" + "；".join(zh_parts) + "。"
        en = f"标准地 indicators fail on {_f(s['area_mu'])} mu: " + "; ".join(en_parts) + "."
    elif rule == "rail":
        zh = f"{_f(m.rail_km)} 公里内没有铁路设施（最近 {_f(s['rail_km'])} 公里）。"
        en = f"No rail facility within {_f(m.rail_km)} km (nearest {_f(s['rail_km'])} km)."
    elif rule == "highway":
        zh = (f"距最近高速出入口 {_f(s['highway_exit_km'])} 公里，超过项目要求的 "
              f"{_f(prj.max_km_to_highway_exit)} 公里。")
        en = (f"Nearest highway exit is {_f(s['highway_exit_km'])} km away, beyond the "
              f"project's {_f(prj.max_km_to_highway_exit)} km.")
    elif rule == "power":
        d = substation_km({key: v[k:k + 1] for key, v in sites.items()}, levels,
                          prj.power_kva)[0]
        if np.isfinite(d):
            zh = (f"{_f(m.power_km)} 公里内没有剩余容量达 {_f(prj.power_kva, 0)} kVA 的变电站"
                  f"（最近一座在 {_f(d)} 公里）。")
            en = (f"No substation with {_f(prj.power_kva, 0)} kVA spare within "
                  f"{_f(m.power_km)} km (nearest such: {_f(d)} km).")
        else:
            zh = f"全县没有剩余容量达 {_f(prj.power_kva, 0)} kVA 的变电站。"
            en = f"No substation in the county has {_f(prj.power_kva, 0)} kVA spare."

    elif rule == "zones":
        zone = s["zone_id"] or "园区外"
        zh = f"位于 {zone}，不在项目限定的园区（{'、'.join(prj.zones)}）内。"
        en = (f"Lies in {s['zone_id'] or 'no zone'}, outside the required zones "
              f"({', '.join(prj.zones)}).")
    else:  # pragma: no cover
        raise KeyError(rule)
    return f"{zh} {en}"
