"""Fleet studies on the task queue: the frontier of a run's scenario and what each family is worth.

A study reads today's scenario from the database (as a plan run does), runs the
pure planner (``nsatu.planner.frontier``, ``nsatu.planner.worth``) and stores its
result on the study row; a frontier's points become plan runs of method
``frontier`` (their lines, seat use and figures), so each point opens as a plan
and can be approved like any other. Every stored result writes its ledger event
in the same transaction.
"""

from __future__ import annotations

import logging
import time
import traceback
from typing import Any

import numpy as np
from django.db import transaction
from django.utils import timezone
from django_tasks import task

from nsatu.core.actors import WORKER
from nsatu.core.heartbeat import Heartbeat
from nsatu.core.ledger import append_event
from nsatu.planner.check import check_plan
from nsatu.planner.io import ScenarioError
from nsatu.planner.plan import Plan
from nsatu.planner.progress import ProgressEvent
from nsatu.planner.scenario import Scenario
from nsatu.planning.adapters import save_plan, scenario_from_db
from nsatu.planning.models import FleetStudy, PlanRun, RunStatus, StudyKind
from nsatu.planning.records import current_seq

logger = logging.getLogger(__name__)
PROGRESS_EVERY_SECONDS = 0.5


def _finite(value: float | None) -> float | None:
    return None if value is None or not np.isfinite(value) else float(value)


class _StudyProgress:
    """Writes the planner's progress to the study row, at most twice a second."""

    def __init__(self, study_id: int) -> None:
        self.study_id, self.last = study_id, 0.0

    def __call__(self, event: ProgressEvent) -> None:
        now = time.monotonic()
        if now - self.last < PROGRESS_EVERY_SECONDS:
            return
        self.last = now
        FleetStudy.objects.filter(pk=self.study_id).update(
            phase=event.phase[:40], fraction=_finite(event.fraction), heartbeat=timezone.now()
        )


def plan_of_run(run: PlanRun, s: Scenario) -> Plan | None:
    """The run's stored lines and seats as a plan of ``s``; None when they are no longer valid in it."""
    offers, requirements, hubs = s.offers.index, s.requirements.index, s.hubs.index
    lines = list(run.allocations.select_related("offer", "requirement", "hub"))
    if any(
        a.offer.code not in offers or a.requirement.code not in requirements or a.hub.code not in hubs
        for a in lines
    ):
        return None
    seats = np.zeros(len(s.courses.ids))
    course_at = s.courses.index
    for use in run.seat_uses.select_related("course"):
        if use.course.code not in course_at:
            return None
        seats[course_at[use.course.code]] = use.seats_used
    plan = Plan(
        method=run.method,
        status="feasible",
        alloc_offer=np.array([offers[a.offer.code] for a in lines], dtype=np.int64),
        alloc_requirement=np.array([requirements[a.requirement.code] for a in lines], dtype=np.int64),
        alloc_hub=np.array([hubs[a.hub.code] for a in lines], dtype=np.int64),
        alloc_quantity=np.array([a.quantity for a in lines], dtype=np.float64),
        alloc_week=np.array([a.arrival_week for a in lines], dtype=np.int64),
        seats_used=seats,
    )
    return plan if not check_plan(s, plan) else None


def _json(value: Any) -> Any:
    """``value`` as plain JSON: arrays as lists, infinite or undefined numbers (a family price of
    infinity: new families excluded) as null, which every database's JSON accepts."""
    if isinstance(value, dict):
        return {str(k): _json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json(v) for v in value]
    if hasattr(value, "tolist"):
        return _json(value.tolist())
    if isinstance(value, float):
        return value if np.isfinite(value) else None
    if value is None or isinstance(value, (bool, int, str)):
        return value
    return str(value)


def _frontier(study: FleetStudy, s: Scenario) -> tuple[dict[str, Any], list[tuple[int, PlanRun, int]]]:
    """The frontier's points, each saved as a plan run (returned with its limit and line count)."""
    from nsatu.planner.frontier import plan_frontier

    points = plan_frontier(
        s,
        max_families=study.max_families,
        time_limit=study.time_limit,
        progress=_StudyProgress(study.pk),
    )
    saved: list[tuple[int, PlanRun, int]] = []
    rows = []
    with transaction.atomic():
        for point in points:
            run = PlanRun.objects.create(
                method="frontier",
                time_limit=study.time_limit,
                status=RunStatus.DONE,
                created_by=study.created_by,
                phase="done",
                fraction=1.0,
                incumbent=point.objective,
                bound=_finite(point.bound),
                gap=_finite(point.gap),
                plan_status=point.plan.status,
                message=f"at most {point.limit} new families (frontier study {study.pk})",
                metrics=_json(point.plan.metrics),
                started_at=timezone.now(),
                finished_at=timezone.now(),
                input_seq=study.input_seq,
            )
            lines = save_plan(run, s, point.plan)
            saved.append((point.limit, run, lines))
            rows.append(
                {
                    "limit": point.limit,
                    "introduced": point.new_families,
                    "pwf": point.pwf,
                    "on_time_share": point.on_time_share,
                    "objective": point.objective,
                    "bound": _finite(point.bound),
                    "gap": _finite(point.gap),
                    "run": run.pk,
                }
            )
    return {"points": rows}, saved


def _worth(study: FleetStudy, s: Scenario) -> dict[str, Any]:
    from nsatu.planner.optimal import plan_optimal
    from nsatu.planner.worth import family_worth

    base = plan_of_run(study.run, s)
    origin = "run"
    budget = study.time_limit
    if base is None:
        # the run's lines no longer fit today's data (or it was approved and is now committed)
        origin = "replanned"
        base = plan_optimal(s, time_limit=budget / 3)
        budget -= budget / 3
    found = family_worth(s, base, time_limit=budget, progress=_StudyProgress(study.pk))
    return {"base": origin, "families": [_json(w.as_dict()) for w in found]}


def execute_fleet_study(study_id: int) -> None:
    """Compute study ``study_id`` over the database's scenario and store its result."""
    study = FleetStudy.objects.select_related("run").get(pk=study_id)
    if study.status != RunStatus.QUEUED:
        return
    FleetStudy.objects.filter(pk=study_id).update(
        status=RunStatus.RUNNING, heartbeat=timezone.now(), phase="read", input_seq=current_seq()
    )
    study.refresh_from_db()
    heartbeat = Heartbeat(FleetStudy, study_id, RunStatus.RUNNING)
    heartbeat.start()
    saved: list[tuple[int, PlanRun, int]] = []
    try:
        s = scenario_from_db()
        if study.kind == StudyKind.FRONTIER:
            result, saved = _frontier(study, s)
        else:
            result = _worth(study, s)
    except ScenarioError as exc:
        _finish(study_id, RunStatus.FAILED, message=str(exc))
        return
    except Exception:
        _finish(study_id, RunStatus.FAILED, message="study failed:\n" + traceback.format_exc(limit=5))
        raise
    finally:
        heartbeat.stopped.set()
    with transaction.atomic():
        for limit, run, lines in saved:
            append_event(
                actor=WORKER,
                action="plan-done",
                object_type="planning.planrun",
                object_id=run.pk,
                payload={"method": "frontier", "study": study_id, "limit": limit, "lines": lines},
            )
        _finish(study_id, RunStatus.DONE, result=result)


def _finish(study_id: int, status: str, *, message: str = "", result: dict[str, Any] | None = None) -> None:
    with transaction.atomic():
        study = FleetStudy.objects.select_for_update().get(pk=study_id)
        study.status, study.message, study.finished_at = status, message, timezone.now()
        study.result, study.phase, study.fraction = result or {}, "done", 1.0
        study.save()
        summary: dict[str, Any] = {"kind": study.kind, "run": study.run_id, "message": message[:500]}
        if result and "points" in result:
            summary["points"] = [
                {"limit": p["limit"], "pwf": p["pwf"], "run": p["run"]} for p in result["points"]
            ]
        if result and "families" in result:
            summary["families"] = {f["code"]: f["pwf_change"] for f in result["families"]}
        append_event(
            actor=WORKER,
            action="study-" + status,
            object_type="planning.fleetstudy",
            object_id=study_id,
            payload=summary,
        )


@task()
def run_fleet_study(study_id: int) -> None:
    """The queued task: one fleet study."""
    execute_fleet_study(study_id)
