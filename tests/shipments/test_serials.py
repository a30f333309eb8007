"""Serial-number accountability: recorded at dispatch, reconciled at receipt, overdue when unconfirmed."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from nsatu.catalog.services import update_item_type
from nsatu.core.actors import CLI
from nsatu.core.models import Event
from nsatu.shipments import services
from nsatu.shipments.models import Discrepancy, SerialNumber, Shipment
from tests.shipments.builders import client_for, handed_over, shipments_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def serialised(world: Any) -> Any:
    return update_item_type(world.item, actor=CLI, serialised=True)


def _kinds(shipment: Any) -> set[tuple[str, str, str]]:
    return {
        (d.kind, d.serial, d.other_shipment.code if d.other_shipment else "")
        for d in Discrepancy.objects.filter(shipment=shipment)
    }


def test_dispatch_needs_one_serial_per_unit(world: Any, serialised: Any) -> None:
    (shipment,) = shipments_for(world, [(world.offers["public"], 2, 3)])
    with pytest.raises(services.ShipmentError, match="one serial per unit \\(2 units, 1 serials given\\)"):
        services.dispatch_shipment(shipment, actor=CLI, serials=["A1"])
    with pytest.raises(services.ShipmentError, match="A1 is listed twice"):
        services.dispatch_shipment(shipment, actor=CLI, serials="a1\nA1")
    services.dispatch_shipment(shipment, actor=CLI, serials="a1\n a2 ")
    assert sorted(shipment.serials.values_list("serial", flat=True)) == ["A1", "A2"]
    event = Event.objects.get(action="dispatch", object_id=str(shipment.pk))
    assert event.payload["serials"] == ["A1", "A2"]


def test_a_serial_is_dispatched_once(world: Any, serialised: Any) -> None:
    first, second = shipments_for(world, [(world.offers["public"], 1, 3), (world.offers["coalition"], 1, 3)])
    services.dispatch_shipment(first, actor=CLI, serials=["A1"])
    with pytest.raises(services.ShipmentError, match="A1 of PzH 2000 was already dispatched in"):
        services.dispatch_shipment(second, actor=CLI, serials=["A1"])


def test_unserialised_items_take_no_serials(world: Any) -> None:
    (shipment,) = shipments_for(world, [(world.offers["public"], 2, 3)])
    with pytest.raises(services.ShipmentError, match="carries no serial numbers"):
        services.dispatch_shipment(shipment, actor=CLI, serials=["A1"])


def test_receipt_reports_missing_and_extra_serials(world: Any, serialised: Any) -> None:
    (shipment,) = shipments_for(world, [(world.offers["public"], 2, 3)])
    shipment = handed_over(shipment, serials=["A1", "A2"])
    result = services.receive_shipment(
        shipment, actor=world.users["UKR"], quantity_received=2, serials="A1\nZ9"
    )
    assert result.matched == ["A1"] and result.missing == ["A2"] and result.extra == ["Z9"]
    assert result.swapped == [] and not result.clean
    assert _kinds(shipment) == {("serial_missing", "A2", ""), ("serial_extra", "Z9", "")}
    confirmed = dict(SerialNumber.objects.values_list("serial", "confirmed_on"))
    assert confirmed["A1"] is not None and confirmed["A2"] is None
    event = Event.objects.get(action="receive", object_id=str(shipment.pk))
    assert event.payload["serials"] == {"matched": 1, "missing": ["A2"], "extra": ["Z9"], "swapped": []}


def test_serials_swapped_between_two_shipments(world: Any, serialised: Any) -> None:
    first, second = shipments_for(world, [(world.offers["public"], 2, 3), (world.offers["coalition"], 2, 3)])
    first = handed_over(first, serials=["A1", "A2"])
    second = handed_over(second, serials=["B1", "B2"])
    # A2 and B1 travelled in each other's crate.
    one = services.receive_shipment(first, actor=CLI, quantity_received=2, serials=["A1", "B1"])
    assert one.matched == ["A1"] and one.swapped == [("B1", second.code)] and one.missing == ["A2"]
    two = services.receive_shipment(second, actor=CLI, quantity_received=2, serials=["A2", "B2"])
    assert two.matched == ["B2"] and one.extra == [] and two.missing == []
    assert sorted(two.swapped) == [("A2", first.code), ("B1", first.code)]
    # A2, first reported missing, turns out swapped: no serial is left missing.
    assert _kinds(first) == {("serial_swapped", "B1", second.code), ("serial_swapped", "A2", second.code)}
    assert not Discrepancy.objects.filter(kind="serial_missing").exists()
    assert not SerialNumber.objects.filter(confirmed_on__isnull=True).exists()
    found_in = dict(SerialNumber.objects.values_list("serial", "received_in__code"))
    assert found_in == {"A1": first.code, "A2": second.code, "B1": first.code, "B2": second.code}


def test_receipt_page_reconciles_typed_serials(world: Any, serialised: Any) -> None:
    (shipment,) = shipments_for(world, [(world.offers["public"], 2, 3)])
    shipment = handed_over(shipment, serials=["A1", "A2"])
    client = client_for(world.users["UKR"])
    response = client.post(
        f"/shipments/{shipment.code}/receive/",
        {
            "quantity_received": "2",
            "damaged": "0",
            "wrong_item": "0",
            "serials": "A1\r\nA3",
            "on": "2027-01-05",
        },
        follow=True,
    )
    html = response.content.decode()
    assert "1 missing, 1 extra, 0 swapped" in html
    assert "Serial missing" in html and "A2" in html and "Serial extra" in html and "A3" in html


def test_inventory_overdue_lists_unconfirmed_serials_after_n_days(world: Any, serialised: Any) -> None:
    received, on_the_way = shipments_for(
        world, [(world.offers["public"], 2, 3), (world.offers["coalition"], 1, 3)]
    )
    today = timezone.localdate()
    old = today - dt.timedelta(days=40)
    # the plan wanted them 40 and 10 days ago; overdue counts from there, not from the dispatch
    Shipment.objects.filter(pk=received.pk).update(planned_arrival=old)
    Shipment.objects.filter(pk=on_the_way.pk).update(planned_arrival=today - dt.timedelta(days=10))
    received = handed_over(received, serials=["A1", "A2"], on=old - dt.timedelta(days=3))
    services.receive_shipment(received, actor=CLI, quantity_received=1, serials=["A1"], on=old)
    services.dispatch_shipment(on_the_way, actor=CLI, serials=["C1"], on=today - dt.timedelta(days=50))
    client = client_for(world.users["coordinator"])

    def listed(html: str) -> set[str]:
        """The serials in the overdue table (a page's tokens may contain "C1" too)."""
        return {serial for serial in ("A1", "A2", "C1") if f"<td>{serial}</td>" in html}

    html = client.get("/shipments/inventory-overdue/?days=30").content.decode()
    assert listed(html) == {"A2"}
    assert "1 serialised item due more than 30 days ago" in html and ">40<" in html
    assert listed(client.get("/shipments/inventory-overdue/?days=5").content.decode()) == {"A2", "C1"}
    # what a nation may not see stays out
    assert "C1" not in listed(
        client_for(world.users["NOR"]).get("/shipments/inventory-overdue/?days=5").content.decode()
    )
