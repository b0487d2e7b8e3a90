"""The Workspace: one object over a county's store of layers.

A workspace holds the catalogue layers (DESIGN.md §4) and the analysis result layers in one
canonical CRS — the county's CGCS2000 3° Gauss-Krüger zone, chosen when the workspace is
created. Every write is atomic (a failed write leaves the previous layer as it was) and every
import is recorded in the import log.

Storage behind one interface, chosen by the location:

- a path — :class:`~gis.workspace.gpkg.GeoPackageWorkspace`, the embedded default: one ``.gpkg``
  file that QGIS opens;
- a ``postgresql://user:password@host:port/dbname?schema=NAME`` URL (``postgres://`` too; the
  service reads it from ``DIDENG_DATABASE_URL``) — :class:`~gis.workspace.postgis.PostGISWorkspace`:
  one PostgreSQL schema (default ``dideng``) shared by many users, tables QGIS opens as they are.

Analyses, the CLI and the service never know which one they read. A location is shown with
:func:`mask_location`, which hides a database password.
"""

from __future__ import annotations

import abc
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import geopandas as gpd
import pandas as pd
from pyproj import CRS

from gis.errors import WorkspaceError

__all__ = [
    "ImportLogEntry",
    "Workspace",
    "configured_location",
    "is_database_url",
    "mask_location",
    "open_workspace",
    "same_workspace",
    "workspace_exists",
]

_DATABASE_SCHEMES = ("postgresql://", "postgres://")


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
        """Open the workspace at ``location`` (a .gpkg path or a ``postgresql://`` URL).

        With ``create=True`` a missing workspace is created in ``crs`` (required then).
        """
        return open_workspace(location, create=create, crs=crs)

    @staticmethod
    def create(location: str | Path, crs: CRS | int | str, *, overwrite: bool = False
               ) -> Workspace:
        """Create a workspace in ``crs`` at ``location`` (a .gpkg path or a ``postgresql://``
        URL); an existing one is refused unless ``overwrite``."""
        if is_database_url(location):
            from gis.workspace.postgis import PostGISWorkspace

            return PostGISWorkspace.create(str(location), crs, overwrite=overwrite)
        from gis.workspace.gpkg import GeoPackageWorkspace

        return GeoPackageWorkspace.create(location, crs, overwrite=overwrite)

    # -- the interface ----------------------------------------------------------------------
    @property
    @abc.abstractmethod
    def location(self) -> str:
        """Where the workspace is, fit to show (a database password is masked)."""

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
    def meta(self) -> dict[str, str]:
        """All metadata keys and values (``crs``, ``created``, ``demo_as_of`` …)."""

    @abc.abstractmethod
    def extend_log(self, entries: Iterable[ImportLogEntry]) -> None:
        """Append lines to the import log in one transaction (e.g. the history of a copied
        workspace)."""

    @abc.abstractmethod
    def info(self, name: str) -> dict[str, object]:
        """Row count, geometry type, CRS and bounds of a layer, without reading it."""

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.location} EPSG:{self.crs.to_epsg()}>"


def is_database_url(location: str | Path) -> bool:
    """Whether ``location`` names a PostGIS workspace (``postgresql://`` or ``postgres://``).

    >>> is_database_url("postgresql://dideng@localhost/gis?schema=county")
    True
    >>> is_database_url("dideng.gpkg")
    False
    """
    return isinstance(location, str) and location.startswith(_DATABASE_SCHEMES)


def mask_location(location: str | Path) -> str:
    """``location`` fit to show: a database URL's password replaced by ``***``.

    >>> mask_location("postgresql://dideng:s3cret@db.local:5432/gis?schema=county")
    'postgresql://dideng:***@db.local:5432/gis?schema=county'
    >>> mask_location("postgresql://dideng@db.local/gis?password=s3cret&schema=county")
    'postgresql://dideng@db.local/gis?password=***&schema=county'
    >>> mask_location("county/dideng.gpkg")
    'county/dideng.gpkg'
    """
    text = str(location)
    if not is_database_url(text):
        return text
    scheme, rest = text.split("://", 1)
    # the user information ends at the last "@" (an unencoded "/" or "?" in a password must not
    # let it through; masking too much is harmless)
    at = rest.rfind("@")
    if at >= 0 and ":" in rest[:at]:
        rest = rest[: rest.index(":")] + ":***" + rest[at:]
    rest = re.sub(r"([?&]password=)[^&]*", r"\1***", rest)
    return f"{scheme}://{rest}"


def configured_location(workspace: str | Path | None, database_url: str | None
                        ) -> str | Path | None:
    """The workspace named by the settings ``DIDENG_WORKSPACE`` (a .gpkg path or a URL) and
    ``DIDENG_DATABASE_URL`` (a ``postgresql://`` URL): a URL as text, a file as a Path, None when
    neither is set. Both set to different workspaces is an error, never a guess."""
    if workspace and database_url and str(workspace) != database_url:
        raise WorkspaceError(
            "DIDENG_WORKSPACE 与 DIDENG_DATABASE_URL 同时设置且不同，无法确定使用哪个工作空间；"
            "请只保留一个",
            "both DIDENG_WORKSPACE and DIDENG_DATABASE_URL are set and differ, so the workspace "
            "is ambiguous; unset one")
    if database_url:
        if not is_database_url(database_url):
            raise WorkspaceError("DIDENG_DATABASE_URL 须为 postgresql:// 地址",
                                 "DIDENG_DATABASE_URL must be a postgresql:// URL")
        return database_url
    if workspace:
        return str(workspace) if is_database_url(str(workspace)) else Path(workspace)
    return None


def same_workspace(a: str | Path, b: str | Path) -> bool:
    """Whether two locations name the same workspace: the same file (however the path is
    written), or the same server, port, database and schema.

    >>> same_workspace("postgresql://u:x@localhost/gis?schema=c1",
    ...                "postgresql://u@localhost:5432/gis?schema=c1&sslmode=prefer")
    True
    >>> same_workspace("postgresql://u@localhost/gis", "postgresql://u@localhost/gis?schema=c2")
    False
    """
    if is_database_url(a) != is_database_url(b):
        return False
    if not is_database_url(a):
        return Path(a).resolve() == Path(b).resolve()
    from gis.workspace.postgis import _parse

    def key(url: str | Path) -> tuple[str, str, str, str]:
        target = _parse(str(url))
        params = target.params
        return (params.get("host") or "localhost", params.get("port") or "5432",
                params.get("dbname") or params.get("user") or "", target.schema)

    return key(a) == key(b)


def workspace_exists(location: str | Path) -> bool:
    """Whether a workspace is at ``location``: the .gpkg file exists, or the database schema
    holds a dideng workspace (an unreachable database raises
    :class:`~gis.errors.WorkspaceError`)."""
    if is_database_url(location):
        from gis.workspace.postgis import PostGISWorkspace

        return PostGISWorkspace.exists(str(location))
    return Path(location).exists()


def open_workspace(location: str | Path, *, create: bool = False,
                   crs: CRS | int | str | None = None) -> Workspace:
    """Open (or with ``create`` make) the workspace at ``location``: a .gpkg path or a
    ``postgresql://…?schema=NAME`` URL."""
    if is_database_url(location):
        from gis.workspace.postgis import PostGISWorkspace

        url = str(location)
        if create and not PostGISWorkspace.exists(url):
            return PostGISWorkspace.create(url, _required_crs(crs))
        return PostGISWorkspace(url)
    from gis.workspace.gpkg import GeoPackageWorkspace

    path = Path(location)
    if path.exists():
        return GeoPackageWorkspace(path)
    if not create:
        raise WorkspaceError(
            f"工作空间不存在：{path}", f"workspace does not exist: {path}"
        )
    return GeoPackageWorkspace.create(path, _required_crs(crs))


def _required_crs(crs: CRS | int | str | None) -> CRS | int | str:
    if crs is None:
        raise WorkspaceError(
            "新建工作空间需要指定坐标系", "creating a workspace needs its CRS"
        )
    return crs
