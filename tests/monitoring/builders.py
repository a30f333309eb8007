"""Helpers of the monitoring tests: a received shipment of serialised items, under monitoring."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from nsatu.catalog.services import update_item_type
from nsatu.core.actors import CLI
from nsatu.monitoring.models import MonitoredItem
from nsatu.shipments import services as shipments
from nsatu.shipments.models import Shipment
from tests.shipments.builders import APPROVED_DAYS_AGO, handed_over, shipments_for


def received(
    world: Any,
    serials: Sequence[str] = ("PZH-001", "PZH-002", "PZH-003"),
    *,
    offer: str = "command",
    on: dt.date | None = None,
    found: Sequence[str] | None = None,
    week: int = 3,
) -> tuple[Shipment, list[MonitoredItem]]:
    """A shipment of ``world.item`` (made serialised) dispatched with ``serials`` and received ``on``.

    ``found`` are the serials the receipt finds (all of them by default).
    """
    if not world.item.serialised:
        world.item = update_item_type(world.item, actor=CLI, serialised=True)
    day = on or dt.date.today() - dt.timedelta(days=1)
    # approved before it was dispatched: a step may not come before its plan's approval
    days_ago = max(APPROVED_DAYS_AGO, (dt.date.today() - day).days + 3)
    (shipment,) = shipments_for(world, [(world.offers[offer], len(serials), week)], days_ago=days_ago)
    handed_over(shipment, serials=serials, on=day - dt.timedelta(days=2))
    shipments.receive_shipment(
        shipment,
        actor=world.users["UKR"],
        quantity_received=len([s for s in (found if found is not None else serials) if s in serials]),
        serials=found if found is not None else serials,
        on=day,
    )
    shipment.refresh_from_db()
    return shipment, list(MonitoredItem.objects.filter(received_in=shipment).order_by("serial"))
