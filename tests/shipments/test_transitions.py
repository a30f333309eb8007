"""Shipments from an approved plan: states in order, illegal steps refused, who may take which step."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from nsatu.core.actors import CLI
from nsatu.core.models import Event
from nsatu.shipments import services
from nsatu.shipments.choices import ShipmentState
from nsatu.shipments.models import Leg, Shipment
from tests.shipments.builders import (
    START,
    approved_run,
    client_for,
    finished_run,
    handed_over,
    run_shipments,
    shipments_for,
)

pytestmark = pytest.mark.django_db


def test_approved_lines_become_planned_shipments_with_two_legs(world: Any) -> None:
    run = approved_run(world, [(world.offers["public"], 2, 3), (world.offers["coalition"], 1, 5)])
    services.create_shipments_for_run(run, actor=world.users["coordinator"])
    created = run_shipments(run)
    assert [s.state for s in created] == [ShipmentState.PLANNED] * 2
    first = created[0]
    assert first.planned_arrival == START + dt.timedelta(weeks=3)
    assert first.releasability == "public" and created[1].releasability == "coalition"
    legs = list(first.legs.order_by("planned_departure"))
    assert [leg.kind for leg in legs] == ["to_hub", "to_recipient"]
    assert legs[0].destination == "Rzeszow" and legs[1].destination == "Ukraine"
    assert legs[1].planned_arrival == first.planned_arrival
    assert Event.objects.filter(action="create_shipments", object_id=str(run.pk)).exists()
    # a second call creates nothing new
    assert services.create_shipments_for_run(run, actor=CLI) == []
    assert Shipment.objects.count() == 2


def test_unapproved_run_makes_no_shipments(world: Any) -> None:
    run = finished_run(world, [(world.offers["public"], 2, 3)])
    with pytest.raises(services.ShipmentError, match="not approved"):
        services.create_shipments_for_run(run, actor=CLI)


def test_steps_in_order_each_with_its_event(world: Any) -> None:
    (shipment,) = shipments_for(world, [(world.offers["public"], 2, 3)])
    day = dt.date(2027, 1, 5)
    shipment = services.dispatch_shipment(shipment, actor=world.users["POL"], on=day)
    shipment = services.arrive_at_hub(shipment, actor=world.users["coordinator"], on=day)
    shipment = services.hand_over_shipment(shipment, actor=world.users["coordinator"], on=day)
    result = services.receive_shipment(shipment, actor=world.users["UKR"], quantity_received=2, on=day)
    shipment.refresh_from_db()
    assert shipment.state == ShipmentState.RECEIVED and shipment.closed and result.clean
    actions = list(
        Event.objects.filter(object_type="shipments.shipment", object_id=str(shipment.pk)).values_list(
            "action", flat=True
        )
    )
    assert actions == ["create", "dispatch", "arrive_at_hub", "hand_over", "receive"]
    legs = {leg.kind: leg for leg in Leg.objects.filter(shipment=shipment)}
    assert legs["to_hub"].actual_departure == day and legs["to_recipient"].actual_arrival == day


@pytest.mark.parametrize(
    ("done", "step", "message"),
    [
        (0, "receive", "is planned: it cannot become received; the next step is dispatched"),
        (0, "at_hub", "is planned: it cannot become at hub"),
        (1, "dispatch", "is dispatched: it cannot become dispatched; the next step is at hub"),
        (2, "handed_over_twice", "is handed over: it cannot become handed over"),
        (4, "dispatch", "is already received and closed"),
    ],
)
def test_illegal_transitions_are_refused_with_a_clear_message(
    world: Any, done: int, step: str, message: str
) -> None:
    (shipment,) = shipments_for(world, [(world.offers["public"], 2, 3)])
    walk = [
        lambda s: services.dispatch_shipment(s, actor=CLI),
        lambda s: services.arrive_at_hub(s, actor=CLI),
        lambda s: services.hand_over_shipment(s, actor=CLI),
        lambda s: services.receive_shipment(s, actor=CLI, quantity_received=2) and s,
    ]
    for action in walk[:done]:
        shipment = action(shipment) or shipment
    if step == "handed_over_twice":
        shipment = services.hand_over_shipment(shipment, actor=CLI)
    before = Event.objects.count()
    attempt = {
        "receive": lambda: services.receive_shipment(shipment, actor=CLI, quantity_received=2),
        "at_hub": lambda: services.arrive_at_hub(shipment, actor=CLI),
        "dispatch": lambda: services.dispatch_shipment(shipment, actor=CLI),
        "handed_over_twice": lambda: services.hand_over_shipment(shipment, actor=CLI),
    }[step]
    with pytest.raises(services.ShipmentError, match=message):
        attempt()
    assert Event.objects.count() == before


def test_illegal_step_through_the_page_is_refused_with_the_message(world: Any) -> None:
    (shipment,) = shipments_for(world, [(world.offers["public"], 2, 3)])
    client = client_for(world.users["coordinator"])
    response = client.post(f"/shipments/{shipment.code}/hand-over/", {"on": "2027-01-05"}, follow=True)
    assert "is planned: it cannot become handed over" in response.content.decode()
    shipment.refresh_from_db()
    assert shipment.state == ShipmentState.PLANNED


def test_only_the_donor_or_a_coordinator_dispatches(world: Any) -> None:
    (shipment,) = shipments_for(world, [(world.offers["public"], 2, 3)])
    with pytest.raises(services.ShipmentPermissionError):
        services.dispatch_shipment(shipment, actor=world.users["FRA"])
    with pytest.raises(services.ShipmentPermissionError):
        services.dispatch_shipment(shipment, actor=world.users["UKR"])
    assert client_for(world.users["UKR"]).post(f"/shipments/{shipment.code}/dispatch/", {}).status_code == 403
    response = client_for(world.users["POL"]).post(
        f"/shipments/{shipment.code}/dispatch/", {"on": "2027-01-04"}
    )
    assert response.status_code == 302
    shipment.refresh_from_db()
    assert shipment.state == ShipmentState.DISPATCHED and shipment.dispatched_on == dt.date(2027, 1, 4)


def test_only_the_recipient_or_a_coordinator_receives(world: Any) -> None:
    (shipment,) = shipments_for(world, [(world.offers["public"], 2, 3)])
    shipment = handed_over(shipment)
    with pytest.raises(services.ShipmentPermissionError):
        services.receive_shipment(shipment, actor=world.users["POL"], quantity_received=2)
    assert client_for(world.users["POL"]).get(f"/shipments/{shipment.code}/receive/").status_code == 403


def test_receipt_records_short_damaged_and_wrong_item(world: Any) -> None:
    (shipment,) = shipments_for(world, [(world.offers["public"], 2, 3)])
    shipment = handed_over(shipment)
    services.receive_shipment(
        shipment, actor=world.users["UKR"], quantity_received=1, damaged=1, wrong_item=1, note="a trailer"
    )
    found = {(d.kind, d.quantity) for d in shipment.discrepancies.all()}
    assert found == {("short", 1), ("damaged", 1), ("wrong_item", 1)}
    with pytest.raises(services.ShipmentError, match="only 2 were shipped"):
        (other,) = shipments_for(world, [(world.offers["coalition"], 2, 3)])
        services.receive_shipment(handed_over(other), actor=CLI, quantity_received=3)


def test_late_shipments_are_flagged_and_listed_as_slipped(world: Any) -> None:
    on_time, late, waiting = shipments_for(
        world,
        [(world.offers["public"], 2, 3), (world.offers["coalition"], 2, 3), (world.offers["command"], 2, 1)],
    )
    planned = on_time.planned_arrival
    services.receive_shipment(handed_over(on_time, on=planned), actor=CLI, quantity_received=2, on=planned)
    services.receive_shipment(
        handed_over(late, on=planned), actor=CLI, quantity_received=2, on=planned + dt.timedelta(days=9)
    )
    late.refresh_from_db()
    assert late.days_late(dt.date(2030, 1, 1)) == 9
    assert waiting.is_late(waiting.planned_arrival + dt.timedelta(days=1))
    client = client_for(world.users["coordinator"])
    html = client.get("/shipments/slipped/").content.decode()
    assert late.code in html and on_time.code not in html
    listed = client.get("/shipments/?late=on").content.decode()
    assert late.code in listed and on_time.code not in listed


def test_list_filters_and_releasability(world: Any) -> None:
    shipments_for(
        world,
        [(world.offers[k], 2, 3) for k in ("public", "coalition", "listed", "command")],
    )
    codes = {
        k: Shipment.objects.get(offer=world.offers[k]).code
        for k in ("public", "coalition", "listed", "command")
    }
    html = client_for(world.users["FRA"]).get("/shipments/").content.decode()
    assert codes["public"] in html and codes["listed"] in html
    assert codes["coalition"] not in html and codes["command"] not in html
    assert client_for(world.users["FRA"]).get(f"/shipments/{codes['command']}/").status_code == 404
    coord = client_for(world.users["coordinator"])
    assert codes["command"] in coord.get("/shipments/?state=planned&donor=pol&hub=RZE").content.decode()
    assert codes["command"] not in coord.get("/shipments/?state=received").content.decode()


def test_split_keeps_the_quantity_and_the_legs(world: Any) -> None:
    (shipment,) = shipments_for(world, [(world.offers["public"], 2, 3)])
    with pytest.raises(ValidationError, match=r"counted in whole units: 0\.5 is not a whole number"):
        services.split_shipment(shipment, 0.5, actor=CLI)  # a PzH 2000 comes whole
    part = services.split_shipment(shipment, 1, actor=CLI)
    shipment.refresh_from_db()
    assert shipment.quantity + part.quantity == 2
    assert part.legs.count() == 2 and part.allocation_id == shipment.allocation_id
    services.dispatch_shipment(shipment, actor=CLI)
    with pytest.raises(services.ShipmentError, match="only a planned shipment"):
        services.split_shipment(shipment, 1, actor=CLI)


def test_coordinator_creates_shipments_from_the_page(world: Any) -> None:
    run = approved_run(world, [(world.offers["public"], 2, 3)])
    response = client_for(world.users["coordinator"]).post(
        "/shipments/from-plan/", {"run": run.pk}, follow=True
    )
    assert "shipments planned for plan run" in response.content.decode()
    assert len(run_shipments(run)) == 1
    assert client_for(world.users["POL"]).post("/shipments/from-plan/", {"run": run.pk}).status_code == 403


def test_a_step_cannot_be_dated_before_the_previous_one(world: Any) -> None:
    (shipment,) = shipments_for(world, [(world.offers["public"], 2, 3)])
    shipment = handed_over(shipment, on=dt.date(2027, 1, 10))
    with pytest.raises(
        services.ShipmentError, match="last step was on 2027-01-10: it cannot become received"
    ):
        services.receive_shipment(shipment, actor=CLI, quantity_received=2, on=dt.date(2027, 1, 9))
