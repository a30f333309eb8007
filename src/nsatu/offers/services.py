"""Changes to offers (audited)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from nsatu.catalog.models import ItemType
from nsatu.core.actors import Actor
from nsatu.core.choices import Releasability, Role
from nsatu.core.ownership import ensure_coordinator, ensure_own_nation, ensure_owner
from nsatu.core.services import RecordInUseError, create_record, delete_record, runs_naming, update_record
from nsatu.core.tables import whole_number_problem
from nsatu.nations.models import Nation
from nsatu.needs.models import Requirement
from nsatu.offers.models import Offer, OfferStatus
from nsatu.planner.io import format_number
from nsatu.planning.models import (
    committed_by_offer,
    held_by_offer,
    quantity_tolerance,
    taken_by_offer,
    uncommitted,
)


def create_offer(
    *,
    actor: Actor,
    code: str,
    donor: Nation,
    item_type: ItemType,
    quantity: float,
    available_from: dt.date,
    earmark: Requirement | None = None,
    status: str = OfferStatus.OFFERED,
    note: str = "",
    releasability: str = Releasability.PUBLIC,
    releasable_to: Iterable[Nation] = (),
) -> Offer:
    """Put a donor's offer on the table (its representative, or a coordinator)."""
    ensure_own_nation(actor, donor.pk, Role.DONOR, doing=_("make offers"))
    _check_whole(item_type, quantity)
    return create_record(
        Offer,
        actor=actor,
        m2m={"releasable_to": list(releasable_to)},
        code=code,
        donor=donor,
        item_type=item_type,
        quantity=quantity,
        available_from=available_from,
        earmark=earmark,
        status=status,
        note=note,
        releasability=releasability,
    )


def _check_whole(item_type: ItemType, quantity: float) -> None:
    """Countable items are offered in whole numbers (``ValidationError`` on ``quantity``)."""
    problem = whole_number_problem(float(quantity), item_type.is_whole, item_type.name)
    if problem:
        raise ValidationError({"quantity": problem})


def update_offer(
    offer: Offer,
    *,
    actor: Actor,
    expected_version: int | None = None,
    releasable_to: Iterable[Nation] | None = None,
    **changes: Any,
) -> Offer:
    """Change an offer; refused when someone saved it since ``expected_version``.

    What approved plans committed of the offer binds it: its quantity may not go
    below that (``ValidationError``), and its status follows it: ``allocated``
    when nothing is left uncommitted, ``offered`` while something is; asking to
    withdraw it takes only the uncommitted rest off the table (its quantity
    becomes what is committed). An offer allocated without committed lines (as
    an import may say) stays allocated unless it is withdrawn.
    """
    ensure_owner(actor, offer, owner_field="donor", role=Role.DONOR, doing=_("change it"))
    m2m = {"releasable_to": list(releasable_to)} if releasable_to is not None else None
    with transaction.atomic():
        current = Offer.objects.select_for_update().select_related("item_type").get(pk=offer.pk)
        if "quantity" in changes or "item_type" in changes:
            _check_whole(
                changes.get("item_type", current.item_type), changes.get("quantity", current.quantity)
            )
        changes = _bound_by_commitments(current, changes)
        return update_record(offer, actor=actor, expected_version=expected_version, m2m=m2m, **changes)


def _bound_by_commitments(offer: Offer, changes: dict[str, Any]) -> dict[str, Any]:
    """``changes`` made consistent with what approved plans took of ``offer`` (locked): its
    committed aid, and what suspensions hold and withdrawals took back of it."""
    committed = taken_by_offer().get(offer.pk, 0.0)
    quantity = float(changes.get("quantity", offer.quantity))
    status = changes.get("status", offer.status)
    if committed == 0:
        if offer.status == OfferStatus.ALLOCATED and status == OfferStatus.OFFERED:
            return {**changes, "status": OfferStatus.ALLOCATED}
        return changes
    if committed > quantity + quantity_tolerance(quantity):
        raise ValidationError(
            {
                "quantity": _(
                    "Approved plans have committed %(committed)s of offer %(code)s: "
                    "its quantity cannot be less."
                )
                % {"committed": format_number(committed), "code": offer.code}
            }
        )
    if status == OfferStatus.WITHDRAWN:
        return {**changes, "quantity": committed, "status": OfferStatus.ALLOCATED}
    left = uncommitted(quantity, committed)
    return {**changes, "status": OfferStatus.OFFERED if left > 0 else OfferStatus.ALLOCATED}


class OfferError(Exception):
    """An offer change that cannot be made; the message says why and what to do instead."""


def withdraw_offer(offer: Offer, *, actor: Actor, expected_version: int | None = None) -> Offer:
    """Take an offer off the table; the planner will not allocate it.

    Of an offer approved plans have partly committed, only the uncommitted rest
    is taken off: its quantity becomes what is committed, and it is allocated.
    An offer with no rest is refused (``OfferError``): its committed aid is
    suspended or withdrawn through ``nsatu.commitments.services.decommit_offer``.
    """
    ensure_owner(actor, offer, owner_field="donor", role=Role.DONOR, doing=_("withdraw it"))
    with transaction.atomic():
        current = Offer.objects.select_for_update().get(pk=offer.pk)
        taken = taken_by_offer().get(current.pk, 0.0)
        if taken > 0 and uncommitted(current.quantity, taken) == 0:
            raise OfferError(
                _(
                    "Offer %(code)s has nothing left on the table: approved plans took all of it. "
                    "To take back committed aid, suspend or withdraw it (page: Committed aid; "
                    "API: POST /api/v1/offers/%(code)s/commitments/withdraw)."
                )
                % {"code": current.code}
            )
        changes = _bound_by_commitments(current, {"status": OfferStatus.WITHDRAWN})
        return update_record(
            offer, actor=actor, expected_version=expected_version, action="withdraw", **changes
        )


def delete_offer(offer: Offer, *, actor: Actor) -> Offer | None:
    """Delete an offer (coordinators; donors withdraw it); returns None.

    An offer plan runs or shipments name is their record: it is retired instead
    (status ``retired``, event ``retire``: out of planning, kept for the records)
    and returned. Refused (``RecordInUseError``) while approved plans commit aid of
    it, a suspension holds some, or a shipment of it is still to arrive.
    """
    ensure_coordinator(actor, doing=_("delete offers (withdraw it instead)"))
    with transaction.atomic():
        current = Offer.objects.select_for_update().get(pk=offer.pk)
        runs = runs_naming(current.allocations.all())
        if not runs and not current.shipments.exists():
            delete_record(current, actor=actor)
            return None
        held = committed_by_offer().get(current.pk, 0.0) + held_by_offer().get(current.pk, 0.0)
        moving = current.shipments.exclude(state__in=["received", "cancelled"]).count()
        if held > 0 or moving:
            raise RecordInUseError(
                _(
                    "Offer %(code)s cannot be deleted or retired: approved plans commit or hold %(held)s "
                    "of it and %(moving)s of its shipments are still to arrive. Take its committed aid "
                    "back first (Committed aid)."
                )
                % {"code": current.code, "held": format_number(held), "moving": moving}
            )
        return (
            update_record(current, actor=actor, action="retire", status=OfferStatus.RETIRED)
            if current.status != OfferStatus.RETIRED
            else current
        )
