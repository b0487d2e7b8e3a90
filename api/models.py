"""The pydantic models of the planner endpoints (/cleanup, /evaluation, /match).

They describe what the library already returns — :func:`gis.cleanup.ledger.cleanup_json`,
:func:`gis.evaluation.ledger.evaluation_json`, :func:`gis.matching.match` — so the OpenAPI
document names every field, and tests validate answers against the same models.

Rows of result layers are built from the catalogue (``layers/catalogue.toml``, the results
section): one field per catalogue field, typed by its dtype and described by its Chinese and
English names and unit. A row may carry more (``extra="allow"``): the list a geometry-less
answer omits, the evaluation's ``permu_`` zone totals.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model

from layers import UNIT_LABELS, catalogue, results

__all__ = [
    "CleanupAnswer",
    "CleanupSummary",
    "EvaluationAnswer",
    "EvaluationSummary",
    "Exclusion",
    "Feature",
    "FeatureCollection",
    "FiveYearRate",
    "Geometry",
    "IdleRow",
    "Link",
    "LowEfficiencyRow",
    "MatchAnswer",
    "MatchProject",
    "MatchRequest",
    "PermuParcelRow",
    "PermuRow",
    "Rule",
    "Site",
    "UnsuppliedBatchRow",
    "UnsuppliedPieceRow",
    "Weights",
    "ZoneIndicatorRow",
    "row_model",
]

_FLOAT = float | None
_TYPES: dict[str, Any] = {"str": str | None, "int": int | None, "float": _FLOAT,
                          "bool": bool | None, "date": str | None}


def row_model(layer: str, model_name: str) -> type[BaseModel]:
    """A model of one row of result layer ``layer``: its catalogue fields, all nullable."""
    fields: dict[str, Any] = {}
    for f in results[layer].fields:
        unit = UNIT_LABELS.get(f.unit or "", f.unit or "")
        extra = {"format": "date"} if f.dtype == "date" else None
        fields[f.name] = (_TYPES[f.dtype], Field(
            None, description=f"{f.zh} / {f.en}" + (f"（{unit}）" if unit else ""),
            json_schema_extra=extra))
    config = ConfigDict(extra="allow", coerce_numbers_to_str=True)
    return create_model(model_name, __config__=config,
                        __doc__=f"一行{results[layer].zh} / one row of {results[layer].en}",
                        **fields)


IdleRow = row_model("idle", "IdleRow")
UnsuppliedBatchRow = row_model("unsupplied_batches", "UnsuppliedBatchRow")
UnsuppliedPieceRow = row_model("unsupplied_pieces", "UnsuppliedPieceRow")
LowEfficiencyRow = row_model("low_efficiency", "LowEfficiencyRow")
PermuRow = row_model("permu", "PermuRow")
PermuParcelRow = row_model("permu_parcels", "PermuParcelRow")
ZoneIndicatorRow = row_model("zone_indicators", "ZoneIndicatorRow")


# -- GeoJSON (RFC 7946: CRS84, longitude first) --------------------------------------------------
class Geometry(BaseModel):
    """A GeoJSON geometry in CRS84."""

    model_config = ConfigDict(extra="allow")

    type: Literal["Point", "MultiPoint", "LineString", "MultiLineString", "Polygon",
                  "MultiPolygon", "GeometryCollection"]
    coordinates: list[Any] | None = None


class Feature(BaseModel):
    type: Literal["Feature"] = "Feature"
    id: str | int | None = None
    geometry: Geometry | None
    properties: dict[str, Any]


class FeatureCollection(BaseModel):
    """A GeoJSON FeatureCollection (CRS84)."""

    type: Literal["FeatureCollection"] = "FeatureCollection"
    features: list[Feature]


class Link(BaseModel):
    href: str
    rel: str
    type: str | None = None
    title: str | None = None


# -- /cleanup ----------------------------------------------------------------------------------
class CountArea(BaseModel):
    count: int = Field(description="宗数 / rows")
    area_mu: float = Field(description="面积（亩）/ area in mu")


class IdleSummary(CountArea):
    fee_wan: float = Field(description="应征闲置费（万元）/ idle fees due, 10k yuan")
    type_A: int = Field(description="A 类：未动工 / never started")
    type_B: int = Field(description="B 类：动工后中止 / started, then halted")
    by_action: dict[str, CountArea] = Field(
        description="按处置建议 / by action (levy_fee, take_back, negotiate)")


class FiveYearRate(BaseModel):
    """近五年平均供地率 / the five-year average supply rate against the national floor."""

    window_start: str = Field(json_schema_extra={"format": "date"})
    window_end: str = Field(json_schema_extra={"format": "date"})
    batches: int
    approved_mu: float
    supplied_mu: float
    rate: float | None = Field(description="供地率（0–1）；无批次时为空 / null without batches")
    floor: float = Field(description="国家底线 / the national floor (0–1)")
    meets_floor: bool | None


class UnsuppliedSummary(BaseModel):
    batches: int
    approved_mu: float
    supplied_mu: float
    unsupplied_mu: float
    by_status: dict[str, int] = Field(description="full / partial / none")
    lapsed: int = Field(description="批文失效批次 / batches whose approval lapsed")
    pieces: int
    usable_pieces: int
    usable_mu: float
    five_year: FiveYearRate


class LowEfficiencySummary(CountArea):
    potential_floor_m2: float
    potential_tax_wan: float
    by_reason: dict[str, int]


class CleanupSummary(BaseModel):
    idle: IdleSummary
    watch: CountArea
    unsupplied: UnsuppliedSummary
    low_efficiency: LowEfficiencySummary


class UnsuppliedLists(BaseModel):
    batches: list[UnsuppliedBatchRow]  # type: ignore[valid-type]
    pieces: list[UnsuppliedPieceRow]  # type: ignore[valid-type]
    five_year: FiveYearRate


class CleanupAnswer(BaseModel):
    """三清台账 / the clean-up ledger at ``as_of`` (rows without geometry; see format=geojson)."""

    as_of: str = Field(json_schema_extra={"format": "date"})
    idle: list[IdleRow] = Field(  # type: ignore[valid-type]
        description="闲置土地 / idle land")
    watch: list[IdleRow] = Field(  # type: ignore[valid-type]
        description="即将闲置预警 / about to become idle")
    unsupplied: UnsuppliedLists
    low_efficiency: list[LowEfficiencyRow]  # type: ignore[valid-type]
    summary: CleanupSummary


# -- /evaluation -------------------------------------------------------------------------------
class EvaluationSummary(BaseModel):
    year: int
    enterprises: int
    graded: int
    vetoed: int
    classes: dict[str, dict[str, int]] = Field(
        description="按组别（above 规上 / below 规下）的 A–D 类数 / class counts by group")
    benchmarks: dict[str, Any] = Field(description="基准值 / benchmarks by group")
    county: dict[str, Any] = Field(description="全县集约利用指标 / the county's indicators")


class EvaluationAnswer(BaseModel):
    """亩均效益评价 / the per-mu evaluation of ``year`` and the zone indicators."""

    year: int
    enterprises: list[PermuRow]  # type: ignore[valid-type]
    parcels: list[PermuParcelRow]  # type: ignore[valid-type]
    zones: list[ZoneIndicatorRow]  # type: ignore[valid-type]
    summary: EvaluationSummary


# -- /match ------------------------------------------------------------------------------------
Rule = Literal["land_use", "red_line", "area", "too_large", "standard_land", "rail", "highway",
               "power", "zones"]
Status = Literal["pass", "fail", "unknown"]
_AT_LEAST_0 = {"ge": 0, "allow_inf_nan": False}


_WEIGHT = {"ge": 0, "le": 1000, "allow_inf_nan": False}


class Weights(BaseModel):
    """本次请求的评分权重（覆盖政策参数 matching.weights 中给出的准则；相对大小起作用）/
    criteria weights for this request (override those given; only their ratios matter)."""

    model_config = ConfigDict(extra="forbid")

    area_fit: float | None = Field(None, **_WEIGHT)
    readiness: float | None = Field(None, **_WEIGHT)
    infrastructure: float | None = Field(None, **_WEIGHT)
    access: float | None = Field(None, **_WEIGHT)
    standard_land_headroom: float | None = Field(None, **_WEIGHT)


def _described(layer: str, name: str, **kw: Any) -> Any:
    f = catalogue[layer].field(name)
    unit = UNIT_LABELS.get(f.unit or "", f.unit or "")
    return Field(None, description=f"{f.zh} / {f.en}" + (f"（{unit}）" if unit else ""), **kw)


class MatchRequest(BaseModel):
    """一个招商项目：``project_id``（工作空间 projects 图层中的项目），或项目字段本身（至少
    need_mu_min、land_use、investment_wan）/ a stored project, or the project's fields."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"project_id": "XM2026002", "top_k": 5},
        {"name": "精密模具项目", "land_use": "100102", "need_mu_min": 30, "need_mu_max": 50,
         "investment_wan": 15000, "expected_tax_wan": 900, "power_kva": 2000,
         "zones": ["KFQ-DY"], "weights": {"access": 30}},
    ]})

    project_id: str | None = Field(None, max_length=100,
                                   description="招商项目编号 / a project of the projects layer")
    name: str | None = _described("projects", "name", max_length=200)
    industry_code: str | None = _described("projects", "industry_code", max_length=10)
    land_use: str | None = _described("projects", "land_use", max_length=10)
    need_mu_min: float | None = _described("projects", "need_mu_min", **_AT_LEAST_0)
    need_mu_max: float | None = _described("projects", "need_mu_max", **_AT_LEAST_0)
    investment_wan: float | None = _described("projects", "investment_wan", **_AT_LEAST_0)
    expected_tax_wan: float | None = _described("projects", "expected_tax_wan", **_AT_LEAST_0)
    expected_output_wan: float | None = _described("projects", "expected_output_wan",
                                                   **_AT_LEAST_0)
    power_kva: float | None = _described("projects", "power_kva", **_AT_LEAST_0)
    water_t_per_day: float | None = _described("projects", "water_t_per_day", **_AT_LEAST_0)
    energy_tce: float | None = _described("projects", "energy_tce", **_AT_LEAST_0)
    hazardous: bool | None = _described("projects", "hazardous")
    needs_rail: bool | None = _described("projects", "needs_rail")
    max_km_to_highway_exit: float | None = _described("projects", "max_km_to_highway_exit",
                                                      **_AT_LEAST_0)
    zones: list[str] | str | None = _described("projects", "zones")
    zones_required: bool | None = _described("projects", "zones_required")
    as_of: str | None = Field(None, max_length=40, json_schema_extra={"format": "date"},
                              description="日期（默认工作空间基准日或今天）/ as-of day")
    top_k: int | None = Field(None, ge=1, le=50, description="候选地块数 / sites returned")
    weights: Weights | None = None

    def project_fields(self) -> dict[str, Any]:
        """The project's own fields (not the id, day, top_k or weights)."""
        skip = {"project_id", "as_of", "top_k", "weights"}
        return {k: v for k, v in self.model_dump().items() if k not in skip}


class MatchProject(BaseModel):
    """The project as matched (normalized: numbers, zones as a list)."""

    project_id: str | None
    name: str | None
    industry_code: str | None
    land_use: str
    need_mu_min: float
    need_mu_max: float
    investment_wan: float
    expected_tax_wan: float | None = None
    expected_output_wan: float | None = None
    power_kva: float | None = None
    water_t_per_day: float | None = None
    energy_tce: float | None = None
    hazardous: bool | None = None
    needs_rail: bool = False
    max_km_to_highway_exit: float | None = None
    zones: list[str] = Field(default_factory=list)
    zones_required: bool = False
    weights: dict[str, float] | None = None


class Criterion(BaseModel):
    score: float = Field(description="0–1")
    weight: float


class AreaFit(Criterion):
    value: float | None = Field(description="净面积（亩）/ net area in mu")


class ReadinessValue(BaseModel):
    ready: bool | None = Field(description="净地 / cleared land")
    regional_assessment: bool | None = Field(description="区域评估已完成 / regional assessment")
    sources: list[str]


class Readiness(Criterion):
    value: ReadinessValue


class InfrastructureValue(BaseModel):
    substation_km: float | None
    water_km: float | None
    sewage_km: float | None
    gas_km: float | None


class Infrastructure(Criterion):
    value: InfrastructureValue


class Access(Criterion):
    value: float | None = Field(description="距高速出口（公里）/ km to the nearest highway exit")


class Headroom(Criterion):
    value: float | None = Field(description="最紧的标准地指标比 / the tightest 标准地 ratio")


class Criteria(BaseModel):
    area_fit: AreaFit
    readiness: Readiness
    infrastructure: Infrastructure
    access: Access
    standard_land_headroom: Headroom


class Site(BaseModel):
    """A candidate site: one parcel, or several adjacent ones merged."""

    rank: int
    site_id: str
    parcel_ids: list[str]
    sources: list[str] = Field(description="unsupplied / idle / low_efficiency / reserve")
    area_mu: float | None
    net_area_mu: float | None
    score: float = Field(description="0–100")
    criteria: Criteria
    checks: dict[Rule, Status] = Field(description="硬性条件 / the hard rules that apply")
    explanation: str
    explanation_en: str
    geometry: Geometry | None


class Exclusion(BaseModel):
    """A near-miss: one hard rule a candidate fails."""

    parcel_id: str
    rule: Rule
    detail: str = Field(description="原因（中文，后附英文）/ why, in Chinese then English")


class MatchAnswer(BaseModel):
    """地等项目匹配结果 / the ranked sites for a project, and the nearest near-misses."""

    id: str = Field(description="GET /match/{id} 可再次取回 / fetch it again at /match/{id}")
    project: MatchProject
    as_of: str = Field(json_schema_extra={"format": "date"})
    sites: list[Site]
    excluded: list[Exclusion]
    links: list[Link]
