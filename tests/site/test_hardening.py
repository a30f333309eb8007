"""Production settings, CSP, login throttling and password hashing."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from typing import Any

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def run_manage(*args: str, secret: str | None) -> subprocess.CompletedProcess[str]:
    # The test process allows async-unsafe ORM calls for Playwright; a deployment must not.
    env = {k: v for k, v in os.environ.items() if k not in {"NSATU_SECRET_KEY", "DJANGO_ALLOW_ASYNC_UNSAFE"}}
    env["DJANGO_SETTINGS_MODULE"] = "nsatu.site.settings_production"
    if secret is not None:
        env["NSATU_SECRET_KEY"] = secret
    return subprocess.run(
        [sys.executable, "manage.py", *args], env=env, capture_output=True, text=True, check=False
    )


def test_check_deploy_is_clean_in_production_settings() -> None:
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", secret=secrets.token_urlsafe(64))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize(
    "secret", [None, "django-insecure-nsatu-development-only", "short", "a" * 60, "ab" * 40]
)
def test_production_refuses_to_start_without_a_real_secret(secret: str | None) -> None:
    result = run_manage("check", secret=secret)
    assert result.returncode != 0
    assert "NSATU_SECRET_KEY" in result.stderr


@pytest.mark.parametrize("path", ["/login/", "/"])
def test_every_page_has_a_strict_csp(world: Any, path: str) -> None:
    client = Client()
    client.force_login(world.users["coordinator"])
    response = client.get(path)
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert "<script>" not in response.content.decode()  # no inline script


def test_login_is_throttled_after_repeated_failures(world: Any) -> None:
    client = Client()
    for _ in range(5):
        client.post("/login/", {"username": "deu", "password": "wrong-password"})
    locked = client.post("/login/", {"username": "deu", "password": "x-Secret-123456"})
    assert locked.status_code == 429


def test_passwords_are_hashed_with_argon2(db: Any, settings: Any) -> None:
    from django.contrib.auth.hashers import make_password

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]
    assert make_password("a long enough password").startswith("argon2")


def test_a_session_ends_after_eight_idle_hours_and_each_request_extends_it(world: Any) -> None:
    import datetime as dt

    import time_machine
    from django.conf import settings

    assert settings.SESSION_COOKIE_AGE == 8 * 3600 and settings.SESSION_SAVE_EVERY_REQUEST
    client = Client()
    start = dt.datetime.now(dt.UTC)
    with time_machine.travel(start, tick=False):
        client.force_login(world.users["coordinator"])
        assert client.get("/").status_code == 200
    with time_machine.travel(start + dt.timedelta(hours=7), tick=False):
        assert client.get("/").status_code == 200  # active: pushed on to 15 h
    with time_machine.travel(start + dt.timedelta(hours=14), tick=False):
        assert client.get("/").status_code == 200
    with time_machine.travel(start + dt.timedelta(hours=22, minutes=1), tick=False):
        assert client.get("/").status_code == 302  # 8 h idle: signed out


def test_debug_is_off_unless_asked_for_and_errors_use_our_pages(world: Any) -> None:
    env = {k: v for k, v in os.environ.items() if k != "NSATU_DEBUG"}
    env["DJANGO_SETTINGS_MODULE"] = "nsatu.site.settings"
    code = "import django; django.setup(); from django.conf import settings; print(settings.DEBUG)"
    shown = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert shown.stdout.strip() == "False"
    client = Client()
    client.force_login(world.users["coordinator"])
    missing = client.get("/lists/coalitions/")
    assert missing.status_code == 404 and "URLconf" not in missing.content.decode()
    from django.template.loader import render_to_string

    assert "Server error" in render_to_string("500.html")
