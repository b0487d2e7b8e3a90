"""The values a parcel header line declares, checked against what was read.

地块面积 is normally in 公顷 but some tools write m²: the unit is decided per parcel by
comparing with the geometry's area and fills ``declared_area_m2``. A 界址点数 matching no
counting convention is noted.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from gis.io.txt.parse import _note, _Parcel
from gis.report import Issue
from gis.units import M2_PER_HA

#: the declared area matches the geometry when within this relative difference
AREA_TOLERANCE = 0.01

_UNIT_ZH = {"ha": "公顷", "m2": "平方米"}
_UNIT_EN = {"ha": "hectares", "m2": "square metres"}


def _area_unit(
    gdf: gpd.GeoDataFrame, parcels: list[_Parcel], built_parcel: np.ndarray
) -> list[Issue]:
    """Decide 公顷 or m² for the declared areas, fill ``declared_area_m2`` and say so."""
    issues: list[Issue] = []
    if gdf.empty:
        return issues
    texts = pd.Series([parcels[int(i)].area_text for i in built_parcel], dtype="str")
    declared = pd.to_numeric(texts, errors="coerce").to_numpy(dtype=float)
    for j in np.flatnonzero(~np.isfinite(declared) & (texts.str.strip() != "").to_numpy()):
        p = parcels[int(built_parcel[j])]
        issues.append(
            Issue(
                "note",
                "txt.area_unreadable",
                f"地块面积「{p.area_text}」不是数字，按空处理",
                f"declared area '{p.area_text}' is not a number; taken as blank",
                row=p.row,
                key=p.parcel_id,
                field="declared_area_m2",
                value=p.area_text,
            )
        )
    area = gdf.geometry.area.to_numpy(dtype=float)
    has = np.isfinite(declared)
    with np.errstate(invalid="ignore", divide="ignore"):
        err_ha = np.abs(declared * M2_PER_HA - area) / area
        err_m2 = np.abs(declared - area) / area
    is_ha = has & (err_ha <= AREA_TOLERANCE) & (err_ha <= err_m2)
    is_m2 = has & (err_m2 <= AREA_TOLERANCE) & ~is_ha
    neither = has & ~is_ha & ~is_m2
    n_ha, n_m2 = int(is_ha.sum()), int(is_m2.sum())
    default = "m2" if n_m2 and not n_ha else "ha"
    unit = np.where(is_m2, "m2", np.where(is_ha, "ha", default))
    gdf["declared_area_m2"] = np.where(
        has, np.where(unit == "ha", declared * M2_PER_HA, declared), np.nan
    )
    if n_ha and n_m2:
        for j in np.flatnonzero(is_ha | is_m2):
            p = parcels[int(built_parcel[j])]
            u = str(unit[j])
            issues.append(
                Issue(
                    "note",
                    "txt.area_unit",
                    f"本地块的地块面积 {p.area_text} 以{_UNIT_ZH[u]}计（与图形面积 "
                    f"{area[j]:.1f} m² 相符）；本文件中面积单位不统一",
                    f"this parcel's declared area {p.area_text} is in {_UNIT_EN[u]} (matches "
                    f"the geometry's {area[j]:.1f} m²); the file mixes units",
                    row=p.row,
                    key=p.parcel_id,
                    field="declared_area_m2",
                    value=_UNIT_ZH[u],
                )
            )
    elif n_ha or n_m2:
        u = "ha" if n_ha else "m2"
        count = n_ha or n_m2
        issues.append(
            _note(
                "txt.area_unit",
                f"地块面积单位判定为{_UNIT_ZH[u]}：{count} 个地块的申报面积与图形面积相差不超过 1%",
                f"declared areas are in {_UNIT_EN[u]}: {count} parcel(s) match the geometry "
                "area within 1 %",
                field="declared_area_m2",
                value=_UNIT_ZH[u],
            )
        )
    for j in np.flatnonzero(neither):
        p = parcels[int(built_parcel[j])]
        u = str(unit[j])
        d = declared[j]
        issues.append(
            Issue(
                "note",
                "txt.area_mismatch",
                f"申报面积 {p.area_text} 与图形面积 {area[j]:.2f} m² 不符：按公顷为 "
                f"{d * M2_PER_HA:.2f} m²（差 {err_ha[j]:.1%}），按平方米差 {err_m2[j]:.1%}；"
                f"按{_UNIT_ZH[u]}换算",
                f"declared area {p.area_text} does not match the geometry's {area[j]:.2f} m²: "
                f"as hectares {d * M2_PER_HA:.2f} m² ({err_ha[j]:.1%} off), as m² "
                f"{err_m2[j]:.1%} off; converted as {_UNIT_EN[u]}",
                row=p.row,
                key=p.parcel_id,
                field="declared_area_m2",
                value=p.area_text,
            )
        )
    return issues


def _point_counts(
    parcels: list[_Parcel], built_parcel: np.ndarray, pt_parcel: np.ndarray, pt_ring: np.ndarray
) -> list[Issue]:
    """A declared 界址点数 matching no counting convention hints at a truncated record."""
    issues: list[Issue] = []
    rows = np.bincount(pt_parcel, minlength=len(parcels))
    pairs = np.unique(np.column_stack([pt_parcel, pt_ring]), axis=0)
    rings = np.bincount(pairs[:, 0].astype(np.int64), minlength=len(parcels))
    for i in built_parcel:
        p = parcels[int(i)]
        n, k = int(rows[int(i)]), int(rings[int(i)])
        # tools count with or without the closing repeats (one per ring)
        if p.count is not None and not n - k <= p.count <= n:
            issues.append(
                Issue(
                    "note",
                    "txt.point_count",
                    f"界址点数 {p.count} 与坐标行数 {n} 不符，按坐标行读取",
                    f"declared point count {p.count} differs from the {n} point lines; "
                    "the point lines were read",
                    row=p.row,
                    key=p.parcel_id,
                    value=str(p.count),
                )
            )
    return issues
