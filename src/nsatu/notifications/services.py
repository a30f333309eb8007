"""Telling people (audited): notifications into each person's inbox and, as they chose, by e-mail.

Services elsewhere call the ``notify_*`` functions inside their own
transaction, so a notification exists only if the change it tells of was
made; e-mails leave after the commit, through Django's mail backend (the
console unless configured). ``sweep_notifications`` tells of what time brings:
shipments overdue and inventories coming due or overdue.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from nsatu.accounts.models import User
from nsatu.core.actors import Actor
from nsatu.core.choices import Role
from nsatu.core.ledger import NewEvent, append_events
from nsatu.notifications.choices import NotificationKind
from nsatu.notifications.models import Notification, NotificationPreference
from nsatu.notifications.texts import text_in

if TYPE_CHECKING:
    from nsatu.monitoring.models import MonitoredItem, TransferRequest
    from nsatu.planning.models import PlanRun
    from nsatu.shipments.models import Shipment

logger = logging.getLogger(__name__)

# How long before an inventory is due its holder is reminded.
REMINDER_DAYS = 14


@dataclass(frozen=True)
class Occasion:
    """One thing to tell a set of people: its kind, its key (told once), details and where to look."""

    kind: str
    key: str
    params: dict[str, Any]
    link: str = ""


def representatives(nation_id: int | None, role: str) -> QuerySet[User]:
    """The active users who represent a nation in a role."""
    if nation_id is None:
        return User.objects.none()
    return User.objects.filter(nation_id=nation_id, role=role, is_active=True)


def representatives_of(nation_ids: Iterable[int | None], role: str) -> dict[int, list[User]]:
    """The active users representing each of these nations in a role, in one query."""
    found: dict[int, list[User]] = defaultdict(list)
    for user in User.objects.filter(nation_id__in=[n for n in nation_ids if n], role=role, is_active=True):
        assert user.nation_id is not None
        found[user.nation_id].append(user)
    return found


def preferences(user: User) -> dict[str, tuple[bool, bool]]:
    """Per kind, (in the inbox, by e-mail): what the user chose, else both."""
    chosen = {p.kind: (p.inbox, p.email) for p in user.notification_preferences.all()}
    return {kind: chosen.get(kind, (True, True)) for kind in NotificationKind.values}


def set_preferences(user: User, choices: Mapping[str, tuple[bool, bool]], *, actor: Actor) -> None:
    """Record which kinds of event reach the user's inbox and e-mail."""
    unknown = sorted(set(choices) - set(NotificationKind.values))
    if unknown:
        raise ValueError(f"unknown notification kinds: {', '.join(unknown)}")
    with transaction.atomic():
        for kind, (inbox, email) in sorted(choices.items()):
            NotificationPreference.objects.update_or_create(
                user=user, kind=kind, defaults={"inbox": inbox, "email": email}
            )
        append_events(
            [
                NewEvent(
                    action="set_notification_preferences",
                    object_type="accounts.user",
                    object_id=user.pk,
                    payload={k: {"inbox": i, "email": e} for k, (i, e) in sorted(choices.items())},
                )
            ],
            actor=actor,
        )


def deliver(occasions: Iterable[tuple[Occasion, Iterable[User]]], *, actor: Actor) -> list[Notification]:
    """Tell each occasion's people once, as they chose; one ledger event per occasion told.

    Must run in the transaction of the change it tells of; a fixed number of
    queries however many occasions and people. E-mails leave after it commits.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("notifications are delivered inside the transaction of the change")
    pending = [(occasion, {u.pk: u for u in people}) for occasion, people in occasions]
    pending = [(occasion, users) for occasion, users in pending if users]
    if not pending:
        return []
    user_ids = {pk for _occasion, users in pending for pk in users}
    keys = {occasion.key[:120] for occasion, _users in pending}
    told = set(
        Notification.objects.filter(user_id__in=user_ids, key__in=keys).values_list("user_id", "kind", "key")
    )
    chosen = {
        (p.user_id, p.kind): (p.inbox, p.email)
        for p in NotificationPreference.objects.filter(user_id__in=user_ids)
    }
    created: list[Notification] = []
    events: list[NewEvent] = []
    for occasion, users in pending:
        key = occasion.key[:120]
        rows = []
        for pk, user in sorted(users.items()):
            inbox, email = chosen.get((pk, occasion.kind), (True, True))
            wants_email = email and bool(user.email)
            if (pk, occasion.kind, key) in told or not (inbox or wants_email):
                continue
            told.add((pk, occasion.kind, key))
            rows.append(
                Notification(
                    user=user,
                    kind=occasion.kind,
                    key=key,
                    params=occasion.params,
                    link=occasion.link,
                    in_inbox=inbox,
                    wants_email=wants_email,
                )
            )
        if not rows:
            continue
        created.extend(rows)
        events.append(
            NewEvent(
                action="notify",
                object_type="notifications.notification",
                object_id=key[:64],
                payload={
                    "kind": occasion.kind,
                    "params": occasion.params,
                    "users": sorted(r.user.username for r in rows),
                },
            )
        )
    Notification.objects.bulk_create(created)
    append_events(events, actor=actor)
    if any(n.wants_email for n in created):
        transaction.on_commit(send_pending_emails)
    return created


def send_pending_emails(*, limit: int = 500) -> int:
    """Send the e-mails of notifications not sent yet; each sent one is marked and audited.

    A failure to send is logged and the notification stays pending, for the
    next sweep to try again.
    """
    from nsatu.core.actors import SystemActor

    pending = list(
        Notification.objects.filter(wants_email=True, emailed_at__isnull=True)
        .select_related("user")
        .order_by("pk")[:limit]
    )
    sent: list[Notification] = []
    for notification in pending:
        english = text_in("en", notification.kind, notification.params)
        ukrainian = text_in("uk", notification.kind, notification.params)
        link = notification.link
        base = getattr(settings, "NSATU_SITE_URL", "").rstrip("/")
        body = "\n\n".join(
            part for part in (english[1], ukrainian[1], f"{base}{link}" if link else "") if part
        )
        try:
            send_mail(
                subject=f"[NSATU] {english[0]} / {ukrainian[0]}",
                message=body,
                from_email=settings.DEFAULT_FROM_EMAIL,
                recipient_list=[notification.user.email],
            )
        except Exception:  # an outage of the mail server must not lose the notification
            logger.exception(
                "e-mail of notification %s to %s failed", notification.pk, notification.user.email
            )
            continue
        sent.append(notification)
    if sent:
        with transaction.atomic():
            now = timezone.now()
            Notification.objects.filter(pk__in=[n.pk for n in sent]).update(emailed_at=now)
            append_events(
                [
                    NewEvent(
                        action="email_notifications",
                        object_type="notifications.notification",
                        payload={"sent": [[n.pk, n.user.email] for n in sent]},
                    )
                ],
                actor=SystemActor("mail"),
            )
    return len(sent)


def mark_read(user: User, *, actor: Actor, ids: Sequence[int] | None = None) -> int:
    """Mark the user's notifications read: these ``ids``, or all unread ones."""
    with transaction.atomic():
        unread = Notification.objects.filter(user=user, read_at__isnull=True)
        if ids is not None:
            unread = unread.filter(pk__in=list(ids))
        marked = sorted(unread.values_list("pk", flat=True))
        if not marked:
            return 0
        Notification.objects.filter(pk__in=marked).update(read_at=timezone.now())
        append_events(
            [
                NewEvent(
                    action="read_notifications",
                    object_type="accounts.user",
                    object_id=user.pk,
                    payload={"notifications": marked},
                )
            ],
            actor=actor,
        )
    return len(marked)


def unread_count(user: Any) -> int:
    """How many inbox notifications the user has not read."""
    if not getattr(user, "is_authenticated", False):
        return 0
    return Notification.objects.filter(user=user, in_inbox=True, read_at__isnull=True).count()


# --- what the other apps tell --------------------------------------------------------------------


def _shipment_params(shipment: Shipment, on: dt.date) -> dict[str, Any]:
    return {
        "code": shipment.code,
        "item": shipment.item_type.name,
        "quantity": f"{shipment.quantity:g}",
        "donor": shipment.donor.iso3,
        "hub": shipment.hub.code,
        "on": on.isoformat(),
        "planned": shipment.planned_arrival.isoformat(),
    }


def _shipment_link(shipment: Shipment) -> str:
    return reverse("shipment-detail", args=[shipment.code])


def notify_shipment_dispatched(shipment: Shipment, *, on: dt.date, actor: Actor) -> None:
    """The recipient's representatives: a shipment to them left the donor."""
    occasion = Occasion(
        NotificationKind.SHIPMENT_DISPATCHED,
        f"dispatched:{shipment.code}",
        _shipment_params(shipment, on),
        _shipment_link(shipment),
    )
    deliver([(occasion, representatives(shipment.recipient_id, Role.RECIPIENT))], actor=actor)


def notify_shipment_arriving(shipment: Shipment, *, on: dt.date, actor: Actor) -> None:
    """The recipient's representatives: the hub handed a shipment over to come to them."""
    occasion = Occasion(
        NotificationKind.SHIPMENT_ARRIVING,
        f"arriving:{shipment.code}",
        _shipment_params(shipment, on),
        reverse("shipment-receipts"),
    )
    deliver([(occasion, representatives(shipment.recipient_id, Role.RECIPIENT))], actor=actor)


def notify_inventory_due(items: Sequence[MonitoredItem], *, actor: Actor, stage: str = "due") -> None:
    """The holders' representatives: items whose (initial or annual) inventory is due, by due date.

    ``stage`` is ``due`` (told at receipt or inventory), ``reminder`` (soon due) or ``overdue``.
    """
    overdue = stage == "overdue"
    groups: dict[tuple[int, dt.date, bool], list[MonitoredItem]] = defaultdict(list)
    for item in items:
        groups[(item.recipient_id, item.inventory_due, item.initial_inventory_on is None)].append(item)
    occasions = []
    people = representatives_of({recipient for recipient, _due, _initial in groups}, Role.RECIPIENT)
    for (recipient, due, initial), group in sorted(groups.items(), key=lambda g: (g[0][0], g[0][1], g[0][2])):
        prefix = f"inventory-{stage}"
        serials = sorted(i.serial for i in group)
        key = f"{prefix}:{due.isoformat()}:{group[0].received_in.code if initial else 'annual'}"
        params = {
            "count": len(group),
            "due": due.isoformat(),
            "initial": initial,
            "overdue": overdue,
            "serials": serials[:50],
        }
        occasions.append(
            (
                Occasion(NotificationKind.INVENTORY_DUE, key, params, reverse("monitoring-inventory-new")),
                people.get(recipient, []),
            )
        )
    deliver(occasions, actor=actor)


def _transfer_params(request: TransferRequest) -> dict[str, Any]:
    item = request.item
    return {
        "item": item.item_type.name,
        "serial": item.serial,
        "party": request.third_party,
        "recipient": item.recipient.iso3,
        "donor": item.donor.iso3,
        "approved": request.state == "approved",
    }


def notify_transfer_requested(request: TransferRequest, *, actor: Actor) -> None:
    """The donor's representatives: a transfer request awaits their decision."""
    occasion = Occasion(
        NotificationKind.TRANSFER_REQUESTED,
        f"transfer:{request.pk}",
        _transfer_params(request),
        reverse("monitoring-transfers"),
    )
    deliver([(occasion, representatives(request.item.donor_id, Role.DONOR))], actor=actor)


def notify_transfer_decided(request: TransferRequest, *, actor: Actor) -> None:
    """The recipient's representatives: the donor decided their transfer request."""
    occasion = Occasion(
        NotificationKind.TRANSFER_DECIDED,
        f"transfer-decided:{request.pk}",
        _transfer_params(request),
        reverse("monitoring-transfers"),
    )
    deliver([(occasion, representatives(request.item.recipient_id, Role.RECIPIENT))], actor=actor)


def notify_plan_approved(run: PlanRun, *, actor: Actor) -> None:
    """Each donor's representatives: an approved plan commits these of their offers."""
    per_donor: dict[int, list[str]] = defaultdict(list)
    lines: dict[int, int] = defaultdict(int)
    for line in run.allocations.select_related("offer"):
        per_donor[line.offer.donor_id].append(line.offer.code)
        lines[line.offer.donor_id] += 1
    occasions = []
    people = representatives_of(per_donor, Role.DONOR)
    for donor, offers in sorted(per_donor.items()):
        codes = sorted(set(offers))
        params = {"run": run.pk, "lines": lines[donor], "offers": ", ".join(codes[:20])}
        occasions.append(
            (
                Occasion(NotificationKind.PLAN_APPROVED, f"approved:{run.pk}", params, reverse("my-offers")),
                people.get(donor, []),
            )
        )
    deliver(occasions, actor=actor)


def sweep_notifications(*, actor: Actor, today: dt.date | None = None) -> int:
    """Tell of what time brought: shipments past their planned arrival, inventories due soon or overdue.

    Each occasion is told once, so the sweep can run as often as wanted (the
    web server's loop runs it hourly; ``nsatu notifications sweep`` by hand).
    Then sends e-mails that could not be sent before. Returns the number of
    notifications created.
    """
    from nsatu.monitoring.choices import IN_CUSTODY
    from nsatu.monitoring.models import MonitoredItem
    from nsatu.shipments.choices import ShipmentState
    from nsatu.shipments.models import Shipment

    day = today or timezone.localdate()
    created = 0
    with transaction.atomic():
        late = Shipment.objects.filter(planned_arrival__lt=day).exclude(state=ShipmentState.RECEIVED)
        late_list = list(late.select_related("item_type", "donor", "hub").order_by("code"))
        recipients = representatives_of({s.recipient_id for s in late_list}, Role.RECIPIENT)
        donors = representatives_of({s.donor_id for s in late_list}, Role.DONOR)
        occasions = []
        for shipment in late_list:
            occasion = Occasion(
                NotificationKind.SHIPMENT_OVERDUE,
                f"overdue:{shipment.code}",
                _shipment_params(shipment, day),
                _shipment_link(shipment),
            )
            people = [*recipients.get(shipment.recipient_id, []), *donors.get(shipment.donor_id, [])]
            occasions.append((occasion, people))
        created += len(deliver(occasions, actor=actor))
        held = MonitoredItem.objects.filter(state__in=IN_CUSTODY).select_related("received_in")
        soon = list(
            held.filter(inventory_due__gte=day, inventory_due__lte=day + dt.timedelta(days=REMINDER_DAYS))
        )
        before = Notification.objects.count()
        notify_inventory_due(soon, actor=actor, stage="reminder")
        notify_inventory_due(list(held.filter(inventory_due__lt=day)), actor=actor, stage="overdue")
        created += Notification.objects.count() - before
    send_pending_emails()
    return created
