"""The layer catalogue: every layer's schema, read from ``catalogue.toml``.

This module is the one place that knows layer names, fields, keys, Chinese aliases,
allowed values and which fields are confidential. Everything else asks it.

Examples
--------
>>> from layers import catalogue
>>> catalogue["parcels"].key
('parcel_id',)
>>> catalogue["parcels"].field("land_use").zh
'用地用海分类'
>>> catalogue.resolve_layer("宗地").name
'parcels'
"""

from __future__ import annotations

import csv
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from importlib import resources
from typing import Any

from gis.errors import UnknownLayerError

__all__ = [
    "ANALYSIS_LAYERS",
    "DTYPES",
    "GEOMETRY_KINDS",
    "MATCH_LAYERS",
    "Catalogue",
    "Field",
    "Layer",
    "catalogue",
    "industry_divisions",
    "land_use_codes",
    "legacy_land_use",
    "results",
]

DTYPES = ("str", "int", "float", "bool", "date")
GEOMETRY_KINDS = ("polygon", "point", "line", "point_or_line", "any", "none")

#: display labels for units (Chinese first)
#: the input layers the clean-ups and the evaluation read
ANALYSIS_LAYERS = ("zones", "parcels", "approvals", "supplies", "buildings", "enterprises",
                   "tenancies", "zoning")
#: the input layers a match index is built from (the projects layer is only looked up)
MATCH_LAYERS = (*ANALYSIS_LAYERS, "constraints", "infrastructure")

UNIT_LABELS: dict[str, str] = {
    "m2": "平方米",
    "mu": "亩",
    "ha": "公顷",
    "m": "米",
    "km": "公里",
    "wan": "万元",
    "kva": "kVA",
    "tce": "吨标煤",
    "kwh": "千瓦时",
    "t": "吨",
    "t_per_day": "吨/日",
    "person": "人",
    "year": "年",
    "wan_per_mu": "万元/亩",
    "tce_per_wan": "吨标煤/万元",
    "ratio": "",
    "share": "",
    "wan_per_ha": "万元/公顷",
}


@dataclass(frozen=True)
class Field:
    """One field of a layer, as declared in the catalogue."""

    name: str
    dtype: str
    zh: str
    en: str
    unit: str | None = None
    required: bool = False
    aliases: tuple[str, ...] = ()
    values: Mapping[str, str] | None = None
    check: str | None = None
    min: float | None = None
    max: float | None = None
    confidential: bool = False

    @property
    def header(self) -> str:
        """Excel/CSV header: Chinese label first, unit and canonical name beside it."""
        unit = UNIT_LABELS.get(self.unit or "", "")
        return f"{self.zh}（{unit}）{self.name}" if unit else f"{self.zh} {self.name}"

    def code_for(self, value: str) -> str | None:
        """Map an allowed value given as code or Chinese label to its code (None if unknown)."""
        if self.values is None:
            return value
        if value in self.values:
            return value
        for code, label in self.values.items():
            if value == label:
                return code
        return None


@dataclass(frozen=True)
class Layer:
    """One layer: geometry kind, key and fields."""

    name: str
    zh: str
    en: str
    geometry: str
    key: tuple[str, ...]
    fields: tuple[Field, ...]
    geometry_required: bool = True
    order: tuple[tuple[str, str], ...] = ()
    one_of: tuple[tuple[str, ...], ...] = ()

    @property
    def has_geometry(self) -> bool:
        return self.geometry != "none"

    @property
    def field_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields if f.required)

    @property
    def confidential(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields if f.confidential)

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(f"图层 {self.name} 没有字段 {name!r} / layer {self.name!r} has no field {name!r}")

    @cached_property
    def _field_map(self) -> dict[str, Field]:
        return {f.name: f for f in self.fields}

    def get(self, name: str) -> Field | None:
        return self._field_map.get(name)


@dataclass(frozen=True)
class Catalogue(Mapping[str, Layer]):
    """All layers of DESIGN.md §4, by canonical name."""

    layers: Mapping[str, Layer] = field(default_factory=dict)

    def __getitem__(self, name: str) -> Layer:
        try:
            return self.layers[name]
        except KeyError:
            known = ", ".join(self.layers)
            raise UnknownLayerError(
                f"未知图层 {name!r}，可选：{known}", f"unknown layer {name!r}; known layers: {known}"
            ) from None

    def __iter__(self) -> Iterator[str]:
        return iter(self.layers)

    def __len__(self) -> int:
        return len(self.layers)

    def resolve_layer(self, name: str) -> Layer:
        """Find a layer by canonical name or by its Chinese name."""
        if name in self.layers:
            return self.layers[name]
        for layer in self.layers.values():
            if name == layer.zh:
                return layer
        return self[name]  # raises the helpful KeyError


def _field(d: dict[str, Any]) -> Field:
    dtype = d["dtype"]
    if dtype not in DTYPES:
        raise ValueError(f"catalogue: field {d['name']!r} has unknown dtype {dtype!r}")
    return Field(
        name=d["name"],
        dtype=dtype,
        zh=d["zh"],
        en=d["en"],
        unit=d.get("unit"),
        required=bool(d.get("required", False)),
        aliases=tuple(d.get("aliases", ())),
        values=dict(d["values"]) if "values" in d else None,
        check=d.get("check"),
        min=d.get("min"),
        max=d.get("max"),
        confidential=bool(d.get("confidential", False)),
    )


def _layer(name: str, d: dict[str, Any]) -> Layer:
    if d["geometry"] not in GEOMETRY_KINDS:
        raise ValueError(f"catalogue: layer {name!r} has unknown geometry {d['geometry']!r}")
    fields = tuple(_field(f) for f in d["fields"])
    layer = Layer(
        name=name,
        zh=d["zh"],
        en=d["en"],
        geometry=d["geometry"],
        key=tuple(d["key"]),
        fields=fields,
        geometry_required=bool(d.get("geometry_required", d["geometry"] != "none")),
        order=tuple((a, b) for a, b in d.get("order", ())),
        one_of=tuple(tuple(g) for g in d.get("one_of", ())),
    )
    names = set(layer.field_names)
    referenced = set(layer.key) | {n for pair in layer.order for n in pair}
    referenced |= {n for group in layer.one_of for n in group}
    if missing := referenced - names:
        raise ValueError(f"catalogue: layer {name!r} refers to undeclared fields {sorted(missing)}")
    return layer


def _raw() -> dict[str, Any]:
    text = resources.files(__package__).joinpath("catalogue.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


def load_catalogue(section: str = "layers") -> Catalogue:
    """The input layers (``layers``) or the analysis result layers (``results``)."""
    return Catalogue({name: _layer(name, d) for name, d in _raw()[section].items()})


def _read_csv(name: str) -> list[dict[str, str]]:
    text = resources.files(__package__).joinpath("codes", name).read_text(encoding="utf-8")
    return list(csv.DictReader(text.splitlines()))


def _land_use_codes() -> dict[str, str]:
    return {r["code"]: r["name"] for r in _read_csv("landuse_2023.csv")}


def _legacy_land_use() -> dict[str, str]:
    return {r["legacy"]: r["code"] for r in _read_csv("legacy_landuse_gb50137.csv")}


def _industry_divisions() -> dict[str, str]:
    return {r["division"]: r["name"] for r in _read_csv("industry_gbt4754_2017.csv")}


catalogue: Catalogue = load_catalogue()
#: the analysis result layers (idle, unsupplied_batches, unsupplied_pieces, low_efficiency …)
results: Catalogue = load_catalogue("results")
#: 用地用海分类 2023 code -> Chinese name
land_use_codes: dict[str, str] = _land_use_codes()
#: GB 50137-2011 letter code -> 2023 code
legacy_land_use: dict[str, str] = _legacy_land_use()
#: GB/T 4754-2017 two-digit division -> Chinese name
industry_divisions: dict[str, str] = _industry_divisions()
