"""Faults: a worker killed mid-run leaves a failed run, never a stuck one; a killed import writes nothing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from nsatu.core.actors import CLI
from nsatu.core.ledger import verify_ledger
from nsatu.offers.models import Offer
from nsatu.planner.scenario import write_scenario
from nsatu.planner.synth import generate
from nsatu.planning.adapters import import_scenario
from nsatu.planning.models import PlanRun, RunStatus
from nsatu.planning.services import fail_stale_runs, start_plan_run
from tests.conftest import database_url_of_test_db

ROOT = Path(__file__).resolve().parents[2]


def wait_for(condition: Any, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.mark.django_db(transaction=True)
def test_killed_worker_leaves_a_failed_run_not_a_stuck_one(task_worker: Any, settings: Any) -> None:
    settings.NSATU_PLAN_STALE_SECONDS = 2
    import_scenario(generate("small", 4), actor=CLI)
    run = start_plan_run(actor=CLI, method="optimal", time_limit=60)
    wait_for(
        lambda: PlanRun.objects.get(pk=run.pk).status != RunStatus.QUEUED, 60, "the worker to take the run"
    )
    assert PlanRun.objects.get(pk=run.pk).status == RunStatus.RUNNING, (
        "the run ended before it could be killed"
    )
    task_worker.send_signal(signal.SIGKILL)
    task_worker.wait(10)
    assert PlanRun.objects.get(pk=run.pk).status == RunStatus.RUNNING  # nobody has noticed yet
    wait_for(lambda: fail_stale_runs() == 1, 10, "the run to go stale")
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED and "stopped reporting" in run.message
    assert verify_ledger().ok


@pytest.mark.django_db(transaction=True)
def test_worker_completes_a_run_with_progress(task_worker: Any) -> None:
    import_scenario(generate("small", 4), actor=CLI)
    run = start_plan_run(actor=CLI, method="greedy", time_limit=30)
    wait_for(
        lambda: PlanRun.objects.get(pk=run.pk).status in (RunStatus.DONE, RunStatus.FAILED), 120, "the run"
    )
    run.refresh_from_db()
    assert run.status == RunStatus.DONE, run.message
    assert run.allocations.exists() and run.heartbeat is not None


@pytest.mark.django_db(transaction=True)
def test_import_killed_midway_writes_nothing(tmp_path: Path) -> None:
    folder = tmp_path / "medium"
    write_scenario(generate("medium", 1), folder)
    env = {**os.environ, "DATABASE_URL": database_url_of_test_db(), "NSATU_VAR_DIR": str(tmp_path / "var")}
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    log = tmp_path / "import.log"
    with log.open("w") as out:
        importer = subprocess.Popen(
            [sys.executable, "-m", "nsatu.cli", "scenario", "import", str(folder)],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    time.sleep(4)  # well into the offers, far from the end
    assert importer.poll() is None, "the import ended before it could be killed:\n" + log.read_text()
    importer.send_signal(signal.SIGKILL)
    importer.wait(10)
    assert not Offer.objects.exists()
    assert verify_ledger().ok
