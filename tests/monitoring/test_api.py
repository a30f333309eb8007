"""The monitoring and notifications API: typed, audited, releasable as the pages are."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client

from nsatu.monitoring.models import DiscrepancyCase, MonitoredItem
from tests.api.conftest import token_clients
from tests.monitoring.builders import received
from tests.monitoring.files import png_bytes

pytestmark = pytest.mark.django_db

TODAY = dt.date.today()


@pytest.fixture
def api(world: Any) -> dict[str, Any]:
    return token_clients(world)


def test_items_inventory_reports_and_summary(world: Any, api: dict[str, Any]) -> None:
    _shipment, items = received(world)
    listed = api["POL"].get("/monitored-items").json()
    assert listed["count"] == 3 and listed["items"][0]["serial"] == "PZH-001"
    assert (
        listed["items"][0]["inventory_due"]
        == (TODAY - dt.timedelta(days=1) + dt.timedelta(days=90)).isoformat()
    )
    assert api["DEU"].get("/monitored-items").json()["count"] == 0
    assert api["DEU"].get(f"/monitored-items/{items[0].pk}").status_code == 404

    recorded = api["UKR"].post("/inventories", {"serials": ["PZH-001", "PZH-002"], "unit": "Brigade 3"})
    assert recorded.status_code == 200, recorded.content
    (inventory,) = recorded.json()["created"]
    assert inventory["kind"] == "initial" and [line["serial"] for line in inventory["lines"]] == [
        "PZH-001",
        "PZH-002",
    ]
    assert api["POL"].post("/inventories", {"serials": ["PZH-003"]}).status_code == 403
    assert api["UKR"].post("/inventories", {"serials": ["NOPE"]}).status_code == 409

    lost = api["UKR"].post(f"/monitored-items/{items[0].pk}/incidents", {"kind": "lost", "reason": "combat"})
    assert lost.status_code == 200 and lost.json()["kind"] == "lost"
    assert (
        api["UKR"]
        .post(f"/monitored-items/{items[0].pk}/incidents", {"kind": "lost", "reason": "x"})
        .status_code
        == 422
    )
    custody = api["UKR"].post(
        f"/monitored-items/{items[1].pk}/custody", {"unit": "Brigade 9", "location_class": "forward"}
    )
    assert custody.json()["unit"] == "Brigade 9"

    summary = api["leadership"].get("/monitoring-summary").json()
    assert summary["required"] == 2 and summary["overdue"] == 0 and summary["audit_share"] == 0.59


def test_transfer_repair_and_case_through_the_api(world: Any, api: dict[str, Any]) -> None:
    shipment, items = received(world, ["A-1", "A-2", "A-3"], found=["A-1", "A-2"])
    first, second = items
    transfer = api["UKR"].post(
        f"/monitored-items/{first.pk}/transfer-requests", {"third_party": "Moldova", "reason": "exercise"}
    )
    assert transfer.status_code == 200
    tid = transfer.json()["id"]
    assert api["coordinator"].post(f"/transfer-requests/{tid}/decision", {"approve": True}).status_code == 403
    decided = api["POL"].post(f"/transfer-requests/{tid}/decision", {"approve": True, "note": "yes"})
    assert decided.json()["state"] == "approved"
    assert MonitoredItem.objects.get(pk=first.pk).state == "transferred"

    api["UKR"].post(f"/monitored-items/{second.pk}/incidents", {"kind": "damaged", "reason": "wear"})
    day = TODAY.isoformat()
    opened = api["UKR"].post(
        "/repair-orders",
        {"item": second.pk, "facility_kind": "donor", "planned_departure": day, "planned_arrival": day,
         "planned_return_departure": day, "planned_return": day},
    )  # fmt: skip
    assert opened.status_code == 200, opened.content
    code = opened.json()["code"]
    assert [leg["kind"] for leg in opened.json()["legs"]] == ["outbound", "return"]
    assert api["UKR"].post(f"/repair-orders/{code}/returned", {}).status_code == 409
    for step in ("sent", "at_facility", "repaired", "returning", "returned"):
        answer = api["POL"].post(f"/repair-orders/{code}/{step}", {})
        assert answer.status_code == 200 and answer.json()["state"] == step
    assert MonitoredItem.objects.get(pk=second.pk).state == "in_service"

    cases = api["UKR"].get("/cases", shipment=shipment.code).json()
    assert {c["kind"] for c in cases["items"]} == {"short", "serial_missing"}
    missing = next(c for c in cases["items"] if c["kind"] == "serial_missing")
    assert api["coordinator"].patch(f"/cases/{missing['code']}", {"owner": "pol"}).json()["owner"] == "pol"
    resolved = api["POL"].post(
        f"/cases/{missing['code']}/resolution", {"resolution": "written_off", "note": "lost in transit"}
    )
    assert resolved.json()["state"] == "resolved" and resolved.json()["resolution"] == "written_off"
    assert api["DEU"].get(f"/cases/{missing['code']}").status_code == 404
    assert DiscrepancyCase.objects.filter(state="resolved").count() == 1


def test_evidence_upload_and_download_through_the_api(
    world: Any, api: dict[str, Any], tokens: Any = None
) -> None:
    from nsatu.core.actors import CLI
    from nsatu.tokens.services import create_api_token

    shipment, _items = received(world)
    token = create_api_token(actor=CLI, user=world.users["UKR"], name="upload")[1]
    client = Client()
    headers = {"Authorization": f"Bearer {token}"}
    picture = png_bytes()
    uploaded = client.post(
        "/api/v1/evidence",
        {
            "record": "shipment",
            "key": shipment.code,
            "kind": "waybill",
            "file": _file("waybill.png", picture),
        },
        headers=headers,
    )
    assert uploaded.status_code == 200, uploaded.content
    evidence = uploaded.json()
    assert (
        evidence["record"] == "shipment"
        and evidence["key"] == shipment.code
        and evidence["size"] == len(picture)
    )
    refused = client.post(
        "/api/v1/evidence",
        {"record": "shipment", "key": shipment.code, "file": _file("waybill.pdf", picture)},
        headers=headers,
    )
    assert refused.status_code == 415 and "is not a PDF file" in refused.json()["detail"]
    assert api["DEU"].get(f"/evidence/{evidence['id']}").status_code == 404
    listed = api["POL"].get("/evidence", record="shipment", key=shipment.code).json()
    assert [e["filename"] for e in listed["items"]] == ["waybill.png"]
    content = api["POL"].get(f"/evidence/{evidence['id']}/content")
    assert content.status_code == 200 and content.content == picture


def _file(name: str, content: bytes) -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content)


def test_notifications_api(world: Any, api: dict[str, Any]) -> None:
    received(world, ["N-1"])
    inbox = api["UKR"].get("/notifications", unread=True).json()
    assert inbox["count"] == 3 and {n["kind"] for n in inbox["items"]} >= {"inventory_due"}
    assert "needs its initial inventory" in next(
        n["text"] for n in inbox["items"] if n["kind"] == "inventory_due"
    )
    first = inbox["items"][0]["id"]
    assert api["POL"].post("/notifications/read", {"ids": [first]}).json() == {"marked": 0}
    assert api["UKR"].post("/notifications/read", {"ids": [first]}).json() == {"marked": 1}
    assert api["UKR"].post("/notifications/read", {"ids": None}).json() == {"marked": 2}
    chosen = api["UKR"].request(
        "put", "/notification-preferences", [{"kind": "inventory_due", "inbox": False, "email": True}]
    )
    assert chosen.status_code == 200
    assert next(p for p in chosen.json() if p["kind"] == "inventory_due") == {
        "kind": "inventory_due", "label": "An inventory is due", "inbox": False, "email": True,
    }  # fmt: skip
    unknown = api["UKR"].request(
        "put", "/notification-preferences", [{"kind": "nothing", "inbox": True, "email": True}]
    )
    assert unknown.status_code == 409
