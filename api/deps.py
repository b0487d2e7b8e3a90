"""Dependencies shared by the routers: the store, the settings, who is asking."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request

from api.auth import Caller, caller
from api.settings import Settings
from api.store import Memo, Store
from gis.access import Role, require
from gis.policy import Policy

__all__ = ["MemoDep", "PolicyDep", "SettingsDep", "StoreDep", "get_memo", "get_policy",
           "get_settings", "get_store", "needs"]


def get_store(request: Request) -> Store:
    return request.app.state.store


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_policy(request: Request) -> Policy:
    return request.app.state.policy


def get_memo(request: Request) -> Memo:
    """The cache of analysis results (cleanup, evaluation, match indexes)."""
    return request.app.state.memo


StoreDep = Annotated[Store, Depends(get_store)]
MemoDep = Annotated[Memo, Depends(get_memo)]
PolicyDep = Annotated[Policy, Depends(get_policy)]
SettingsDep = Annotated[Settings, Depends(get_settings)]


def needs(role: Role, what_zh: str, what_en: str) -> Callable[..., Caller]:
    """A dependency that lets only callers with at least ``role`` through (403 otherwise)."""

    def check(who: Caller = Depends(caller)) -> Caller:
        require(who.role, role, what_zh, what_en)
        return who

    return check
