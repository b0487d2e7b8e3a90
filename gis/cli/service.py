"""Verbs of the service: serve (the web service and OGC API – Features) and key (API keys)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from gis.cli import WorkspaceOpt, _faced, app, err, out, resolve_workspace
from gis.errors import ValidationError

key_app = typer.Typer(help="API 密钥 / API keys of the service.", no_args_is_help=True)
app.add_typer(key_app, name="key")

RESULT_LAYERS = ("idle", "unsupplied_batches", "unsupplied_pieces", "low_efficiency",
                 "permu_parcels", "zone_indicators")


def ensure_results(ws) -> list[str]:
    """Compute and write the analysis result layers a workspace lacks (at its reference day),
    so that QGIS sees them; returns the layers written."""
    from gis.cleanup import cleanup
    from gis.cli import ANALYSIS_LAYERS, _load_layers
    from gis.dates import default_as_of
    from gis.evaluation import evaluate
    from gis.policy import Policy

    present = set(ws.layers())
    missing = [n for n in RESULT_LAYERS if n not in present]
    if not missing or not {"parcels", "supplies"} <= present:
        return []
    as_of = default_as_of(None, reference=ws.get_meta("demo_as_of"))
    layers = _load_layers(ws, ANALYSIS_LAYERS)
    policy = Policy.load()
    written = []
    for name, frame in cleanup(layers, as_of, policy).layers().items():
        if name in missing:
            ws.write(name, frame)
            written.append(name)
    if "enterprises" in layers and {"permu_parcels", "zone_indicators"} & set(missing):
        result = evaluate(layers, as_of=as_of, policy=policy)
        for name, frame in (("permu_parcels", result.permu.parcels),
                            ("zone_indicators", result.zones)):
            if name in missing:
                ws.write(name, frame)
                written.append(name)
    return written


@app.command()
@_faced
def serve(
    workspace: WorkspaceOpt = None,
    host: Annotated[str, typer.Option("--host", help="监听地址 / bind address")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="端口 / port", min=1, max=65535)] = 8000,
    keys_file: Annotated[Path | None, typer.Option(
        "--keys-file", exists=True, dir_okay=False,
        help="API 密钥文件（dideng key new 生成）/ keys file")] = None,
) -> None:
    """启动服务（OGC API – Features，可在 QGIS 中添加）/ Run the web service for QGIS and browsers."""
    import uvicorn

    from api import Settings, create_app
    from gis.workspace import open_workspace

    path = resolve_workspace(workspace, for_reading=True)
    ws = open_workspace(path)
    is_demo = ws.get_meta("demo_as_of") is not None
    if is_demo:
        written = ensure_results(ws)
        if written:
            err.print(f"示范县分析结果已写入 / demo results written: {', '.join(written)}",
                      highlight=False)
    kwargs: dict[str, object] = {"workspace": str(path)}
    if keys_file is not None:
        kwargs["keys_file"] = keys_file
    settings = Settings(**kwargs)
    if is_demo and settings.environment == "development":
        settings = settings.model_copy(update={"demo_keys": True})
    app_ = create_app(settings)
    base = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}"
    out.print(f"地等服务 dideng service — 工作空间 workspace: {ws.location}", highlight=False)
    out.print(f"  浏览器 / browser:      {base}/docs", highlight=False)
    out.print(f"  QGIS（OGC API – Features）: {base}/", highlight=False)
    if settings.demo_keys:
        out.print("  示范密钥 demo keys（仅开发环境 development only）: X-API-Key: demo-planner | "
                  "demo-admin", highlight=False)
    uvicorn.run(app_, host=host, port=port, log_level="info")


@key_app.command("new")
@_faced
def key_new(
    role: Annotated[str, typer.Option("--role", help="public|planner|admin")] = "planner",
    name: Annotated[str, typer.Option("--name", help="持有人 / holder, e.g. 规划科")] = "",
    keys_file: Annotated[Path, typer.Option("--keys-file", help="密钥文件 / keys file")] = Path(
        "dideng-keys.toml"),
) -> None:
    """生成 API 密钥（只显示一次，文件中只存摘要）/ Make an API key (shown once; only its hash is kept)."""
    from api.auth import hash_key, new_key
    from gis.access import Role

    level = Role.parse(role)
    holder = name.strip() or level.name
    if '"' in holder or "\n" in holder:
        raise ValidationError("持有人名称不能含引号或换行", "the holder name cannot hold quotes "
                              "or line breaks")
    key = new_key()
    entry = (f'\n[[key]]\nname = "{holder}"\nrole = "{level.name}"\n'
             f'sha256 = "{hash_key(key)}"\n')
    with open(keys_file, "a", encoding="utf-8") as fh:
        fh.write(entry)
    os.chmod(keys_file, 0o600)
    out.print(f"密钥已加入 / key added to {keys_file}（{level.label}，{holder}）", highlight=False)
    out.print("请妥善保存，此密钥不会再次显示 / keep it safe; it is not shown again:", highlight=False)
    out.print(key, highlight=False)
