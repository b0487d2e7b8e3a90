"""The Workspace: one object over a county's store of layers.

A workspace holds the catalogue layers (DESIGN.md §4) and the analysis result layers in one
canonical CRS — the county's CGCS2000 3° Gauss-Krüger zone, chosen when the workspace is
created. Every write is atomic (a failed write leaves the previous layer as it was) and every
import is recorded in the import log.

Storage behind one interface: :class:`~gis.workspace.gpkg.GeoPackageWorkspace` is the embedded
default (one ``.gpkg`` file QGIS opens); a PostGIS implementation with the same methods follows
(DIDENG_DATABASE_URL). Analyses never know which one they read.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import geopandas as gpd
import pandas as pd
from pyproj import CRS

from gis.errors import WorkspaceError

__all__ = ["ImportLogEntry", "Workspace", "open_workspace"]


@dataclass(frozen=True)
class ImportLogEntry:
    """One line of the import log."""

    layer: str
    source: str
    sha256: str
    rows_read: int
    rows_repaired: int
    rows_rejected: int
    rows_written: int
    mode: str = "replace"
    at: datetime | None = None


class Workspace(abc.ABC):
    """A store of layers in one canonical CRS."""

    crs: CRS

    # -- opening ----------------------------------------------------------------------------
    @staticmethod
    def open(location: str | Path, *, create: bool = False, crs: CRS | int | str | None = None
             ) -> Workspace:
        """Open the workspace at ``location`` (a .gpkg path; a postgresql:// URL later).

        With ``create=True`` a missing workspace is created in ``crs`` (required then).
        """
        return open_workspace(location, create=create, crs=crs)

    @staticmethod
    def create(location: str | Path, crs: CRS | int | str, *, overwrite: bool = False
               ) -> Workspace:
        from gis.workspace.gpkg import GeoPackageWorkspace

        return GeoPackageWorkspace.create(location, crs, overwrite=overwrite)

    # -- the interface ----------------------------------------------------------------------
    @property
    @abc.abstractmethod
    def location(self) -> str: ...

    @abc.abstractmethod
    def layers(self) -> list[str]:
        """Names of the layers present (catalogue and result layers; internal tables hidden)."""

    def has(self, name: str) -> bool:
        return name in self.layers()

    @abc.abstractmethod
    def read(self, name: str, *, bbox: tuple[float, float, float, float] | None = None,
             columns: list[str] | None = None) -> gpd.GeoDataFrame | pd.DataFrame:
        """Read a layer (catalogue layers come back in canonical dtypes)."""

    @abc.abstractmethod
    def write(self, name: str, frame: pd.DataFrame, *, log: ImportLogEntry | None = None
              ) -> None:
        """Replace a layer atomically; with ``log`` the import log line is written in the
        same transaction."""

    @abc.abstractmethod
    def stamps(self) -> dict[str, str]:
        """Layer name -> a stamp that changes whenever the layer is replaced (for caches and
        for a running service to notice writes made by others)."""

    @abc.abstractmethod
    def import_log(self) -> pd.DataFrame:
        """The import log, oldest first."""

    @abc.abstractmethod
    def get_meta(self, key: str, default: str | None = None) -> str | None: ...

    @abc.abstractmethod
    def set_meta(self, key: str, value: str) -> None: ...

    @abc.abstractmethod
    def info(self, name: str) -> dict[str, object]:
        """Row count, geometry type, CRS and bounds of a layer, without reading it."""

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.location} EPSG:{self.crs.to_epsg()}>"


def open_workspace(location: str | Path, *, create: bool = False,
                   crs: CRS | int | str | None = None) -> Workspace:
    """Open (or with ``create`` make) the workspace at ``location``."""
    text = str(location)
    if text.startswith(("postgresql://", "postgres://")):
        raise WorkspaceError(
            "PostGIS 工作空间尚未实现（见 issue 8）；请使用 .gpkg 文件",
            "the PostGIS workspace is not implemented yet (issue 8); use a .gpkg file",
        )
    from gis.workspace.gpkg import GeoPackageWorkspace

    path = Path(location)
    if path.exists():
        return GeoPackageWorkspace(path)
    if not create:
        raise WorkspaceError(
            f"工作空间不存在：{path}", f"workspace does not exist: {path}"
        )
    if crs is None:
        raise WorkspaceError(
            "新建工作空间需要指定坐标系", "creating a workspace needs its CRS"
        )
    return GeoPackageWorkspace.create(path, crs)
