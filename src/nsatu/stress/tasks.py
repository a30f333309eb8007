"""Stress runs on the django-tasks queue: one task plans the base, then one task per case.

Each case task reads the scenario from the database and the base plan from the
run's row, and runs the pure case function of `nsatu.planner.stress`; more
workers on more machines finish a run sooner. The last case to finish closes
the run. Every state change writes a ledger event in its transaction.
"""

from __future__ import annotations

import traceback

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django_tasks import task

from nsatu.core.actors import WORKER
from nsatu.core.ledger import append_event
from nsatu.stress.models import StressCase, StressKind, StressRun, StressStatus

OBJECT_TYPE = "stress.stressrun"


def execute_prepare(run_id: int) -> None:
    """Plan the base, store its figures and lines, create the cases and queue one task each."""
    from nsatu.planner import stress
    from nsatu.planner.methods import run_method
    from nsatu.planning.adapters import scenario_from_db

    with transaction.atomic():
        run = StressRun.objects.select_for_update().get(pk=run_id)
        if run.status != StressStatus.QUEUED:
            return  # taken by another worker already
        run.status = StressStatus.RUNNING
        run.save(update_fields=["status", "updated_at"])
        append_event(actor=WORKER, action="stress-started", object_type=OBJECT_TYPE, object_id=run_id)
    try:
        s = scenario_from_db()
        base = run_method(s, run.method, time_limit=run.time_limit)
        if base.status == "error":
            raise RuntimeError(base.message)
        figures = stress.base_figures(s, base)
        lines = stress.plan_lines(s, base)
        keys = (
            stress.donors_with_offers(s)
            if run.kind == StressKind.WITHDRAWAL
            else [str(k) for k in range(run.samples)]
        )
    except Exception:
        _finish(run_id, StressStatus.FAILED, "the base plan failed:\n" + traceback.format_exc(limit=4))
        raise
    with transaction.atomic():
        StressRun.objects.filter(pk=run_id).update(
            base=figures.to_json(), base_lines=lines, cases_total=len(keys), updated_at=timezone.now()
        )
        cases = StressCase.objects.bulk_create([StressCase(run_id=run_id, key=k) for k in keys])
        append_event(
            actor=WORKER,
            action="stress-cases-queued",
            object_type=OBJECT_TYPE,
            object_id=run_id,
            payload={"cases": len(keys), "base_pwf": figures.pwf, "method": run.method},
        )
        ids = [c.pk for c in cases]
        transaction.on_commit(lambda: [run_stress_case.enqueue(i) for i in ids])
    if not keys:
        _finish(run_id, StressStatus.DONE, "no cases: no donor offers anything")


def execute_case(case_id: int) -> None:
    """Run one case and store its result; the last case closes the run."""
    from nsatu.planner import stress
    from nsatu.planning.adapters import scenario_from_db

    with transaction.atomic():
        case = StressCase.objects.select_for_update().select_related("run").get(pk=case_id)
        if case.status != StressStatus.QUEUED:
            return
        case.status = StressStatus.RUNNING
        case.save(update_fields=["status"])
    run = case.run
    try:
        s = scenario_from_db()
        base = stress.plan_of_lines(s, [list(line) for line in run.base_lines], method=run.method)
        if run.kind == StressKind.WITHDRAWAL:
            figures = stress.BaseFigures.from_json(dict(run.base))
            result = stress.withdrawal_case(
                s, base, case.key, method=run.method, time_limit=run.time_limit, figures=figures
            ).to_json()
        else:
            result = stress.delay_case(
                s, base, seed=run.seed, index=int(case.key), mean_days=run.mean_delay_days
            ).to_json()
        status, message = StressStatus.DONE, ""
    except Exception:
        result, status, message = {}, StressStatus.FAILED, traceback.format_exc(limit=4)
    with transaction.atomic():
        StressCase.objects.filter(pk=case_id).update(status=status, result=result, message=message)
        StressRun.objects.filter(pk=run.pk).update(cases_done=F("cases_done") + 1, updated_at=timezone.now())
        append_event(
            actor=WORKER,
            action="stress-case-" + status,
            object_type=OBJECT_TYPE,
            object_id=run.pk,
            payload={"case": case.key, "message": message[:300]},
        )
        current = StressRun.objects.select_for_update().get(pk=run.pk)
        last = current.cases_done >= current.cases_total
    if last:
        failed = StressCase.objects.filter(run_id=run.pk, status=StressStatus.FAILED).count()
        _finish(run.pk, StressStatus.DONE, f"{failed} case(s) failed" if failed else "")


def _finish(run_id: int, status: str, message: str) -> None:
    with transaction.atomic():
        run = StressRun.objects.select_for_update().get(pk=run_id)
        if run.status in (StressStatus.DONE, StressStatus.FAILED):
            return
        run.status, run.message, run.finished_at = status, message, timezone.now()
        run.save(update_fields=["status", "message", "finished_at", "updated_at"])
        append_event(
            actor=WORKER,
            action="stress-" + status,
            object_type=OBJECT_TYPE,
            object_id=run_id,
            payload={"cases": run.cases_total, "message": message[:500]},
        )


@task()
def prepare_stress_run(run_id: int) -> None:
    """The queued task: the base plan of a stress run, then its cases are queued."""
    execute_prepare(run_id)


@task()
def run_stress_case(case_id: int) -> None:
    """The queued task: one case of a stress run."""
    execute_case(case_id)
