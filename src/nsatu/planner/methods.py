"""One entry point for every planning method: `run_method`."""

from __future__ import annotations

import dataclasses
import time
import traceback

from nsatu.planner.metrics import compute_metrics
from nsatu.planner.plan import Plan
from nsatu.planner.progress import ProgressCallback, ProgressEvent
from nsatu.planner.scenario import Scenario

METHODS = ("optimal", "greedy", "country", "robust")


# Lines below this share of a unit carry nothing anyone would ship (solver round-off such as
# 2.3e-12 rounds): they are dropped before a plan is saved, checked or shown.
DUST = 1e-6


def without_dust(plan: Plan) -> Plan:
    """The plan without lines whose quantity is below `DUST` (dropping lines keeps every rule)."""
    keep = plan.alloc_quantity > DUST
    if keep.all():
        return plan
    return dataclasses.replace(
        plan,
        alloc_offer=plan.alloc_offer[keep],
        alloc_requirement=plan.alloc_requirement[keep],
        alloc_hub=plan.alloc_hub[keep],
        alloc_quantity=plan.alloc_quantity[keep],
        alloc_week=plan.alloc_week[keep],
    )


def _empty(method: str, message: str) -> Plan:
    return Plan(method=method, status="empty", message=message)


def run_method(
    s: Scenario,
    method: str,
    *,
    time_limit: float = 60,
    gap: float = 1e-3,
    progress: ProgressCallback | None = None,
    warm_start: Plan | None = None,
) -> Plan:
    """Plan ``s`` with ``method`` (optimal, greedy or country) and compute its metrics.

    Never raises for bad or empty input: the plan's status and message say
    what happened (``empty`` when there is nothing to plan, ``error`` when the
    method failed).
    """
    report = progress or (lambda event: None)
    started = time.perf_counter()
    if method not in METHODS:
        plan = Plan(
            method=method, status="error", message=f"unknown method {method!r}; use {', '.join(METHODS)}"
        )
    elif not s.requirements.ids or not s.offers.ids or s.horizon_weeks <= 0:
        plan = _empty(method, "nothing to plan: no requirements, no offers or no weeks")
    else:
        try:
            plan = _dispatch(
                s, method, time_limit=time_limit, gap=gap, progress=report, warm_start=warm_start
            )
        except Exception as exc:  # a method's failure is a status, not a traceback for the caller
            plan = Plan(
                method=method,
                status="error",
                message=f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=3)}",
            )
    if plan.solve_seconds == 0.0:
        plan.solve_seconds = time.perf_counter() - started
    plan = without_dust(plan)
    extra = {k: v for k, v in plan.metrics.items() if k not in _COMPUTED}
    plan.metrics = compute_metrics(s, plan) | extra
    if plan.message:
        plan.metrics["message"] = plan.message
    report(
        ProgressEvent(
            "done",
            fraction=1.0,
            incumbent=float(plan.metrics["objective"]),  # type: ignore[arg-type]
            bound=plan.bound,
            gap=plan.metrics.get("gap"),  # type: ignore[arg-type]
            message=plan.status,
        )
    )
    return plan


# Keys compute_metrics owns; a method's own figures (iterations, build time...) are kept beside them.
_COMPUTED = frozenset(
    {
        "objective",
        "pwf",
        "on_time_share",
        "new_families",
        "method",
        "status",
        "solve_seconds",
        "value",
        "bound",
        "gap",
        "hub_utilisation",
        "crews_short",
        "families_per_capability",
        "fulfilled",
    }
)


def _dispatch(
    s: Scenario,
    method: str,
    *,
    time_limit: float,
    gap: float,
    progress: ProgressCallback,
    warm_start: Plan | None,
) -> Plan:
    if method == "optimal":
        from nsatu.planner.optimal import plan_optimal  # written separately; imported when used

        plan: Plan = plan_optimal(s, time_limit=time_limit, gap=gap, progress=progress, warm_start=warm_start)
        return plan
    if method == "robust":
        from nsatu.planner.robust import plan_robust

        robust: Plan = plan_robust(s, time_limit=time_limit, gap=gap, progress=progress, normal=warm_start)
        return robust
    from nsatu.planner.heuristics import plan_country, plan_greedy

    progress(ProgressEvent("solve", fraction=0.0, message=method))
    plan = plan_country(s) if method == "country" else plan_greedy(s)
    if plan.n_lines == 0:
        plan.message = "no offer could be allocated (routes, horizon, crews or compatibility)"
    return plan
