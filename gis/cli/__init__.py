"""`dideng` — the command line: a thin typer face over the library.

This module holds what every verb shares (the app, error faces, workspace and date resolution);
the verbs live beside it: :mod:`gis.cli.data` (demo, layers, import, validate, convert, export)
and :mod:`gis.cli.analyses` (cleanup, evaluate, match).

Every verb parses its options, calls one library function and prints the result. Domain errors
become a bilingual message and an exit code (table ``EXIT_CODES``), never a traceback.
"""

from __future__ import annotations

import functools
import importlib
import os
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from gis.errors import (
    CRSError,
    DidengError,
    FormatError,
    ImportRejected,
    UnknownLayerError,
    ValidationError,
    WorkspaceError,
)
from layers import ANALYSIS_LAYERS, MATCH_LAYERS  # noqa: F401  (the verbs import them here)

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
DATABASE_ENV = "DIDENG_DATABASE_URL"
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


def resolve_workspace(option: str | Path | None, *, for_reading: bool) -> str | Path:
    """The workspace a verb works on: ``--workspace`` (a .gpkg path or a ``postgresql://`` URL),
    else ``$DIDENG_WORKSPACE`` or ``$DIDENG_DATABASE_URL`` (not both), else ./dideng.gpkg;
    readers fall back to the demo county (built on first use) when none of these exists."""
    from gis.workspace import configured_location, is_database_url

    if option is not None:
        return str(option) if is_database_url(str(option)) else Path(option)
    configured = configured_location(os.environ.get(WORKSPACE_ENV), os.environ.get(DATABASE_ENV))
    if configured is not None:
        return configured
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
    str | None,
    typer.Option("--workspace", "-w", help="工作空间：GeoPackage 文件或 PostGIS 地址 / workspace: a "
                 ".gpkg file or a postgresql://user@host/db?schema=NAME URL; 默认 "
                 f"${WORKSPACE_ENV}、${DATABASE_ENV} 或 ./dideng.gpkg", show_default=False),
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




def _load_layers(ws, names=ANALYSIS_LAYERS) -> dict:
    present = set(ws.layers())
    return {name: ws.read(name) for name in names if name in present}


PolicyOpt = Annotated[
    Path | None,
    typer.Option("--policy", exists=True, dir_okay=False,
                 help="本地政策参数 TOML（覆盖默认值）/ county policy TOML overriding defaults"),
]


# the verbs register themselves on `app` when imported: data verbs first, as `--help` lists them
for _verbs in ("data", "analyses", "service", "maps"):
    importlib.import_module(f"gis.cli.{_verbs}")


def main() -> None:  # console-script entry point
    app()


if __name__ == "__main__":
    sys.exit(main())
