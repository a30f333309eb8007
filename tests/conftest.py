"""Shared fixtures: a small world of nations, catalog, requirements and offers."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

# Playwright's sync API runs an event loop in the test thread; the ORM calls the
# tests make around it are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(autouse=True)
def fast_password_hashing(settings: Any) -> None:
    """Argon2 is deliberately slow; tests that are not about hashing use a fast hasher."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # A plan run's heartbeat thread would queue behind the test's open transaction.
    settings.NSATU_PLAN_HEARTBEAT_SECONDS = 3600


@pytest.fixture(autouse=True)
def default_language() -> Iterator[None]:
    """Each test starts in the default language: a request in Ukrainian (LocaleMiddleware
    activates it for the thread and leaves it so) must not change the next test's messages."""
    from django.utils import translation

    translation.deactivate()
    yield
    translation.deactivate()


@dataclass
class World:
    nations: dict[str, Any]
    capability: Any
    family: Any
    item: Any
    requirements: dict[str, Any]
    offers: dict[str, Any]
    users: dict[str, Any]


MARKINGS = ["public", "coalition", "listed", "command"]


@pytest.fixture
def world(db: Any) -> World:
    """UKR receives; POL offers; DEU is in the artillery coalition; FRA is listed by name."""
    from nsatu.accounts.services import create_user
    from nsatu.catalog.services import create_capability, create_family, create_item_type
    from nsatu.core.actors import CLI
    from nsatu.nations.services import create_coalition, create_nation
    from nsatu.needs.services import create_requirement
    from nsatu.offers.services import create_offer

    nations = {
        code: create_nation(
            actor=CLI, iso3=code, name=name, nato=code != "UKR", eu=code in {"DEU", "FRA", "POL"}
        )
        for code, name in [
            ("UKR", "Ukraine"),
            ("POL", "Poland"),
            ("DEU", "Germany"),
            ("FRA", "France"),
            ("NOR", "Norway"),
        ]
    }
    capability = create_capability(actor=CLI, code="artillery_sp", name="Self-propelled artillery")
    family = create_family(
        actor=CLI, code="PZH2000", name="PzH 2000", capability=capability, in_service=True, crew_per_unit=5
    )
    item = create_item_type(actor=CLI, code="PZH2000-A", name="PzH 2000", family=family, mass_t=57)
    create_coalition(
        actor=CLI,
        code="ART",
        name="Artillery coalition",
        capabilities=[capability],
        leads=[nations["DEU"]],
        members=[],
    )
    marking = {
        "public": ("public", []),
        "coalition": ("coalition", []),
        "listed": ("nations", [nations["FRA"]]),
        "command": ("command-only", []),
    }
    requirements, offers = {}, {}
    for key, (value, listed) in marking.items():
        requirements[key] = create_requirement(
            actor=CLI,
            code=f"R-{key}",
            recipient=nations["UKR"],
            capability=capability,
            quantity=4,
            priority=2,
            needed_by=dt.date(2027, 3, 1),
            releasability=value,
            releasable_to=listed,
        )
        offers[key] = create_offer(
            actor=CLI,
            code=f"O-{key}",
            donor=nations["POL"],
            item_type=item,
            quantity=2,
            available_from=dt.date(2027, 1, 4),
            releasability=value,
            releasable_to=listed,
        )
    users = {
        "DEU": create_user(
            actor=CLI, username="deu", password="x-Secret-123456", role="donor", nation=nations["DEU"]
        ),
        "FRA": create_user(
            actor=CLI, username="fra", password="x-Secret-123456", role="donor", nation=nations["FRA"]
        ),
        "POL": create_user(
            actor=CLI, username="pol", password="x-Secret-123456", role="donor", nation=nations["POL"]
        ),
        "NOR": create_user(
            actor=CLI, username="nor", password="x-Secret-123456", role="donor", nation=nations["NOR"]
        ),
        "UKR": create_user(
            actor=CLI, username="ukr", password="x-Secret-123456", role="recipient", nation=nations["UKR"]
        ),
        "coordinator": create_user(
            actor=CLI, username="coord", password="x-Secret-123456", role="coordinator"
        ),
        "leadership": create_user(actor=CLI, username="lead", password="x-Secret-123456", role="leadership"),
        "auditor": create_user(actor=CLI, username="audit", password="x-Secret-123456", role="auditor"),
    }
    return World(nations, capability, family, item, requirements, offers, users)


SCREENSHOTS = Path(__file__).resolve().parent.parent / "test-artifacts" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's Chromium, headless, driven by Playwright (no browser download)."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium (scripts/system-deps.sh)")
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


def screenshot(page: Any, name: str) -> None:
    """Keep a picture of the page for people to look at (test-artifacts/screenshots)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def database_url_of_test_db() -> str:
    """A DATABASE_URL naming the database this test runs on, for a process of our own."""
    from django.db import connection

    config = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{config['NAME']}"
    user, password = config.get("USER") or "", config.get("PASSWORD") or ""
    auth = f"{user}:{password}@" if password else f"{user}@"
    return (
        f"postgres://{auth}{config.get('HOST') or '127.0.0.1'}:{config.get('PORT') or 5432}/{config['NAME']}"
    )


@pytest.fixture
def task_worker(transactional_db: Any, tmp_path: Path) -> Iterator[Any]:
    """A real `db_worker` process on the test database, as `make run` starts one."""
    import signal
    import subprocess
    import sys

    env = {
        **os.environ,
        "DATABASE_URL": database_url_of_test_db(),
        "NSATU_VAR_DIR": str(tmp_path / "worker-var"),
        "NSATU_PLAN_HEARTBEAT_SECONDS": "0.5",
        "DJANGO_SETTINGS_MODULE": "nsatu.site.settings",
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    log = open(tmp_path / "worker.log", "w")  # noqa: SIM115 - closed below
    process = subprocess.Popen(
        [
            sys.executable,
            "manage.py",
            "db_worker",
            "--queue-name",
            "*",
            "--no-reload",
            "--no-startup-delay",
            "--interval",
            "0.2",
        ],
        cwd=Path(__file__).resolve().parent.parent,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    yield process
    if process.poll() is None:
        process.send_signal(signal.SIGKILL)
    process.wait(10)
    log.close()
