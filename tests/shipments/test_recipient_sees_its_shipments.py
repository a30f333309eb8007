"""The recipient sees and confirms every shipment sent to it, whatever its offer's marking."""

from __future__ import annotations

from typing import Any

import pytest

from nsatu.core.releasability import releasable
from nsatu.shipments.models import Shipment
from tests.shipments.builders import shipments_for
from tests.shipments.test_transitions import client_for, handed_over

pytestmark = pytest.mark.django_db


def test_a_command_only_shipment_is_the_recipients_to_see_and_receive(world: Any) -> None:
    (shipment,) = shipments_for(world, [(world.offers["command"], 2, 3)])
    recipient, outsider = world.users["UKR"], world.users["NOR"]
    assert list(releasable(Shipment.objects.all(), recipient)) == [shipment]
    assert not releasable(Shipment.objects.all(), outsider).exists()

    shipment = handed_over(shipment)
    page = client_for(recipient)
    assert shipment.code in page.get("/shipments/receipts/").content.decode()
    assert page.get(f"/shipments/{shipment.code}/").status_code == 200
    assert client_for(outsider).get(f"/shipments/{shipment.code}/").status_code == 404
    assert page.get(f"/shipments/{shipment.code}/receive/").status_code == 200
