"""The database itself refuses bad data, even when code goes around the services."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import IntegrityError, transaction

from nsatu.catalog.models import ItemType
from nsatu.logistics.models import Hub, Route
from nsatu.nations.models import Nation, Pledge
from nsatu.needs.models import Requirement
from nsatu.offers.models import Offer

pytestmark = pytest.mark.django_db


def refused(model: Any, **fields: Any) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        model.objects.create(**fields)


def test_quantities_must_be_positive(world: Any) -> None:
    base = dict(donor=world.nations["POL"], item_type=world.item, available_from=dt.date(2027, 1, 1))
    refused(Offer, code="O-zero", quantity=0, **base)
    refused(Offer, code="O-neg", quantity=-3, **base)
    req = dict(recipient=world.nations["UKR"], capability=world.capability, needed_by=dt.date(2027, 1, 1))
    refused(Requirement, code="R-zero", quantity=0, priority=1, **req)


@pytest.mark.parametrize("priority", [0, 6])
def test_priority_outside_one_to_five_is_refused(world: Any, priority: int) -> None:
    refused(
        Requirement,
        code="R-p",
        quantity=1,
        priority=priority,
        recipient=world.nations["UKR"],
        capability=world.capability,
        needed_by=dt.date(2027, 1, 1),
    )


def test_codes_are_unique(world: Any) -> None:
    refused(Nation, iso3="POL", name="Poland again")
    refused(
        Offer,
        code="O-public",
        donor=world.nations["POL"],
        item_type=world.item,
        quantity=1,
        available_from=dt.date(2027, 1, 1),
    )
    hub = Hub.objects.create(code="RZE", name="Rzeszow", nation=world.nations["POL"], capacity_t_per_week=100)
    Route.objects.create(donor=world.nations["DEU"], hub=hub, lead_time_days=10)
    refused(Route, donor=world.nations["DEU"], hub=hub, lead_time_days=12)


@pytest.mark.parametrize("nsn", ["123", "12345678901234", "1015-01-234-567", "abcd-01-234-5678"])
def test_bad_nsn_is_refused(world: Any, nsn: str) -> None:
    refused(ItemType, code=f"X{len(nsn)}{nsn[:2]}", name="x", family=world.family, nsn=nsn)


@pytest.mark.parametrize("nsn", ["1015012345678", "1015-01-234-5678"])
def test_good_nsn_is_accepted(world: Any, nsn: str) -> None:
    ItemType.objects.create(code=f"N{nsn[-4:]}", name="x", family=world.family, nsn=nsn)


def test_nation_codes_are_iso3(db: Any) -> None:
    refused(Nation, iso3="pl", name="Poland")
    refused(Nation, iso3="P0L", name="Poland")


def test_negative_pledge_and_bad_currency_are_refused(world: Any) -> None:
    from nsatu.nations.models import Agreement

    agreement = Agreement.objects.create(code="A1", donor=world.nations["DEU"], signed=dt.date(2024, 2, 16))
    refused(Pledge, agreement=agreement, year=2024, amount=-1, currency="EUR")
    refused(Pledge, agreement=agreement, year=2024, amount=1, currency="eu1")
