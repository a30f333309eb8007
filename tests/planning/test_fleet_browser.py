"""The plan page's fleet studies in a real browser, in English and Ukrainian: the frontier chart
(started on the page, computed by a real task worker, each point opening its plan) and a family's worth."""

from __future__ import annotations

from typing import Any

import pytest

from nsatu.accounts.services import create_user
from nsatu.core.actors import CLI
from nsatu.planner.synth import generate
from nsatu.planning.adapters import import_scenario
from nsatu.planning.models import FleetStudy, PlanRun, RunStatus
from nsatu.planning.studies import execute_fleet_study
from nsatu.planning.tasks import execute_plan_run
from tests.conftest import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "x-Secret-123456"


def sign_in(page: Any, base: str, language: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{base}/login/")
    if language == "uk":
        page.get_by_label("Language").select_option("uk")
        page.get_by_role("button", name="Switch").click()
        page.get_by_role("heading", name="Увійти").wait_for()
        page.get_by_label("Ім’я користувача").fill("coordinator")
        page.get_by_label("Пароль").fill(PASSWORD)
        page.get_by_role("button", name="Увійти").click()
        page.get_by_role("heading", name="Огляд").wait_for()
    else:
        page.get_by_label("Username").fill("coordinator")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.get_by_role("heading", name="Overview").wait_for()


def test_frontier_chart_and_family_worth_in_english_and_ukrainian(
    live_server: Any, page: Any, task_worker: Any
) -> None:
    import_scenario(generate("small", 2), actor=CLI)
    create_user(actor=CLI, username="coordinator", password=PASSWORD, role="coordinator")
    run = PlanRun.objects.create(method="optimal", time_limit=10, created_by="coordinator")
    execute_plan_run(run.pk)
    run.refresh_from_db()
    assert run.status == RunStatus.DONE
    worth = FleetStudy.objects.create(kind="worth", run=run, time_limit=10, created_by="coordinator")
    execute_fleet_study(worth.pk)
    worth.refresh_from_db()
    assert worth.status == RunStatus.DONE, worth.message
    base = live_server.url

    # English: the coordinator starts the frontier on the page; the worker computes it
    sign_in(page, base, "en")
    page.goto(f"{base}/plans/{run.pk}/")
    fleet = page.locator("#fleet")
    fleet.get_by_label("Study").select_option("frontier")
    fleet.get_by_label("Time limit (seconds)").fill("10")
    fleet.get_by_label("At most new families").fill("2")
    fleet.get_by_role("button", name="Start the study").click()
    page.locator("#chart-frontier[data-rendered='true']").wait_for(timeout=120_000)
    study = FleetStudy.objects.get(kind="frontier")
    points = study.result["points"]
    assert [p["limit"] for p in points] == [0, 1, 2]
    rows = page.locator("#frontier-points tbody tr")
    assert rows.count() == 3
    assert page.locator("#chart-frontier .scatterlayer .trace").count() == 3  # pwf, on time, this run
    introduced = next(f for f in worth.result["families"] if f["introduced"])
    item = page.locator(f"#family-worth li[data-family='{introduced['code']}']")
    assert "introduced" in item.inner_text() and "pwf without it" in item.inner_text()
    screenshot(page, "fleet-frontier-en")
    # a point of the chart opens its plan
    marker = page.locator("#chart-frontier .scatterlayer .trace").first.locator(".point").nth(1)
    marker.click(force=True)
    page.wait_for_url(f"**/plans/{points[1]['run']}/")
    page.get_by_role("heading", name=f"Plan run {points[1]['run']}").wait_for()
    assert page.locator("#frontier-points tr.current").count() == 1  # the frontier, its point marked

    # Ukrainian: the same page, its chart and the family's worth
    sign_in(page, base, "uk")
    page.goto(f"{base}/plans/{run.pk}/")
    page.get_by_role("heading", name="Нові сімейства: межа і цінність кожного").wait_for()
    page.locator("#chart-frontier[data-rendered='true']").wait_for()
    assert "Дозволено нових сімейств" in page.locator("#chart-frontier").inner_text()
    text = page.locator(f"#family-worth li[data-family='{introduced['code']}']").inner_text()
    assert "запроваджено" in text and "pwf без неї" in text
    screenshot(page, "fleet-frontier-uk")
