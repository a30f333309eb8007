"""Releasability matrix: each role and nation sees exactly what is releasable to it,
in querysets, pages, API lists and API details (404 for the rest)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from nsatu.core.releasability import releasable
from nsatu.needs.models import Requirement
from nsatu.offers.models import Offer

pytestmark = pytest.mark.django_db

ALL = {"public", "coalition", "listed", "command"}
# (user) -> (visible requirement markings, visible offer markings). Offers are POL's,
# requirements UKR's; DEU leads the artillery coalition; FRA is listed by name.
EXPECTED = {
    "DEU": ({"public", "coalition"}, {"public", "coalition"}),
    "FRA": ({"public", "listed"}, {"public", "listed"}),
    "NOR": ({"public"}, {"public"}),
    "POL": ({"public"}, ALL),
    "UKR": (ALL, {"public"}),
    "coordinator": (ALL, ALL),
    "leadership": (ALL, ALL),
    "auditor": (ALL, ALL),
}


def markings(objects: Any) -> set[str]:
    return {o.code.split("-", 1)[1] for o in objects}


@pytest.mark.parametrize("who", sorted(EXPECTED))
def test_queryset_filter(world: Any, who: str) -> None:
    user = world.users[who]
    want_requirements, want_offers = EXPECTED[who]
    assert markings(releasable(Requirement.objects.all(), user)) == want_requirements
    assert markings(releasable(Offer.objects.all(), user)) == want_offers


def test_anonymous_sees_nothing(world: Any) -> None:
    from django.contrib.auth.models import AnonymousUser

    assert not releasable(Offer.objects.all(), AnonymousUser()).exists()


@pytest.mark.parametrize("who", sorted(EXPECTED))
def test_pages_and_api(world: Any, who: str) -> None:
    client = Client()
    client.force_login(world.users[who])
    want_requirements, want_offers = EXPECTED[who]
    for kind, want, page in (
        ("requirements", want_requirements, "/requirements/"),
        ("offers", want_offers, "/offers/"),
    ):
        prefix = "R" if kind == "requirements" else "O"
        listed = client.get(f"/api/v1/{kind}?limit=100").json()["items"]
        assert {row["id"].split("-", 1)[1] for row in listed} == want, kind
        html = client.get(page).content.decode()
        for marking in ALL:
            code = f"{prefix}-{marking}"
            detail = client.get(f"/api/v1/{kind}/{code}")
            assert detail.status_code == (200 if marking in want else 404), (kind, code)
            assert (f">{code}<" in html) == (marking in want), (page, code)


def test_api_requires_authentication(world: Any) -> None:
    assert Client().get("/api/v1/offers").status_code == 401
