"""Who may see what: roles and the public mask, in one place.

Enterprise tax, energy and owner data are confidential (the catalogue marks each such field
``confidential``). Every face that can show data to the public — the API, the maps — asks this
module, and nothing else, what a role may see:

* ``public`` (no key): promotion data only. Four layers, each reduced to its rows on offer and
  to an allow-list of fields: zones, reserve parcels (储备), usable unsupplied remainder pieces
  (可供应的批而未供地块), and the roads and facilities a promotion map shows (without their
  capacities). No owner, no credit code, no enterprise figure, no tax, no idle cause; every
  other layer and every analysis is closed.
* ``planner``: reads every layer and runs the analyses.
* ``admin``: a planner who may also import (replace layers).

The allow-list is checked against the catalogue when this module loads: a field marked
confidential there can never be published here by mistake.

>>> Role.parse("planner") > Role.public
True
>>> can_read("parcels", Role.public), can_read("idle", Role.public)
(True, False)
>>> "owner_name" in public_fields("parcels")
False
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import pandas as pd

from gis.errors import AccessDenied, ValidationError
from layers import catalogue, results

__all__ = [
    "PUBLIC_VIEWS",
    "PublicView",
    "Role",
    "can_read",
    "mask",
    "public_fields",
    "require",
    "visible_layers",
]


class Role(enum.IntEnum):
    """What a caller may do; a higher role may do everything a lower one may."""

    public = 0
    planner = 1
    admin = 2

    @classmethod
    def parse(cls, text: str) -> Role:
        try:
            return cls[str(text).strip().lower()]
        except KeyError:
            raise ValidationError(
                f"未知角色 {text!r}（应为 public、planner 或 admin）",
                f"unknown role {text!r} (expected public, planner or admin)",
            ) from None

    @property
    def label(self) -> str:
        return {0: "公众 public", 1: "规划人员 planner", 2: "管理员 admin"}[int(self)]


def _is_true(column: str) -> Callable[[pd.DataFrame], pd.Series]:
    def rows(frame: pd.DataFrame) -> pd.Series:
        if column not in frame:
            return pd.Series(False, index=frame.index)
        return frame[column].astype("boolean").fillna(False).astype(bool)

    return rows


def _equals(column: str, value: str) -> Callable[[pd.DataFrame], pd.Series]:
    def rows(frame: pd.DataFrame) -> pd.Series:
        if column not in frame:
            return pd.Series(False, index=frame.index)
        return frame[column].astype("string").eq(value).fillna(False).astype(bool)

    return rows


@dataclass(frozen=True)
class PublicView:
    """What the public sees of one layer: the rows on offer and an allow-list of fields."""

    fields: tuple[str, ...]
    rows: Callable[[pd.DataFrame], pd.Series] | None = None
    note_zh: str = ""
    note_en: str = ""


#: the whole public face: layer -> what of it is published (promotion data only)
PUBLIC_VIEWS: dict[str, PublicView] = {
    "zones": PublicView(
        ("zone_id", "name", "level", "parent_id", "town"),
        note_zh="开发区与园区范围", note_en="development zones and parks",
    ),
    "parcels": PublicView(
        ("parcel_id", "land_use", "zone_id", "name", "town", "status", "ready",
         "regional_assessment"),
        rows=_equals("status", "reserve"),
        note_zh="仅储备宗地（可供应）", note_en="reserve parcels (on offer) only",
    ),
    "unsupplied_pieces": PublicView(
        ("piece_id", "zone_id", "town", "area_mu", "usable"),
        rows=_is_true("usable"),
        note_zh="仅可供应的批而未供地块", note_en="usable unsupplied pieces only",
    ),
    "infrastructure": PublicView(
        ("facility_id", "kind", "name", "road_class"),
        note_zh="道路与配套设施（不含容量）", note_en="roads and facilities (without capacities)",
    ),
}


def _schema(layer: str):
    return catalogue.get(layer) or results.get(layer)


def _check_views() -> None:
    """Refuse, at import time, an allow-list naming a confidential or unknown field."""
    for layer, view in PUBLIC_VIEWS.items():
        schema = _schema(layer)
        if schema is None:
            raise RuntimeError(f"public view of unknown layer {layer!r}")
        for name in view.fields:
            if name not in schema.field_names:
                raise RuntimeError(f"public view {layer}.{name}: no such catalogue field")
            if schema.field(name).confidential:
                raise RuntimeError(f"public view {layer}.{name}: field is confidential")


_check_views()


def can_read(layer: str, role: Role) -> bool:
    """Whether ``role`` may read ``layer`` at all."""
    return role >= Role.planner or layer in PUBLIC_VIEWS


def visible_layers(layers: Iterable[str], role: Role) -> list[str]:
    """The layers of ``layers`` that ``role`` may read, in their order."""
    return [name for name in layers if can_read(name, role)]


def public_fields(layer: str) -> tuple[str, ...]:
    """The fields of ``layer`` the public may see (empty when the layer is closed)."""
    view = PUBLIC_VIEWS.get(layer)
    return view.fields if view else ()


def require(role: Role, needed: Role, what_zh: str, what_en: str) -> None:
    """Raise :class:`AccessDenied` unless ``role`` is at least ``needed``."""
    if role < needed:
        raise AccessDenied(
            f"{what_zh}需要{needed.label}权限（当前：{role.label}）；请在请求头 X-API-Key 中提供密钥",
            f"{what_en} needs the {needed.name} role (you are {role.name}); "
            "send an API key in the X-API-Key header",
        )


def mask(layer: str, frame: pd.DataFrame, role: Role) -> pd.DataFrame:
    """``frame`` (a read of ``layer``) as ``role`` may see it.

    Planners and admins see it whole. The public sees only the rows on offer and the
    allow-listed fields (plus the geometry); a closed layer raises :class:`AccessDenied`.
    Columns outside the allow-list — confidential or simply unknown — are always dropped.
    """
    if role >= Role.planner:
        return frame
    view = PUBLIC_VIEWS.get(layer)
    if view is None:
        require(role, Role.planner, f"图层 {layer} ", f"layer {layer}")
        raise AssertionError("unreachable")  # pragma: no cover
    if view.rows is not None:
        frame = frame[view.rows(frame).to_numpy()]
    keep = [c for c in view.fields if c in frame.columns]
    geometry = getattr(frame, "_geometry_column_name", None)
    if geometry is not None and geometry in frame.columns:
        keep.append(geometry)
    return frame[keep]
