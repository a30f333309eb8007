"""Hub scheduling: real hubs and arrival weeks for lines planned with hubs relaxed.

The decomposed optimiser (`nsatu.planner.optimal`) decides which offer serves
which requirement with hub capacity relaxed (`nsatu.planner.decompose`). This
module turns those (offer, requirement, quantity) lines into a valid plan: it
walks the weeks in order and, in each hub and week, lets through the waiting
units in order of urgency (earliest deadline first: the units whose
requirement is due soonest, then, among those already due or late, the most
value per tonne), as long as the hub's tonnage (rule 6) and the family's
trained crews (rule 7) allow. A unit waits for the first hub and week that
takes it; what has not arrived by the horizon is left out.

Every line it writes keeps rules 1-4 (it never adds quantity to a pair), 5 (a
unit goes only through a hub with a route, no earlier than its earliest
arrival there), 6 and 7 (checked as it goes) and 8 (whole units of `each`).
"""

from __future__ import annotations

import numpy as np

from nsatu.planner.model import earliest_weeks, value_at
from nsatu.planner.plan import Plan
from nsatu.planner.scenario import FloatArray, IntArray, Scenario


def crew_frontier(s: Scenario) -> FloatArray:
    """Families x weeks: the most units of the family that may have arrived by
    each week, counting every seat of every course, less the crews committed plans
    take (infinite without crews)."""
    n_families, horizon = len(s.families.codes), s.horizon_weeks
    crews = np.repeat(s.families.existing_crews.astype(np.float64)[:, None], horizon, axis=1)
    if len(s.courses.ids):
        ready = s.course_ready_week
        in_time = ready < horizon
        added = np.zeros((n_families, horizon + 1))
        np.add.at(added, (s.courses.family[in_time], ready[in_time]), s.courses.seats[in_time])
        crews += np.cumsum(added[:, :horizon], axis=1)
    crews -= s.crews_committed()
    # A unit that arrives in week w is still there in every later week: the most that may
    # have arrived by w is the least over w and the weeks after it. (Without commitments
    # crews only grow and this changes nothing; committed units arriving later take crews.)
    if horizon:
        crews = np.minimum.accumulate(crews[:, ::-1], axis=1)[:, ::-1]
    crew = s.families.crew_per_unit
    with np.errstate(divide="ignore", invalid="ignore"):
        frontier = crews / np.where(crew > 0, crew, 1.0)[:, None]
    return np.where(crew[:, None] > 0, frontier, np.inf)


def schedule_through_hubs(
    s: Scenario, offer: IntArray, requirement: IntArray, quantity: FloatArray, *, method: str = "optimal"
) -> Plan:
    """A valid plan shipping as much of the given lines as hubs and crews allow (see the module)."""
    horizon = s.horizon_weeks
    pairs, inverse = np.unique(np.column_stack([offer, requirement]), axis=0, return_inverse=True)
    left = np.bincount(inverse.reshape(-1), weights=quantity, minlength=pairs.shape[0]).astype(np.float64)
    o, r = pairs[:, 0], pairs[:, 1]
    item = s.offers.item[o]
    family = s.items.family[item]
    mass = s.items.mass_t[item]
    each = s.items.is_whole[item]
    left = np.where(each, np.floor(left + 1e-9), left)
    earliest = earliest_weeks(s)[o]  # lines x hubs; horizon = no route
    due = s.requirement_due_week[r]
    unit_value = s.requirements.weight[r] / s.requirements.quantity[r]
    frontier = crew_frontier(s)
    arrived = np.zeros(len(s.families.codes))
    capacity = s.hub_week_capacity()
    hub_order = np.argsort(s.hubs.capacity_t, kind="stable")
    out_line: list[int] = []
    out_hub: list[int] = []
    out_qty: list[float] = []
    out_week: list[int] = []
    for week in range(horizon):
        room = frontier[:, week] - arrived
        for hub in hub_order:
            waiting = np.flatnonzero((earliest[:, hub] <= week) & (left > 0))
            if waiting.size == 0:
                continue
            slack = np.maximum(due[waiting] - week, 0)
            value = value_at(
                unit_value[waiting], due[waiting], np.full(waiting.size, week), s.lateness_half_life_weeks
            )
            density = value / np.maximum(mass[waiting], 1e-12)
            free = float(capacity[hub, week])
            for line in waiting[np.lexsort((-density, slack))].tolist():
                m, f = float(mass[line]), int(family[line])
                n = float(left[line]) if m <= 0 else min(float(left[line]), free / m)
                n = min(n, float(room[f]) + 1e-9)
                if each[line]:
                    n = float(np.floor(n + 1e-9))
                if n <= 0:
                    if free <= 0:
                        break
                    continue
                left[line] -= n
                free -= n * m
                room[f] -= n
                arrived[f] += n
                out_line.append(line)
                out_hub.append(int(hub))
                out_qty.append(n)
                out_week.append(week)
    lines = np.array(out_line, dtype=np.int64)
    return Plan(
        method=method,
        status="feasible",
        alloc_offer=o[lines] if lines.size else np.zeros(0, np.int64),
        alloc_requirement=r[lines] if lines.size else np.zeros(0, np.int64),
        alloc_hub=np.array(out_hub, dtype=np.int64),
        alloc_quantity=np.array(out_qty, dtype=np.float64),
        alloc_week=np.array(out_week, dtype=np.int64),
        seats_used=None,
    )
