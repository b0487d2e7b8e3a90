"""Importing bureau files into a workspace, converting between formats, exporting layers.

One pipeline for every source: read (:mod:`gis.io`) → map Chinese headers through the catalogue →
place coordinates in their true CRS (:func:`gis.crs.place`) → reproject to the workspace CRS →
validate (:func:`gis.validate.validate`) → write atomically with an import-log line. An import
that rejects rows writes nothing unless rejects are allowed; either way the report says what
happened to every row.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd
from pyproj import CRS

from gis.crs import datum_notes, place, workspace_crs_for
from gis.errors import FormatError
from gis.io.headers import map_headers
from gis.io.table import TABLE_SUFFIXES, points_from_xy, read_table, write_table
from gis.io.txt import read_txt, write_txt
from gis.io.vector import VECTOR_SUFFIXES, read_vector, write_vector
from gis.report import ROW, Report
from gis.units import area_mu
from gis.validate import validate, validate_geometry
from gis.workspace import ImportLogEntry, Workspace, open_workspace, workspace_exists
from layers import Layer, catalogue

__all__ = ["ImportResult", "convert", "export_layer", "import_file", "read_source", "sniff_kind"]

Progress = Callable[[str], None]

_TXT_MARKERS = ("属性描述", "地块坐标", "界址点")


def sniff_kind(path: str | Path) -> str:
    """'txt' (部标 coordinate file), 'vector' or 'table', by suffix and, for .txt or no
    suffix, by content."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in VECTOR_SUFFIXES:
        return "vector"
    if suffix in TABLE_SUFFIXES:
        return "table"
    head = path.read_bytes()[:4096]
    for enc in ("utf-8-sig", "gb18030"):
        try:
            text = head.decode(enc)
        except UnicodeDecodeError:
            continue
        if any(m in text for m in _TXT_MARKERS):
            return "txt"
    raise FormatError(
        f"无法识别的文件格式：{path.name}（支持 GeoPackage、Shapefile(.shp/.zip)、GeoJSON、"
        "GeoParquet、Excel、CSV、部标坐标 TXT）",
        f"unrecognised file format: {path.name} (supported: GeoPackage, Shapefile (.shp/.zip), "
        "GeoJSON, GeoParquet, Excel, CSV, 部标 coordinate TXT)",
    )


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _known_headers(layer: Layer) -> list[str]:
    return [t for f in layer.fields for t in (f.name, f.zh, f.en, *f.aliases)]


def read_source(
    path: str | Path,
    layer: Layer | str,
    *,
    source_layer: str | None = None,
    sheet: str | int | None = None,
    encoding: str | None = None,
    crs: CRS | int | str | None = None,
    target_crs: CRS | int | str | None = None,
    parcels: gpd.GeoDataFrame | None = None,
) -> tuple[pd.DataFrame, Report, dict[str, float]]:
    """Read a file for ``layer``: headers mapped, geometry placed and in ``target_crs``.

    Returns the rows (not yet validated), the report so far (reading notes) and the unit
    factors found in the headers. ``crs`` overrides the file's declared CRS. Tables are placed
    by coordinate columns, or — for polygon layers — joined to ``parcels`` by 宗地编号.
    """
    path = Path(path)
    layer = catalogue.resolve_layer(layer) if isinstance(layer, str) else layer
    report = Report(source=path.name, layer=layer.name)
    if not path.exists():
        raise FormatError(f"文件不存在：{path}", f"file not found: {path}")
    kind = sniff_kind(path)
    frame: pd.DataFrame
    if kind == "txt":
        frame, issues = read_txt(path, crs=crs)
        if len(layer.key) == 1 and layer.key[0] != "parcel_id":
            frame = frame.rename(columns={"parcel_id": layer.key[0]})
        declared = frame.crs
    elif kind == "vector":
        frame, issues = read_vector(path, layer=source_layer, encoding=encoding)
        declared = crs if crs is not None else frame.crs
    else:
        frame, issues = read_table(path, sheet=sheet, encoding=encoding,
                                   known_headers=_known_headers(layer))
        declared = crs
    report.issues.extend(issues)
    for issue in issues:  # rows the reader could not build are counted as read
        if issue.status == "rejected" and issue.row is not None:
            report.rows_read += 1
    frame, notes, factors = map_headers(frame, layer)
    report.issues.extend(notes)

    if layer.has_geometry and not isinstance(frame, gpd.GeoDataFrame):
        frame = _place_table(frame, layer, report, parcels)
    if isinstance(frame, gpd.GeoDataFrame) and layer.has_geometry:
        geoms, notes = place(frame.geometry, declared if kind != "txt" else frame.crs)
        report.issues.extend(notes)
        frame = frame.set_geometry(geoms)
        if kind != "txt":  # the TXT reader words its own datum note from the file header
            report.issues.extend(datum_notes(frame.crs))
        target = CRS.from_user_input(target_crs) if target_crs is not None else (
            workspace_crs_for(frame.geometry) if frame.crs.is_geographic else frame.crs)
        if not frame.crs.equals(target):
            frame = frame.to_crs(target)
    elif isinstance(frame, gpd.GeoDataFrame) and not layer.has_geometry:
        report.note("geometry.ignored", f"图层 {layer.zh} 不需要几何，文件中的几何已忽略",
                    f"layer {layer.name} has no geometry; the file's geometry is ignored")
        frame = pd.DataFrame(frame.drop(columns=frame.geometry.name))
    return frame, report, factors


def _place_table(frame: pd.DataFrame, layer: Layer, report: Report,
                 parcels: gpd.GeoDataFrame | None) -> pd.DataFrame:
    try:
        placed, notes = points_from_xy(frame)
    except FormatError:
        placed, notes = None, []
    if placed is not None and layer.geometry in ("point", "point_or_line", "any"):
        report.issues.extend(notes)
        return placed
    if layer.geometry == "polygon" and parcels is not None and "parcel_id" in frame:
        ids = frame["parcel_id"].map(lambda v: None if pd.isna(v) else str(v).strip())
        geom_of = dict(zip(parcels["parcel_id"], parcels.geometry, strict=True))
        geoms = ids.map(geom_of)
        for idx in geoms[geoms.isna()].index:
            report.note("geometry.parcel_not_found",
                        f"宗地编号 {ids[idx]} 在宗地图层中不存在，无法取得图形",
                        f"parcel {ids[idx]} is not in the parcels layer; no geometry",
                        row=int(frame.loc[idx, ROW]), field="parcel_id")
        report.note("geometry.joined_to_parcels", "图形按宗地编号取自宗地图层",
                    "geometry taken from the parcels layer by parcel_id")
        return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geoms.tolist(), index=frame.index,
                                                              crs=parcels.crs))
    if layer.geometry_required:
        raise FormatError(
            f"表格没有坐标列，无法为图层 {layer.zh}({layer.name}) 生成图形"
            + ("；面图层可提供宗地编号，从已导入的宗地取图形" if layer.geometry == "polygon" else ""),
            f"the table has no coordinate columns; cannot make geometry for {layer.name}"
            + ("; polygon layers may give parcel_id to take shapes from imported parcels"
               if layer.geometry == "polygon" else ""),
        )
    return frame


@dataclass
class ImportResult:
    """What an import did: the report, whether the layer was written, how many rows."""

    report: Report
    written: bool
    rows_written: int
    workspace: str

    @property
    def ok(self) -> bool:
        return self.written


def import_file(
    workspace: Workspace | str | Path,
    layer: str,
    path: str | Path,
    *,
    allow_rejects: bool = False,
    crs: CRS | int | str | None = None,
    sheet: str | int | None = None,
    source_layer: str | None = None,
    encoding: str | None = None,
    defaults: Mapping[str, object] | None = None,
    progress: Progress | None = None,
    source_name: str | None = None,
) -> ImportResult:
    """Import ``path`` as ``layer`` (replacing it) into ``workspace``.

    A workspace path that does not exist is created in the CGCS2000 Gauss-Krüger zone of the
    data. Rows rejected → nothing is written unless ``allow_rejects``. ``source_name`` is how
    the import log names the source (default: the file's name), e.g. the original name of an
    upload saved under a name of the service's choosing.
    """
    step = progress or (lambda _msg: None)
    lay = catalogue.resolve_layer(layer)
    path = Path(path)
    ws = workspace if isinstance(workspace, Workspace) else None
    if ws is None and workspace_exists(workspace):
        ws = open_workspace(workspace)
    step("读取 reading")
    parcels = None
    if ws is not None and lay.geometry == "polygon" and "parcels" in ws.layers() and \
            lay.name != "parcels" and sniff_kind(path) == "table":
        parcels = ws.read("parcels", columns=["parcel_id"])
    frame, report, factors = read_source(
        path, lay, source_layer=source_layer, sheet=sheet, encoding=encoding, crs=crs,
        target_crs=ws.crs if ws is not None else None, parcels=parcels,
    )
    step("校验 validating")
    clean, report = validate(frame, lay, report=report, unit_factors=factors, defaults=defaults)
    counts = report.counts
    if counts["rejected"] and not allow_rejects:
        report.note("import.not_written",
                    f"有 {counts['rejected']} 行被拒绝，未写入任何数据（可用 --allow-rejects 只导入合格行）",
                    f"{counts['rejected']} rows rejected; nothing was written "
                    "(--allow-rejects imports the accepted rows only)")
        return ImportResult(report, False, 0, str(getattr(ws, "location", workspace)))
    if ws is None:
        target = (workspace_crs_for(clean.geometry) if isinstance(clean, gpd.GeoDataFrame)
                  and len(clean) else None)
        if target is None:
            from gis.errors import WorkspaceError

            raise WorkspaceError(
                "新建工作空间需要带坐标的数据（或先导入一个有图形的图层）",
                "a new workspace needs data with coordinates (or import a layer with geometry "
                "first)",
            )
        ws = Workspace.create(workspace, target)
        report.note("workspace.created",
                    f"新建工作空间 {ws.location}，坐标系 EPSG:{target.to_epsg()}（{target.name}）",
                    f"created workspace {ws.location} in EPSG:{target.to_epsg()} ({target.name})")
    step("写入 writing")
    entry = ImportLogEntry(
        layer=lay.name, source=source_name or path.name, sha256=_sha256(path),
        rows_read=counts["read"], rows_repaired=counts["repaired"],
        rows_rejected=counts["rejected"], rows_written=len(clean),
    )
    ws.write(lay.name, clean, log=entry)
    return ImportResult(report, True, len(clean), ws.location)


# -- converting and exporting -------------------------------------------------------------------

_OUT_SUFFIXES = (".gpkg", ".shp", ".zip", ".geojson", ".json", ".parquet", ".txt", ".xlsx",
                 ".csv")


def _write_any(frame: pd.DataFrame, out: Path, *, layer: Layer | None = None) -> Report:
    report = Report(source=None, layer=layer.name if layer else None)
    suffix = out.suffix.lower()
    if suffix not in _OUT_SUFFIXES:
        raise FormatError(
            f"不支持的输出格式：{out.suffix}（可选 {' '.join(_OUT_SUFFIXES)}）",
            f"unsupported output format {out.suffix} (choose {' '.join(_OUT_SUFFIXES)})",
        )
    aliases = {f.name: f.zh for f in layer.fields} if layer else None
    if suffix == ".txt":
        if not isinstance(frame, gpd.GeoDataFrame):
            raise FormatError("部标 TXT 只能写面图层", "部标 TXT holds polygon layers only")
        id_field = layer.key[0] if layer and len(layer.key) == 1 else (
            "parcel_id" if "parcel_id" in frame else frame.columns[0])
        write_txt(frame, out, id_field=id_field,
                  name_field="name" if "name" in frame else None,
                  land_use_field="land_use" if "land_use" in frame else None)
    elif suffix in (".xlsx", ".csv"):
        table = pd.DataFrame(frame.drop(columns="geometry", errors="ignore"))
        if isinstance(frame, gpd.GeoDataFrame) and frame.crs is not None and \
                not frame.crs.is_geographic and frame.geom_type.isin(
                    ["Polygon", "MultiPolygon"]).any():
            table["area_mu"] = area_mu(frame).round(4)
        headers = {f.name: f.header for f in layer.fields} if layer else {}
        headers["area_mu"] = "面积（亩）area_mu"
        write_table(table, out, headers=headers, sheet_name=layer.zh if layer else "Sheet1")
    else:
        if not isinstance(frame, gpd.GeoDataFrame):
            raise FormatError(
                f"{out.suffix} 需要图形；无图形的图层请导出为 xlsx 或 csv",
                f"{out.suffix} needs geometry; export tables as xlsx or csv",
            )
        report.issues.extend(write_vector(frame, out, layer=layer.name if layer else None,
                                          aliases=aliases))
    return report


def convert(
    src: str | Path,
    out: str | Path,
    *,
    crs: CRS | int | str | None = None,
    to_crs: CRS | int | str | None = None,
    layer: str | None = None,
    source_layer: str | None = None,
    encoding: str | None = None,
) -> Report:
    """Convert between formats (部标 TXT ↔ GeoPackage/Shapefile/GeoJSON/GeoParquet …).

    Geometry is validated and repaired as an import does; with ``layer`` the rows are also
    validated against that catalogue layer. ``crs`` is the source CRS when the file has none;
    coordinates that cannot be placed raise :class:`~gis.errors.CRSError`.
    """
    src, out = Path(src), Path(out)
    if layer is not None:
        lay = catalogue.resolve_layer(layer)
        frame, report, factors = read_source(src, lay, source_layer=source_layer,
                                             encoding=encoding, crs=crs, target_crs=to_crs)
        clean, report = validate(frame, lay, report=report, unit_factors=factors)
    else:
        lay = None
        kind = sniff_kind(src)
        report = Report(source=src.name)
        if kind == "txt":
            frame, issues = read_txt(src, crs=crs)
        elif kind == "vector":
            frame, issues = read_vector(src, layer=source_layer, encoding=encoding)
        else:
            table, issues = read_table(src, encoding=encoding)
            frame, more = points_from_xy(table)
            issues = [*issues, *more]
        report.issues.extend(issues)
        report.rows_read = len(frame)
        geoms, notes = place(frame.geometry, crs if crs is not None else frame.crs)
        report.issues.extend(notes)
        report.issues.extend(datum_notes(geoms.crs))
        kinds = set(geoms.dropna().geom_type)
        generic = "polygon" if kinds <= {"Polygon", "MultiPolygon", "GeometryCollection"} else (
            "any")
        pseudo = Layer(name="rows", zh="数据", en="rows", geometry=generic, key=(), fields=(),
                       geometry_required=True)
        fixed, geo_report = validate_geometry(geoms, pseudo, frame.get(ROW, None))
        report.extend(geo_report)
        clean = frame.set_geometry(fixed)
        clean = clean[~clean[ROW].isin(report.rejected_rows)] if ROW in clean else clean
        clean = clean.drop(columns=[ROW], errors="ignore")
        if to_crs is not None:
            clean = clean.to_crs(to_crs)
    report.extend(_write_any(clean, out, layer=lay))
    return report


def export_layer(workspace: Workspace, layer: str, out: str | Path) -> Report:
    """Write a workspace layer to a file; the format follows the suffix of ``out``."""
    frame = workspace.read(layer)
    lay = catalogue.get(layer, None)
    return _write_any(frame, Path(out), layer=lay)
