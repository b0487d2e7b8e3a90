"""`dideng` — the command line: a thin typer face over the library.

Every verb parses its options, calls one library function and prints the result. Domain errors
become a bilingual message and an exit code (table ``EXIT_CODES``), never a traceback.
"""

from __future__ import annotations

import functools
import os
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from gis.errors import (
    CRSError,
    DidengError,
    FormatError,
    ImportRejected,
    UnknownLayerError,
    ValidationError,
    WorkspaceError,
)

app = typer.Typer(
    name="dideng",
    help="地等 dideng：土地要素保障规划工具 / land and element-guarantee GIS planner.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)

#: domain error -> exit code (most specific first)
EXIT_CODES: tuple[tuple[type[BaseException], int], ...] = (
    (ImportRejected, 1),
    (CRSError, 2),
    (FormatError, 2),
    (ValidationError, 2),
    (UnknownLayerError, 2),
    (WorkspaceError, 3),
    (DidengError, 4),
)

WORKSPACE_ENV = "DIDENG_WORKSPACE"
DEFAULT_WORKSPACE = Path("dideng.gpkg")


def _faced(func):
    """Run a command; turn dideng's errors into a message and an exit code."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except DidengError as exc:
            code = next(c for t, c in EXIT_CODES if isinstance(exc, t))
            err.print(f"[bold red]错误 error[/]: {exc.zh}\n{exc.en}", highlight=False)
            raise typer.Exit(code) from None
        except (FileNotFoundError, PermissionError, IsADirectoryError) as exc:
            err.print(f"[bold red]错误 error[/]: 文件无法访问 / cannot access file: {exc}",
                      highlight=False)
            raise typer.Exit(2) from None

    return wrapper


def demo_workspace_path() -> Path:
    """Where `dideng demo` writes the demo county by default."""
    import layers.demo as demo_pkg

    return Path(demo_pkg.__file__).parent / "demo.gpkg"


def resolve_workspace(option: Path | None, *, for_reading: bool) -> Path:
    """--workspace, else $DIDENG_WORKSPACE, else ./dideng.gpkg; readers fall back to the demo
    county (built on first use) when none of these exists."""
    if option is not None:
        return option
    if os.environ.get(WORKSPACE_ENV):
        return Path(os.environ[WORKSPACE_ENV])
    if DEFAULT_WORKSPACE.exists() or not for_reading:
        return DEFAULT_WORKSPACE
    path = demo_workspace_path()
    if not path.exists():
        err.print("未指定工作空间，生成示范县 / no workspace given; building the demo county …")
        from layers.demo import write_demo

        write_demo(path)
    err.print(f"使用示范县工作空间 / using the demo workspace: {path}", highlight=False)
    return path


WorkspaceOpt = Annotated[
    Path | None,
    typer.Option("--workspace", "-w", help="工作空间 GeoPackage / workspace (.gpkg); "
                 f"默认 ${WORKSPACE_ENV} 或 ./dideng.gpkg"),
]
CrsOpt = Annotated[
    str | None,
    typer.Option("--crs", help="源数据坐标系（文件未声明或声明错误时），如 EPSG:4528 / source CRS"),
]


def _print_report(report, *, as_json: bool = False) -> None:
    if as_json:
        out.print_json(report.to_json())
    else:
        out.print(report.to_text(), highlight=False)


def _parse_defaults(values: list[str] | None) -> dict[str, str]:
    pairs = {}
    for item in values or []:
        if "=" not in item:
            raise ValidationError(f"--default 应写成 字段=值：{item}",
                                  f"--default must be FIELD=VALUE: {item}")
        k, v = item.split("=", 1)
        pairs[k.strip()] = v.strip()
    return pairs


@app.command()
@_faced
def demo(
    scale: Annotated[int, typer.Option(min=1, help="N 倍规模（新编号，统计特征相同）/ N-times larger county")] = 1,
    out_path: Annotated[Path | None, typer.Option("--out", help="输出 GeoPackage / output file")] = None,
    seed: Annotated[int, typer.Option(help="随机种子 / random seed")] = 20260930,
) -> None:
    """生成示范县工作空间（一区三园）/ Build the demo county workspace."""
    from layers.demo import write_demo

    path = out_path or demo_workspace_path()
    samples = path.parent / "samples" if scale == 1 else None
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                  console=err, transient=True) as bar:
        task = bar.add_task("生成示范县 building the demo county", total=None)
        write_demo(path, scale=scale, seed=seed, samples=samples,
                   progress=lambda msg: bar.update(task, description=msg))
    out.print(f"示范县已写入 / demo county written: {path}", highlight=False)
    if samples is not None:
        out.print(f"样例文件 / sample bureau files: {samples}", highlight=False)
    _print_layers(path)


def _print_layers(path: Path) -> None:
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


ANALYSIS_LAYERS = ("zones", "parcels", "approvals", "supplies", "buildings", "enterprises",
                   "tenancies", "zoning")


def _load_layers(ws, names=ANALYSIS_LAYERS) -> dict:
    present = set(ws.layers())
    return {name: ws.read(name) for name in names if name in present}


def _as_of(ws, option: str | None):
    """--as-of, else the demo county's reference day, else today."""
    from datetime import date

    import pandas as pd

    if option:
        try:
            return pd.Timestamp(option).normalize()
        except (ValueError, TypeError):
            raise ValidationError(f"--as-of 不是有效日期：{option}（应为 YYYY-MM-DD）",
                                  f"--as-of is not a valid date: {option} (YYYY-MM-DD)") from None
    demo_day = ws.get_meta("demo_as_of")
    if demo_day:
        err.print(f"示范县按其基准日 {demo_day} 计算（--as-of 可改）/ the demo county is evaluated "
                  f"at its reference day {demo_day}", highlight=False)
        return pd.Timestamp(demo_day)
    return pd.Timestamp(date.today())


PolicyOpt = Annotated[
    Path | None,
    typer.Option("--policy", exists=True, dir_okay=False,
                 help="本地政策参数 TOML（覆盖默认值）/ county policy TOML overriding defaults"),
]


@app.command()
@_faced
def cleanup(
    workspace: WorkspaceOpt = None,
    as_of: Annotated[str | None, typer.Option("--as-of", help="统计日期 YYYY-MM-DD（默认今天）/ as-of date")] = None,
    policy: PolicyOpt = None,
    format: Annotated[str, typer.Option("--format", "-f", help="table|json|xlsx|gpkg")] = "table",
    out_path: Annotated[Path | None, typer.Option("--out", "-o", help="输出文件 / output file")] = None,
    with_geometry: Annotated[bool, typer.Option("--with-geometry", help="JSON 带几何（CRS84）/ geometry in JSON")] = False,
    write: Annotated[bool, typer.Option("--write/--no-write", help="结果写回工作空间图层 / write result layers to the workspace")] = True,
) -> None:
    """三清：闲置、批而未供、低效用地台账 / The three clean-ups: idle, unsupplied, low-efficiency."""
    import json

    from gis.cleanup import cleanup as run
    from gis.cleanup.ledger import cleanup_json, write_cleanup_ledger
    from gis.policy import Policy
    from gis.workspace import Workspace, open_workspace

    fmt = format.lower()
    if fmt not in ("table", "json", "xlsx", "gpkg"):
        raise ValidationError(f"--format 只能是 table、json、xlsx、gpkg：{format}",
                              f"--format must be table, json, xlsx or gpkg: {format}")
    ws = open_workspace(resolve_workspace(workspace, for_reading=True))
    day = _as_of(ws, as_of)
    rules = Policy.load(policy)
    layers = _load_layers(ws)
    result = run(layers, day, rules)
    if write:
        for name, frame in result.layers().items():
            ws.write(name, frame)
    stamp = day.date().isoformat()
    zones = layers.get("zones")
    zone_names = dict(zip(zones["zone_id"], zones["name"], strict=True)) if zones is not None \
        else None
    if fmt == "json":
        text = json.dumps(cleanup_json(result, with_geometry=with_geometry), ensure_ascii=False,
                          indent=1)
        if out_path:
            out_path.write_text(text, encoding="utf-8")
            err.print(f"已写出 / written: {out_path}", highlight=False)
        else:
            sys.stdout.write(text + "\n")
        return
    if fmt == "xlsx":
        target = out_path or Path(f"三清台账_{stamp}.xlsx")
        write_cleanup_ledger(result, target, zone_names=zone_names)
        out.print(f"台账已写出 / ledger written: {target}", highlight=False)
    elif fmt == "gpkg":
        target = out_path or Path(f"三清_{stamp}.gpkg")
        dest = Workspace.create(target, ws.crs, overwrite=True)
        for name, frame in result.layers().items():
            dest.write(name, frame)
        out.print(f"结果图层已写出 / result layers written: {target}", highlight=False)
    _print_cleanup(result, zone_names)


@app.command()
@_faced
def evaluate(
    workspace: WorkspaceOpt = None,
    year: Annotated[int | None, typer.Option("--year", help="评价年度（默认企业表最新年度）/ evaluation year")] = None,
    policy: PolicyOpt = None,
    format: Annotated[str, typer.Option("--format", "-f", help="table|json|xlsx")] = "table",
    out_path: Annotated[Path | None, typer.Option("--out", "-o", help="输出文件 / output file")] = None,
    with_geometry: Annotated[bool, typer.Option("--with-geometry", help="JSON 带几何（CRS84）")] = False,
    write: Annotated[bool, typer.Option("--write/--no-write", help="结果写回工作空间图层 / write result layers")] = True,
) -> None:
    """亩均效益评价与开发区集约利用指标 / Per-mu evaluation and zone indicators."""
    import json

    from gis.evaluation import evaluate as run
    from gis.evaluation.ledger import evaluation_json, write_evaluation_ledger
    from gis.policy import Policy
    from gis.workspace import open_workspace

    fmt = format.lower()
    if fmt not in ("table", "json", "xlsx"):
        raise ValidationError(f"--format 只能是 table、json、xlsx：{format}",
                              f"--format must be table, json or xlsx: {format}")
    ws = open_workspace(resolve_workspace(workspace, for_reading=True))
    layers = _load_layers(ws)
    if "enterprises" not in layers:
        raise ValidationError("工作空间没有企业图层（enterprises），请先导入企业名单",
                              "the workspace has no enterprises layer; import the list first")
    demo_day = ws.get_meta("demo_as_of")
    result = run(layers, year=year, as_of=demo_day if demo_day and year is None else None,
                 policy=Policy.load(policy))
    if write:
        ws.write("permu_parcels", result.permu.parcels)
        ws.write("zone_indicators", result.zones)
    if fmt == "json":
        text = json.dumps(evaluation_json(result, with_geometry=with_geometry),
                          ensure_ascii=False, indent=1)
        if out_path:
            out_path.write_text(text, encoding="utf-8")
        else:
            sys.stdout.write(text + "\n")
        return
    if fmt == "xlsx":
        target = out_path or Path(f"亩均评价_{result.year}.xlsx")
        write_evaluation_ledger(result, target)
        out.print(f"评价结果已写出 / evaluation written: {target}", highlight=False)
    _print_evaluation(result)


def _print_evaluation(result) -> None:
    from layers import results

    s = result.summary
    names = results["permu"].field("group").values or {}
    table = Table(title=f"亩均效益评价 per-mu evaluation — {result.year}")
    for col in ("组别 group", "A", "B", "C", "D", "基准亩均税收 benchmark tax/亩"):
        table.add_column(col)
    for group, counts in s["classes"].items():
        bench = s["benchmarks"].get(group, {}).get("tax_per_mu") if isinstance(
            s["benchmarks"], dict) else None
        table.add_row(names.get(group, group), *[str(counts.get(c, 0)) for c in "ABCD"],
                      f"{bench:,.2f}" if isinstance(bench, (int, float)) else "—")
    out.print(table)
    zones = Table(title=f"开发区集约利用 zone indicators — {result.as_of.date()}")
    cols = [("name", "园区 zone", None), ("land_supply_rate", "供应率", "%"),
            ("built_rate", "建成率", "%"), ("composite_plot_ratio", "综合容积率", "x"),
            ("industrial_tax_per_ha", "工业地均税收 万元/公顷", "n"),
            ("years_of_supply_left", "尚可供地年数", "n")]
    cols = [c for c in cols if c[0] in result.zones]
    for _, label, _ in cols:
        zones.add_column(label)
    for _, row in result.zones.iterrows():
        cells = []
        for name, _, kind in cols:
            v = row[name]
            cells.append("—" if v is None or (isinstance(v, float) and v != v) else
                         f"{v:.1%}" if kind == "%" else f"{v:,.2f}" if kind in ("x", "n")
                         else str(v))
        zones.add_row(*cells)
    out.print(zones)


def _print_cleanup(result, zone_names) -> None:
    from layers import results

    def labels(layer: str, field: str, counts: dict) -> str:
        values = results[layer].field(field).values or {}
        return "、".join(f"{values.get(k, k)} {v}" for k, v in counts.items())

    s = result.summary
    i, w, u, low = s["idle"], s["watch"], s["unsupplied"], s["low_efficiency"]
    five = u["five_year"]
    table = Table(title=f"三清 the three clean-ups — {result.as_of.date().isoformat()}")
    for col in ("清单 list", "数量 count", "面积（亩）mu", "说明 notes"):
        table.add_column(col)
    actions = labels("idle", "action", {k: v["count"] for k, v in i["by_action"].items()})
    table.add_row("闲置 idle", str(i["count"]), f"{i['area_mu']:,.2f}",
                  f"A类 {i['type_A']}、B类 {i['type_B']}；{actions}；闲置费 {i['fee_wan']:,.2f} 万元")
    table.add_row("预警 watch", str(w["count"]), f"{w['area_mu']:,.2f}",
                  f"{result.policy.idle.watch_days} 天内将满闲置")
    table.add_row("批而未供 unsupplied", str(u["batches"]), f"{u['unsupplied_mu']:,.2f}",
                  f"{labels('unsupplied_batches', 'status', u['by_status'])}；批文失效 {u['lapsed']}；"
                  f"可供地块 {u['usable_pieces']} 块 {u['usable_mu']:,.2f} 亩")
    table.add_row("近五年供地率 5-year rate", f"{five['batches']}", f"{five['approved_mu']:,.2f}",
                  f"{five['rate']:.1%}，底线 {five['floor']:.0%}，"
                  f"{'达标' if five['meets_floor'] else '未达标'}")
    table.add_row("低效 low-efficiency", str(low["count"]), f"{low['area_mu']:,.2f}",
                  labels("low_efficiency", "reasons", low["by_reason"]))
    out.print(table)


def main() -> None:  # console-script entry point
    app()


if __name__ == "__main__":
    sys.exit(main())
