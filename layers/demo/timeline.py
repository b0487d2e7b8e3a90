"""The demo county's history up to :data:`DEMO_AS_OF`: approvals (批次) with their dates and
fates, the status of every lot, and the supply contracts (供地) with their construction facts.

The cases the clean-ups must find are placed on purpose, relative to ``DEMO_AS_OF``, on lots
whose approval allows the dates (DOMAIN.md §1, issue 3):

============  ===================================================================  =====
case          facts                                                                count
============  ===================================================================  =====
A_on          not started; agreed start exactly one year before as_of (idle today)  1
A_edge_watch  not started; first anniversary of the agreed start is tomorrow        1
watch_A       not started; first anniversary within the next 90 days                4
A_1y          not started; 1–2 years past the agreed start; enterprise cause       6
A_2y          not started; ≥ 2 years past the agreed start; enterprise cause       5
A_gov         not started; ≥ 1 year past; government cause                         4
A_unknown     not started; ≥ 1 year past; cause not recorded                       2
due_later     not started; first anniversary 100–200 days after as_of              3
B_idle        started, halted ≥ 1 year, developed < 1/3 or invested < 25%          5
              (3 enterprise, 1 government, 1 unrecorded cause)
B_recent      started, halted < 1 year ago (anniversary > 90 days away)            2
B_watch       started, halted; first anniversary of the halt within 90 days        1
B_ok          halted ≥ 1 year but developed ≥ 1/3 and invested ≥ 25%: not idle     2
============  ===================================================================  =====

Every other contract follows its dates: completed, in progress, or not yet due.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import shapely

from layers.demo.land import MU, County, Lot
from layers.demo.parties import Parties, Party

__all__ = ["AS_OF", "Approval", "Contract", "History", "add_years", "make_history"]

AS_OF = date(2026, 9, 30)

#: special cases: (name, count, cause(s) in order)
CASES: tuple[tuple[str, int, tuple[str | None, ...]], ...] = (
    ("A_on", 1, ("enterprise",)),
    ("A_edge_watch", 1, (None,)),
    ("watch_A", 4, (None,)),
    ("A_1y", 6, ("enterprise",)),
    ("A_2y", 5, ("enterprise",)),
    ("A_gov", 4, ("government",)),
    ("A_unknown", 2, (None,)),
    ("due_later", 3, (None,)),
    ("B_idle", 5, ("enterprise", "enterprise", "government", None, "enterprise")),
    ("B_recent", 2, (None,)),
    ("B_watch", 1, (None,)),
    ("B_ok", 2, ("enterprise",)),
)


def add_years(d: date, n: int) -> date:
    """The same day ``n`` years later (29 February → 28 February)."""
    try:
        return d.replace(year=d.year + n)
    except ValueError:
        return d.replace(year=d.year + n, day=28)


def _day(rng: np.random.Generator, lo: date, hi: date) -> date:
    """A day uniformly in [lo, hi]."""
    span = (hi - lo).days
    return lo + timedelta(days=int(rng.integers(0, max(span, 0) + 1)))


@dataclass
class Approval:
    index: int
    kind: str
    park: str
    approved_on: date
    fate: str  # full, partial, none
    lots: list[int]  # lots inside the approval polygon
    roads: list[int]
    hole: int | None
    doc_no: str = ""
    grow_m: float = 0.0  # the polygon drawn a little larger than its lots (slivers)
    declared_factor: float = 1.0


@dataclass
class Contract:
    lot: int
    party: int
    case: str  # special case, or completed / progress / pending
    supplied_on: date
    method: str
    price_wan: float
    agreed_start: date
    agreed_completion: date
    actual_start: date | None = None
    actual_completion: date | None = None
    halted_on: date | None = None
    developed_share: float | None = None
    invested_share: float | None = None
    total_investment_wan: float | None = None
    delay_cause: str | None = None
    overlaps: int | None = None  # lot whose edge this contract's polygon reaches into
    pylon: bool = False  # the contract left a pylon's footing out (a small remainder inside)
    with_ratios: bool = True


@dataclass
class History:
    approvals: list[Approval]
    status: list[str]  # per lot: supplied, reserve, collective, other
    contracts: list[Contract]
    owner: dict[int, int]  # lot -> party


# --------------------------------------------------------------------------------------------
def _approval_dates(county: County, rng: np.random.Generator) -> list[date]:
    """Approval dates: each park's batches in development order over 2014–2025; single-site
    approvals (sewage plant, rail yard) 2015–2021."""
    out: list[date | None] = [None] * len(county.batches)
    for park in county.parks:
        idx = [k for k, b in enumerate(county.batches) if b.park == park and b.kind == "batch"]
        idx.sort(key=lambda k: county.batches[k].rank)
        for pos, k in enumerate(idx):
            year = 2014 + min(11, int(12 * pos / len(idx)))
            out[k] = _day(rng, date(year, 1, 10), date(year, 12, 20))
    for k, b in enumerate(county.batches):
        if b.kind == "single":
            out[k] = _day(rng, date(2015, 3, 1), date(2021, 10, 31))
    return out  # type: ignore[return-value]


def _fates(approvals: list[Approval], rng: np.random.Generator) -> None:
    """Full / partial / none, by age; a few of each are guaranteed."""
    for a in approvals:
        if a.kind == "single":
            a.fate = "full"
            continue
        age = (AS_OF - a.approved_on).days / 365.25
        r = rng.random()
        if age >= 6:
            a.fate = "full" if r < 0.45 else "partial" if r < 0.93 else "none"
        elif age >= 2:
            a.fate = "full" if r < 0.15 else "partial" if r < 0.8 else "none"
        else:
            a.fate = "partial" if r < 0.45 else "none"
    batches = [a for a in approvals if a.kind == "batch"]
    old = [a for a in batches if (AS_OF - a.approved_on).days > 3 * 365]
    recent = [a for a in batches if (AS_OF - a.approved_on).days < 2 * 365 - 30]

    def ensure(pool: list[Approval], fate: str, n: int) -> None:
        have = [a for a in pool if a.fate == fate]
        others = [a for a in pool if a.fate != fate]
        for a in others[: max(0, n - len(have))]:
            a.fate = fate

    ensure(old[len(old) // 3:], "none", 3)  # lapsed: nothing supplied for years
    ensure(old[: len(old) // 2], "full", 4)
    ensure(recent, "none", 1)
    ensure(old, "partial", 6)


def _earliest(a: Approval | None) -> date:
    return date(2005, 6, 1) if a is None else a.approved_on + timedelta(days=45)


def _case_window(case: str, rng: np.random.Generator) -> date:
    """The agreed start date of a special case."""
    y1 = add_years(AS_OF, -1)
    if case == "A_on":
        return y1  # first anniversary is as_of itself
    if case == "A_edge_watch":
        return y1 + timedelta(days=1)  # idle tomorrow
    if case == "watch_A":
        return _day(rng, y1 + timedelta(days=10), y1 + timedelta(days=85))
    if case == "due_later":
        return _day(rng, y1 + timedelta(days=100), y1 + timedelta(days=200))
    if case == "A_1y":
        return _day(rng, add_years(AS_OF, -2) + timedelta(days=20), y1 - timedelta(days=20))
    if case == "A_2y":
        return _day(rng, add_years(AS_OF, -6), add_years(AS_OF, -2) - timedelta(days=20))
    if case in ("A_gov", "A_unknown"):
        return _day(rng, add_years(AS_OF, -4), y1 - timedelta(days=30))
    if case in ("B_idle", "B_ok"):
        return _day(rng, add_years(AS_OF, -7), add_years(AS_OF, -4))
    # B_recent, B_watch
    return _day(rng, add_years(AS_OF, -5), add_years(AS_OF, -3))


def _price_per_mu(kind: str, year: int, rng: np.random.Generator) -> float:
    """Land price (万元/亩): industrial land ~12 (2006) rising to ~35 (2025)."""
    base = 12.0 + 1.2 * (year - 2006)
    f = float(rng.uniform(0.85, 1.2))
    return {
        "industrial": base * f, "smallbiz": base * f, "logistics": base * 1.15 * f,
        "commercial": float(rng.uniform(150, 350)), "residential": float(rng.uniform(350, 900)),
        "research": float(rng.uniform(40, 80)),
    }.get(kind, float(rng.uniform(3, 8)))


def _intensity(kind: str, year: int, rng: np.random.Generator) -> float:
    """Fixed-asset investment per 亩 (万元/亩) agreed in the contract."""
    base = 180.0 + 12.0 * (year - 2006)
    return {
        "industrial": base, "smallbiz": base * 1.2, "logistics": base * 0.7,
        "commercial": 900.0, "residential": 1600.0, "research": 500.0,
    }.get(kind, 150.0) * float(rng.uniform(0.8, 1.25))


# --------------------------------------------------------------------------------------------
def make_history(county: County, parties: Parties, rng: np.random.Generator) -> History:
    lots = county.lots
    dates = _approval_dates(county, rng)
    approvals = [
        Approval(k, b.kind, b.park, dates[k], "", list(b.lots), list(b.roads), b.hole)
        for k, b in enumerate(county.batches)
    ]
    _fates(approvals, rng)
    lot_approval: dict[int, Approval] = {}
    for a in approvals:
        for x in a.lots + a.roads:
            lot_approval[x] = a

    # -- statuses ---------------------------------------------------------------------------
    status = ["other"] * len(lots)
    buildable = ("industrial", "logistics", "smallbiz", "commercial", "residential", "research")
    for x, lot in enumerate(lots):
        a = lot_approval.get(x)
        if lot.kind in ("farmland", "village", "forest", "pond", "collective_industry"):
            status[x] = "collective"
        elif lot.kind in ("utility", "rail"):
            status[x] = "supplied"
        elif lot.kind not in buildable:
            status[x] = "other"
        elif lot.phase == "old":
            p = {"industrial": 0.9, "logistics": 0.85, "smallbiz": 1.0, "research": 1.0,
                 "residential": 0.8, "commercial": 0.75}[lot.kind]
            status[x] = "supplied" if rng.random() < p else "reserve"
        elif a is not None:
            status[x] = {"full": "supplied", "none": "reserve"}.get(a.fate, "partial")
    for a in approvals:
        if a.fate != "partial":
            continue
        members = [x for x in a.lots if status[x] == "partial"]
        share = float(rng.uniform(0.35, 0.8))
        pick = rng.random(len(members)) < share
        if members and not pick.any():
            pick[0] = True
        if len(members) > 1 and pick.all():
            pick[-1] = False
        for x, p in zip(members, pick, strict=True):
            status[x] = "supplied" if p else "reserve"
    for a in approvals:
        if a.fate == "full" and a.kind == "batch":  # drawn around its supplied lots only
            a.lots = [x for x in a.lots if status[x] == "supplied"]
            a.roads = []
        elif a.fate == "none":  # utility sites inside were approved on their own
            a.lots = [x for x in a.lots if lots[x].kind != "utility"]
    # surveyed lines: two batches drawn a few metres wider than their lots (narrow remainders),
    # two whose declared area is off by more than 1 %
    partial = [a for a in approvals if a.fate == "partial"]
    pick = rng.choice(len(partial), 2, replace=False)
    partial[int(pick[0])].grow_m, partial[int(pick[1])].grow_m = 2.5, 4.0
    batches = [a for a in approvals if a.kind == "batch"]
    pick = rng.choice(len(batches), 2, replace=False)
    batches[int(pick[0])].declared_factor = 1.025
    batches[int(pick[1])].declared_factor = 0.968
    for x, lot in enumerate(lots):
        if status[x] == "reserve":
            a = lot_approval.get(x)
            fresh = a is not None and (AS_OF - a.approved_on).days < 400
            lot.ready = bool(rng.random() < (0.2 if fresh else 0.6))
        lot.assessed = lot.assessed and lot.park is not None

    # -- default supply dates ---------------------------------------------------------------
    supplied = [x for x in range(len(lots)) if status[x] == "supplied"]
    earliest = {x: _earliest(lot_approval.get(x)) for x in supplied}
    default_on: dict[int, date] = {}
    for x in supplied:
        lot = lots[x]
        a = lot_approval.get(x)
        if a is None:  # approved before 2014: supplied 2006–2015 in development order
            blk = county.blocks.get((lot.park, *lot.block)) if lot.block else None
            rank = min(1.0, max(0.0, (blk.rank + 0.6) / 1.4)) if blk else 0.5
            year = 2006 + rank * 8.5 + rng.normal(0, 0.8)
            year = min(max(year, 2005.6), 2015.5)
            default_on[x] = date(int(year), 1, 1) + timedelta(days=int((year % 1) * 365))
        else:
            lag = timedelta(days=int(45 + rng.lognormal(math.log(300), 0.6)))
            default_on[x] = min(a.approved_on + lag, AS_OF - timedelta(days=20))

    # -- owners and special cases -----------------------------------------------------------
    contracts: dict[int, Contract] = {}
    candidates = [x for x in supplied if lots[x].kind in ("industrial", "logistics")]
    order = [candidates[k] for k in rng.permutation(len(candidates))]
    taken: set[int] = set()
    special: dict[int, tuple[str, date, str | None]] = {}
    for case, count, causes in CASES:
        for n in range(count):
            start = _case_window(case, rng)
            for x in order:
                if x in taken or earliest[x] > start - timedelta(days=90):
                    continue
                taken.add(x)
                special[x] = (case, start, causes[n % len(causes)])
                break

    owner: dict[int, int] = {}
    plat = parties.fixed("platform", "示范县产业发展集团有限公司", "platform")
    utilities = {
        "substation": parties.fixed("grid", "国网浙江省电力有限公司示范县供电公司", "utility"),
        "water": parties.fixed("water", "示范县水务集团有限公司", "utility"),
        "sewage": parties.fixed("water", "示范县水务集团有限公司", "utility"),
        "gas": parties.fixed("gas", "示范县天然气有限公司", "utility"),
        "fire": parties.fixed("fire", "示范县消防救援大队", "agency", head="11"),
        "sanitation": parties.fixed("sanitation", "示范县环境卫生管理处", "institution", head="12"),
        "telecom": parties.fixed("telecom", "中国电信股份有限公司示范分公司", "utility"),
        "parking": parties.fixed("parking", "示范县城市建设投资集团有限公司", "utility"),
        "bus": parties.fixed("bus", "示范县公共交通有限公司", "utility"),
    }
    rail = parties.fixed("rail", "示范铁路物流有限公司", "utility")
    institute = parties.fixed("institute", "示范县智能制造研究院", "institution", head="12")

    def supply_date(x: int) -> date:
        if x in special:
            _case, start, _cause = special[x]
            lo = max(earliest[x], start - timedelta(days=365))
            return _day(rng, lo, start - timedelta(days=90))
        return default_on[x]

    by_date = sorted(supplied, key=lambda x: (default_on[x] if x not in special
                                              else special[x][1], x))
    on = {x: supply_date(x) for x in by_date}
    by_date.sort(key=lambda x: (on[x], x))
    theme_of = {"DY": "equipment", "XY": "materials", "NY": "logistics"}
    park_owners: dict[str, list[Party]] = {"DY": [], "XY": [], "NY": []}
    developers: list[Party] = []
    for x in by_date:
        lot = lots[x]
        if lot.kind in ("industrial", "logistics"):
            pool = park_owners[lot.park]
            if pool and rng.random() < 0.25:
                party = pool[int(rng.integers(len(pool)))]  # an expansion of a firm already here
            else:
                theme = theme_of[lot.park] if lot.use != "100101" or lot.park == "DY" else "light"
                party = parties.enterprise("owner", theme, lot.park,
                                           founded_after_2015=on[x].year >= 2015 and
                                           bool(rng.random() < 0.8))
                pool.append(party)
        elif lot.kind == "smallbiz":
            party = plat
        elif lot.kind == "utility":
            party = utilities[lot.utility or "fire"]
        elif lot.kind == "rail":
            party = rail
        elif lot.kind == "research":
            party = institute if rng.random() < 0.6 else parties.enterprise(
                "owner", "equipment", lot.park)
        else:  # commercial, residential
            if developers and rng.random() < 0.3:
                party = developers[int(rng.integers(len(developers)))]
            else:
                party = parties.developer()
                developers.append(party)
        owner[x] = party.idx

    # -- contracts --------------------------------------------------------------------------
    lease_left, capital_left = 3, 1
    for x in by_date:
        lot = lots[x]
        area_mu = lot.geom.area / MU
        s_on = on[x]
        kind = lot.kind
        method = "transfer"
        if kind in ("utility", "rail") or (kind == "research" and owner[x] == institute.idx):
            method = "allocation"
        elif kind == "smallbiz" and capital_left:
            method, capital_left = "capital", capital_left - 1
        elif kind == "industrial" and s_on.year >= 2019 and x not in special and lease_left \
                and rng.random() < 0.05:
            method, lease_left = "lease", lease_left - 1
        price = round(area_mu * _price_per_mu(kind if method != "allocation" else "allocation",
                                              s_on.year, rng), 2)
        if x in special:
            case, a_start, cause = special[x]
        else:
            case, cause = "", None
            a_start = s_on + timedelta(days=int(rng.integers(90, 366)))
        a_done = a_start + timedelta(days=int(rng.integers(730, 1096)))
        total = round(area_mu * _intensity(kind, s_on.year, rng), 1)
        c = Contract(x, owner[x], case, s_on, method, price, a_start, a_done,
                     total_investment_wan=total, delay_cause=cause,
                     with_ratios=s_on.year >= 2012 or rng.random() < 0.5)
        _construction(c, rng)
        if kind == "utility" or kind == "rail":
            c.total_investment_wan = round(area_mu * float(rng.uniform(150, 400)), 1)
        contracts[x] = c

    # old completed contracts often lack investment figures in the ledger
    for c in contracts.values():
        if c.case == "completed" and c.supplied_on.year < 2012 and rng.random() < 0.35:
            c.invested_share = None
            c.total_investment_wan = None

    # two contracts whose polygon reaches a few metres into the neighbour's (overlapping supplies)
    done = [x for x in by_date if contracts[x].case == "completed" and lots[x].kind == "industrial"]
    picked = 0
    for x in done[len(done) // 3:]:
        if picked == 2:
            break
        for y in done:
            if y != x and lots[y].block == lots[x].block and lots[y].park == lots[x].park and \
                    lots[x].geom.touches(lots[y].geom) and \
                    lots[x].geom.intersection(lots[y].geom).length > 50 and \
                    contracts[y].overlaps is None:
                contracts[x].overlaps = y
                picked += 1
                break

    # two contracts in partially supplied batches that left a pylon's footing out
    partial_lots = {x for a in approvals if a.fate == "partial" for x in a.lots}
    inside = [x for x in done if x in partial_lots and contracts[x].overlaps is None]
    for k in rng.choice(len(inside), 2, replace=False):
        contracts[inside[int(k)]].pylon = True

    for a in approvals:
        _doc_no(a, rng)
    return History(approvals, status, [contracts[x] for x in by_date], owner)


def _construction(c: Contract, rng: np.random.Generator) -> None:
    """Fill in the construction facts of a contract from its case or from its dates."""
    case = c.case
    if case.startswith("A_") or case in ("watch_A", "due_later"):
        c.developed_share, c.invested_share = 0.0, 0.0
        return
    if case.startswith("B_"):
        c.actual_start = c.agreed_start + timedelta(days=int(rng.integers(0, 90)))
        if case == "B_idle":
            c.halted_on = _day(rng, max(c.actual_start + timedelta(days=180),
                                        add_years(AS_OF, -3)),
                               add_years(AS_OF, -1) - timedelta(days=20))
            c.developed_share = float(rng.uniform(0.06, 0.28))
            # one of them invested more than 25%: idle by the area test alone
            c.invested_share = float(rng.uniform(0.05, 0.22) if rng.random() < 0.7
                                     else rng.uniform(0.3, 0.4))
        elif case == "B_ok":
            c.halted_on = _day(rng, add_years(AS_OF, -3), add_years(AS_OF, -1) - timedelta(days=20))
            c.developed_share = float(rng.uniform(0.4, 0.6))
            c.invested_share = float(rng.uniform(0.3, 0.5))
        elif case == "B_watch":
            c.halted_on = add_years(AS_OF, -1) + timedelta(days=45)
            c.developed_share = float(rng.uniform(0.1, 0.25))
            c.invested_share = float(rng.uniform(0.08, 0.2))
        else:  # B_recent
            c.halted_on = AS_OF - timedelta(days=int(rng.integers(120, 270)))
            c.developed_share = float(rng.uniform(0.1, 0.25))
            c.invested_share = float(rng.uniform(0.08, 0.2))
        return
    start = c.agreed_start + timedelta(days=int(rng.integers(-45, 151)))
    if start > AS_OF:
        c.case = "pending"
        c.developed_share, c.invested_share = 0.0, 0.0
        return
    c.actual_start = max(start, c.supplied_on + timedelta(days=30))
    done = c.actual_start + timedelta(days=int(365 * float(np.clip(rng.lognormal(0.55, 0.3),
                                                                    1.0, 3.5))))
    if done <= AS_OF:
        c.case = "completed"
        c.actual_completion = done
        c.developed_share = float(rng.uniform(0.9, 1.0))
        c.invested_share = float(rng.uniform(0.95, 1.3))
    else:
        c.case = "progress"
        c.developed_share = float(rng.uniform(0.35, 0.9))
        c.invested_share = float(rng.uniform(0.3, 0.85))


def _doc_no(a: Approval, rng: np.random.Generator) -> None:
    """批准文号: the province's approval of a batch, or of a single-site project."""
    y = a.approved_on.year
    if a.kind == "batch":
        a.doc_no = f"浙政土字〔{y}〕{int(rng.integers(20, 400))}号"
    else:
        a.doc_no = f"浙土资字〔{y}〕{int(rng.integers(10, 200))}号" if y < 2019 else \
            f"浙自然资字〔{y}〕{int(rng.integers(10, 200))}号"


def approval_polygon(county: County, a: Approval) -> shapely.Geometry:
    """The approval's polygon: the union of its lots and roads, less the plot left inside,
    sometimes drawn a few metres larger than the lots (a surveyed line, not the cadastre)."""
    lots: list[Lot] = county.lots
    geom = shapely.union_all([lots[x].geom for x in a.lots + a.roads])
    if a.grow_m:
        geom = geom.buffer(a.grow_m, join_style="mitre")
    if a.hole is not None:
        geom = geom.difference(lots[a.hole].geom)
    return geom
