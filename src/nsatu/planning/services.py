"""Planning settings, plan runs and their approval (audited)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from nsatu.core.actors import Actor, actor_identity
from nsatu.core.ledger import NewEvent, append_event, append_events
from nsatu.core.services import create_record, update_record, update_records
from nsatu.offers.models import Offer, OfferStatus
from nsatu.planning.models import PlanningSettings, PlanRun, RunStatus

METHODS = ("optimal", "greedy", "country", "robust")


def stale_after() -> dt.timedelta:
    """A running plan whose worker has not reported for this long is taken for dead."""
    return dt.timedelta(seconds=float(getattr(settings, "NSATU_PLAN_STALE_SECONDS", 60)))


class PlanningError(Exception):
    """A planning action that cannot be done, with a message for the user."""


def current_settings() -> PlanningSettings | None:
    return PlanningSettings.objects.filter(singleton=1).first()


def set_planning_settings(*, actor: Actor, **values: Any) -> PlanningSettings:
    """Create or update the one row of scenario-wide parameters."""
    existing = current_settings()
    if existing is None:
        return create_record(PlanningSettings, actor=actor, **values)
    changed = {k: v for k, v in values.items() if getattr(existing, k) != v}
    return update_record(existing, actor=actor, **changed) if changed else existing


def start_plan_run(*, actor: Actor, method: str = "optimal", time_limit: float = 60.0) -> PlanRun:
    """Queue a planning run over the current database; a task worker picks it up."""
    if method not in METHODS:
        raise PlanningError(f"unknown method {method!r}: choose one of {', '.join(METHODS)}")
    if not 0 < time_limit <= 3600:
        raise PlanningError("the time limit must be between 0 and 3600 seconds")
    from nsatu.planning.tasks import run_plan

    with transaction.atomic():
        run = create_record(
            PlanRun, actor=actor, method=method, time_limit=time_limit, created_by=actor_identity(actor)[0]
        )
        # Enqueue after commit so the worker never looks for a run that is not there yet.
        transaction.on_commit(lambda: _enqueue(run.pk, run_plan))
    return run


def _enqueue(run_id: int, task: Any) -> None:
    result = task.enqueue(run_id)
    PlanRun.objects.filter(pk=run_id).update(task_id=str(result.id))


def fail_stale_runs(*, now: dt.datetime | None = None) -> int:
    """Mark runs whose worker stopped reporting as failed; returns how many."""
    now = now or timezone.now()
    stale = PlanRun.objects.filter(status=RunStatus.RUNNING, heartbeat__lt=now - stale_after())
    count = 0
    for run in stale:
        with transaction.atomic():
            run.status, run.finished_at = RunStatus.FAILED, now
            run.message = "the task worker stopped reporting (killed or crashed); start the run again"
            run.save(update_fields=["status", "finished_at", "message"])
            append_event(
                actor=_system(),
                action="plan-failed",
                object_type="planning.planrun",
                object_id=run.pk,
                payload={"reason": run.message},
            )
            count += 1
    return count


def _system() -> Actor:
    from nsatu.core.actors import WORKER

    return WORKER


def approve_plan_run(run: PlanRun, *, actor: Actor) -> PlanRun:
    """Turn a finished run's allocations into commitments and mark its offers allocated.

    Two approvals at once: both lock the offers they use, so they queue, and the
    second finds them already allocated (or the run approved) and is refused.
    """
    with transaction.atomic():
        run = PlanRun.objects.select_for_update().get(pk=run.pk)
        if run.status != RunStatus.DONE:
            raise PlanningError(f"plan run {run.pk} is {run.status}: only a finished run can be approved")
        if run.approved_at is not None:
            raise PlanningError(f"plan run {run.pk} was already approved by {run.approved_by}")
        lines = list(run.allocations.select_related("offer", "requirement", "hub"))
        if not lines:
            raise PlanningError(f"plan run {run.pk} allocates nothing: there is nothing to approve")
        offer_ids = {line.offer_id for line in lines}
        # Lock the offers (in key order, so two approvals cannot deadlock); a second
        # approval waits here and then reads the status the first one committed.
        locked = list(Offer.objects.select_for_update().filter(pk__in=offer_ids).order_by("pk"))
        taken = [o.code for o in locked if o.status != OfferStatus.OFFERED]
        if taken:
            codes = ", ".join(sorted(taken)[:10])
            raise PlanningError(
                f"plan run {run.pk} uses offers that are no longer available ({codes}): "
                "plan again and approve the new run"
            )
        append_events(
            [
                NewEvent(
                    action="commit",
                    object_type="planning.allocation",
                    object_id=line.pk,
                    payload={
                        "run": run.pk,
                        "offer": line.offer.code,
                        "requirement": line.requirement.code,
                        "hub": line.hub.code,
                        "quantity": line.quantity,
                        "arrival_week": line.arrival_week,
                    },
                )
                for line in lines
            ],
            actor=actor,
        )
        update_records(
            [(offer, {"status": OfferStatus.ALLOCATED}) for offer in sorted(locked, key=lambda o: o.code)],
            actor=actor,
            action="allocate",
        )
        name, _nation = actor_identity(actor)
        run.approved_at, run.approved_by = timezone.now(), name
        run.save(update_fields=["approved_at", "approved_by"])
        append_event(
            actor=actor,
            action="approve",
            object_type="planning.planrun",
            object_id=run.pk,
            payload={
                "lines": len(lines),
                "offers": len(offer_ids),
                "objective": run.metrics.get("objective"),
            },
        )
        # Commitments become shipments to track, and the seats the plan relies on cohort targets.
        from nsatu.shipments.services import create_shipments_for_run
        from nsatu.training.services import set_cohort_targets_for_run

        create_shipments_for_run(run, actor=actor)
        set_cohort_targets_for_run(run, actor=actor)
    return run
