"""User changes are audited like every other change: services, the user admin and the demo logins."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client

from nsatu.accounts.models import User
from nsatu.accounts.services import create_user, deactivate_user, update_user
from nsatu.core.actors import CLI
from nsatu.core.ledger import verify_ledger
from nsatu.core.models import Event
from tests.accounts.test_back_office import client_for, form_data

pytestmark = pytest.mark.django_db


def user_events(user: User) -> list[Event]:
    return list(Event.objects.filter(object_type="accounts.user", object_id=str(user.pk)).order_by("seq"))


def test_create_user_records_the_user_and_never_the_password(world: Any) -> None:
    user = create_user(actor=CLI, username="new", password="a-Long-secret-123", role="coordinator")
    (event,) = user_events(user)
    assert event.action == "create" and event.actor == "system:cli"
    assert event.payload["role"] == "coordinator" and event.payload["is_staff"] is True
    assert "a-Long-secret-123" not in str(event.payload) and user.password not in str(event.payload)
    recipient = create_user(
        actor=CLI, username="r2", password=None, role="recipient", nation=world.nations["UKR"]
    )
    assert not recipient.has_usable_password() and recipient.is_staff is False


def test_update_user_records_each_change_as_before_and_after(world: Any) -> None:
    user = world.users["NOR"]
    updated = update_user(
        user, actor=world.users["coordinator"], role="recipient", nation=world.nations["UKR"]
    )
    assert (updated.role, updated.nation.iso3) == ("recipient", "UKR")
    event = user_events(user)[-1]
    assert event.action == "update" and event.actor == "coord" and event.nation == ""
    assert event.payload == {"changes": {"role": ["donor", "recipient"], "nation": ["NOR", "UKR"]}}
    count = len(user_events(user))
    update_user(updated, actor=CLI, role="recipient")  # no change, no event
    assert len(user_events(user)) == count


def test_a_password_change_is_recorded_without_the_password(world: Any) -> None:
    user = world.users["FRA"]
    updated = update_user(user, actor=CLI, password="another-Secret-987")
    assert updated.check_password("another-Secret-987")
    event = user_events(user)[-1]
    assert event.payload == {"changes": {}, "password": "set"}
    assert "another-Secret-987" not in str(event.payload) and updated.password not in str(event.payload)
    disabled = update_user(updated, actor=CLI, usable_password=False)
    assert not disabled.has_usable_password()
    assert user_events(user)[-1].payload == {"changes": {}, "password": "disabled"}


def test_deactivation_keeps_the_user_and_records_it_once(world: Any) -> None:
    user = world.users["DEU"]
    gone = deactivate_user(user, actor=world.users["coordinator"], reason="left the post")
    assert User.objects.filter(pk=user.pk, is_active=False).exists() and not gone.is_active
    event = user_events(user)[-1]
    assert event.action == "deactivate" and event.payload == {"username": "deu", "reason": "left the post"}
    count = Event.objects.count()
    deactivate_user(gone, actor=CLI)
    assert Event.objects.count() == count
    refused = Client().post("/login/", {"username": "deu", "password": "x-Secret-123456"})
    assert refused.status_code == 200 and "_auth_user_id" not in refused.client.session
    back = update_user(gone, actor=CLI, is_active=True)
    assert back.is_active and user_events(user)[-1].payload == {"changes": {"is_active": [False, True]}}
    assert verify_ledger().ok


def test_nobody_deactivates_themselves(world: Any) -> None:
    coordinator = world.users["coordinator"]
    with pytest.raises(ValidationError):
        deactivate_user(coordinator, actor=coordinator)
    assert User.objects.get(pk=coordinator.pk).is_active


def test_refused_changes_leave_neither_change_nor_event(world: Any) -> None:
    coordinator = world.users["coordinator"]
    count = Event.objects.count()
    with pytest.raises(PermissionDenied):
        update_user(world.users["POL"], actor=coordinator, is_superuser=True)
    with pytest.raises(ValidationError):  # a donor needs a nation
        update_user(world.users["POL"], actor=coordinator, nation=None)
    with pytest.raises(TypeError):
        update_user(world.users["POL"], actor=coordinator, password_hash="x")
    assert Event.objects.count() == count
    assert User.objects.get(pk=world.users["POL"].pk).nation_id == world.nations["POL"].pk


# --- the user admin ---------------------------------------------------------------------


def test_the_user_admin_saves_through_update_user(world: Any) -> None:
    client = client_for(world.users["coordinator"])
    user = world.users["NOR"]
    page = client.get(f"/admin/accounts/user/{user.pk}/change/").content.decode()
    assert 'name="role"' in page and 'name="is_superuser"' not in page  # not for a coordinator
    response = client.post(
        f"/admin/accounts/user/{user.pk}/change/",
        form_data(user, role="leadership", nation="", is_superuser="on", email="nor@example.org"),
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    user.refresh_from_db()
    assert (user.role, user.nation_id, user.email, user.is_superuser) == (
        "leadership",
        None,
        "nor@example.org",
        False,
    )
    event = user_events(user)[-1]
    assert event.action == "update" and event.actor == "coord"
    assert event.payload["changes"] == {
        "role": ["donor", "leadership"],
        "nation": ["NOR", ""],
        "email": ["", "nor@example.org"],
    }


def test_the_user_admin_adds_changes_passwords_and_deactivates_through_the_services(world: Any) -> None:
    client = client_for(world.users["coordinator"])
    response = client.post(
        "/admin/accounts/user/add/",
        {
            "username": "est",
            "role": "donor",
            "nation": world.nations["NOR"].pk,
            "usable_password": "true",
            "password1": "a-Long-secret-123",
            "password2": "a-Long-secret-123",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    user = User.objects.get(username="est")
    assert user.check_password("a-Long-secret-123") and user.nation == world.nations["NOR"]
    assert [e.action for e in user_events(user)] == ["create"]

    response = client.post(
        f"/admin/accounts/user/{user.pk}/password/",
        {"set_usable_password": "true", "password1": "b-Long-secret-456", "password2": "b-Long-secret-456"},
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    user.refresh_from_db()
    assert user.check_password("b-Long-secret-456")
    assert user_events(user)[-1].payload == {"changes": {}, "password": "set"}

    assert client.get(f"/admin/accounts/user/{user.pk}/delete/").status_code == 403
    response = client.post(
        "/admin/accounts/user/", {"action": "deactivate_selected", "_selected_action": [user.pk]}
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert not user.is_active and user_events(user)[-1].action == "deactivate"
    assert verify_ledger().ok


def test_a_donor_without_a_nation_is_refused_by_the_add_form(world: Any) -> None:
    client = client_for(world.users["coordinator"])
    count = Event.objects.count()
    response = client.post(
        "/admin/accounts/user/add/",
        {"username": "nobody", "role": "donor", "usable_password": "false"},
    )
    assert response.status_code == 200 and not User.objects.filter(username="nobody").exists()
    assert Event.objects.count() == count


def test_a_coordinator_cannot_change_a_superuser(world: Any) -> None:
    root = create_user(
        actor=CLI, username="root", password="x-Secret-123456", role="coordinator", is_superuser=True
    )
    client = client_for(world.users["coordinator"])
    view = client.get(f"/admin/accounts/user/{root.pk}/change/")  # read-only for a coordinator
    assert view.status_code == 200 and 'name="role"' not in view.content.decode()
    assert client.post(f"/admin/accounts/user/{root.pk}/change/", form_data(root)).status_code == 403
    assert (
        client.post(
            f"/admin/accounts/user/{root.pk}/password/",
            {
                "set_usable_password": "true",
                "password1": "b-Long-secret-456",
                "password2": "b-Long-secret-456",
            },
        ).status_code
        == 403
    )
    root.refresh_from_db()
    assert root.check_password("x-Secret-123456")


def test_demo_logins_reset_a_lost_password_through_update_user(
    world: Any, settings: Any, tmp_path: Path
) -> None:
    from nsatu.accounts.demo import ensure_demo_users

    settings.VAR_DIR = tmp_path
    first = {login.username: login.password for login in ensure_demo_users()}
    (tmp_path / "demo-logins.json").unlink()
    second = {login.username: login.password for login in ensure_demo_users()}
    user = User.objects.get(username="coordinator")
    assert user.check_password(second["coordinator"]) and second["coordinator"] != first["coordinator"]
    assert [e.action for e in user_events(user)] == ["create", "update"]
    assert user_events(user)[-1].payload == {"changes": {}, "password": "set"}
