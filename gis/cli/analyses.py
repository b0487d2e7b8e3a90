"""Verbs on analyses: cleanup (三清), evaluate (亩均), match (地等项目)."""

from __future__ import annotations

import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from gis.cli import (
    MATCH_LAYERS,
    PolicyOpt,
    WorkspaceOpt,
    _faced,
    _load_layers,
    app,
    err,
    out,
    resolve_workspace,
)
from gis.errors import SetupError, ValidationError
from gis.parallel import cores

EngineOpt = Annotated[str, typer.Option(
    "--engine", help="计算引擎：local 单机，dask 分区（省级规模，结果与单机相同）/ engine: local, "
    "or dask (partitioned, province scale; the same results)")]
WorkersOpt = Annotated[int | None, typer.Option(
    "--workers", min=1, help="dask 本机工作进程数（默认 CPU 核数）/ local dask worker processes "
    "(default: the machine's cores)")]
SchedulerOpt = Annotated[str | None, typer.Option(
    "--scheduler", help="连接运行中的 Dask 集群，如 tcp://host:8786（各节点须能读到工作空间）/ "
    "address of a running Dask scheduler (its workers must reach the workspace)")]
PartitionsOpt = Annotated[int | None, typer.Option(
    "--partitions", min=1, help="分区数（默认每 5 万宗地一个）/ number of partitions (default: "
    "one per 50 000 parcels)")]


def _engine(engine: str, workers: int | None, scheduler: str | None,
            partitions: int | None) -> str:
    """The engine option checked against the dask-only options."""
    name = engine.strip().lower()
    if name not in ("local", "dask"):
        raise ValidationError(f"--engine 只能是 local 或 dask：{engine}",
                              f"--engine must be local or dask: {engine}")
    given = [opt for opt, value in (("--workers", workers), ("--scheduler", scheduler),
                                    ("--partitions", partitions)) if value is not None]
    if name == "local" and given:
        raise ValidationError(f"{'、'.join(given)} 仅用于 --engine dask",
                              f"{', '.join(given)} only apply to --engine dask")
    if workers is not None and scheduler is not None:
        raise ValidationError("--workers 与 --scheduler 不能同时使用（集群的进程数由集群决定）",
                              "--workers and --scheduler exclude each other (a cluster has its "
                              "own workers)")
    return name


@contextmanager
def _dask_client(workers: int | None, scheduler: str | None):
    """A client of the cluster at ``scheduler``, else of a local cluster of ``workers``
    single-threaded processes."""
    from distributed import Client, LocalCluster

    if scheduler:
        try:
            client = Client(scheduler, timeout="20s")
        except (OSError, TimeoutError) as exc:
            raise SetupError(f"无法连接 Dask 集群 {scheduler}：{exc}",
                             f"cannot reach the Dask scheduler at {scheduler}: {exc}") from exc
        err.print(f"分区计算，集群 {scheduler} / partitioned on the cluster at {scheduler}",
                  highlight=False)
        with client:
            yield client
        return
    n = workers or cores()
    err.print(f"分区计算，本机 {n} 个进程 / partitioned on {n} local worker processes",
              highlight=False)
    with LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        yield client


def _day(ws, option: str | None):
    """--as-of, else the workspace's reference day (the demo county's), else today."""
    from gis.dates import default_as_of

    reference = ws.get_meta("demo_as_of")
    if reference and not (option and option.strip()):
        err.print(f"示范县按其基准日 {reference} 计算（--as-of 可改）/ the demo county is evaluated "
                  f"at its reference day {reference}", highlight=False)
    return default_as_of(option, reference=reference, name="--as-of")


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
    engine: EngineOpt = "local",
    workers: WorkersOpt = None,
    scheduler: SchedulerOpt = None,
    partitions: PartitionsOpt = None,
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
    kind = _engine(engine, workers, scheduler, partitions)
    ws = open_workspace(resolve_workspace(workspace, for_reading=True))
    day = _day(ws, as_of)
    rules = Policy.load(policy)
    if kind == "dask":
        from gis.partition import cleanup_partitioned

        with _dask_client(workers, scheduler) as client:
            result = cleanup_partitioned(ws, day, rules, partitions=partitions, client=client)
        zones = ws.read("zones") if ws.has("zones") else None
    else:
        layers = _load_layers(ws)
        result = run(layers, day, rules)
        zones = layers.get("zones")
    if write:
        for name, frame in result.layers().items():
            ws.write(name, frame)
    stamp = day.date().isoformat()
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
    engine: EngineOpt = "local",
    workers: WorkersOpt = None,
    scheduler: SchedulerOpt = None,
    partitions: PartitionsOpt = None,
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
    kind = _engine(engine, workers, scheduler, partitions)
    ws = open_workspace(resolve_workspace(workspace, for_reading=True))
    demo_day = ws.get_meta("demo_as_of")
    day = demo_day if demo_day and year is None else None
    if kind == "dask":
        from gis.partition import evaluate_partitioned

        with _dask_client(workers, scheduler) as client:
            result = evaluate_partitioned(ws, year=year, as_of=day, policy=Policy.load(policy),
                                          partitions=partitions, client=client)
    else:
        result = run(_load_layers(ws), year=year, as_of=day, policy=Policy.load(policy))
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


def _project_from_options(project: str | None, projects, values: dict) -> dict:
    """The project to match: a row of the projects layer, or one built from the options and
    validated like an imported row (Chinese + English errors)."""
    from gis.matching import project_from_request

    if project is not None:
        return project_from_request(project_id=project, projects=projects)
    need = values.pop("need_mu")
    if need is None or values.get("land_use") is None or values.get("investment_wan") is None:
        raise ValidationError(
            "请用 --project 指定项目，或至少给出 --need-mu、--land-use、--investment",
            "give --project, or at least --need-mu, --land-use and --investment")
    low, _, high = str(need).partition("-")
    return project_from_request({"need_mu_min": low, "need_mu_max": high or low, **values})


@app.command()
@_faced
def match(
    project: Annotated[str | None, typer.Option("--project", "-p", help="招商项目编号（projects 图层）/ project id")] = None,
    need_mu: Annotated[str | None, typer.Option("--need-mu", help="需地（亩），如 30-50 / need in mu")] = None,
    land_use: Annotated[str | None, typer.Option("--land-use", help="用地用海分类，如 100102 / land-use code")] = None,
    investment: Annotated[float | None, typer.Option("--investment", help="总投资（万元）/ investment (10k yuan)")] = None,
    industry: Annotated[str | None, typer.Option("--industry", help="行业代码 GB/T 4754-2017")] = None,
    tax: Annotated[float | None, typer.Option("--tax", help="预期年税收（万元）")] = None,
    output: Annotated[float | None, typer.Option("--output", help="预期年产值（万元）")] = None,
    power_kva: Annotated[float | None, typer.Option("--power-kva", help="用电负荷 kVA")] = None,
    needs_rail: Annotated[bool, typer.Option("--needs-rail", help="需要铁路专用线")] = False,
    max_km_highway: Annotated[float | None, typer.Option("--max-km-highway", help="距高速出口上限（公里）")] = None,
    zones: Annotated[str | None, typer.Option("--zones", help="意向园区编号，逗号分隔")] = None,
    name: Annotated[str | None, typer.Option("--name", help="项目名称")] = None,
    workspace: WorkspaceOpt = None,
    as_of: Annotated[str | None, typer.Option("--as-of", help="日期 YYYY-MM-DD")] = None,
    policy: PolicyOpt = None,
    top_k: Annotated[int | None, typer.Option("--top-k", min=1, max=50, help="候选地块数")] = None,
    format: Annotated[str, typer.Option("--format", "-f", help="table|json|geojson")] = "table",
) -> None:
    """地等项目：为招商项目匹配候选地块 / Match a project to candidate sites."""
    import json

    from gis.matching import match as run
    from gis.policy import Policy
    from gis.workspace import open_workspace

    fmt = format.lower()
    if fmt not in ("table", "json", "geojson"):
        raise ValidationError(f"--format 只能是 table、json、geojson：{format}",
                              f"--format must be table, json or geojson: {format}")
    ws = open_workspace(resolve_workspace(workspace, for_reading=True))
    day = _day(ws, as_of)
    layers = _load_layers(ws, (*MATCH_LAYERS, "projects"))
    request = _project_from_options(project, layers.get("projects"), {
        "need_mu": need_mu, "land_use": land_use, "investment_wan": investment,
        "industry_code": industry, "expected_tax_wan": tax, "expected_output_wan": output,
        "power_kva": power_kva, "needs_rail": "是" if needs_rail else None,
        "max_km_to_highway_exit": max_km_highway, "zones": zones, "name": name})
    answer = run(request, layers, as_of=day, policy=Policy.load(policy), top_k=top_k)
    if fmt == "json":
        sys.stdout.write(json.dumps(answer, ensure_ascii=False, indent=1, default=str) + "\n")
        return
    if fmt == "geojson":
        features = [{"type": "Feature", "geometry": site.get("geometry"),
                     "properties": {k: v for k, v in site.items() if k != "geometry"}}
                    for site in answer["sites"]]
        sys.stdout.write(json.dumps({"type": "FeatureCollection", "features": features},
                                    ensure_ascii=False, default=str) + "\n")
        return
    table = Table(title=f"地等项目 {answer['project'].get('name', '')} — {answer['as_of']}")
    for col in ("名次 rank", "地块 site", "来源 sources", "面积（亩）", "净面积（亩）", "得分 score",
                "说明 explanation"):
        table.add_column(col)
    for site in answer["sites"]:
        table.add_row(str(site["rank"]), "+".join(site["parcel_ids"]), "、".join(site["sources"]),
                      f"{site['area_mu']:,.2f}", f"{site['net_area_mu']:,.2f}",
                      f"{site['score']:.1f}", site["explanation"])
    out.print(table)
    if not answer["sites"]:
        out.print("没有满足全部硬性条件的地块 / no site passes every hard rule; nearest misses:")
    for miss in answer["excluded"][:10]:
        out.print(f"  {miss['parcel_id']}: {miss['rule']} — {miss['detail']}", highlight=False)


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
