"""The daily work of every role in a real browser, against a live server and a real task worker."""

from __future__ import annotations

import io
import re
from typing import Any

import openpyxl
import pytest

from nsatu.accounts.services import create_user
from nsatu.core.actors import CLI
from nsatu.core.ledger import verify_ledger
from nsatu.nations.models import Nation
from nsatu.offers.models import Offer
from nsatu.planner.synth import generate
from nsatu.planning.adapters import import_scenario
from nsatu.planning.models import PlanRun
from tests.conftest import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "x-Secret-123456"


def sign_in(page: Any, base_url: str, username: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{base_url}/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Overview").wait_for()


@pytest.fixture
def scenario_with_users(db: Any) -> dict[str, Any]:
    scenario = generate("small", 6)
    import_scenario(scenario, actor=CLI)
    donor = next(
        c
        for c in scenario.nations.codes
        if c not in ("UKR",) and Offer.objects.filter(donor__iso3=c).exists()
    )
    users = {
        "donor": create_user(
            actor=CLI,
            username="donor",
            password=PASSWORD,
            role="donor",
            nation=Nation.objects.get(iso3=donor),
        ),
        "coordinator": create_user(actor=CLI, username="coordinator", password=PASSWORD, role="coordinator"),
        "leadership": create_user(actor=CLI, username="leadership", password=PASSWORD, role="leadership"),
        "recipient": create_user(
            actor=CLI,
            username="recipient",
            password=PASSWORD,
            role="recipient",
            nation=Nation.objects.get(iso3="UKR"),
        ),
    }
    item = Offer.objects.filter(donor__iso3=donor).first().item_type  # type: ignore[union-attr]
    return {"donor": donor, "item": item, "users": users}


def offers_workbook(item_code: str, tmp_path: Any) -> Any:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "offers"
    sheet.append(["id", "item_type", "quantity", "available_from"])
    sheet.append(["O-UPLOAD-1", item_code, 2, "2027-01-11"])
    path = tmp_path / "offers.xlsx"
    buffer = io.BytesIO()
    book.save(buffer)
    path.write_bytes(buffer.getvalue())
    return path


def test_offer_to_plan_to_approval(
    live_server: Any, page: Any, task_worker: Any, scenario_with_users: Any, tmp_path: Any
) -> None:
    base = live_server.url
    item = scenario_with_users["item"]

    # A donor adds an offer and uploads a workbook of offers.
    sign_in(page, base, "donor")
    page.get_by_role("link", name="My offers").click()
    page.get_by_role("link", name="Add an offer").click()
    page.get_by_label("Id").fill("O-WEB-1")
    page.get_by_label("Item type").select_option(str(item.pk))
    page.get_by_label("Quantity").fill("3")
    page.get_by_label("Available from").fill("2027-01-04")
    page.get_by_label("Releasable to", exact=True).select_option("public")
    screenshot(page, "flow-1-donor-add-offer")
    page.get_by_role("button", name="Save").click()
    page.get_by_text("Offer O-WEB-1 added.").wait_for()
    page.get_by_role("link", name="Upload a workbook").click()
    page.get_by_label("Workbook (.xlsx) or CSV").set_input_files(str(offers_workbook(item.code, tmp_path)))
    page.get_by_role("button", name="Check the file").click()
    screenshot(page, "flow-2-donor-upload-preview")
    page.get_by_role("button", name="Confirm 1 offer").click()
    page.get_by_text("1 offer imported.").wait_for()
    assert Offer.objects.filter(code__in=["O-WEB-1", "O-UPLOAD-1"]).count() == 2

    # Leadership's dashboard before any plan.
    sign_in(page, base, "leadership")
    page.goto(f"{base}/dashboard/")
    before = page.locator("main").inner_text()
    screenshot(page, "flow-3-dashboard-before")

    # A coordinator runs a plan, watches its progress and approves it.
    sign_in(page, base, "coordinator")
    page.get_by_role("link", name="Planning").click()
    # The runs table below filters by method too: fill the run form itself.
    run_form = page.locator("section.card").filter(has_text="Run a plan")
    run_form.get_by_label("Method").select_option("optimal")
    run_form.get_by_label("Time limit (seconds)").fill("20")
    run_form.get_by_role("button", name="Start").click()
    page.locator("#progress").wait_for()
    screenshot(page, "flow-4-plan-progress")
    page.get_by_role("button", name="Approve this plan").wait_for(timeout=120_000)
    assert page.locator("table.figures-table").inner_text().count("country") >= 1
    screenshot(page, "flow-5-plan-result")
    page.get_by_role("button", name="Approve this plan").click()
    page.get_by_text("approved: its allocations are now commitments").wait_for()
    run = PlanRun.objects.get()
    assert run.approved_at is not None and run.allocations.exists()

    # The donor sees where its offers go.
    sign_in(page, base, "donor")
    page.goto(f"{base}/offers/mine/")
    where = page.locator("table").nth(1).inner_text()
    donor_lines = run.allocations.filter(offer__donor__iso3=scenario_with_users["donor"])
    assert donor_lines.exists()
    assert donor_lines.first().offer.code in where  # type: ignore[union-attr]
    screenshot(page, "flow-6-donor-where-offers-go")

    # Leadership sees the charts change.
    sign_in(page, base, "leadership")
    page.goto(f"{base}/dashboard/")
    page.locator(".js-plotly-plot").first.wait_for()
    after = page.locator("main").inner_text()
    assert after != before
    assert re.search(rf"\b{run.pk}\b", after)
    screenshot(page, "flow-7-dashboard-after")
    assert verify_ledger().ok
