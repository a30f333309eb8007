"""Vocabularies of end-use monitoring: states, custody, inventories, reports, transfers, repairs, cases."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ItemState(models.TextChoices):
    """Where a serialised item stands after its receipt."""

    IN_SERVICE = "in_service", _("In service")
    DAMAGED = "damaged", _("Damaged")
    UNSERVICEABLE = "unserviceable", _("Unserviceable")
    IN_REPAIR = "in_repair", _("In repair")
    LOST = "lost", _("Lost")
    DESTROYED = "destroyed", _("Destroyed")
    WRITTEN_OFF = "written_off", _("Written off")
    TRANSFERRED = "transferred", _("Transferred")


# Held by the recipient, so its inventories are due.
IN_CUSTODY = frozenset({ItemState.IN_SERVICE, ItemState.DAMAGED, ItemState.UNSERVICEABLE})
# No crew can use it: readiness counts it out of service.
OUT_OF_SERVICE = frozenset(set(ItemState.values) - {ItemState.IN_SERVICE})
# Nothing more happens to it.
FINAL = frozenset({ItemState.LOST, ItemState.DESTROYED, ItemState.WRITTEN_OFF, ItemState.TRANSFERRED})


class LocationClass(models.TextChoices):
    """The kind of place an item is kept, as end-use checks classify it."""

    DEPOT = "depot", _("Depot or storage")
    TRAINING = "training", _("Training site")
    FIELD = "field", _("Field unit")
    FORWARD = "forward", _("Forward area")


class InventoryKind(models.TextChoices):
    """The initial inventory after receipt, then one a year."""

    INITIAL = "initial", _("Initial")
    ANNUAL = "annual", _("Annual")


class IncidentKind(models.TextChoices):
    """What a report says happened to an item."""

    LOST = "lost", _("Lost")
    DESTROYED = "destroyed", _("Destroyed")
    DAMAGED = "damaged", _("Damaged")
    UNSERVICEABLE = "unserviceable", _("Unserviceable")


INCIDENT_STATE: dict[str, str] = {
    IncidentKind.LOST: ItemState.LOST,
    IncidentKind.DESTROYED: ItemState.DESTROYED,
    IncidentKind.DAMAGED: ItemState.DAMAGED,
    IncidentKind.UNSERVICEABLE: ItemState.UNSERVICEABLE,
}


class IncidentReason(models.TextChoices):
    """Why an item was lost, destroyed or damaged."""

    COMBAT = "combat", _("Combat")
    ACCIDENT = "accident", _("Accident")
    THEFT = "theft", _("Theft")
    MALFUNCTION = "malfunction", _("Malfunction")
    WEAR = "wear", _("Wear")
    UNKNOWN = "unknown", _("Unknown")
    OTHER = "other", _("Other")


class TransferState(models.TextChoices):
    """A third-party transfer request waits for the donor, who approves or refuses it."""

    PENDING = "pending", _("Awaiting the donor")
    APPROVED = "approved", _("Approved")
    REFUSED = "refused", _("Refused")


class RepairFacility(models.TextChoices):
    """Where a repair is done."""

    DONOR = "donor", _("Donor's facility")
    HUB = "hub", _("Hub workshop")


class RepairState(models.TextChoices):
    """A repair order on its way out and back."""

    OPENED = "opened", _("Opened")
    SENT = "sent", _("Sent")
    AT_FACILITY = "at_facility", _("At the facility")
    REPAIRED = "repaired", _("Repaired")
    RETURNING = "returning", _("Returning")
    RETURNED = "returned", _("Returned")
    BEYOND_REPAIR = "beyond_repair", _("Beyond repair")


# The one next state of each state (beyond repair is the other way out of the facility).
NEXT_REPAIR_STATE: dict[str, str] = {
    RepairState.OPENED: RepairState.SENT,
    RepairState.SENT: RepairState.AT_FACILITY,
    RepairState.AT_FACILITY: RepairState.REPAIRED,
    RepairState.REPAIRED: RepairState.RETURNING,
    RepairState.RETURNING: RepairState.RETURNED,
}
REPAIR_CLOSED = frozenset({RepairState.RETURNED, RepairState.BEYOND_REPAIR})


class RepairLegKind(models.TextChoices):
    """The two legs of a repair order."""

    OUTBOUND = "outbound", _("To the facility")
    RETURN = "return", _("Back to the unit")


class CaseState(models.TextChoices):
    """A discrepancy case from receipt to resolution."""

    OPEN = "open", _("Open")
    INVESTIGATING = "investigating", _("Investigating")
    RESOLVED = "resolved", _("Resolved")


class CaseResolution(models.TextChoices):
    """How a discrepancy case ended."""

    REPLACED = "replaced", _("Replaced")
    WRITTEN_OFF = "written_off", _("Written off")
    FOUND = "found", _("Found")


class EvidenceKind(models.TextChoices):
    """What a document or picture kept beside a record is."""

    WAYBILL = "waybill", _("Waybill")
    PHOTO = "photo", _("Photo")
    INVENTORY_SHEET = "inventory_sheet", _("Inventory sheet")
    DISCREPANCY_REPORT = "discrepancy_report", _("Discrepancy report")
    REPAIR_DOCUMENT = "repair_document", _("Repair document")
    OTHER = "other", _("Other")
