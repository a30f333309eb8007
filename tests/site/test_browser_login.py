"""A person signs in with a real browser and sees data releasable to them."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(page: Any, base_url: str, username: str, password: str = "x-Secret-123456") -> None:
    page.goto(f"{base_url}/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def test_donor_signs_in_and_sees_releasable_offers(live_server: Any, world: Any, page: Any) -> None:
    page.goto(live_server.url)
    assert "/login/" in page.url
    screenshot(page, "login")
    sign_in(page, live_server.url, "deu")
    page.get_by_role("heading", name="Overview").wait_for()
    assert "deu" in page.content()
    screenshot(page, "overview-donor")
    page.get_by_role("link", name="Offers", exact=True).click()
    page.get_by_role("heading", name="Offers").wait_for()
    cells = page.locator("tbody td:first-child").all_inner_texts()
    assert sorted(cells) == ["O-coalition", "O-public"]
    screenshot(page, "offers-donor")


def test_wrong_password_is_refused_with_a_message(live_server: Any, world: Any, page: Any) -> None:
    sign_in(page, live_server.url, "deu", "not-the-password")
    assert page.get_by_role("alert").is_visible()
    assert "/login/" in page.url
