"""Fixtures of the map tests: the demo county, its analyses and a poisoned copy (XSS names)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

import folium
import pytest

PAYLOAD = "<img src=x onerror=alert(1)>"
ESCAPED = "&lt;img src=x onerror=alert(1)&gt;"
RAW = "<img src=x onerror"


@dataclass
class Demo:
    layers: dict
    cleanup: Any
    evaluation: Any
    answer: dict

    @property
    def with_results(self) -> dict:
        return {**self.layers, **self.cleanup.layers()}


def _analyse(layers: dict) -> Demo:
    from gis.cleanup import cleanup
    from gis.evaluation import evaluate
    from gis.matching import match, project_from_request
    from layers.demo import DEMO_AS_OF

    result = cleanup(layers, DEMO_AS_OF)
    evaluation = evaluate(layers, as_of=DEMO_AS_OF)
    project = project_from_request(project_id="XM2026001", projects=layers["projects"])
    answer = match(project, layers, as_of=DEMO_AS_OF)
    return Demo(layers, result, evaluation, answer)


@pytest.fixture(scope="session")
def demo() -> Demo:
    from layers.demo import build_demo

    return _analyse(build_demo())


@pytest.fixture(scope="session")
def poisoned(demo) -> Demo:
    """The demo with the payload as every name a map shows: reserve parcel names, owners,
    users, zone names, facility names, the project name."""
    layers = {k: v.copy() for k, v in demo.layers.items()}
    parcels = layers["parcels"]
    parcels["name"] = PAYLOAD
    parcels["owner_name"] = PAYLOAD
    layers["zones"]["name"] = PAYLOAD
    layers["infrastructure"]["name"] = PAYLOAD
    supplies = layers["supplies"]
    supplies["user_name"] = PAYLOAD
    poisoned = _analyse(layers)
    poisoned.answer["project"]["name"] = PAYLOAD
    return poisoned


def groups(m: folium.Map) -> dict[str, list[dict]]:
    """FeatureGroup name -> the features its GeoJson layer inlines."""
    out = {}
    for child in m._children.values():
        if isinstance(child, folium.FeatureGroup):
            feats = []
            for sub in child._children.values():
                if isinstance(sub, folium.GeoJson):
                    feats.extend(sub.data["features"])
            out[child.layer_name] = feats
    return out


def html_of(m: folium.Map) -> str:
    return m.get_root().render()


def coords_of(features: list[dict]) -> list[list[float]]:
    """Every coordinate pair in these features."""
    text = json.dumps([f["geometry"] for f in features])
    return [[float(a), float(b)] for a, b in re.findall(r"\[(-?[\d.e-]+), (-?[\d.e-]+)\]", text)]

