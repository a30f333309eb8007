"""The shipments API at /api/v1/, with the real authentication (bearer tokens and the web session):
releasable lists, search and details, the steps of the way, refusals, the receipt."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from nsatu.core.models import Event
from nsatu.planning.models import PlanRun
from tests.api.conftest import ApiClient, token_clients
from tests.shipments.builders import finished_run, handed_over, run_shipments, shipments_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(world: Any) -> dict[str, ApiClient]:
    """An API client with a bearer token per user of the world."""
    return token_clients(world)


def test_the_router_is_mounted_and_in_the_schema(world: Any, api: dict[str, ApiClient]) -> None:
    assert api["coordinator"].get("/shipments").status_code == 200
    paths = Client().get("/api/v1/openapi.json").json()["paths"]
    assert {
        "/api/v1/shipments",
        "/api/v1/shipments/{code}",
        "/api/v1/shipments/{code}/receipt",
        "/api/v1/shipments/{code}/{step}",
    } <= set(paths)
    assert ApiClient(None).get("/shipments").status_code == 401
    assert ApiClient("nsatu_bogus_token").get("/shipments").status_code == 401


def test_walk_through_the_api(world: Any, api: dict[str, ApiClient]) -> None:
    (shipment,) = shipments_for(world, [(world.offers["public"], 2, 3)])
    url = f"/shipments/{shipment.code}"
    before = api["UKR"].get(url).json()
    assert before["state"] == "planned" and before["next_step"] == "dispatch" and before["version"] == 1
    early = api["UKR"].post(f"{url}/receipt", {"quantity_received": 2})
    assert early.status_code == 409 and "is planned" in early.json()["detail"]
    refused = api["FRA"].post(f"{url}/dispatch", {})
    assert refused.status_code == 403 and "may not mark" in refused.json()["detail"]
    dispatched = api["POL"].post(f"{url}/dispatch", {"on": "2027-01-04", "version": 1})
    assert dispatched.status_code == 200, dispatched.json()
    assert dispatched.json()["state"] == "dispatched" and dispatched.json()["next_step"] == "at-hub"
    # the role before the order: a step out of order by someone who may never take it is a 403, not a 409
    out_of_order = api["FRA"].post(f"{url}/receipt", {"quantity_received": 2})
    assert out_of_order.status_code == 403 and "may not mark" in out_of_order.json()["detail"]
    stale = api["coordinator"].post(f"{url}/at-hub", {"version": 1})
    assert stale.status_code == 409 and "changed by someone else" in stale.json()["detail"]
    assert api["POL"].post(f"{url}/at-hub", {"on": "2027-01-06"}).status_code == 403
    for step in ("at-hub", "hand-over"):
        answer = api["coordinator"].post(f"{url}/{step}", {"on": "2027-01-06"})
        assert answer.status_code == 200, answer.json()
    assert api["coordinator"].post(f"{url}/teleport", {}).status_code == 422
    receipt = {"quantity_received": 2, "on": "2027-01-08"}
    assert api["POL"].post(f"{url}/receipt", receipt).status_code == 403
    done = api["UKR"].post(f"{url}/receipt", receipt)
    assert done.status_code == 200 and done.json() == {
        "code": shipment.code,
        "state": "received",
        "matched": [],
        "missing": [],
        "extra": [],
        "swapped": [],
    }
    body = api["UKR"].get(url).json()
    assert body["state"] == "received" and body["next_step"] is None and body["received_on"] == "2027-01-08"
    assert [leg["kind"] for leg in body["legs"]] == ["to_hub", "to_recipient"]
    assert [leg["actual_arrival"] for leg in body["legs"]] == ["2027-01-06", "2027-01-08"]
    closed = api["coordinator"].post(f"{url}/dispatch", {})
    assert closed.status_code == 409 and "already received" in closed.json()["detail"]
    events = Event.objects.filter(object_id=str(shipment.pk), object_type="shipments.shipment").order_by(
        "seq"
    )
    # Created by the approval or by the coordinator's "create shipments", then moved through the API.
    assert events[0].action == "create"
    assert [(e.action, e.actor) for e in events][1:] == [
        ("dispatch", "pol"),
        ("arrive_at_hub", "coord"),
        ("hand_over", "coord"),
        ("receive", "ukr"),
    ]


def test_session_auth_needs_the_csrf_token_on_steps(world: Any) -> None:
    (shipment,) = shipments_for(world, [(world.offers["public"], 2, 3)])
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.users["POL"])
    assert client.get(f"/api/v1/shipments/{shipment.code}").json()["state"] == "planned"
    url = f"/api/v1/shipments/{shipment.code}/dispatch"
    without = client.post(url, {"on": "2027-01-04"}, content_type="application/json")
    assert without.status_code == 403
    client.get("/api/v1/docs")  # the Swagger UI page sets the CSRF cookie, as for a browser
    csrf = client.cookies["csrftoken"].value
    answer = client.post(
        url, {"on": "2027-01-04"}, content_type="application/json", headers={"X-CSRFToken": csrf}
    )
    assert answer.status_code == 200 and answer.json()["state"] == "dispatched"
    assert Event.objects.filter(action="dispatch", object_id=str(shipment.pk), actor="pol").exists()


def test_serials_are_recorded_at_dispatch_and_reconciled_at_receipt(
    world: Any, api: dict[str, ApiClient]
) -> None:
    world.item.serialised = True
    world.item.save()
    first, second = shipments_for(world, [(world.offers["public"], 2, 3), (world.offers["public"], 2, 4)])
    short = api["POL"].post(f"/shipments/{first.code}/dispatch", {"serials": ["A1"]})
    assert short.status_code == 409 and "one serial per unit" in short.json()["detail"]
    assert api["POL"].post(f"/shipments/{first.code}/dispatch", {"serials": ["a1", "A2"]}).status_code == 200
    handed_over(second, serials=["B1", "B2"])
    for step in ("at-hub", "hand-over"):
        assert api["coordinator"].post(f"/shipments/{first.code}/{step}", {}).status_code == 200
    receipt = {"quantity_received": 2, "serials": ["A1", "B2"]}
    answer = api["UKR"].post(f"/shipments/{first.code}/receipt", receipt)
    assert answer.status_code == 200, answer.json()
    # A1 came as sent; B2 was dispatched in the other shipment; A2 did not come.
    assert answer.json() == {
        "code": first.code,
        "state": "received",
        "matched": ["A1"],
        "missing": ["A2"],
        "extra": [],
        "swapped": [["B2", second.code]],
    }
    received = Event.objects.get(action="receive", object_id=str(first.pk))
    assert received.payload["serials"] == {
        "matched": 1,
        "missing": ["A2"],
        "extra": [],
        "swapped": [["B2", second.code]],
    }


def test_lists_filter_and_search_only_what_is_releasable(world: Any, api: dict[str, ApiClient]) -> None:
    made = shipments_for(
        world, [(world.offers[k], 2, 3) for k in ("public", "coalition", "listed", "command")]
    )
    code = {s.offer.code: s.code for s in made}
    fra = api["FRA"].get("/shipments").json()
    assert sorted(s["offer"] for s in fra["items"]) == ["O-listed", "O-public"] and fra["count"] == 2
    assert api["coordinator"].get("/shipments").json()["count"] == 4
    assert api["FRA"].get(f"/shipments/{code['O-command']}").status_code == 404
    assert api["FRA"].get(f"/shipments/{code['O-command']}").json() == {
        "detail": f"no shipment '{code['O-command']}'"
    }
    # Searching and filtering never reach a hidden shipment.
    assert api["FRA"].get("/shipments", q="O-command").json()["count"] == 0
    assert api["FRA"].get("/shipments", q=code["O-command"]).json()["count"] == 0
    assert api["coordinator"].get("/shipments", q="O-command").json()["count"] == 1
    assert api["FRA"].get("/shipments", donor="POL", state="planned").json()["count"] == 2
    assert api["coordinator"].get("/shipments", state="received").json()["count"] == 0
    run = made[0].allocation.run_id
    assert api["coordinator"].get("/shipments", run=run, hub="RZE").json()["count"] == 4
    assert api["coordinator"].get("/shipments", run=run + 1).json()["count"] == 0
    # FRA sees that it is listed, not who else is.
    listed = api["FRA"].get(f"/shipments/{code['O-listed']}").json()
    assert listed["releasability"] == "nations" and listed["releasable_to"] == ["FRA"]
    # A hidden shipment cannot be moved either: 404, not 403.
    assert api["FRA"].post(f"/shipments/{code['O-command']}/dispatch", {}).status_code == 404


def test_coordinators_plan_the_shipments_of_an_older_approved_run(
    world: Any, api: dict[str, ApiClient]
) -> None:
    unapproved = finished_run(world, [(world.offers["public"], 2, 3)])
    refused = api["coordinator"].post(f"/plan-runs/{unapproved.pk}/shipments")
    assert refused.status_code == 409 and "is not approved" in refused.json()["detail"]
    # A run approved before approval planned shipments: its lines have none yet.
    older = finished_run(world, [(world.offers["public"], 1, 3), (world.offers["listed"], 2, 4)])
    PlanRun.objects.filter(pk=older.pk).update(approved_at=timezone.now(), approved_by="coord")
    assert api["POL"].post(f"/plan-runs/{older.pk}/shipments").status_code == 403
    planned = api["coordinator"].post(f"/plan-runs/{older.pk}/shipments")
    assert planned.status_code == 200, planned.json()
    codes = [s.code for s in run_shipments(older)]
    assert planned.json() == {"run": older.pk, "created": codes} and len(codes) == 2
    event = Event.objects.filter(action="create_shipments", object_id=str(older.pk)).get()
    assert event.actor == "coord" and event.payload == {"shipments": codes}
    # Never twice.
    assert api["coordinator"].post(f"/plan-runs/{older.pk}/shipments").json() == {
        "run": older.pk,
        "created": [],
    }
    assert api["coordinator"].post("/plan-runs/999999/shipments").status_code == 404
