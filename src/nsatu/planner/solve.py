"""HiGHS, behind one class and one function. The only module of the planner that imports highspy.

`Solver` keeps one HiGHS model so that changed costs or row bounds are solved
again from the last basis; `solve` is a one-off call. Every LP answer carries
a bound computed from its row duals by `nsatu.planner.bounds` (true whatever
the solver's tolerances or status), every MIP answer the solver's dual bound.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any, Literal

import highspy
import numpy as np
import scipy.sparse as sp

from nsatu.planner.bounds import best_dual_bound
from nsatu.planner.progress import ProgressCallback, ProgressEvent
from nsatu.planner.scenario import BoolArray, FloatArray, IntArray

SUB_MIP_MIN_SECONDS = 30.0

SolveStatus = Literal["optimal", "feasible", "time_limit", "infeasible", "error"]


@dataclass
class Solution:
    """What the solver proved and found (a maximisation)."""

    status: SolveStatus
    x: FloatArray | None  # primal values of the best solution, None when there is none
    objective: float | None
    bound: float | None  # proven upper bound of the model's optimum; None when unknown
    seconds: float
    message: str = ""
    row_dual: FloatArray | None = None  # LPs: the row prices the bound came from
    reported: float | None = None  # the solver's own figure (LP objective or MIP dual bound)


class Solver:
    """One model in HiGHS: maximise ``cost @ x`` over row and column bounds, solved again
    after changes from where the last solve ended."""

    def __init__(
        self,
        cost: FloatArray,
        col_lower: FloatArray,
        col_upper: FloatArray,
        integer: BoolArray,
        matrix: sp.csr_matrix,
        row_lower: FloatArray,
        row_upper: FloatArray,
        *,
        relax_integrality: bool = False,
        threads: int | None = None,
    ) -> None:
        self.cost = np.ascontiguousarray(cost, dtype=np.float64).copy()
        self.col_lower = np.ascontiguousarray(col_lower, dtype=np.float64).copy()
        self.col_upper = np.ascontiguousarray(col_upper, dtype=np.float64).copy()
        self.row_lower = np.ascontiguousarray(row_lower, dtype=np.float64).copy()
        self.row_upper = np.ascontiguousarray(row_upper, dtype=np.float64).copy()
        self.matrix = matrix.tocsr()
        self.is_mip = bool(integer.any()) and not relax_integrality
        self.integer = integer.astype(bool)
        self.accepted = True
        h = highspy.Highs()  # type: ignore[no-untyped-call]
        h.silent()
        if threads:
            h.setOptionValue("threads", int(threads))
        inf = highspy.kHighsInf
        csr = self.matrix
        n_cols, n_rows = self.cost.shape[0], self.row_lower.shape[0]
        status = h.passModel(
            int(n_cols),
            int(n_rows),
            int(csr.nnz),
            int(highspy.MatrixFormat.kRowwise),
            int(highspy.ObjSense.kMaximize),
            0.0,
            self.cost,
            np.clip(self.col_lower, -inf, inf),
            np.clip(self.col_upper, -inf, inf),
            np.clip(self.row_lower, -inf, inf),
            np.clip(self.row_upper, -inf, inf),
            np.ascontiguousarray(csr.indptr, dtype=np.int32),
            np.ascontiguousarray(csr.indices, dtype=np.int32),
            np.ascontiguousarray(csr.data, dtype=np.float64),
            integer.astype(np.int32) if self.is_mip else np.zeros(n_cols, np.int32),
        )
        self.accepted = status != highspy.HighsStatus.kError
        self.highs = h

    # ----- changes -----

    def change_costs(self, columns: IntArray, cost: FloatArray) -> None:
        self.cost[columns] = cost
        self.highs.changeColsCost(int(columns.shape[0]), columns.astype(np.int32), np.ascontiguousarray(cost))

    def change_row_bounds(self, rows: IntArray, lower: FloatArray, upper: FloatArray) -> None:
        self.row_lower[rows] = lower
        self.row_upper[rows] = upper
        inf = highspy.kHighsInf
        self.highs.changeRowsBounds(  # type: ignore[attr-defined]
            int(rows.shape[0]),
            rows.astype(np.int32),
            np.ascontiguousarray(np.clip(lower, -inf, inf)),
            np.ascontiguousarray(np.clip(upper, -inf, inf)),
        )

    def change_col_bounds(self, columns: IntArray, lower: FloatArray, upper: FloatArray) -> None:
        self.col_lower[columns] = lower
        self.col_upper[columns] = upper
        inf = highspy.kHighsInf
        self.highs.changeColsBounds(
            int(columns.shape[0]),
            columns.astype(np.int32),
            np.ascontiguousarray(np.clip(lower, -inf, inf)),
            np.ascontiguousarray(np.clip(upper, -inf, inf)),
        )

    # ----- solving -----

    def run(
        self,
        *,
        time_limit: float,
        gap: float = 1e-3,
        progress: ProgressCallback | None = None,
        start: FloatArray | None = None,
        presolve: bool = True,
    ) -> Solution:
        """Solve (again) within ``time_limit`` seconds; a MIP to relative ``gap``."""
        started = time.perf_counter()
        if not self.accepted:
            return Solution("error", None, None, None, 0.0, "HiGHS rejected the model")
        h = self.highs
        h.setOptionValue("time_limit", max(float(time_limit), 0.01))
        h.setOptionValue("mip_rel_gap", float(gap))
        # HiGHS 1.16 returns the start's values, not the better solution it reports, when a
        # MIP with a start is presolved; without presolve the solution is the one reported
        presolved = presolve and not (start is not None and self.is_mip)
        h.setOptionValue("presolve", "on" if presolved else "off")
        if time_limit < SUB_MIP_MIN_SECONDS:
            # HiGHS's RINS/RENS sub-MIPs do not watch the time limit; on short runs they overrun it
            h.setOptionValue("mip_heuristic_run_rins", False)
            h.setOptionValue("mip_heuristic_run_rens", False)
        if start is not None and self.is_mip:
            # a whole vector: HiGHS completes a partial one by a search of its own first
            given = highspy.HighsSolution()
            given.col_value = np.ascontiguousarray(start, dtype=np.float64).tolist()
            given.value_valid = True
            h.setSolution(given)
        callbacks = _stop_at(h, started + float(time_limit))
        if progress is not None and self.is_mip:
            callbacks += _report_progress(h, progress)
        try:
            h.run()
        finally:
            for unsubscribe in callbacks:
                unsubscribe()
        return self._answer(time.perf_counter() - started)

    def _answer(self, seconds: float) -> Solution:
        h = self.highs
        model_status = h.getModelStatus()
        info = h.getInfo()
        ms = highspy.HighsModelStatus
        message = ""
        if model_status in (ms.kInfeasible, ms.kUnboundedOrInfeasible):
            return Solution("infeasible", None, None, None, seconds, "the model has no feasible solution")
        has_solution = info.primal_solution_status == 2  # kSolutionStatusFeasible
        solution = h.getSolution()
        x = np.asarray(solution.col_value, dtype=np.float64) if has_solution else None
        objective = float(info.objective_function_value) if has_solution else None
        if x is not None and objective is not None:
            value = float(self.cost @ x)
            if abs(value - objective) > 1e-6 * max(1.0, abs(objective)):
                # the values returned are not the solution reported: trust the values
                message = f"solver reported objective {objective:.9g} for values worth {value:.9g}; "
                objective = value
        row_dual: FloatArray | None = None
        if self.is_mip:
            raw = float(info.mip_dual_bound)
            bound = raw if math.isfinite(raw) and abs(raw) < highspy.kHighsInf else None
            reported = bound
        else:
            reported = objective if model_status == ms.kOptimal else None
            bound = None
            if solution.dual_valid:
                row_dual = np.asarray(solution.row_dual, dtype=np.float64)
                bound = self.bound_of(row_dual)
        status_text = h.modelStatusToString(model_status)
        if model_status == ms.kOptimal:
            result: SolveStatus = "optimal"
        elif model_status in (ms.kTimeLimit, ms.kInterrupt, ms.kIterationLimit, ms.kSolutionLimit):
            result = "time_limit"
            status_text = "time limit reached" if model_status == ms.kInterrupt else status_text
        elif has_solution:
            result = "feasible"
        else:
            result = "error"
        return Solution(result, x, objective, bound, seconds, message + status_text, row_dual, reported)

    def bound_of(self, row_prices: FloatArray) -> float:
        """The true bound these row prices give (`nsatu.planner.bounds`)."""
        return best_dual_bound(
            self.cost, self.col_lower, self.col_upper, self.matrix, self.row_lower, self.row_upper, row_prices
        ).value


def solve(
    cost: FloatArray,
    col_lower: FloatArray,
    col_upper: FloatArray,
    integer: BoolArray,
    matrix: sp.csr_matrix,
    row_lower: FloatArray,
    row_upper: FloatArray,
    *,
    time_limit: float = 60.0,
    gap: float = 1e-3,
    progress: ProgressCallback | None = None,
    start: FloatArray | None = None,
    relax_integrality: bool = False,
    threads: int | None = None,
    presolve: bool = True,
) -> Solution:
    """Maximise ``cost @ x`` over the given rows and bounds with HiGHS, once."""
    started = time.perf_counter()
    solver = Solver(
        cost,
        col_lower,
        col_upper,
        integer,
        matrix,
        row_lower,
        row_upper,
        relax_integrality=relax_integrality,
        threads=threads,
    )
    left = max(float(time_limit) - (time.perf_counter() - started), 0.01)
    sol = solver.run(time_limit=left, gap=gap, progress=progress, start=start, presolve=presolve)
    sol.seconds = time.perf_counter() - started
    return sol


def _stop_at(h: highspy.Highs, deadline: float) -> list[Any]:
    """Interrupt at the deadline: HiGHS's own limit is not checked inside sub-MIPs.
    Returns the unsubscribe calls."""

    def on_interrupt(event: Any) -> None:
        if time.perf_counter() >= deadline:
            event.data_in.user_interrupt = True

    return [
        _subscribe(h.cbMipInterrupt, on_interrupt),
        _subscribe(h.cbSimplexInterrupt, on_interrupt),
        _subscribe(h.cbIpmInterrupt, on_interrupt),
    ]


def _subscribe(event: Any, handler: Any) -> Any:
    """Subscribe ``handler`` and return how to unsubscribe it (a reused model keeps no stale deadline)."""
    event.subscribe(handler)
    return lambda: event.unsubscribe(handler)


def _report_progress(h: highspy.Highs, progress: ProgressCallback) -> list[Any]:
    """Forward HiGHS's incumbent and dual bound, at most twice a second."""
    last = [0.0]

    def on_event(event: Any) -> None:
        now = time.perf_counter()
        if now - last[0] < 0.5:
            return
        last[0] = now
        out = event.data_out
        incumbent = float(out.mip_primal_bound)
        bound = float(out.mip_dual_bound)
        inc = incumbent if math.isfinite(incumbent) and abs(incumbent) < 1e30 else None
        bnd = bound if math.isfinite(bound) and abs(bound) < 1e30 else None
        gap = (bnd - inc) / max(1.0, abs(bnd)) if inc is not None and bnd is not None else None
        progress(ProgressEvent("solve", None, inc, bnd, gap, f"{int(out.mip_node_count)} nodes"))

    return [_subscribe(h.cbMipInterrupt, on_event), _subscribe(h.cbMipImprovingSolution, on_event)]
