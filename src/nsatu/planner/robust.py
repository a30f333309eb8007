"""Robust planning: a plan that no single donor's withdrawal hurts too much.

The loss a donor's withdrawal causes a *fixed* plan (nothing re-planned) is the
value its own allocation lines deliver: ``V_d = sum over d's lines of
w / required_quantity * tau * quantity`` (its pwf loss is ``V_d / sum w``).
`plan_robust` maximises

    objective - weight * z,   z >= V_d for every donor d,

so it trades a little value for a smaller worst single-donor loss ``z``.

The model is `nsatu.planner.model`'s, hubs relaxed, built on a copy of the
scenario in which every item type is split by donor (``item_donor``: the pools
are keyed by donor too), so that every ``Assign`` column belongs to one donor
and ``V_d`` is linear. Capabilities share only the rows ``z >= V_d``: a
donor's losses add up over them. So the problem is solved by column
generation over capabilities (Dantzig-Wolfe): a small master LP chooses, per
capability, a mix of that capability's plans found so far, and its duals on
the donor rows price each donor's units for the next round, in which every
capability's LP is solved again with those prices. The mix is decoded into
lines, which the scheduler takes through the real hubs.

docs/planning.md ("Robust mode") states the formulation and its guarantee.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import scipy.sparse as sp

from nsatu.planner import model
from nsatu.planner.blocks import CapabilityBlock, block_program, capability_blocks
from nsatu.planner.budget import TimeBudget
from nsatu.planner.check import check_plan
from nsatu.planner.decode import columns_of_plan, plan_of_columns, reassigned
from nsatu.planner.decompose import relax_hubs
from nsatu.planner.metrics import line_values, objective_of
from nsatu.planner.plan import Plan, PlanStatus
from nsatu.planner.progress import ProgressCallback, ProgressEvent, ignore_progress
from nsatu.planner.scenario import FloatArray, IntArray, Scenario
from nsatu.planner.schedule import schedule_through_hubs
from nsatu.planner.solve import solve

# How much one unit of the worst donor's value is discounted by default: 0.5
# keeps every unit worth having (1 would make the worst donor's units worthless
# to the solver, and it could drop them for nothing).
DEFAULT_WEIGHT = 0.5
# Share of the time limit spent on the normal plan when none is given.
NORMAL_SHARE = 0.4
# Share of the time left kept for turning the final mix into a plan.
DECODE_SHARE = 0.2
# A capability's plan enters the master only when it improves the priced objective by this much.
IMPROVING = 1e-7


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


@dataclasses.dataclass
class _Column:
    """One capability plan of the master: its model columns, objective and value per donor."""

    block: int
    x: FloatArray  # the block's columns
    objective: float
    donor_value: FloatArray  # per nation


class _DonorSplitModel:
    """The hubs-relaxed, donor-split model cut by capability, and what prices its donors."""

    def __init__(self, s: Scenario) -> None:
        self.split, item_donor = split_items_by_donor(relax_hubs(s))
        self.lp = model.build(self.split, item_donor=item_donor)
        self.blocks = capability_blocks(self.lp, self.split.capability_codes)
        lp, red = self.lp, self.lp.reduction
        self.assign = lp.columns("Assign")
        self.assign_donor = red.pools.donor[red.assigns.pool]
        self.n_nations = len(s.nations)

    def columns_of(self, block: CapabilityBlock, x: FloatArray, n: int) -> _Column:
        """A block's solution as a master column."""
        lp = self.lp
        whole = np.zeros(lp.n_cols)
        whole[block.cols] = x
        values = lp.col_cost[self.assign] * whole[self.assign]
        donor = np.zeros(self.n_nations)
        np.add.at(donor, self.assign_donor, values)
        return _Column(n, x, float(lp.col_cost[block.cols] @ x), donor)

    def priced_costs(self, block: CapabilityBlock, prices: FloatArray) -> FloatArray:
        """The block's costs with each donor's units worth ``1 - price of the donor`` of their value."""
        lp = self.lp
        cost = lp.col_cost.copy()
        cost[self.assign] *= 1.0 - prices[self.assign_donor]
        return np.asarray(cost[block.cols], dtype=np.float64)


def _master(
    columns: list[_Column], n_blocks: int, n_nations: int, weight: float, cap: float
) -> tuple[FloatArray, FloatArray, FloatArray] | None:
    """The master LP: per block a convex mix of its columns, z >= each donor's value, maximising
    objective - weight z (z at most ``cap``). Returns (mix, donor prices, block prices)."""
    k = len(columns)
    block = np.array([c.block for c in columns], dtype=np.int64)
    donor = np.array([c.donor_value for c in columns])  # columns x nations
    objective = np.array([c.objective for c in columns])
    # rows: convexity per block, then one per nation: sum_k V_dk a_k - z <= 0
    rows = [block, n_blocks + np.repeat(np.arange(n_nations), k), n_blocks + np.arange(n_nations)]
    cols = [np.arange(k), np.tile(np.arange(k), n_nations), np.full(n_nations, k)]
    vals = [np.ones(k), donor.T.reshape(-1), -np.ones(n_nations)]
    matrix = sp.csr_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
        shape=(n_blocks + n_nations, k + 1),
    )
    lower = np.concatenate([np.ones(n_blocks), np.full(n_nations, -np.inf)])
    upper = np.concatenate([np.ones(n_blocks), np.zeros(n_nations)])
    sol = solve(
        np.concatenate([objective, [-weight]]),
        np.zeros(k + 1),
        np.concatenate([np.ones(k), [cap]]),
        np.zeros(k + 1, bool),
        matrix,
        lower,
        upper,
        time_limit=10.0,
        relax_integrality=True,
    )
    if sol.x is None or sol.row_dual is None:
        return None
    return sol.x[:k], np.maximum(sol.row_dual[n_blocks:], 0.0), sol.row_dual[:n_blocks]


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
    budget = TimeBudget(time_limit)
    if normal is None:
        report(ProgressEvent("normal", 0.0, message="planning the normal plan first"))
        normal = plan_optimal(s, time_limit=time_limit * NORMAL_SHARE, gap=gap)
    normal_worst = float(donor_values(s, normal).max(initial=0.0))
    report(ProgressEvent("build", 0.0, message="building the donor-split model"))
    m = _DonorSplitModel(s)
    candidates = [normal]
    rounds, message = 0, ""
    if m.lp.col_blocks["Assign"].size and m.blocks:
        relaxed_normal = dataclasses.replace(normal, alloc_hub=np.zeros(normal.n_lines, np.int64))
        start = columns_of_plan(m.split, m.lp, relaxed_normal) if normal.n_lines else None
        columns = [m.columns_of(b, np.zeros(b.size), n) for n, b in enumerate(m.blocks)]
        if start is not None:
            columns += [m.columns_of(b, start[b.cols], n) for n, b in enumerate(m.blocks)]
        solvers = [block_program(m.lp, [b], m.lp.row_upper).solver(relax_integrality=True) for b in m.blocks]
        mix: FloatArray | None = None
        while budget.left() > DECODE_SHARE * time_limit:
            # the cap keeps the master among plans no worse than the normal one (slack for tolerances)
            master = _master(columns, len(m.blocks), m.n_nations, weight, normal_worst * (1 + 1e-9) + 1e-9)
            if master is None:
                message = "the master LP found no solution"
                break
            mix, prices, block_prices = master
            rounds += 1
            added = 0
            for n, block in enumerate(m.blocks):
                if budget.left() <= DECODE_SHARE * time_limit:
                    break
                solver = solvers[n]
                solver.change_costs(np.arange(block.size), m.priced_costs(block, prices))
                sol = solver.run(time_limit=budget.left())
                if sol.x is None:
                    continue
                column = m.columns_of(block, sol.x, n)
                gain = column.objective - float(prices @ column.donor_value) - block_prices[n]
                if gain > IMPROVING * max(1.0, abs(column.objective)):
                    columns.append(column)
                    added += 1
            report(
                ProgressEvent("solve", None, message=f"round {rounds}: {added} capability plans priced in")
            )
            if added == 0:
                message = f"column generation converged in {rounds} rounds"
                break
        else:
            message = f"column generation stopped by the time limit after {rounds} rounds"
        if mix is not None:
            x = np.zeros(m.lp.n_cols)
            for share, column in zip(mix, columns, strict=False):
                if share > 1e-12:
                    x[m.blocks[column.block].cols] += share * column.x
            relaxed = plan_of_columns(m.split, m.lp, x, time_limit=max(budget.left(), 0.5))
            lines = (relaxed.alloc_offer, relaxed.alloc_requirement, relaxed.alloc_quantity)
            scheduled = schedule_through_hubs(s, *lines, method="robust")
            candidates.append(scheduled)
            # re-assigned at true values: it may undo some of the spread, and is kept only
            # when its robust objective is the better one
            candidates.append(reassigned(s, model.build(s), scheduled, time_limit=max(budget.left(), 0.5)))
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
        message=message
        + ("; kept the normal plan (no plan found with a better robust objective)" if chosen_normal else ""),
        solve_seconds=budget.elapsed(),
        build_seconds=m.lp.build_seconds,
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
        "robust_rounds": rounds,
    }
    report(ProgressEvent("done", 1.0, objective_of(s, result), message=result.message))
    return result


def _pwf(s: Scenario, plan: Plan) -> float:
    total = float(s.requirements.weight.sum())
    return float(donor_values(s, plan).sum()) / total if total > 0 else 0.0


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
