"""Vocabularies of shipments: states, legs and discrepancies."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ShipmentState(models.TextChoices):
    """Where a shipment is on its way from the donor to the recipient."""

    PLANNED = "planned", _("Planned")
    DISPATCHED = "dispatched", _("Dispatched")
    AT_HUB = "at_hub", _("At hub")
    HANDED_OVER = "handed_over", _("Handed over")
    RECEIVED = "received", _("Received")
    # taken back before dispatch (its commitment suspended or withdrawn): nothing more happens to it
    CANCELLED = "cancelled", _("Cancelled")


# The one allowed next state of each state; received (or cancelled) closes the shipment.
NEXT_STATE: dict[str, str] = {
    ShipmentState.PLANNED: ShipmentState.DISPATCHED,
    ShipmentState.DISPATCHED: ShipmentState.AT_HUB,
    ShipmentState.AT_HUB: ShipmentState.HANDED_OVER,
    ShipmentState.HANDED_OVER: ShipmentState.RECEIVED,
}

# States of a shipment still to arrive: left the donor, not received.
IN_TRANSIT_STATES = (ShipmentState.DISPATCHED, ShipmentState.AT_HUB, ShipmentState.HANDED_OVER)

# States counted as "shipped" (left the donor).
SHIPPED_STATES = (
    ShipmentState.DISPATCHED,
    ShipmentState.AT_HUB,
    ShipmentState.HANDED_OVER,
    ShipmentState.RECEIVED,
)


class LegKind(models.TextChoices):
    """The two legs of every shipment."""

    TO_HUB = "to_hub", _("Donor to hub")
    TO_RECIPIENT = "to_recipient", _("Hub to recipient")


class DiscrepancyKind(models.TextChoices):
    """What a receipt found wrong."""

    SHORT = "short", _("Short")
    DAMAGED = "damaged", _("Damaged")
    WRONG_ITEM = "wrong_item", _("Wrong item")
    SERIAL_MISSING = "serial_missing", _("Serial missing")
    SERIAL_EXTRA = "serial_extra", _("Serial extra")
    SERIAL_SWAPPED = "serial_swapped", _("Serial swapped")
