"""One palette for every map, web or print: the same thing has the same colour everywhere.

Colours are keyed by the catalogue's codes (``idle.action``, ``low_efficiency.reasons``, the
match ``source``…); labels come from the catalogue (Chinese) with the English beside, so a
legend never spells a class differently from the ledgers.

>>> colour("action", "take_back")
'#c0392b'
>>> label("idle", "action", "take_back")
'无偿收回 take back'
"""

from __future__ import annotations

from layers import catalogue, results

__all__ = ["COLOURS", "SOURCE_NAMES", "colour", "label", "source_label"]

#: concept -> code -> colour (hex)
COLOURS: dict[str, dict[str, str]] = {
    # 闲置 by proposed action
    "action": {"levy_fee": "#e67e22", "take_back": "#c0392b", "negotiate": "#8e44ad",
               "watch": "#f1c40f"},
    # 批而未供 remainder pieces
    "usable": {"true": "#16a085", "false": "#95a5a6"},
    # 低效 by (first) reason
    "reason": {"plot_ratio_below_min": "#d35400", "coverage_below_min": "#e59866",
               "tax_per_mu_below_min": "#a93226", "permu_class_D": "#7b241c",
               "dilapidated": "#6e2c00", "nonconforming_use": "#884ea0"},
    # 亩均 classes
    "permu_class": {"A": "#1a9850", "B": "#91cf60", "C": "#fee08b", "D": "#d73027",
                    "none": "#bdbdbd"},
    # where available land comes from (match candidates, park posters)
    "source": {"unsupplied": "#16a085", "reserve": "#2e86c1", "idle": "#e67e22",
               "low_efficiency": "#a04000"},
    # constraints
    "constraint": {"basic_farmland": "#f7dc6f", "eco_redline": "#27ae60",
                   "hv_corridor": "#5d6d7e", "flood": "#5dade2", "geohazard": "#a04000",
                   "heritage": "#af7ac5", "other": "#aab7b8"},
    # infrastructure
    "facility": {"substation": "#f39c12", "water": "#3498db", "sewage": "#7f8c8d",
                 "gas": "#e74c3c", "road": "#7f8c8d", "highway_exit": "#2c3e50",
                 "rail": "#34495e", "port": "#1abc9c"},
    "road_class": {"motorway": "#b03a2e", "trunk": "#d35400", "primary": "#e67e22",
                   "secondary": "#aab7b8", "branch": "#d5d8dc"},
    # outlines and greys
    "frame": {"zone": "#1f4e79", "park": "#2e86c1", "excluded": "#9e9e9e",
              "site": "#c0392b", "parcel": "#616a6b"},
}

#: where available land comes from (match candidates, posters): code -> (中文, English); no
#: catalogue field lists these codes, so their names live here, once
SOURCE_NAMES: dict[str, tuple[str, str]] = {
    "unsupplied": ("批而未供", "unsupplied"),
    "reserve": ("储备", "reserve"),
    "idle": ("闲置收回", "idle, to take back"),
    "low_efficiency": ("低效用地", "low-efficiency"),
}

_FALLBACK = "#7f8c8d"


def colour(concept: str, code: object) -> str:
    """The colour of ``code`` within ``concept`` (a neutral grey when unknown)."""
    key = str(code).lower() if isinstance(code, bool) else str(code)
    return COLOURS.get(concept, {}).get(key, _FALLBACK)


def label(layer: str, field: str, code: object) -> str:
    """``"中文 english"`` for a coded value of a catalogue field (the code itself if unknown)."""
    spec = catalogue.get(layer) or results.get(layer)
    text = str(code)
    values = {}
    if spec is not None and field in spec.field_names:
        values = spec.field(field).values or {}
    zh = values.get(text)
    english = text.replace("_", " ")
    return f"{zh} {english}" if zh else english


def source_label(code: object, *, english: bool = True) -> str:
    """``"储备 reserve"`` (or only ``"储备"``) for a land source code.

    >>> source_label("idle"), source_label("idle", english=False)
    ('闲置收回 idle, to take back', '闲置收回')
    """
    zh, en = SOURCE_NAMES.get(str(code), (str(code), ""))
    return f"{zh} {en}" if english and en else zh
