"""What stands on the land and what the enterprises earn on it: buildings per contract,
enterprise figures for 2024 and 2025, tenancies.

The enterprise figures are lognormal and correlated with the land (DOMAIN.md §4): a firm's
efficiency ``z`` drives both how densely its lot is built and its tax per 亩 (median about
12–15 万元/亩 across the county, from below 1 to above 60), and the other figures follow from
revenue with their own noise: tax rate, output and value added, energy intensity by industry
(chemicals in 西园 high), electricity, emissions, productivity, R&D share. ``above_scale``
is what the statistics office means by it: revenue ≥ 2000 万元.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

import numpy as np
import shapely
from shapely.geometry import Point

from layers.demo.buildings import Profile, draw_buildings
from layers.demo.land import MU, OTHER_TOWNS, County, park_frame
from layers.demo.parties import Parties
from layers.demo.timeline import History

__all__ = ["Building", "EnterpriseYear", "Tenancy", "draw_all_buildings", "make_economy",
           "mark_extremes"]


@dataclass
class Building:
    lot: int
    k: int
    geom: shapely.Geometry  # local county frame
    floors: int
    height_m: float
    storey_height_m: float
    state: str


@dataclass
class Tenancy:
    party: int
    lot: int
    floor_m2: float | None
    land_m2: float | None


@dataclass
class EnterpriseYear:
    party: int
    year: int
    values: dict[str, float | int | bool | str | None]
    point: Point | None


@dataclass
class Economy:
    buildings: list[Building]
    enterprises: list[EnterpriseYear]
    tenancies: list[Tenancy]


def _logistic(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def mark_extremes(parties: Parties, history: History, rng: np.random.Generator) -> None:
    """Three firms that barely pay tax on their land (zombies, built thin) and three stars."""
    done = sorted({c.party for c in history.contracts
                   if c.case == "completed" and parties.items[c.party].role == "owner"
                   and c.actual_completion is not None and c.actual_completion.year < 2023})
    pick = rng.choice(len(done), 6, replace=False)
    for k, j in enumerate(pick):
        p = parties.items[done[int(j)]]
        p.flag, p.z = ("zombie", -2.5) if k < 3 else ("star", 2.3)


def draw_all_buildings(county: County, parties: Parties, history: History,
                       rng: np.random.Generator) -> list[Building]:
    """Footprints for every contract whose construction has started."""
    lots = county.lots
    per_park: dict[str, list[tuple[int, int, tuple]]] = {}
    for c in history.contracts:
        lot = lots[c.lot]
        if c.actual_start is None or lot.uv is None:
            continue
        party = parties.items[c.party]
        zl = party.z + float(rng.normal(0, 0.35))
        if c.case == "completed":
            old = c.supplied_on.year <= 2009
            state = "dilapidated" if old and rng.random() < 0.35 else "built"
            if zl < -1.3:  # built thin: a shed or two on a big yard
                profile = Profile(float(rng.uniform(0.14, 0.27)), 0.0, state)
            else:
                profile = Profile(float(np.clip(0.42 + 0.09 * zl, 0.2, 0.62)),
                                  _logistic(0.9 * zl - 0.2), state)
        elif c.case == "progress":
            profile = Profile(float(np.clip(0.36 + 0.08 * zl, 0.2, 0.55)),
                              _logistic(0.9 * zl), "progress")
        else:  # stalled (type B and its near cases): a small start
            profile = Profile((c.developed_share or 0.2) * float(rng.uniform(0.45, 0.8)), 0.0,
                              "stalled")
        if lot.kind == "smallbiz":
            profile = Profile(float(rng.uniform(0.45, 0.55)), 1.0, profile.state)
        for k, fp in enumerate(draw_buildings(lot.uv, lot.kind, profile, rng)):
            per_park.setdefault(lot.park, []).append((c.lot, k, fp))
    out: list[Building] = []
    for park_code, items in per_park.items():
        park = county.parks[park_code]
        geoms = shapely.transform(np.array([fp[0] for _, _, fp in items], dtype=object),
                                  park_frame(park))
        for (x, k, (_, floors, h, s, state)), g in zip(items, geoms, strict=True):
            out.append(Building(x, k, g, floors, h, s, state))
    # nothing is built under a high-voltage line
    keep = ~shapely.intersects(np.array([b.geom for b in out], dtype=object), county.corridors)
    out = [b for b, ok in zip(out, keep, strict=True) if ok]
    out.sort(key=lambda b: (b.lot, b.k))
    return out


# --------------------------------------------------------------------------------------------
_TPM_MEDIAN = {"equipment": 14.0, "materials": 17.0, "logistics": 8.0, "light": 9.0,
               "outside": 6.0}
_TAX_RATE = {"equipment": (0.04, 0.09), "materials": (0.05, 0.10),
             "logistics": (0.05, 0.10), "light": (0.04, 0.08), "outside": (0.04, 0.08)}
_ENERGY = {"equipment": 0.06, "materials": 0.35, "logistics": 0.03, "light": 0.05,
           "outside": 0.08}  # median tce per 万元 of value added
_ELECTRIC = {"equipment": (0.6, 0.95), "materials": (0.15, 0.4), "logistics": (0.7, 0.95),
             "light": (0.6, 0.95), "outside": (0.5, 0.9)}  # electricity share of energy
_VA_PER_T = {"equipment": 3000.0, "materials": 600.0, "logistics": 8000.0, "light": 3000.0,
             "outside": 1500.0}  # median 万元 of value added per t of emissions
_PRODUCTIVITY = {"equipment": 120.0, "materials": 250.0, "logistics": 150.0, "light": 80.0,
                 "outside": 60.0}  # median revenue per employee, 万元
_KWH_PER_TCE = 8_137.0  # 1 kWh = 0.1229 kgce (calorific equivalent)

VETOES_2025 = ("2025年发生一般安全生产事故", "2025年环境违法行为受到行政处罚",
               "2025年发生较大安全生产事故", "2025年未完成节能减排目标任务",
               "2025年环境违法行为受到行政处罚", "2025年发生一般安全生产事故")
VETOES_2024 = ("2024年发生一般安全生产事故", "2024年环境违法行为受到行政处罚",
               "2024年被列入安全生产失信联合惩戒名单")


def _figures(theme: str, land_mu: float, z: float, rng: np.random.Generator,
             flag: str | None = None) -> dict:
    """One year's figures of one enterprise."""
    tpm = float(np.clip(math.exp(math.log(_TPM_MEDIAN[theme]) + 0.7 * z + rng.normal(0, 0.3)),
                        0.25, 120.0))
    if flag == "zombie":
        tpm = float(rng.uniform(0.3, 0.9))
    elif flag == "star":
        tpm = float(rng.uniform(62.0, 95.0))
    tax = tpm * land_mu
    rate = float(rng.uniform(*_TAX_RATE[theme]))
    revenue = tax / rate
    manufacturing = theme != "logistics"
    output = revenue * float(rng.uniform(0.92, 1.06)) if manufacturing else None
    va = (output if output is not None else revenue) * float(rng.uniform(0.18, 0.32))
    energy = va * float(rng.lognormal(math.log(_ENERGY[theme]), 0.5))
    kwh = energy * _KWH_PER_TCE * float(rng.uniform(*_ELECTRIC[theme]))
    emissions = va / float(rng.lognormal(math.log(_VA_PER_T[theme]), 0.6))
    employees = max(3, round(revenue / float(rng.lognormal(math.log(_PRODUCTIVITY[theme]), 0.35))))
    above = revenue >= 2000.0
    if above:
        rd_share = {"equipment": (0.015, 0.05), "materials": (0.01, 0.04),
                    "logistics": (0.0, 0.005)}.get(theme, (0.0, 0.02))
        rd = revenue * float(rng.uniform(*rd_share))
    else:
        rd = 0.0 if rng.random() < 0.4 else revenue * float(rng.uniform(0.0, 0.02))
    return {
        "tax_wan": tax, "revenue_wan": revenue, "output_wan": output, "value_added_wan": va,
        "energy_tce": energy, "electricity_kwh": kwh, "emissions_t": emissions,
        "employees": employees, "rd_wan": rd, "above_scale": above,
    }


def _grow(prev: dict, rng: np.random.Generator) -> dict:
    """Next year's figures: the same firm, a year on."""
    g = float(rng.lognormal(0.04, 0.12))
    gt = g * float(rng.lognormal(0.0, 0.06))
    out = dict(prev)
    for k in ("revenue_wan", "output_wan", "value_added_wan", "rd_wan"):
        if out[k] is not None:
            out[k] = out[k] * g
    out["tax_wan"] = prev["tax_wan"] * gt
    for k in ("energy_tce", "electricity_kwh", "emissions_t"):
        if out[k] is not None:
            out[k] = out[k] * g * float(rng.lognormal(-0.02, 0.05))
    out["employees"] = max(3, round(prev["employees"] * math.sqrt(g)))
    out["above_scale"] = out["revenue_wan"] >= 2000.0
    return out


def _round(v: dict) -> dict:
    out = {}
    for k, x in v.items():
        if isinstance(x, float):
            out[k] = round(x, 0 if k == "electricity_kwh" else 2)
        else:
            out[k] = x
    return out


def make_economy(county: County, parties: Parties, history: History,
                 buildings: list[Building], rng: np.random.Generator) -> Economy:
    lots = county.lots
    floor: dict[int, float] = {}
    for b in buildings:
        mult = 2 if b.storey_height_m > 8 else 1
        floor[b.lot] = floor.get(b.lot, 0.0) + b.geom.area * b.floors * mult

    # -- owners in production -----------------------------------------------------------------
    operating: dict[int, list[tuple[int, date]]] = {}
    for c in history.contracts:
        lot = lots[c.lot]
        party = parties.items[c.party]
        if party.role != "owner" or lot.kind not in ("industrial", "logistics") or \
                c.actual_completion is None:
            continue
        operating.setdefault(c.party, []).append((c.lot, c.actual_completion))
    rows: list[EnterpriseYear] = []

    def point_of(lot_index: int) -> Point:
        return lots[lot_index].geom.representative_point()

    prev: dict[int, dict] = {}
    for year, cutoff in ((2024, date(2024, 7, 1)), (2025, date(2025, 7, 1))):
        for pi in sorted(operating):
            own = [(x, d) for x, d in operating[pi] if d < cutoff]
            if not own:
                continue
            party = parties.items[pi]
            land_mu = sum(lots[x].geom.area for x, _ in own) / MU
            if pi in prev and len(own) == prev[pi]["_n"]:
                fig = _grow(prev[pi], rng)
            else:
                fig = _figures(party.theme or "equipment", land_mu, party.z, rng, party.flag)
            fig["_n"] = len(own)
            prev[pi] = fig
            main = max(own, key=lambda t: lots[t[0]].geom.area)[0]
            rows.append(EnterpriseYear(pi, year, {**fig, "town": lots[main].town,
                                                  "_land_m2": land_mu * MU}, point_of(main)))

    # -- tenants --------------------------------------------------------------------------------
    tenancies: list[Tenancy] = []
    done = {c.lot: c for c in history.contracts if c.case == "completed"}
    small = [x for x in done if lots[x].kind == "smallbiz"]
    hosts = [x for x in done if lots[x].kind == "industrial" and floor.get(x, 0) > 6000
             and parties.items[history.owner[x]].role == "owner"]
    yards = [x for x in done if lots[x].kind == "logistics"
             and parties.items[history.owner[x]].role == "owner"]
    tenants: list[tuple[int, int]] = []  # (party, host lot)

    def new_tenant(x: int) -> int:
        lot = lots[x]
        theme = "light" if lot.kind == "smallbiz" else \
            {"DY": "equipment", "XY": "materials", "NY": "logistics"}[lot.park]
        p = parties.enterprise("tenant", theme, lot.park, z=float(rng.normal(-0.3, 0.9)))
        tenants.append((p.idx, x))
        return p.idx

    for x in small:
        room = floor.get(x, 0.0) * 0.8
        for _ in range(int(rng.integers(6, 11))):
            want = round(float(rng.uniform(600, 3000)), -1)
            if want > room:
                break
            room -= want
            tenancies.append(Tenancy(new_tenant(x), x, want, None))
    for x in [hosts[k] for k in sorted(rng.choice(len(hosts), min(40, len(hosts)),
                                                  replace=False))]:
        for _ in range(1 if rng.random() < 0.8 else 2):
            want = round(floor[x] * float(rng.uniform(0.08, 0.25)), -1)
            tenancies.append(Tenancy(new_tenant(x), x, want, None))
    for x in [yards[k] for k in sorted(rng.choice(len(yards), min(12, len(yards)),
                                                  replace=False))]:
        want = round(lots[x].geom.area * float(rng.uniform(0.1, 0.3)), -1)
        tenancies.append(Tenancy(new_tenant(x), x, None, want))
    # a few tenants rent in a second building too
    for k in rng.choice(len(tenants), 8, replace=False):
        pi, x0 = tenants[int(k)]
        others = [h for h in hosts if h != x0]
        x = others[int(rng.integers(len(others)))]
        if any(t.party == pi and t.lot == x for t in tenancies):
            continue
        tenancies.append(Tenancy(pi, x, round(floor[x] * float(rng.uniform(0.05, 0.12)), -1),
                                 None))

    plot_ratio = {x: floor.get(x, 0.0) / lots[x].geom.area for x in done}
    tenant_land: dict[int, float] = {}
    for t in tenancies:
        m2 = t.land_m2 if t.land_m2 is not None else t.floor_m2 / max(plot_ratio[t.lot], 0.3)
        tenant_land[t.party] = tenant_land.get(t.party, 0.0) + m2
    first_host = {}
    for pi, x in tenants:
        first_host.setdefault(pi, x)
    for pi in sorted(tenant_land):
        party = parties.items[pi]
        x = first_host[pi]
        years = (2025,) if rng.random() < 0.15 else (2024, 2025)  # some moved in during 2025
        fig = None
        for year in years:
            fig = _figures(party.theme, tenant_land[pi] / MU, party.z, rng) if fig is None \
                else _grow(fig, rng)
            rows.append(EnterpriseYear(pi, year, {**fig, "town": lots[x].town}, point_of(x)))

    # -- firms outside the zone (declared land only) ---------------------------------------------
    village_works = [x for x, lot in enumerate(lots) if lot.kind == "collective_industry"]
    for k in range(150):
        p = parties.enterprise("outside", "outside", None)
        land_m2 = float(np.clip(rng.lognormal(math.log(7.0), 0.7), 1.5, 60.0)) * MU
        if village_works and rng.random() < 0.85:
            x = village_works[k % len(village_works)]
            point, town = point_of(x), lots[x].town
        else:
            point, town = None, OTHER_TOWNS[k % len(OTHER_TOWNS)][0]
        fig = None
        for year in (2024, 2025):
            fig = _figures("outside", land_m2 / MU, p.z, rng) if fig is None else _grow(fig, rng)
            rows.append(EnterpriseYear(p.idx, year, {**fig, "town": town,
                                                     "land_area_m2": round(land_m2, 1)}, point))

    # -- declared land, missing emissions, vetoes -------------------------------------------------
    for r in rows:
        owned = r.values.pop("_land_m2", None)
        r.values.pop("_n", None)
        if owned is not None and "land_area_m2" not in r.values and rng.random() < 0.3:
            r.values["land_area_m2"] = round(owned * float(rng.uniform(0.97, 1.03)), 1)
    missing = rng.random(len(rows)) < 0.04
    for r, m in zip(rows, missing, strict=True):
        if m:
            r.values["emissions_t"] = None
    above_2025 = [k for k, r in enumerate(rows) if r.year == 2025 and r.values["above_scale"]]
    other_2025 = [k for k, r in enumerate(rows) if r.year == 2025 and not r.values["above_scale"]]
    for k, text in zip(list(rng.choice(above_2025, 4, replace=False)) +
                       list(rng.choice(other_2025, 2, replace=False)), VETOES_2025, strict=True):
        rows[int(k)].values["veto"] = text
    rows_2024 = [k for k, r in enumerate(rows) if r.year == 2024]
    for k, text in zip(rng.choice(rows_2024, 3, replace=False), VETOES_2024, strict=True):
        rows[int(k)].values["veto"] = text
    for r in rows:
        r.values = _round(r.values)
    rows.sort(key=lambda r: (r.party, r.year))
    return Economy(buildings, rows, tenancies)
