"""The words of each notification, made when it is shown or sent, in the reader's language."""

from __future__ import annotations

from typing import Any

from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from nsatu.notifications.choices import NotificationKind


def notification_text(kind: str, params: dict[str, Any]) -> str:
    """One sentence saying what happened, from the notification's kind and details."""
    p = params
    if kind == NotificationKind.SHIPMENT_DISPATCHED:
        return _("Shipment %(code)s (%(quantity)s × %(item)s) from %(donor)s was dispatched on %(on)s.") % p
    if kind == NotificationKind.SHIPMENT_ARRIVING:
        return _("Shipment %(code)s left hub %(hub)s on %(on)s for you; planned arrival %(planned)s.") % p
    if kind == NotificationKind.SHIPMENT_OVERDUE:
        return _("Shipment %(code)s was due on %(planned)s and is not received yet.") % p
    if kind == NotificationKind.INVENTORY_DUE:
        if p.get("overdue"):
            return (
                ngettext(
                    "%(count)s item's inventory was due on %(due)s and is overdue.",
                    "%(count)s items' inventories were due on %(due)s and are overdue.",
                    int(p["count"]),
                )
                % p
            )
        return ngettext(
            "%(count)s item needs its %(which)s inventory by %(due)s.",
            "%(count)s items need their %(which)s inventory by %(due)s.",
            int(p["count"]),
        ) % {**p, "which": _("initial") if p.get("initial") else _("annual")}
    if kind == NotificationKind.TRANSFER_REQUESTED:
        return _("%(recipient)s asks your consent to transfer %(item)s %(serial)s to %(party)s.") % p
    if kind == NotificationKind.TRANSFER_DECIDED:
        if p.get("approved"):
            return _("%(donor)s approved the transfer of %(item)s %(serial)s to %(party)s.") % p
        return _("%(donor)s refused the transfer of %(item)s %(serial)s to %(party)s.") % p
    if kind == NotificationKind.PLAN_APPROVED:
        return (
            ngettext(
                "Plan run %(run)s was approved: it commits %(lines)s line of your offers (%(offers)s).",
                "Plan run %(run)s was approved: it commits %(lines)s lines of your offers (%(offers)s).",
                int(p["lines"]),
            )
            % p
        )
    return kind


def notification_title(kind: str) -> str:
    """The kind of event in a few words (the e-mail's subject)."""
    return str(NotificationKind(kind).label)


def text_in(language: str, kind: str, params: dict[str, Any]) -> tuple[str, str]:
    """(title, sentence) in ``language``."""
    with translation.override(language):
        return notification_title(kind), notification_text(kind, params)
