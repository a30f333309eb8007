"""A plan run through the task queue on imported data: progress, result, baselines, approval."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from nsatu.core.actors import CLI
from nsatu.core.ledger import verify_ledger
from nsatu.offers.models import Offer, OfferStatus
from nsatu.planner.check import check_plan
from nsatu.planner.plan import Plan
from nsatu.planner.synth import generate
from nsatu.planning.adapters import import_scenario, scenario_from_db
from nsatu.planning.models import PlanRun, RunStatus
from nsatu.planning.services import approve_plan_run, start_plan_run
from nsatu.planning.tasks import execute_plan_run

pytestmark = pytest.mark.django_db


@pytest.fixture
def imported(db: Any) -> None:
    import_scenario(generate("small", 2), actor=CLI)


@pytest.fixture
def immediate_tasks(settings: Any) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.mark.parametrize("method", ["greedy", "optimal"])
def test_run_stores_a_valid_plan_beside_the_baselines(
    imported: None, method: str, django_capture_on_commit_callbacks: Any, immediate_tasks: None
) -> None:
    from nsatu.planning.models import Allocation

    with django_capture_on_commit_callbacks(execute=True):
        run = start_plan_run(actor=CLI, method=method, time_limit=20)
    run.refresh_from_db()
    assert run.status == RunStatus.DONE, run.message
    assert run.fraction == 1.0 and run.heartbeat is not None
    assert run.metrics["objective"] > 0
    assert set(run.metrics["baselines"]) == {"country", "greedy"} - {method}
    lines = list(Allocation.objects.filter(run=run))
    assert (
        lines
        and abs(sum(a.quantity for a in lines) - sum(run.metrics.get("fulfilled", {}).values() or [0])) >= 0
    )
    # the stored lines, read back through the adapter, are a valid plan of the same scenario
    scenario = scenario_from_db()
    index_offer, index_req, index_hub = (
        scenario.offers.index,
        scenario.requirements.index,
        scenario.hubs.index,
    )
    plan = Plan(
        method=method,
        status="feasible",
        alloc_offer=np.array([index_offer[a.offer.code] for a in lines]),
        alloc_requirement=np.array([index_req[a.requirement.code] for a in lines]),
        alloc_hub=np.array([index_hub[a.hub.code] for a in lines]),
        alloc_quantity=np.array([a.quantity for a in lines]),
        alloc_week=np.array([a.arrival_week for a in lines]),
        seats_used=_seats(run, scenario),
    )
    assert check_plan(scenario, plan) == []
    approve_plan_run(run, actor=CLI)
    # offers the run uses up are allocated; the ones it uses in part stay offered for the rest
    used: dict[int, float] = {}
    for a in lines:
        used[a.offer_id] = used.get(a.offer_id, 0.0) + a.quantity
    used_up = {o.pk for o in Offer.objects.filter(pk__in=used) if used[o.pk] >= o.quantity - 1e-6}
    assert set(Offer.objects.filter(status=OfferStatus.ALLOCATED).values_list("pk", flat=True)) == used_up
    assert verify_ledger().ok


def _seats(run: PlanRun, scenario: Any) -> Any:
    seats = np.zeros(len(scenario.courses.ids))
    for use in run.seat_uses.select_related("course"):
        seats[scenario.courses.index[use.course.code]] = use.seats_used
    return seats


def test_optimal_beats_the_baselines_on_the_same_data(imported: None) -> None:
    run = PlanRun.objects.create(method="optimal", time_limit=20, created_by="test")
    execute_plan_run(run.pk)
    run.refresh_from_db()
    assert run.status == RunStatus.DONE
    for baseline in run.metrics["baselines"].values():
        assert run.metrics["objective"] >= baseline["objective"] - 1e-6


def test_a_run_without_a_scenario_fails_with_a_message(db: Any) -> None:
    run = PlanRun.objects.create(method="greedy", created_by="test")
    execute_plan_run(run.pk)
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED and "no scenario is loaded" in run.message
