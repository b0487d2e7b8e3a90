"""Policy: the thresholds, weights and quotas the analyses use — defaults with their sources,
overridable by a county's TOML file.

Defaults live in ``policy_defaults.toml`` beside this module, each with its source and DOMAIN.md's
confidence tag. A county file overrides values only (``[idle] watch_days = 60``); an unknown key or
a value of the wrong type is refused with a clear message, so a typo never silently leaves a
default in force. Analyses receive a :class:`Policy` and read it; they never read files.

Examples
--------
>>> p = Policy.load()
>>> p.idle.fee_rate
0.2
>>> p["unsupplied.rate_floor"]
0.6
>>> Policy.load(overrides={"idle": {"watch_days": 60}}).idle.watch_days
60
"""

from __future__ import annotations

import copy
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd

from gis.errors import ValidationError

__all__ = ["Param", "Policy"]


@dataclass(frozen=True)
class Param:
    """One policy parameter: its value and where the number comes from."""

    name: str
    value: Any
    source: str
    tag: str
    zh: str
    en: str
    overridden: bool = False


class _Section:
    def __init__(self, name: str, params: Mapping[str, Param]) -> None:
        self._name = name
        self._params = params

    def __getattr__(self, key: str) -> Any:
        try:
            return self._params[key].value
        except KeyError:
            raise AttributeError(f"policy section {self._name!r} has no parameter {key!r}") from None

    def __iter__(self):
        return iter(self._params)


def _defaults() -> dict[str, dict[str, Any]]:
    text = resources.files("gis").joinpath("policy_defaults.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


def _flatten(raw: Mapping[str, Any], prefix: str = "") -> dict[str, dict[str, Any]]:
    """Section tables → {'section.key': entry} where an entry is a table with a 'value'."""
    out: dict[str, dict[str, Any]] = {}
    for key, item in raw.items():
        name = f"{prefix}{key}"
        if isinstance(item, Mapping) and "value" in item:
            out[name] = dict(item)
        elif isinstance(item, Mapping):
            out.update(_flatten(item, f"{name}."))
    return out


def _same_kind(default: Any, value: Any) -> bool:
    if isinstance(default, bool) or isinstance(value, bool):
        return isinstance(default, bool) and isinstance(value, bool)
    if isinstance(default, (int, float)):
        return isinstance(value, (int, float))
    if isinstance(default, list):
        return isinstance(value, list)
    if isinstance(default, Mapping):
        return isinstance(value, Mapping)
    return isinstance(value, type(default))


class Policy:
    """All parameters, by dotted name (``idle.fee_rate``) or by section attribute."""

    def __init__(self, params: Mapping[str, Param], source: str | None = None) -> None:
        self._params = dict(params)
        self.source = source
        #: each section's params, gathered on first use (the params never change)
        self._sections: dict[str, dict[str, Param]] = {}

    @classmethod
    def load(cls, path: str | Path | None = None, *,
             overrides: Mapping[str, Any] | None = None) -> Policy:
        """Defaults, then the county file at ``path``, then ``overrides`` (nested mappings)."""
        entries = _flatten(_defaults())
        params = {
            name: Param(name, e["value"], e.get("source", ""), e.get("tag", ""), e.get("zh", ""),
                        e.get("en", ""))
            for name, e in entries.items()
        }
        layers: list[tuple[str, Mapping[str, Any]]] = []
        if path is not None:
            try:
                layers.append((str(path), tomllib.loads(Path(path).read_text(encoding="utf-8"))))
            except tomllib.TOMLDecodeError as exc:
                raise ValidationError(f"政策文件 {path} 不是有效的 TOML：{exc}",
                                      f"policy file {path} is not valid TOML: {exc}") from exc
        if overrides:
            layers.append(("overrides", overrides))
        for origin, raw in layers:
            for name, value in _flatten_values(raw).items():
                if name not in params:
                    known = "、".join(sorted(params))
                    raise ValidationError(
                        f"{origin}：未知的政策参数 {name}（可用：{known}）",
                        f"{origin}: unknown policy parameter {name} (known: {known})",
                    )
                old = params[name]
                if not _same_kind(old.value, value):
                    raise ValidationError(
                        f"{origin}：政策参数 {name} 应为 {type(old.value).__name__}，实为 {value!r}",
                        f"{origin}: policy parameter {name} must be a "
                        f"{type(old.value).__name__}, got {value!r}",
                    )
                if isinstance(old.value, Mapping):
                    value = {**old.value, **value}
                params[name] = Param(name, copy.deepcopy(value), f"{origin}（覆盖 overrides: "
                                     f"{old.source}）", "local", old.zh, old.en, overridden=True)
        return cls(params, source=str(path) if path else None)

    def __getitem__(self, name: str) -> Any:
        try:
            return self._params[name].value
        except KeyError:
            raise KeyError(f"unknown policy parameter {name!r}") from None

    def __getattr__(self, section: str) -> _Section:
        if section.startswith("_"):
            raise AttributeError(section)
        params = self._sections.get(section)
        if params is None:
            prefix = f"{section}."
            params = {n[len(prefix):]: p for n, p in self._params.items() if n.startswith(prefix)}
            if not params:
                raise AttributeError(f"no policy section {section!r}")
            self._sections[section] = params
        return _Section(section, params)

    def param(self, name: str) -> Param:
        return self._params[name]

    def to_frame(self) -> pd.DataFrame:
        """Every parameter with its value and source (the 依据 sheet of a ledger)."""
        rows = [
            {"参数 parameter": p.name, "说明": p.zh, "description": p.en,
             "取值 value": p.value if not isinstance(p.value, (list, dict)) else str(p.value),
             "依据 source": p.source, "可信度 tag": p.tag}
            for p in self._params.values()
        ]
        return pd.DataFrame(rows)


def _flatten_values(raw: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """County file tables → {'section.key': value}; a table that is itself a parameter's value
    (a mapping parameter such as plot_ratio_min_by_division) is kept whole."""
    out: dict[str, Any] = {}
    defaults = _flatten(_defaults())
    for key, item in raw.items():
        name = f"{prefix}{key}"
        if isinstance(item, Mapping) and name not in defaults:
            out.update(_flatten_values(item, f"{name}."))
        else:
            out[name] = item
    return out
