"""Schema and geometry validation against the layer catalogue.

:func:`validate` takes rows whose columns already carry catalogue names (see
:func:`gis.io.headers.map_headers`) and returns the accepted rows in canonical dtypes plus a
:class:`~gis.report.Report` in which every row ends ok, repaired (saying what was done) or
rejected (saying why), in Chinese and English. Nothing is dropped silently; rejected rows are
kept in ``report.rejected`` for correction.

Checks are vectorized over columns; Python only runs per failing row, to word its message.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gis.codes import credit_code_problem, normalize_industry_code, normalize_land_use
from gis.errors import ValidationError
from gis.report import ROW, Report
from gis.schema import conform
from layers import Field, Layer, catalogue, industry_divisions, land_use_codes

__all__ = ["FALSE_WORDS", "TRUE_WORDS", "validate", "validate_geometry"]

TRUE_WORDS = {"是", "有", "已", "已完成", "完成", "y", "yes", "true", "t", "1", "√", "✓", "规上"}
FALSE_WORDS = {"否", "无", "未", "未完成", "n", "no", "false", "f", "0", "×", "✗", "规下"}

_POLYGONAL = {3, 6}  # Polygon, MultiPolygon
_LINEAL = {1, 5}  # LineString, MultiLineString
_PUNCTUAL = {0, 4}  # Point, MultiPoint
_ALLOWED_TYPES = {
    "polygon": _POLYGONAL,
    "point": _PUNCTUAL,
    "line": _LINEAL,
    "point_or_line": _PUNCTUAL | _LINEAL,
    "any": _POLYGONAL | _LINEAL | _PUNCTUAL,
}
_KIND_ZH = {"polygon": "面", "point": "点", "line": "线", "point_or_line": "点或线", "any": "任意"}
_TYPE_ZH = {0: "点", 1: "线", 2: "环", 3: "面", 4: "多点", 5: "多线", 6: "多面", 7: "几何集合"}
_TYPE_EN = {0: "Point", 1: "LineString", 2: "LinearRing", 3: "Polygon", 4: "MultiPoint",
            5: "MultiLineString", 6: "MultiPolygon", 7: "GeometryCollection"}


def _lu(code: str) -> str:
    mapped = normalize_land_use(code)
    return mapped[0] if mapped else code


def _label(f: Field) -> str:
    return f"{f.zh}({f.name})"


def _text(col: pd.Series) -> pd.Series:
    """Values as stripped text (NA stays NA); integral floats lose their '.0' (Excel ids)."""

    def one(v: object) -> object:
        if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA or v is pd.NaT:
            return pd.NA
        if isinstance(v, float) and v.is_integer():
            v = int(v)
        if isinstance(v, pd.Timestamp):
            v = v.date().isoformat()
        s = unicodedata.normalize("NFKC", str(v)).strip()
        return s if s else pd.NA

    return col.map(one).astype("str")


def _numbers(text: pd.Series) -> pd.Series:
    cleaned = text.str.replace(r"[,\s，]", "", regex=True).str.replace("％", "%")
    pct = cleaned.str.endswith("%", na=False)
    values = pd.to_numeric(cleaned.str.rstrip("%"), errors="coerce")
    return values.where(~pct, values / 100)


_DATE_CN = re.compile(r"^(\d{4})\s*[年./\-]\s*(\d{1,2})\s*[月./\-]\s*(\d{1,2})\s*日?$")


def _dates(raw: pd.Series, text: pd.Series) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(raw):
        return pd.to_datetime(raw).dt.normalize()
    out = pd.Series(pd.NaT, index=raw.index, dtype="datetime64[ms]")
    is_dt = raw.map(lambda v: isinstance(v, (pd.Timestamp, np.datetime64)) or hasattr(v, "year"))
    if is_dt.any():
        out[is_dt] = pd.to_datetime(raw[is_dt].astype(object).map(str), errors="coerce")
    rest = ~is_dt & text.notna()
    parts = text[rest].str.extract(_DATE_CN)
    ok = parts.notna().all(axis=1)
    if ok.any():
        ymd = parts[ok].astype(int)
        out[ok[ok].index] = pd.to_datetime(
            {"year": ymd[0], "month": ymd[1], "day": ymd[2]}, errors="coerce"
        )
    serial = rest & ~ok.reindex(raw.index, fill_value=False)
    numeric = pd.to_numeric(text[serial], errors="coerce")
    excel = numeric.between(10_000, 80_000)  # Excel serial day numbers (1927–2119)
    if excel.any():
        out[excel[excel].index] = pd.to_datetime(
            numeric[excel], unit="D", origin="1899-12-30"
        ).dt.normalize()
    left = serial & ~excel.reindex(raw.index, fill_value=False)
    if left.any():
        out[left] = pd.to_datetime(text[left], errors="coerce", format="mixed")
    return out.dt.normalize()


def validate(
    frame: pd.DataFrame,
    layer: str | Layer,
    *,
    report: Report | None = None,
    unit_factors: Mapping[str, float] | None = None,
    defaults: Mapping[str, object] | None = None,
) -> tuple[pd.DataFrame, Report]:
    """Validate rows for ``layer``; return (accepted rows in canonical dtypes, report).

    Parameters
    ----------
    frame
        Rows with catalogue column names, a ``_row`` column with the source row numbers and,
        for layers with geometry, a geometry already in its true CRS.
    layer
        Catalogue layer (or its name).
    report
        Report to add to (file-level notes from reading are kept).
    unit_factors
        Multipliers per field for headers that declared another unit (亩 → m² …).
    defaults
        Values for empty cells, per field (``dideng import --default land_use=100102``).
    """
    layer = catalogue.resolve_layer(layer) if isinstance(layer, str) else layer
    report = report if report is not None else Report(layer=layer.name)
    report.layer = layer.name
    df = frame.copy()
    if ROW not in df:
        df[ROW] = np.arange(1, len(df) + 1)
    report.rows_read = len(df)
    original = df.copy()

    _require_columns(df, layer, defaults or {})
    rejected = pd.Series(False, index=df.index)
    rows = df[ROW]
    keys = _key_text(df, layer)

    def reject(mask: pd.Series, code: str, zh, en, field: str | None = None,
               values: pd.Series | None = None) -> None:
        nonlocal rejected
        mask = mask.fillna(False).astype(bool)
        for idx in mask[mask].index:
            v = None if values is None else str(values.get(idx))
            report.reject(code, zh(v) if callable(zh) else zh, en(v) if callable(en) else en,
                          row=int(rows[idx]), key=keys[idx], field=field, value=v)
        rejected |= mask

    def repaired(mask: pd.Series, code: str, zh, en, field: str | None = None,
                 values: pd.Series | None = None) -> None:
        mask = mask.fillna(False).astype(bool)
        for idx in mask[mask].index:
            v = None if values is None else str(values.get(idx))
            report.repaired(code, zh(v) if callable(zh) else zh, en(v) if callable(en) else en,
                            row=int(rows[idx]), key=keys[idx], field=field, value=v)

    # -- fields -------------------------------------------------------------------------------
    for f in layer.fields:
        if f.name not in df:
            if defaults and f.name in defaults:
                df[f.name] = pd.NA
            else:
                continue
        raw = df[f.name]
        text = _text(raw)
        if defaults and f.name in defaults:
            fill = text.isna()
            text = text.mask(fill, str(defaults[f.name]))
            raw = raw.astype(object).mask(fill, defaults[f.name])
            repaired(fill, "value.default",
                     f"{_label(f)} 为空，按指定默认值 {defaults[f.name]} 填写",
                     f"{f.name} was empty; filled with the given default {defaults[f.name]}",
                     f.name)
        present = text.notna()
        label = _label(f)
        if f.dtype == "str":
            value: pd.Series = text
        elif f.dtype in ("int", "float"):
            value = _numbers(text)
            if unit_factors and f.name in unit_factors:
                value = value * unit_factors[f.name]
            bad = present & value.isna()
            reject(bad, "value.not_a_number", lambda v, lb=label: f"{lb} 不是数字：{v}",
                   lambda v, n=f.name: f"{n} is not a number: {v}", f.name, text)
            if f.dtype == "int":
                frac = present & value.notna() & (value != value.round())
                reject(frac, "value.not_an_integer", lambda v, lb=label: f"{lb} 应为整数：{v}",
                       lambda v, n=f.name: f"{n} must be a whole number: {v}", f.name, text)
            if f.min is not None:
                low = value < f.min
                if f.unit == "wan" and f.min == 0:
                    zh, en = (lambda v, lb=label: f"{lb} 金额为负：{v}",
                              lambda v, n=f.name: f"{n} is a negative amount of money: {v}")
                    code = "value.negative_money"
                else:
                    zh, en = (lambda v, lb=label, m=f.min: f"{lb} 小于下限 {m}：{v}",
                              lambda v, n=f.name, m=f.min: f"{n} is below its minimum {m}: {v}")
                    code = "value.below_min"
                reject(low, code, zh, en, f.name, value)
            if f.max is not None:
                reject(value > f.max, "value.above_max",
                       lambda v, lb=label, m=f.max: f"{lb} 超过上限 {m}：{v}",
                       lambda v, n=f.name, m=f.max: f"{n} is above its maximum {m}: {v}",
                       f.name, value)
        elif f.dtype == "bool":
            low = text.str.lower()
            value = pd.Series(pd.NA, index=df.index, dtype="boolean")
            value[low.isin(TRUE_WORDS).fillna(False)] = True
            value[low.isin(FALSE_WORDS).fillna(False)] = False
            reject(present & value.isna(), "value.not_a_boolean",
                   lambda v, lb=label: f"{lb} 应为 是/否：{v}",
                   lambda v, n=f.name: f"{n} must be yes/no: {v}", f.name, text)
        else:  # date
            value = _dates(raw, text)
            reject(present & value.isna(), "value.not_a_date",
                   lambda v, lb=label: f"{lb} 不是有效日期：{v}",
                   lambda v, n=f.name: f"{n} is not a valid date: {v}", f.name, text)

        if f.values is not None:
            codes = text.map(lambda v, fld=f: fld.code_for(v) if isinstance(v, str) else pd.NA)
            allowed = "、".join(f"{c}({z})" for c, z in f.values.items())
            allowed_en = ", ".join(f.values)
            reject(present & codes.isna(), "value.not_allowed",
                   lambda v, lb=label, a=allowed: f"{lb} 取值 {v} 不在允许范围：{a}",
                   lambda v, n=f.name, a=allowed_en: f"{n} value {v} is not one of: {a}",
                   f.name, text)
            value = codes.astype("str")
        if f.check == "credit_code":
            value = text.str.upper().str.replace(r"\s", "", regex=True)
            problems = value.map(lambda v: credit_code_problem(v) if isinstance(v, str) else None)
            bad = problems.notna()
            problem_of = dict(zip(value[bad], problems[bad], strict=True))
            reject(bad, "value.credit_code",
                   lambda v, lb=label, p=problem_of: f"{lb}：{p[v][0]}（{v}）",
                   lambda v, n=f.name, p=problem_of: f"{n}: {p[v][1]} ({v})", f.name, value)
        elif f.check == "land_use":
            mapped = text.map(lambda v: normalize_land_use(v) if isinstance(v, str) else None)
            unknown = present & mapped.isna()
            reject(unknown, "value.land_use_unknown",
                   lambda v, lb=label: f"{lb} {v} 不是《用地用海分类指南》(2023) 代码",
                   lambda v, n=f.name: f"{n} {v} is not a 2023 land-use code", f.name, text)
            legacy = mapped.map(lambda m: bool(m) and m[1] == "legacy")
            repaired(legacy & present, "value.land_use_legacy",
                     lambda v, lb=label: f"{lb} {v} 是 GB 50137 旧代码，已转为 2023 代码 "
                     f"{_lu(v)}({land_use_codes[_lu(v)]})",
                     lambda v, n=f.name: f"{n} {v} is a GB 50137 code; mapped to 2023 code "
                     f"{_lu(v)}", f.name, text)
            value = mapped.map(lambda m: m[0] if m else pd.NA).astype("str")
        elif f.check == "industry_code":
            norm = text.map(lambda v: normalize_industry_code(v) if isinstance(v, str) else None)
            reject(present & norm.isna(), "value.industry_unknown",
                   lambda v, lb=label: f"{lb} {v} 不是 GB/T 4754-2017 行业代码",
                   lambda v, n=f.name: f"{n} {v} is not a GB/T 4754-2017 industry code",
                   f.name, text)
            changed = present & norm.notna() & (norm != text)
            repaired(changed, "value.industry_normalized",
                     lambda v, lb=label: f"{lb} {v} 记为 {normalize_industry_code(v)}"
                     f"（{industry_divisions[str(normalize_industry_code(v))[:2]]}）",
                     lambda v, n=f.name: f"{n} {v} written as {normalize_industry_code(v)}",
                     f.name, text)
            value = norm.astype("str")
        df[f.name] = value
        if f.required:
            reject(~present, "value.required_missing", f"必填字段 {label} 为空",
                   f"required field {f.name} is empty", f.name)

    # -- row rules ----------------------------------------------------------------------------
    for early, late in layer.order:
        if early in df and late in df:
            a, b = df[early], df[late]
            bad = a.notna() & b.notna() & (a > b)
            fa, fb = layer.field(early), layer.field(late)
            dated = fa.dtype == "date"
            reject(bad, "row.order",
                   lambda v, x=fa, y=fb, d=dated: f"{_label(x)} {'晚于' if d else '大于'} {_label(y)}",
                   lambda v, x=fa, y=fb, d=dated:
                   f"{x.name} is {'after' if d else 'greater than'} {y.name}", f"{early},{late}")
    for group in layer.one_of:
        present_any = pd.Series(False, index=df.index)
        for name in group:
            if name in df:
                present_any |= df[name].notna()
        labels = "、".join(_label(layer.field(n)) for n in group)
        reject(~present_any, "row.one_of_missing", f"{labels} 至少填写一项",
               f"at least one of {', '.join(group)} is required", ",".join(group))

    # -- geometry -----------------------------------------------------------------------------
    if layer.has_geometry:
        if not isinstance(df, gpd.GeoDataFrame):
            if layer.geometry_required:
                raise ValidationError(
                    f"图层 {layer.zh}({layer.name}) 需要几何，但数据没有几何或坐标列",
                    f"layer {layer.name} needs geometry, but the data has no geometry or "
                    "coordinate columns",
                )
        else:
            geoms, geo_report = validate_geometry(df.geometry, layer, rows, keys)
            df = df.set_geometry(geoms)
            report.extend(geo_report)
            rejected |= pd.Series(
                df[ROW].isin(geo_report.rejected_rows).to_numpy(), index=df.index
            )

    # -- keys ---------------------------------------------------------------------------------
    live = ~rejected
    key_cols = [k for k in layer.key if k in df]
    if key_cols:
        compare = pd.DataFrame(df.drop(columns=[ROW])).astype(object)
        if isinstance(df, gpd.GeoDataFrame):
            compare[df.geometry.name] = shapely.to_wkb(df.geometry.values, hex=True)
        digest = pd.util.hash_pandas_object(compare.astype(str), index=False)
        exact = live & digest.where(live).duplicated(keep="first") & digest.notna()
        first_of = pd.Series(rows.to_numpy(), index=df.index)[live].groupby(
            digest[live]).transform("first")
        for idx in exact[exact].index:
            report.repaired(
                "row.exact_duplicate",
                f"与第 {first_of[idx]} 行完全相同，只保留一份",
                f"identical to row {first_of[idx]}; one copy kept",
                row=int(rows[idx]), key=keys[idx],
            )
        rejected |= exact  # not rejected in the report: a repair that drops the copy
        # a key shared by several source rows is a conflict even if one of them is rejected
        # for another reason: all of them are rejected, each naming the others
        candidates = ~exact & df[key_cols].notna().all(axis=1)
        dup = pd.Series(False, index=df.index)
        dup[candidates] = df.loc[candidates, key_cols].duplicated(keep=False)
        if dup.any():
            rows_of = df[dup].groupby(key_cols)[ROW].agg(list)
            for idx in dup[dup].index:
                k = tuple(df.loc[idx, key_cols])
                others = [r for r in rows_of[k if len(k) > 1 else k[0]] if r != rows[idx]]
                report.reject(
                    "row.duplicate_key",
                    f"编号 {'/'.join(map(str, k))} 重复（另见第 {'、'.join(map(str, others))} 行）",
                    f"duplicate key {'/'.join(map(str, k))} (also rows "
                    f"{', '.join(map(str, others))})",
                    row=int(rows[idx]), key=keys[idx], field=",".join(key_cols),
                )
            rejected |= dup

    # -- outcome ------------------------------------------------------------------------------
    bad_rows = report.rejected_rows
    clean = df.loc[~rejected].drop(columns=[ROW])
    reasons = _reasons(report, bad_rows)
    rej = original.loc[original[ROW].isin(bad_rows)].copy()
    rej["拒绝原因 reason"] = rej[ROW].map(reasons)
    report.rejected = rej
    return conform(clean.reset_index(drop=True), layer), report


def _reasons(report: Report, rows: set[int]) -> dict[int, str]:
    out: dict[int, list[str]] = {}
    for i in report.issues:
        if i.status == "rejected" and i.row in rows:
            out.setdefault(i.row, []).append(f"{i.zh} / {i.en}")
    return {r: "；".join(v) for r, v in out.items()}


def _key_text(df: pd.DataFrame, layer: Layer) -> pd.Series:
    cols = [k for k in layer.key if k in df]
    if not cols:
        return pd.Series([None] * len(df), index=df.index, dtype=object)
    parts = [_text(df[c]).fillna("") for c in cols]
    joined = parts[0]
    for p in parts[1:]:
        joined = joined + "/" + p
    return joined.astype(object).where(joined.str.strip("/") != "", None)


def _require_columns(df: pd.DataFrame, layer: Layer, defaults: Mapping[str, object]) -> None:
    missing = [f for f in layer.fields if f.required and f.name not in df and
               f.name not in defaults]
    if missing:
        accepted = "；".join(
            f"{f.name}: {'、'.join([f.zh, *f.aliases])}" for f in missing
        )
        raise ValidationError(
            f"图层 {layer.zh}({layer.name}) 缺少必填列：{'、'.join(_label(f) for f in missing)}。"
            f"可接受的表头：{accepted}",
            f"layer {layer.name} is missing required columns: "
            f"{', '.join(f.name for f in missing)}. Accepted headers: {accepted}",
        )


def validate_geometry(
    geoms: gpd.GeoSeries, layer: Layer, rows: pd.Series | None = None,
    keys: pd.Series | None = None,
) -> tuple[gpd.GeoSeries, Report]:
    """Check and repair geometries for ``layer`` (vectorized).

    Repairs (reported): Z dropped, repeated vertices removed, invalid geometry made valid
    (with shapely's reason), non-polygon parts of a collection dropped, single-part multi-points
    made points, polygons promoted to MultiPolygon. Rejections: empty or missing geometry where
    required, wrong geometry type, nothing left after repair.
    """
    report = Report(layer=layer.name)
    rows = rows if rows is not None else pd.Series(np.arange(1, len(geoms) + 1), index=geoms.index)
    keys = keys if keys is not None else pd.Series([None] * len(geoms), index=geoms.index)
    arr = np.asarray(geoms.values, dtype=object)
    out = arr.copy()

    def issue(kind: str, mask: np.ndarray, code: str, zh, en) -> None:
        for i in np.flatnonzero(mask):
            idx = geoms.index[i]
            getattr(report, kind)(code, zh(i) if callable(zh) else zh,
                                  en(i) if callable(en) else en,
                                  row=int(rows[idx]), key=keys[idx], field="geometry")

    missing = shapely.is_missing(arr) | shapely.is_empty(arr)
    if layer.geometry_required:
        issue("reject", missing, "geometry.empty", "几何为空", "geometry is empty")
    present = ~missing

    has_z = present & shapely.has_z(arr)
    if has_z.any():
        out[has_z] = shapely.force_2d(out[has_z])
        issue("repaired", has_z, "geometry.z_dropped", "去掉了 Z 坐标", "Z coordinates dropped")

    before = shapely.get_num_coordinates(out)
    deduped = shapely.remove_repeated_points(out, tolerance=0.0)
    fewer = present & (shapely.get_num_coordinates(deduped) < before)
    if fewer.any():
        out[fewer] = deduped[fewer]
        issue("repaired", fewer, "geometry.repeated_vertices", "删除了重复的节点",
              "repeated vertices removed")

    original_types = shapely.get_type_id(out)
    invalid = present & ~shapely.is_valid(out)
    if invalid.any():
        reasons = shapely.is_valid_reason(out[invalid])
        reason_of = dict(zip(np.flatnonzero(invalid), reasons, strict=True))
        out[invalid] = shapely.make_valid(out[invalid])
        issue("repaired", invalid, "geometry.made_valid",
              lambda i: f"几何无效（{reason_of[i]}），已用 make_valid 修复",
              lambda i: f"invalid geometry ({reason_of[i]}) repaired with make_valid")

    allowed = _ALLOWED_TYPES.get(layer.geometry, set())
    types = shapely.get_type_id(out)
    if layer.geometry == "polygon":
        collection = present & (types == 7)
        if collection.any():
            idx = np.flatnonzero(collection)
            parts, owner = shapely.get_parts(out[idx], return_index=True)
            keep = np.isin(shapely.get_type_id(parts), list(_POLYGONAL))
            polys = shapely.get_parts(parts[keep])  # MultiPolygons to Polygons
            _, sub_owner = shapely.get_parts(parts[keep], return_index=True)
            owners = owner[keep][sub_owner]
            rebuilt = np.full(len(idx), None, dtype=object)
            if len(polys):
                order = np.argsort(owners, kind="stable")
                uniq = np.unique(owners)
                rebuilt[uniq] = shapely.multipolygons(
                    polys[order], indices=np.searchsorted(uniq, owners[order])
                )
            out[idx] = rebuilt
            dropped = np.zeros(len(out), dtype=bool)
            dropped[idx] = True
            issue("repaired", dropped & ~shapely.is_missing(out), "geometry.non_polygon_parts",
                  "几何集合中的非面部分（点、线）已删除",
                  "non-polygon parts (points, lines) of a collection dropped")
        types = shapely.get_type_id(out)
        # a polygon that repair collapsed to a line or point, or to nothing, has no area left
        nothing = present & np.isin(original_types, list(_POLYGONAL)) & (
            shapely.is_missing(out) | shapely.is_empty(out) | (shapely.area(out) <= 0))
        issue("reject", nothing & ~missing, "geometry.empty_after_repair",
              "修复后没有面积，无法作为面保存", "no area left after repair")
        wrong = present & ~nothing & ~np.isin(types, list(_POLYGONAL))
    else:
        nothing = np.zeros(len(out), dtype=bool)
        wrong = present & ~np.isin(types, list(allowed))
    issue("reject", wrong, "geometry.wrong_type",
          lambda i: f"几何类型为{_TYPE_ZH.get(int(types[i]), '?')}，"
                    f"本图层要求{_KIND_ZH[layer.geometry]}",
          lambda i: f"geometry type is {_TYPE_EN.get(int(types[i]), '?')}; "
                    f"the layer needs {layer.geometry}")

    if layer.geometry == "polygon":
        single = present & (types == 3)
        if single.any():
            out[single] = shapely.multipolygons(out[single], indices=np.arange(single.sum()))
    if layer.geometry == "point":
        onepoint = present & (types == 4) & (shapely.get_num_geometries(out) == 1)
        if onepoint.any():
            out[onepoint] = shapely.get_geometry(out[onepoint], 0)
            issue("repaired", onepoint, "geometry.single_multipoint", "单点的多点几何改为点",
                  "single-point MultiPoint made a Point")
    return gpd.GeoSeries(out, index=geoms.index, crs=geoms.crs), report
