"""Services validate, record and refuse stale edits."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from nsatu.catalog.services import create_capability, create_family
from nsatu.core.actors import CLI
from nsatu.core.models import Event
from nsatu.core.services import ConflictError
from nsatu.needs.services import create_requirement, update_requirement
from nsatu.offers.models import OfferStatus
from nsatu.offers.services import update_offer, withdraw_offer

pytestmark = pytest.mark.django_db


def test_update_records_the_difference(world: Any) -> None:
    requirement = world.requirements["public"]
    update_requirement(requirement, actor=world.users["UKR"], priority=1)
    event = Event.objects.order_by("-seq").first()
    assert event is not None
    assert event.action == "update" and event.object_id == str(requirement.pk)
    assert event.payload["changes"] == {"priority": [2, 1]}
    assert event.actor == "ukr" and event.nation == "UKR"


def test_second_save_of_the_same_version_is_refused(world: Any) -> None:
    offer = world.offers["public"]
    seen = offer.version
    update_offer(offer, actor=world.users["POL"], expected_version=seen, quantity=3)
    with pytest.raises(ConflictError, match="changed by someone else"):
        update_offer(offer, actor=world.users["POL"], expected_version=seen, quantity=5)
    offer.refresh_from_db()
    assert offer.quantity == 3 and offer.version == seen + 1


def test_withdraw_offer(world: Any) -> None:
    offer = withdraw_offer(world.offers["public"], actor=world.users["POL"])
    assert offer.status == OfferStatus.WITHDRAWN
    assert Event.objects.order_by("-seq").first().action == "withdraw"  # type: ignore[union-attr]


def test_accepted_families_must_provide_the_capability(world: Any) -> None:
    fighters = create_capability(actor=CLI, code="fighter")
    f16 = create_family(actor=CLI, code="F16", name="F-16", capability=fighters)
    with pytest.raises(ValidationError, match="accepts"):
        create_requirement(
            actor=CLI,
            code="R-x",
            recipient=world.nations["UKR"],
            capability=world.capability,
            quantity=1,
            priority=1,
            needed_by=dt.date(2027, 1, 1),
            accepts=[f16],
        )


def test_service_validation_names_the_field(world: Any) -> None:
    with pytest.raises(ValidationError) as info:
        create_requirement(
            actor=CLI,
            code="R-bad",
            recipient=world.nations["UKR"],
            capability=world.capability,
            quantity=1,
            priority=9,
            needed_by=dt.date(2027, 1, 1),
        )
    assert "priority" in str(info.value)
