"""The monitoring pages: every step of the flow through the forms, as each nation may take it."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from nsatu.monitoring.choices import CaseState, ItemState, RepairState, TransferState
from nsatu.monitoring.models import DiscrepancyCase, MonitoredItem, RepairOrder, TransferRequest
from tests.monitoring.builders import received
from tests.shipments.builders import client_for

pytestmark = pytest.mark.django_db

TODAY = dt.date.today()


def test_every_monitoring_page_renders_for_the_parties_and_hides_the_record_from_others(world: Any) -> None:
    shipment, items = received(world, found=["PZH-001", "PZH-002"])
    case = DiscrepancyCase.objects.filter(shipment=shipment).first()
    assert case is not None
    pages = [
        "/monitoring/",
        "/monitoring/items/",
        "/monitoring/items/?overdue=yes",
        "/monitoring/overdue/",
        "/monitoring/inventories/",
        "/monitoring/transfers/",
        "/monitoring/repairs/",
        "/monitoring/cases/",
        f"/monitoring/items/{items[0].pk}/",
        f"/monitoring/cases/{case.code}/",
        "/inbox/",
        "/inbox/preferences/",
        "/training/readiness/PZH2000/",
        "/dashboard/",
    ]
    for who in ("UKR", "POL", "coordinator", "leadership", "auditor", "DEU"):
        client = client_for(world.users[who])
        for path in pages:
            if who == "DEU" and path in (
                f"/monitoring/items/{items[0].pk}/",
                f"/monitoring/cases/{case.code}/",
            ):
                continue
            response = client.get(path)
            assert response.status_code == 200, (who, path)
    deu = client_for(world.users["DEU"])
    assert deu.get(f"/monitoring/items/{items[0].pk}/").status_code == 404
    assert deu.get(f"/monitoring/cases/{case.code}/").status_code == 404
    assert "PZH-001" not in deu.get("/monitoring/items/").content.decode()
    assert "PZH-001" in client_for(world.users["POL"]).get("/monitoring/items/").content.decode()
    assert client_for(world.users["UKR"]).get("/monitoring/inventories/new/").status_code == 200
    assert client_for(world.users["POL"]).get("/monitoring/inventories/new/").status_code == 403


def test_the_flow_through_the_forms(world: Any) -> None:
    _shipment, (first, second, third) = received(world)
    ukr, pol = client_for(world.users["UKR"]), client_for(world.users["POL"])

    response = ukr.post(
        "/monitoring/inventories/new/", {"serials": "pzh-001\nPZH-002\nPZH-003", "unit": "Brigade 5"}
    )
    assert response.status_code == 302
    assert MonitoredItem.objects.filter(initial_inventory_on=TODAY, unit="Brigade 5").count() == 3
    refused = ukr.post("/monitoring/inventories/new/", {"serials": "PZH-999"})
    assert "No monitored item with serial PZH-999" in refused.content.decode()

    ukr.post(
        f"/monitoring/items/{first.pk}/custody/",
        {"custody-unit": "Brigade 7", "custody-location_class": "field"},
    )
    assert MonitoredItem.objects.get(pk=first.pk).unit == "Brigade 7"
    ukr.post(
        f"/monitoring/items/{first.pk}/report/",
        {"report-kind": "lost", "report-reason": "combat", "report-details": "ambush"},
    )
    ukr.post(
        f"/monitoring/items/{second.pk}/report/", {"report-kind": "damaged", "report-reason": "accident"}
    )
    assert MonitoredItem.objects.get(pk=first.pk).state == ItemState.LOST
    assert MonitoredItem.objects.get(pk=second.pk).state == ItemState.DAMAGED
    # the donor may not report on the recipient's items
    assert (
        pol.post(
            f"/monitoring/items/{third.pk}/report/", {"report-kind": "lost", "report-reason": "theft"}
        ).status_code
        == 403
    )

    day = TODAY.isoformat()
    response = ukr.post(
        f"/monitoring/items/{second.pk}/repair/",
        {"repair-facility_kind": "donor", "repair-planned_departure": day, "repair-planned_arrival": day,
         "repair-planned_return_departure": day, "repair-planned_return": day},
    )  # fmt: skip
    order = RepairOrder.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/monitoring/repairs/{order.code}/"
    for step in ("sent", "at_facility", "repaired", "returning", "returned"):
        ukr.post(f"/monitoring/repairs/{order.code}/{step}/", {})
        if step == "sent":
            assert MonitoredItem.objects.get(pk=second.pk).state == ItemState.IN_REPAIR
    assert RepairOrder.objects.get().state == RepairState.RETURNED
    assert MonitoredItem.objects.get(pk=second.pk).state == ItemState.IN_SERVICE

    ukr.post(
        f"/monitoring/items/{third.pk}/transfer/",
        {"transfer-third_party": "Moldova", "transfer-reason": "joint training"},
    )
    transfer = TransferRequest.objects.get()
    page = pol.get("/monitoring/transfers/").content.decode()
    assert "Moldova" in page and "Decide" in page
    assert "Decide" not in ukr.get("/monitoring/transfers/").content.decode()
    pol.post(f"/monitoring/transfers/{transfer.pk}/decide/", {"approve": "no", "note": "not now"})
    assert TransferRequest.objects.get().state == TransferState.REFUSED


def test_a_case_is_owned_and_resolved_from_its_page(world: Any) -> None:
    shipment, _items = received(world, ["C-1", "C-2"], found=["C-1"])
    case = DiscrepancyCase.objects.get(shipment=shipment, opened_as="serial_missing")
    coordinator = client_for(world.users["coordinator"])
    coordinator.post(f"/monitoring/cases/{case.code}/owner/", {"owner": "pol", "investigating": "on"})
    case.refresh_from_db()
    assert case.owner == world.users["POL"] and case.state == CaseState.INVESTIGATING
    page = client_for(world.users["UKR"]).get(f"/shipments/{shipment.code}/").content.decode()
    assert case.code in page
    client_for(world.users["POL"]).post(f"/monitoring/cases/{case.code}/resolve/", {"resolution": "found"})
    case.refresh_from_db()
    assert case.state == CaseState.RESOLVED and MonitoredItem.objects.filter(serial="C-2").exists()
