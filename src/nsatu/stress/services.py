"""Starting stress runs (audited); the tasks do the rest."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from nsatu.core.actors import Actor, actor_identity
from nsatu.core.services import create_record
from nsatu.stress.models import StressCase, StressKind, StressRun, StressStatus

METHODS = ("optimal", "greedy")
MAX_SAMPLES = 1000


class StressError(Exception):
    """A stress run that cannot be started, with a message for the user."""


def start_stress_run(
    *,
    actor: Actor,
    kind: str,
    method: str = "optimal",
    time_limit: float = 10.0,
    samples: int = 0,
    seed: int = 1,
    mean_delay_days: float = 14.0,
    enqueue: bool = True,
) -> StressRun:
    """Queue a stress run over the database's scenario: the base plan first, then one task per case.

    With ``enqueue=False`` the run is only recorded: the caller runs it in its own
    process (`nsatu.stress.tasks.execute_prepare` and `execute_case`).
    """
    if kind not in StressKind.values:
        raise StressError(
            _("unknown kind %(kind)r: choose one of %(kinds)s")
            % {"kind": kind, "kinds": ", ".join(StressKind.values)}
        )
    if method not in METHODS:
        raise StressError(
            _("unknown method %(method)r: choose one of %(methods)s")
            % {"method": method, "methods": ", ".join(METHODS)}
        )
    if not 0 < time_limit <= 600:
        raise StressError(_("the time limit per plan must be between 0 and 600 seconds"))
    if kind == StressKind.DELAYS and not 1 <= samples <= MAX_SAMPLES:
        raise StressError(
            _("the number of delay samples must be between 1 and %(max)s") % {"max": MAX_SAMPLES}
        )
    if mean_delay_days < 0:
        raise StressError(_("the mean delay cannot be negative"))
    from nsatu.stress.tasks import prepare_stress_run

    with transaction.atomic():
        run = create_record(
            StressRun,
            actor=actor,
            kind=kind,
            method=method,
            time_limit=time_limit,
            samples=samples if kind == StressKind.DELAYS else 0,
            seed=seed,
            mean_delay_days=mean_delay_days,
            created_by=actor_identity(actor)[0],
        )
        if enqueue:
            # after commit, so the worker never looks for a run that is not there yet
            transaction.on_commit(lambda: _enqueue(prepare_stress_run, run.pk))
    return run


def _enqueue(task: Any, *args: Any) -> None:
    task.enqueue(*args)


WORKER_DIED = "the task worker stopped reporting (killed or crashed)"


def fail_stale_stress_runs(*, now: dt.datetime | None = None) -> int:
    """Fail what dead workers left running; returns how many runs and cases were failed.

    A case whose heartbeat is older than ``NSATU_PLAN_STALE_SECONDS`` is failed (its
    run goes on with the other cases and finishes when the last one ends); a run
    whose base plan's heartbeat went stale before any case existed is failed.
    The same rule as `nsatu.planning.services.fail_stale_runs` for plan runs.
    """
    from nsatu.planning.services import stale_after
    from nsatu.stress.tasks import close_case, finish_run

    cutoff = (now or timezone.now()) - stale_after()
    count = 0
    # a missing heartbeat (a row from before heartbeats) counts as stale too
    stale = Q(heartbeat__lt=cutoff) | Q(heartbeat__isnull=True)
    for case_id in StressCase.objects.filter(stale, status=StressStatus.RUNNING).values_list("pk", flat=True):
        message = WORKER_DIED + "; the case was not finished"
        count += close_case(case_id, StressStatus.FAILED, message=message, stale_before=cutoff)
    preparing = StressRun.objects.filter(stale, status=StressStatus.RUNNING, cases__isnull=True)
    for run_id in preparing.values_list("pk", flat=True):
        message = WORKER_DIED + " while planning the base; start the run again"
        count += finish_run(run_id, StressStatus.FAILED, message, stale_before=cutoff)
    return count
