"""Helpers the shipment, training and agreement tests share: approved runs and moved shipments."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.test import Client
from django.utils import timezone

from nsatu.core.actors import CLI
from nsatu.logistics.models import Hub
from nsatu.planning.models import (
    Allocation,
    PlanRun,
    RunStatus,
    committed_by_offer,
    committed_by_requirement,
)
from nsatu.planning.services import approve_plan_run
from nsatu.shipments import services
from nsatu.shipments.models import Shipment

START = dt.date(2026, 12, 7)  # the planning settings' default week 0
APPROVED_DAYS_AGO = 60


def hub(world: Any) -> Hub:
    found, _ = Hub.objects.get_or_create(
        code="RZE", defaults={"name": "Rzeszow", "nation": world.nations["POL"], "capacity_t_per_week": 500}
    )
    return found


def _make_room(record: Any, committed: dict[int, float], needed: float) -> None:
    """Raise a fixture offer's or requirement's quantity so ``needed`` fits beside what is committed.

    An approval refuses lines that do not fit what approved runs left; these
    helpers send any lines to the public requirement, so they make the room.
    """
    enough = committed.get(record.pk, 0.0) + needed
    if record.quantity < enough:
        type(record).objects.filter(pk=record.pk).update(quantity=enough)
        record.quantity = enough


def finished_run(world: Any, lines: Sequence[tuple[Any, float, int]]) -> PlanRun:
    """A finished run allocating (offer, quantity, arrival week) lines to the public requirement."""
    _make_room(world.requirements["public"], committed_by_requirement(), sum(q for _o, q, _w in lines))
    per_offer: dict[Any, float] = {}
    for offer, quantity, _week in lines:
        per_offer[offer] = per_offer.get(offer, 0.0) + quantity
    offers_committed = committed_by_offer()
    for offer, quantity in per_offer.items():
        _make_room(offer, offers_committed, quantity)
    run = PlanRun.objects.create(
        method="optimal", status=RunStatus.DONE, created_by="coord", plan_status="optimal"
    )
    for offer, quantity, week in lines:
        Allocation.objects.create(
            run=run,
            offer=offer,
            requirement=world.requirements["public"],
            hub=hub(world),
            quantity=quantity,
            arrival_week=week,
        )
    return run


def approved_run(
    world: Any, lines: Sequence[tuple[Any, float, int]], *, days_ago: int = APPROVED_DAYS_AGO
) -> PlanRun:
    """``finished_run`` approved, its approval dated ``days_ago`` days back (steps may not precede it)."""
    run = finished_run(world, lines)
    return backdate_approval(approve_plan_run(run, actor=world.users["coordinator"]), days_ago)


def backdate_approval(run: PlanRun, days_ago: int = APPROVED_DAYS_AGO) -> PlanRun:
    """Date a run's approval ``days_ago`` days back, as if approved then: the tests record steps
    of the past, and a step may not come before its plan's approval."""
    PlanRun.objects.filter(pk=run.pk).update(approved_at=timezone.now() - dt.timedelta(days=days_ago))
    run.refresh_from_db()
    return run


def shipments_for(
    world: Any, lines: Sequence[tuple[Any, float, int]], *, days_ago: int = APPROVED_DAYS_AGO
) -> list[Shipment]:
    """Approved lines (approved ``days_ago`` days back) turned into planned shipments
    (whether or not approval already made them)."""
    run = approved_run(world, lines, days_ago=days_ago)
    services.create_shipments_for_run(run, actor=CLI)
    return run_shipments(run)


def run_shipments(run: PlanRun) -> list[Shipment]:
    """A run's shipments in the order of its lines."""
    return list(Shipment.objects.filter(allocation__run=run).order_by("allocation_id", "pk"))


def handed_over(shipment: Shipment, *, serials: Sequence[str] = (), on: dt.date | None = None) -> Shipment:
    """Dispatch, reach the hub and hand over, all on ``on`` (default: three days ago)."""
    day = on or timezone.localdate() - dt.timedelta(days=3)
    shipment = services.dispatch_shipment(shipment, actor=CLI, on=day, serials=serials)
    shipment = services.arrive_at_hub(shipment, actor=CLI, on=day)
    return services.hand_over_shipment(shipment, actor=CLI, on=day)


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client
