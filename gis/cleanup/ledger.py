"""The clean-up ledger (三清台账): the Excel workbook and the JSON document of a clean-up."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from gis.cleanup import CleanupResult
from gis.reports import Sheet, records, write_ledger
from layers import results

__all__ = ["cleanup_json", "write_cleanup_ledger"]

#: labels of the summary columns (Chinese first) and their units
SUMMARY_LABELS: dict[str, tuple[str, str | None]] = {
    "zone_id": ("园区编号 zone_id", None),
    "zone_name": ("园区名称 name", None),
    "town": ("乡镇街道 town", None),
    "idle_count": ("闲置宗数 idle", None),
    "idle_mu": ("闲置面积（亩）idle_mu", "mu"),
    "idle_fee_wan": ("应征闲置费（万元）fee_wan", "wan"),
    "watch_count": ("预警宗数 watch", None),
    "batches": ("批次数 batches", None),
    "approved_mu": ("批准面积（亩）approved_mu", "mu"),
    "unsupplied_mu": ("批而未供面积（亩）unsupplied_mu", "mu"),
    "usable_pieces": ("可供地块数 usable pieces", None),
    "usable_mu": ("可供面积（亩）usable_mu", "mu"),
    "low_count": ("低效宗数 low-efficiency", None),
    "low_mu": ("低效面积（亩）low_mu", "mu"),
    "potential_tax_wan": ("可增税收（万元）potential_tax_wan", "wan"),
}

FIVE_YEAR_LABELS: dict[str, tuple[str, str | None]] = {
    "window_start": ("统计起 window start", None),
    "window_end": ("统计止 window end", None),
    "batches": ("批次数 batches", None),
    "approved_mu": ("批准面积（亩）approved_mu", "mu"),
    "supplied_mu": ("已供面积（亩）supplied_mu", "mu"),
    "rate": ("近五年平均供地率 rate", "share"),
    "floor": ("国家底线 floor", "share"),
    "meets_floor": ("是否达标 meets floor", None),
}


def _county(result: CleanupResult) -> str:
    return f"（截至 {result.as_of.date().isoformat()} / as of {result.as_of.date().isoformat()}）"


def write_cleanup_ledger(result: CleanupResult, path: str | Path, *,
                         zone_names: dict[str, str] | None = None) -> Path:
    """Write the 三清 ledger: summaries by zone and town, the five lists, the five-year rate and
    the policy basis (依据), one sheet each."""
    by_zone = result.by("zone_id")
    if zone_names:
        by_zone.insert(1, "zone_name", by_zone["zone_id"].map(zone_names).fillna(""))
    five = pd.DataFrame([result.unsupplied.five_year])
    if "meets_floor" in five:
        five["meets_floor"] = five["meets_floor"].map({True: "是 yes", False: "否 no"})
    when = _county(result)
    sheets = [
        Sheet("汇总-园区", f"三清汇总（按园区）{when}", by_zone, labels=SUMMARY_LABELS),
        Sheet("汇总-乡镇", f"三清汇总（按乡镇街道）{when}", result.by("town"),
              labels=SUMMARY_LABELS),
        Sheet("闲置土地", f"闲置土地台账 {when}", result.idle, results["idle"]),
        Sheet("闲置预警", f"即将闲置预警清单 {when}", result.watch, results["idle"]),
        Sheet("批而未供批次", f"批而未供批次台账 {when}", result.unsupplied.batches,
              results["unsupplied_batches"]),
        Sheet("批而未供地块", f"批而未供剩余地块清单 {when}", result.unsupplied.pieces,
              results["unsupplied_pieces"]),
        Sheet("低效用地", f"低效用地台账 {when}", result.low_efficiency, results["low_efficiency"]),
        Sheet("近五年供地率", f"近五年平均供地率 {when}", five, labels=FIVE_YEAR_LABELS),
        Sheet("依据", "参数与依据 policy parameters and sources", result.policy.to_frame()),
    ]
    return write_ledger(path, sheets)


def cleanup_json(result: CleanupResult, *, with_geometry: bool = False) -> dict[str, object]:
    """The clean-up as one JSON-ready document (geometry omitted unless asked, then CRS84)."""
    return {
        "as_of": result.as_of.date().isoformat(),
        "idle": records(result.idle, with_geometry=with_geometry),
        "watch": records(result.watch, with_geometry=with_geometry),
        "unsupplied": {
            "batches": records(result.unsupplied.batches, with_geometry=with_geometry),
            "pieces": records(result.unsupplied.pieces, with_geometry=with_geometry),
            "five_year": result.unsupplied.five_year,
        },
        "low_efficiency": records(result.low_efficiency, with_geometry=with_geometry),
        "summary": result.summary,
    }
