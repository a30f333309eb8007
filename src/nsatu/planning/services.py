"""Planning settings, plan runs and their approval (audited)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

import numpy as np
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from nsatu.core.actors import Actor, actor_identity
from nsatu.core.ledger import NewEvent, append_event, append_events
from nsatu.core.proof import digest, row_values
from nsatu.core.services import create_record, update_record, update_records
from nsatu.core.tables import format_quantity
from nsatu.needs.models import Requirement, RequirementStatus
from nsatu.offers.models import Offer, OfferStatus
from nsatu.planner.check import check_plan
from nsatu.planner.io import ScenarioError, format_number
from nsatu.planner.plan import Plan
from nsatu.planning.adapters import scenario_from_db
from nsatu.planning.models import (
    Allocation,
    FleetStudy,
    PlanningSettings,
    PlanRun,
    RunStatus,
    StudyKind,
    committed_by_requirement,
    quantity_tolerance,
    taken_by_offer,
    uncommitted,
)

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
        raise PlanningError(
            _("unknown method %(method)s: choose one of %(methods)s")
            % {"method": repr(method), "methods": ", ".join(METHODS)}
        )
    if not 0 < time_limit <= 3600:
        raise PlanningError(_("the time limit must be between 0 and 3600 seconds"))
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
    for pk in stale.values_list("pk", flat=True):
        with transaction.atomic():
            # locked and read again: a worker that beat or finished since is left alone
            run = PlanRun.objects.select_for_update().get(pk=pk)
            if run.status != RunStatus.RUNNING or (
                run.heartbeat is not None and run.heartbeat >= now - stale_after()
            ):
                continue
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
    """Turn a finished run's allocations into commitments; offers it uses up become allocated.

    A run is approved only when what it allocates still fits: per offer, its
    lines total at most the offer's quantity minus what approved runs committed
    (and the offer is not withdrawn); per requirement, at most its quantity minus
    what approved runs committed (and it is not cancelled). Otherwise it is
    refused with the offers or requirements that no longer have room.

    An offer whose quantity is then fully committed becomes ``allocated``; one
    with an uncommitted rest stays ``offered`` for it. Two approvals at once
    lock the requirements and offers they use (in key order, so they cannot
    deadlock) before reading what is committed: they queue, and the second
    counts the first one's lines.
    """
    with transaction.atomic():
        # Approvals queue on the settings row: runs with disjoint offers and requirements
        # still share hub weeks and crews, which the rows below do not lock.
        PlanningSettings.objects.select_for_update().filter(singleton=1).first()
        run = PlanRun.objects.select_for_update().get(pk=run.pk)
        if run.status != RunStatus.DONE:
            raise PlanningError(
                _("plan run %(run)s is %(status)s: only a finished run can be approved")
                % {"run": run.pk, "status": run.status}
            )
        if run.approved_at is not None:
            raise PlanningError(
                _("plan run %(run)s was already approved by %(user)s")
                % {"run": run.pk, "user": run.approved_by}
            )
        lines = list(run.allocations.select_related("offer__item_type", "requirement", "hub"))
        if not lines:
            raise PlanningError(
                _("plan run %(run)s allocates nothing: there is nothing to approve") % {"run": run.pk}
            )
        _refuse_fractions_of_whole_units(run, lines)
        offer_use: dict[int, float] = defaultdict(float)
        requirement_use: dict[int, float] = defaultdict(float)
        for line in lines:
            offer_use[line.offer_id] += line.quantity
            requirement_use[line.requirement_id] += line.quantity
        # Lock first, then read the commitments: a second approval waits here and
        # then sees the lines the first one committed. Requirements before offers,
        # as an import writes them, so an import and an approval cannot deadlock.
        requirements = list(
            Requirement.objects.select_for_update().filter(pk__in=requirement_use).order_by("pk")
        )
        offers = list(Offer.objects.select_for_update().filter(pk__in=offer_use).order_by("pk"))
        # an offer's room is its quantity less what approved plans took of it (committed,
        # suspended or withdrawn); a requirement's is its quantity less what they still send it
        offer_committed, requirement_committed = taken_by_offer(), committed_by_requirement()
        _refuse_what_no_longer_fits(
            run, offers, offer_use, offer_committed, requirements, requirement_use, requirement_committed
        )
        _refuse_what_overfills_hubs_or_crews(run, lines)
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
                    # the line as the worker stored it: read above, no query per line
                    state=digest(row_values(line, {})),
                )
                for line in lines
            ],
            actor=actor,
        )
        used_up = [
            offer
            for offer in offers
            if uncommitted(offer.quantity, offer_committed.get(offer.pk, 0.0) + offer_use[offer.pk]) == 0
        ]
        update_records(
            [(offer, {"status": OfferStatus.ALLOCATED}) for offer in sorted(used_up, key=lambda o: o.code)],
            actor=actor,
            action="allocate",
        )
        update_records(
            _requirement_status_changes(requirements, requirement_use, requirement_committed),
            actor=actor,
            action="fulfil",
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
                "offers": len(offer_use),
                "offers_allocated": len(used_up),
                "offers_partly_committed": len(offers) - len(used_up),
                "objective": run.metrics.get("objective"),
            },
        )
        # Commitments become shipments to track, and the seats the plan relies on cohort targets.
        from nsatu.shipments.services import create_shipments_for_run
        from nsatu.training.services import set_cohort_targets_for_run

        create_shipments_for_run(run, actor=actor)
        set_cohort_targets_for_run(run, actor=actor)
        from nsatu.notifications.services import notify_plan_approved

        notify_plan_approved(run, actor=actor)
    return run


def _refuse_fractions_of_whole_units(run: PlanRun, lines: list[Allocation]) -> None:
    """Raise ``PlanningError`` naming the lines that give a fraction of a countable unit: such
    aid is committed, shipped and received in whole numbers (a run planned before plans were whole)."""
    broken = [
        line
        for line in lines
        if line.offer.item_type.is_whole
        and abs(line.quantity - round(line.quantity)) > 1e-9 * max(1.0, line.quantity)
    ]
    if broken:
        shown = [
            _("%(offer)s: %(quantity)s %(unit)s")
            % {
                "offer": line.offer.code,
                "quantity": format_quantity(line.quantity, True),
                "unit": line.offer.item_type.unit,
            }
            for line in broken[:5]
        ]
        raise PlanningError(
            _(
                "plan run %(run)s gives fractions of countable units (%(lines)s): they are committed, "
                "shipped and received in whole numbers; plan again and approve the new run"
            )
            % {"run": run.pk, "lines": "; ".join(shown) + ("; ..." if len(broken) > 5 else "")}
        )


def _refuse_what_overfills_hubs_or_crews(run: PlanRun, lines: list[Allocation]) -> None:
    """Raise ``PlanningError`` when the run's lines no longer fit the hub weeks and crews that
    approved runs left (FORMAT.md rules 6 and 7 against ``scenario_from_db()``'s commitments)."""
    try:
        s = scenario_from_db()
    except ScenarioError:
        return  # no planning settings (a run made outside a loaded scenario): no weeks to check
    offer_at, requirement_at = s.offers.index, s.requirements.index
    hub_at = {code: i for i, code in enumerate(s.hubs.codes)}
    # every line's offer and requirement is still open: _refuse_what_no_longer_fits checked it
    plan = Plan(
        method="approval",
        status="feasible",
        alloc_offer=np.array([offer_at[line.offer.code] for line in lines], dtype=np.int64),
        alloc_requirement=np.array([requirement_at[line.requirement.code] for line in lines], dtype=np.int64),
        alloc_hub=np.array([hub_at[line.hub.code] for line in lines], dtype=np.int64),
        alloc_quantity=np.array([line.quantity for line in lines], dtype=np.float64),
        alloc_week=np.array([line.arrival_week for line in lines], dtype=np.int64),
    )
    problems = [v.message for v in check_plan(s, plan) if v.rule in (6, 7)]
    if problems:
        raise PlanningError(
            _(
                "plan run %(run)s no longer fits what approved runs left of hubs and crews "
                "(%(problems)s): plan again and approve the new run"
            )
            % {"run": run.pk, "problems": "; ".join(problems[:5]) + ("; ..." if len(problems) > 5 else "")}
        )


def _requirement_status_changes(
    requirements: list[Requirement],
    requirement_use: dict[int, float],
    requirement_committed: dict[int, float],
) -> list[tuple[Requirement, dict[str, Any]]]:
    """Requirements whose status moves with this approval: ``met`` once fully committed, else ``partial``."""
    changes: list[tuple[Requirement, dict[str, Any]]] = []
    for requirement in sorted(requirements, key=lambda r: r.code):
        committed = requirement_committed.get(requirement.pk, 0.0) + requirement_use[requirement.pk]
        status = (
            RequirementStatus.MET
            if uncommitted(requirement.quantity, committed) == 0
            else RequirementStatus.PARTIAL
        )
        if requirement.status != status:
            changes.append((requirement, {"status": status}))
    return changes


def _refuse_what_no_longer_fits(
    run: PlanRun,
    offers: list[Offer],
    offer_use: dict[int, float],
    offer_committed: dict[int, float],
    requirements: list[Requirement],
    requirement_use: dict[int, float],
    requirement_committed: dict[int, float],
) -> None:
    """Raise ``PlanningError`` naming the run's offers and requirements without room for its lines."""
    short_offers = [
        _("%(code)s (withdrawn)") % {"code": o.code}
        if o.status in (OfferStatus.WITHDRAWN, OfferStatus.RETIRED)
        # allocated (e.g. imported so) without lines to show for it: nothing is left either
        else _shortfall(
            o.code,
            offer_use[o.pk],
            o.quantity if o.status == OfferStatus.OFFERED else 0.0,
            offer_committed.get(o.pk, 0.0),
        )
        for o in sorted(offers, key=lambda o: o.code)
    ]
    short_requirements = [
        _("%(code)s (cancelled)") % {"code": r.code}
        if r.status in (RequirementStatus.CANCELLED, RequirementStatus.RETIRED)
        else _shortfall(r.code, requirement_use[r.pk], r.quantity, requirement_committed.get(r.pk, 0.0))
        for r in sorted(requirements, key=lambda r: r.code)
    ]
    if any(short_offers):
        raise PlanningError(
            _(
                "plan run %(run)s uses offers that are no longer available (%(offers)s): "
                "plan again and approve the new run"
            )
            % {"run": run.pk, "offers": _listed([text for text in short_offers if text])}
        )
    if any(short_requirements):
        raise PlanningError(
            _(
                "plan run %(run)s gives requirements more than they still need (%(requirements)s): "
                "plan again and approve the new run"
            )
            % {"run": run.pk, "requirements": _listed([text for text in short_requirements if text])}
        )


def _shortfall(code: str, needed: float, quantity: float, committed: float) -> str:
    """``code`` with what it lacks when ``needed`` does not fit in ``quantity - committed``; else ""."""
    if committed + needed <= quantity + quantity_tolerance(quantity):
        return ""
    left = uncommitted(quantity, committed)
    return _("%(code)s (needs %(needed)s, %(left)s left)") % {
        "code": code,
        "needed": format_number(needed),
        "left": format_number(left),
    }


def _listed(names: list[str], most: int = 10) -> str:
    shown = ", ".join(names[:most])
    return shown if len(names) <= most else f"{shown}, …"


def start_fleet_study(
    run: PlanRun,
    *,
    kind: str,
    actor: Actor,
    time_limit: float = 60.0,
    max_families: int | None = None,
) -> FleetStudy:
    """Queue a study of ``run``'s scenario (``frontier`` or ``worth``); a task worker computes it."""
    if kind not in StudyKind.values:
        raise PlanningError(
            _("unknown study %(kind)s: choose one of %(kinds)s")
            % {"kind": repr(kind), "kinds": ", ".join(StudyKind.values)}
        )
    if not 0 < time_limit <= 3600:
        raise PlanningError(_("the time limit must be between 0 and 3600 seconds"))
    if max_families is not None and not 0 <= max_families <= 50:
        raise PlanningError(_("the most new families must be between 0 and 50"))
    if run.status != RunStatus.DONE:
        raise PlanningError(
            _("plan run %(run)s is %(status)s: only a finished run can be studied")
            % {"run": run.pk, "status": run.status}
        )
    from nsatu.planning.studies import run_fleet_study

    with transaction.atomic():
        study = create_record(
            FleetStudy,
            actor=actor,
            kind=kind,
            run=run,
            time_limit=time_limit,
            max_families=max_families,
            created_by=actor_identity(actor)[0],
        )
        transaction.on_commit(lambda: _enqueue_study(study.pk, run_fleet_study))
    return study


def _enqueue_study(study_id: int, task: Any) -> None:
    result = task.enqueue(study_id)
    FleetStudy.objects.filter(pk=study_id).update(task_id=str(result.id))


def fail_stale_studies(*, now: dt.datetime | None = None) -> int:
    """Mark studies whose worker stopped reporting as failed; returns how many."""
    now = now or timezone.now()
    count = 0
    for study in FleetStudy.objects.filter(status=RunStatus.RUNNING, heartbeat__lt=now - stale_after()):
        with transaction.atomic():
            study.status, study.finished_at = RunStatus.FAILED, now
            study.message = "the task worker stopped reporting (killed or crashed); start the study again"
            study.save(update_fields=["status", "finished_at", "message"])
            append_event(
                actor=_system(),
                action="study-failed",
                object_type="planning.fleetstudy",
                object_id=study.pk,
                payload={"reason": study.message},
            )
            count += 1
    return count
