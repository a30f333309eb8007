"""Faults: a task worker killed during a stress run leaves a failed case (or run), never a stuck one."""

from __future__ import annotations

import collections
import dataclasses
import datetime as dt
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from django.utils import timezone

from nsatu.core.actors import CLI
from nsatu.core.ledger import verify_ledger
from nsatu.core.models import Event
from nsatu.planner.synth import generate
from nsatu.planning.adapters import import_scenario
from nsatu.stress.models import StressCase, StressRun, StressStatus
from nsatu.stress.services import fail_stale_stress_runs, start_stress_run
from nsatu.stress.tasks import close_case
from tests.conftest import database_url_of_test_db

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.django_db(transaction=True)


def wait_for(condition: Any, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


@contextmanager
def worker(tmp_path: Path, name: str) -> Iterator[subprocess.Popen[bytes]]:
    """A real `db_worker` process on the test database, as `make run` starts one (beat every 0.5 s)."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url_of_test_db(),
        "NSATU_VAR_DIR": str(tmp_path / f"{name}-var"),
        "NSATU_PLAN_HEARTBEAT_SECONDS": "0.5",
        "DJANGO_SETTINGS_MODULE": "nsatu.site.settings",
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    with (tmp_path / f"{name}.log").open("w") as log:
        process = subprocess.Popen(
            [
                *(sys.executable, "manage.py", "db_worker", "--queue-name", "*", "--no-reload"),
                *("--no-startup-delay", "--interval", "0.2"),
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            yield process
        finally:
            if process.poll() is None:
                process.send_signal(signal.SIGKILL)
            process.wait(10)


def import_few_donors(donors: int) -> list[str]:
    """The small synthetic scenario with only its ``donors`` largest donors' offers live."""
    s = generate("small", 4)
    counts = collections.Counter(s.nations.codes[int(d)] for d in s.offers.donor)
    keep = sorted(code for code, _ in counts.most_common(donors))
    live = np.isin(s.offers.donor, [s.nations.index[c] for c in keep])
    import_scenario(
        dataclasses.replace(s, offers=dataclasses.replace(s.offers, withdrawn=s.offers.withdrawn | ~live)),
        actor=CLI,
    )
    return keep


def test_worker_killed_mid_case_fails_that_case_and_the_run_finishes(tmp_path: Path, settings: Any) -> None:
    settings.NSATU_PLAN_STALE_SECONDS = 2
    donors = import_few_donors(4)
    with worker(tmp_path, "first") as first:
        run = start_stress_run(actor=CLI, kind="withdrawal", method="optimal", time_limit=30)
        wait_for(
            lambda: StressCase.objects.filter(run=run, status=StressStatus.RUNNING).exists(),
            120,
            "the worker to start a case",
        )
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    killed = StressCase.objects.filter(run=run, status=StressStatus.RUNNING).get()  # nobody noticed yet
    assert StressRun.objects.get(pk=run.pk).status == StressStatus.RUNNING
    wait_for(lambda: fail_stale_stress_runs() == 1, 10, "the case to go stale")
    killed.refresh_from_db()
    assert killed.status == StressStatus.FAILED and "stopped reporting" in killed.message
    assert StressRun.objects.get(pk=run.pk).status == StressStatus.RUNNING  # the other cases go on

    with worker(tmp_path, "second"):
        wait_for(
            lambda: StressRun.objects.get(pk=run.pk).status != StressStatus.RUNNING, 120, "the run to end"
        )
    run.refresh_from_db()
    assert run.status == StressStatus.DONE and run.message == "1 case(s) failed"
    assert run.cases_done == run.cases_total == len(donors)
    statuses = collections.Counter(StressCase.objects.filter(run=run).values_list("status", flat=True))
    assert statuses == {StressStatus.DONE: len(donors) - 1, StressStatus.FAILED: 1}
    # one event per case, whoever ended it, and one for the run's end
    assert Event.objects.filter(action="stress-case-failed", object_id=str(run.pk)).count() == 1
    assert Event.objects.filter(action="stress-case-done", object_id=str(run.pk)).count() == len(donors) - 1
    assert Event.objects.filter(action="stress-done", object_id=str(run.pk)).count() == 1
    assert verify_ledger().ok


def test_worker_killed_while_planning_the_base_fails_the_run(tmp_path: Path, settings: Any) -> None:
    settings.NSATU_PLAN_STALE_SECONDS = 2
    import_scenario(generate("small", 4), actor=CLI)  # 26 donors: the optimal base takes seconds
    with worker(tmp_path, "only") as only:
        run = start_stress_run(actor=CLI, kind="withdrawal", method="optimal", time_limit=60)
        wait_for(lambda: StressRun.objects.get(pk=run.pk).status != StressStatus.QUEUED, 60, "the worker")
        only.send_signal(signal.SIGKILL)
        only.wait(10)
    run.refresh_from_db()
    assert run.status == StressStatus.RUNNING and not run.cases.exists(), "the base ended too soon"
    wait_for(lambda: fail_stale_stress_runs() == 1, 10, "the run to go stale")
    run.refresh_from_db()
    assert run.status == StressStatus.FAILED and "while planning the base" in run.message
    assert fail_stale_stress_runs() == 0  # once
    assert verify_ledger().ok


def test_a_live_but_slow_worker_does_not_count_a_case_twice(settings: Any) -> None:
    """A case declared dead whose worker then finishes is dropped, not counted again."""
    settings.NSATU_PLAN_STALE_SECONDS = 60
    run = start_stress_run(actor=CLI, kind="delays", samples=2, enqueue=False)
    StressRun.objects.filter(pk=run.pk).update(status=StressStatus.RUNNING, cases_total=2)
    old = StressCase.objects.create(run=run, key="0", status=StressStatus.RUNNING)
    fresh = StressCase.objects.create(run=run, key="1", status=StressStatus.RUNNING)
    StressCase.objects.filter(pk=old.pk).update(heartbeat=timezone.now() - dt.timedelta(minutes=5))
    StressCase.objects.filter(pk=fresh.pk).update(heartbeat=timezone.now())
    assert fail_stale_stress_runs() == 1  # only the stale one
    assert close_case(old.pk, StressStatus.DONE, result={"pwf": 1.0}) is False  # its late result
    run.refresh_from_db()
    old.refresh_from_db()
    assert run.cases_done == 1 and run.status == StressStatus.RUNNING and old.status == StressStatus.FAILED
    assert close_case(fresh.pk, StressStatus.DONE, result={}) is True
    run.refresh_from_db()
    assert run.status == StressStatus.DONE and run.cases_done == 2 and run.message == "1 case(s) failed"
