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
of every plan of the original scenario. The optimiser solves them as the blocks
of one model of the relaxed scenario (`nsatu.planner.blocks`); `part_of` gives a
capability's share as a scenario of its own, whose `fingerprint` tells whether
its data changed since an earlier plan. `nsatu.planner.schedule` gives the
relaxed plan's lines real hubs and weeks.
"""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass

import numpy as np

from nsatu.planner.scenario import IntArray, Scenario

RELAXED_HUB = "ANY"


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
    n_nations = len(s.nations.codes)
    none = np.iinfo(np.int64).max
    lead = np.full(n_nations, none, dtype=np.int64)
    np.minimum.at(lead, s.routes.donor, s.routes.lead_days)
    donors = np.flatnonzero(lead < none).astype(np.int64)
    return dataclasses.replace(
        s,
        extra_columns={},
        extensions={},
        hubs=dataclasses.replace(
            s.hubs,
            codes=[RELAXED_HUB],
            names=["any hub (capacity relaxed)"],
            iso3=[s.recipient],
            capacity_t=np.array([np.inf]),
            committed_t=np.zeros((0, 0)),
        ),
        routes=dataclasses.replace(
            s.routes, donor=donors, hub=np.zeros(donors.shape[0], dtype=np.int64), lead_days=lead[donors]
        ),
    )


def _positions(selected: IntArray, size: int) -> IntArray:
    """Parent position -> position among `selected` (-1 when not selected)."""
    out = np.full(size, -1, dtype=np.int64)
    out[selected] = np.arange(selected.shape[0], dtype=np.int64)
    return out


def part_of(s: Scenario, capability: int) -> Part:
    """The families, items, requirements, offers and courses of one capability.

    An offer earmarked for a requirement of another capability can serve
    nothing (rules 3 and 4): in the part it is withdrawn.
    """
    families = np.flatnonzero(s.families.capability == capability).astype(np.int64)
    family_pos = _positions(families, len(s.families.codes))
    items = np.flatnonzero(family_pos[s.items.family] >= 0).astype(np.int64)
    item_pos = _positions(items, len(s.items.codes))
    requirements = np.flatnonzero(s.requirements.capability == capability).astype(np.int64)
    requirement_pos = _positions(requirements, len(s.requirements.ids))
    offers = np.flatnonzero(item_pos[s.offers.item] >= 0).astype(np.int64)
    courses = np.flatnonzero(family_pos[s.courses.family] >= 0).astype(np.int64)
    parent_earmark = s.offers.earmark[offers]
    earmark = np.where(parent_earmark >= 0, requirement_pos[np.maximum(parent_earmark, 0)], -1)
    elsewhere = (parent_earmark >= 0) & (earmark < 0)
    part_families = s.families.take(families)
    part_families.capability = s.families.capability[families]
    part_items = s.items.take(items)
    part_items.family = family_pos[s.items.family[items]]
    part_requirements = s.requirements.take(requirements)
    part_requirements.family_ok = s.requirements.family_ok[np.ix_(requirements, families)]
    part_offers = s.offers.take(offers)
    part_offers.item = item_pos[s.offers.item[offers]]
    part_offers.earmark = earmark
    part_offers.withdrawn = s.offers.withdrawn[offers] | elsewhere
    part_courses = s.courses.take(courses)
    part_courses.family = family_pos[s.courses.family[courses]]
    sub = dataclasses.replace(
        s,
        families=part_families,
        items=part_items,
        requirements=part_requirements,
        offers=part_offers,
        courses=part_courses,
        extra_columns={},
        extensions={},
    )
    return Part(capability, sub, families, items, requirements, offers, courses)


def fingerprint(s: Scenario) -> str:
    """SHA-256 of everything in a scenario the planner reads (extensions aside):
    two scenarios with the same fingerprint have the same plans and optimum."""
    digest = hashlib.sha256()

    def add(name: str, value: object) -> None:
        digest.update(name.encode())
        if isinstance(value, np.ndarray):
            digest.update(f"{value.dtype.str}{value.shape}".encode())
            digest.update(np.ascontiguousarray(value).tobytes())
        elif isinstance(value, list):
            digest.update(repr([str(v) for v in value]).encode())
        else:
            digest.update(repr(value).encode())

    for f in dataclasses.fields(s):
        if f.name in ("extra_columns", "extensions"):
            continue
        value = getattr(s, f.name)
        if dataclasses.is_dataclass(value):
            for column, values in vars(value).items():
                add(f"{f.name}.{column}", values)
        else:
            add(f.name, value)
    return digest.hexdigest()
