"""Verbs on data: demo, layers, import, validate, convert, export, copy."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from gis.cli import (
    CrsOpt,
    WorkspaceOpt,
    _faced,
    _parse_defaults,
    _print_report,
    app,
    demo_workspace_path,
    err,
    out,
    resolve_workspace,
)
from gis.errors import ImportRejected


@app.command()
@_faced
def demo(
    scale: Annotated[int, typer.Option(min=1, help="N 倍规模（新编号，统计特征相同）/ N-times larger county")] = 1,
    out_path: Annotated[str | None, typer.Option("--out", help="输出 GeoPackage 文件或 PostGIS 地址 / output .gpkg or postgresql:// URL")] = None,
    seed: Annotated[int, typer.Option(help="随机种子 / random seed")] = 20260930,
) -> None:
    """生成示范县工作空间（一区三园）/ Build the demo county workspace."""
    from gis.workspace import is_database_url, mask_location
    from layers.demo import write_demo

    path: str | Path = out_path or demo_workspace_path()
    if not is_database_url(str(path)):
        path = Path(path)
    samples = path.parent / "samples" if scale == 1 and isinstance(path, Path) else None
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                  console=err, transient=True) as bar:
        task = bar.add_task("生成示范县 building the demo county", total=None)
        write_demo(path, scale=scale, seed=seed, samples=samples,
                   progress=lambda msg: bar.update(task, description=msg))
    out.print(f"示范县已写入 / demo county written: {mask_location(str(path))}", highlight=False)
    if samples is not None:
        out.print(f"样例文件 / sample bureau files: {samples}", highlight=False)
    _print_layers(path)


def _print_layers(path: str | Path) -> None:
    from gis.workspace import open_workspace
    from layers import catalogue

    ws = open_workspace(path)
    present = set(ws.layers())
    table = Table(title=f"{ws.location}  EPSG:{ws.crs.to_epsg()} ({ws.crs.name})")
    for col in ("图层 layer", "中文", "几何 geometry", "要素数 rows"):
        table.add_column(col)
    for name in [*catalogue, *sorted(present - set(catalogue))]:
        lay = catalogue.get(name)
        if name in present:
            info = ws.info(name)
            rows = str(info["features"])
            geom = str(info["geometry_type"] or "—")
        else:
            rows, geom = "—", (lay.geometry if lay else "—")
        table.add_row(name, lay.zh if lay else "（分析结果 result）", geom, rows)
    out.print(table)


@app.command()
@_faced
def layers(workspace: WorkspaceOpt = None) -> None:
    """列出图层目录与工作空间中的图层 / List the catalogue and the workspace's layers."""
    _print_layers(resolve_workspace(workspace, for_reading=True))


@app.command("import")
@_faced
def import_(
    layer: Annotated[str, typer.Argument(help="图层名，如 parcels 或 宗地 / layer name")],
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="源文件 / source file")],
    workspace: WorkspaceOpt = None,
    allow_rejects: Annotated[bool, typer.Option("--allow-rejects", help="有拒绝行时仍导入合格行 / import accepted rows even if some are rejected")] = False,
    crs: CrsOpt = None,
    sheet: Annotated[str | None, typer.Option(help="Excel 工作表 / sheet")] = None,
    source_layer: Annotated[str | None, typer.Option("--source-layer", help="GeoPackage/ZIP 中的图层 / layer inside the file")] = None,
    encoding: Annotated[str | None, typer.Option(help="强制编码，如 GBK / force an encoding")] = None,
    default: Annotated[list[str] | None, typer.Option("--default", help="空值默认 字段=值 / FIELD=VALUE for empty cells")] = None,
    rejects: Annotated[Path | None, typer.Option("--rejects", help="拒绝行写出到 .xlsx/.csv/.gpkg / write rejected rows")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="以 JSON 输出报告 / report as JSON")] = False,
) -> None:
    """导入文件到工作空间（校验并生成报告）/ Import a file into the workspace, with a report."""
    from gis.imports import import_file
    from layers import catalogue

    lay = catalogue.resolve_layer(layer)
    ws_path = resolve_workspace(workspace, for_reading=False)
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
                  TimeElapsedColumn(), console=err, transient=True) as bar:
        task = bar.add_task(f"导入 importing {file.name}", total=3)

        def step(msg: str) -> None:
            bar.update(task, description=f"{file.name}: {msg}", advance=0 if "读取" in msg else 1)

        result = import_file(
            ws_path, lay.name, file, allow_rejects=allow_rejects,
            crs=crs, sheet=int(sheet) if sheet and sheet.isdigit() else sheet,
            source_layer=source_layer, encoding=encoding, defaults=_parse_defaults(default),
            progress=step,
        )
        bar.update(task, completed=3)
    _print_report(result.report, as_json=as_json)
    if rejects is not None and result.report.counts["rejected"]:
        result.report.write_rejects(rejects)
        err.print(f"拒绝行已写出 / rejected rows written: {rejects}", highlight=False)
    if result.written:
        err.print(f"已写入 {result.rows_written} 行到 {result.workspace} 的图层 {lay.name} / "
                  f"wrote {result.rows_written} rows to layer {lay.name}", highlight=False)
    else:
        raise ImportRejected(
            "导入未执行：有被拒绝的行（见报告；--allow-rejects 可只导入合格行）",
            "import not done: rows were rejected (see the report; --allow-rejects imports the "
            "accepted rows)",
            result.report,
        )


@app.command()
@_faced
def validate(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False)],
    layer: Annotated[str, typer.Option("--layer", "-l", help="按哪个图层校验 / layer to validate against")],
    crs: CrsOpt = None,
    sheet: Annotated[str | None, typer.Option(help="Excel 工作表 / sheet")] = None,
    source_layer: Annotated[str | None, typer.Option("--source-layer")] = None,
    encoding: Annotated[str | None, typer.Option()] = None,
    rejects: Annotated[Path | None, typer.Option("--rejects", help="拒绝行写出 / write rejected rows")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """只校验不导入 / Validate a file against a layer without importing it."""
    from gis.imports import read_source
    from gis.validate import validate as run
    from layers import catalogue

    lay = catalogue.resolve_layer(layer)
    frame, report, factors = read_source(
        file, lay, source_layer=source_layer, sheet=int(sheet) if sheet and sheet.isdigit()
        else sheet, encoding=encoding, crs=crs)
    _clean, report = run(frame, lay, report=report, unit_factors=factors)
    _print_report(report, as_json=as_json)
    if rejects is not None and report.counts["rejected"]:
        report.write_rejects(rejects)
    if report.counts["rejected"]:
        raise typer.Exit(1)


@app.command()
@_faced
def convert(
    src: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="输入 / input")],
    dst: Annotated[Path, typer.Argument(help="输出（按扩展名定格式）/ output (format by suffix)")],
    crs: CrsOpt = None,
    to_crs: Annotated[str | None, typer.Option("--to-crs", help="输出坐标系 / output CRS")] = None,
    layer: Annotated[str | None, typer.Option("--layer", help="同时按图层校验 / also validate as this layer")] = None,
    source_layer: Annotated[str | None, typer.Option("--source-layer")] = None,
    encoding: Annotated[str | None, typer.Option()] = None,
) -> None:
    """格式转换（部标 TXT ↔ GeoPackage/Shapefile/GeoJSON/GeoParquet/Excel）/ Convert formats."""
    from gis.imports import convert as run

    report = run(src, dst, crs=crs, to_crs=to_crs, layer=layer, source_layer=source_layer,
                 encoding=encoding)
    _print_report(report)
    out.print(f"已写出 / written: {dst}", highlight=False)


@app.command()
@_faced
def export(
    layer: Annotated[str, typer.Argument(help="图层名 / layer")],
    format: Annotated[str, typer.Option("--format", "-f", help="gpkg|geojson|shp|txt|xlsx|csv|parquet")] = "gpkg",
    out_path: Annotated[Path | None, typer.Option("--out", "-o", help="输出文件 / output file")] = None,
    workspace: WorkspaceOpt = None,
) -> None:
    """导出图层 / Export a layer."""
    from gis.imports import export_layer
    from gis.workspace import open_workspace
    from layers import catalogue

    name = catalogue.resolve_layer(layer).name if layer in catalogue or any(
        layer == lay.zh for lay in catalogue.values()) else layer
    fmt = format.lower().lstrip(".")
    suffix = {"shp": ".zip" if out_path is None else ".shp"}.get(fmt, f".{fmt}")
    target = out_path or Path(f"{name}{suffix}")
    ws = open_workspace(resolve_workspace(workspace, for_reading=True))
    report = export_layer(ws, name, target)
    if report.issues:
        _print_report(report)
    out.print(f"已导出 / exported: {target}", highlight=False)


@app.command("copy")
@_faced
def copy_(
    source: Annotated[str, typer.Option("--from", help="源工作空间：.gpkg 或 postgresql:// 地址 / source workspace", show_default=False)],
    target: Annotated[str, typer.Option("--to", help="目标工作空间：.gpkg 或 postgresql:// 地址 / target workspace", show_default=False)],
    overwrite: Annotated[bool, typer.Option("--overwrite", help="替换已存在的目标工作空间 / replace an existing target")] = False,
    layer: Annotated[list[str] | None, typer.Option("--layer", help="只复制这些图层 / copy only these layers")] = None,
) -> None:
    """复制工作空间（GeoPackage ↔ PostGIS，复制后逐图层校验）/ Copy a workspace between stores, verified layer by layer."""
    from gis.workspace.copy import copy_workspace

    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                  console=err, transient=True) as bar:
        task = bar.add_task("复制 copying", total=None)
        report = copy_workspace(source, target, overwrite=overwrite, layers=layer,
                                progress=lambda msg: bar.update(task, description=msg))
    table = Table(title=f"{report.source} → {report.target}  EPSG:{report.epsg}")
    for col in ("图层 layer", "要素数 rows", "校验 SHA-256", "秒 s"):
        table.add_column(col)
    for item in report.layers:
        table.add_row(item.name, f"{item.rows:,}", item.sha256[:16], f"{item.seconds:.2f}")
    out.print(table)
    out.print(f"已复制 {len(report.layers)} 个图层、{report.rows:,} 行，读回校验一致；导入记录 "
              f"{report.log_lines} 条、元数据 {len(report.meta)} 项随之复制 / copied "
              f"{len(report.layers)} layers, {report.rows:,} rows, verified identical on read-back; "
              f"{report.log_lines} import-log lines and {len(report.meta)} metadata keys carried",
              highlight=False)
