"""`nsatu stress --db`: a StressRun whose cases the task workers run, followed by a progress bar."""

from __future__ import annotations

from typing import Any

import pytest
from typer.testing import CliRunner

from nsatu.cli import app
from nsatu.core.actors import CLI
from nsatu.core.ledger import verify_ledger
from nsatu.core.models import Event
from nsatu.planner.synth import generate
from nsatu.planning.adapters import import_scenario
from nsatu.stress.models import StressCase, StressRun, StressStatus


def table_from(output: str, title: str) -> str:
    """The printed table whose title starts with ``title``, to its end."""
    start = output.index(title)
    return output[start:]


@pytest.mark.django_db(transaction=True)
def test_db_queues_one_task_per_case_for_the_workers_and_prints_the_report(
    task_worker: Any,
) -> None:
    from django_tasks_db.models import DBTaskResult

    from nsatu.planner.stress import delays, plan_of_lines
    from nsatu.planning.adapters import scenario_from_db

    import_scenario(generate("small", 2), actor=CLI)
    args = ["--delays", "5", "--seed", "3", "--method", "greedy"]

    queued = CliRunner().invoke(app, ["stress", "--db", *args])
    assert queued.exit_code == 0, queued.output
    run = StressRun.objects.get()
    assert f"stress run {run.pk} (delays) queued for the task workers: /stress/{run.pk}/" in queued.output
    assert run.status == StressStatus.DONE and run.created_by == "system:cli" and run.cases_done == 5
    # the worker ran them: one queued task for the base, one per case, all finished there
    tasks = DBTaskResult.objects.all()
    assert (
        sorted(t.task_path.rsplit(".", 1)[1] for t in tasks)
        == ["prepare_stress_run"] + ["run_stress_case"] * 5
    )
    assert {t.status for t in tasks} == {"SUCCESSFUL"}
    assert verify_ledger().ok

    # the same table as the tasks run here print, with the pure functions' figures
    here = CliRunner().invoke(app, ["stress", "--db", "--in-process", *args])
    assert here.exit_code == 0, here.output
    title = "Lead-time delays: 5 samples, seed 3"
    assert table_from(queued.output, title) == table_from(here.output, title)
    s = scenario_from_db()
    pure = delays(s, plan_of_lines(s, run.base_lines, method="greedy"), 5, 3)
    assert f"{100 * pure.pwf['median']:.2f}%" in table_from(queued.output, title)
    assert "database: base plan (greedy) pwf" in queued.output


@pytest.mark.django_db
def test_in_process_runs_the_same_tasks_here_when_no_worker_runs() -> None:
    from django_tasks_db.models import DBTaskResult

    from nsatu.planner.stress import donors_with_offers
    from nsatu.planning.adapters import scenario_from_db

    import_scenario(generate("small", 2), actor=CLI)
    result = CliRunner().invoke(
        app, ["stress", "--db", "--in-process", "--donor-withdrawal", "--method", "greedy"]
    )
    assert result.exit_code == 0, result.output
    run = StressRun.objects.get()
    donors = donors_with_offers(scenario_from_db())
    assert run.status == StressStatus.DONE and run.cases_done == run.cases_total == len(donors)
    assert set(StressCase.objects.filter(run=run).values_list("status", flat=True)) == {"done"}
    assert not DBTaskResult.objects.exists()  # nothing queued
    assert "Donor withdrawal: re-planned without each donor's offers" in result.output
    assert "runs here" in result.output
    # audited exactly as a queued run
    actions = Event.objects.filter(object_type="stress.stressrun").values_list("action", flat=True)
    assert sorted(set(actions)) == [
        "create",
        "stress-case-done",
        "stress-cases-queued",
        "stress-done",
        "stress-started",
    ]
    assert verify_ledger().ok


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--in-process", "--delays", "2"], "--in-process goes with --db"),
        (["--db", "--delays", "2000"], "between 1 and 1000"),
        (["--db", "--delays", "2", "--time-limit", "0"], "time limit"),
    ],
)
def test_bad_options_are_refused_and_record_nothing(args: list[str], message: str) -> None:
    result = CliRunner().invoke(app, ["stress", *args])
    assert result.exit_code == 2 and message in result.output
    assert not StressRun.objects.exists()
