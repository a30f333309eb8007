"""The optimal method: a valid plan, a proven bound, and the gap between them.

Two phases (docs/planning.md has the details and the proofs):

1. **Decomposition.** With hub capacity relaxed, the scenario falls apart into
   one small scenario per capability (`nsatu.planner.decompose`). Each is built
   as the model of `nsatu.planner.model` and solved to a small gap as a MIP;
   the sum of their dual bounds is an upper bound of FORMAT.md's objective over
   all plans. Their lines get real hubs and weeks from the hub scheduler
   (`nsatu.planner.schedule`), which keeps every rule.
2. **The whole model**, when the gap is still above the target and the time
   left is enough for a model of its size: the same model over all
   capabilities and real hubs, solved by branch and bound from the best plan so
   far; its dual bound can only tighten the bound.

The returned plan is the best, by objective, of the plans the independent
checker accepts (the greedy baseline is always one of them).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from nsatu.planner import model
from nsatu.planner.check import check_plan
from nsatu.planner.decompose import (
    Part,
    fingerprint,
    lines_in_parent,
    plan_in_part,
    relax_hubs,
    split_by_capability,
)
from nsatu.planner.heuristics import plan_greedy
from nsatu.planner.metrics import objective_of
from nsatu.planner.model import LinearProgram, Reduction
from nsatu.planner.plan import Plan, PlanStatus
from nsatu.planner.progress import ProgressCallback, ProgressEvent, ignore_progress
from nsatu.planner.scenario import BoolArray, FloatArray, IntArray, Scenario
from nsatu.planner.schedule import schedule_through_hubs
from nsatu.planner.solve import solve

__all__ = ["columns_of_plan", "objective_of", "plan_of_columns", "plan_optimal"]

# Share of the time limit the decomposition may use (the rest: the whole model, extraction).
DECOMPOSITION_SHARE = 0.8
# The whole model is tried only when it has at most this many columns per second left.
WHOLE_MODEL_COLUMNS_PER_SECOND = 8_000
# Share of the time limit kept for turning the whole model's solution into a plan.
EXTRACTION_SHARE = 0.12
# Most of the time left the whole model's LP relaxation may take.
LP_SHARE = 0.5
# Relative margin added to every bound for solver tolerances.
BOUND_MARGIN = 1e-7
NOTHING_FLOWS = "no offer can reach a requirement"
NO_LP = "no LP solution in time"


def plan_optimal(
    s: Scenario,
    *,
    time_limit: float = 60.0,
    gap: float = 1e-3,
    progress: ProgressCallback | None = None,
    warm_start: Plan | None = None,
) -> Plan:
    """A valid plan maximising FORMAT.md's objective, with a proven bound over all plans.

    ``warm_start`` is a previous plan (of this scenario or of an earlier version
    of it): its still-valid lines seed the solvers, and the capabilities whose
    data did not change since (same fingerprint in its ``metrics["parts"]``)
    keep its lines and bound without being solved again.
    """
    report = progress or ignore_progress
    started = time.perf_counter()
    try:
        return _plan_optimal(s, time_limit, gap, report, warm_start, started)
    except Exception as exc:  # an unexpected failure is a status, not a traceback
        return Plan(
            method="optimal",
            status="error",
            seats_used=None,
            message=f"optimal planner failed: {type(exc).__name__}: {exc}",
            solve_seconds=time.perf_counter() - started,
        )


@dataclass
class PartResult:
    """What the decomposition found for one capability."""

    code: str
    fingerprint: str
    bound: float
    objective: float  # of the part's plan, hubs relaxed
    status: str
    # the part's plan in the parent's positions: offer, requirement, quantity, week
    lines: tuple[IntArray, IntArray, FloatArray, IntArray]
    build_seconds: float = 0.0

    def as_json(self) -> dict[str, object]:
        return {
            "capability": self.code,
            "fingerprint": self.fingerprint,
            "bound": self.bound,
            "objective": self.objective,
            "status": self.status,
        }


class Candidates:
    """The plans found so far; each is checked once by the independent checker."""

    def __init__(self, s: Scenario) -> None:
        self.scenario = s
        self.valid: list[tuple[float, Plan]] = []

    def add(self, plan: Plan | None) -> None:
        if plan is not None and plan.n_lines and _passes_check(self.scenario, plan):
            self.valid.append((objective_of(self.scenario, plan), plan))

    def best(self) -> Plan | None:
        return max(self.valid, key=lambda pair: pair[0])[1] if self.valid else None

    def best_value(self) -> float:
        return max((value for value, _ in self.valid), default=0.0)


def _plan_optimal(
    s: Scenario,
    time_limit: float,
    gap: float,
    report: ProgressCallback,
    warm_start: Plan | None,
    started: float,
) -> Plan:
    s.check_shapes()
    if len(s.requirements.ids) == 0 or len(s.offers.ids) == 0:
        return _empty_plan(s, "no requirements or no offers: nothing to allocate")
    deadline = started + time_limit
    report(ProgressEvent("build", 0.0, message="splitting the scenario by capability"))

    def left() -> float:
        return deadline - time.perf_counter()

    candidates = Candidates(s)
    if warm_start is not None and warm_start.n_lines:
        candidates.add(_rescheduled(s, warm_start))
    if not candidates.valid:  # the greedy plan is the safety net of a cold start
        candidates.add(_baseline(s))

    # 1. decomposition by capability, hubs relaxed
    parts, part_seconds = _solve_parts(
        s, candidates, warm_start, gap, started + time_limit * DECOMPOSITION_SHARE, report
    )
    if all(p.status == NOTHING_FLOWS for p in parts):
        return _empty_plan(s, "no offer can reach a requirement it may serve within the horizon")
    bound = min(sum(p.bound for p in parts), _supply_bound(s))
    report(
        ProgressEvent("repair", 0.9, candidates.best_value(), bound, message="scheduling through the hubs")
    )
    offer, requirement, quantity = (np.concatenate([p.lines[k] for p in parts]) for k in range(3))
    scheduled = schedule_through_hubs(s, offer, requirement, quantity)
    candidates.add(scheduled)
    best_value = candidates.best_value()
    report(ProgressEvent("repair", 0.93, best_value, bound, _gap(best_value, bound), "lines scheduled"))
    build_seconds = sum(p.build_seconds for p in parts)
    notes = [f"{len(parts)} capabilities solved with hubs relaxed in {part_seconds:.1f} s"]
    whole: LinearProgram | None = None
    if _gap(best_value, bound) > gap and left() > 1.0 and scheduled.n_lines:
        # the scheduled arrivals re-assigned to the needs at their true values
        whole = model.build(s, late="relax")
        build_seconds += whole.build_seconds
        candidates.add(reassigned(s, whole, scheduled, time_limit=max(0.5 * left(), 0.5)))
        best_value = candidates.best_value()
        report(
            ProgressEvent("solve", None, best_value, bound, _gap(best_value, bound), "arrivals re-assigned")
        )

    # 2. the whole model, when the gap is open and there is time for it
    whole_status = ""
    if _gap(best_value, bound) > gap and left() > 0.5:
        lp = whole if whole is not None else model.build(s, late="relax")
        if whole is None:
            build_seconds += lp.build_seconds
        if lp.col_blocks["Assign"].size and lp.n_cols <= WHOLE_MODEL_COLUMNS_PER_SECOND * left():
            found, whole_bound, whole_status = _solve_whole(s, lp, candidates.best(), left, report, gap)
            for plan in found:
                candidates.add(plan)
            if whole_bound is not None:
                bound = min(bound, whole_bound)
            notes.append(f"whole model {lp.n_cols} columns x {lp.n_rows} rows: {whole_status}")
        else:
            notes.append(f"whole model ({lp.n_cols} columns) skipped: too large for the time left")
    best = candidates.best() or _empty_plan(s, "no valid plan found in the time limit")
    objective = objective_of(s, best)
    bound += BOUND_MARGIN * max(1.0, abs(bound))
    bound = max(bound, objective)
    rel_gap = _gap(objective, bound)
    status: PlanStatus
    if rel_gap <= gap + 2 * BOUND_MARGIN:
        status = "optimal"
    elif time.perf_counter() >= deadline - 0.05 or whole_status == "time_limit":
        status = "time_limit"
    else:
        status = "feasible"
    result = Plan(
        method="optimal",
        status=status,
        alloc_offer=best.alloc_offer,
        alloc_requirement=best.alloc_requirement,
        alloc_hub=best.alloc_hub,
        alloc_quantity=best.alloc_quantity,
        alloc_week=best.alloc_week,
        seats_used=None,
        message=f"objective {objective:.6g}, bound {bound:.6g}, gap {rel_gap:.3%}; " + "; ".join(notes),
        bound=bound,
        solve_seconds=time.perf_counter() - started - build_seconds,
        build_seconds=build_seconds,
        metrics={
            "objective": objective,
            "bound": bound,
            "gap": rel_gap,
            "parts": [p.as_json() for p in parts],
        },
    )
    report(ProgressEvent("done", 1.0, objective, bound, rel_gap, result.message))
    return result


def _gap(objective: float, bound: float) -> float:
    return (bound - objective) / max(1.0, abs(bound))


def _solve_parts(
    s: Scenario,
    candidates: Candidates,
    warm_start: Plan | None,
    gap: float,
    deadline: float,
    report: ProgressCallback,
) -> tuple[list[PartResult], float]:
    """Solve every capability with hubs relaxed, up to `deadline`: first each
    part's LP relaxation (a bound and a rounded plan for every part, quickly),
    then branch and bound on the parts whose gap is still open, largest first.
    A warm start's capabilities whose data did not change are kept as they were."""
    started = time.perf_counter()
    parts = split_by_capability(relax_hubs(s))
    previous = _previous_parts(warm_start)
    prints = [fingerprint(p.scenario) for p in parts]
    kept = [
        warm_start is not None and previous.get(p.code, ("", 0.0))[0] == f
        for p, f in zip(parts, prints, strict=True)
    ]
    # a part's model size grows with its offers and requirements; a kept part takes no time
    sizes = np.array(
        [0.0 if k else float(p.offers.size + p.requirements.size) for p, k in zip(parts, kept, strict=True)]
    )
    seed = candidates.best()
    supply = [_supply_bound(p.scenario) for p in parts]
    results: list[PartResult] = []
    models: list[LinearProgram | None] = []

    def progress(fraction: float, message: str) -> None:
        # parts not solved yet count with their supply bound, so the sum is a bound at every step
        bound = sum(r.bound for r in results) + sum(supply[len(results) :])
        incumbent = candidates.best_value()
        report(ProgressEvent("solve", fraction, incumbent, bound, _gap(incumbent, bound), message))

    for i, part in enumerate(parts):
        if kept[i] and warm_start is not None:
            old_bound = previous[part.code][1]
            old = plan_in_part(part, warm_start)
            result = PartResult(
                part.code,
                prints[i],
                old_bound,
                objective_of(part.scenario, old),
                "kept",
                lines_in_parent(part, old),
            )
            lp = None
        else:
            # the relaxations may take up to half of what is left, shared by size
            todo = sizes[i:].sum()
            share = max(0.5 * (deadline - time.perf_counter()) * sizes[i] / max(todo, 1.0), 0.05)
            result, lp = _relax_part(part, prints[i], seed, share)
        results.append(result)
        models.append(lp)
        progress(
            0.6 * (i + 1) / len(parts), f"capability {part.code} ({i + 1}/{len(parts)}): {result.status}"
        )
    # the relaxations that ran out of time get the time the others left over
    retry = [i for i, r in enumerate(results) if r.status == NO_LP]
    for n, i in enumerate(retry):
        share = 0.7 * (deadline - time.perf_counter()) * sizes[i] / max(sizes[retry[n:]].sum(), 1.0)
        if share < 0.05:
            break
        # the retry starts from the same seed, so its plan is no worse than the first try's
        result, models[i] = _relax_part(parts[i], prints[i], seed, share)
        result.bound = min(result.bound, results[i].bound)
        result.build_seconds += results[i].build_seconds
        results[i] = result
        progress(0.6, f"capability {parts[i].code} again: {results[i].status}")
    open_parts = sorted(
        (i for i, r in enumerate(results) if models[i] is not None and _gap(r.objective, r.bound) > gap / 2),
        key=lambda i: results[i].objective - results[i].bound,
    )
    for n, i in enumerate(open_parts):
        lp = models[i]
        assert lp is not None
        share = (deadline - time.perf_counter()) * sizes[i] / max(sizes[open_parts[n:]].sum(), 1.0)
        if share < 0.05:
            break
        results[i] = _branch_part(parts[i], lp, results[i], gap, share)
        code = parts[i].code
        progress(
            0.6 + 0.3 * (n + 1) / len(open_parts),
            f"capability {code}, branch and bound ({n + 1}/{len(open_parts)}): {results[i].status}",
        )
    return results, time.perf_counter() - started


def _part_plan(part: Part, lines: tuple[IntArray, IntArray, FloatArray, IntArray]) -> Plan:
    """A part's lines (in the parent's positions) as a plan of the part."""
    offer, requirement, quantity, week = lines
    return plan_in_part(
        part,
        Plan(
            method="optimal",
            status="feasible",
            alloc_offer=offer,
            alloc_requirement=requirement,
            alloc_hub=np.zeros(offer.shape[0], np.int64),
            alloc_quantity=quantity,
            alloc_week=week,
        ),
    )


def _relax_part(
    part: Part, print_: str, seed: Plan | None, seconds: float
) -> tuple[PartResult, LinearProgram | None]:
    """A part's model and LP relaxation: its bound, and the better of the seed
    and the LP solution rounded into a plan (hubs relaxed)."""
    sub = part.scenario
    lp = model.build(sub, late="relax")
    if lp.col_blocks["Assign"].size == 0:
        return PartResult(part.code, print_, 0.0, 0.0, NOTHING_FLOWS, _no_lines(), lp.build_seconds), None
    plans = Candidates(sub)
    if seed is not None:
        plans.add(plan_in_part(part, seed))
    bound = _supply_bound(sub)
    relaxed = solve(*lp.arrays(), time_limit=seconds, relax_integrality=True)
    status = NO_LP
    if relaxed.status == "optimal" and relaxed.objective is not None and relaxed.x is not None:
        bound = min(bound, relaxed.objective)
        plans.add(
            plan_of_columns(sub, lp, _rounded(lp, relaxed.x), time_limit=seconds, decide_families=False)
        )
        status = "LP"
    best = plans.best()
    lines = lines_in_parent(part, best) if best is not None else _no_lines()
    return PartResult(part.code, print_, bound, plans.best_value(), status, lines, lp.build_seconds), lp


def _branch_part(part: Part, lp: LinearProgram, first: PartResult, gap: float, seconds: float) -> PartResult:
    """Branch and bound on a part's model from its best plan so far, for `seconds`."""
    started = time.perf_counter()
    sub = part.scenario
    plans = Candidates(sub)
    best_so_far = _part_plan(part, first.lines)
    plans.add(best_so_far)
    start = columns_of_plan(sub, lp, best_so_far) if best_so_far.n_lines else None
    sol = solve(*lp.arrays(), time_limit=seconds, gap=gap / 2, start=start)
    bound = min(first.bound, sol.bound) if sol.bound is not None else first.bound
    if sol.x is not None:
        remaining = max(seconds - (time.perf_counter() - started), 0.2)
        plans.add(plan_of_columns(sub, lp, sol.x, time_limit=remaining, decide_families=False))
    best = plans.best()
    lines = lines_in_parent(part, best) if best is not None else _no_lines()
    return PartResult(
        part.code, first.fingerprint, bound, plans.best_value(), sol.status, lines, first.build_seconds
    )


def _rounded(lp: LinearProgram, x: FloatArray) -> FloatArray:
    """An LP solution made ready for `plan_of_columns`: releases of whole items
    rounded down (every row they touch stays feasible), and the assignments of a
    family the LP introduces by less than half dropped, so it is not introduced."""
    rounded = x.copy()
    release = lp.columns("Release")
    whole = lp.col_integer[release]
    rounded[release] = np.where(whole, np.floor(rounded[release] + 1e-6), rounded[release])
    intro = lp.col_blocks["Introduce"]
    weak = intro.keys[0][x[lp.columns("Introduce")] < 0.5]
    if weak.size:
        assign_family = lp.reduction.pool_family[lp.col_blocks["Assign"].keys[0]]
        rounded[lp.columns("Assign")[np.isin(assign_family, weak)]] = 0.0
    return rounded


def _no_lines() -> tuple[IntArray, IntArray, FloatArray, IntArray]:
    return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0), np.zeros(0, np.int64)


def _previous_parts(plan: Plan | None) -> dict[str, tuple[str, float]]:
    """capability -> (fingerprint, bound) from a previous optimal plan's metrics."""
    out: dict[str, tuple[str, float]] = {}
    parts = plan.metrics.get("parts") if plan is not None else None
    if isinstance(parts, list):
        for entry in parts:
            if isinstance(entry, dict) and {"capability", "fingerprint", "bound"} <= entry.keys():
                out[str(entry["capability"])] = (str(entry["fingerprint"]), float(entry["bound"]))
    return out


def _rescheduled(s: Scenario, plan: Plan) -> Plan | None:
    """A previous plan's lines that still fit this scenario's offers and
    requirements (rules 1-4), scheduled through the hubs anew."""
    o, r, q = plan.alloc_offer, plan.alloc_requirement, plan.alloc_quantity
    inside = (o >= 0) & (o < len(s.offers.ids)) & (r >= 0) & (r < len(s.requirements.ids)) & (q > 0)
    o, r, q = o[inside], r[inside], q[inside]
    family = s.items.family[s.offers.item[o]]
    earmark = s.offers.earmark[o]
    ok = s.requirements.family_ok[r, family] & ((earmark < 0) | (earmark == r))
    usable = model.usable_quantity(s)
    ok &= _within(o, q, ok, usable)
    ok &= _within(r, q, ok, s.requirements.quantity)
    if not ok.any():
        return None
    return schedule_through_hubs(s, o[ok], r[ok], q[ok])


def _solve_whole(
    s: Scenario,
    lp: LinearProgram,
    incumbent: Plan | None,
    left: Callable[[], float],
    report: ProgressCallback,
    gap: float,
) -> tuple[list[Plan], float | None, str]:
    """The whole model by branch and bound from the best plan so far: plans found, dual bound, status."""
    args = lp.arrays()
    found: list[Plan] = []
    bounds: list[float] = []
    # the LP relaxation: a bound, and by rounding releases down, a plan
    relaxed = solve(*args, time_limit=max(left() * LP_SHARE, 0.05), relax_integrality=True)
    if relaxed.status == "optimal" and relaxed.objective is not None and relaxed.x is not None:
        bounds.append(relaxed.objective)
        found.append(plan_of_columns(s, lp, _rounded(lp, relaxed.x), time_limit=max(left() * 0.3, 1.0)))
    seeds = Candidates(s)
    for plan in found:
        seeds.add(plan)
    seeds.add(incumbent)
    best = seeds.best()
    start = columns_of_plan(s, lp, best) if best is not None else None
    sol = solve(
        *args, time_limit=max(left() * (1 - EXTRACTION_SHARE), 0.05), gap=gap, progress=report, start=start
    )
    if sol.bound is not None:
        bounds.append(sol.bound)
    if sol.x is not None:
        found.append(plan_of_columns(s, lp, sol.x, time_limit=max(left(), 1.0)))
    return found, (min(bounds) if bounds else None), sol.status


def _supply_bound(s: Scenario) -> float:
    """A bound needing no solver: each requirement yields at most its weight times
    the share of it that compatible, usable offers could cover."""
    usable = model.usable_quantity(s)
    fam = s.items.family[s.offers.item]
    ok = s.requirements.family_ok[:, fam]  # requirements x offers
    earmark = s.offers.earmark
    ok = ok & ((earmark < 0) | (earmark[None, :] == np.arange(len(s.requirements.ids))[:, None]))
    supply = ok.astype(np.float64) @ usable
    share = np.minimum(1.0, supply / s.requirements.quantity)
    return float((s.requirements.weight * share).sum())


def _empty_plan(s: Scenario, message: str) -> Plan:
    """The empty plan: valid for every scenario, objective 0, bound 0 when nothing can flow."""
    return Plan(method="optimal", status="empty", seats_used=None, message=message, bound=0.0)


def _baseline(s: Scenario) -> Plan | None:
    """The greedy plan (a seed and a fallback); None when it allocates nothing."""
    plan = plan_greedy(s)
    return plan if plan.n_lines else None


def _passes_check(s: Scenario, plan: Plan) -> bool:
    """The independent checker finds no violation."""
    return not check_plan(s, plan)


# ----------------------------------------------------------------------------
# Solution -> plan


def match_in_order(
    group_a: IntArray, amount_a: FloatArray, group_b: IntArray, amount_b: FloatArray
) -> tuple[IntArray, IntArray, FloatArray]:
    """Pair two lists, each sorted by group, first-in first-out within each group.

    Returns (index into a, index into b, amount) for every overlap; per group,
    the shorter side is used up completely.
    """
    n_groups = int(max(group_a.max(initial=-1), group_b.max(initial=-1))) + 1
    total_a = np.bincount(group_a, weights=amount_a, minlength=n_groups)
    total_b = np.bincount(group_b, weights=amount_b, minlength=n_groups)
    # a dummy element per group pads the shorter side so group totals agree
    pad_a = np.maximum(total_b - total_a, 0)
    pad_b = np.maximum(total_a - total_b, 0)
    groups = np.arange(n_groups, dtype=np.int64)
    ga = np.concatenate([group_a, groups])
    gb = np.concatenate([group_b, groups])
    aa = np.concatenate([amount_a, pad_a])
    ab = np.concatenate([amount_b, pad_b])
    ia = np.concatenate([np.arange(group_a.shape[0]), np.full(n_groups, -1)])
    ib = np.concatenate([np.arange(group_b.shape[0]), np.full(n_groups, -1)])
    oa = np.argsort(ga, kind="stable")
    ob = np.argsort(gb, kind="stable")
    ca = np.cumsum(aa[oa])
    cb = np.cumsum(ab[ob])
    cuts = np.union1d(ca, cb)
    lows = np.concatenate([[0.0], cuts[:-1]])
    amount = cuts - lows
    mid = lows + amount / 2
    pa = ia[oa][np.minimum(np.searchsorted(ca, mid), ca.shape[0] - 1)]
    pb = ib[ob][np.minimum(np.searchsorted(cb, mid), cb.shape[0] - 1)]
    keep = (pa >= 0) & (pb >= 0) & (amount > 1e-9 * np.maximum(1.0, np.abs(cuts)))
    return pa[keep].astype(np.int64), pb[keep].astype(np.int64), amount[keep]


def _whole(amount: FloatArray, each: BoolArray) -> FloatArray:
    """Round `each` quantities to whole units (they are whole up to solver tolerance)."""
    return np.where(each, np.floor(amount + 1e-6), amount)


def plan_of_columns(
    s: Scenario, lp: LinearProgram, x: FloatArray, *, time_limit: float = 10.0, decide_families: bool = True
) -> Plan:
    """Turn model column values into a valid plan, in exact steps:

    whole shipments from a network LP with the releases fixed (a basic solution
    is integral); first-in first-out through each queue gives each class's
    arrival weeks; the arrived units per (pool, week) are re-assigned to the
    requirement groups the solution used for that pool, at their true values
    (with ``decide_families`` a small MIP that may also drop a family not
    worth its cost; without, a transportation LP over the families the
    solution uses, whose basic solutions are whole); groups split into
    requirements and classes into offers, first-in first-out.
    """
    red = lp.reduction

    # shipments into queues, releases out of them
    q, week = lp.col_blocks["Release"].keys
    release = _whole(np.maximum(x[lp.columns("Release")], 0), s.items.is_each[red.queue_item[q]])
    ship_each = s.items.is_each[red.class_item[red.ship_class]]
    ship = _whole_shipments(lp, release, ship_each, time_limit)
    if ship is None:
        ship = np.clip(_whole(x[lp.columns("Ship")], ship_each), 0, lp.col_upper[lp.columns("Ship")])

    # first-in first-out through each queue: entries by week, releases by week
    e_order = np.lexsort((red.ship_week, red.ship_queue))
    r_keep = np.flatnonzero(release > 0)
    r_order = r_keep[np.lexsort((week[r_keep], q[r_keep]))]
    ia, ib, amount = match_in_order(red.ship_queue[e_order], ship[e_order], q[r_order], release[r_order])
    ship_idx = e_order[ia]
    arrive = week[r_order][ib]
    fine = red.ship_week[ship_idx] <= arrive  # FIFO guarantees it up to solver tolerance
    piece_ship, piece_week = ship_idx[fine], arrive[fine]
    piece_amount = _whole(amount[fine], ship_each[piece_ship])
    keep = piece_amount > 0
    piece_ship, piece_week, piece_amount = piece_ship[keep], piece_week[keep], piece_amount[keep]
    assign = x[lp.columns("Assign")]
    a_pool, a_group, _ = lp.col_blocks["Assign"].keys
    used_pairs = np.unique(a_pool[assign > 1e-7] * red.group_quantity.shape[0] + a_group[assign > 1e-7])
    return _plan_of_pieces(
        s, lp, piece_ship, piece_week, piece_amount, used_pairs, time_limit, decide_families
    )


def reassigned(s: Scenario, lp: LinearProgram, plan: Plan, *, time_limit: float = 10.0) -> Plan:
    """A valid plan with the same arrivals (offer class, hub, week, quantity) as
    ``plan``, re-assigned to the requirements its lines serve at their true values
    (a transportation LP): units that arrive early go to the needs due first."""
    red = lp.reduction
    ship_index = np.full(red.class_earliest.shape, -1, dtype=np.int64)
    ship_index[red.ship_class, red.ship_hub] = np.arange(red.ship_class.shape[0])
    k = red.offer_class[plan.alloc_offer]
    ok = (k >= 0) & (plan.alloc_quantity > 0)
    ship = np.where(ok, ship_index[np.maximum(k, 0), plan.alloc_hub], -1)
    ok &= ship >= 0
    if not ok.any():
        return plan
    key = ship[ok] * red.horizon + plan.alloc_week[ok]
    pieces, inverse = np.unique(key, return_inverse=True)
    amount = np.bincount(inverse.reshape(-1), weights=plan.alloc_quantity[ok], minlength=pieces.shape[0])
    pool = red.queue_pool[red.ship_queue[ship[ok]]]
    used_pairs = np.unique(
        pool * red.group_quantity.shape[0] + red.requirement_group[plan.alloc_requirement[ok]]
    )
    return _plan_of_pieces(
        s,
        lp,
        pieces // red.horizon,
        pieces % red.horizon,
        amount.astype(np.float64),
        used_pairs,
        time_limit,
        False,
    )


def _plan_of_pieces(
    s: Scenario,
    lp: LinearProgram,
    piece_ship: IntArray,
    piece_week: IntArray,
    piece_amount: FloatArray,
    used_pairs: IntArray,
    time_limit: float,
    decide_families: bool,
) -> Plan:
    """Arrived pieces (shipment column, week, units) assigned to requirement groups
    over `used_pairs` (pool x group) at true values, then split into plan lines."""
    red = lp.reduction
    horizon = red.horizon
    piece_pool = red.queue_pool[red.ship_queue[piece_ship]]

    # re-assign arrived units to requirement groups at their true values
    node_key = piece_pool * horizon + piece_week
    nodes, piece_node = np.unique(node_key, return_inverse=True)
    piece_node = piece_node.reshape(-1)
    node_supply = np.bincount(piece_node, weights=piece_amount, minlength=nodes.shape[0]).astype(np.float64)
    node_pool, node_week = nodes // horizon, nodes % horizon
    y_node, y_group, y = _reassign(
        s, red, node_pool, node_week, node_supply, used_pairs, time_limit, decide_families
    )

    # split node assignments over the node's pieces, groups over their requirements
    n_order = np.argsort(piece_node, kind="stable")
    y_order = np.argsort(y_node, kind="stable")
    ia, ib, amount = match_in_order(piece_node[n_order], piece_amount[n_order], y_node[y_order], y[y_order])
    line_piece = n_order[ia]
    line_group = y_group[y_order][ib]
    line_amount = amount
    members_order = np.argsort(red.requirement_group, kind="stable")
    l_order = np.argsort(line_group, kind="stable")
    ia, ib, amount = match_in_order(
        line_group[l_order],
        line_amount[l_order],
        red.requirement_group[members_order],
        s.requirements.quantity[members_order],
    )
    line_piece = line_piece[l_order][ia]
    line_req = members_order[ib]
    line_amount = amount

    # split classes over their offers
    line_class = red.ship_class[piece_ship[line_piece]]
    offers = np.flatnonzero(red.offer_class >= 0)
    o_order = offers[np.argsort(red.offer_class[offers], kind="stable")]
    c_order = np.argsort(line_class, kind="stable")
    ia, ib, amount = match_in_order(
        line_class[c_order], line_amount[c_order], red.offer_class[o_order], model.usable_quantity(s)[o_order]
    )
    lp_idx = c_order[ia]
    offer = o_order[ib]
    each = s.items.is_each[s.offers.item[offer]]
    quantity = _whole(amount, each)
    keep = quantity > 0
    lp_idx = lp_idx[keep]
    return Plan(
        method="optimal",
        status="feasible",
        alloc_offer=offer[keep],
        alloc_requirement=line_req[lp_idx],
        alloc_hub=red.ship_hub[piece_ship[line_piece[lp_idx]]],
        alloc_quantity=quantity[keep],
        alloc_week=piece_week[line_piece[lp_idx]],
        seats_used=None,
    )


def _whole_shipments(
    lp: LinearProgram, release: FloatArray, each: BoolArray, time_limit: float
) -> FloatArray | None:
    """Shipments that feed the given releases, in whole units where the data are whole.

    With releases fixed, shipments and waiting form a network with integer
    data, so a basic optimal solution of this LP is integral.
    """
    rows = np.concatenate(
        [_block_range(lp.row_blocks["Offer-supply"]), _block_range(lp.row_blocks["Queue-balance"])]
    )
    ship_cols, wait_cols = lp.columns("Ship"), lp.columns("Wait")
    cols = np.concatenate([ship_cols, wait_cols])
    sub = lp.matrix[rows]
    fixed = sub[:, lp.columns("Release")] @ release
    matrix = sub[:, cols].tocsr()
    cost = np.concatenate([-np.ones(ship_cols.shape[0]), np.zeros(wait_cols.shape[0])])
    sol = solve(
        cost,
        lp.col_lower[cols],
        lp.col_upper[cols],
        np.zeros(cols.shape[0], bool),
        matrix,
        lp.row_lower[rows] - fixed,
        lp.row_upper[rows] - fixed,
        time_limit=time_limit,
    )
    if sol.x is None or sol.status not in ("optimal", "feasible"):
        return None
    ship = sol.x[: ship_cols.shape[0]]
    return np.where(each, np.round(ship), np.maximum(ship, 0.0))


def _block_range(block: model.Block) -> IntArray:
    return np.arange(block.start, block.start + block.size, dtype=np.int64)


def _reassign(
    s: Scenario,
    red: Reduction,
    node_pool: IntArray,
    node_week: IntArray,
    node_supply: FloatArray,
    used_pairs: IntArray,
    time_limit: float,
    decide_families: bool = True,
) -> tuple[IntArray, IntArray, FloatArray]:
    """Best assignment of arrived units (per pool and week) to the requirement
    groups the model used for that pool, valued exactly; with
    ``decide_families``, whether to introduce each new family too."""
    n_groups = red.group_quantity.shape[0]
    pair_pool, pair_group = used_pairs // n_groups, used_pairs % n_groups
    # columns: node x group for every used pair of the node's pool
    order = np.argsort(pair_pool, kind="stable")
    pair_pool, pair_group = pair_pool[order], pair_group[order]
    lo = np.searchsorted(pair_pool, node_pool, "left")
    hi = np.searchsorted(pair_pool, node_pool, "right")
    counts = hi - lo
    col_node = np.repeat(np.arange(node_pool.shape[0]), counts)
    col_group = pair_group[
        np.repeat(lo, counts) + np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)
    ]
    if col_node.shape[0] == 0:
        return col_node, col_group, np.zeros(0)
    value = model.value_at(
        red.group_unit_value[col_group], red.group_due[col_group], node_week[col_node], red.half_life
    )
    fam = red.pool_family[node_pool[col_node]]
    # without family decisions, every family of a used pair counts as introduced:
    # no Introduce column, no link row, and the problem is a transportation LP
    new = ~s.families.in_service[fam] if decide_families else np.zeros(fam.shape[0], bool)
    families = np.unique(fam[new])
    n_cols = col_node.shape[0]
    n_fam_cols = families.shape[0]
    n_nodes = node_pool.shape[0]
    # rows: node supply, group quantity, family link per (family, group)
    link_key = fam[new] * n_groups + col_group[new]
    links, link_of = np.unique(link_key, return_inverse=True)
    link_fam = links // max(n_groups, 1)
    link_group = links % max(n_groups, 1)
    fam_slot = np.searchsorted(families, link_fam)
    cols_new = np.flatnonzero(new)
    rows = np.concatenate(
        [
            col_node,
            n_nodes + col_group,
            n_nodes + n_groups + link_of.reshape(-1),
            n_nodes + n_groups + np.arange(links.shape[0]),
        ]
    )
    cols = np.concatenate([np.arange(n_cols), np.arange(n_cols), cols_new, n_cols + fam_slot])
    vals = np.concatenate(
        [np.ones(n_cols), np.ones(n_cols), np.ones(cols_new.shape[0]), -red.group_quantity[link_group]]
    )
    n_rows = n_nodes + n_groups + links.shape[0]
    matrix = sp.csr_matrix((vals, (rows, cols)), shape=(n_rows, n_cols + n_fam_cols))
    cost = np.concatenate([value, -s.families.cost[families]])
    upper = np.concatenate([red.group_quantity[col_group], np.ones(n_fam_cols)])
    integer = np.concatenate([red.pool_is_each[node_pool[col_node]], np.ones(n_fam_cols, bool)])
    if not decide_families:
        integer[:] = False  # basic solutions of a transportation LP with whole data are whole
    row_upper = np.concatenate([node_supply, red.group_quantity, np.zeros(links.shape[0])])
    sol = solve(
        cost,
        np.zeros(n_cols + n_fam_cols),
        upper,
        integer,
        matrix,
        np.full(n_rows, -np.inf),
        row_upper,
        time_limit=time_limit,
        gap=1e-6,
    )
    if sol.x is None:
        return col_node[:0], col_group[:0], np.zeros(0)
    y = sol.x[:n_cols]
    y = _whole(np.maximum(y, 0), red.pool_is_each[node_pool[col_node]])
    keep = y > 0
    return col_node[keep], col_group[keep], y[keep]


# ----------------------------------------------------------------------------
# Plan -> columns (warm starts)


def _valid_part(s: Scenario, lp: LinearProgram, plan: Plan) -> Plan | None:
    """The lines of a (previous) plan still valid for this scenario; None when none are."""
    mask = columns_of_plan(s, lp, plan, only_mask=True)
    if mask is None or not mask.any():
        return None
    keep = mask > 0
    return Plan(
        method=plan.method,
        status="feasible",
        alloc_offer=plan.alloc_offer[keep],
        alloc_requirement=plan.alloc_requirement[keep],
        alloc_hub=plan.alloc_hub[keep],
        alloc_quantity=plan.alloc_quantity[keep],
        alloc_week=plan.alloc_week[keep],
        seats_used=None,
    )


def columns_of_plan(
    s: Scenario, lp: LinearProgram, plan: Plan, *, only_mask: bool = False
) -> FloatArray | None:
    """Model column values representing a plan (its valid lines), or None.

    Lines that are not valid for this scenario (a changed offer, say) are
    dropped, and offers over their quantity are trimmed, so the result is a
    feasible point of the model whenever the rest of the plan was valid.
    """
    red = lp.reduction
    horizon = red.horizon
    n = plan.n_lines
    if n == 0:
        return None
    o, r, h, t, qty = (
        plan.alloc_offer,
        plan.alloc_requirement,
        plan.alloc_hub,
        plan.alloc_week,
        plan.alloc_quantity,
    )
    k = red.offer_class[o]
    ok = (qty > 0) & (k >= 0) & (t >= 0) & (t < horizon)
    earliest = red.class_earliest[np.maximum(k, 0), h]
    ok &= earliest <= t
    group = red.requirement_group[r]
    # earmarks and families: the line's pool must be able to serve the group
    ship_index = np.full(red.class_earliest.shape, -1, dtype=np.int64)
    ship_index[red.ship_class, red.ship_hub] = np.arange(red.ship_class.shape[0])
    ship = ship_index[np.maximum(k, 0), h]
    ok &= ship >= 0
    pool = red.queue_pool[red.ship_queue[np.maximum(ship, 0)]]
    a_pool, a_group, a_week = lp.col_blocks["Assign"].keys
    n_groups = red.group_quantity.shape[0]
    a_key = (a_pool * n_groups + a_group) * horizon + a_week
    a_order = np.argsort(a_key, kind="stable")
    a_sorted = a_key[a_order]
    due = red.group_due[group]
    look = (pool * n_groups + group) * horizon + np.maximum(t, due)
    at = np.searchsorted(a_sorted, look, "right") - 1
    ok &= at >= 0
    at = np.maximum(at, 0)
    ok &= a_sorted[at] // horizon == pool * n_groups + group
    pos = a_order[at]
    attach = lp.data["assign_attach"].astype(np.int64)
    ok &= attach[pos] >= t
    # trim offers and requirements over their quantity, in line order
    usable = model.usable_quantity(s)
    ok &= _within(o, qty, ok, usable)
    ok &= _within(r, qty, ok, s.requirements.quantity)
    if only_mask:
        return ok.astype(np.float64)
    if not ok.any():
        return None
    k, h, t, qty, pos, ship, pool = k[ok], h[ok], t[ok], qty[ok], pos[ok], ship[ok], pool[ok]

    x = np.zeros(lp.n_cols)
    np.add.at(x, lp.columns("Ship")[ship], qty)
    queue = red.ship_queue[ship]
    q_start = lp.data["queue_start"].astype(np.int64)
    release_pos = q_start[queue] + t - red.queue_first_week[queue]
    inflow = np.zeros(lp.col_blocks["Release"].size)
    outflow = np.zeros_like(inflow)
    np.add.at(inflow, q_start[queue] + red.ship_week[ship] - red.queue_first_week[queue], qty)
    np.add.at(outflow, release_pos, qty)
    x[lp.columns("Release")] = outflow
    x[lp.columns("Wait")] = _segment_cumsum(inflow - outflow, q_start)
    np.add.at(x, lp.columns("Assign")[pos], qty)
    p_start = lp.data["pool_start"].astype(np.int64)
    p_in = np.zeros(lp.col_blocks["Stock"].size)
    p_out = np.zeros_like(p_in)
    np.add.at(p_in, p_start[pool] + t - red.pool_first_week[pool], qty)
    np.add.at(p_out, p_start[pool] + attach[pos] - red.pool_first_week[pool], qty)
    x[lp.columns("Stock")] = _segment_cumsum(p_in - p_out, p_start)
    # cumulative arrivals of crewed families
    fam, fweek = lp.col_blocks["Arrived"].keys
    if fam.shape[0]:
        line_fam = s.items.family[red.class_item[k]]
        crewed = lp.data["crewed_families"].astype(np.int64)
        f_first = np.full(len(s.families.codes), horizon, dtype=np.int64)
        f_start = np.zeros(len(s.families.codes), dtype=np.int64)
        firsts = fweek[np.concatenate([[0], np.flatnonzero(np.diff(fam) != 0) + 1])]
        f_first[crewed] = firsts
        lengths = horizon - firsts
        f_start[crewed] = np.concatenate([[0], np.cumsum(lengths)[:-1]])
        is_crewed = np.isin(line_fam, crewed)
        arr = np.zeros(fam.shape[0])
        np.add.at(
            arr, f_start[line_fam[is_crewed]] + t[is_crewed] - f_first[line_fam[is_crewed]], qty[is_crewed]
        )
        x[lp.columns("Arrived")] = _segment_cumsum(arr, np.concatenate([f_start[crewed], [fam.shape[0]]]))
    seats = lp.col_blocks["Seats"]
    x[lp.columns("Seats")] = lp.col_upper[seats.start : seats.start + seats.size]
    intro = lp.col_blocks["Introduce"]
    used_fams = np.unique(red.pool_family[pool])
    x[lp.columns("Introduce")] = np.isin(intro.keys[0], used_fams).astype(np.float64)
    return x


def _within(entity: IntArray, qty: FloatArray, ok: BoolArray, limit: FloatArray) -> BoolArray:
    """Lines kept so that each entity's running total stays within its limit."""
    order = np.argsort(entity, kind="stable")
    q = np.where(ok, qty, 0.0)[order]
    ent = entity[order]
    cum = np.cumsum(q)
    starts = (
        np.concatenate([[0], np.flatnonzero(np.diff(ent) != 0) + 1]) if ent.size else np.zeros(0, np.int64)
    )
    base = np.repeat(cum[starts] - q[starts], np.diff(np.concatenate([starts, [ent.shape[0]]])))
    fits = cum - base <= limit[ent] * (1 + 1e-12) + 1e-9
    out = np.zeros(fits.shape[0], dtype=bool)
    out[order] = fits
    return out


def _segment_cumsum(values: FloatArray, starts: IntArray) -> FloatArray:
    """Cumulative sums restarting at each segment start (starts has the end appended)."""
    cum = np.cumsum(values)
    lengths = np.diff(starts)
    seg_first = starts[:-1]
    base = np.repeat(
        np.where(
            lengths > 0,
            cum[np.minimum(seg_first, cum.shape[0] - 1)] - values[np.minimum(seg_first, cum.shape[0] - 1)],
            0.0,
        ),
        lengths,
    )
    return np.asarray(cum - base, dtype=np.float64)
