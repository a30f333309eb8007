"""What of end-use monitoring a user may see: items by their marking, the rest through the items."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from nsatu.core.releasability import releasable, visible_code_of, with_visible_codes
from nsatu.monitoring.models import (
    DiscrepancyCase,
    IncidentReport,
    Inventory,
    InventoryLine,
    MonitoredItem,
    RepairOrder,
    TransferRequest,
)
from nsatu.shipments.models import Shipment


def visible_items(user: Any) -> QuerySet[MonitoredItem]:
    """Monitored items releasable to the user (they carry their shipment's marking).

    ``visible_shipment`` and ``visible_received_in`` are the codes of the shipment that dispatched
    the item and of the one whose receipt found it, each when the user may open it.
    """
    items = releasable(MonitoredItem.objects.all(), user)
    return with_visible_codes(items, user, visible_shipment="shipment", visible_received_in="received_in")


def visible_inventories(user: Any) -> QuerySet[Inventory]:
    """Inventories of items the user may see (an inventory covers one donor's items)."""
    lines = InventoryLine.objects.filter(item__in=visible_items(user)).values("inventory_id")
    return Inventory.objects.filter(pk__in=lines)


def visible_incidents(user: Any) -> QuerySet[IncidentReport]:
    return IncidentReport.objects.filter(item__in=visible_items(user))


def visible_transfers(user: Any) -> QuerySet[TransferRequest]:
    return TransferRequest.objects.filter(item__in=visible_items(user))


def visible_repairs(user: Any) -> QuerySet[RepairOrder]:
    return RepairOrder.objects.filter(item__in=visible_items(user))


def visible_cases(user: Any) -> QuerySet[DiscrepancyCase]:
    """Cases of shipments releasable to the user.

    ``visible_other_shipment`` is the code of the other shipment a serial was swapped with, when
    the user may open it: a case names that shipment, its serial and its note only then.
    """
    queryset = DiscrepancyCase.objects.filter(shipment__in=releasable(Shipment.objects.all(), user))
    return queryset.annotate(
        visible_other_shipment=visible_code_of(Shipment, user, "discrepancy__other_shipment_id")
    )


def case_names_its_serial(case: DiscrepancyCase) -> bool:
    """A case from ``visible_cases`` may show its serial and note: no other shipment, or a visible one."""
    return case.discrepancy.other_shipment_id is None or bool(getattr(case, "visible_other_shipment", None))
