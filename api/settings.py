"""The service's settings, in one place (environment variables with the prefix ``DIDENG_``).

==========================  =========================================================  =========
variable                    meaning                                                    default
==========================  =========================================================  =========
DIDENG_WORKSPACE            the workspace served (a .gpkg path or a postgresql:// URL)   one of
DIDENG_DATABASE_URL         the PostGIS workspace served (postgresql://…?schema=NAME)  these two
DIDENG_ENVIRONMENT          ``development`` or ``production``                          development
DIDENG_API_KEYS             JSON list of ``"role:sha256:name"`` (hashes, never keys)   []
DIDENG_KEYS_FILE            a TOML keys file (``dideng key new`` writes it)            none
DIDENG_MAX_UPLOAD_MB        largest upload accepted                                    200
DIDENG_ITEMS_LIMIT          features per page when ``limit`` is not given              100
DIDENG_ITEMS_MAX_LIMIT      the most features one page returns (larger ``limit`` is    10000
                            clamped to it)
DIDENG_MATCH_RESULTS_KEPT   stored match results kept for GET /match/{id}              1000
DIDENG_REFRESH_SECONDS      how often the service looks for layers changed by others   2
DIDENG_POLICY               a county policy TOML overriding the defaults               none
DIDENG_BASE_URL             the public URL of the service behind a proxy               from request
DIDENG_TIANDITU_KEY         天地图 tk key for Tianditu basemaps on the web maps       none
==========================  =========================================================  =========
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["Settings"]


class Settings(BaseSettings):
    """Everything the service is configured with."""

    model_config = SettingsConfigDict(env_prefix="DIDENG_", extra="ignore")

    workspace: str | Path | None = None
    database_url: str | None = None
    environment: Literal["development", "production"] = "development"
    title: str = "地等 dideng"
    api_keys: list[str] = Field(default_factory=list)
    keys_file: Path | None = None
    demo_keys: bool = False
    max_upload_mb: float = Field(200, gt=0)
    items_limit: int = Field(100, ge=1)
    items_max_limit: int = Field(10000, ge=1)
    match_results_kept: int = Field(1000, ge=1)
    refresh_seconds: float = Field(2.0, ge=0)
    policy: Path | None = None
    base_url: str | None = None
    tianditu_key: str | None = None

    @property
    def location(self) -> str | Path | None:
        """The workspace served: ``workspace`` or ``database_url`` (an error if they differ)."""
        from gis.workspace import configured_location

        return configured_location(self.workspace, self.database_url)

    @property
    def max_upload_bytes(self) -> int:
        return int(self.max_upload_mb * 1024 * 1024)
