"""A worker declared dead (stale heartbeat) that was only paused: its late result is dropped.

The run is failed as stale while the worker is in the middle of its solve (from inside the
solver's progress callback, as the probe's SIGSTOP past the heartbeat does); the worker then
finishes. The run stays failed, with no lines and no "done" event, and cannot be approved.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from nsatu.core.actors import CLI
from nsatu.core.ledger import verify_ledger
from nsatu.core.models import Event
from nsatu.planner import methods
from nsatu.planner.synth import generate
from nsatu.planning.adapters import import_scenario
from nsatu.planning.models import Allocation, PlanRun, RunStatus
from nsatu.planning.services import PlanningError, approve_plan_run, fail_stale_runs, start_plan_run
from nsatu.planning.tasks import execute_plan_run
from nsatu.stress.models import StressCase, StressRun, StressStatus
from nsatu.stress.services import fail_stale_stress_runs, start_stress_run
from nsatu.stress.tasks import execute_prepare

pytestmark = pytest.mark.django_db


@pytest.fixture
def imported(db: Any) -> None:
    import_scenario(generate("small", 2), actor=CLI)


def _later() -> dt.datetime:
    """A moment when every heartbeat written so far is stale."""
    return timezone.now() + dt.timedelta(hours=1)


def _actions(object_type: str, pk: int) -> list[str]:
    events = Event.objects.filter(object_type=object_type, object_id=str(pk)).order_by("seq")
    return list(events.values_list("action", flat=True))


def test_a_plan_run_failed_mid_solve_stays_failed_when_its_worker_finishes(
    imported: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = start_plan_run(actor=CLI, method="optimal", time_limit=20)
    real = methods.run_method
    failed_mid_solve: list[int] = []

    def paused_worker(*args: Any, **kwargs: Any) -> Any:
        progress = kwargs.get("progress")
        if progress is None:
            return real(*args, **kwargs)

        def on_progress(event: Any) -> None:
            if not failed_mid_solve:
                # the worker is mid-solve and its heartbeat is past the limit
                assert PlanRun.objects.get(pk=run.pk).status == RunStatus.RUNNING
                failed_mid_solve.append(fail_stale_runs(now=_later()))
            progress(event)

        return real(*args, **{**kwargs, "progress": on_progress})

    monkeypatch.setattr(methods, "run_method", paused_worker)
    execute_plan_run(run.pk)

    assert failed_mid_solve == [1]
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED and "stopped reporting" in run.message
    assert not Allocation.objects.filter(run=run).exists()
    actions = _actions("planning.planrun", run.pk)
    assert actions[-2:] == ["plan-started", "plan-failed"] and "plan-done" not in actions
    with pytest.raises(PlanningError):
        approve_plan_run(run, actor=CLI)
    assert verify_ledger().ok


def test_a_plan_run_is_claimed_once_and_records_that_it_started(imported: None) -> None:
    run = start_plan_run(actor=CLI, method="greedy", time_limit=5)
    execute_plan_run(run.pk)
    execute_plan_run(run.pk)  # a second delivery of the same task finds it taken
    run.refresh_from_db()
    assert run.status == RunStatus.DONE and Allocation.objects.filter(run=run).exists()
    actions = _actions("planning.planrun", run.pk)
    assert actions.count("plan-started") == 1 and actions.count("plan-done") == 1


def test_a_stress_run_failed_while_planning_its_base_stays_failed(
    imported: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = start_stress_run(actor=CLI, kind="delays", samples=2, method="greedy", enqueue=False)
    real = methods.run_method

    def paused_worker(*args: Any, **kwargs: Any) -> Any:
        plan = real(*args, **kwargs)
        assert fail_stale_stress_runs(now=_later()) == 1  # declared dead before it could write
        return plan

    monkeypatch.setattr(methods, "run_method", paused_worker)
    assert execute_prepare(run.pk, enqueue_cases=False) == []
    run.refresh_from_db()
    assert run.status == StressStatus.FAILED and "while planning the base" in run.message
    assert not StressCase.objects.filter(run=run).exists() and run.base_lines in ([], None)
    assert _actions("stress.stressrun", run.pk)[-2:] == ["stress-started", "stress-failed"]
    assert StressRun.objects.get(pk=run.pk).cases_total == 0
    assert verify_ledger().ok
