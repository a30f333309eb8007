"""One offer from pledge to receipt, through the pages and the services; the ledger shows every step."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from nsatu.core.actors import CLI
from nsatu.core.ledger import verify_ledger
from nsatu.core.models import Event
from nsatu.nations.services import create_agreement, create_pledge
from nsatu.offers.models import Offer, OfferStatus
from nsatu.planning.models import Allocation
from nsatu.shipments.choices import ShipmentState
from nsatu.shipments.models import Shipment
from nsatu.shipments.services import set_item_value
from tests.shipments.builders import client_for, finished_run, hub

pytestmark = pytest.mark.django_db


def test_one_offer_from_pledge_to_receipt(world: Any) -> None:
    coordinator, donor, recipient = world.users["coordinator"], world.users["POL"], world.users["UKR"]
    # Pledge: Poland's agreement pledges money for 2026; the item's unit value is known.
    agreement = create_agreement(
        actor=CLI, code="POL-UKR-2024", donor=world.nations["POL"], signed=dt.date(2024, 7, 8)
    )
    create_pledge(actor=CLI, agreement=agreement, year=2026, amount=Decimal("30000000"), currency="EUR")
    set_item_value(world.item, actor=coordinator, unit_value=Decimal("10000000"), currency="EUR")

    # Offer: the donor puts it on the table through its page.
    pol = client_for(donor)
    response = pol.post(
        "/offers/new/",
        {
            "code": "O-WALK",
            "item_type": world.item.pk,
            "quantity": "2",
            "available_from": "2026-12-01",
            "releasability": "public",
            "note": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    offer = Offer.objects.get(code="O-WALK")

    # Commitment: the coordinator approves a plan allocating it (page), then plans its shipment (page).
    hub(world)
    run = finished_run(world, [(offer, 2, 3)])
    coord = client_for(coordinator)
    assert coord.post(f"/plans/{run.pk}/approve/").status_code == 302
    offer.refresh_from_db()
    assert offer.status == OfferStatus.ALLOCATED
    coord.post("/shipments/from-plan/", {"run": run.pk})
    shipment = Shipment.objects.get(offer=offer)
    assert shipment.state == ShipmentState.PLANNED
    assert "POL-UKR-2024" in coord.get("/agreements/").content.decode()

    # Delivery: donor dispatches, coordinator moves it through the hub, all on their pages.
    detail = pol.get(f"/shipments/{shipment.code}/").content.decode()
    assert "Mark Dispatched" in detail and f"/shipments/{shipment.code}/label.png" in detail
    assert pol.post(f"/shipments/{shipment.code}/dispatch/", {"on": "2026-12-10"}).status_code == 302
    assert coord.post(f"/shipments/{shipment.code}/at-hub/", {"on": "2026-12-15"}).status_code == 302
    assert coord.post(f"/shipments/{shipment.code}/hand-over/", {"on": "2026-12-20"}).status_code == 302

    # Receipt: the recipient scans the code, confirms, and the shipment closes.
    ukr = client_for(recipient)
    listed = ukr.get("/shipments/receipts/").content.decode()
    assert shipment.code in listed
    opened = ukr.get("/shipments/receipts/", {"code": shipment.code})
    assert opened["Location"] == f"/shipments/{shipment.code}/receive/"
    form = ukr.get(opened["Location"]).content.decode()
    assert "Confirm receipt" in form
    done = ukr.post(
        opened["Location"],
        {"quantity_received": "2", "damaged": "0", "wrong_item": "0", "on": "2026-12-22", "serials": ""},
        follow=True,
    )
    assert f"Receipt of {shipment.code} confirmed." in done.content.decode()
    shipment.refresh_from_db()
    assert shipment.state == ShipmentState.RECEIVED and shipment.received_by == "ukr"
    assert not shipment.is_late(dt.date(2030, 1, 1))

    # The aid chain counts each stage once.
    page = coord.get("/agreements/POL-UKR-2024/").content.decode()
    assert "30,000,000.00 EUR" in page and "20,000,000.00 EUR" in page

    # The ledger shows every step, and the chain is intact.
    line = Allocation.objects.get(offer=offer)
    steps = [
        ("create", "nations.agreement", agreement.pk),
        ("create", "nations.pledge", None),
        ("create", "shipments.itemvalue", None),
        ("create", "offers.offer", offer.pk),
        ("commit", "planning.allocation", line.pk),
        ("allocate", "offers.offer", offer.pk),
        ("approve", "planning.planrun", run.pk),
        ("create", "shipments.shipment", shipment.pk),
        ("create_shipments", "planning.planrun", run.pk),
        ("dispatch", "shipments.shipment", shipment.pk),
        ("arrive_at_hub", "shipments.shipment", shipment.pk),
        ("hand_over", "shipments.shipment", shipment.pk),
        ("receive", "shipments.shipment", shipment.pk),
    ]
    seqs = []
    for action, kind, pk in steps:
        events = Event.objects.filter(action=action, object_type=kind)
        if pk is not None:
            events = events.filter(object_id=str(pk))
        event = events.get()
        seqs.append(event.seq)
    assert seqs == sorted(seqs)
    received = Event.objects.get(action="receive", object_id=str(shipment.pk))
    assert received.actor == "ukr" and received.nation == "UKR" and received.payload["quantity_received"] == 2
    assert verify_ledger().ok
