"""Approving a plan costs the same queries whatever its size, and audits every line, offer and shipment."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from nsatu.core.actors import CLI
from nsatu.core.ledger import verify_ledger
from nsatu.core.models import Event
from nsatu.logistics.models import Hub, Route
from nsatu.needs.services import create_requirement
from nsatu.offers.models import Offer, OfferStatus
from nsatu.offers.services import create_offer
from nsatu.planning.models import Allocation, PlanRun, RunStatus, SeatUse
from nsatu.planning.services import approve_plan_run
from nsatu.shipments.models import Leg, Shipment
from nsatu.training.models import Cohort
from nsatu.training.services import create_cohort, create_course

pytestmark = pytest.mark.django_db


def planned_run(world: Any, name: str, *, offers: int, courses: int) -> PlanRun:
    """A finished run: two lines per new offer, seats on new courses (every other one has a cohort)."""
    hub = Hub.objects.get_or_create(
        code="RZE", defaults={"name": "Rzeszow", "nation": world.nations["POL"], "capacity_t_per_week": 500}
    )[0]
    Route.objects.get_or_create(donor=world.nations["POL"], hub=hub, defaults={"lead_time_days": 10})
    run = PlanRun.objects.create(method="greedy", status=RunStatus.DONE, created_by="coord")
    # a requirement of its own that needs all the run sends (approval refuses to over-serve one)
    requirement = create_requirement(
        actor=CLI,
        code=f"R-{name}",
        recipient=world.nations["UKR"],
        capability=world.capability,
        quantity=4 * offers,
        priority=2,
        needed_by=dt.date(2027, 3, 1),
    )
    for i in range(offers):
        offer = create_offer(
            actor=CLI,
            code=f"O-{name}-{i}",
            donor=world.nations["POL"] if i % 2 else world.nations["DEU"],
            item_type=world.item,
            quantity=4,
            available_from=dt.date(2027, 1, 4),
            releasability="nations" if i % 3 else "public",
            releasable_to=[world.nations["FRA"]] if i % 3 else [],
        )
        for week in (3, 5):
            Allocation.objects.create(
                run=run,
                offer=offer,
                requirement=requirement,
                hub=hub,
                quantity=2,
                arrival_week=week,
            )
    for i in range(courses):
        course = create_course(
            actor=CLI,
            code=f"CREW-{name}-{i}",
            family=world.family,
            host=world.nations["DEU"],
            seats=20,
            start=dt.date(2026, 12, 7) + dt.timedelta(weeks=i),
            duration_weeks=8,
        )
        if i % 2:
            create_cohort(course, actor=CLI)
        SeatUse.objects.create(run=run, course=course, seats_used=5 + i)
    return run


def approval_queries(run: PlanRun, actor: Any) -> int:
    with CaptureQueriesContext(connection) as captured:
        approve_plan_run(run, actor=actor)
    return len(captured)


def test_approval_queries_do_not_grow_with_the_lines(world: Any) -> None:
    small = planned_run(world, "small", offers=2, courses=2)
    large = planned_run(world, "large", offers=12, courses=10)
    coordinator = world.users["coordinator"]
    small_queries = approval_queries(small, coordinator)
    large_queries = approval_queries(large, coordinator)
    assert large_queries == small_queries, (small_queries, large_queries)
    assert small_queries < 120  # was about 70 per line before the bulk services


@pytest.mark.parametrize("offers, courses", [(1, 1), (9, 6)])
def test_approval_audits_every_line_offer_shipment_and_cohort(world: Any, offers: int, courses: int) -> None:
    run = planned_run(world, "run", offers=offers, courses=courses)
    events_before = Event.objects.order_by("-seq").values_list("seq", flat=True).first() or 0
    approve_plan_run(run, actor=world.users["coordinator"])
    events = Event.objects.filter(seq__gt=events_before)
    lines = list(run.allocations.order_by("pk"))
    offer_ids = {line.offer_id for line in lines}
    shipments = list(Shipment.objects.filter(allocation__run=run))

    commits = events.filter(action="commit", object_type="planning.allocation")
    assert sorted(int(pk) for pk in commits.values_list("object_id", flat=True)) == [
        line.pk for line in lines
    ]
    assert all(payload["run"] == run.pk for payload in commits.values_list("payload", flat=True))
    allocations = events.filter(action="allocate", object_type="offers.offer")
    assert sorted(int(pk) for pk in allocations.values_list("object_id", flat=True)) == sorted(offer_ids)
    assert set(Offer.objects.filter(pk__in=offer_ids).values_list("status", flat=True)) == {
        OfferStatus.ALLOCATED
    }
    created = events.filter(action="create", object_type="shipments.shipment")
    assert sorted(int(pk) for pk in created.values_list("object_id", flat=True)) == sorted(
        s.pk for s in shipments
    )
    assert len(shipments) == len(lines) == 2 * offers
    assert Leg.objects.filter(shipment__in=shipments).count() == 2 * len(shipments)
    listed = [s for s in shipments if s.releasability == "nations"]
    assert all([n.iso3 for n in s.releasable_to.all()] == ["FRA"] for s in listed)
    targets = events.filter(action="set_target", object_type="training.cohort")
    assert targets.count() == courses
    assert set(Cohort.objects.filter(target_run=run).values_list("course__code", flat=True)) == {
        f"CREW-run-{i}" for i in range(courses)
    }
    assert events.filter(action="create", object_type="training.cohort").count() == (courses + 1) // 2
    assert events.filter(action="approve", object_id=str(run.pk)).count() == 1
    result = verify_ledger()
    assert result.ok, result.reason
