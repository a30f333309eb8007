"""One offer from pledge to receipt, through the pages and through the API; the ledger shows every step."""

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
from tests.api.conftest import token_clients
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


def test_one_offer_from_pledge_to_receipt_through_the_api(world: Any) -> None:
    """The same walk through /api/v1/ with bearer tokens: the donor offers and dispatches, the
    coordinator approves and moves it through the hub, the recipient confirms the receipt."""
    api = token_clients(world)
    coord, pol, ukr = api["coordinator"], api["POL"], api["UKR"]
    # Pledge: the coordinator records Poland's agreement and its 2026 pledge.
    agreement = {"code": "POL-UKR-API", "donor": "POL", "signed": "2024-07-08"}
    assert coord.post("/agreements", agreement).status_code == 201
    pledge = coord.post(
        "/agreements/POL-UKR-API/pledges", {"year": 2026, "amount": "30000000.00", "currency": "EUR"}
    )
    assert pledge.status_code == 201, pledge.json()
    # (Unit values have no API: the back office records them.)
    set_item_value(world.item, actor=world.users["coordinator"], unit_value=Decimal("10000000"))

    # Offer: the donor puts it on the table.
    offer_body = {"id": "O-API", "item_type": "PZH2000-A", "quantity": 2, "available_from": "2026-12-01"}
    created = pol.post("/offers", offer_body)
    assert created.status_code == 201 and created.json()["donor"] == "POL", created.json()

    # Commitment: the coordinator approves a finished plan allocating it; approval plans the shipment.
    offer = Offer.objects.get(code="O-API")
    hub(world)
    run = finished_run(world, [(offer, 2, 3)])
    approved = coord.post(f"/plan-runs/{run.pk}/approve")
    assert approved.status_code == 200 and approved.json()["approved_at"], approved.json()
    assert pol.get("/offers/O-API").json()["status"] == "allocated"
    (found,) = pol.get("/shipments", q="O-API", run=run.pk).json()["items"]
    code = found["code"]
    assert found["state"] == "planned" and found["donor"] == "POL" and found["recipient"] == "UKR"

    # Delivery: the donor dispatches, the coordinator moves it through the hub.
    version = found["version"]
    dispatched = pol.post(f"/shipments/{code}/dispatch", {"on": "2026-12-10", "version": version})
    assert dispatched.status_code == 200, dispatched.json()
    version = dispatched.json()["version"]
    for step, day in (("at-hub", "2026-12-15"), ("hand-over", "2026-12-20")):
        answer = coord.post(f"/shipments/{code}/{step}", {"on": day, "version": version})
        assert answer.status_code == 200, answer.json()
        version = answer.json()["version"]

    # Receipt: the recipient finds it handed over and confirms it; the shipment closes.
    waiting = ukr.get("/shipments", state="handed_over").json()["items"]
    assert [s["code"] for s in waiting] == [code]
    receipt = {"quantity_received": 2, "on": "2026-12-22", "version": version}
    assert ukr.post(f"/shipments/{code}/receipt", receipt).json()["state"] == "received"
    closed = ukr.get(f"/shipments/{code}").json()
    assert closed["state"] == "received" and closed["quantity_received"] == 2 and closed["days_late"] == 0

    # The aid chain counts each stage once, and the IATI export carries its transactions.
    chain = coord.get("/aid-chains/POL-UKR-API").json()
    totals = {stage: chain["totals"][stage]["value"] for stage in chain["totals"]}
    assert totals == {
        "pledged": {"EUR": "30000000.00"},
        "committed": {"EUR": "20000000.00"},
        "shipped": {"EUR": "20000000.00"},
        "received": {"EUR": "20000000.00"},
    }
    assert {e["ref"] for e in chain["entries"]} == {
        f"pledge-{pledge.json()['id']}",
        "offer-O-API",
        f"shipment-{code}",
        f"receipt-{code}",
    }
    iati = coord.get("/iati-activities")
    assert iati["Content-Type"] == "application/xml"
    assert f'ref="receipt-{code}"' in iati.content.decode()

    # The ledger shows every step, by whom, in order; the chain is intact.
    shipment = Shipment.objects.get(code=code)
    line = Allocation.objects.get(offer=offer)
    steps = [
        ("create", "nations.agreement", None, "coord"),
        ("create", "nations.pledge", pledge.json()["id"], "coord"),
        ("create", "offers.offer", offer.pk, "pol"),
        ("commit", "planning.allocation", line.pk, "coord"),
        ("allocate", "offers.offer", offer.pk, "coord"),
        ("approve", "planning.planrun", run.pk, "coord"),
        ("create", "shipments.shipment", shipment.pk, "coord"),
        ("dispatch", "shipments.shipment", shipment.pk, "pol"),
        ("arrive_at_hub", "shipments.shipment", shipment.pk, "coord"),
        ("hand_over", "shipments.shipment", shipment.pk, "coord"),
        ("receive", "shipments.shipment", shipment.pk, "ukr"),
    ]
    seqs = []
    for action, kind, pk, actor in steps:
        events = Event.objects.filter(action=action, object_type=kind)
        if pk is not None:
            events = events.filter(object_id=str(pk))
        event = events.get()
        assert event.actor == actor, (action, kind, event.actor)
        seqs.append(event.seq)
    assert seqs == sorted(seqs)
    dispatch = Event.objects.get(action="dispatch", object_id=str(shipment.pk))
    assert dispatch.nation == "POL" and dispatch.payload["on"] == "2026-12-10"
    received = Event.objects.get(action="receive", object_id=str(shipment.pk))
    assert received.nation == "UKR" and received.payload["quantity_received"] == 2
    assert verify_ledger().ok
