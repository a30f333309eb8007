"""Notifications: told once, to the right people, in the inbox and by e-mail as each chose; the sweep."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core import mail

from nsatu.accounts.services import update_user
from nsatu.core.actors import CLI
from nsatu.core.models import Event
from nsatu.monitoring import services as monitoring
from nsatu.notifications import services
from nsatu.notifications.models import Notification
from nsatu.shipments import services as shipments
from nsatu.shipments.models import Shipment
from tests.monitoring.builders import received
from tests.shipments.builders import approved_run, client_for, shipments_for

pytestmark = pytest.mark.django_db


def kinds(user: Any) -> list[str]:
    return sorted(Notification.objects.filter(user=user).values_list("kind", flat=True))


def test_the_recipient_is_told_of_dispatch_arrival_and_inventories_due(world: Any) -> None:
    _shipment, items = received(world, ["N-1", "N-2"])
    ukr = world.users["UKR"]
    assert kinds(ukr) == ["inventory_due", "shipment_arriving", "shipment_dispatched"]
    due = Notification.objects.get(user=ukr, kind="inventory_due")
    assert due.params["count"] == 2 and due.params["due"] == items[0].inventory_due.isoformat()
    assert kinds(world.users["DEU"]) == [] and kinds(world.users["POL"]) == ["plan_approved"]
    page = client_for(ukr).get("/inbox/").content.decode()
    assert "2 items need their initial inventory by" in page
    assert Event.objects.filter(action="notify").count() == 4


def test_a_transfer_request_awaits_the_donor_and_its_decision_returns_to_the_recipient(world: Any) -> None:
    _shipment, (item, *_rest) = received(world, ["T-1"])
    request = monitoring.request_transfer(item, actor=world.users["UKR"], third_party="Moldova", reason="x")
    told = Notification.objects.get(user=world.users["POL"], kind="transfer_requested")
    assert (
        "asks your consent to transfer PzH 2000 T-1 to Moldova"
        in client_for(world.users["POL"]).get("/inbox/").content.decode()
    )
    assert told.link == "/monitoring/transfers/"
    monitoring.decide_transfer(request, actor=world.users["POL"], approve=True)
    decided = Notification.objects.get(user=world.users["UKR"], kind="transfer_decided")
    assert decided.params["approved"] is True


def test_each_user_chooses_which_events_reach_the_inbox_and_which_the_email(
    world: Any, django_capture_on_commit_callbacks: Any
) -> None:
    ukr = update_user(world.users["UKR"], actor=CLI, email="ukr@example.org")
    services.set_preferences(
        ukr, {"shipment_dispatched": (False, True), "shipment_arriving": (False, False)}, actor=ukr
    )
    update_user(world.users["POL"], actor=CLI, email="pol@example.org")
    world.item.serialised = False
    with django_capture_on_commit_callbacks(execute=True):
        (shipment,) = shipments_for(world, [(world.offers["public"], 2, 3)])
        shipments.dispatch_shipment(shipment, actor=CLI)
        shipment = shipments.arrive_at_hub(shipment, actor=CLI)
        shipments.hand_over_shipment(shipment, actor=CLI)
    dispatched = Notification.objects.get(user=ukr, kind="shipment_dispatched")
    assert not dispatched.in_inbox and dispatched.emailed_at is not None
    assert not Notification.objects.filter(user=ukr, kind="shipment_arriving").exists()
    assert "Nothing to tell you yet." in client_for(ukr).get("/inbox/").content.decode()
    subjects = sorted(m.subject for m in mail.outbox)
    assert subjects == [
        "[NSATU] A shipment to you was dispatched / Поставку для вас відвантажено",
        "[NSATU] An approved plan commits your offers / Затверджений план закріплює ваші пропозиції",
    ]
    to_ukr = next(m for m in mail.outbox if m.to == ["ukr@example.org"])
    assert shipment.code in to_ukr.body and "http://127.0.0.1:8000/shipments/" in to_ukr.body
    assert Event.objects.filter(action="email_notifications").exists()


def test_a_failed_email_stays_pending_and_is_sent_by_the_next_sweep(world: Any, settings: Any) -> None:
    update_user(world.users["POL"], actor=CLI, email="pol@example.org")
    settings.EMAIL_BACKEND = "tests.notifications.failing.FailingBackend"
    approved_run(world, [(world.offers["public"], 1, 3)])
    assert services.send_pending_emails() == 0
    pending = Notification.objects.get(user=world.users["POL"], kind="plan_approved")
    assert pending.wants_email and pending.emailed_at is None
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    services.sweep_notifications(actor=CLI)
    pending.refresh_from_db()
    assert pending.emailed_at is not None and len(mail.outbox) == 1


def test_the_sweep_tells_of_overdue_shipments_and_inventories_once(world: Any) -> None:
    _shipment, items = received(world, ["W-1"], on=dt.date.today() - dt.timedelta(days=85))
    (late,) = shipments_for(world, [(world.offers["public"], 1, 0)])
    today = dt.date.today()
    Shipment.objects.filter(pk=late.pk).update(planned_arrival=today - dt.timedelta(days=1))
    created = services.sweep_notifications(actor=CLI, today=today)
    assert created == 3  # the late shipment to UKR and to POL; W-1's inventory due within 14 days
    assert services.sweep_notifications(actor=CLI, today=today) == 0
    overdue = Notification.objects.get(user=world.users["POL"], kind="shipment_overdue")
    assert overdue.params["code"] == late.code
    later = today + dt.timedelta(days=10)
    assert services.sweep_notifications(actor=CLI, today=later) == 1  # W-1 now overdue
    assert Notification.objects.filter(kind="inventory_due", params__overdue=True).count() == 1
    assert items[0].serial == "W-1"


def test_marking_read_is_audited_and_only_for_your_own(world: Any) -> None:
    received(world, ["R-1"])
    ukr, pol = world.users["UKR"], world.users["POL"]
    mine = Notification.objects.filter(user=ukr).first()
    assert mine is not None
    assert services.mark_read(pol, actor=pol, ids=[mine.pk]) == 0
    client = client_for(ukr)
    client.post("/inbox/read/", {"id": str(mine.pk)})
    mine.refresh_from_db()
    assert mine.read_at is not None
    assert (
        services.unread_count(ukr) == Notification.objects.filter(user=ukr, read_at__isnull=True).count() > 0
    )
    client.post("/inbox/read/", {})
    assert services.unread_count(ukr) == 0
    assert Event.objects.filter(action="read_notifications", object_id=str(ukr.pk)).count() == 2


def test_the_preferences_page_saves_the_choices(world: Any) -> None:
    ukr = world.users["UKR"]
    client_for(ukr).post(
        "/inbox/preferences/", {"inventory_due-inbox": "on", "shipment_dispatched-email": "on"}
    )
    chosen = services.preferences(ukr)
    assert chosen["inventory_due"] == (True, False) and chosen["shipment_dispatched"] == (False, True)
    assert chosen["plan_approved"] == (False, False)
