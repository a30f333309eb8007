"""Layout and keyboard use: every page at 1280 px and on a tablet, titled, reachable without a mouse."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import screenshot
from tests.site.test_browser_login import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TABLET = {"width": 768, "height": 1024}
DESKTOP = {"width": 1280, "height": 900}


def nav_links(page: Any) -> list[tuple[str, str]]:
    """The main menu's entries as (name, path): the pages a user reaches from anywhere."""
    links = page.locator("header nav a")
    return [
        (links.nth(i).inner_text().strip(), links.nth(i).get_attribute("href")) for i in range(links.count())
    ]


def horizontal_overflow(page: Any) -> int:
    """How many CSS pixels the page is wider than the window (0: no sideways scrolling)."""
    return int(page.evaluate("document.documentElement.scrollWidth - window.innerWidth"))


@pytest.mark.parametrize("viewport", [DESKTOP, TABLET], ids=["1280px", "tablet"])
def test_every_page_fits_the_window_and_has_its_own_title(
    live_server: Any, world: Any, browser: Any, viewport: dict[str, int]
) -> None:
    context = browser.new_context(viewport=viewport, locale="en-GB")
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        sign_in(page, live_server.url, "coord")
        page.get_by_role("heading", name="Overview").wait_for()
        links = [(name, href) for name, href in nav_links(page) if not href.startswith("/admin")]
        assert len(links) >= 10, links
        titles: dict[str, str] = {}
        for name, href in links:
            page.goto(f"{live_server.url}{href}")
            assert horizontal_overflow(page) <= 0, (
                f"{name} ({href}) scrolls sideways at {viewport['width']} px"
            )
            title = page.title()
            assert title.endswith("· NSATU") and len(title) > len("· NSATU") + 1, (href, title)
            assert page.locator("h1").count() == 1, f"{href}: one main heading per page"
            titles[href] = title
            if viewport == TABLET:
                screenshot(page, f"tablet-{href.strip('/').replace('/', '-') or 'home'}")
        # A browser tab, a bookmark or a screen reader tells the pages apart by their titles.
        repeated = {t for t in titles.values() if list(titles.values()).count(t) > 1}
        assert not repeated, repeated
    finally:
        context.close()


def test_a_person_signs_in_and_moves_around_with_the_keyboard_only(
    live_server: Any, world: Any, page: Any
) -> None:
    page.goto(f"{live_server.url}/login/")
    # The sign-in form takes the focus at once: type, Tab to the password, Enter submits.
    assert page.evaluate("document.activeElement.name") == "username"
    page.keyboard.type("deu")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.name") == "password"
    page.keyboard.type("x-Secret-123456")
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="Overview").wait_for()

    # The first Tab stop is the skip link, shown when focused; it jumps past the menu to the content.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip", "the first Tab stop skips the menu"
    assert page.evaluate("document.activeElement.getBoundingClientRect().left") >= 0, "the skip link shows"
    page.keyboard.press("Enter")
    assert page.url.endswith("#main")

    # Tabbing reaches the menu's links, and the focused one is visibly marked.
    page.goto(f"{live_server.url}/")
    for _ in range(4):  # the skip link, the brand, Overview, Requirements
        page.keyboard.press("Tab")
    focused = page.evaluate(
        "(() => { const e = document.activeElement; const s = getComputedStyle(e);"
        " return {tag: e.tagName, text: e.textContent.trim(),"
        " outline: s.outlineStyle, width: s.outlineWidth}; })()"
    )
    assert focused["tag"] == "A" and focused["text"] == "Requirements", focused
    assert focused["outline"] != "none" and focused["width"] != "0px", f"no visible focus on {focused}"
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="Requirements", exact=True).wait_for()
    assert page.url == f"{live_server.url}/requirements/"

    # The current page is marked in the menu for people who cannot see the highlight.
    page.goto(f"{live_server.url}/offers/")
    current = page.locator('header nav a[aria-current="page"]')
    assert current.count() == 1 and current.inner_text().strip() == "Offers"
