"""Faults: a worker killed mid-run leaves a failed run, never a stuck one; a killed import writes nothing.

The import is killed twice: the command-line importer, and the web server during the
browser's upload confirm.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
import uuid
from http.cookiejar import CookieJar
from pathlib import Path
from typing import Any

import pytest

from nsatu.core.actors import CLI
from nsatu.core.ledger import verify_ledger
from nsatu.offers.models import Offer
from nsatu.planner.io import write_scenario
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
    from django.db import connection

    sqlite_path = Path(connection.settings_dict["NAME"]) if connection.vendor == "sqlite" else None
    # the import writes in batches within one transaction: killed while that is open, it is midway
    wait_for(lambda: import_transaction_open(sqlite_path) or importer.poll() is not None, 60, "the import")
    assert importer.poll() is None, "the import ended before it could be killed:\n" + log.read_text()
    importer.send_signal(signal.SIGKILL)
    importer.wait(10)
    assert not Offer.objects.exists()
    assert verify_ledger().ok


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class Browser:
    """Just enough of a browser for the server's forms: cookies, CSRF tokens, multipart uploads."""

    CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')

    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))

    def get(self, path: str) -> str:
        with self.opener.open(self.base + path, timeout=120) as response:
            return str(response.read().decode())

    def token(self, path: str) -> str:
        found = self.CSRF.search(self.get(path))
        assert found, f"no CSRF token on {path}"
        return found.group(1)

    def post(self, path: str, fields: dict[str, str], file: tuple[str, str, bytes] | None = None) -> str:
        if file is None:
            body, kind = urllib.parse.urlencode(fields).encode(), "application/x-www-form-urlencoded"
        else:
            boundary = uuid.uuid4().hex
            parts = [
                f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
                for k, v in fields.items()
            ]
            name, filename, content = file
            parts.append(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                f"Content-Type: {XLSX}\r\n\r\n".encode()
                + content
                + b"\r\n"
            )
            body, kind = (
                b"".join(parts) + f"--{boundary}--\r\n".encode(),
                f"multipart/form-data; boundary={boundary}",
            )
        request = urllib.request.Request(self.base + path, data=body, headers={"Content-Type": kind})
        with self.opener.open(request, timeout=120) as response:
            return str(response.read().decode())


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def import_transaction_open(path: Path | None) -> bool:
    """Whether another connection holds an open writing transaction (the import's)."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                " AND pid <> pg_backend_pid() AND backend_xid IS NOT NULL"
                " AND now() - xact_start > interval '0.5 seconds'"
            )
            return bool(cursor.fetchone()[0])
    # SQLite: the import's transaction holds the one write lock from its BEGIN IMMEDIATE on.
    probe = sqlite3.connect(str(path), timeout=0.05)
    try:
        probe.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as exc:
        return "locked" in str(exc)
    else:
        probe.rollback()
        return False
    finally:
        probe.close()


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_web_server_killed_mid_import_confirm_keeps_all_or_nothing(tmp_path: Path, settings: Any) -> None:
    """`make run`'s server (scripts/serve.sh: gunicorn and a task worker) is killed during an import."""
    from django.db import connection

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]  # the server's

    from nsatu.accounts.services import create_user
    from nsatu.needs.models import Requirement

    create_user(actor=CLI, username="coord", password="x-Secret-123456", role="coordinator")
    scenario = generate("medium", 1)
    write_scenario(scenario, tmp_path / "medium.xlsx", xlsx=True)
    sqlite_path = Path(connection.settings_dict["NAME"]) if connection.vendor == "sqlite" else None
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url_of_test_db(),
        "NSATU_VAR_DIR": str(tmp_path / "var"),
        "NSATU_ADDR": f"127.0.0.1:{port}",
        "PY": sys.executable,
        "DJANGO_SETTINGS_MODULE": "nsatu.site.settings",
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    log = tmp_path / "server.log"
    with log.open("w") as out:
        server = subprocess.Popen(
            ["bash", "scripts/serve.sh"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: gunicorn's workers and the task worker
        )
    try:
        browser = Browser(f"http://127.0.0.1:{port}")
        wait_for(lambda: _answers(browser), 90, "the server to answer")
        browser.post(
            "/login/",
            {
                "username": "coord",
                "password": "x-Secret-123456",
                "csrfmiddlewaretoken": browser.token("/login/"),
            },
        )
        preview = browser.post(
            "/plans/import/",
            {"csrfmiddlewaretoken": browser.token("/plans/import/")},
            file=("file", "medium.xlsx", (tmp_path / "medium.xlsx").read_bytes()),
        )
        found = re.search(r'name="confirm" value="([0-9a-f]+)"', preview)
        assert found, "no preview:\n" + preview[:2000]
        confirm = {"csrfmiddlewaretoken": browser.CSRF.search(preview).group(1), "confirm": found.group(1)}  # type: ignore[union-attr]
        outcome: dict[str, object] = {}

        def press_import() -> None:
            try:
                outcome["page"] = browser.post("/plans/import/", confirm)
            except OSError as exc:  # the connection dies with the server
                outcome["error"] = exc

        pressing = threading.Thread(target=press_import)
        pressing.start()
        wait_for(lambda: import_transaction_open(sqlite_path), 60, "the import's transaction")
        assert "page" not in outcome, "the import ended before the server could be killed"
        os.killpg(server.pid, signal.SIGKILL)
        pressing.join(30)
        assert "error" in outcome and "page" not in outcome, outcome
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGKILL)
        server.wait(10)
    wait_for(lambda: not import_transaction_open(sqlite_path), 30, "the killed transaction to end")
    offers, requirements = Offer.objects.count(), Requirement.objects.count()
    assert (offers, requirements) in {(0, 0), (len(scenario.offers.ids), len(scenario.requirements.ids))}, (
        offers,
        requirements,
    )
    assert (offers, requirements) == (0, 0), "the import committed although the request never answered"
    assert verify_ledger().ok


def _answers(browser: Browser) -> bool:
    try:
        return browser.get("/healthz") == "ok"
    except OSError:
        return False
