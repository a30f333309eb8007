"""Changes to offers (audited)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from nsatu.catalog.models import ItemType
from nsatu.core.actors import Actor
from nsatu.core.choices import Releasability
from nsatu.core.services import create_record, delete_record, update_record
from nsatu.nations.models import Nation
from nsatu.needs.models import Requirement
from nsatu.offers.models import Offer, OfferStatus


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
    """Put a donor's offer on the table."""
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


def update_offer(
    offer: Offer,
    *,
    actor: Actor,
    expected_version: int | None = None,
    releasable_to: Iterable[Nation] | None = None,
    **changes: Any,
) -> Offer:
    """Change an offer; refused when someone saved it since ``expected_version``."""
    m2m = {"releasable_to": list(releasable_to)} if releasable_to is not None else None
    return update_record(offer, actor=actor, expected_version=expected_version, m2m=m2m, **changes)


def withdraw_offer(offer: Offer, *, actor: Actor, expected_version: int | None = None) -> Offer:
    """Take an offer off the table; the planner will not allocate it."""
    return update_record(
        offer, actor=actor, expected_version=expected_version, action="withdraw", status=OfferStatus.WITHDRAWN
    )


def delete_offer(offer: Offer, *, actor: Actor) -> None:
    delete_record(offer, actor=actor)
