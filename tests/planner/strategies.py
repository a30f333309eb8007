"""Hypothesis strategies and builders of small planner scenarios, for any test to reuse.

`scenarios()` draws small random but well-formed scenarios (every reference
resolves), covering earmarks, withdrawn offers, `each` and real units, tight
hubs, missing routes, crewed families gated by courses and short horizons.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
from hypothesis import strategies as st

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
DONORS = ["DEU", "FRA", "POL", "USA"]


def make_scenario(
    *,
    horizon: int = 10,
    half_life: float = 8.0,
    default_cost: float = 4.0,
    nations: list[str] | None = None,
    families: list[dict[str, Any]],
    items: list[dict[str, Any]],
    requirements: list[dict[str, Any]],
    offers: list[dict[str, Any]],
    hubs: list[dict[str, Any]],
    routes: list[tuple[str, str, int]],
    courses: list[dict[str, Any]] | None = None,
) -> Scenario:
    """A scenario from rows given as dicts (codes as references; dates as day offsets from START).

    families: code, capability, in_service=True, cost=None, crew=0, existing=0
    items: code, family, unit="each", mass=1
    requirements: id, capability, quantity, priority=3, due_day=28, accepts=[]
    offers: id, donor, item, quantity, day=0, earmark=None, withdrawn=False
    hubs: code, capacity; courses: id, family, seats, start_day, weeks
    """
    nations = nations or ["UKR", *DONORS]
    courses = courses or []
    nat = {c: i for i, c in enumerate(nations)}
    caps = sorted({f["capability"] for f in families} | {r["capability"] for r in requirements})
    cap = {c: i for i, c in enumerate(caps)}
    fam = {f["code"]: i for i, f in enumerate(families)}
    itm = {it["code"]: i for i, it in enumerate(items)}
    req = {r["id"]: i for i, r in enumerate(requirements)}
    hub = {h["code"]: i for i, h in enumerate(hubs)}
    fam_cap = np.array([cap[f["capability"]] for f in families], dtype=np.int64)
    ok = np.zeros((len(requirements), len(families)), dtype=bool)
    for r, row in enumerate(requirements):
        ok[r] = fam_cap == cap[row["capability"]]
        if row.get("accepts"):
            ok[r] &= np.isin([f["code"] for f in families], row["accepts"])
    day = dt.timedelta(days=1)
    return Scenario(
        start_date=START,
        horizon_weeks=horizon,
        recipient="UKR",
        lateness_half_life_weeks=half_life,
        default_family_cost=default_cost,
        capability_codes=caps,
        nations=Nations(
            codes=list(nations),
            names=[f"Nation {c}" for c in nations],
            nato=np.array([c != "UKR" for c in nations]),
            eu=np.array([c in ("DEU", "FRA", "POL") for c in nations]),
        ),
        families=Families(
            codes=list(fam),
            names=[f"Family {c}" for c in fam],
            capability=fam_cap,
            in_service=np.array([f.get("in_service", True) for f in families], dtype=bool),
            cost=np.array(
                [default_cost if f.get("cost") is None else f["cost"] for f in families], dtype=np.float64
            ),
            cost_given=np.array([f.get("cost") is not None for f in families], dtype=bool),
            crew_per_unit=np.array([f.get("crew", 0.0) for f in families], dtype=np.float64),
            existing_crews=np.array([f.get("existing", 0.0) for f in families], dtype=np.float64),
        ),
        items=Items(
            codes=list(itm),
            names=[f"Item {c}" for c in itm],
            family=np.array([fam[it["family"]] for it in items], dtype=np.int64),
            unit=[it.get("unit", "each") for it in items],
            is_each=np.array([it.get("unit", "each") == "each" for it in items], dtype=bool),
            mass_t=np.array([it.get("mass", 1.0) for it in items], dtype=np.float64),
            nsn=["" for _ in items],
        ),
        requirements=Requirements(
            ids=list(req),
            capability=np.array([cap[r["capability"]] for r in requirements], dtype=np.int64),
            quantity=np.array([r["quantity"] for r in requirements], dtype=np.float64),
            priority=np.array([r.get("priority", 3) for r in requirements], dtype=np.int64),
            needed_by=[START + r.get("due_day", 28) * day for r in requirements],
            accepts=[list(r.get("accepts", [])) for r in requirements],
            family_ok=ok,
        ),
        offers=Offers(
            ids=[o["id"] for o in offers],
            donor=np.array([nat[o["donor"]] for o in offers], dtype=np.int64),
            item=np.array([itm[o["item"]] for o in offers], dtype=np.int64),
            quantity=np.array([o["quantity"] for o in offers], dtype=np.float64),
            available_from=[START + o.get("day", 0) * day for o in offers],
            earmark=np.array([req[o["earmark"]] if o.get("earmark") else -1 for o in offers], dtype=np.int64),
            withdrawn=np.array([o.get("withdrawn", False) for o in offers], dtype=bool),
        ),
        hubs=Hubs(
            codes=list(hub),
            names=[f"Hub {c}" for c in hub],
            iso3=["POL" for _ in hubs],
            capacity_t=np.array([h["capacity"] for h in hubs], dtype=np.float64),
        ),
        routes=Routes(
            donor=np.array([nat[d] for d, _, _ in routes], dtype=np.int64),
            hub=np.array([hub[h] for _, h, _ in routes], dtype=np.int64),
            lead_days=np.array([k for _, _, k in routes], dtype=np.int64),
        ),
        courses=Courses(
            ids=[c["id"] for c in courses],
            family=np.array([fam[c["family"]] for c in courses], dtype=np.int64),
            host=["DEU" for _ in courses],
            seats=np.array([c["seats"] for c in courses], dtype=np.float64),
            start=[START + c.get("start_day", 0) * day for c in courses],
            duration_weeks=np.array([c.get("weeks", 2) for c in courses], dtype=np.int64),
        ),
    )


@st.composite
def scenarios(draw: st.DrawFn, max_offers: int = 8, max_requirements: int = 6) -> Scenario:
    """A small random scenario; every reference resolves."""
    horizon = draw(st.integers(1, 8))
    n_caps = draw(st.integers(1, 2))
    capabilities = [f"cap{c}" for c in range(n_caps)]
    families = []
    for f in range(draw(st.integers(1, 4))):
        crewed = draw(st.booleans())
        families.append(
            {
                "code": f"F{f}",
                "capability": capabilities[f % n_caps],
                "in_service": draw(st.booleans()),
                "cost": draw(st.none() | st.sampled_from([0.0, 0.5, 2.0, 10.0])),
                "crew": float(draw(st.integers(1, 3))) if crewed else 0.0,
                "existing": float(draw(st.integers(0, 6))) if crewed else 0.0,
            }
        )
    items = [
        {
            "code": f"I{f['code']}",
            "family": f["code"],
            "unit": "each" if f["crew"] > 0 or draw(st.booleans()) else "rounds",
            "mass": draw(st.sampled_from([0.0, 0.5, 1.0, 3.0])),
        }
        for f in families
    ]
    requirements = []
    for r in range(draw(st.integers(1, max_requirements))):
        cap = draw(st.sampled_from(capabilities))
        accepts = draw(st.lists(st.sampled_from([f["code"] for f in families]), max_size=2, unique=True))
        requirements.append(
            {
                "id": f"R{r}",
                "capability": cap,
                "quantity": float(draw(st.integers(1, 12))) + draw(st.sampled_from([0.0, 0.0, 0.5])),
                "priority": draw(st.integers(1, 5)),
                "due_day": draw(st.integers(-7, 7 * horizon + 14)),
                "accepts": accepts,
            }
        )
    offers = []
    for o in range(draw(st.integers(1, max_offers))):
        offers.append(
            {
                "id": f"O{o}",
                "donor": draw(st.sampled_from(DONORS)),
                "item": draw(st.sampled_from([it["code"] for it in items])),
                "quantity": float(draw(st.integers(1, 10))) + draw(st.sampled_from([0.0, 0.0, 0.25])),
                "day": draw(st.integers(-10, 7 * horizon)),
                "earmark": draw(st.none() | st.sampled_from([r["id"] for r in requirements])),
                "withdrawn": draw(st.integers(0, 9)) == 0,
            }
        )
    hubs = [
        {"code": f"H{h}", "capacity": float(draw(st.integers(0, 12)))} for h in range(draw(st.integers(1, 2)))
    ]
    routes = [
        (d, h["code"], draw(st.integers(0, 20))) for d in DONORS for h in hubs if draw(st.integers(0, 4)) > 0
    ]
    courses = [
        {
            "id": f"C{c}",
            "family": f["code"],
            "seats": float(draw(st.integers(0, 8))),
            "start_day": draw(st.integers(-7, 7 * horizon)),
            "weeks": draw(st.integers(0, 3)),
        }
        for c, f in enumerate(families)
        if f["crew"] > 0 and draw(st.booleans())
    ]
    return make_scenario(
        horizon=horizon,
        half_life=draw(st.sampled_from([1.0, 4.0, 8.0])),
        families=families,
        items=items,
        requirements=requirements,
        offers=offers,
        hubs=hubs,
        routes=routes,
        courses=courses,
    )
