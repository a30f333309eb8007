"""Robust planning: a plan that no single donor's withdrawal hurts too much.

The loss a donor's withdrawal causes a *fixed* plan (nothing re-planned) is the
value its own allocation lines deliver: ``V_d = sum over d's lines of
w / required_quantity * tau * quantity`` (its pwf loss is ``V_d / sum w``).
`plan_robust` maximises

    objective - weight * z,   z >= V_d for every donor d,

so it trades a little value for a smaller worst single-donor loss ``z``. The
model is `nsatu.planner.model`'s, built on a copy of the scenario in which
every item type is split by donor, and with the family pools keyed by donor
too, so that each ``Assign`` column belongs to one donor and ``V_d`` is a
linear row over them. All late weeks are breakpoints (exact values), and the
``z`` column and the per-donor rows are appended to the finished CSR arrays.

docs/planning.md ("Robust mode") states the formulation and its guarantee.
"""

from __future__ import annotations

import dataclasses
import time

import numpy as np
import scipy.sparse as sp

from nsatu.planner import model
from nsatu.planner.check import check_plan
from nsatu.planner.decode import columns_of_plan, plan_of_columns
from nsatu.planner.metrics import line_values, objective_of
from nsatu.planner.model import LinearProgram
from nsatu.planner.plan import Plan, PlanStatus
from nsatu.planner.progress import ProgressCallback, ProgressEvent, ignore_progress
from nsatu.planner.scenario import BoolArray, FloatArray, IntArray, Scenario
from nsatu.planner.solve import solve

# How much one unit of the worst donor's value is discounted by default: 0.5
# keeps every unit worth having (1 would make the worst donor's units worthless
# to the solver, and it could drop them for nothing).
DEFAULT_WEIGHT = 0.5
# Price of shipping one unit, relative to the highest unit value (see `add_worst_loss`).
SHIP_PRICE = 1e-6
# Share of the time limit spent on the normal plan when none is given.
NORMAL_SHARE = 0.4


def donor_values(s: Scenario, plan: Plan) -> FloatArray:
    """Per nation (scenario order): the value its allocation lines deliver, ``V_d``."""
    values = np.zeros(len(s.nations.codes))
    if plan.n_lines:
        unit_weight, tau, _ = line_values(s, plan)
        np.add.at(values, s.offers.donor[plan.alloc_offer], unit_weight * tau * plan.alloc_quantity)
    return values


def fixed_plan_losses(s: Scenario, plan: Plan) -> dict[str, float]:
    """Per donor with offers: the pwf the plan loses when that donor's lines are removed."""
    total = float(s.requirements.weight.sum())
    values = donor_values(s, plan)
    donors = sorted({s.nations.codes[int(d)] for d in s.offers.donor})
    index = s.nations.index
    return {d: (float(values[index[d]]) / total if total > 0 else 0.0) for d in donors}


def worst_loss(s: Scenario, plan: Plan) -> tuple[str, float]:
    """The donor whose withdrawal costs the fixed plan most pwf, and that loss."""
    losses = fixed_plan_losses(s, plan)
    if not losses:
        return "", 0.0
    donor = max(losses, key=lambda d: (losses[d], d))
    return donor, losses[donor]


def robust_objective(s: Scenario, plan: Plan, weight: float = DEFAULT_WEIGHT) -> float:
    """The robust objective of a plan: FORMAT.md's objective minus weight x the worst ``V_d``."""
    values = donor_values(s, plan)
    return objective_of(s, plan) - weight * float(values.max(initial=0.0))


# ----------------------------------------------------------------------------
# The donor-split model


def split_items_by_donor(s: Scenario) -> tuple[Scenario, IntArray]:
    """A copy of ``s`` whose item types are (item, donor) pairs; returns it and each new item's donor.

    Offers, requirements, hubs and families keep their positions, so a plan of
    the copy is a plan of ``s``. Offer classes of the model then never mix donors.
    """
    pairs = sorted({(int(i), int(d)) for i, d in zip(s.offers.item, s.offers.donor, strict=True)})
    position = {pair: k for k, pair in enumerate(pairs)}
    item = np.array([p[0] for p in pairs], dtype=np.int64)
    donor = np.array([p[1] for p in pairs], dtype=np.int64)
    copy = dataclasses.replace(
        s,
        extra_columns={},
        items=dataclasses.replace(
            s.items,
            codes=[f"{s.items.codes[i]}@{s.nations.codes[d]}" for i, d in pairs],
            names=[s.items.names[i] for i, _ in pairs],
            family=s.items.family[item],
            unit=[s.items.unit[i] for i, _ in pairs],
            is_each=s.items.is_each[item],
            mass_t=s.items.mass_t[item],
            nsn=[s.items.nsn[i] for i, _ in pairs],
            is_whole=s.items.is_whole[item],
        ),
        offers=dataclasses.replace(
            s.offers,
            item=np.array(
                [position[(int(i), int(d))] for i, d in zip(s.offers.item, s.offers.donor, strict=True)],
                dtype=np.int64,
            ),
        ),
    )
    return copy, donor


def build_donor_split(s_split: Scenario, item_donor: IntArray) -> LinearProgram:
    """The model of the split scenario, every late week a breakpoint, pools by donor."""
    return model.build(
        s_split, late="restrict", exact_late_weeks=max(s_split.horizon_weeks, 1), item_donor=item_donor
    )


@dataclasses.dataclass
class RobustModel:
    """The donor-split model with the worst-loss column ``z`` (last) and one row per donor."""

    lp: LinearProgram
    cost: FloatArray
    col_lower: FloatArray
    col_upper: FloatArray
    integer: BoolArray
    matrix: sp.csr_matrix
    row_lower: FloatArray
    row_upper: FloatArray
    donors: IntArray  # nation positions of the Donor-loss rows


def add_worst_loss(lp: LinearProgram, weight: float, cap: float = np.inf) -> RobustModel:
    """Append ``z`` (cost -weight, at most ``cap``) and ``Donor-loss[d]: sum V_d - z <= 0``."""
    pool = lp.col_blocks["Assign"].keys[0]
    donor = lp.reduction.pools.donor[pool]
    donors, row_of = np.unique(donor, return_inverse=True)
    n, m = lp.n_cols, lp.n_rows
    k = donors.shape[0]
    assign = lp.columns("Assign")
    values = lp.reduction.assigns.value
    rows = np.concatenate([row_of.reshape(-1), np.arange(k)])
    cols = np.concatenate([assign, np.full(k, n)])
    vals = np.concatenate([values, -np.ones(k)])
    extra = sp.csr_matrix((vals, (rows, cols)), shape=(k, n + 1))
    matrix = sp.vstack([sp.hstack([lp.matrix, sp.csr_matrix((m, 1))]), extra]).tocsr()
    cost = np.concatenate([lp.col_cost, [-weight]])
    # A tiny price on shipping: the solver would otherwise ship surplus units it does
    # not assign, and the plan extraction (which re-assigns arrived units by value
    # alone) could then take a requirement's units from one donor after all.
    cost[lp.columns("Ship")] -= SHIP_PRICE * float(values.max(initial=0.0))
    return RobustModel(
        lp=lp,
        cost=cost,
        col_lower=np.concatenate([lp.col_lower, [0.0]]),
        col_upper=np.concatenate([lp.col_upper, [cap]]),
        integer=np.concatenate([lp.col_integer, [False]]),
        matrix=matrix,
        row_lower=np.concatenate([lp.row_lower, np.full(k, -np.inf)]),
        row_upper=np.concatenate([lp.row_upper, np.zeros(k)]),
        donors=donors.astype(np.int64),
    )


# ----------------------------------------------------------------------------
# The method


def plan_robust(
    s: Scenario,
    *,
    time_limit: float = 60.0,
    gap: float = 1e-3,
    progress: ProgressCallback | None = None,
    normal: Plan | None = None,
    weight: float = DEFAULT_WEIGHT,
) -> Plan:
    """A valid plan maximising ``objective - weight * (worst single-donor loss)``.

    ``normal`` is the plan to protect against (the optimal plan, planned now
    with part of the time limit when not given). The result's worst
    single-donor loss is never larger than ``normal``'s: the normal plan is
    itself a candidate, and candidates with a larger worst loss are set aside.
    """
    from nsatu.planner.optimal import plan_optimal

    report = progress or ignore_progress
    started = time.perf_counter()

    def left() -> float:
        return time_limit - (time.perf_counter() - started)

    if normal is None:
        report(ProgressEvent("normal", 0.0, message="planning the normal plan first"))
        normal = plan_optimal(s, time_limit=time_limit * NORMAL_SHARE, gap=gap)
    normal_worst = float(donor_values(s, normal).max(initial=0.0))
    candidates = [normal]
    message = ""
    report(ProgressEvent("build", 0.0, message="building the donor-split model"))
    s_split, item_donor = split_items_by_donor(s)
    lp = build_donor_split(s_split, item_donor)
    if lp.col_blocks["Assign"].size:
        # the cap keeps the solver among plans no worse than the normal one (with slack for tolerances)
        rm = add_worst_loss(lp, weight, cap=normal_worst * (1 + 1e-9) + 1e-9)
        report(ProgressEvent("build", 1.0, message=f"{lp.n_cols + 1} columns, {rm.matrix.shape[0]} rows"))
        start = columns_of_plan(s_split, lp, normal)
        if start is not None:
            z0 = _worst_model_value(rm, start)
            start = np.concatenate([start, [min(z0, rm.col_upper[-1])]])
        sol = solve(
            rm.cost,
            rm.col_lower,
            rm.col_upper,
            rm.integer,
            rm.matrix,
            rm.row_lower,
            rm.row_upper,
            time_limit=max(left() * 0.85, 0.05),
            gap=gap,
            progress=report,
            start=start,
        )
        message = f"robust model {lp.n_cols + 1} columns x {rm.matrix.shape[0]} rows; solver: {sol.message}"
        if sol.x is not None:
            report(ProgressEvent("repair", 0.0, message="turning the solution into a plan"))
            plan = plan_of_columns(s_split, lp, sol.x[: lp.n_cols], time_limit=max(left(), 1.0))
            candidates.append(plan)
    best = _best(s, candidates, weight, normal_worst)
    chosen_normal = best is normal
    status: PlanStatus = "feasible" if best.n_lines else "empty"
    result = Plan(
        method="robust",
        status=status,
        alloc_offer=best.alloc_offer,
        alloc_requirement=best.alloc_requirement,
        alloc_hub=best.alloc_hub,
        alloc_quantity=best.alloc_quantity,
        alloc_week=best.alloc_week,
        seats_used=best.seats_used,
        message=message + ("; kept the normal plan (no better robust plan found)" if chosen_normal else ""),
        solve_seconds=time.perf_counter() - started,
        build_seconds=lp.build_seconds,
    )
    donor, loss = worst_loss(s, result)
    normal_donor, normal_loss = worst_loss(s, normal)
    result.metrics = {
        "robust_weight": weight,
        "worst_donor": donor,
        "worst_loss_pwf": loss,
        "normal_pwf": float(_pwf(s, normal)),
        "normal_objective": objective_of(s, normal),
        "normal_worst_donor": normal_donor,
        "normal_worst_loss_pwf": normal_loss,
    }
    report(ProgressEvent("done", 1.0, objective_of(s, result), message=result.message))
    return result


def _pwf(s: Scenario, plan: Plan) -> float:
    total = float(s.requirements.weight.sum())
    return float(donor_values(s, plan).sum()) / total if total > 0 else 0.0


def _worst_model_value(rm: RobustModel, x: FloatArray) -> float:
    """max over donors of the model's V_d at column values ``x`` (without z)."""
    rows = rm.matrix[rm.lp.n_rows :, : rm.lp.n_cols]
    return float(np.max(rows @ x, initial=0.0))


def _best(s: Scenario, plans: list[Plan], weight: float, normal_worst: float) -> Plan:
    """The valid plan of best robust objective among those no worse in the worst case than the normal one."""
    best, best_value = plans[0], -np.inf
    for plan in plans:
        worst = float(donor_values(s, plan).max(initial=0.0))
        if worst > normal_worst + 1e-9 * max(1.0, normal_worst) or check_plan(s, plan):
            continue
        value = robust_objective(s, plan, weight)
        if value > best_value + 1e-12:
            best, best_value = plan, value
    return best
