"""Stress runs on the django-tasks queue: one task plans the base, then one task per case.

Each case task reads the scenario from the database and the base plan from the
run's row, and runs the pure case function of `nsatu.planner.stress`. A donor
withdrawal counts committed aid too: the base is what approved plans commit
plus the plan of the remainder, and each donor's case takes back what a political
shift of it would (`nsatu.commitments.fulfilment.donor_exit`), re-plans on the
scenario the backfill would see, and reports the loss without and with it. More
workers on more machines finish a run sooner. The last case to finish closes
the run. Every state change writes a ledger event in its transaction.

While a worker plans the base or runs a case it touches a heartbeat (the run's,
then the case's) every ``NSATU_PLAN_HEARTBEAT_SECONDS``; a killed worker stops
touching it, and `nsatu.stress.services.fail_stale_stress_runs` fails what it left.
"""

from __future__ import annotations

import datetime as dt
import logging
import traceback
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django_tasks import task

from nsatu.core.actors import WORKER
from nsatu.core.heartbeat import Heartbeat
from nsatu.core.ledger import append_event
from nsatu.stress.models import StressCase, StressKind, StressRun, StressStatus

if TYPE_CHECKING:
    from nsatu.planner.scenario import Scenario
    from nsatu.planner.stress import BaseFigures, Line

OBJECT_TYPE = "stress.stressrun"
logger = logging.getLogger(__name__)


def execute_prepare(run_id: int, *, enqueue_cases: bool = True) -> list[int]:
    """Plan the base, store its figures and lines, create the cases and queue one task each.

    Returns the ids of the cases created. With ``enqueue_cases=False`` nothing is
    queued: the caller runs the cases itself (``nsatu stress --db --in-process``).
    """
    from nsatu.planner import stress
    from nsatu.planner.methods import run_method
    from nsatu.planning.adapters import scenario_from_db

    with transaction.atomic():
        run = StressRun.objects.select_for_update().get(pk=run_id)
        if run.status != StressStatus.QUEUED:
            return []  # taken by another worker already
        run.status, run.heartbeat = StressStatus.RUNNING, timezone.now()
        run.save(update_fields=["status", "heartbeat", "updated_at"])
        append_event(actor=WORKER, action="stress-started", object_type=OBJECT_TYPE, object_id=run_id)
    try:
        with Heartbeat(StressRun, run_id, StressStatus.RUNNING):
            s = scenario_from_db()
            base = run_method(s, run.method, time_limit=run.time_limit)
            if base.status == "error":
                raise RuntimeError(base.message)
            lines = stress.plan_lines(s, base)
            if run.kind == StressKind.WITHDRAWAL:
                figures, keys = _withdrawal_base(s, lines, run.method)
            else:
                figures, keys = stress.base_figures(s, base), [str(k) for k in range(run.samples)]
    except Exception:
        finish_run(run_id, StressStatus.FAILED, "the base plan failed:\n" + traceback.format_exc(limit=4))
        raise
    with transaction.atomic():
        if StressRun.objects.select_for_update().get(pk=run_id).status != StressStatus.RUNNING:
            return []  # declared dead (stale heartbeat) while this worker was slow, not dead
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
        # bulk_create sets primary keys on SQLite and PostgreSQL alike
        ids = [c.pk for c in cases]
        if enqueue_cases:
            transaction.on_commit(lambda: [run_stress_case.enqueue(i) for i in ids])
    if not keys:
        finish_run(run_id, StressStatus.DONE, "no cases: no donor offers anything")
    return ids


def _withdrawal_base(s: Scenario, lines: list[Line], method: str) -> tuple[BaseFigures, list[str]]:
    """The base of a withdrawal run, committed aid included, and its cases: every donor with
    an offer left or committed aid a political shift could take back."""
    from nsatu.commitments.fulfilment import committed_lines, donor_exits
    from nsatu.planner import stress
    from nsatu.planning.adapters import scenario_from_db

    exits = donor_exits()
    full = scenario_from_db(remaining=False)
    taken = {donor: e.taken for donor, e in exits.items()}
    figures = stress.committed_base_figures(full, committed_lines(), lines, taken, method)
    return figures, sorted(set(stress.donors_with_offers(s)) | set(exits))


def _withdrawal_result(run: StressRun, donor: str) -> dict[str, Any]:
    """One donor's case: its committed aid and offers withdrawn, the loss without and with backfill."""
    from nsatu.commitments.fulfilment import committed_lines, donor_exit
    from nsatu.nations.models import Nation
    from nsatu.planner import stress
    from nsatu.planning.adapters import scenario_from_db

    exit_ = donor_exit(Nation.objects.get(iso3=donor))
    return stress.committed_withdrawal_case(
        scenario_from_db(remaining=False),
        scenario_from_db(taken_back=exit_.cuts),
        committed_lines(taken_back=exit_.cuts),
        exit_.taken,
        [list(line) for line in run.base_lines],
        donor,
        figures=stress.BaseFigures.from_json(dict(run.base)),
        method=run.method,
        time_limit=run.time_limit,
    ).to_json()


def execute_case(case_id: int) -> None:
    """Run one case and store its result; the last case closes the run."""
    from nsatu.planner import stress
    from nsatu.planning.adapters import scenario_from_db

    with transaction.atomic():
        case = StressCase.objects.select_for_update().select_related("run").get(pk=case_id)
        if case.status != StressStatus.QUEUED or case.run.status != StressStatus.RUNNING:
            return
        case.status, case.heartbeat = StressStatus.RUNNING, timezone.now()
        case.save(update_fields=["status", "heartbeat"])
    run = case.run
    try:
        with Heartbeat(StressCase, case_id, StressStatus.RUNNING):
            if run.kind == StressKind.WITHDRAWAL:
                result = _withdrawal_result(run, case.key)
            else:
                s = scenario_from_db()
                base = stress.plan_of_lines(s, [list(line) for line in run.base_lines], method=run.method)
                result = stress.delay_case(
                    s, base, seed=run.seed, index=int(case.key), mean_days=run.mean_delay_days
                ).to_json()
        status, message = StressStatus.DONE, ""
    except Exception:
        result, status, message = {}, StressStatus.FAILED, traceback.format_exc(limit=4)
    close_case(case_id, status, result=result, message=message)


def close_case(
    case_id: int,
    status: str,
    *,
    result: dict[str, Any] | None = None,
    message: str = "",
    stale_before: dt.datetime | None = None,
) -> bool:
    """Record a running case's end (done or failed); the last case closes its run.

    Returns False, changing nothing, when the case is no longer running (it was
    declared dead while its worker was in fact still at work), or, given
    ``stale_before``, when its heartbeat is newer than that after all.
    """
    with transaction.atomic():
        case = StressCase.objects.select_for_update().get(pk=case_id)
        if case.status != StressStatus.RUNNING:
            logger.warning("stress case %s ended as %s after it was closed; result dropped", case_id, status)
            return False
        if stale_before is not None and case.heartbeat is not None and case.heartbeat >= stale_before:
            return False
        case.status, case.result, case.message = status, result or {}, message
        case.save(update_fields=["status", "result", "message"])
        StressRun.objects.filter(pk=case.run_id).update(
            cases_done=F("cases_done") + 1, updated_at=timezone.now()
        )
        append_event(
            actor=WORKER,
            action="stress-case-" + status,
            object_type=OBJECT_TYPE,
            object_id=case.run_id,
            payload={"case": case.key, "message": message[:300]},
        )
        current = StressRun.objects.select_for_update().get(pk=case.run_id)
        last = current.cases_done >= current.cases_total
    if last:
        failed = StressCase.objects.filter(run_id=case.run_id, status=StressStatus.FAILED).count()
        finish_run(case.run_id, StressStatus.DONE, f"{failed} case(s) failed" if failed else "")
    return True


def finish_run(run_id: int, status: str, message: str, *, stale_before: dt.datetime | None = None) -> bool:
    """End a run (done or failed) with its ledger event; False if it had ended already.

    Given ``stale_before``, only a run still planning its base (no case yet) whose
    heartbeat is older than that is ended.
    """
    with transaction.atomic():
        run = StressRun.objects.select_for_update().get(pk=run_id)
        if run.status in (StressStatus.DONE, StressStatus.FAILED):
            return False
        if stale_before is not None and (
            (run.heartbeat is not None and run.heartbeat >= stale_before) or run.cases.exists()
        ):
            return False
        run.status, run.message, run.finished_at = status, message, timezone.now()
        run.save(update_fields=["status", "message", "finished_at", "updated_at"])
        append_event(
            actor=WORKER,
            action="stress-" + status,
            object_type=OBJECT_TYPE,
            object_id=run_id,
            payload={"cases": run.cases_total, "message": message[:500]},
        )
    return True


@task()
def prepare_stress_run(run_id: int) -> None:
    """The queued task: the base plan of a stress run, then its cases are queued."""
    execute_prepare(run_id)


@task()
def run_stress_case(case_id: int) -> None:
    """The queued task: one case of a stress run."""
    execute_case(case_id)
