"""Training through the API: cohorts of courses (coordinators change them, everyone reads them,
each change a ledger event) and crew readiness per family, counted from what is releasable."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from nsatu.core.actors import CLI
from nsatu.core.models import Event
from nsatu.planning.services import set_planning_settings
from nsatu.training.models import Cohort
from nsatu.training.readiness import family_readiness
from nsatu.training.services import create_course
from tests.api.conftest import ROLES, ApiClient, last_event
from tests.shipments.builders import approved_run

pytestmark = pytest.mark.django_db


@pytest.fixture
def course(world: Any) -> Any:
    return create_course(
        actor=CLI, code="PZH-1", family=world.family, host=world.nations["DEU"], seats=20,
        start=dt.date(2027, 1, 4), duration_weeks=8,
    )  # fmt: skip


def test_a_cohort_from_opening_to_graduation(world: Any, api: dict[str, ApiClient], course: Any) -> None:
    coord = api["coordinator"]
    opened = coord.post("/courses/PZH-1/cohorts", {})
    assert opened.status_code == 201, opened.json()
    assert opened.json() == {
        "code": "PZH-1-C1",
        "course": "PZH-1",
        "family": "PZH2000",
        "start": "2027-01-04",
        "end": "2027-03-01",
        "seats_offered": 20.0,
        "seats_filled": 0.0,
        "target_seats": 0.0,
        "target_run": None,
        "graduates": None,
        "graduated_on": None,
        "expected_graduates": 20.0,
        "version": 1,
    }
    event = last_event("training.cohort")
    assert (event.action, event.actor, event.payload["code"]) == ("create", "coord", "PZH-1-C1")
    second = coord.post("/courses/PZH-1/cohorts", {"code": "PZH-1-SPRING", "seats_offered": 10})
    assert second.status_code == 201 and second.json()["seats_offered"] == 10

    too_many = coord.patch("/cohorts/PZH-1-C1", {"version": 1, "seats_filled": 21})
    assert too_many.status_code == 422
    assert "Seats filled must be between 0 and the seats offered." in str(too_many.json()["errors"])
    filled = coord.patch("/cohorts/PZH-1-C1", {"version": 1, "seats_filled": 14})
    assert filled.status_code == 200 and filled.json()["seats_filled"] == 14 and filled.json()["version"] == 2
    assert last_event("training.cohort").payload["changes"] == {"seats_filled": [0.0, 14.0]}
    stale = coord.patch("/cohorts/PZH-1-C1", {"version": 1, "seats_filled": 12})
    assert stale.status_code == 409 and "changed by someone else" in stale.json()["detail"]

    over = coord.post("/cohorts/PZH-1-C1/graduate", {"graduates": 15})
    assert over.status_code == 409 and "filled 14 seats" in over.json()["detail"]
    done = coord.post("/cohorts/PZH-1-C1/graduate", {"graduates": 13, "on": "2027-03-01"})
    assert done.status_code == 200, done.json()
    assert done.json()["graduates"] == 13 and done.json()["graduated_on"] == "2027-03-01"
    event = last_event("training.cohort")
    assert (event.action, event.actor) == ("graduate", "coord")
    assert coord.post("/cohorts/PZH-1-C1/graduate", {"graduates": 1}).status_code == 409
    frozen = coord.patch("/cohorts/PZH-1-C1", {"version": 3, "seats_filled": 1})
    assert frozen.status_code == 409 and "can no longer change" in frozen.json()["detail"]

    for who in ROLES:  # everyone reads cohorts
        assert api[who].get("/cohorts").json()["count"] == 2
    assert [c["code"] for c in coord.get("/cohorts", graduated=True).json()["items"]] == ["PZH-1-C1"]
    assert [c["code"] for c in coord.get("/cohorts", graduated=False).json()["items"]] == ["PZH-1-SPRING"]
    assert coord.get("/cohorts", family="PZH2000", course="PZH-1").json()["count"] == 2
    assert coord.get("/cohorts", course="NOPE").json()["count"] == 0
    assert api["NOR"].get("/courses/PZH-1/cohorts").json()["count"] == 2
    assert api["NOR"].get("/courses/NOPE/cohorts").status_code == 404
    assert api["NOR"].get("/cohorts/PZH-1-C9").json() == {"detail": "no cohort 'PZH-1-C9'"}


@pytest.mark.parametrize("who", [r for r in ROLES if r != "coordinator"])
def test_only_coordinators_change_cohorts(
    world: Any, api: dict[str, ApiClient], course: Any, who: str
) -> None:
    api["coordinator"].post("/courses/PZH-1/cohorts", {"seats_filled": 5})
    before = Event.objects.count()
    for method, path, body in [
        ("post", "/courses/PZH-1/cohorts", {}),
        ("patch", "/cohorts/PZH-1-C1", {"version": 1, "seats_filled": 1}),
        ("post", "/cohorts/PZH-1-C1/graduate", {"graduates": 1}),
    ]:
        answer = getattr(api[who], method)(path, body)
        assert answer.status_code == 403, (who, path)
        assert "only a coordinator may" in answer.json()["detail"]
    assert Event.objects.count() == before
    assert Cohort.objects.get().seats_filled == 5


def test_cohort_input_errors_name_the_field(world: Any, api: dict[str, ApiClient], course: Any) -> None:
    coord = api["coordinator"]
    backwards = coord.post("/courses/PZH-1/cohorts", {"start": "2027-05-01", "end": "2027-04-01"})
    assert backwards.status_code == 422
    assert "A cohort cannot end before it starts." in str(backwards.json()["errors"])
    negative = coord.post("/courses/PZH-1/cohorts", {"seats_offered": -1})
    assert negative.status_code == 422 and "seats_offered" in negative.json()["errors"]
    assert coord.post("/courses/NOPE/cohorts", {}).status_code == 404
    assert not Cohort.objects.exists()


@pytest.fixture
def flagged(world: Any) -> None:
    """Week 0 is today; every offer's two units arrive in week 3, with no crew trained."""
    set_planning_settings(actor=CLI, start_date=timezone.localdate())
    approved_run(world, [(offer, 2, 3) for offer in world.offers.values()])


@pytest.mark.parametrize("who", ROLES)
def test_readiness_counts_what_is_releasable(
    world: Any, api: dict[str, ApiClient], flagged: None, who: str
) -> None:
    user = world.users[who]
    expected = family_readiness(world.family, user)
    overview = api[who].get("/readiness").json()
    (row,) = overview["items"]
    assert row == {
        "family": "PZH2000",
        "name": "PzH 2000",
        "crew_per_unit": 5.0,
        "units": expected.units,
        "crews_available": 0.0,
        "flagged": True,
        "flagged_weeks": [3],
    }
    # Two units per shipment the caller may see: POL, the command and the recipient (UKR, to
    # whom every shipment is sent) see all four; the others see their offers' shipments.
    visible = {"POL": 4, "coordinator": 4, "leadership": 4, "auditor": 4, "UKR": 4, "DEU": 2, "FRA": 2}
    assert row["units"] == 2 * visible.get(who, 1)
    detail = api[who].get("/readiness/PZH2000").json()
    assert {k: v for k, v in detail.items() if k != "weeks"} == row
    # As the page: the first week, the arrival; every week with all=true.
    assert [w["week"] for w in detail["weeks"]] == [0, 3]
    week3 = detail["weeks"][1]
    assert week3["planned_this_week"] == row["units"] and week3["uncrewed_units"] == row["units"]
    assert week3["crews_needed"] == 5 * row["units"] and week3["flagged"] is True
    every = api[who].get("/readiness/PZH2000", all="true").json()["weeks"]
    assert [w["week"] for w in every] == [w.week for w in expected.weeks]
    assert api[who].get("/readiness", flagged="false").json()["count"] == 0


def test_readiness_of_an_unknown_family_is_404(world: Any, api: dict[str, ApiClient]) -> None:
    assert api["NOR"].get("/readiness/NOPE").json() == {"detail": "no family 'NOPE'"}
