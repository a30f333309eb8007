"""Pages answer for a signed-in user and send others to sign in."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_anonymous_is_sent_to_sign_in(world: Any) -> None:
    response = Client().get("/")
    assert response.status_code == 302 and "/login/" in response["Location"]


PAGES = ["/", "/requirements/", "/offers/", "/audit/ledger/", "/plans/", "/dashboard/"]


@pytest.mark.parametrize("path", PAGES)
def test_pages_render_for_the_auditor(world: Any, path: str) -> None:
    client = Client()
    client.force_login(world.users["auditor"])
    response = client.get(path)
    assert response.status_code == 200
    assert b"<title>" in response.content


def test_ledger_page_shows_verification(world: Any) -> None:
    client = Client()
    client.force_login(world.users["auditor"])
    assert "Chain verified" in client.get("/ledger/", follow=True).content.decode()


def test_donor_may_not_read_the_ledger(world: Any) -> None:
    client = Client()
    client.force_login(world.users["DEU"])
    assert client.get("/audit/ledger/").status_code == 403


def test_ukrainian_interface_is_offered(world: Any) -> None:
    client = Client()
    client.force_login(world.users["UKR"])
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="uk")
    assert 'lang="uk"' in response.content.decode()
