"""What each new platform family is worth to a plan: the loss without it, the gain with it.

For every family the plan introduces, the plan is solved again with that family
excluded (no requirement may take it): the difference is what the family
brings. For every family left out (not in service, not introduced, offered
and acceptable somewhere), the plan is solved again with its introduction cost
waived, so the optimiser uses it wherever it adds fulfilment: the difference,
counted at the true costs, is what it would add. Each answer also says what the
family takes: its units, the crews they need and the courses whose seats the
plan uses.

Every re-solve is time-limited and starts warm from the base plan (its lines
that remain valid seed the solvers). Differences are of plans found, not of
optima: with a gap left, a figure is as good as the two plans behind it.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass

import numpy as np

from nsatu.planner.metrics import compute_metrics
from nsatu.planner.optimal import plan_optimal
from nsatu.planner.plan import Plan
from nsatu.planner.progress import ProgressCallback, ProgressEvent, ignore_progress
from nsatu.planner.scenario import Scenario


@dataclass
class FamilyWorth:
    """One family's worth: ``pwf_change`` and ``objective_change`` of having it against not having it."""

    code: str
    name: str
    capability: str
    introduced: bool  # the base plan introduces it (else it was left out)
    pwf_change: float  # pwf with the family minus pwf without it
    objective_change: float  # FORMAT.md objective with minus without (its introduction cost counted)
    units: float  # units of the family the plan with it receives
    crews: float  # trained people those units need (crew_per_unit * units)
    courses: int  # courses of the family whose seats the plan with it uses
    seats: float  # seats of those courses it uses
    solved: bool  # False: no time was left to solve the variant

    def as_dict(self) -> dict[str, object]:
        return dataclasses.asdict(self)


def excluded(s: Scenario, family: int) -> Scenario:
    """``s`` where no requirement accepts ``family``."""
    ok = s.requirements.family_ok.copy()
    ok[:, family] = False
    return dataclasses.replace(s, requirements=dataclasses.replace(s.requirements, family_ok=ok))


def waived(s: Scenario, family: int) -> Scenario:
    """``s`` with ``family``'s introduction cost set to 0."""
    cost = s.families.cost.copy()
    cost[family] = 0.0
    return dataclasses.replace(s, families=dataclasses.replace(s.families, cost=cost))


def family_units(s: Scenario, plan: Plan) -> np.ndarray:
    """Units each family receives in ``plan``."""
    units = np.zeros(len(s.families.codes))
    if plan.n_lines:
        family = s.items.family[s.offers.item[plan.alloc_offer]]
        np.add.at(units, family, plan.alloc_quantity)
    return units


def left_out_candidates(s: Scenario, plan: Plan) -> list[int]:
    """Families not in service and not in ``plan`` that some open offer could bring to some requirement."""
    units = family_units(s, plan)
    offered = np.zeros(len(s.families.codes), bool)
    open_offers = (s.offers.quantity > 0) & ~s.offers.withdrawn
    offered[s.items.family[s.offers.item[open_offers]]] = True
    accepted = s.requirements.family_ok.any(axis=0)
    return [int(f) for f in np.flatnonzero(~s.families.in_service & (units <= 0) & offered & accepted)]


def _takes(s: Scenario, plan: Plan, family: int) -> tuple[float, float, int, float]:
    """Units, crews, courses and seats of ``family`` that ``plan`` uses."""
    units = float(family_units(s, plan)[family])
    crews = units * float(s.families.crew_per_unit[family])
    mine = s.courses.family == family
    seats = s.courses.seats if plan.seats_used is None else plan.seats_used
    used = mine & (seats > 1e-9)
    if crews <= 0:
        return units, crews, 0, 0.0
    return units, crews, int(np.count_nonzero(used)), float(seats[used].sum())


def _figures(s: Scenario, plan: Plan) -> tuple[float, float]:
    metrics = compute_metrics(s, plan)
    return float(metrics["pwf"]), float(metrics["objective"])  # type: ignore[arg-type]


def family_worth(
    s: Scenario,
    base: Plan,
    *,
    time_limit: float = 60.0,
    max_left_out: int = 12,
    progress: ProgressCallback | None = None,
) -> list[FamilyWorth]:
    """The worth of each family ``base`` introduces and of up to ``max_left_out`` families it leaves out.

    Left-out families are tried in the order of what their offers could bring
    (the priority weight of the requirements that accept them), the most first;
    the time is shared evenly over the re-solves.
    """
    report = progress or ignore_progress
    started = time.perf_counter()
    units = family_units(s, base)
    introduced = [int(f) for f in np.flatnonzero((units > 0) & ~s.families.in_service)]
    reach = s.requirements.weight @ s.requirements.family_ok
    left_out = sorted(left_out_candidates(s, base), key=lambda f: (-float(reach[f]), s.families.codes[f]))
    left_out = left_out[:max_left_out]
    base_pwf, base_objective = _figures(s, base)
    jobs = [(f, True) for f in introduced] + [(f, False) for f in left_out]
    result: list[FamilyWorth] = []
    for n, (f, is_in) in enumerate(jobs):
        share = (time_limit - (time.perf_counter() - started)) / (len(jobs) - n)
        solved = share >= 0.2
        if solved:
            changed = excluded(s, f) if is_in else waived(s, f)
            variant = plan_optimal(changed, time_limit=share, warm_start=base)
            solved = variant.status not in ("error", "infeasible")
        if not solved:
            variant = base
        pwf, objective = _figures(s, variant)
        with_plan, (d_pwf, d_objective) = (
            (base, (base_pwf - pwf, base_objective - objective))
            if is_in
            else (variant, (pwf - base_pwf, objective - base_objective))
        )
        taken = _takes(s, with_plan, f)
        result.append(
            FamilyWorth(
                code=s.families.codes[f],
                name=s.families.names[f],
                capability=s.capability_codes[int(s.families.capability[f])],
                introduced=is_in,
                pwf_change=d_pwf if solved else 0.0,
                objective_change=d_objective if solved else 0.0,
                units=taken[0] if solved else 0.0,
                crews=taken[1] if solved else 0.0,
                courses=taken[2] if solved else 0,
                seats=taken[3] if solved else 0.0,
                solved=solved,
            )
        )
        report(
            ProgressEvent(
                "worth",
                (n + 1) / len(jobs),
                base_objective,
                message=f"{s.families.codes[f]}: {d_pwf:+.4f} pwf",
            )
        )
    return result
