"""The optimal method: a valid plan, a true bound, and the gap between them.

Two models of the scenario (`nsatu.planner.model`): the scenario with its hubs
relaxed (one hub of unlimited capacity, reached in each donor's shortest lead
time), cut into one block per capability (`nsatu.planner.blocks`), and the whole
scenario with its real hubs. docs/planning.md has the details and the proofs.

1. **Bound by capability.** Each capability's LP with hubs relaxed, then its MIP
   where families are still open: the sum of their bounds bounds every plan. LP
   bounds come from the duals (`nsatu.planner.bounds`), so they hold whatever the
   solver's tolerances, also for an interrupted solve.
2. **Lines through the hubs.** The capabilities' lines (offer, requirement,
   quantity) get real hubs and weeks from the scheduler, and the arrivals are
   re-assigned to the requirements at their true values.
3. **Improvement, where the hubs cost value.** The whole model by branch and bound
   from the best plan, when it is small enough to pay (its dual bound counts too);
   otherwise each capability solved again through the real hubs with the capacity
   all the others leave it, which can only improve the plan, and Lagrangian prices
   on the hub-weeks, which tighten the bound (every price vector gives one).

Every candidate plan passes the independent checker before it counts; the best
one found in any phase is returned, so a later phase never makes the answer
worse. A plan above the bound is reported as an error of the bound, never hidden.
`TimeBudget` holds the time limit; each phase takes a share of what is left.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field

import numpy as np

from nsatu.planner import model
from nsatu.planner.blocks import (
    CapabilityBlock,
    block_program,
    capability_blocks,
    embed,
    hub_use,
    lp_error,
)
from nsatu.planner.budget import TimeBudget
from nsatu.planner.check import check_plan
from nsatu.planner.decode import columns_of_plan, plan_of_columns, reassigned, within_limits
from nsatu.planner.decompose import fingerprint, part_of, relax_hubs
from nsatu.planner.heuristics import plan_country, plan_greedy
from nsatu.planner.metrics import line_values, objective_of
from nsatu.planner.model import COUPLING, LinearProgram
from nsatu.planner.plan import Plan, PlanStatus
from nsatu.planner.progress import ProgressCallback, ProgressEvent, ignore_progress
from nsatu.planner.scenario import BoolArray, FloatArray, IntArray, Scenario
from nsatu.planner.schedule import schedule_through_hubs
from nsatu.planner.solve import Solution, Solver

__all__ = ["objective_of", "plan_optimal"]

# The whole model is the improvement step up to this many columns (beyond, capabilities in turn).
WHOLE_MODEL_COLUMNS = 160_000
# Shares of the time left each phase may take (the rest goes to the phases after it).
MIP_SHARE = 0.45  # branch and bound on the capabilities with families to decide
DECODE_SHARE = 0.15  # a decoding step's time limit
HUB_LOSS = 0.01  # scheduling's loss beyond which hubs are said to bind
WHOLE_LP_SHARE = 0.6  # the whole model's LP, on models small enough for its branch and bound
LNS_SHARE = 0.3  # the pass through the real hubs before the whole model's branch and bound
# The steps after the search take about this many times what the greedy plan took.
TAIL_FACTOR = 2.5
# The margins bounds carry for rounding (`nsatu.planner.bounds`, MIP bounds): a plan this close
# to its bound is called optimal.
ROUNDING_GAP = 1e-8
# Subgradient step: a share of the gap between the Lagrangian bound and the best plan.
STEP_SHARE = 0.5
NOTHING_FLOWS = "no offer can reach a requirement it may serve within the horizon"


def plan_optimal(
    s: Scenario,
    *,
    time_limit: float = 60.0,
    gap: float = 1e-3,
    progress: ProgressCallback | None = None,
    warm_start: Plan | None = None,
) -> Plan:
    """A valid plan maximising FORMAT.md's objective, with a true bound over all plans.

    ``warm_start`` is a previous plan (of this scenario or of an earlier version
    of it): its still-valid lines seed the solvers, and the capabilities whose
    data did not change since (same fingerprint in its ``metrics["parts"]``)
    keep its bound without being solved again.
    """
    budget = TimeBudget(time_limit)
    try:
        return _Search(s, budget, gap, progress or ignore_progress, warm_start).run()
    except Exception as exc:  # an unexpected failure is a status, not a traceback
        return Plan(
            method="optimal",
            status="error",
            seats_used=None,
            message=f"optimal planner failed: {type(exc).__name__}: {exc}",
            solve_seconds=budget.elapsed(),
        )


class Candidates:
    """The plans found so far; each is checked once by the independent checker."""

    def __init__(self, s: Scenario) -> None:
        self.scenario = s
        self.valid: list[tuple[float, str, Plan]] = []
        self.refused: list[str] = []

    def add(self, plan: Plan | None, origin: str) -> bool:
        """Keep ``plan`` when the checker accepts it; True when it is the best so far."""
        if plan is None or not plan.n_lines:
            return False
        problems = check_plan(self.scenario, plan)
        if problems:
            # a decoding step produced an invalid plan: say so, never count it
            self.refused.append(f"{origin}: {problems[0]}")
            return False
        value = objective_of(self.scenario, plan)
        better = value > self.best_value() + 1e-12
        self.valid.append((value, origin, plan))
        return better

    def best(self) -> Plan | None:
        return max(self.valid, key=lambda entry: entry[0])[2] if self.valid else None

    def best_origin(self) -> str:
        return max(self.valid, key=lambda entry: entry[0])[1] if self.valid else ""

    def best_value(self) -> float:
        return max((value for value, _, _ in self.valid), default=0.0)


@dataclass
class _PartRecord:
    """What metrics.json says of one capability."""

    code: str
    fingerprint: str
    bound: float
    source: str

    def as_json(self) -> dict[str, object]:
        return {
            "capability": self.code,
            "fingerprint": self.fingerprint,
            "bound": self.bound,
            "status": self.source,
        }


@dataclass
class _Search:
    s: Scenario
    budget: TimeBudget
    gap: float
    report: ProgressCallback
    warm_start: Plan | None
    notes: list[str] = field(default_factory=list)
    build_seconds: float = 0.0

    def __post_init__(self) -> None:
        self.candidates = Candidates(self.s)
        self.whole_bound = np.inf
        self.lagrangian_bound = np.inf
        self.timed_out = False
        self.decode_seconds = 0.0
        self.blocks: list[CapabilityBlock] = []
        self.parts: list[_PartRecord] = []
        self.supply_bound = _supply_bound(self.s)
        self.lines = Plan(method="optimal", status="empty")

    # ----- the run -----

    def run(self) -> Plan:
        s = self.s
        s.check_shapes()
        if len(s.requirements) == 0 or len(s.offers) == 0:
            return _empty_plan("no requirements or no offers: nothing to allocate")
        self.report(ProgressEvent("build", 0.0, message="building the models"))
        # the scenario with hubs relaxed, cut by capability: the bound and the lines;
        # the whole scenario's model: plans through the real hubs
        self.relaxed = relax_hubs(s)
        self.rlp = model.build(self.relaxed)
        self.lp = model.build(s)
        self.build_seconds = self.rlp.build_seconds + self.lp.build_seconds
        if self.rlp.col_blocks["Assign"].size == 0:
            return _empty_plan(NOTHING_FLOWS)
        self.full = self.lp.row_upper.copy()
        self.hub_rows = np.flatnonzero(self.lp.row_capability == COUPLING)
        self._seed()
        self.blocks = capability_blocks(self.rlp, s.capability_codes)
        self.parts = self._bound_blocks()
        self.lines = self._best_lines(None)
        if self.lp.n_cols <= WHOLE_MODEL_COLUMNS and self._hubs_bind():
            self._whole_lp()
        if self._decide_families():
            self.lines = self._best_lines(self.lines)
        self._schedule_lines()
        if _gap(self.candidates.best_value(), self.bound()) > self.gap:
            self._improve()
        return self._answer()

    def _decode(
        self, lp: LinearProgram, x: FloatArray, seconds: float | None = None, **options: bool
    ) -> Plan:
        """`plan_of_columns`, timed: the longest decoding so far is kept back before the last phase."""
        started = time.perf_counter()
        limit = self.budget.share(DECODE_SHARE) if seconds is None else seconds
        scenario = self.s if lp is self.lp else self.relaxed
        plan = plan_of_columns(scenario, lp, x, time_limit=max(limit, 0.05))
        self.decode_seconds = max(self.decode_seconds, time.perf_counter() - started)
        return plan

    def _progress(self, phase: str, fraction: float | None, message: str) -> None:
        best, bound = self.candidates.best_value(), self.bound()
        self.report(ProgressEvent(phase, fraction, best, bound, _gap(best, bound), message))

    def bound(self) -> float:
        """The least of the true bounds found so far."""
        blocks = float(sum(b.bound for b in self.blocks)) if self.blocks else np.inf
        return float(min(blocks, self.whole_bound, self.lagrangian_bound, self.supply_bound))

    # ----- phase 0: plans to start from -----

    def _seed(self) -> None:
        s = self.s
        if self.warm_start is not None and self.warm_start.n_lines:
            self.candidates.add(_rescheduled(s, self.warm_start), "previous plan, rescheduled")
        started = time.perf_counter()
        self.candidates.add(_nonempty(plan_greedy(s)), "greedy baseline")
        # the status quo too: the answer is never below either baseline
        self.candidates.add(_nonempty(plan_country(s)), "country baseline")
        # scheduling lines through the hubs, re-assigning and checking the result cost about
        # what the greedy plan took (same loops, same data): keep that back for the end
        self.budget.keep(TAIL_FACTOR * (time.perf_counter() - started))

    # ----- phase 1: a bound per capability, hubs relaxed -----

    def _relaxed_start(self) -> FloatArray | None:
        """The best plan so far as columns of the relaxed model (every hub renamed to its one hub)."""
        best = self.candidates.best()
        if best is None:
            return None
        relaxed = dataclasses.replace(best, alloc_hub=np.zeros(best.n_lines, np.int64))
        return columns_of_plan(self.relaxed, self.rlp, relaxed)

    def _bound_blocks(self) -> list[_PartRecord]:
        rlp = self.rlp
        previous = _previous_parts(self.warm_start)
        start = self._relaxed_start()
        records: list[_PartRecord] = []
        solved_columns, solved_seconds = 0, 0.0
        left_columns = sum(b.size for b in self.blocks)
        for n, block in enumerate(self.blocks):
            left_columns -= block.size
            print_ = fingerprint(part_of(self.relaxed, block.capability).scenario)
            kept = previous.get(block.code)
            if kept is not None and kept[0] == print_ and np.isfinite(kept[1]):
                # the capability's data are those the previous bound was proven for
                block.bound, block.bound_source = kept[1], "kept"
                block.x = start[block.cols] if start is not None else np.zeros(block.size)
                records.append(_PartRecord(block.code, print_, block.bound, "kept"))
                continue
            supply = _supply_bound(part_of(self.relaxed, block.capability).scenario)
            if self.budget.exhausted():
                # no time left to build its LP: the bound that needs no solver, said so
                block.bound, block.bound_source = supply, "supply (no time left for its LP)"
                block.x = np.zeros(block.size)
                records.append(_PartRecord(block.code, print_, block.bound, block.bound_source))
                self.timed_out = True
                continue
            program = block_program(rlp, [block], rlp.row_upper)
            block.solver = program.solver(relax_integrality=True)
            # Presolved LPs are faster but have no duals when interrupted. When the time left
            # is short for what remains (at the pace so far), solve without presolve: an
            # interrupted dual simplex still holds prices, and they give a true bound.
            pace = solved_seconds / max(solved_columns, 1)
            short = solved_columns > 0 and self.budget.left() < 2.0 * pace * (block.size + left_columns)
            begun = time.perf_counter()
            sol = block.solver.run(time_limit=self.budget.left(), presolve=not short)
            solved_seconds += time.perf_counter() - begun
            solved_columns += block.size
            block.lp_error = lp_error(sol)
            if sol.bound is not None and sol.status == "optimal":
                block.bound, block.bound_source = min(sol.bound, supply), "LP"
            elif sol.bound is not None and sol.bound < supply:
                block.bound, block.bound_source = sol.bound, "LP stopped by the time limit (its duals)"
                self.timed_out = True
            else:
                # stopped before its prices beat the bound that needs no solver
                block.bound, block.bound_source = supply, "supply (LP stopped by the time limit)"
                self.timed_out = True
            block.x = sol.x if sol.x is not None else np.zeros(block.size)
            records.append(_PartRecord(block.code, print_, block.bound, block.bound_source))
            self._progress(
                "solve", 0.5 * (n + 1) / len(self.blocks), f"capability {block.code}: {block.bound_source}"
            )
        self.notes.append(f"{len(self.blocks)} capabilities bounded with hubs relaxed")
        return records

    def _hubs_bind(self) -> bool:
        """Whether the capabilities' lines (hubs relaxed) lose more than `HUB_LOSS` of their
        value once scheduled through the real hubs: then the hub-relaxed bound is loose and
        the whole model's LP is worth its time (where hubs do not bind it is not)."""
        lines = self.lines
        relaxed_value = objective_of(self.relaxed, lines)
        scheduled = schedule_through_hubs(
            self.s, lines.alloc_offer, lines.alloc_requirement, lines.alloc_quantity
        )
        self.candidates.add(scheduled, "capabilities' lines scheduled through the hubs")
        return objective_of(self.s, scheduled) < (1.0 - HUB_LOSS) * relaxed_value

    def _whole_lp(self) -> None:
        """The whole model's LP, hubs and all: where hubs bind, its bound is far below the sum
        of the capabilities' hub-relaxed bounds (medium tight seed 1: 559.6 against 617.1),
        and its solution, decoded, is a plan through the real hubs. Without presolve an
        interrupted dual simplex still holds prices, so its bound is true in any case."""
        started = time.perf_counter()
        sol = Solver(*self.lp.arrays(), relax_integrality=True).run(
            time_limit=self.budget.share(WHOLE_LP_SHARE), presolve=False
        )
        if sol.bound is not None:
            self.whole_bound = min(self.whole_bound, sol.bound)
        if sol.status == "optimal" and sol.x is not None:
            self.candidates.add(self._decode(self.lp, sol.x), "whole model's LP, decoded")
        else:
            self.timed_out = True
        self.notes.append(
            f"whole model's LP ({self.lp.n_cols} columns): {sol.status}, "
            f"{time.perf_counter() - started:.1f} s"
        )
        self._progress("solve", 0.6, "whole model's LP")

    # ----- phase 2: families decided by branch and bound, per capability -----

    def _decide_families(self) -> bool:
        """Branch and bound on the capabilities whose LP left families undecided, from the best
        lines so far; True when any ran."""
        rlp = self.rlp
        intro = rlp.columns("Introduce")
        todo = []
        for block in self.blocks:
            if block.bound_source == "kept" or block.x is None:
                continue
            mine = np.isin(intro, block.cols)
            if not mine.any():
                continue
            values = _values_at(block, intro[mine])
            if np.all(np.abs(values - np.round(values)) < 1e-6) and block.bound_source == "LP":
                continue  # the LP already decided every family
            todo.append(block)
        if not todo:
            return False
        start = columns_of_plan(self.relaxed, rlp, self.lines)
        seconds = self.budget.share(MIP_SHARE)
        sizes = np.array([b.size for b in todo], dtype=float)
        deadline = time.perf_counter() + seconds
        for n, block in enumerate(todo):
            share = max(deadline - time.perf_counter(), 0.0) * sizes[n] / max(sizes[n:].sum(), 1.0)
            if share < 0.05 or self.budget.exhausted():
                self.timed_out = True
                break
            program = block_program(rlp, [block], rlp.row_upper)
            solver = program.solver(relax_integrality=False)
            begin = start[block.cols] if start is not None else None
            sol = solver.run(time_limit=share, gap=self.gap / 2, start=begin)
            if sol.bound is not None:
                # the solver's dual bound, with the error its LP showed against the true bound
                margin = 2 * block.lp_error + 1e-9 * max(1.0, abs(sol.bound))
                if sol.bound + margin < block.bound:
                    block.bound, block.bound_source = sol.bound + margin, f"MIP ({sol.status})"
            if sol.x is not None:
                block.x = sol.x
            for record in self.parts:
                if record.code == block.code:
                    record.bound, record.source = block.bound, block.bound_source
            self._progress(
                "solve", 0.5 + 0.2 * (n + 1) / len(todo), f"capability {block.code}: families decided"
            )
        return True

    # ----- phase 3: the capabilities' lines through the real hubs -----

    def _best_lines(self, earlier: Plan | None) -> Plan:
        """The blocks' solutions as lines (hubs relaxed), per capability the better of them and
        ``earlier`` lines (by default the best plan so far, its hubs renamed): a capability the
        solver did not finish keeps what it had."""
        x = np.zeros(self.rlp.n_cols)
        for block in self.blocks:
            if block.x is not None:
                x[block.cols] = block.x
        solved = self._decode(self.rlp, x)
        if earlier is None:
            best = self.candidates.best()
            earlier = dataclasses.replace(best, alloc_hub=np.zeros(best.n_lines, np.int64)) if best else None
        if earlier is None:
            return solved
        better = _by_capability(self.relaxed, earlier) > _by_capability(self.relaxed, solved) + 1e-12
        return _merge_by_capability(self.relaxed, solved, earlier, better)

    def _schedule_lines(self) -> None:
        """The capabilities' lines (hubs relaxed) given real hubs and weeks by the scheduler,
        then re-assigned at their true values."""
        s = self.s
        lines = (self.lines.alloc_offer, self.lines.alloc_requirement, self.lines.alloc_quantity)
        scheduled = schedule_through_hubs(s, *lines)
        self.candidates.add(scheduled, "capabilities' lines scheduled through the hubs")
        # the scheduled arrivals re-assigned to the requirements at their true values
        # (it gets what is left: without it the scheduled plan keeps arrivals on needs due later)
        self.candidates.add(
            reassigned(s, self.lp, scheduled, time_limit=max(self.budget.left(), 0.1)),
            "capabilities' lines scheduled through the hubs, re-assigned",
        )
        self._progress("repair", 0.8, "lines scheduled through the hubs")

    # ----- phase 4: improvement through the real hubs -----

    def _improve(self) -> None:
        real = capability_blocks(self.lp, self.s.capability_codes)
        if self.lp.n_cols <= WHOLE_MODEL_COLUMNS:
            # a pass of the capabilities through the real hubs gives the whole model a better start
            self._one_block_at_a_time(real, passes=1, until=self.budget.share(LNS_SHARE))
            if self.budget.left() > 0.2:
                self._whole_model()
            return
        self._one_block_at_a_time(real)
        if self.budget.left() > 0.5:
            self._hub_prices(real)

    def _within(self, block: CapabilityBlock, left: FloatArray, seconds: float) -> FloatArray | None:
        """The block's best LP solution within the hub capacity ``left``, None when none in time."""
        program = block_program(self.lp, [block], left)
        # the LP: fast and always answers; decoding rounds it and decides its families
        sol = program.solver(relax_integrality=True).run(time_limit=max(seconds, 0.05))
        if sol.x is None:
            self.timed_out = True
        return sol.x

    def _one_block_at_a_time(
        self, real: list[CapabilityBlock], *, passes: int = 3, until: float | None = None
    ) -> None:
        """From the best plan, each capability solved again with the hub capacity all the others
        leave it: it may re-route its own tonnage and use what the others leave, and its current
        lines stay possible, so the plan can only improve (passes while time is left)."""
        lp, s = self.lp, self.s
        stop = time.perf_counter() + (self.budget.left() if until is None else until)
        for sweep in range(passes):
            best = self.candidates.best()
            x = columns_of_plan(s, lp, best) if best is not None else None
            if x is None:
                return
            improved = False
            for block in sorted(real, key=lambda b: -b.size):
                if self.budget.left() - 1.5 * self.decode_seconds < 0.1 or time.perf_counter() > stop:
                    self.timed_out |= time.perf_counter() <= stop
                    return
                others = x.copy()
                others[block.cols] = 0.0
                left = self.full.copy()
                left[self.hub_rows] = np.maximum(
                    self.full[self.hub_rows] - hub_use(lp, others, self.hub_rows), 0.0
                )
                chosen = self._within(block, left, self.budget.share(0.2))
                if chosen is None:
                    continue
                others[block.cols] = chosen
                plan = self._decode(lp, others)
                if self.candidates.add(
                    plan, f"capabilities re-solved through the hubs in turn (pass {sweep + 1})"
                ):
                    improved = True
                    x = columns_of_plan(s, lp, plan)
                    if x is None:
                        return
            self._progress("repair", 0.9, f"pass {sweep + 1}: each capability re-solved through the hubs")
            if not improved:
                return

    def _whole_model(self) -> None:
        """Branch and bound on the whole model from the best plan; its dual bound counts too."""
        lp, s = self.lp, self.s
        best = self.candidates.best()
        start = columns_of_plan(s, lp, best) if best is not None else None
        solver = Solver(*lp.arrays())
        # what is left, less the time the longest decoding took (and a margin)
        seconds = self.budget.left() - 1.5 * self.decode_seconds
        if seconds < 0.2:
            return
        sol = solver.run(time_limit=seconds, gap=self.gap, start=start, progress=self.report)
        if sol.bound is not None:
            margin = 2 * sum(b.lp_error for b in self.blocks) + 1e-9 * max(1.0, abs(sol.bound))
            self.whole_bound = min(self.whole_bound, sol.bound + margin)
        if sol.x is not None:
            self.candidates.add(self._decode(lp, sol.x, self.budget.left()), "whole model")
        self.notes.append(f"whole model {lp.n_cols} columns: {sol.message}")
        if sol.status == "time_limit":
            self.timed_out = True

    def _hub_prices(self, real: list[CapabilityBlock]) -> None:
        """Lagrangian prices on the hub-weeks: each round solves every capability's LP through
        the real hubs with its tonnage priced, which bounds the objective for any prices;
        subgradient steps move the prices towards the tightest bound while time is left."""
        lp = self.lp
        hub = self.hub_rows
        capacity = self.full[hub]
        prices = np.zeros(hub.shape[0])
        position = np.full(lp.n_rows, -1, dtype=np.int64)
        position[hub] = np.arange(hub.shape[0])
        rounds = 0
        while self.budget.left() > 0.5:
            use = np.zeros(hub.shape[0])
            total = float(prices @ capacity)
            for block in real:
                sol = self._priced(block, prices[position[block.hub_rows]])
                if sol.bound is None or sol.x is None:
                    self.timed_out = True
                    return
                total += sol.bound
                use[position[block.hub_rows]] += hub_use(lp, embed(lp, block.cols, sol.x), block.hub_rows)
            rounds += 1
            self.lagrangian_bound = min(self.lagrangian_bound, total)
            self.notes.append(f"hub prices: round {rounds}, bound {total:.6g}")
            slack = use - capacity
            norm = float(slack @ slack)
            if norm <= 1e-12:
                return
            step = STEP_SHARE * max(total - self.candidates.best_value(), 1e-9) / norm
            prices = np.maximum(prices + step * slack, 0.0)
            self._progress("bound", None, f"hub prices, round {rounds}")

    def _priced(self, block: CapabilityBlock, prices: FloatArray) -> Solution:
        """A capability's LP through the real hubs (each at full capacity: it must respect
        them alone) with its tonnage priced; its bound plus the prices times the capacities
        (the caller adds those) bounds the whole."""
        lp = self.lp
        if block.solver is None:
            block.solver = block_program(lp, [block], self.full).solver(relax_integrality=True)
        rows = lp.matrix[block.hub_rows][:, block.cols]
        block.solver.change_costs(np.arange(block.size), lp.col_cost[block.cols] - rows.T @ prices)
        return block.solver.run(time_limit=self.budget.left())

    # ----- the answer -----

    def _answer(self) -> Plan:
        s = self.s
        best = self.candidates.best()
        if best is None or self.candidates.best_value() <= 0:
            # no plan is worth more than allocating nothing
            return _empty_plan("no plan found is worth more than allocating nothing", bound=self.bound())
        objective = objective_of(s, best)
        bound = self.bound()
        metrics: dict[str, object] = {"parts": [p.as_json() for p in self.parts]}
        if self.candidates.refused:
            metrics["refused_candidates"] = self.candidates.refused
        claimed: float | None = bound
        tolerance = 1e-6 * max(1.0, abs(bound))
        if objective > bound + tolerance:
            # a valid plan above the bound: the bound is wrong, and is not claimed
            metrics["bound_error"] = (
                f"the plan found (objective {objective:.9g}) exceeds the bound computed ({bound:.9g}); "
                "no bound is claimed"
            )
            claimed = None
        rel_gap = _gap(objective, bound) if claimed is not None else None
        status: PlanStatus
        if rel_gap is not None and rel_gap <= self.gap + ROUNDING_GAP:
            status = "optimal"
        elif self.timed_out or self.budget.exhausted():
            status = "time_limit"
        else:
            status = "feasible"
        text = f"objective {objective:.6g}" + (
            f", bound {bound:.6g}, gap {rel_gap:.3%}"
            if rel_gap is not None
            else ", no bound (see bound_error)"
        )
        message = "; ".join([text, f"best plan: {self.candidates.best_origin()}", *self.notes])
        result = dataclasses.replace(
            best,
            method="optimal",
            status=status,
            seats_used=None,
            message=message,
            bound=claimed,
            solve_seconds=self.budget.elapsed() - self.build_seconds,
            build_seconds=self.build_seconds,
            metrics=metrics,
        )
        self.report(ProgressEvent("done", 1.0, objective, claimed, rel_gap, message))
        return result


# ----------------------------------------------------------------------------
# helpers


def _gap(objective: float, bound: float) -> float:
    return (bound - objective) / max(1.0, abs(bound))


def _values_at(block: CapabilityBlock, columns: IntArray) -> FloatArray:
    """The block's current solution at whole-model ``columns`` (all of them the block's)."""
    assert block.x is not None
    where = np.searchsorted(block.cols, columns)
    return np.asarray(block.x[where], dtype=np.float64)


def _by_capability(s: Scenario, plan: Plan) -> FloatArray:
    """Per capability: the objective of the plan's lines of that capability (its families' costs off)."""
    out = np.zeros(len(s.capability_codes))
    if plan.n_lines:
        unit_weight, tau, _ = line_values(s, plan)
        np.add.at(
            out, s.requirements.capability[plan.alloc_requirement], unit_weight * tau * plan.alloc_quantity
        )
        received = np.zeros(len(s.families))
        np.add.at(received, s.items.family[s.offers.item[plan.alloc_offer]], plan.alloc_quantity)
        new = (received > 0) & ~s.families.in_service
        np.subtract.at(out, s.families.capability[new], s.families.cost[new])
    return out


def _merge_by_capability(s: Scenario, first: Plan, second: Plan, take_second: BoolArray) -> Plan:
    """The lines of ``first``, except in the capabilities where ``take_second`` holds."""
    cap_first = s.requirements.capability[first.alloc_requirement]
    cap_second = s.requirements.capability[second.alloc_requirement]
    keep_first = ~take_second[cap_first]
    keep_second = take_second[cap_second]
    return Plan(
        method=first.method,
        status="feasible",
        alloc_offer=np.concatenate([first.alloc_offer[keep_first], second.alloc_offer[keep_second]]),
        alloc_requirement=np.concatenate(
            [first.alloc_requirement[keep_first], second.alloc_requirement[keep_second]]
        ),
        alloc_hub=np.concatenate([first.alloc_hub[keep_first], second.alloc_hub[keep_second]]),
        alloc_quantity=np.concatenate([first.alloc_quantity[keep_first], second.alloc_quantity[keep_second]]),
        alloc_week=np.concatenate([first.alloc_week[keep_first], second.alloc_week[keep_second]]),
        seats_used=None,
    )


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
    inside = (o >= 0) & (o < len(s.offers)) & (r >= 0) & (r < len(s.requirements)) & (q > 0)
    o, r, q = o[inside], r[inside], q[inside]
    family = s.items.family[s.offers.item[o]]
    earmark = s.offers.earmark[o]
    ok = s.requirements.family_ok[r, family] & ((earmark < 0) | (earmark == r))
    ok &= within_limits(o, q, ok, model.usable_quantity(s))
    ok &= within_limits(r, q, ok, s.requirements.quantity)
    if not ok.any():
        return None
    return schedule_through_hubs(s, o[ok], r[ok], q[ok])


def _supply_bound(s: Scenario) -> float:
    """A bound needing no solver: each requirement yields at most its weight times
    the share of it that compatible, usable offers could cover."""
    usable = model.usable_quantity(s)
    fam = s.items.family[s.offers.item]
    ok = s.requirements.family_ok[:, fam]  # requirements x offers
    earmark = s.offers.earmark
    ok = ok & ((earmark < 0) | (earmark[None, :] == np.arange(len(s.requirements))[:, None]))
    supply = ok.astype(np.float64) @ usable
    share = np.minimum(1.0, supply / s.requirements.quantity)
    return float((s.requirements.weight * share).sum())


def _empty_plan(message: str, bound: float = 0.0) -> Plan:
    """The empty plan: valid for every scenario, objective 0."""
    return Plan(method="optimal", status="empty", seats_used=None, message=message, bound=bound)


def _nonempty(plan: Plan) -> Plan | None:
    return plan if plan.n_lines else None
