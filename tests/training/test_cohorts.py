"""Cohorts on courses: plan seat use becomes targets; seats filled; graduates."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from nsatu.core.actors import CLI
from nsatu.core.models import Event
from nsatu.planning.models import SeatUse
from nsatu.training.models import Cohort
from nsatu.training.services import (
    TrainingError,
    create_cohort,
    create_course,
    graduate_cohort,
    set_cohort_targets_for_run,
    update_cohort,
)
from tests.shipments.builders import approved_run, client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def course(world: Any) -> Any:
    return create_course(
        actor=CLI,
        code="PZH-CREW",
        family=world.family,
        host=world.nations["DEU"],
        seats=20,
        start=dt.date(2026, 12, 7),
        duration_weeks=8,
    )


def test_plan_seat_use_becomes_cohort_targets(world: Any, course: Any) -> None:
    run = approved_run(world, [(world.offers["public"], 2, 3)])
    SeatUse.objects.create(run=run, course=course, seats_used=10)
    (cohort,) = set_cohort_targets_for_run(run, actor=world.users["coordinator"])
    assert cohort.code == "PZH-CREW-C1" and cohort.target_seats == 10 and cohort.target_run_id == run.pk
    assert cohort.start == course.start and cohort.end == dt.date(2027, 2, 1) and cohort.seats_offered == 20
    assert Event.objects.filter(action="set_target", object_id=str(cohort.pk)).exists()
    latest = Event.objects.filter(action="set_cohort_targets").order_by("-seq").first()
    assert latest is not None and latest.payload == {"cohorts": {"PZH-CREW-C1": 10.0}}
    # a later plan retargets the same open cohort
    later = approved_run(world, [(world.offers["coalition"], 2, 3)])
    SeatUse.objects.create(run=later, course=course, seats_used=15)
    set_cohort_targets_for_run(later, actor=CLI)
    assert Cohort.objects.get().target_seats == 15


def test_graduation_is_bounded_and_final(world: Any, course: Any) -> None:
    cohort = create_cohort(course, actor=CLI, seats_filled=12)
    with pytest.raises(TrainingError, match="filled 12 seats"):
        graduate_cohort(cohort, actor=CLI, graduates=13)
    cohort = graduate_cohort(cohort, actor=CLI, graduates=11, on=dt.date(2027, 2, 1))
    assert cohort.graduated and cohort.graduated_on == dt.date(2027, 2, 1)
    assert Event.objects.filter(action="graduate", object_id=str(cohort.pk)).exists()
    with pytest.raises(TrainingError, match="already graduated"):
        graduate_cohort(cohort, actor=CLI, graduates=1)
    with pytest.raises(TrainingError, match="can no longer change"):
        update_cohort(cohort, actor=CLI, seats_filled=1)


def test_coordinator_runs_cohorts_through_the_pages(world: Any, course: Any) -> None:
    coord = client_for(world.users["coordinator"])
    response = coord.post("/training/", {"course": course.pk, "seats_offered": "16", "seats_filled": "0"})
    assert response.status_code == 302
    cohort = Cohort.objects.get()
    assert cohort.seats_offered == 16 and cohort.end == dt.date(2027, 2, 1)
    page = coord.post(f"/training/cohorts/{cohort.code}/", {"seats_filled": "20", "version": cohort.version})
    assert "Seats filled must be between 0 and the seats offered." in page.content.decode()
    assert Cohort.objects.get().seats_filled == 0
    coord.post(f"/training/cohorts/{cohort.code}/", {"seats_filled": "14", "version": cohort.version})
    coord.post(f"/training/cohorts/{cohort.code}/graduate/", {"graduates": "13", "on": "2027-02-01"})
    cohort.refresh_from_db()
    assert cohort.seats_filled == 14 and cohort.graduates == 13
    html = client_for(world.users["POL"]).get("/training/").content.decode()
    assert cohort.code in html and "13 (" in html
    assert client_for(world.users["POL"]).post("/training/", {"course": course.pk}).status_code == 403
