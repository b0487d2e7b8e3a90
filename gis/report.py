"""The validation report: what happened to every row of an import, in Chinese and English.

Every row ends ``ok``, ``repaired`` (with what was done) or ``rejected`` (with why); file-level
findings (encoding detected, CRS inferred, area unit decided) are ``note`` entries. Nothing is
dropped without an entry here.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Literal

import geopandas as gpd
import pandas as pd

__all__ = ["ROW", "Issue", "Report"]

#: column that carries each row's number as the user sees it in the source file
ROW = "_row"

Status = Literal["note", "repaired", "rejected"]

_STATUS_ZH = {"note": "提示", "repaired": "已修复", "rejected": "已拒绝"}


@dataclass(frozen=True)
class Issue:
    """One finding. ``row`` is the row number in the source (None for file-level notes)."""

    status: Status
    code: str
    zh: str
    en: str
    row: int | None = None
    key: str | None = None
    field: str | None = None
    value: str | None = None


@dataclass
class Report:
    """Outcome of reading and validating one source for one layer."""

    source: str | None = None
    layer: str | None = None
    rows_read: int = 0
    issues: list[Issue] = field(default_factory=list)
    #: the rejected source rows as read (after header mapping), with a reason column
    rejected: gpd.GeoDataFrame | pd.DataFrame | None = None

    # -- building ---------------------------------------------------------------------------
    def note(self, code: str, zh: str, en: str, **kw: object) -> None:
        self.issues.append(Issue("note", code, zh, en, **kw))  # type: ignore[arg-type]

    def repaired(self, code: str, zh: str, en: str, **kw: object) -> None:
        self.issues.append(Issue("repaired", code, zh, en, **kw))  # type: ignore[arg-type]

    def reject(self, code: str, zh: str, en: str, **kw: object) -> None:
        self.issues.append(Issue("rejected", code, zh, en, **kw))  # type: ignore[arg-type]

    def extend(self, other: Report) -> None:
        self.issues.extend(other.issues)

    # -- reading ----------------------------------------------------------------------------
    def rows(self, status: Status) -> set[int]:
        return {i.row for i in self.issues if i.status == status and i.row is not None}

    @property
    def rejected_rows(self) -> set[int]:
        return self.rows("rejected")

    @property
    def repaired_rows(self) -> set[int]:
        return self.rows("repaired") - self.rejected_rows

    @property
    def counts(self) -> dict[str, int]:
        rejected = len(self.rejected_rows)
        repaired = len(self.repaired_rows)
        return {
            "read": self.rows_read,
            "ok": self.rows_read - rejected - repaired,
            "repaired": repaired,
            "rejected": rejected,
        }

    @property
    def notes(self) -> list[Issue]:
        return [i for i in self.issues if i.status == "note"]

    def codes(self, status: Status | None = None) -> list[str]:
        return [i.code for i in self.issues if status is None or i.status == status]

    def to_frame(self) -> pd.DataFrame:
        """One line per finding, bilingual headers, ready for Excel."""
        cols = {
            "row": "行号 row",
            "key": "编号 key",
            "status": "结果 status",
            "field": "字段 field",
            "value": "值 value",
            "code": "代码 code",
            "zh": "说明",
            "en": "message",
        }
        df = pd.DataFrame([asdict(i) for i in self.issues], columns=list(cols))
        return df.rename(columns=cols)

    def to_dict(self) -> dict[str, object]:
        return {
            "source": self.source,
            "layer": self.layer,
            "counts": self.counts,
            "issues": [asdict(i) for i in self.issues],
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=2)

    def summary(self) -> str:
        c = self.counts
        return (
            f"读取 {c['read']} 行：正常 {c['ok']}，修复 {c['repaired']}，拒绝 {c['rejected']} / "
            f"read {c['read']} rows: ok {c['ok']}, repaired {c['repaired']}, "
            f"rejected {c['rejected']}"
        )

    def to_text(self, *, limit: int | None = 200) -> str:
        """Human-readable report: summary line, then one line per finding (bilingual)."""
        head = f"{self.source or ''} → {self.layer or ''}".strip(" →")
        lines = [head, self.summary()] if head else [self.summary()]
        order = {"rejected": 0, "repaired": 1, "note": 2}
        issues = sorted(self.issues, key=lambda i: (order[i.status], i.row or 0))
        for n, i in enumerate(issues):
            if limit is not None and n >= limit:
                lines.append(f"… 另有 {len(issues) - limit} 条 / {len(issues) - limit} more")
                break
            where = f"第{i.row}行 row {i.row}" if i.row is not None else "文件 file"
            key = f" [{i.key}]" if i.key else ""
            fld = f" {i.field}" if i.field else ""
            lines.append(
                f"  {_STATUS_ZH[i.status]} {i.status}: {where}{key}{fld}: {i.zh} / {i.en}"
            )
        return "\n".join(lines)

    def write_rejects(self, path: str | Path) -> Path:
        """Write the rejected rows (with reasons) for correction: .xlsx, .csv or .gpkg."""
        path = Path(path)
        df = self.rejected if self.rejected is not None else pd.DataFrame()
        if path.suffix.lower() == ".gpkg" and isinstance(df, gpd.GeoDataFrame) and len(df):
            df.to_file(path, layer=f"{self.layer or 'rows'}_rejected", driver="GPKG")
        elif path.suffix.lower() == ".csv":
            pd.DataFrame(df.drop(columns="geometry", errors="ignore")).to_csv(
                path, index=False, encoding="utf-8-sig"
            )
        else:
            table = pd.DataFrame(df.drop(columns="geometry", errors="ignore"))
            if isinstance(df, gpd.GeoDataFrame) and "geometry" in df:
                table["wkt"] = df.geometry.to_wkt()
            with pd.ExcelWriter(path, engine="openpyxl") as xl:
                table.to_excel(xl, sheet_name="拒绝行 rejected", index=False)
                self.to_frame().to_excel(xl, sheet_name="报告 report", index=False)
        return path
