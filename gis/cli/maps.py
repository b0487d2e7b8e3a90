"""`dideng map cleanup|evaluation|match|park` — interactive HTML maps, printed posters/briefs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from gis.cli import (
    ANALYSIS_LAYERS,
    MATCH_LAYERS,
    PolicyOpt,
    WorkspaceOpt,
    _faced,
    _load_layers,
    app,
    err,
    resolve_workspace,
)
from gis.errors import ValidationError

maps_app = typer.Typer(name="map", no_args_is_help=True,
                       help="地图：交互式 HTML 地图与招商图、地块简介 / maps: interactive HTML, "
                            "posters and site briefs.")
app.add_typer(maps_app, name="map")

OutOpt = Annotated[Path, typer.Option("--out", "-o", help="输出文件 .html（或 .pdf/.png）/ output")]
BasemapOpt = Annotated[str, typer.Option(
    "--basemap", help="osm|tianditu_vec|tianditu_img|amap|none")]
KeyOpt = Annotated[str | None, typer.Option(
    "--tianditu-key", envvar="DIDENG_TIANDITU_KEY", help="天地图密钥 tk / Tianditu key")]
AsOfOpt = Annotated[str | None, typer.Option("--as-of", help="日期 YYYY-MM-DD / as-of date")]


def _suffix(out: Path, allowed: tuple[str, ...]) -> str:
    suffix = out.suffix.lower().lstrip(".")
    if suffix not in allowed:
        raise ValidationError(f"--out 的扩展名应为 {'、'.join(allowed)}：{out}",
                              f"--out must end in {', '.join('.' + a for a in allowed)}: {out}")
    return suffix


def _write_html(m, out: Path) -> None:
    out.write_text(m.get_root().render(), encoding="utf-8")
    err.print(f"地图已写出 / map written: {out}", highlight=False)


def _open(workspace):
    from gis.workspace import open_workspace

    return open_workspace(resolve_workspace(workspace, for_reading=True))


@maps_app.command("cleanup")
@_faced
def map_cleanup(out: OutOpt, workspace: WorkspaceOpt = None, as_of: AsOfOpt = None,
                policy: PolicyOpt = None, basemap: BasemapOpt = "osm",
                tianditu_key: KeyOpt = None) -> None:
    """三清图 / the clean-up map (HTML)."""
    from gis.cleanup import cleanup as run
    from gis.cli.analyses import _day
    from gis.maps.interactive import cleanup_map
    from gis.policy import Policy

    _suffix(out, ("html",))
    ws = _open(workspace)
    layers = _load_layers(ws, (*ANALYSIS_LAYERS, "constraints", "infrastructure"))
    result = run(layers, _day(ws, as_of), Policy.load(policy))
    _write_html(cleanup_map(result, layers, basemap=basemap, tianditu_key=tianditu_key), out)


@maps_app.command("evaluation")
@_faced
def map_evaluation(out: OutOpt, workspace: WorkspaceOpt = None,
                   year: Annotated[int | None, typer.Option("--year", help="评价年度")] = None,
                   policy: PolicyOpt = None, basemap: BasemapOpt = "osm",
                   tianditu_key: KeyOpt = None) -> None:
    """亩均评价图 / the per-mu map (HTML)."""
    from gis.evaluation import evaluate
    from gis.maps.interactive import permu_map
    from gis.policy import Policy

    _suffix(out, ("html",))
    ws = _open(workspace)
    layers = _load_layers(ws, (*ANALYSIS_LAYERS, "constraints", "infrastructure"))
    demo_day = ws.get_meta("demo_as_of")
    result = evaluate(layers, year=year, as_of=demo_day if demo_day and year is None else None,
                      policy=Policy.load(policy))
    _write_html(permu_map(result, layers, basemap=basemap, tianditu_key=tianditu_key), out)


@maps_app.command("match")
@_faced
def map_match(
    out: OutOpt,
    project: Annotated[str | None, typer.Option("--project", "-p", help="招商项目编号")] = None,
    need_mu: Annotated[str | None, typer.Option("--need-mu", help="需地（亩），如 30-50")] = None,
    land_use: Annotated[str | None, typer.Option("--land-use", help="用地用海分类")] = None,
    investment: Annotated[float | None, typer.Option("--investment", help="总投资（万元）")] = None,
    name: Annotated[str | None, typer.Option("--name", help="项目名称")] = None,
    zones: Annotated[str | None, typer.Option("--zones", help="意向园区编号，逗号分隔")] = None,
    site: Annotated[int, typer.Option("--site", min=1, help="简介的名次（PDF）/ rank")] = 1,
    workspace: WorkspaceOpt = None, as_of: AsOfOpt = None, policy: PolicyOpt = None,
    basemap: BasemapOpt = "osm", tianditu_key: KeyOpt = None,
) -> None:
    """地等项目候选地块图（HTML），或一个地块的简介（PDF）/ the match map or a site brief."""
    from gis.cli.analyses import _day, _project_from_options
    from gis.maps.interactive import match_map
    from gis.matching import match as run
    from gis.policy import Policy

    kind = _suffix(out, ("html", "pdf"))
    ws = _open(workspace)
    day = _day(ws, as_of)
    layers = _load_layers(ws, (*MATCH_LAYERS, "projects"))
    request = _project_from_options(project, layers.get("projects"), {
        "need_mu": need_mu, "land_use": land_use, "investment_wan": investment,
        "zones": zones, "name": name})
    answer = run(request, layers, as_of=day, policy=Policy.load(policy))
    if kind == "html":
        _write_html(match_map(answer, layers, basemap=basemap, tianditu_key=tianditu_key), out)
        return
    from gis.maps.print import site_brief

    chosen = next((s for s in answer["sites"] if s["rank"] == site), None)
    if chosen is None:
        raise ValidationError(f"没有第 {site} 名候选地块", f"there is no site of rank {site}")
    out.write_bytes(site_brief(chosen, answer["project"], layers, as_of=day))
    err.print(f"地块简介已写出 / site brief written: {out}", highlight=False)


@maps_app.command("park")
@_faced
def map_park(
    out: OutOpt,
    zone: Annotated[str, typer.Option("--zone", "-z", help="开发区或园区编号，如 KFQ-DY")],
    audience: Annotated[str, typer.Option("--audience", help="public（公众，默认）|internal")]
    = "public",
    paper: Annotated[str, typer.Option("--paper", help="纸张 A4|A3|A2|A1|A0（PDF/PNG）")] = "A3",
    orientation: Annotated[str, typer.Option("--orientation", help="landscape|portrait")]
    = "landscape",
    contact: Annotated[str | None, typer.Option("--contact", help="招商联系方式")] = None,
    workspace: WorkspaceOpt = None, as_of: AsOfOpt = None, basemap: BasemapOpt = "osm",
    tianditu_key: KeyOpt = None,
) -> None:
    """园区招商地图（HTML）或招商图（PDF/PNG）/ the park map or the printed poster."""
    from gis.access import Role
    from gis.cli.analyses import _day

    if audience not in ("public", "internal"):
        raise ValidationError(f"--audience 只能是 public 或 internal：{audience}",
                              f"--audience must be public or internal: {audience}")
    kind = _suffix(out, ("html", "pdf", "png"))
    ws = _open(workspace)
    names = ("zones", "parcels", "unsupplied_pieces", "idle", "low_efficiency", "infrastructure",
             "constraints", "zoning")
    layers = _load_layers(ws, names)
    if "unsupplied_pieces" not in layers:  # the clean-ups were not written back: compute them
        from gis.cleanup import cleanup as run

        layers = {**run(_load_layers(ws), _day(ws, as_of)).layers(), **layers}
    if kind == "html":
        from gis.maps.interactive import park_map

        role = Role.planner if audience == "internal" else Role.public
        _write_html(park_map(layers, zone, role=role, basemap=basemap,
                             tianditu_key=tianditu_key), out)
        return
    from gis.maps.print import park_poster

    data = park_poster(layers, zone, paper=paper, orientation=orientation, audience=audience,
                       as_of=_day(ws, as_of), contact=contact, fmt=kind)
    out.write_bytes(data)
    err.print(f"招商图已写出 / poster written: {out}", highlight=False)
