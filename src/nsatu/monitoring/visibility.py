"""What of end-use monitoring a user may see: items by their marking, the rest through the items."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from nsatu.core.releasability import releasable
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
    """Monitored items releasable to the user (they carry their shipment's marking)."""
    return releasable(MonitoredItem.objects.all(), user)


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
    """Cases of shipments releasable to the user."""
    return DiscrepancyCase.objects.filter(shipment__in=releasable(Shipment.objects.all(), user))
