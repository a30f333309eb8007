"""End-use monitoring rules, on SQLite and PostgreSQL: items after receipt, inventories, reports,
transfers, repairs and cases, each audited."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import override_settings

from nsatu.core.actors import CLI
from nsatu.core.ledger import verify_ledger
from nsatu.core.models import Event
from nsatu.logistics.models import Hub
from nsatu.monitoring import services
from nsatu.monitoring.choices import CaseResolution, CaseState, ItemState, RepairState, TransferState
from nsatu.monitoring.models import DiscrepancyCase, MonitoredItem
from nsatu.monitoring.visibility import visible_items
from nsatu.shipments.models import SerialNumber
from tests.monitoring.builders import received

pytestmark = pytest.mark.django_db

TODAY = dt.date.today()


def test_a_receipt_puts_each_serial_found_under_monitoring_with_its_initial_inventory_due(world: Any) -> None:
    shipment, items = received(world, on=TODAY - dt.timedelta(days=5))
    assert [i.serial for i in items] == ["PZH-001", "PZH-002", "PZH-003"]
    first = items[0]
    assert first.state == ItemState.IN_SERVICE and first.received_on == TODAY - dt.timedelta(days=5)
    assert first.inventory_due == first.received_on + dt.timedelta(days=90)
    assert first.donor == world.nations["POL"] and first.recipient == world.nations["UKR"]
    assert first.releasability == shipment.releasability == "command-only"
    assert Event.objects.filter(object_type="monitoring.monitoreditem", action="create").count() == 3
    assert verify_ledger().ok


@override_settings(NSATU_EUM_INITIAL_DAYS=30)
def test_the_initial_inventory_period_is_configurable(world: Any) -> None:
    _shipment, items = received(world, ["A-1"])
    assert items[0].inventory_due == items[0].received_on + dt.timedelta(days=30)


def test_an_inventory_makes_the_next_one_due_a_year_later(world: Any) -> None:
    _shipment, items = received(world, on=TODAY - dt.timedelta(days=10))
    (inventory,) = services.record_inventory(
        items[:2], actor=world.users["UKR"], on=TODAY, unit="55th Brigade"
    )
    assert inventory.kind == "initial" and inventory.lines.count() == 2
    first = MonitoredItem.objects.get(pk=items[0].pk)
    assert first.initial_inventory_on == TODAY and first.unit == "55th Brigade"
    assert first.inventory_due == TODAY + dt.timedelta(days=365)
    (annual,) = services.record_inventory([first], actor=world.users["UKR"], on=TODAY)
    assert annual.kind == "annual"
    event = Event.objects.filter(action="record_inventory").order_by("-seq").first()
    assert event is not None and event.payload["serials"] == ["PZH2000-A/PZH-001"]


def test_inventories_are_refused_for_other_nations_future_days_and_days_before_receipt(world: Any) -> None:
    _shipment, items = received(world, on=TODAY - dt.timedelta(days=3))
    with pytest.raises(services.MonitoringPermissionError):
        services.record_inventory(items, actor=world.users["POL"])
    with pytest.raises(services.MonitoringError, match="future"):
        services.record_inventory(items, actor=world.users["UKR"], on=TODAY + dt.timedelta(days=1))
    with pytest.raises(services.MonitoringError, match="was received on"):
        services.record_inventory(items, actor=world.users["UKR"], on=TODAY - dt.timedelta(days=30))
    assert MonitoredItem.objects.filter(initial_inventory_on__isnull=False).count() == 0


def test_find_items_names_the_unknown_or_repeated_serial(world: Any) -> None:
    _shipment, _items = received(world)
    held = visible_items(world.users["UKR"])
    assert [i.serial for i in services.find_items(["pzh-002", "PZH2000-A/PZH-001"], held)] == [
        "PZH-002",
        "PZH-001",
    ]
    with pytest.raises(services.MonitoringError, match="PZH-404"):
        services.find_items(["PZH-404"], held)
    with pytest.raises(services.MonitoringError, match="twice"):
        services.find_items(["PZH-001", "PZH-001"], held)
    with pytest.raises(services.MonitoringError, match="No monitored item"):
        services.find_items(["PZH-001"], visible_items(world.users["DEU"]))


def test_loss_and_damage_reports_carry_a_reason_and_move_the_state(world: Any) -> None:
    _shipment, (lost, damaged, _kept) = received(world)
    ukr = world.users["UKR"]
    services.report_incident(lost, actor=ukr, kind="lost", reason="combat", details="Bakhmut axis")
    services.report_incident(damaged, actor=ukr, kind="damaged", reason="accident")
    lost.refresh_from_db()
    damaged.refresh_from_db()
    assert lost.state == ItemState.LOST and damaged.state == ItemState.DAMAGED
    assert [c.to_state for c in lost.changes.all()] == ["in_service", "lost"]
    with pytest.raises(services.MonitoringError, match="lost"):
        services.report_incident(lost, actor=ukr, kind="damaged", reason="combat")
    with pytest.raises(services.MonitoringError, match="other"):
        services.report_incident(damaged, actor=ukr, kind="destroyed", reason="other")
    with pytest.raises(services.MonitoringPermissionError):
        services.report_incident(damaged, actor=world.users["POL"], kind="destroyed", reason="combat")
    # a lost item needs no more inventories
    assert not MonitoredItem.objects.get(pk=lost.pk).in_custody


def test_the_donor_alone_decides_a_third_party_transfer(world: Any) -> None:
    _shipment, (item, other, _third) = received(world)
    request = services.request_transfer(
        item, actor=world.users["UKR"], third_party="Moldova", reason="training"
    )
    with pytest.raises(services.MonitoringError, match="already awaits"):
        services.request_transfer(item, actor=world.users["UKR"], third_party="X", reason="y")
    for outsider in ("UKR", "coordinator", "DEU"):
        with pytest.raises(services.MonitoringPermissionError):
            services.decide_transfer(request, actor=world.users[outsider], approve=True)
    decided = services.decide_transfer(request, actor=world.users["POL"], approve=True, note="agreed")
    assert decided.state == TransferState.APPROVED
    item.refresh_from_db()
    assert item.state == ItemState.TRANSFERRED and item.unit == "Moldova"
    refused = services.decide_transfer(
        services.request_transfer(other, actor=world.users["UKR"], third_party="Y", reason="z"),
        actor=world.users["POL"],
        approve=False,
    )
    assert refused.state == TransferState.REFUSED
    assert MonitoredItem.objects.get(pk=other.pk).state == ItemState.IN_SERVICE
    with pytest.raises(services.MonitoringError, match="already refused"):
        services.decide_transfer(refused, actor=world.users["POL"], approve=True)


def _repair(world: Any, item: MonitoredItem, **extra: Any) -> Any:
    day = TODAY
    return services.open_repair(
        item,
        actor=world.users["UKR"],
        facility_kind="donor",
        planned_departure=day,
        planned_arrival=day + dt.timedelta(days=3),
        planned_return_departure=day + dt.timedelta(days=20),
        planned_return=day + dt.timedelta(days=23),
        **extra,
    )


def test_a_repair_order_takes_the_item_out_and_back_with_its_own_legs(world: Any) -> None:
    _shipment, (item, healthy, _third) = received(world, on=TODAY - dt.timedelta(days=5))
    with pytest.raises(services.MonitoringError, match="damaged or unserviceable"):
        _repair(world, healthy)
    services.report_incident(item, actor=world.users["UKR"], kind="damaged", reason="combat")
    order = _repair(world, item)
    assert order.facility == "Poland" and order.legs.count() == 2
    with pytest.raises(services.MonitoringError, match="already has an open repair"):
        _repair(world, item)
    with pytest.raises(services.MonitoringError, match="the next step is sent"):
        services.advance_repair(order, RepairState.RETURNED, actor=CLI)
    steps = [RepairState.SENT, RepairState.AT_FACILITY, RepairState.REPAIRED, RepairState.RETURNING]
    for step in steps:
        order = services.advance_repair(order, step, actor=world.users["POL"], on=TODAY)
        if step == RepairState.SENT:
            assert MonitoredItem.objects.get(pk=item.pk).state == ItemState.IN_REPAIR
    order = services.advance_repair(order, RepairState.RETURNED, actor=world.users["UKR"], on=TODAY)
    item.refresh_from_db()
    assert order.state == RepairState.RETURNED and item.state == ItemState.IN_SERVICE
    legs = {leg.kind: leg for leg in order.legs.all()}
    assert legs["outbound"].actual_departure == TODAY and legs["return"].actual_arrival == TODAY
    actions = list(
        Event.objects.filter(object_type="monitoring.repairorder").values_list("action", flat=True)
    )
    assert actions == [
        "create",
        "send_to_repair",
        "arrive_at_repair",
        "repair",
        "return_from_repair",
        "receive_from_repair",
    ]
    with pytest.raises(services.MonitoringPermissionError):
        services.advance_repair(_repair_again(world, item), RepairState.SENT, actor=world.users["DEU"])


def _repair_again(world: Any, item: MonitoredItem) -> Any:
    services.report_incident(item, actor=world.users["UKR"], kind="unserviceable", reason="wear")
    return _repair(world, item)


def test_a_repair_beyond_repair_writes_the_item_off(world: Any) -> None:
    hub, _ = Hub.objects.get_or_create(
        code="RZE", defaults={"name": "Rzeszow", "nation": world.nations["POL"], "capacity_t_per_week": 5}
    )
    _shipment, (item, *_rest) = received(world)
    services.report_incident(item, actor=world.users["UKR"], kind="unserviceable", reason="malfunction")
    order = services.open_repair(
        item, actor=world.users["UKR"], facility_kind="hub", hub=hub, planned_departure=TODAY,
        planned_arrival=TODAY, planned_return_departure=TODAY, planned_return=TODAY,
    )  # fmt: skip
    assert order.facility == "Rzeszow"
    with pytest.raises(services.MonitoringError, match="beyond repair"):
        services.advance_repair(order, RepairState.BEYOND_REPAIR, actor=CLI)
    for step in (RepairState.SENT, RepairState.AT_FACILITY, RepairState.BEYOND_REPAIR):
        order = services.advance_repair(order, step, actor=CLI)
    assert MonitoredItem.objects.get(pk=item.pk).state == ItemState.WRITTEN_OFF


def test_the_planned_repair_dates_must_follow_one_another(world: Any) -> None:
    _shipment, (item, *_rest) = received(world)
    services.report_incident(item, actor=world.users["UKR"], kind="damaged", reason="combat")
    with pytest.raises(services.MonitoringError, match="follow one another"):
        services.open_repair(
            item, actor=CLI, facility_kind="donor", planned_departure=TODAY,
            planned_arrival=TODAY - dt.timedelta(days=1), planned_return_departure=TODAY,
            planned_return=TODAY,
        )  # fmt: skip


def test_each_discrepancy_at_receipt_becomes_a_case_resolved_with_an_owner(world: Any) -> None:
    shipment, items = received(world, ["S-1", "S-2", "S-3"], found=["S-1", "S-2", "S-9"])
    cases = {c.opened_as: c for c in DiscrepancyCase.objects.filter(shipment=shipment)}
    assert set(cases) == {"short", "serial_missing", "serial_extra"}
    assert [i.serial for i in items] == ["S-1", "S-2"]
    missing = cases["serial_missing"]
    owner = world.users["POL"]
    missing = services.update_case(missing, actor=world.users["coordinator"], owner=owner, investigating=True)
    assert missing.owner == owner and missing.state == CaseState.INVESTIGATING
    with pytest.raises(services.MonitoringError, match="cannot own"):
        services.update_case(missing, actor=world.users["coordinator"], owner=world.users["DEU"])
    with pytest.raises(services.MonitoringPermissionError):
        services.resolve_case(missing, actor=world.users["DEU"], resolution="found")
    resolved = services.resolve_case(
        missing, actor=owner, resolution=CaseResolution.FOUND, note="in the crate"
    )
    assert resolved.state == CaseState.RESOLVED and resolved.resolution == "found"
    # found: the serial is confirmed and goes under monitoring
    assert SerialNumber.objects.get(serial="S-3").confirmed_on == TODAY
    assert MonitoredItem.objects.filter(serial="S-3", received_in=shipment).exists()
    with pytest.raises(services.MonitoringError, match="resolved"):
        services.resolve_case(resolved, actor=owner, resolution="written_off")
    services.resolve_case(cases["short"], actor=world.users["UKR"], resolution=CaseResolution.WRITTEN_OFF)
    assert verify_ledger().ok


def test_a_missing_serial_that_turns_up_in_another_receipt_closes_its_case_as_found(world: Any) -> None:
    from nsatu.shipments import services as shipments
    from tests.shipments.builders import handed_over, shipments_for

    first, _items = received(world, ["M-1", "M-2"], found=["M-1"])
    case = DiscrepancyCase.objects.get(shipment=first, opened_as="serial_missing")
    (second,) = shipments_for(world, [(world.offers["public"], 1, 4)])
    handed_over(second, serials=["M-3"])
    shipments.receive_shipment(second, actor=world.users["UKR"], quantity_received=1, serials=["M-3", "M-2"])
    case.refresh_from_db()
    assert case.state == CaseState.RESOLVED and case.resolution == CaseResolution.FOUND
    assert case.resolution_note == "found in the receipt of another shipment"
    assert case.discrepancy.kind == "serial_swapped" and case.discrepancy.other_shipment == second
    assert MonitoredItem.objects.get(serial="M-2").received_in == second
