"""The recipient confirms a receipt in a real browser: types the code, enters serials, sees the result."""

from __future__ import annotations

from typing import Any

import pytest

from nsatu.catalog.services import update_item_type
from nsatu.core.actors import CLI
from nsatu.shipments.choices import ShipmentState
from nsatu.shipments.models import Shipment
from tests.conftest import screenshot
from tests.shipments.builders import handed_over, shipments_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_recipient_confirms_a_receipt(live_server: Any, world: Any, page: Any) -> None:
    update_item_type(world.item, actor=CLI, serialised=True)
    (shipment,) = shipments_for(world, [(world.offers["public"], 2, 3)])
    handed_over(shipment, serials=["PZH-001", "PZH-002"])

    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Username").fill("ukr")
    page.get_by_label("Password").fill("x-Secret-123456")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Overview").wait_for()

    page.goto(f"{live_server.url}/shipments/receipts/")
    page.get_by_role("heading", name="Receipts to confirm").wait_for()
    assert shipment.code in page.locator("table").first.inner_text()
    screenshot(page, "receipts-to-confirm")

    # a scanner types the code and presses Enter
    page.get_by_label("Shipment code").fill(shipment.code.lower())
    page.get_by_label("Shipment code").press("Enter")
    page.get_by_role("heading", name=f"Receipt of {shipment.code}").wait_for()
    page.get_by_label("Units received").fill("2")
    page.get_by_label("Serial numbers found").fill("PZH-001\nPZH-003")
    screenshot(page, "receipt-form")
    page.get_by_role("button", name="Confirm receipt").click()

    page.get_by_role("heading", name=f"Shipment {shipment.code}").wait_for()
    body = page.locator("main").inner_text()
    assert "1 missing, 1 extra, 0 swapped" in body
    assert "PZH-002" in body and "PZH-003" in body and "Received" in body
    screenshot(page, "receipt-confirmed")
    assert Shipment.objects.get(pk=shipment.pk).state == ShipmentState.RECEIVED
