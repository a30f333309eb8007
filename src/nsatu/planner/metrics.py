"""FORMAT.md's figures of a plan, computed once for everything.

The plan files, the dashboards, the benchmarks and the API all take their
numbers from `compute_metrics`; `objective_of` is its headline figure.
"""

from __future__ import annotations

import numpy as np

from nsatu.planner.plan import Plan
from nsatu.planner.scenario import FloatArray, Scenario


def line_values(s: Scenario, plan: Plan) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Per allocation line: weight per unit ``w / required_quantity``, timeliness tau, lateness."""
    r = plan.alloc_requirement
    unit_weight = s.requirements.weight[r] / s.requirements.quantity[r]
    lateness = (plan.alloc_week - s.requirement_due_week[r]).astype(np.float64)
    tau = np.where(lateness <= 0, 1.0, np.power(2.0, -np.maximum(lateness, 0.0) / s.lateness_half_life_weeks))
    return unit_weight, tau, lateness


def _used(s: Scenario, plan: Plan) -> FloatArray:
    """Quantity received per family (lines with quantity > 0 only)."""
    received = np.zeros(len(s.families.codes))
    positive = plan.alloc_quantity > 0
    families = s.items.family[s.offers.item[plan.alloc_offer[positive]]]
    np.add.at(received, families, plan.alloc_quantity[positive])
    return received


def objective_of(s: Scenario, plan: Plan) -> float:
    """FORMAT.md objective: weighted timely fulfilment minus new families' costs."""
    if plan.n_lines == 0:
        return 0.0
    unit_weight, tau, _ = line_values(s, plan)
    value = float((unit_weight * tau * plan.alloc_quantity).sum())
    new = (_used(s, plan) > 0) & ~s.families.in_service
    return value - float(s.families.cost[new].sum())


def compute_metrics(s: Scenario, plan: Plan) -> dict[str, object]:
    """Every figure of a plan, JSON-ready.

    FORMAT.md's `objective`, `pwf`, `on_time_share`, `new_families` (sorted
    codes) and the plan's `method`, `status`, `solve_seconds`, `bound`, `gap`;
    then `hub_utilisation` (tonnes per hub and week, and the highest share of
    capacity) with `hub_busiest_share`, `hub_busiest_at` ([hub, week]) and
    `hub_mean_share` (see `hub_summary`), `crews_short` (per crewed family, the worst shortfall of trained
    people over the weeks, 0 when never short), `families_per_capability`
    (families in service or received), `fulfilled` (quantity per requirement
    id that receives any) and `value` (objective before family costs).
    """
    q = plan.alloc_quantity
    n = plan.n_lines
    if n:
        unit_weight, tau, lateness = line_values(s, plan)
        value = float((unit_weight * tau * q).sum())
        weighted = unit_weight * q
        total_weighted = float(weighted.sum())
        on_time = float(weighted[lateness <= 0].sum()) / total_weighted if total_weighted > 0 else 0.0
    else:
        value, on_time = 0.0, 0.0
    total_weight = float(s.requirements.weight.sum())
    received = _used(s, plan)
    new = (received > 0) & ~s.families.in_service
    objective = value - float(s.families.cost[new].sum())

    metrics: dict[str, object] = {
        "objective": objective,
        "pwf": value / total_weight if total_weight > 0 and n else 0.0,
        "on_time_share": on_time,
        "new_families": sorted(s.families.codes[f] for f in np.flatnonzero(new)),
        "method": plan.method,
        "status": plan.status,
        "solve_seconds": float(plan.solve_seconds),
        "value": value,
    }
    if plan.bound is not None and np.isfinite(plan.bound):
        metrics["bound"] = float(plan.bound)
        metrics["gap"] = max(0.0, (float(plan.bound) - objective) / max(1.0, abs(float(plan.bound))))
    metrics["hub_utilisation"] = hub_utilisation(s, plan)
    metrics.update(hub_summary(s, metrics["hub_utilisation"]))  # type: ignore[arg-type]
    metrics["crews_short"] = crews_short(s, plan)
    in_use = s.families.in_service | (received > 0)
    metrics["families_per_capability"] = {
        code: int(np.count_nonzero(in_use & (s.families.capability == c)))
        for c, code in enumerate(s.capability_codes)
    }
    fulfilled = np.zeros(len(s.requirements.ids))
    np.add.at(fulfilled, plan.alloc_requirement, q)
    metrics["fulfilled"] = {s.requirements.ids[r]: float(fulfilled[r]) for r in np.flatnonzero(fulfilled)}
    return metrics


def hub_tonnes(s: Scenario, plan: Plan) -> FloatArray:
    """Tonnes arriving per hub (rows) and week (columns, 0 .. horizon-1)."""
    tonnes = np.zeros((len(s.hubs.codes), max(s.horizon_weeks, 0)))
    inside = (plan.alloc_week >= 0) & (plan.alloc_week < s.horizon_weeks)
    mass = s.items.mass_t[s.offers.item[plan.alloc_offer[inside]]] * plan.alloc_quantity[inside]
    np.add.at(tonnes, (plan.alloc_hub[inside], plan.alloc_week[inside]), mass)
    return tonnes


def hub_utilisation(s: Scenario, plan: Plan) -> dict[str, dict[str, object]]:
    """Per hub code: tonnes by week, the highest share of capacity and its week."""
    tonnes = hub_tonnes(s, plan)
    result: dict[str, dict[str, object]] = {}
    for h, code in enumerate(s.hubs.codes):
        capacity = float(s.hubs.capacity_t[h])
        row = tonnes[h]
        # a hub of capacity 0 that receives anything is infinitely over
        share = row / capacity if capacity > 0 else np.where(row > 0, np.inf, 0.0)
        week = int(np.argmax(share)) if row.size else 0
        result[code] = {
            "tonnes_by_week": [float(x) for x in row],
            "max_share": float(share[week]) if row.size else 0.0,
            "max_week": week,
        }
    return result


def hub_summary(s: Scenario | None, utilisation: dict[str, dict[str, object]]) -> dict[str, object]:
    """The busiest hub-week's share of capacity, where it is, and the mean share
    over every hub and week (a hub that carries nothing counts as empty weeks).

    Works from `hub_utilisation` alone (capacities from the scenario when given,
    else from each hub's tonnes and highest share), so stored metrics of older
    runs can be summarised too.
    """
    busiest: tuple[float, str, int] | None = None
    shares: list[float] = []
    capacity_of = dict(zip(s.hubs.codes, s.hubs.capacity_t.tolist(), strict=True)) if s is not None else {}
    for code, hub in sorted(utilisation.items()):
        tonnes = [float(t) for t in hub.get("tonnes_by_week", [])]  # type: ignore[attr-defined]
        peak = float(hub.get("max_share", 0.0))  # type: ignore[arg-type]
        week = int(hub.get("max_week", 0))  # type: ignore[call-overload]
        if busiest is None or peak > busiest[0]:
            busiest = (peak, code, week)
        capacity = capacity_of.get(code, tonnes[week] / peak if tonnes and 0 < peak < np.inf else 0.0)
        if capacity > 0:
            shares.extend(t / capacity for t in tonnes)
        else:  # no capacity: infinitely over when anything arrives
            shares.extend(np.inf if t > 0 else 0.0 for t in tonnes)
    summary: dict[str, object] = {"hub_mean_share": float(np.mean(shares)) if shares else 0.0}
    if busiest is not None:
        summary["hub_busiest_share"] = busiest[0]
        summary["hub_busiest_at"] = [busiest[1], busiest[2]]
    return summary


def crew_capacity(s: Scenario, seats_used: FloatArray | None) -> FloatArray:
    """Trained people per family (rows) available by each week (columns), FORMAT.md rule 7,
    less those committed plans take."""
    weeks = max(s.horizon_weeks, 0)
    ready = np.zeros((len(s.families.codes), weeks))
    seats = s.courses.seats if seats_used is None else seats_used
    ready_week = s.course_ready_week
    inside = ready_week < weeks
    np.add.at(ready, (s.courses.family[inside], np.maximum(ready_week[inside], 0)), seats[inside])
    return s.families.existing_crews[:, None] + np.cumsum(ready, axis=1) - s.crews_committed()


def crews_short(s: Scenario, plan: Plan) -> dict[str, float]:
    """Per crewed family: the worst shortfall of trained people over the weeks (0 = never short)."""
    weeks = max(s.horizon_weeks, 0)
    units = np.zeros((len(s.families.codes), weeks))
    inside = (plan.alloc_week >= 0) & (plan.alloc_week < weeks)
    families = s.items.family[s.offers.item[plan.alloc_offer[inside]]]
    np.add.at(units, (families, plan.alloc_week[inside]), plan.alloc_quantity[inside])
    need = s.families.crew_per_unit[:, None] * np.cumsum(units, axis=1)
    short = need - crew_capacity(s, plan.seats_used)
    worst = short.max(axis=1, initial=0.0)
    return {
        s.families.codes[f]: float(max(worst[f], 0.0)) for f in np.flatnonzero(s.families.crew_per_unit > 0)
    }
