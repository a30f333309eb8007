"""Tiny scenarios built by hand for the optimiser's tests."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np

from nsatu.planner.scenario import (
    Courses,
    Families,
    Hubs,
    Items,
    Nations,
    Offers,
    Requirements,
    Routes,
    Scenario,
)

START = dt.date(2025, 1, 6)


def week(n: int, day: int = 0) -> dt.date:
    """The date `day` days into week `n`."""
    return START + dt.timedelta(days=7 * n + day)


@dataclass
class ScenarioBuilder:
    """Collects rows and turns them into a `Scenario`; references are by code."""

    horizon: int = 10
    half_life: float = 8.0
    default_family_cost: float = 4.0
    nations: list[str] = field(default_factory=lambda: ["UKR", "DEU", "FRA", "POL", "USA"])
    families: list[tuple[str, str, bool, float | None, float, float]] = field(default_factory=list)
    items: list[tuple[str, str, bool, float]] = field(default_factory=list)
    requirements: list[tuple[str, str, float, int, int, list[str]]] = field(default_factory=list)
    offers: list[tuple[str, str, str, float, int, str | None, bool]] = field(default_factory=list)
    hubs: list[tuple[str, float]] = field(default_factory=list)
    routes: list[tuple[str, str, int]] = field(default_factory=list)
    courses: list[tuple[str, str, float, int, int]] = field(default_factory=list)

    def family(
        self,
        code: str,
        capability: str,
        *,
        in_service: bool = True,
        cost: float | None = None,
        crew: float = 0.0,
        existing: float = 0.0,
    ) -> ScenarioBuilder:
        self.families.append((code, capability, in_service, cost, crew, existing))
        return self

    def item(self, code: str, family: str, *, each: bool = True, mass: float = 1.0) -> ScenarioBuilder:
        self.items.append((code, family, each, mass))
        return self

    def requirement(
        self,
        rid: str,
        capability: str,
        quantity: float,
        *,
        priority: int = 3,
        due: int = 5,
        accepts: list[str] | None = None,
    ) -> ScenarioBuilder:
        self.requirements.append((rid, capability, quantity, priority, due, accepts or []))
        return self

    def offer(
        self,
        oid: str,
        donor: str,
        item: str,
        quantity: float,
        *,
        available: int = 0,
        earmark: str | None = None,
        withdrawn: bool = False,
    ) -> ScenarioBuilder:
        """`available` is a week number (the offer is available on its first day)."""
        self.offers.append((oid, donor, item, quantity, available, earmark, withdrawn))
        return self

    def hub(self, code: str, capacity: float = 1e6) -> ScenarioBuilder:
        self.hubs.append((code, capacity))
        return self

    def route(self, donor: str, hub: str, lead_days: int = 7) -> ScenarioBuilder:
        self.routes.append((donor, hub, lead_days))
        return self

    def course(self, cid: str, family: str, seats: float, *, start: int, duration: int) -> ScenarioBuilder:
        self.courses.append((cid, family, seats, start, duration))
        return self

    def build(self) -> Scenario:
        nat = {c: i for i, c in enumerate(self.nations)}
        caps = sorted({f[1] for f in self.families} | {r[1] for r in self.requirements})
        cap = {c: i for i, c in enumerate(caps)}
        fam = {f[0]: i for i, f in enumerate(self.families)}
        itm = {it[0]: i for i, it in enumerate(self.items)}
        req = {r[0]: i for i, r in enumerate(self.requirements)}
        hub = {h[0]: i for i, h in enumerate(self.hubs)}
        fam_cap = np.array([cap[f[1]] for f in self.families], dtype=np.int64)
        ok = np.zeros((len(self.requirements), len(self.families)), bool)
        for r, (_, c, _, _, _, accepts) in enumerate(self.requirements):
            ok[r] = fam_cap == cap[c]
            if accepts:
                ok[r] &= np.isin(np.arange(len(self.families)), [fam[a] for a in accepts])
        return Scenario(
            start_date=START,
            horizon_weeks=self.horizon,
            recipient="UKR",
            lateness_half_life_weeks=self.half_life,
            default_family_cost=self.default_family_cost,
            capability_codes=caps,
            nations=Nations(
                codes=list(self.nations),
                names=list(self.nations),
                nato=np.ones(len(self.nations), bool),
                eu=np.ones(len(self.nations), bool),
            ),
            families=Families(
                codes=[f[0] for f in self.families],
                names=[f[0] for f in self.families],
                capability=fam_cap,
                in_service=np.array([f[2] for f in self.families], bool),
                cost=np.array(
                    [self.default_family_cost if f[3] is None else f[3] for f in self.families],
                    dtype=np.float64,
                ),
                cost_given=np.array([f[3] is not None for f in self.families], bool),
                crew_per_unit=np.array([f[4] for f in self.families], dtype=np.float64),
                existing_crews=np.array([f[5] for f in self.families], dtype=np.float64),
            ),
            items=Items(
                codes=[i[0] for i in self.items],
                names=[i[0] for i in self.items],
                family=np.array([fam[i[1]] for i in self.items], dtype=np.int64),
                unit=["each" if i[2] else "t" for i in self.items],
                is_each=np.array([i[2] for i in self.items], bool),
                mass_t=np.array([i[3] for i in self.items], dtype=np.float64),
                nsn=["" for _ in self.items],
            ),
            requirements=Requirements(
                ids=[r[0] for r in self.requirements],
                capability=np.array([cap[r[1]] for r in self.requirements], dtype=np.int64),
                quantity=np.array([r[2] for r in self.requirements], dtype=np.float64),
                priority=np.array([r[3] for r in self.requirements], dtype=np.int64),
                needed_by=[week(r[4]) for r in self.requirements],
                accepts=[list(r[5]) for r in self.requirements],
                family_ok=ok,
            ),
            offers=Offers(
                ids=[o[0] for o in self.offers],
                donor=np.array([nat[o[1]] for o in self.offers], dtype=np.int64),
                item=np.array([itm[o[2]] for o in self.offers], dtype=np.int64),
                quantity=np.array([o[3] for o in self.offers], dtype=np.float64),
                available_from=[week(o[4]) for o in self.offers],
                earmark=np.array([-1 if o[5] is None else req[o[5]] for o in self.offers], dtype=np.int64),
                withdrawn=np.array([o[6] for o in self.offers], bool),
            ),
            hubs=Hubs(
                codes=[h[0] for h in self.hubs],
                names=[h[0] for h in self.hubs],
                iso3=["POL" for _ in self.hubs],
                capacity_t=np.array([h[1] for h in self.hubs], dtype=np.float64),
            ),
            routes=Routes(
                donor=np.array([nat[r[0]] for r in self.routes], dtype=np.int64),
                hub=np.array([hub[r[1]] for r in self.routes], dtype=np.int64),
                lead_days=np.array([r[2] for r in self.routes], dtype=np.int64),
            ),
            courses=Courses(
                ids=[c[0] for c in self.courses],
                family=np.array([fam[c[1]] for c in self.courses], dtype=np.int64),
                host=["DEU" for _ in self.courses],
                seats=np.array([c[2] for c in self.courses], dtype=np.float64),
                start=[week(c[3]) for c in self.courses],
                duration_weeks=np.array([c[4] for c in self.courses], dtype=np.int64),
            ),
        )


def random_scenario(
    seed: int,
    *,
    requirements: int = 12,
    offers: int = 30,
    horizon: int = 12,
    hubs: int = 2,
    mixed: bool = False,
    hub_scale: float = 1.0,
) -> Scenario:
    """A small random scenario with every rule in play (for property tests and development).

    ``mixed`` gives the crewed families MIR and CAE a second item type counted in tonnes
    (spares: rule 7 counts their units too); ``hub_scale`` multiplies hub capacities (below 1:
    hubs bind)."""
    rng = np.random.default_rng(seed)
    b = ScenarioBuilder(horizon=horizon)
    caps = ["AIR", "ART", "AMMO"]
    b.family("F16", "AIR", in_service=True, crew=1.0, existing=2.0)
    b.family("MIR", "AIR", in_service=False, cost=float(rng.uniform(0.5, 6)), crew=1.0)
    b.family("M777", "ART", in_service=True, crew=2.0, existing=4.0)
    b.family("CAE", "ART", in_service=False, crew=1.5)
    b.family("A155", "AMMO", in_service=True)
    b.family("A152", "AMMO", in_service=False, cost=2.0)
    b.item("f16", "F16", mass=20).item("mir", "MIR", mass=15).item("m777", "M777", mass=4)
    b.item("cae", "CAE", mass=6).item("s155", "A155", each=False, mass=0.05)
    b.item("s152", "A152", each=False, mass=0.05)
    fams = {"AIR": ["F16", "MIR"], "ART": ["M777", "CAE"], "AMMO": ["A155", "A152"]}
    items = {"AIR": ["f16", "mir"], "ART": ["m777", "cae"], "AMMO": ["s155", "s152"]}
    if mixed:
        b.item("mir-sp", "MIR", each=False, mass=0.5).item("cae-sp", "CAE", each=False, mass=0.5)
        items["AIR"].append("mir-sp")
        items["ART"].append("cae-sp")
    for i in range(requirements):
        c = caps[int(rng.integers(3))]
        q = float(rng.integers(1, 6)) if c != "AMMO" else float(rng.integers(100, 2000))
        accepts = [fams[c][0]] if rng.random() < 0.2 else []
        b.requirement(
            f"r{i}",
            c,
            q,
            priority=int(rng.integers(1, 6)),
            due=int(rng.integers(0, horizon)),
            accepts=accepts,
        )
    for h in range(hubs):
        b.hub(f"H{h}", float(rng.uniform(20, 80)) * hub_scale)
    donors = b.nations[1:]
    for d in donors:
        for h in range(hubs):
            if rng.random() < 0.7:
                b.route(d, f"H{h}", int(rng.integers(0, 30)))
    for i in range(offers):
        c = caps[int(rng.integers(3))]
        item = items[c][int(rng.integers(len(items[c])))]
        q = float(rng.integers(1, 5)) if c != "AMMO" else float(rng.integers(50, 1500))
        if item.endswith("-sp"):
            q = round(float(rng.uniform(0.5, 4.0)), 1)  # spares: a real quantity
        earmark = None
        if rng.random() < 0.1 and requirements:
            same = [r[0] for r in b.requirements if r[1] == c]
            earmark = same[int(rng.integers(len(same)))] if same else None
        b.offer(
            f"o{i}",
            donors[int(rng.integers(len(donors)))],
            item,
            q,
            available=int(rng.integers(0, horizon)),
            earmark=earmark,
            withdrawn=bool(rng.random() < 0.05),
        )
    for j, f in enumerate(["F16", "MIR", "M777", "CAE"]):
        b.course(f"c{j}", f, float(rng.integers(1, 6)), start=int(rng.integers(0, horizon)), duration=2)
    return b.build()


def violations(s: Scenario, plan: object) -> list[str]:
    """The eight FORMAT.md rules, checked line by line (a stand-in until planner.check lands)."""
    from nsatu.planner.plan import Plan

    assert isinstance(plan, Plan)
    out: list[str] = []
    o, r, h, t, q = (
        plan.alloc_offer,
        plan.alloc_requirement,
        plan.alloc_hub,
        plan.alloc_week,
        plan.alloc_quantity,
    )
    tol = 1e-6
    lead: dict[tuple[int, int], int] = {}
    for d, hb, days in zip(s.routes.donor, s.routes.hub, s.routes.lead_days, strict=True):
        key = (int(d), int(hb))
        lead[key] = min(lead.get(key, 10**9), int(days))
    sent: dict[int, float] = {}
    got: dict[int, float] = {}
    hub_week: dict[tuple[int, int], float] = {}
    for i in range(len(q)):
        oi, ri, hi, ti, qi = int(o[i]), int(r[i]), int(h[i]), int(t[i]), float(q[i])
        item = int(s.offers.item[oi])
        fam = int(s.items.family[item])
        if qi <= 0:
            out.append(f"line {i}: quantity {qi} <= 0")
        if s.items.is_each[item] and abs(qi - round(qi)) > 1e-9:
            out.append(f"line {i}: {qi} not whole")
        if s.offers.withdrawn[oi]:
            out.append(f"line {i}: withdrawn offer")
        if not s.requirements.family_ok[ri, fam]:
            out.append(f"line {i}: family not accepted")
        if s.offers.earmark[oi] >= 0 and s.offers.earmark[oi] != ri:
            out.append(f"line {i}: earmark broken")
        key = (int(s.offers.donor[oi]), hi)
        if key not in lead:
            out.append(f"line {i}: no route")
        else:
            day = (s.offers.available_from[oi] - s.start_date).days + lead[key]
            if ti < max(0, day // 7) or ti >= s.horizon_weeks:
                out.append(f"line {i}: week {ti} outside [{max(0, day // 7)}, {s.horizon_weeks})")
        sent[oi] = sent.get(oi, 0.0) + qi
        got[ri] = got.get(ri, 0.0) + qi
        hub_week[(hi, ti)] = hub_week.get((hi, ti), 0.0) + qi * float(s.items.mass_t[item])
    for oi, total in sent.items():
        if total > s.offers.quantity[oi] + tol * max(1.0, s.offers.quantity[oi]):
            out.append(f"offer {s.offers.ids[oi]} over by {total - s.offers.quantity[oi]}")
    for ri, total in got.items():
        if total > s.requirements.quantity[ri] + tol * max(1.0, s.requirements.quantity[ri]):
            out.append(f"requirement {s.requirements.ids[ri]} over")
    for (hi, ti), tonnes in hub_week.items():
        cap = float(s.hubs.capacity_t[hi])
        if tonnes > cap + tol * max(1.0, cap):
            out.append(f"hub {s.hubs.codes[hi]} week {ti}: {tonnes} > {cap}")
    seats = s.courses.seats if plan.seats_used is None else plan.seats_used
    ready = s.course_ready_week
    for f in range(len(s.families.codes)):
        c = float(s.families.crew_per_unit[f])
        if c <= 0:
            continue
        fam_lines = s.items.family[s.offers.item[o]] == f
        for w in range(s.horizon_weeks):
            units = float(q[fam_lines & (t <= w)].sum())
            crews = float(s.families.existing_crews[f]) + float(
                seats[(s.courses.family == f) & (ready <= w)].sum()
            )
            if c * units > crews + tol * max(1.0, crews):
                out.append(f"family {s.families.codes[f]} week {w}: {c * units} crew needed > {crews}")
                break
    return out


def scaled_scenario(
    seed: int, *, requirements: int, offers: int, horizon: int, capabilities: int = 18
) -> Scenario:
    """A larger random scenario shaped like the synthetic scales (for development runs)."""
    rng = np.random.default_rng(seed)
    donors = [f"D{i:02d}" for i in range(45)]
    b = ScenarioBuilder(horizon=horizon, nations=["UKR", *donors])
    fam_by_cap: dict[str, list[str]] = {}
    items_by_cap: dict[str, list[tuple[str, bool]]] = {}
    for c in range(capabilities):
        cap = f"C{c}"
        ammo = c % 4 == 3
        fam_by_cap[cap] = []
        items_by_cap[cap] = []
        for f in range(int(rng.integers(2, 6))):
            code = f"{cap}F{f}"
            b.family(
                code,
                cap,
                in_service=bool(rng.random() < 0.4),
                crew=0.0 if ammo else float(rng.integers(1, 6)),
                existing=float(rng.integers(0, 40)),
            )
            fam_by_cap[cap].append(code)
            for i in range(int(rng.integers(1, 4))):
                item = f"{code}i{i}"
                b.item(item, code, each=not ammo, mass=0.03 if ammo else float(rng.uniform(1, 40)))
                items_by_cap[cap].append((item, ammo))
            if not ammo:
                for k in range(int(rng.integers(1, 4))):
                    b.course(
                        f"{code}c{k}",
                        code,
                        float(rng.integers(5, 60)),
                        start=int(rng.integers(0, horizon)),
                        duration=4,
                    )
    caps = list(fam_by_cap)
    for r in range(requirements):
        cap = caps[int(rng.integers(len(caps)))]
        ammo = items_by_cap[cap][0][1]
        q = float(rng.integers(1000, 50000)) if ammo else float(rng.integers(1, 40))
        fams = fam_by_cap[cap]
        accepts = (
            list(rng.choice(fams, size=int(rng.integers(1, len(fams) + 1)), replace=False))
            if rng.random() < 0.4
            else []
        )
        b.requirement(
            f"R{r}",
            cap,
            q,
            priority=int(rng.integers(1, 6)),
            due=int(rng.integers(0, horizon)),
            accepts=[str(a) for a in accepts],
        )
    for h in range(6):
        b.hub(f"H{h}", float(rng.uniform(200, 1500)) * (requirements / 400))
    for d in donors:
        for h in rng.choice(6, size=int(rng.integers(1, 4)), replace=False):
            b.route(d, f"H{h}", int(rng.integers(3, 40)))
    for o in range(offers):
        cap = caps[int(rng.integers(len(caps)))]
        item, ammo = items_by_cap[cap][int(rng.integers(len(items_by_cap[cap])))]
        q = float(rng.integers(500, 20000)) if ammo else float(rng.integers(1, 12))
        earmark = None
        if rng.random() < 0.05:
            same = [r[0] for r in b.requirements if r[1] == cap]
            earmark = same[int(rng.integers(len(same)))] if same else None
        b.offer(
            f"O{o}",
            donors[int(rng.integers(len(donors)))],
            item,
            q,
            available=int(rng.integers(0, horizon)),
            earmark=earmark,
            withdrawn=bool(rng.random() < 0.03),
        )
    return b.build()
