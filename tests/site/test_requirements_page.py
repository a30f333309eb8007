"""The recipient's requirements list: filters, sorting, inline edits with a version check."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def codes(html: str) -> list[str]:
    import re

    return re.findall(r'<tr id="row-([^"]+)"', html)


def test_filters_and_sorting(world: Any) -> None:
    from nsatu.needs.services import update_requirement

    update_requirement(world.requirements["listed"], actor=world.users["UKR"], priority=1)
    client = client_for(world.users["UKR"])
    assert codes(client.get("/requirements/").content.decode())[0] == "R-listed"
    assert codes(client.get("/requirements/?priority=1").content.decode()) == ["R-listed"]
    assert codes(client.get("/requirements/?sort=id").content.decode()) == sorted(
        ["R-command", "R-coalition", "R-listed", "R-public"]
    )
    assert codes(client.get("/requirements/?q=coal").content.decode()) == ["R-coalition"]


def test_inline_edit_saves_and_records(world: Any) -> None:
    client = client_for(world.users["UKR"])
    requirement = world.requirements["public"]
    form = client.get(
        f"/requirements/{requirement.code}/row/?edit=1", HTTP_HX_REQUEST="true"
    ).content.decode()
    assert 'name="priority"' in form and "hx-post" in form
    saved = client.post(
        f"/requirements/{requirement.code}/row/",
        {"priority": 1, "needed_by": "2027-02-01", "version": requirement.version},
    )
    assert "Saved" in saved.content.decode()
    requirement.refresh_from_db()
    assert requirement.priority == 1 and str(requirement.needed_by) == "2027-02-01"


def test_inline_edit_conflict_and_field_errors(world: Any) -> None:
    client = client_for(world.users["UKR"])
    requirement = world.requirements["public"]
    stale = requirement.version
    client.post(
        f"/requirements/{requirement.code}/row/", {"priority": 1, "needed_by": "2027-02-01", "version": stale}
    )
    html = client.post(
        f"/requirements/{requirement.code}/row/", {"priority": 3, "needed_by": "2027-02-01", "version": stale}
    ).content.decode()
    assert "changed by someone else" in html
    html = client.post(
        f"/requirements/{requirement.code}/row/",
        {"priority": 7, "needed_by": "2027-02-01", "version": stale + 1},
    ).content.decode()
    assert "less than or equal to 5" in html
    requirement.refresh_from_db()
    assert requirement.priority == 1


def test_donors_cannot_edit_requirements(world: Any) -> None:
    client = client_for(world.users["DEU"])
    assert client.get("/requirements/R-public/row/?edit=1").status_code == 403
    assert "hx-get" not in client.get("/requirements/").content.decode()


def test_a_recipient_of_another_nation_changes_nothing_through_the_page(world: Any) -> None:
    """One ownership policy for pages, API and services: the row edit refuses (403) what the API
    refuses, writes nothing and offers no edit button for another nation's requirement."""
    from django.core.exceptions import PermissionDenied

    from nsatu.accounts.services import create_user
    from nsatu.core.actors import CLI
    from nsatu.core.models import Event
    from nsatu.needs.services import update_requirement
    from nsatu.tokens.services import create_api_token
    from tests.api.conftest import ApiClient

    other = create_user(
        actor=CLI,
        username="pol-staff",
        password="x-Secret-123456",
        role="recipient",
        nation=world.nations["POL"],
    )
    requirement = world.requirements["public"]  # Ukraine's, public: the other recipient sees it
    client = client_for(other)
    events = Event.objects.count()
    path = f"/requirements/{requirement.code}/row/"
    assert client.get(path + "?edit=1").status_code == 403
    answer = client.post(path, {"priority": 5, "needed_by": "2027-02-01", "version": requirement.version})
    assert answer.status_code == 403
    listed = client.get("/requirements/").content.decode()
    assert f'id="row-{requirement.code}"' in listed and f"{path}?edit=1" not in listed
    requirement.refresh_from_db()
    assert requirement.priority == 2 and Event.objects.count() == events
    api = ApiClient(create_api_token(actor=CLI, user=other, name="t")[1])
    refused = api.patch(f"/requirements/{requirement.code}", {"version": requirement.version, "priority": 5})
    assert refused.status_code == 403
    assert (
        refused.json()["detail"]
        == f"requirement {requirement.code} is not your nation's: only its recipient may change it"
    )
    with pytest.raises(PermissionDenied, match="not your nation's"):
        update_requirement(requirement, actor=other, priority=5)
    # Ukraine's own representative still edits it through the page.
    mine = client_for(world.users["UKR"]).get("/requirements/").content.decode()
    assert f"{path}?edit=1" in mine
