"""Plan runs: pages, progress fragment, approval turning lines into commitments."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from nsatu.core.ledger import verify_ledger
from nsatu.core.models import Event
from nsatu.logistics.models import Hub
from nsatu.offers.models import OfferStatus
from nsatu.planning.models import Allocation, PlanRun, RunStatus
from nsatu.planning.services import PlanningError, approve_plan_run, fail_stale_runs

pytestmark = pytest.mark.django_db


@pytest.fixture
def finished_run(world: Any) -> PlanRun:
    hub = Hub.objects.create(code="RZE", name="Rzeszow", nation=world.nations["POL"], capacity_t_per_week=500)
    run = PlanRun.objects.create(
        method="optimal",
        status=RunStatus.DONE,
        created_by="coord",
        plan_status="optimal",
        bound=3.0,
        metrics={
            "objective": 2.5,
            "pwf": 0.25,
            "on_time_share": 1.0,
            "new_families": [],
            "baselines": {
                "country": {"objective": 1.0, "pwf": 0.1, "on_time_share": 0.5, "new_families": ["X"]}
            },
        },
    )
    for key in ("public", "coalition"):
        Allocation.objects.create(
            run=run,
            offer=world.offers[key],
            requirement=world.requirements["public"],
            hub=hub,
            quantity=2,
            arrival_week=3,
        )
    return run


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_approval_commits_lines_and_allocates_offers(world: Any, finished_run: PlanRun) -> None:
    approve_plan_run(finished_run, actor=world.users["coordinator"])
    for key in ("public", "coalition"):
        world.offers[key].refresh_from_db()
        assert world.offers[key].status == OfferStatus.ALLOCATED
    assert Event.objects.filter(action="commit").count() == 2
    assert Event.objects.filter(action="approve", object_id=str(finished_run.pk)).exists()
    assert verify_ledger().ok


def test_second_approval_is_refused(world: Any, finished_run: PlanRun) -> None:
    approve_plan_run(finished_run, actor=world.users["coordinator"])
    with pytest.raises(PlanningError, match="already approved"):
        approve_plan_run(finished_run, actor=world.users["coordinator"])


def test_overlapping_plan_is_refused_after_the_first_wins(world: Any, finished_run: PlanRun) -> None:
    other = PlanRun.objects.create(method="greedy", status=RunStatus.DONE, created_by="coord")
    line = finished_run.allocations.first()
    assert line is not None
    Allocation.objects.create(
        run=other, offer=line.offer, requirement=line.requirement, hub=line.hub, quantity=1, arrival_week=4
    )
    approve_plan_run(finished_run, actor=world.users["coordinator"])
    with pytest.raises(PlanningError, match="no longer available"):
        approve_plan_run(other, actor=world.users["coordinator"])


def test_unfinished_run_cannot_be_approved(world: Any) -> None:
    run = PlanRun.objects.create(method="optimal", status=RunStatus.RUNNING, created_by="coord")
    with pytest.raises(PlanningError, match="only a finished run"):
        approve_plan_run(run, actor=world.users["coordinator"])


def test_stale_running_run_is_marked_failed(world: Any) -> None:
    run = PlanRun.objects.create(
        method="optimal",
        status=RunStatus.RUNNING,
        created_by="coord",
        heartbeat=timezone.now() - dt.timedelta(minutes=10),
    )
    fresh = PlanRun.objects.create(
        method="optimal", status=RunStatus.RUNNING, created_by="coord", heartbeat=timezone.now()
    )
    assert fail_stale_runs() == 1
    run.refresh_from_db()
    fresh.refresh_from_db()
    assert run.status == RunStatus.FAILED and "stopped reporting" in run.message
    assert fresh.status == RunStatus.RUNNING


def test_run_page_shows_figures_beside_baselines_and_approves(world: Any, finished_run: PlanRun) -> None:
    client = client_for(world.users["coordinator"])
    html = client.get(f"/plans/{finished_run.pk}/").content.decode()
    assert "country" in html and "Approve this plan" in html and "25.00%" in html
    response = client.post(f"/plans/{finished_run.pk}/approve/")
    assert response.status_code == 302
    finished_run.refresh_from_db()
    assert finished_run.approved_by == "coord"


def test_donor_sees_only_lines_of_offers_releasable_to_it(world: Any, finished_run: PlanRun) -> None:
    html = client_for(world.users["FRA"]).get(f"/plans/{finished_run.pk}/").content.decode()
    assert "O-public" in html and "O-coalition" not in html
    assert "Approve this plan" not in html


def test_lines_for_a_requirement_the_donor_may_not_see_are_hidden(world: Any, finished_run: PlanRun) -> None:
    finished_run.allocations.update(requirement=world.requirements["command"])
    html = client_for(world.users["POL"]).get(f"/plans/{finished_run.pk}/").content.decode()
    assert "R-command" not in html and "O-public" not in html


def test_only_coordinators_approve(world: Any, finished_run: PlanRun) -> None:
    assert client_for(world.users["leadership"]).post(f"/plans/{finished_run.pk}/approve/").status_code == 403


def test_progress_fragment_polls_while_running(world: Any) -> None:
    run = PlanRun.objects.create(
        method="optimal",
        status=RunStatus.RUNNING,
        created_by="coord",
        phase="solve",
        fraction=0.4,
        incumbent=10.0,
        bound=12.0,
        gap=0.1667,
        heartbeat=timezone.now(),
    )
    html = client_for(world.users["coordinator"]).get(f"/plans/{run.pk}/progress/").content.decode()
    assert 'hx-trigger="every 1s"' in html and "<progress" in html and "solving" in html


def test_compare_two_runs(world: Any, finished_run: PlanRun) -> None:
    other = PlanRun.objects.create(
        method="greedy", status=RunStatus.DONE, created_by="coord", metrics={"objective": 1.5, "pwf": 0.2}
    )
    html = client_for(world.users["leadership"]).get(f"/plans/compare/?a={finished_run.pk}&b={other.pk}")
    text = html.content.decode()
    assert "2.5" in text and "1.5" in text
