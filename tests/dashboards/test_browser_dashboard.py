"""Leadership opens the dashboard in Chromium: every Plotly chart draws, and the CSP is never violated."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHARTS = ["fulfilment", "families", "donors", "agreements", "arrivals"]


def full_page_screenshot(page: Any, name: str) -> None:
    """Grow the viewport to the page first: a full-page capture resizes the window, and responsive
    charts would be caught mid-relayout."""
    height = page.evaluate("document.documentElement.scrollHeight")
    page.set_viewport_size({"width": 1280, "height": height})
    page.wait_for_timeout(400)  # plotly debounces its resize handler
    screenshot(page, name)


def sign_in(page: Any, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill("x-Secret-123456")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Overview").wait_for()


def watch_csp(page: Any) -> list[str]:
    """Collect CSP violations from the console and from securitypolicyviolation events."""
    problems: list[str] = []

    def on_console(message: Any) -> None:
        # The site has no favicon (not this page's concern); every other error counts.
        if message.type == "error" and not message.location.get("url", "").endswith("/favicon.ico"):
            problems.append(message.text)

    page.on("console", on_console)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.add_init_script(
        "document.addEventListener('securitypolicyviolation', e => "
        "console.error('Content Security Policy violation: ' + e.violatedDirective + ' ' + e.blockedURI));"
    )
    return problems


def test_leadership_sees_every_chart_drawn_without_csp_violation(
    live_server: Any,
    committed: Any,
    page: Any,
) -> None:
    problems = watch_csp(page)
    sign_in(page, live_server.url, "lead")
    page.get_by_role("link", name="Dashboard").click()
    page.get_by_role("heading", name="Leadership dashboard").wait_for()
    for name in CHARTS:
        page.locator(f"#chart-{name}[data-rendered='true'] svg.main-svg").first.wait_for()
        assert page.locator(f"#chart-{name} svg.main-svg").count() >= 1
    # The bars and lines are there, not just empty axes.
    assert page.locator("#chart-donors .bars .point").count() == 4
    assert page.locator("#chart-fulfilment .scatterlayer .trace").count() == 2
    full_page_screenshot(page, "dashboard-leadership")
    assert problems == []


def test_fleet_page_draws_its_chart(live_server: Any, planned: Any, page: Any) -> None:
    problems = watch_csp(page)
    sign_in(page, live_server.url, "lead")
    page.goto(f"{live_server.url}/fleet/")
    page.locator("#chart-fleet[data-rendered='true'] svg.main-svg").first.wait_for()
    assert page.locator("#chart-fleet .bars .point").count() == 2
    full_page_screenshot(page, "fleet-diversity")
    assert problems == []


def test_auditor_searches_the_ledger_and_exports(live_server: Any, planned: Any, page: Any) -> None:
    problems = watch_csp(page)
    sign_in(page, live_server.url, "audit")
    page.get_by_role("link", name="Ledger").click()
    page.get_by_role("heading", name="Audit ledger").wait_for()
    assert "Chain verified" in page.get_by_role("status").inner_text()
    page.get_by_label("Object type").select_option("offers.offer")
    page.get_by_role("button", name="Search").click()
    page.wait_for_url("**object_type=offers.offer**")
    types = page.locator("#ledger tbody td:nth-child(6)").all_inner_texts()
    assert types and all(t.startswith("offers.offer") for t in types)
    screenshot(page, "audit-ledger")
    with page.expect_download() as download:
        page.get_by_role("link", name="Excel").click()
    assert download.value.suggested_filename.endswith(".xlsx")
    page.goto(f"{live_server.url}/lists/offers/?donor=POL")
    assert sorted(page.locator("#list-offers tbody td:first-child").all_inner_texts()) == [
        "O-coalition",
        "O-command",
        "O-listed",
        "O-public",
    ]
    screenshot(page, "list-offers")
    assert problems == []
