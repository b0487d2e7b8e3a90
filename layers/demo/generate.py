"""Build the demo county's layers (:func:`build_demo`) and write them as a workspace
(:func:`write_demo`).

The base county is drawn once from ``numpy.random.default_rng(seed)`` (land, history,
buildings, economy, in that order, so a seed gives the same county byte for byte); a county
``scale`` times larger is ``scale`` translated copies of it (:mod:`layers.demo.scale`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import date
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gis.schema import conform
from layers import catalogue
from layers.demo.economy import draw_all_buildings, make_economy, mark_extremes
from layers.demo.land import (
    ANCHOR,
    COUNTY_CODE,
    MU,
    County,
    draw_county,
    farmland_conflict,
    heritage_site,
    park_frame,
    park_outline,
)
from layers.demo.parties import Parties
from layers.demo.projects import PROJECTS
from layers.demo.scale import scale_layers
from layers.demo.timeline import AS_OF, History, approval_polygon, make_history

__all__ = ["DEMO_AS_OF", "DEMO_CRS", "DEMO_SEED", "LAYERS", "build_demo", "write_demo"]

#: the reference date the demo's dates are built around
DEMO_AS_OF: date = AS_OF
#: CGCS2000 3° Gauss-Krüger zone 40 (CM 120°E), easting with the zone prefix
DEMO_CRS = "EPSG:4528"
DEMO_SEED = 20260930
#: the layers, in writing order
LAYERS = ("zones", "parcels", "approvals", "supplies", "buildings", "enterprises", "tenancies",
          "zoning", "constraints", "infrastructure", "projects")

ZONE_ID = {"DY": "KFQ-DY", "XY": "KFQ-XY", "NY": "KFQ-NY"}


# --------------------------------------------------------------------------------------------
# zoning indicators (控规 + 标准地)
# --------------------------------------------------------------------------------------------
_NONE: dict[str, float | None] = {
    "plot_ratio_min": None, "plot_ratio_max": None, "density_min": None, "density_max": None,
    "green_max": None, "height_max_m": None, "investment_min_wan_per_mu": None,
    "tax_min_wan_per_mu": None, "output_min_wan_per_mu": None, "energy_max_tce_per_wan": None,
}


def indicators(park: str, planned: str, newer: bool) -> dict[str, float | None]:
    """Planning conditions and 标准地 indicators of a planned use in a park (newer blocks are
    stricter: the county raised its 亩均 floors when it adopted 标准地 in 2019)."""
    up = 1.0 if not newer else 1.15
    if planned.startswith("1001"):
        if park == "XY":
            return dict(_NONE, plot_ratio_min=0.8, plot_ratio_max=2.0, density_min=0.35,
                        density_max=0.6, green_max=0.2, height_max_m=50.0,
                        investment_min_wan_per_mu=round(350 * up, -1),
                        tax_min_wan_per_mu=round(22 * up), output_min_wan_per_mu=round(400 * up, -1),
                        energy_max_tce_per_wan=0.6)
        light = planned == "100101"
        return dict(_NONE, plot_ratio_min=1.2 if light else 1.0, plot_ratio_max=2.5 if light else 2.2,
                    density_min=0.4, density_max=0.65, green_max=0.15,
                    height_max_m=40.0 if light else 30.0,
                    investment_min_wan_per_mu=round((280 if light else 300) * up, -1),
                    tax_min_wan_per_mu=round(25 * up), output_min_wan_per_mu=round(450 * up, -1),
                    energy_max_tce_per_wan=0.15)
    if planned.startswith("1101"):
        return dict(_NONE, plot_ratio_min=0.8, plot_ratio_max=2.0, density_min=0.4,
                    density_max=0.6, green_max=0.15, height_max_m=36.0,
                    investment_min_wan_per_mu=round(250 * up, -1),
                    tax_min_wan_per_mu=round(15 * up))
    if planned == "070102":
        return dict(_NONE, plot_ratio_min=1.8, plot_ratio_max=2.5, density_max=0.25,
                    height_max_m=80.0)
    if planned.startswith("09"):
        return dict(_NONE, plot_ratio_min=1.5, plot_ratio_max=3.5, density_max=0.5,
                    height_max_m=60.0)
    if planned == "0802":
        return dict(_NONE, plot_ratio_min=1.2, plot_ratio_max=2.5, density_max=0.4,
                    height_max_m=45.0)
    if planned.startswith("13"):
        return dict(_NONE, plot_ratio_max=1.2, density_max=0.5, height_max_m=24.0)
    return dict(_NONE)


# --------------------------------------------------------------------------------------------
# the base county as frames (local metres; moved to EPSG:4528 at the end of _base)
# --------------------------------------------------------------------------------------------
def _parcel_ids(county: County, status: list[str]) -> list[str]:
    """宗地代码 (GB/T 37346-2019, 19 characters): county, 地籍区, 地籍子区, 特征码, 顺序号."""
    seq: dict[tuple[str, str, str], int] = {}
    out = []
    for x, lot in enumerate(county.lots):
        if lot.kind == "village":
            feature = "JC"  # 集体土地, 宅基地使用权
        elif status[x] == "collective":
            feature = "JA"  # 集体土地所有权
        elif lot.kind == "water":
            feature = "GY"
        else:
            feature = "GB"  # 国有建设用地使用权
        key = (lot.district, lot.subdistrict, feature)
        seq[key] = seq.get(key, 0) + 1
        out.append(f"{COUNTY_CODE}{lot.district}{lot.subdistrict}{feature}{seq[key]:05d}")
    return out


def _multi(geoms) -> np.ndarray:
    """Polygons as MultiPolygons (a MultiPolygon stays as it is)."""
    arr = np.asarray(list(geoms) if not isinstance(geoms, np.ndarray) else geoms, dtype=object)
    single = shapely.get_type_id(arr) == 3
    if single.any():
        arr = arr.copy()
        arr[single] = shapely.multipolygons(arr[single], indices=np.arange(single.sum()))
    return arr


def _dates(values) -> np.ndarray:
    return np.array([np.datetime64(v, "ms") if v is not None else np.datetime64("NaT", "ms")
                     for v in values], dtype="datetime64[ms]")


def _layer_frame(name: str, data: dict, geometry=None) -> pd.DataFrame:
    """A catalogue layer from columns of Python values, in canonical dtypes."""
    layer = catalogue[name]
    cols = {}
    n = len(next(iter(data.values())))
    for f in layer.fields:
        values = data.get(f.name, [None] * n)
        if f.dtype == "date":
            cols[f.name] = _dates(values)
        elif f.dtype in ("float",):
            cols[f.name] = np.array([np.nan if v is None else float(v) for v in values])
        else:
            cols[f.name] = values
    df = pd.DataFrame(cols)
    if layer.has_geometry:
        df = gpd.GeoDataFrame(df, geometry=gpd.GeoSeries(geometry, crs=DEMO_CRS), crs=DEMO_CRS)
    return conform(df, layer)


def _base(seed: int) -> tuple[dict[str, pd.DataFrame], dict[str, np.ndarray]]:
    """The base county's frames, and its parties' code parts (for scaled copies)."""
    rng = np.random.default_rng(seed)
    county = draw_county(rng)
    parties = Parties(rng)
    history = make_history(county, parties, rng)
    _place_conflicts(county, history, rng)
    mark_extremes(parties, history, rng)
    buildings = draw_all_buildings(county, parties, history, rng)
    economy = make_economy(county, parties, history, buildings, rng)
    lots = county.lots
    codes = parties.codes()
    names = [p.name for p in parties.items]
    status = history.status
    pid = _parcel_ids(county, status)
    owner = history.owner
    frames: dict[str, pd.DataFrame] = {}

    # -- zones ----------------------------------------------------------------------------------
    outlines = county.outlines
    frames["zones"] = _layer_frame("zones", {
        "zone_id": ["KFQ", *ZONE_ID.values()],
        "name": ["示范经济开发区", "示范经济开发区东园", "示范经济开发区西园", "示范经济开发区南园"],
        "level": ["provincial"] * 4,
        "parent_id": [None, "KFQ", "KFQ", "KFQ"],
        "town": [None, *(county.parks[c].town for c in ZONE_ID)],
    }, _multi([shapely.union_all(list(outlines.values())), *(outlines[c] for c in ZONE_ID)]))

    # -- parcels --------------------------------------------------------------------------------
    frames["parcels"] = _layer_frame("parcels", {
        "parcel_id": pid,
        "land_use": [lot.use for lot in lots],
        "zone_id": [ZONE_ID.get(lot.park) if lot.park else None for lot in lots],
        "name": [lot.name for lot in lots],
        "town": [lot.town for lot in lots],
        "owner_credit_code": [codes[owner[x]] if x in owner else None for x in range(len(lots))],
        "owner_name": [names[owner[x]] if x in owner else None for x in range(len(lots))],
        "status": status,
        "ready": [bool(lot.ready) and status[x] == "reserve" for x, lot in enumerate(lots)],
        "regional_assessment": [bool(lot.assessed) for lot in lots],
    }, _multi([lot.geom for lot in lots]))

    # -- approvals ------------------------------------------------------------------------------
    approvals = history.approvals
    order = sorted(approvals, key=lambda a: (a.approved_on, a.index))
    per_year: dict[tuple[int, str], int] = {}
    a_ids, a_names, a_geoms, declared = [], [], [], []
    for a in order:
        key = (a.approved_on.year, a.kind)
        per_year[key] = per_year.get(key, 0) + 1
        n = per_year[key]
        tag = "PC" if a.kind == "batch" else "DX"
        a_ids.append(f"{COUNTY_CODE}{a.approved_on.year}{tag}{n:03d}")
        if a.kind == "batch":
            a_names.append(f"示范县{a.approved_on.year}年度第{n}批次城市建设用地")
        else:
            lot = lots[a.lots[0]]
            what = {"utility": "污水处理厂工程", "rail": "铁路专用线货场工程"}.get(lot.kind, "工程")
            a_names.append(f"示范经济开发区{county.parks[lot.park].name}{what}建设用地")
        g = approval_polygon(county, a)
        a_geoms.append(g)
        declared.append(round(g.area * a.declared_factor, 2))
    frames["approvals"] = _layer_frame("approvals", {
        "approval_id": a_ids,
        "approved_on": [a.approved_on for a in order],
        "kind": [a.kind for a in order],
        "name": a_names,
        "doc_no": [a.doc_no for a in order],
        "declared_area_m2": declared,
    }, _multi(a_geoms))

    # -- supplies -------------------------------------------------------------------------------
    per_year_s: dict[int, int] = {}
    s_rows: dict[str, list] = {f.name: [] for f in catalogue["supplies"].fields}
    s_geoms = []
    for c in sorted(history.contracts, key=lambda c: (c.supplied_on, c.lot)):
        lot = lots[c.lot]
        y = c.supplied_on.year
        per_year_s[y] = per_year_s.get(y, 0) + 1
        letter = "A" if c.method == "allocation" else "B"
        area = lot.geom.area
        ratios = indicators(lot.park, lot.use, newer=y >= 2019) if c.with_ratios else _NONE
        geom = lot.geom
        if c.pylon:  # a pylon's footing left out of the contract: a small remainder inside
            p = lot.uv.representative_point()
            geom = shapely.transform(lot.uv.difference(shapely.box(p.x - 18, p.y - 18, p.x + 18,
                                                                   p.y + 18)),
                                     park_frame(county.parks[lot.park]))
        if c.overlaps is not None:  # reaches 6 m into the neighbour's contract
            geom = shapely.union_all([geom, geom.buffer(6.0, join_style="mitre").intersection(
                lots[c.overlaps].geom)])
        s_geoms.append(geom)
        row = {
            "supply_id": f"{COUNTY_CODE}{y}{letter}{per_year_s[y]:05d}",
            "supplied_on": c.supplied_on, "method": c.method, "land_use": lot.use,
            "price_wan": c.price_wan, "agreed_start": c.agreed_start,
            "agreed_completion": c.agreed_completion, "parcel_id": pid[c.lot],
            "user_credit_code": codes[c.party], "user_name": names[c.party],
            "actual_start": c.actual_start, "actual_completion": c.actual_completion,
            "developed_area_m2": None if c.developed_share is None
            else round(c.developed_share * area, 1),
            "invested_wan": None if c.invested_share is None or c.total_investment_wan is None
            else round(c.invested_share * c.total_investment_wan, 1),
            "total_investment_wan": c.total_investment_wan,
            "halted_on": c.halted_on, "delay_cause": c.delay_cause,
            "plot_ratio_min": ratios["plot_ratio_min"], "plot_ratio_max": ratios["plot_ratio_max"],
            "declared_area_m2": round(area, 2),
        }
        for k, v in row.items():
            s_rows[k].append(v)
    frames["supplies"] = _layer_frame("supplies", s_rows, _multi(s_geoms))

    # -- buildings ------------------------------------------------------------------------------
    bl = economy.buildings
    frames["buildings"] = _layer_frame("buildings", {
        "building_id": [f"{pid[b.lot]}F{b.k + 1:04d}" for b in bl],
        "floors": [b.floors for b in bl],
        "height_m": [b.height_m for b in bl],
        "storey_height_m": [b.storey_height_m for b in bl],
        "state": [b.state for b in bl],
    }, _multi([b.geom for b in bl]))

    # -- enterprises ----------------------------------------------------------------------------
    ents = economy.enterprises
    e_cols = {f.name: [] for f in catalogue["enterprises"].fields}
    for r in ents:
        p = parties.items[r.party]
        row = {"credit_code": codes[r.party], "year": r.year, "name": p.name,
               "industry_code": p.industry, **r.values}
        for k in e_cols:
            e_cols[k].append(row.get(k))
    frames["enterprises"] = _layer_frame("enterprises", e_cols, [r.point for r in ents])

    # -- tenancies ------------------------------------------------------------------------------
    ten = sorted(economy.tenancies, key=lambda t: (t.party, t.lot))
    frames["tenancies"] = _layer_frame("tenancies", {
        "credit_code": [codes[t.party] for t in ten],
        "parcel_id": [pid[t.lot] for t in ten],
        "rented_floor_m2": [t.floor_m2 for t in ten],
        "rented_land_m2": [t.land_m2 for t in ten],
    })

    # -- zoning ---------------------------------------------------------------------------------
    z_rows: dict[str, list] = {f.name: [] for f in catalogue["zoning"].fields}
    for u in county.zoning:
        ind = indicators(u.park, u.planned, newer=u.newer)
        row = {"zoning_id": u.label, "planned_use": u.planned, **ind}
        for k in z_rows:
            z_rows[k].append(row.get(k))
    frames["zoning"] = _layer_frame("zoning", z_rows, _multi([u.geom for u in county.zoning]))

    # -- constraints ----------------------------------------------------------------------------
    prefix = {"basic_farmland": "JBNT", "eco_redline": "STHX", "hv_corridor": "GYZL",
              "flood": "HLFX", "heritage": "WWBH", "geohazard": "DZZH", "other": "QT"}
    count: dict[str, int] = {}
    c_ids = []
    for c in county.constraints:
        count[c.kind] = count.get(c.kind, 0) + 1
        c_ids.append(f"{prefix[c.kind]}-{count[c.kind]:03d}")
    frames["constraints"] = _layer_frame("constraints", {
        "constraint_id": c_ids,
        "kind": [c.kind for c in county.constraints],
        "effect": [c.effect for c in county.constraints],
        "name": [c.name for c in county.constraints],
        "buffer_m": [c.buffer_m for c in county.constraints],
    }, _multi([c.geom for c in county.constraints]))

    # -- infrastructure -------------------------------------------------------------------------
    fprefix = {"substation": "BDZ", "water": "GS", "sewage": "WS", "gas": "RQ", "road": "DL",
               "highway_exit": "GSCK", "rail": "TL", "port": "GK"}
    fcount: dict[str, int] = {}
    f_ids = []
    facilities = sorted(county.facilities, key=lambda f: (list(fprefix).index(f.kind)))
    for f in facilities:
        fcount[f.kind] = fcount.get(f.kind, 0) + 1
        f_ids.append(f"{fprefix[f.kind]}-{fcount[f.kind]:03d}")
    frames["infrastructure"] = _layer_frame("infrastructure", {
        "facility_id": f_ids,
        "kind": [f.kind for f in facilities],
        "name": [f.name for f in facilities],
        "spare_kva": [f.spare_kva for f in facilities],
        "capacity": [f.capacity for f in facilities],
        "road_class": [f.road_class for f in facilities],
    }, np.array([_single_line(f.geom) for f in facilities], dtype=object))

    # -- projects -------------------------------------------------------------------------------
    frames["projects"] = _layer_frame("projects", PROJECTS)

    # -- on a 1 mm grid, then to EPSG:4528 ------------------------------------------------------
    # (vertices a hair apart in local metres would coincide at 40 million metres: snapping in
    # local metres first keeps every geometry valid, without repeated vertices, once moved)
    dx, dy = ANCHOR
    for name, df in frames.items():
        if isinstance(df, gpd.GeoDataFrame):
            geoms = shapely.set_precision(np.asarray(df.geometry.values, dtype=object), 0.001)
            moved = shapely.transform(geoms, lambda xy: xy + np.array([dx, dy]))
            if catalogue[name].geometry == "polygon":
                moved = _multi(moved)
            frames[name] = df.set_geometry(gpd.GeoSeries(moved, index=df.index, crs=DEMO_CRS))
    party_parts = {
        "code": codes,
        "head": np.array([p.head for p in parties.items]),
        "region": np.array([p.region for p in parties.items]),
        "modern": np.array([p.modern for p in parties.items]),
    }
    return frames, party_parts


def _single_line(g):
    """Roads clipped by a park outline are single lines (a convex outline keeps them whole)."""
    if g.geom_type == "MultiLineString":
        return shapely.line_merge(g) if shapely.line_merge(g).geom_type == "LineString" \
            else max(g.geoms, key=lambda part: part.length)
    return g


def _place_conflicts(county: County, history: History, rng: np.random.Generator) -> None:
    """Red lines that touch reserve land: basic farmland reaching into a reserve lot at a park
    edge, and a protected bridge inside another reserve lot."""
    lots = county.lots
    edge = []
    for x, lot in enumerate(lots):
        if history.status[x] != "reserve" or lot.kind != "industrial" or lot.park == "NY":
            continue
        outline = park_outline(county.parks[lot.park])
        if lot.uv.distance(outline.exterior) < 0.5 and lot.uv.area > 15 * MU:
            edge.append(x)
    pick = edge[int(rng.integers(len(edge)))]
    county.constraints.append(farmland_conflict(county, pick))
    inner = [x for x, lot in enumerate(lots) if history.status[x] == "reserve"
             and lot.park == "DY" and lot.kind == "industrial" and x != pick]
    county.constraints.append(heritage_site(county, inner[int(rng.integers(len(inner)))]))


# --------------------------------------------------------------------------------------------
# the API
# --------------------------------------------------------------------------------------------
def build_demo(*, scale: int = 1, seed: int = DEMO_SEED
               ) -> dict[str, gpd.GeoDataFrame | pd.DataFrame]:
    """The demo county's layers: one frame per catalogue layer, canonical names and dtypes,
    geometry in :data:`DEMO_CRS`.

    Parameters
    ----------
    scale
        ``N`` builds an N-times larger county: N copies of the base county on a compact grid
        inside zone 40, with new ids and credit codes per copy (copy 0 is the base county).
    seed
        Seed of ``numpy.random.default_rng``; the same seed gives identical frames.
    """
    if not isinstance(scale, int) or scale < 1:
        raise ValueError(f"scale 须为正整数 / scale must be a positive integer, got {scale!r}")
    base, parties = _base(seed)
    if scale == 1:
        return {name: base[name] for name in LAYERS}
    return scale_layers({name: base[name] for name in LAYERS}, parties, scale)


def write_demo(path: str | Path, *, scale: int = 1, seed: int = DEMO_SEED,
               progress: Callable[[str], None] | None = None,
               samples: str | Path | None = None) -> str | Path:
    """Build the demo county and write it as a workspace at ``path`` — a GeoPackage file or a
    ``postgresql://`` URL — replacing the workspace that is there. Returns the location. With ``samples``, also write sample
    bureau files cut from it into that folder (:mod:`layers.demo.samples`)."""
    from gis.workspace import ImportLogEntry, Workspace, is_database_url

    say = progress or (lambda _msg: None)
    if not is_database_url(str(path)):
        path = Path(path)
    say(f"生成示范县（{scale} 倍）/ building the demo county (scale {scale})")
    layers = build_demo(scale=scale, seed=seed)
    ws = Workspace.create(path, DEMO_CRS, overwrite=True)
    digest = hashlib.sha256(f"dideng demo seed={seed} scale={scale}".encode()).hexdigest()
    for name in LAYERS:
        frame = layers[name]
        say(f"写入 {catalogue[name].zh} {name}（{len(frame):,} 行）/ writing {name}")
        ws.write(name, frame, log=ImportLogEntry(
            layer=name, source=f"demo (seed {seed}, scale {scale})", sha256=digest,
            rows_read=len(frame), rows_repaired=0, rows_rejected=0, rows_written=len(frame),
        ))
    ws.set_meta("demo_as_of", DEMO_AS_OF.isoformat())
    ws.set_meta("demo_seed", str(seed))
    ws.set_meta("demo_scale", str(scale))
    if samples is not None:
        from layers.demo.samples import write_samples

        say(f"写出样例文件 / writing sample files to {samples}")
        write_samples(layers, samples)
    return path

