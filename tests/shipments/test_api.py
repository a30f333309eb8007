"""The shipments API: releasable lists, the steps of the way, refusals, the receipt."""

from __future__ import annotations

from typing import Any

import pytest
from ninja.testing import TestClient

from nsatu.core.models import Event
from nsatu.shipments.api import router
from tests.shipments.builders import shipments_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def api() -> TestClient:
    return TestClient(router)


def test_walk_through_the_api(world: Any, api: TestClient) -> None:
    (shipment,) = shipments_for(world, [(world.offers["public"], 2, 3)])
    url = f"/shipments/{shipment.code}"
    early = api.post(f"{url}/receipt", json={"quantity_received": 2}, user=world.users["UKR"])
    assert early.status_code == 409 and "is planned" in early.json()["detail"]
    assert api.post(f"{url}/dispatch", json={}, user=world.users["FRA"]).status_code == 403
    dispatched = api.post(f"{url}/dispatch", json={"on": "2027-01-04", "version": 1}, user=world.users["POL"])
    assert dispatched.status_code == 200 and dispatched.json()["state"] == "dispatched"
    stale = api.post(f"{url}/at-hub", json={"version": 1}, user=world.users["coordinator"])
    assert stale.status_code == 409
    for step in ("at-hub", "hand-over"):
        answer = api.post(f"{url}/{step}", json={"on": "2027-01-06"}, user=world.users["coordinator"])
        assert answer.status_code == 200, answer.json()
    receipt = {"quantity_received": 2, "on": "2027-01-08"}
    done = api.post(f"{url}/receipt", json=receipt, user=world.users["UKR"])
    assert done.status_code == 200 and done.json() == {
        "code": shipment.code,
        "state": "received",
        "matched": [],
        "missing": [],
        "extra": [],
        "swapped": [],
    }
    body = api.get(url, user=world.users["UKR"]).json()
    assert body["state"] == "received" and [leg["kind"] for leg in body["legs"]] == ["to_hub", "to_recipient"]
    actions = Event.objects.filter(object_id=str(shipment.pk), object_type="shipments.shipment")
    assert list(actions.values_list("action", flat=True)) == [
        "create",
        "dispatch",
        "arrive_at_hub",
        "hand_over",
        "receive",
    ]


def test_lists_only_what_is_releasable(world: Any, api: TestClient) -> None:
    shipments_for(world, [(world.offers[k], 2, 3) for k in ("public", "coalition", "listed", "command")])
    fra = api.get("/shipments", user=world.users["FRA"]).json()
    assert sorted(s["offer"] for s in fra["items"]) == ["O-listed", "O-public"]
    assert api.get("/shipments", user=world.users["coordinator"]).json()["count"] == 4
    hidden = next(
        s
        for s in api.get("/shipments", user=world.users["coordinator"]).json()["items"]
        if s["offer"] == "O-command"
    )
    assert api.get(f"/shipments/{hidden['code']}", user=world.users["FRA"]).status_code == 404
