"""The scenario split into independent parts: one per capability, hubs relaxed.

Two exact facts make the split work (docs/planning.md, "Decomposition"):

- An offer may serve only requirements of its family's capability (rule 3),
  families, crews and courses belong to one capability, and the objective is a
  sum over lines minus a sum over families. Only hub capacity (rule 6) couples
  the capabilities.
- Dropping hub capacity and replacing the hubs by one hub reached with each
  donor's shortest lead time is a relaxation: every valid plan of the scenario,
  with its hubs renamed to that one hub, is a valid plan of the relaxed
  scenario with the same objective (its earliest arrivals are no later).

So the relaxed scenario falls apart into one small scenario per capability;
the sum of their optima (or of any upper bounds of them) bounds the objective
of every plan of the original scenario. `nsatu.planner.schedule` then gives the
relaxed plan's lines real hubs and weeks.
"""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass
from typing import TypeVar

import numpy as np

from nsatu.planner.plan import Plan
from nsatu.planner.scenario import FloatArray, IntArray, Scenario

RELAXED_HUB = "ANY"
T = TypeVar("T")


@dataclass(frozen=True)
class Part:
    """One capability's share of a scenario, as a scenario of its own.

    The index arrays give, for each row of the part's tables, the position of
    that row in the parent scenario.
    """

    capability: int
    scenario: Scenario
    families: IntArray
    items: IntArray
    requirements: IntArray
    offers: IntArray
    courses: IntArray

    @property
    def code(self) -> str:
        return self.scenario.capability_codes[self.capability]


def relax_hubs(s: Scenario) -> Scenario:
    """The scenario with one hub of unlimited capacity, reached by each donor in
    its shortest lead time over all its routes (a relaxation of rules 5 and 6)."""
    n_nations = len(s.nation_codes)
    none = np.iinfo(np.int64).max
    lead = np.full(n_nations, none, dtype=np.int64)
    np.minimum.at(lead, s.route_donor, s.route_lead_days)
    donors = np.flatnonzero(lead < none).astype(np.int64)
    return dataclasses.replace(
        s,
        hub_codes=[RELAXED_HUB],
        hub_names=["any hub (capacity relaxed)"],
        hub_iso3=[s.recipient],
        hub_capacity_t=np.array([np.inf]),
        hub_committed_t=np.zeros((0, 0)),  # unlimited whatever is committed
        route_donor=donors,
        route_hub=np.zeros(donors.shape[0], dtype=np.int64),
        route_lead_days=lead[donors],
        extra_columns={},
        extensions={},
    )


def _positions(selected: IntArray, size: int) -> IntArray:
    """Parent position -> position among `selected` (-1 when not selected)."""
    out = np.full(size, -1, dtype=np.int64)
    out[selected] = np.arange(selected.shape[0], dtype=np.int64)
    return out


def _pick(values: list[T], positions: IntArray) -> list[T]:
    return [values[int(i)] for i in positions]


def part_of(s: Scenario, capability: int) -> Part:
    """The families, items, requirements, offers and courses of one capability.

    An offer earmarked for a requirement of another capability can serve
    nothing (rules 3 and 4): in the part it is withdrawn.
    """
    families = np.flatnonzero(s.family_capability == capability).astype(np.int64)
    family_pos = _positions(families, len(s.family_codes))
    items = np.flatnonzero(family_pos[s.item_family] >= 0).astype(np.int64)
    item_pos = _positions(items, len(s.item_codes))
    requirements = np.flatnonzero(s.requirement_capability == capability).astype(np.int64)
    requirement_pos = _positions(requirements, len(s.requirement_ids))
    offers = np.flatnonzero(item_pos[s.offer_item] >= 0).astype(np.int64)
    courses = np.flatnonzero(family_pos[s.course_family] >= 0).astype(np.int64)
    parent_earmark = s.offer_earmark[offers]
    earmark = np.where(parent_earmark >= 0, requirement_pos[np.maximum(parent_earmark, 0)], -1)
    elsewhere = (parent_earmark >= 0) & (earmark < 0)
    sub = dataclasses.replace(
        s,
        family_codes=_pick(s.family_codes, families),
        family_names=_pick(s.family_names, families),
        family_capability=s.family_capability[families],
        family_in_service=s.family_in_service[families],
        family_cost=s.family_cost[families],
        family_cost_given=s.family_cost_given[families],
        family_crew_per_unit=s.family_crew_per_unit[families],
        family_existing_crews=s.family_existing_crews[families],
        family_committed_crews=(
            s.family_committed_crews[families] if s.family_committed_crews.size else np.zeros((0, 0))
        ),
        item_codes=_pick(s.item_codes, items),
        item_names=_pick(s.item_names, items),
        item_family=family_pos[s.item_family[items]],
        item_unit=_pick(s.item_unit, items),
        item_is_each=s.item_is_each[items],
        item_mass_t=s.item_mass_t[items],
        item_nsn=_pick(s.item_nsn, items),
        requirement_ids=_pick(s.requirement_ids, requirements),
        requirement_capability=s.requirement_capability[requirements],
        requirement_quantity=s.requirement_quantity[requirements],
        requirement_priority=s.requirement_priority[requirements],
        requirement_needed_by=_pick(s.requirement_needed_by, requirements),
        requirement_accepts=_pick(s.requirement_accepts, requirements),
        requirement_family_ok=s.requirement_family_ok[np.ix_(requirements, families)],
        offer_ids=_pick(s.offer_ids, offers),
        offer_donor=s.offer_donor[offers],
        offer_item=item_pos[s.offer_item[offers]],
        offer_quantity=s.offer_quantity[offers],
        offer_available_from=_pick(s.offer_available_from, offers),
        offer_earmark=earmark,
        offer_withdrawn=s.offer_withdrawn[offers] | elsewhere,
        course_ids=_pick(s.course_ids, courses),
        course_family=family_pos[s.course_family[courses]],
        course_host=_pick(s.course_host, courses),
        course_seats=s.course_seats[courses],
        course_start=_pick(s.course_start, courses),
        course_duration_weeks=s.course_duration_weeks[courses],
        extra_columns={},
        extensions={},
    )
    return Part(capability, sub, families, items, requirements, offers, courses)


def split_by_capability(s: Scenario) -> list[Part]:
    """One part per capability that has both requirements and offers."""
    parts = []
    for capability in range(len(s.capability_codes)):
        part = part_of(s, capability)
        if part.requirements.size and part.offers.size:
            parts.append(part)
    return parts


def _find(sorted_positions: IntArray, values: IntArray) -> IntArray:
    """Position of each value in a sorted array of distinct positions, -1 when absent."""
    at = np.searchsorted(sorted_positions, values)
    clipped = np.minimum(at, max(sorted_positions.shape[0] - 1, 0))
    found = (at < sorted_positions.shape[0]) & (sorted_positions[clipped] == values)
    return np.where(found, at, -1).astype(np.int64)


def plan_in_part(part: Part, plan: Plan) -> Plan:
    """The lines of a plan of the parent scenario that fall in this part, in the
    part's positions, every hub renamed to the part's only hub."""
    offer = _find(part.offers, plan.alloc_offer)
    requirement = _find(part.requirements, plan.alloc_requirement)
    inside = (offer >= 0) & (requirement >= 0)
    return Plan(
        method=plan.method,
        status="feasible",
        alloc_offer=offer[inside],
        alloc_requirement=requirement[inside],
        alloc_hub=np.zeros(int(inside.sum()), dtype=np.int64),
        alloc_quantity=plan.alloc_quantity[inside],
        alloc_week=plan.alloc_week[inside],
        seats_used=None,
    )


def lines_in_parent(part: Part, plan: Plan) -> tuple[IntArray, IntArray, FloatArray, IntArray]:
    """A part's plan lines in the parent's positions: (offer, requirement, quantity, week)."""
    keep = plan.alloc_quantity > 0
    return (
        part.offers[plan.alloc_offer[keep]],
        part.requirements[plan.alloc_requirement[keep]],
        plan.alloc_quantity[keep],
        plan.alloc_week[keep],
    )


def fingerprint(s: Scenario) -> str:
    """SHA-256 of everything in a scenario the planner reads (extensions aside):
    two scenarios with the same fingerprint have the same plans and optimum."""
    digest = hashlib.sha256()
    for f in dataclasses.fields(s):
        if f.name in ("extra_columns", "extensions"):
            continue
        value = getattr(s, f.name)
        digest.update(f.name.encode())
        if isinstance(value, np.ndarray):
            digest.update(f"{value.dtype.str}{value.shape}".encode())
            digest.update(np.ascontiguousarray(value).tobytes())
        elif isinstance(value, list):
            digest.update(repr([str(v) for v in value]).encode())
        else:
            digest.update(repr(value).encode())
    return digest.hexdigest()
