"""Plan runs through the API: start (coordinators), poll, read lines, approve once."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from nsatu.core.ledger import verify_ledger
from nsatu.core.models import Event
from nsatu.logistics.models import Hub
from nsatu.offers.models import Offer, OfferStatus
from nsatu.planning.models import Allocation, PlanRun, RunStatus
from tests.api.conftest import ApiClient

pytestmark = pytest.mark.django_db


def test_start_and_poll(world: Any, api: dict[str, ApiClient]) -> None:
    started = api["coordinator"].post("/plan-runs", {"method": "greedy", "time_limit": 12.5})
    assert started.status_code == 202, started.content
    run = started.json()
    assert (run["method"], run["time_limit"], run["status"], run["created_by"]) == (
        "greedy",
        12.5,
        "queued",
        "coord",
    )
    assert Event.objects.filter(
        object_type="planning.planrun", action="create", object_id=str(run["id"])
    ).exists()

    # The worker reports progress on the row; a poll shows it.
    PlanRun.objects.filter(pk=run["id"]).update(
        status=RunStatus.RUNNING, phase="solve", fraction=0.4, incumbent=10.0, bound=12.0, gap=0.2,
        heartbeat=timezone.now(), started_at=timezone.now(),
    )  # fmt: skip
    polled = api["POL"].get(f"/plan-runs/{run['id']}").json()
    assert (polled["status"], polled["phase"], polled["fraction"]) == ("running", "solve", 0.4)
    assert (polled["incumbent"], polled["bound"], polled["gap"]) == (10.0, 12.0, 0.2)
    assert api["POL"].get("/plan-runs", status="running").json()["count"] == 1
    assert api["POL"].get("/plan-runs", method="optimal").json()["count"] == 0


def test_a_silent_worker_is_failed_when_polled(world: Any, api: dict[str, ApiClient]) -> None:
    run = PlanRun.objects.create(
        status=RunStatus.RUNNING, created_by="coord", heartbeat=timezone.now() - timezone.timedelta(hours=1)
    )
    polled = api["leadership"].get(f"/plan-runs/{run.pk}").json()
    assert polled["status"] == "failed"
    assert "stopped reporting" in polled["message"]


@pytest.mark.parametrize(
    "body",
    [{"method": "magic"}, {"time_limit": 0}, {"time_limit": 4000}, {"time_limit": "soon"}],
)
def test_bad_run_requests_are_422(world: Any, api: dict[str, ApiClient], body: dict[str, Any]) -> None:
    answer = api["coordinator"].post("/plan-runs", body)
    assert answer.status_code == 422
    assert set(answer.json()["errors"]) == set(body)
    assert not PlanRun.objects.exists()


def test_approve_once(world: Any, api: dict[str, ApiClient]) -> None:
    hub = Hub.objects.create(code="RZE", name="Rzeszów", nation=world.nations["POL"], capacity_t_per_week=500)
    run = PlanRun.objects.create(
        method="optimal", status=RunStatus.DONE, created_by="coord", metrics={"objective": 2}
    )
    for key in ("public", "listed"):
        Allocation.objects.create(
            run=run,
            offer=world.offers[key],
            requirement=world.requirements[key],
            hub=hub,
            quantity=2,
            arrival_week=3,
        )
    queued = PlanRun.objects.create(created_by="coord")
    assert api["coordinator"].post(f"/plan-runs/{queued.pk}/approve").status_code == 409

    approved = api["coordinator"].post(f"/plan-runs/{run.pk}/approve")
    assert approved.status_code == 200, approved.content
    assert approved.json()["approved_by"] == "coord" and approved.json()["approved_at"]
    assert set(Offer.objects.filter(status=OfferStatus.ALLOCATED).values_list("code", flat=True)) == {
        "O-public",
        "O-listed",
    }
    assert Event.objects.filter(action="commit", object_type="planning.allocation").count() == 2
    again = api["coordinator"].post(f"/plan-runs/{run.pk}/approve")
    assert again.status_code == 409
    assert "already approved" in again.json()["detail"]
    assert api["coordinator"].post("/plan-runs/999999/approve").status_code == 404
    # FRA sees its listed line and the public one; NOR only the public one.
    assert api["FRA"].get(f"/plan-runs/{run.pk}/allocations").json()["count"] == 2
    nor = api["NOR"].get(f"/plan-runs/{run.pk}/allocations").json()["items"]
    assert [(line["offer"], line["requirement"], line["donor"], line["hub"]) for line in nor] == [
        ("O-public", "R-public", "POL", "RZE")
    ]
    assert api["coordinator"].get("/plan-runs", approved=True).json()["count"] == 1
    assert verify_ledger().ok
