"""HiGHS, behind one function. The only module of the planner that imports highspy."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any, Literal

import highspy
import numpy as np
import scipy.sparse as sp

from nsatu.planner.progress import ProgressCallback, ProgressEvent
from nsatu.planner.scenario import BoolArray, FloatArray

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
) -> Solution:
    """Maximise ``cost @ x`` over the given rows and bounds with HiGHS."""
    started = time.perf_counter()
    n_cols, n_rows = cost.shape[0], row_lower.shape[0]
    is_mip = bool(integer.any()) and not relax_integrality
    h = highspy.Highs()  # type: ignore[no-untyped-call]
    h.silent()
    h.setOptionValue("time_limit", max(float(time_limit), 0.01))
    h.setOptionValue("mip_rel_gap", float(gap))
    if time_limit < SUB_MIP_MIN_SECONDS:
        # HiGHS's RINS/RENS sub-MIPs do not watch the time limit; on short runs they overrun it
        h.setOptionValue("mip_heuristic_run_rins", False)
        h.setOptionValue("mip_heuristic_run_rens", False)
    if threads:
        h.setOptionValue("threads", int(threads))
    inf = highspy.kHighsInf
    csr = matrix.tocsr()
    integrality = integer.astype(np.int32) if is_mip else np.zeros(n_cols, np.int32)
    status = h.passModel(
        int(n_cols),
        int(n_rows),
        int(csr.nnz),
        int(highspy.MatrixFormat.kRowwise),
        int(highspy.ObjSense.kMaximize),
        0.0,
        np.ascontiguousarray(cost, dtype=np.float64),
        np.ascontiguousarray(np.clip(col_lower, -inf, inf), dtype=np.float64),
        np.ascontiguousarray(np.clip(col_upper, -inf, inf), dtype=np.float64),
        np.ascontiguousarray(np.clip(row_lower, -inf, inf), dtype=np.float64),
        np.ascontiguousarray(np.clip(row_upper, -inf, inf), dtype=np.float64),
        np.ascontiguousarray(csr.indptr, dtype=np.int32),
        np.ascontiguousarray(csr.indices, dtype=np.int32),
        np.ascontiguousarray(csr.data, dtype=np.float64),
        integrality,
    )
    if status == highspy.HighsStatus.kError:
        return Solution("error", None, None, None, time.perf_counter() - started, "HiGHS rejected the model")
    if start is not None and is_mip:
        idx = np.flatnonzero(start != 0).astype(np.int32)
        h.setSolution(int(idx.shape[0]), idx, np.ascontiguousarray(start[idx], dtype=np.float64))
    if progress is not None and is_mip:
        _report_progress(h, progress)
    _stop_at(h, started + float(time_limit))
    h.run()
    seconds = time.perf_counter() - started
    model_status = h.getModelStatus()
    info = h.getInfo()
    ms = highspy.HighsModelStatus
    if model_status in (ms.kInfeasible, ms.kUnboundedOrInfeasible):
        return Solution("infeasible", None, None, None, seconds, "the model has no feasible solution")
    has_solution = info.primal_solution_status == 2  # kSolutionStatusFeasible
    x = np.asarray(h.getSolution().col_value, dtype=np.float64) if has_solution else None
    objective = float(info.objective_function_value) if has_solution else None
    if is_mip:
        raw = float(info.mip_dual_bound)
        bound = raw if math.isfinite(raw) and abs(raw) < inf else None
    else:
        bound = objective if model_status == ms.kOptimal else None
    if model_status == ms.kOptimal:
        result: SolveStatus = "optimal"
    elif model_status in (ms.kTimeLimit, ms.kInterrupt, ms.kIterationLimit, ms.kSolutionLimit):
        result = "time_limit"
    elif has_solution:
        result = "feasible"
    else:
        result = "error"
    message = h.modelStatusToString(model_status)
    return Solution(result, x, objective, bound, seconds, message)


def _stop_at(h: highspy.Highs, deadline: float) -> None:
    """Interrupt at the deadline: HiGHS's own limit is not checked inside sub-MIPs."""

    def on_interrupt(event: Any) -> None:
        if time.perf_counter() >= deadline:
            event.data_in.user_interrupt = True

    h.cbMipInterrupt.subscribe(on_interrupt)
    h.cbSimplexInterrupt.subscribe(on_interrupt)
    h.cbIpmInterrupt.subscribe(on_interrupt)


def _report_progress(h: highspy.Highs, progress: ProgressCallback) -> None:
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

    h.cbMipInterrupt.subscribe(on_event)
    h.cbMipImprovingSolution.subscribe(on_event)
