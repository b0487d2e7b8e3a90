"""The evaluation ledger: the 公示 class lists, the full evaluation, the measures list, the
parcel and zone tables (Excel), and the JSON document of an evaluation year."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from gis.evaluation import EvaluationResult
from gis.reports import Sheet, records, write_ledger
from layers import results

__all__ = ["evaluation_json", "write_evaluation_ledger"]

#: labels of the per-zone / per-town 亩均 totals
TOTAL_LABELS: dict[str, tuple[str, str | None]] = {
    "zone_id": ("园区编号 zone_id", None),
    "name": ("园区名称 name", None),
    "town": ("乡镇街道 town", None),
    "firms": ("企业数 firms", None),
    "graded": ("参评数 graded", None),
    "A": ("A类 A", None),
    "B": ("B类 B", None),
    "C": ("C类 C", None),
    "D": ("D类 D", None),
    "not_graded": ("不参评 not graded", None),
    "vetoed": ("一票否决 vetoed", None),
    "land_mu": ("用地面积（亩）land_mu", "mu"),
    "tax_wan": ("税收（万元）tax_wan", "wan"),
    "output_wan": ("产值（万元）output_wan", "wan"),
    "revenue_wan": ("营业收入（万元）revenue_wan", "wan"),
    "value_added_wan": ("增加值（万元）value_added_wan", "wan"),
    "tax_per_mu": ("亩均税收（万元/亩）tax_per_mu", "wan_per_mu"),
    "value_added_per_mu": ("亩均增加值（万元/亩）value_added_per_mu", "wan_per_mu"),
    "output_per_mu": ("亩均产值（万元/亩）output_per_mu", "wan_per_mu"),
    "revenue_per_mu": ("亩均营业收入（万元/亩）revenue_per_mu", "wan_per_mu"),
    "mean_score": ("平均得分 mean score", "ratio"),
}

#: the columns of a published (公示) list: who, where, which class — no figures
PUBLIC_COLUMNS = ["credit_code", "name", "town", "industry_code", "class", "class_name"]
GROUP_SHEETS = {"above": "规上企业", "below": "规下企业"}


def _zones_table(result: EvaluationResult) -> pd.DataFrame:
    """Zone indicators joined with the zones' 亩均 totals (columns prefixed ``permu_``)."""
    zones = result.zones
    totals = result.permu.zones
    if totals is None or len(totals) == 0 or "zone_id" not in totals:
        return zones
    extra = totals.set_index("zone_id").add_prefix("permu_")
    extra = extra[[c for c in extra.columns if c not in zones.columns]]
    return zones.join(extra, on="zone_id")


def write_evaluation_ledger(result: EvaluationResult, path: str | Path) -> Path:
    """Write the evaluation workbook: one 公示 list per group, the full evaluation, the
    measures, the parcels, the zone indicators and the policy basis."""
    firms = result.permu.enterprises
    year = result.year
    sheets = []
    for group, label in GROUP_SHEETS.items():
        listed = firms[(firms["group"] == group) & firms["class"].notna()]
        listed = listed.sort_values(["class", "rank", "credit_code"])[PUBLIC_COLUMNS]
        sheets.append(Sheet(f"{label}公示", f"{year}年度{label}亩均效益综合评价结果（公示）",
                            listed, results["permu"]))
    sheets.append(Sheet("评价明细", f"{year}年度亩均效益综合评价明细（内部）", firms,
                        results["permu"]))
    measured = firms[firms["measures"].notna() & (firms["measures"] != "")]
    keep = [c for c in ["credit_code", "name", "group", "class", "class_name", "measures",
                        "land_tax_relief_wan", "power_surcharge_wan"] if c in measured]
    sheets.append(Sheet("差别化措施", f"{year}年度差别化措施清单", measured[keep],
                        results["permu"]))
    sheets.append(Sheet("园区亩均汇总", f"{year}年度亩均效益按园区汇总", result.permu.zones,
                        labels=TOTAL_LABELS))
    sheets.append(Sheet("乡镇亩均汇总", f"{year}年度亩均效益按乡镇街道汇总", result.permu.towns,
                        labels=TOTAL_LABELS))
    sheets.append(Sheet("宗地亩均", f"{year}年度宗地亩均效益", result.permu.parcels,
                        results["permu_parcels"]))
    sheets.append(Sheet("园区集约利用", f"开发区土地集约利用评价（截至 {result.as_of.date()}）",
                        result.zones, results["zone_indicators"]))
    sheets.append(Sheet("依据", "参数与依据 policy parameters and sources",
                        result.policy.to_frame()))
    return write_ledger(path, sheets)


def evaluation_json(result: EvaluationResult, *, with_geometry: bool = False
                    ) -> dict[str, object]:
    """The evaluation year as one JSON-ready document."""
    return {
        "year": result.year,
        "enterprises": records(result.permu.enterprises),
        "parcels": records(result.permu.parcels, with_geometry=with_geometry),
        "zones": records(_zones_table(result), with_geometry=with_geometry),
        "summary": result.summary,
    }
