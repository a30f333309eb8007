"""Background planning runs on the django-tasks queue."""

from __future__ import annotations

import logging
import time
import traceback

from django.db import transaction
from django.utils import timezone
from django_tasks import task

from nsatu.core.actors import WORKER
from nsatu.core.heartbeat import Heartbeat
from nsatu.core.ledger import append_event
from nsatu.core.proof import lines_digest
from nsatu.planner.io import ScenarioError
from nsatu.planner.progress import ProgressEvent
from nsatu.planning.adapters import save_plan, scenario_from_db
from nsatu.planning.models import PlanRun, RunStatus
from nsatu.planning.records import current_seq

PROGRESS_EVERY_SECONDS = 0.5
logger = logging.getLogger(__name__)


def _finite(value: float | None) -> float | None:
    return None if value is None or value != value or abs(value) == float("inf") else float(value)


class _ProgressWriter:
    """Writes the solver's progress to the run row, at most twice a second."""

    def __init__(self, run_id: int) -> None:
        self.run_id, self.last = run_id, 0.0

    def __call__(self, event: ProgressEvent) -> None:
        now = time.monotonic()
        if now - self.last < PROGRESS_EVERY_SECONDS and event.phase != "done":
            return
        self.last = now
        # only while the run is still running: a run failed as stale keeps what it was failed with
        PlanRun.objects.filter(pk=self.run_id, status=RunStatus.RUNNING).update(
            phase=event.phase[:40],
            fraction=_finite(event.fraction),
            incumbent=_finite(event.incumbent),
            bound=_finite(event.bound),
            gap=_finite(event.gap),
            heartbeat=timezone.now(),
        )


def execute_plan_run(run_id: int) -> None:
    """Plan the database's scenario for run ``run_id`` and store the result."""
    from nsatu.planner.methods import run_method

    run = _claim(run_id)
    if run is None:
        return  # already taken by another worker, or finished
    heartbeat = Heartbeat(PlanRun, run_id, RunStatus.RUNNING)
    heartbeat.start()
    try:
        # before the scenario is read: an event in between makes the run stale, never the reverse
        PlanRun.objects.filter(pk=run_id).update(input_seq=current_seq())
        scenario = scenario_from_db()
        plan = run_method(scenario, run.method, time_limit=run.time_limit, progress=_ProgressWriter(run_id))
        # The baselines on the same data, for the comparison every plan is shown with.
        plan.metrics["baselines"] = {
            method: run_method(scenario, method).metrics
            for method in ("country", "greedy")
            if method != run.method
        }
    except ScenarioError as exc:
        _finish(run_id, RunStatus.FAILED, message=str(exc))
        return
    except Exception:
        _finish(run_id, RunStatus.FAILED, message="planning failed:\n" + traceback.format_exc(limit=5))
        raise
    finally:
        heartbeat.stopped.set()
    with transaction.atomic():
        # the row lock first: a run failed as stale meanwhile keeps its failure, and no lines are saved
        if not _still_running(run_id, RunStatus.DONE):
            return
        lines = save_plan(run, scenario, plan)
        _finish(
            run_id,
            RunStatus.DONE,
            message=plan.message,
            plan_status=plan.status,
            metrics=_json_metrics(plan.metrics),
            bound=_finite(plan.bound),
            lines=lines,
        )


def _claim(run_id: int) -> PlanRun | None:
    """Take a queued run for this worker (a conditional update, so two workers cannot both take it)
    and record that it started; None when it is not queued any more."""
    with transaction.atomic():
        now = timezone.now()
        taken = PlanRun.objects.filter(pk=run_id, status=RunStatus.QUEUED).update(
            status=RunStatus.RUNNING, started_at=now, heartbeat=now, phase="read"
        )
        if not taken:
            return None
        run = PlanRun.objects.get(pk=run_id)
        append_event(
            actor=WORKER,
            action="plan-started",
            object_type="planning.planrun",
            object_id=run_id,
            payload={"method": run.method, "time_limit": run.time_limit},
        )
    return run


def _still_running(run_id: int, ending: str) -> bool:
    """Lock the run's row and say whether it is still running (this worker's to end).

    A run failed meanwhile (its heartbeat went stale while this worker was paused or slow)
    stays failed: the late result is dropped with a warning, never stored.
    """
    status = PlanRun.objects.select_for_update().values_list("status", flat=True).get(pk=run_id)
    if status == RunStatus.RUNNING:
        return True
    logger.warning("plan run %s is %s; this worker's late result (%s) is dropped", run_id, status, ending)
    return False


def _json_metrics(metrics: dict[str, object]) -> dict[str, object]:
    import json

    text = json.dumps(metrics, default=lambda v: v.tolist() if hasattr(v, "tolist") else str(v))
    result: dict[str, object] = json.loads(text)
    return result


def _finish(
    run_id: int,
    status: str,
    *,
    message: str = "",
    plan_status: str = "",
    metrics: dict[str, object] | None = None,
    bound: float | None = None,
    lines: int = 0,
) -> None:
    with transaction.atomic():
        if not _still_running(run_id, status):
            return
        run = PlanRun.objects.select_for_update().get(pk=run_id)
        run.status, run.message, run.finished_at, run.phase = status, message, timezone.now(), "done"
        run.plan_status, run.metrics, run.fraction = plan_status, metrics or {}, 1.0
        if bound is not None:
            run.bound = bound
        if metrics and isinstance(metrics.get("objective"), (int, float)):
            run.incumbent = float(metrics["objective"])  # type: ignore[arg-type]
        if metrics and isinstance(metrics.get("gap"), (int, float)):
            run.gap = float(metrics["gap"])  # type: ignore[arg-type]
        run.save()
        payload: dict[str, object] = {
            "method": run.method,
            "lines": lines,
            "plan_status": plan_status,
            "objective": (metrics or {}).get("objective"),
            "message": message[:500],
        }
        if status == RunStatus.DONE:
            # the lines as stored, in one read: what `nsatu ledger verify` compares them with
            payload["lines_digest"] = lines_digest(run_id)
        append_event(
            actor=WORKER,
            action="plan-" + status,
            object_type="planning.planrun",
            object_id=run_id,
            payload=payload,
        )


@task()
def run_plan(run_id: int) -> None:
    """The queued task: one plan run."""
    execute_plan_run(run_id)
