"""Why a requirement got less than it asked for: a small, exact diagnosis of a plan.

For every requirement the plan leaves short, `explain` looks at the offers that
could ever serve it (rules 1-5: compatible family, earmark, a route, an arrival
within the horizon) and says which of these holds, first in this order:

- ``family_not_accepted``: offers of its capability exist, but of no family it accepts;
- ``no_offer``: no offer of its capability at all (or none left after withdrawals);
- ``earmarked_elsewhere``: the only compatible offers are earmarked for other requirements;
- ``no_route``: compatible offers exist, but their donors have no route to any hub;
- ``after_horizon``: compatible offers can only arrive after the planning horizon;
- ``used_by_higher_priority``: every unit that could reach it serves requirements of
  higher priority (or as high and due earlier), named in ``taken_by``;
- ``used_elsewhere``: every unit that could reach it serves other requirements;
- ``crews``: units are left, but of crewed families with no trained crew left for them;
- ``hub_full``: units are left, but every hub week they could arrive in is full;
- ``family_not_worth_it``: units are left, of a new family the plan does not introduce
  (its value here is below its introduction cost);
- ``not_worth_it``: units are left and could arrive; the optimiser found them worth
  more elsewhere or not at all (a time-limited plan may also simply not have got there).

Facts only: each reason is read off the scenario and the plan, not guessed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from nsatu.planner import model
from nsatu.planner.metrics import crew_capacity, hub_tonnes
from nsatu.planner.plan import Plan
from nsatu.planner.scenario import Scenario

REASONS = (
    "family_not_accepted",
    "no_offer",
    "earmarked_elsewhere",
    "no_route",
    "after_horizon",
    "used_by_higher_priority",
    "used_elsewhere",
    "crews",
    "hub_full",
    "family_not_worth_it",
    "not_worth_it",
)
# A hub week counts as full when what is left of it is below this share of its capacity.
FULL_SHARE = 1e-6


@dataclass
class Shortfall:
    """One requirement the plan leaves short, and why."""

    requirement: str
    needed: float
    allocated: float
    reason: str
    detail: str
    taken_by: list[str] = field(default_factory=list)  # requirement ids holding the units it could use

    @property
    def shortfall(self) -> float:
        return self.needed - self.allocated

    def to_json(self) -> dict[str, object]:
        return {
            "requirement": self.requirement,
            "needed": self.needed,
            "allocated": self.allocated,
            "shortfall": self.shortfall,
            "reason": self.reason,
            "detail": self.detail,
            "taken_by": self.taken_by,
        }


@dataclass
class _Facts:
    """What the diagnosis of every requirement reads, computed once per plan."""

    usable: np.ndarray
    left: np.ndarray
    earliest: np.ndarray
    has_route: np.ndarray
    arrives: np.ndarray
    family: np.ndarray
    capability: np.ndarray
    hub_full: np.ndarray
    crews_left: list[float]
    introduced: np.ndarray
    rank: list[tuple[int, int, str]]
    takers: dict[int, set[int]]


def explain(s: Scenario, plan: Plan) -> list[Shortfall]:
    """The requirements ``plan`` leaves short, each with its reason (see the module docstring)."""
    allocated = np.zeros(len(s.requirements))
    np.add.at(allocated, plan.alloc_requirement, plan.alloc_quantity)
    facts = _facts(s, plan)
    out: list[Shortfall] = []
    for r in range(len(s.requirements)):
        needed, got = float(s.requirements.quantity[r]), float(allocated[r])
        if got < needed - 1e-9 * max(1.0, needed):
            reason, detail, taken = _diagnose(s, facts, r)
            out.append(Shortfall(s.requirements.ids[r], needed, got, reason, detail, taken))
    return out


def _facts(s: Scenario, plan: Plan) -> _Facts:
    used = np.zeros(len(s.offers))
    np.add.at(used, plan.alloc_offer, plan.alloc_quantity)
    usable = model.usable_quantity(s)
    earliest = model.earliest_weeks(s)  # offers x hubs, horizon = none
    donors_with_route = np.zeros(len(s.nations), bool)
    donors_with_route[s.routes.donor] = True
    family = s.items.family[s.offers.item]
    capacity = s.hub_week_capacity()
    introduced = np.zeros(len(s.families), bool)
    introduced[family[plan.alloc_offer[plan.alloc_quantity > 0]]] = True
    return _Facts(
        usable=usable,
        left=np.maximum(usable - used, 0.0),
        earliest=earliest,
        has_route=donors_with_route[s.offers.donor],
        arrives=np.asarray((earliest < s.horizon_weeks).any(axis=1), dtype=bool).reshape(len(s.offers)),
        family=family,
        capability=s.families.capability[family],
        hub_full=capacity - hub_tonnes(s, plan) <= FULL_SHARE * np.maximum(capacity, 1.0),
        crews_left=_crews_left(s, plan),
        introduced=introduced,
        rank=_urgency(s),
        takers=_takers(plan),
    )


def _diagnose(s: Scenario, f: _Facts, r: int) -> tuple[str, str, list[str]]:
    """(reason, detail, requirements holding the units) for requirement position ``r``."""
    same_capability = (f.capability == s.requirements.capability[r]) & (f.usable > 0)
    accepted = same_capability & s.requirements.family_ok[r, f.family]
    free = accepted & ((s.offers.earmark < 0) | (s.offers.earmark == r))
    if same_capability.any() and not accepted.any():
        return "family_not_accepted", "offers of its capability are of no family it accepts", []
    if not accepted.any():
        return "no_offer", "no offer of its capability", []
    if not free.any():
        return "earmarked_elsewhere", "every compatible offer is earmarked for another requirement", []
    if not (free & f.has_route).any():
        return "no_route", "no donor of a compatible offer has a route to a hub", []
    reachable = free & f.arrives
    if not reachable.any():
        return "after_horizon", "compatible offers can only arrive after the planning horizon", []
    spare = reachable & (f.left > 1e-9)
    if not spare.any():
        holders = sorted(
            {t for o in np.flatnonzero(reachable) for t in f.takers.get(int(o), set()) if t != r}
        )
        ids = [s.requirements.ids[t] for t in holders]
        if holders and all(f.rank[t] < f.rank[r] for t in holders):
            return (
                "used_by_higher_priority",
                "every unit that could reach it serves requirements of higher priority",
                ids,
            )
        return "used_elsewhere", "every unit that could reach it serves other requirements", ids
    families = np.unique(f.family[spare])
    if (s.families.crew_per_unit[families] > 0).all() and all(f.crews_left[x] <= 1e-9 for x in families):
        return "crews", "units are left only of crewed families with no crew left for them", []
    weightless = (s.items.mass_t[s.offers.item] <= 0) & spare
    if not weightless.any() and _all_hub_weeks_full(spare, f.earliest, f.hub_full, s.horizon_weeks):
        return "hub_full", "every hub week the units left could arrive in is full", []
    if (~s.families.in_service[families] & ~f.introduced[families]).all():
        names = ", ".join(s.families.codes[x] for x in families)
        return (
            "family_not_worth_it",
            f"units are left only of families the plan does not introduce: {names}",
            [],
        )
    return (
        "not_worth_it",
        "units are left that could arrive; they were worth more elsewhere or not at all",
        [],
    )


def _urgency(s: Scenario) -> list[tuple[int, int, str]]:
    """Per requirement: (priority, due week, id); lower is more urgent."""
    due = s.requirement_due_week
    return [
        (int(p), int(d), rid)
        for p, d, rid in zip(s.requirements.priority, due, s.requirements.ids, strict=True)
    ]


def _takers(plan: Plan) -> dict[int, set[int]]:
    """Per offer: the requirements its lines serve."""
    out: dict[int, set[int]] = {}
    for o, r, q in zip(
        plan.alloc_offer.tolist(), plan.alloc_requirement.tolist(), plan.alloc_quantity.tolist(), strict=True
    ):
        if q > 0:
            out.setdefault(int(o), set()).add(int(r))
    return out


def _crews_left(s: Scenario, plan: Plan) -> list[float]:
    """Per family: units it could still receive by the horizon (crews left / crew per unit; inf without)."""
    weeks = max(s.horizon_weeks, 0)
    units = np.zeros((len(s.families), weeks))
    inside = (plan.alloc_week >= 0) & (plan.alloc_week < weeks)
    fam = s.items.family[s.offers.item[plan.alloc_offer[inside]]]
    np.add.at(units, (fam, plan.alloc_week[inside]), plan.alloc_quantity[inside])
    crew = s.families.crew_per_unit
    spare = crew_capacity(s, plan.seats_used) - crew[:, None] * np.cumsum(units, axis=1)
    # a unit arriving in week t needs a crew from t on: what is left is the least over the weeks
    least = spare.min(axis=1) if weeks else np.zeros(len(s.families))
    return [float(least[f] / crew[f]) if crew[f] > 0 else float("inf") for f in range(len(s.families))]


def _all_hub_weeks_full(spare: np.ndarray, earliest: np.ndarray, full: np.ndarray, horizon: int) -> bool:
    """True when, for every spare offer and every hub it reaches, every week from its arrival on is full."""
    for o in np.flatnonzero(spare).tolist():
        for h in np.flatnonzero(earliest[o] < horizon).tolist():
            if not full[h, int(earliest[o, h]) :].all():
                return False
    return True
