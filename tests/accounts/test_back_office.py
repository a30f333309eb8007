"""The back office (/admin/): coordinators view and edit, others are turned away, every change is audited."""

from __future__ import annotations

from typing import Any

import pytest
from django.db.models import Model
from django.forms.models import model_to_dict
from django.test import Client

from nsatu.core.ledger import verify_ledger
from nsatu.core.models import Event
from nsatu.logistics.models import Hub
from nsatu.offers.models import Offer

pytestmark = pytest.mark.django_db


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def form_data(obj: Model, **overrides: Any) -> dict[str, Any]:
    """What the admin's change form posts for ``obj`` unchanged, with ``overrides``."""
    data: dict[str, Any] = {}
    for name, value in model_to_dict(obj).items():
        if value is None:
            value = ""
        elif isinstance(value, list):
            value = [getattr(v, "pk", v) for v in value]
        elif isinstance(value, bool):
            if not value:
                continue
            value = "on"
        data[name] = value
    data.update(overrides)
    return data


def events(object_type: str) -> list[Event]:
    return list(Event.objects.filter(object_type=object_type).order_by("seq"))


def test_a_coordinator_reaches_the_back_office_and_sees_the_apps(world: Any) -> None:
    client = client_for(world.users["coordinator"])
    index = client.get("/admin/")
    html = index.content.decode()
    assert index.status_code == 200
    assert "have permission to view or edit anything" not in html
    assert "/admin/offers/offer/" in html and "/admin/needs/requirement/" in html
    listed = client.get("/admin/offers/offer/")
    assert listed.status_code == 200 and "O-public" in listed.content.decode()
    offer = world.offers["command"]
    change = client.get(f"/admin/offers/offer/{offer.pk}/change/")
    assert change.status_code == 200 and 'name="quantity"' in change.content.decode()
    # Read-only records are viewable, not editable.
    assert client.get("/admin/core/event/").status_code == 200
    event = Event.objects.order_by("seq").first()
    assert event is not None
    assert 'name="action"' not in client.get(f"/admin/core/event/{event.pk}/change/").content.decode()


@pytest.mark.parametrize("who", ["POL", "UKR", "leadership", "auditor"])
def test_other_roles_are_turned_away(world: Any, who: str) -> None:
    client = client_for(world.users[who])
    offer = world.offers["public"]
    for path in ("/admin/", "/admin/offers/offer/", f"/admin/offers/offer/{offer.pk}/change/"):
        response = client.get(path)
        assert response.status_code == 302 and "/admin/login/" in response["Location"], path


def test_staff_status_alone_grants_nothing(world: Any) -> None:
    from nsatu.accounts.services import update_user
    from nsatu.core.actors import CLI

    donor = update_user(world.users["POL"], actor=CLI, is_staff=True)
    client = client_for(donor)
    assert "have permission to view or edit anything" in client.get("/admin/").content.decode()
    assert client.get("/admin/offers/offer/").status_code == 403
    assert client.get(f"/admin/offers/offer/{world.offers['public'].pk}/change/").status_code == 403


def test_an_admin_change_goes_through_the_audited_service(world: Any) -> None:
    client = client_for(world.users["coordinator"])
    offer = world.offers["public"]
    before = Event.objects.count()
    response = client.post(
        f"/admin/offers/offer/{offer.pk}/change/",
        form_data(offer, quantity="7", releasability="nations", releasable_to=[world.nations["NOR"].pk]),
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    offer.refresh_from_db()
    assert offer.quantity == 7 and offer.version == 2
    assert list(offer.releasable_to.values_list("iso3", flat=True)) == ["NOR"]
    (event,) = Event.objects.filter(seq__gt=before)  # one event holds the fields and the relations
    assert (event.action, event.object_type, event.object_id, event.actor) == (
        "update",
        "offers.offer",
        str(offer.pk),
        "coord",
    )
    assert event.payload["changes"]["quantity"] == [2.0, 7.0]
    assert event.payload["changes"]["releasability"] == ["public", "nations"]
    assert event.payload["changes"]["releasable_to"] == [[], ["NOR"]]  # codes, not keys
    assert verify_ledger().ok


def test_saving_unchanged_records_nothing(world: Any) -> None:
    client = client_for(world.users["coordinator"])
    offer = world.offers["public"]
    before = Event.objects.count()
    assert client.post(f"/admin/offers/offer/{offer.pk}/change/", form_data(offer)).status_code == 302
    assert Event.objects.count() == before


def test_admin_add_and_delete_are_audited(world: Any) -> None:
    client = client_for(world.users["coordinator"])
    response = client.post(
        "/admin/logistics/hub/add/",
        {"code": "JES", "name": "Jasionka", "nation": world.nations["POL"].pk, "capacity_t_per_week": "300"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    hub = Hub.objects.get(code="JES")
    (created,) = events("logistics.hub")
    assert created.action == "create" and created.object_id == str(hub.pk)
    assert created.payload["capacity_t_per_week"] == 300
    response = client.post(f"/admin/logistics/hub/{hub.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not Hub.objects.filter(code="JES").exists()
    assert [e.action for e in events("logistics.hub")] == ["create", "delete"]
    assert verify_ledger().ok


def test_a_refused_admin_save_leaves_no_event(world: Any) -> None:
    client = client_for(world.users["coordinator"])
    offer = world.offers["public"]
    before = Event.objects.count()
    response = client.post(f"/admin/offers/offer/{offer.pk}/change/", form_data(offer, quantity="-1"))
    assert response.status_code == 200  # the form again, with the error
    assert Event.objects.count() == before
    assert Offer.objects.get(pk=offer.pk).quantity == 2


def test_groups_are_for_superusers_and_audited(world: Any) -> None:
    from django.contrib.auth.models import Group, Permission

    from nsatu.accounts.services import create_user
    from nsatu.core.actors import CLI

    assert client_for(world.users["coordinator"]).get("/admin/auth/group/").status_code == 403
    root = create_user(
        actor=CLI, username="root", password="x-Secret-123456", role="coordinator", is_superuser=True
    )
    client = client_for(root)
    view = Permission.objects.get(codename="view_offer")
    response = client.post("/admin/auth/group/add/", {"name": "readers", "permissions": [view.pk]})
    assert response.status_code == 302, response.content.decode()[:2000]
    group = Group.objects.get(name="readers")
    (event,) = events("auth.group")
    assert event.action == "create" and event.actor == "root"
    assert event.payload["permissions"] == [view.pk]
    page = client.get(f"/admin/accounts/user/{world.users['NOR'].pk}/change/").content.decode()
    assert 'name="is_superuser"' in page and 'name="groups"' in page
    assert group.permissions.count() == 1


def test_a_second_back_office_save_over_a_stale_form_is_refused(world: Any) -> None:
    from nsatu.core.actors import CLI
    from nsatu.needs.services import update_requirement

    client = client_for(world.users["coordinator"])
    requirement = world.requirements["public"]
    page = client.get(f"/admin/needs/requirement/{requirement.pk}/change/").content.decode()
    assert 'name="edited_version" value="1"' in page  # the form remembers the version it shows
    update_requirement(requirement, actor=CLI, priority=2)  # someone else saves meanwhile
    before = Event.objects.count()
    stale = form_data(requirement, priority="5", edited_version="1")
    response = client.post(f"/admin/needs/requirement/{requirement.pk}/change/", stale)
    assert response.status_code == 200
    assert "was changed by someone else (version 2, you edited version 1)" in response.content.decode()
    requirement.refresh_from_db()
    assert (requirement.priority, requirement.version, Event.objects.count()) == (2, 2, before)
    fresh = form_data(requirement, priority="5", edited_version="2")
    assert client.post(f"/admin/needs/requirement/{requirement.pk}/change/", fresh).status_code == 302
    requirement.refresh_from_db()
    assert (requirement.priority, requirement.version) == (5, 3)


def test_a_save_racing_past_the_form_check_is_refused_by_the_service_not_a_500(
    world: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Someone saves between the form's version check and the service's row lock."""
    from django import forms

    from nsatu.core.actors import CLI
    from nsatu.core.admin_base import VersionCheckedForm
    from nsatu.needs.services import update_requirement

    monkeypatch.setattr(VersionCheckedForm, "clean", forms.ModelForm.clean)  # the window, held open
    client = client_for(world.users["coordinator"])
    requirement = world.requirements["public"]
    update_requirement(requirement, actor=CLI, priority=2)
    before = Event.objects.count()
    path = f"/admin/needs/requirement/{requirement.pk}/change/"
    response = client.post(path, form_data(requirement, priority="5", edited_version="1"), follow=True)
    assert response.status_code == 200 and response.redirect_chain == [(path, 302)]
    assert "was changed by someone else (version 2, you edited version 1)" in response.content.decode()
    requirement.refresh_from_db()
    assert (requirement.priority, requirement.version, Event.objects.count()) == (2, 2, before)
