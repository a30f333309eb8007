"""Crew readiness: units arriving before their crews are trained are flagged; graduates clear the flag."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from nsatu.core.actors import CLI
from nsatu.planning.services import set_planning_settings
from nsatu.shipments import services
from nsatu.training.readiness import family_readiness
from nsatu.training.services import create_cohort, create_course, graduate_cohort
from tests.shipments.builders import approved_run, client_for, handed_over, shipments_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def today() -> dt.date:
    return timezone.localdate()


@pytest.fixture
def late_course(world: Any, today: dt.date) -> Any:
    """Week 0 is today; the only course's crews are trained in week 8."""
    set_planning_settings(actor=CLI, start_date=today)
    course = create_course(
        actor=CLI, code="PZH-CREW", family=world.family, host=world.nations["DEU"], seats=20, start=today,
        duration_weeks=8,
    )  # fmt: skip
    create_cohort(course, actor=CLI, seats_filled=10)
    return course


def test_units_arriving_before_the_course_ends_are_flagged(
    world: Any, late_course: Any, user: Any = None
) -> None:
    approved_run(world, [(world.offers["public"], 2, 3)])  # 2 units x 5 crew, week 3
    readiness = family_readiness(world.family, world.users["coordinator"])
    assert readiness.flagged
    assert [w.week for w in readiness.flagged_weeks] == [3]
    week3 = readiness.weeks[3]
    assert week3.planned_this_week == 2 and week3.crews_needed == 10 and week3.uncrewed_units == 2
    # the cohort, due in week 8, crews them from then on
    assert readiness.weeks[8].crews_available == 10 and readiness.weeks[8].uncrewed_units == 0


def test_the_flag_clears_when_a_cohort_graduates(world: Any, late_course: Any) -> None:
    approved_run(world, [(world.offers["public"], 2, 3)])
    coord = client_for(world.users["coordinator"])
    assert (
        "Units arrive with no crew."
        in coord.get(f"/training/readiness/{world.family.code}/").content.decode()
    )
    assert "flagged in 1 week" in coord.get("/training/readiness/").content.decode()
    cohort = late_course.cohorts.get()
    graduate_cohort(cohort, actor=world.users["coordinator"], graduates=10)  # today, week 0
    readiness = family_readiness(world.family, world.users["coordinator"])
    assert not readiness.flagged and readiness.weeks[3].crews_trained == 10
    assert (
        "Every unit arrives with a crew."
        in coord.get(f"/training/readiness/{world.family.code}/").content.decode()
    )
    assert "crewed" in coord.get("/training/readiness/").content.decode()


def test_too_few_graduates_leave_a_unit_without_crew(world: Any, late_course: Any) -> None:
    approved_run(world, [(world.offers["public"], 2, 3)])
    graduate_cohort(late_course.cohorts.get(), actor=CLI, graduates=7)
    readiness = family_readiness(world.family, world.users["coordinator"])
    assert readiness.flagged and readiness.weeks[3].uncrewed_units == pytest.approx(0.6)


def test_delivered_and_planned_units_are_counted_apart(world: Any, late_course: Any, today: dt.date) -> None:
    received, _planned = shipments_for(
        world, [(world.offers["public"], 2, 1), (world.offers["coalition"], 1, 4)]
    )
    services.receive_shipment(handed_over(received, on=today), actor=CLI, quantity_received=2, on=today)
    readiness = family_readiness(world.family, world.users["coordinator"])
    assert readiness.weeks[0].delivered_this_week == 2
    assert readiness.weeks[4].planned_this_week == 1 and readiness.weeks[4].units == 3
    assert [w.week for w in readiness.flagged_weeks] == [0, 4]
    # what a nation may not see is not counted for it
    assert family_readiness(world.family, world.users["NOR"]).units == 2
