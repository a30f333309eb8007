"""API shapes of end-use monitoring."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from django.utils import timezone
from ninja import Schema
from pydantic import Field, StringConstraints

from nsatu.core.schemas import NO_NUL, Version, listed_nations, reference
from nsatu.monitoring.models import (
    DiscrepancyCase,
    Evidence,
    Inventory,
    MonitoredItem,
    RepairOrder,
    TransferRequest,
)

Text = Annotated[str, StringConstraints(max_length=5000, pattern=NO_NUL)]
Unit = Annotated[str, StringConstraints(max_length=120, pattern=NO_NUL)]
Party = Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=NO_NUL)]
SerialRef = Annotated[str, StringConstraints(min_length=1, max_length=120, pattern=NO_NUL)]
LocationClassName = Literal["depot", "training", "field", "forward"]
IncidentKindName = Literal["lost", "destroyed", "damaged", "unserviceable"]
ReasonName = Literal["combat", "accident", "theft", "malfunction", "wear", "unknown", "other"]
ResolutionName = Literal["replaced", "written_off", "found"]


class MonitoredItemOut(Schema):
    """A serialised item after receipt: who holds it, its state and its next inventory."""

    id: int
    serial: str
    item_type: str
    family: str
    donor: str
    recipient: str
    shipment: str | None = Field(
        description="the shipment that dispatched it (null if not releasable to you)"
    )
    received_in: str | None = Field(
        description="the shipment whose receipt found it (null if not releasable)"
    )
    received_on: dt.date
    state: str = Field(
        description="in_service, damaged, unserviceable, in_repair, lost, destroyed, written_off, transferred"
    )
    state_since: dt.date
    unit: str
    location_class: str
    initial_inventory_on: dt.date | None
    last_inventory_on: dt.date | None
    inventory_due: dt.date | None = Field(
        description="the next required inventory; null when none is required"
    )
    overdue_days: int
    releasability: str
    releasable_to: list[str]
    version: int

    @staticmethod
    def resolve_item_type(obj: MonitoredItem) -> str:
        return obj.item_type.code

    @staticmethod
    def resolve_family(obj: MonitoredItem) -> str:
        return obj.item_type.family.code

    @staticmethod
    def resolve_donor(obj: MonitoredItem) -> str:
        return obj.donor.iso3

    @staticmethod
    def resolve_recipient(obj: MonitoredItem) -> str:
        return obj.recipient.iso3

    @staticmethod
    def resolve_shipment(obj: MonitoredItem, context: Any = None) -> str | None:
        return reference(obj, "shipment", context)

    @staticmethod
    def resolve_received_in(obj: MonitoredItem, context: Any = None) -> str | None:
        return reference(obj, "received_in", context)

    @staticmethod
    def resolve_inventory_due(obj: MonitoredItem) -> dt.date | None:
        return obj.inventory_due if obj.in_custody else None

    @staticmethod
    def resolve_overdue_days(obj: MonitoredItem) -> int:
        return obj.overdue_days(timezone.localdate())

    @staticmethod
    def resolve_releasable_to(obj: MonitoredItem, context: Any = None) -> list[str]:
        return listed_nations(obj, context)


class CustodyIn(Schema):
    version: Version | None = None
    unit: Unit
    location_class: LocationClassName


class IncidentIn(Schema):
    kind: IncidentKindName
    reason: ReasonName
    details: Text = ""
    on: dt.date | None = Field(None, description="the day it happened; default today")


class IncidentOut(Schema):
    id: int
    item: int = Field(description="the monitored item's id")
    kind: str
    reason: str
    details: str
    occurred_on: dt.date
    reported_by: str

    @staticmethod
    def resolve_item(obj: Any) -> int:
        return int(obj.item_id)


class TransferIn(Schema):
    third_party: Party
    reason: Annotated[str, StringConstraints(min_length=1, max_length=5000, pattern=NO_NUL)]
    on: dt.date | None = None


class DecisionIn(Schema):
    version: Version | None = None
    approve: bool
    note: Text = ""
    on: dt.date | None = None


class TransferOut(Schema):
    id: int
    item: int
    serial: str
    donor: str
    third_party: str
    reason: str
    requested_on: dt.date
    requested_by: str
    state: str = Field(description="pending, approved or refused")
    decided_on: dt.date | None
    decided_by: str
    decision_note: str
    version: int

    @staticmethod
    def resolve_item(obj: TransferRequest) -> int:
        return obj.item_id

    @staticmethod
    def resolve_serial(obj: TransferRequest) -> str:
        return obj.item.serial

    @staticmethod
    def resolve_donor(obj: TransferRequest) -> str:
        return obj.item.donor.iso3


class InventoryIn(Schema):
    serials: Annotated[list[SerialRef], Field(min_length=1, max_length=10000)] = Field(
        description="serials sighted; ITEM-TYPE/SERIAL where a serial is not unique"
    )
    on: dt.date | None = None
    unit: Unit = ""
    note: Text = ""


class InventoryLineOut(Schema):
    item: int
    serial: str
    kind: str


class InventoryOut(Schema):
    """A serial inventory of one donor's items."""

    code: str
    kind: str
    donor: str
    recipient: str
    conducted_on: dt.date
    unit: str
    conducted_by: str
    note: str
    lines: list[InventoryLineOut]

    @staticmethod
    def resolve_donor(obj: Inventory) -> str:
        return obj.donor.iso3

    @staticmethod
    def resolve_recipient(obj: Inventory) -> str:
        return obj.recipient.iso3

    @staticmethod
    def resolve_lines(obj: Inventory, context: Any = None) -> list[InventoryLineOut]:
        from nsatu.monitoring.visibility import visible_items

        user = getattr((context or {}).get("request"), "user", None)
        lines = obj.lines.filter(item__in=visible_items(user)).select_related("item")
        return [
            InventoryLineOut(item=line.item_id, serial=line.item.serial, kind=line.kind) for line in lines
        ]


class InventoriesOut(Schema):
    created: list[InventoryOut] = Field(description="one inventory per donor of the items sighted")


class RepairIn(Schema):
    item: int = Field(ge=1, le=2**62, description="the monitored item's id")
    facility_kind: Literal["donor", "hub"]
    hub: Annotated[str, StringConstraints(max_length=20, pattern=NO_NUL)] = Field(
        "", description="the hub's code, for a hub workshop"
    )
    facility: Unit = ""
    planned_departure: dt.date
    planned_arrival: dt.date
    planned_return_departure: dt.date
    planned_return: dt.date
    note: Text = ""


class RepairLegOut(Schema):
    kind: str = Field(description="outbound or return")
    origin: str
    destination: str
    planned_departure: dt.date
    planned_arrival: dt.date
    actual_departure: dt.date | None
    actual_arrival: dt.date | None


class RepairStepIn(Schema):
    version: Version | None = None
    on: dt.date | None = None
    note: Text = ""


class RepairOut(Schema):
    """A repair order out to a facility and back, with its legs."""

    code: str
    item: int
    serial: str
    facility_kind: str
    facility: str
    hub: str | None
    state: str = Field(
        description="opened, sent, at_facility, repaired, returning, returned or beyond_repair"
    )
    opened_on: dt.date
    repaired_on: dt.date | None
    note: str
    version: int
    legs: list[RepairLegOut]

    @staticmethod
    def resolve_item(obj: RepairOrder) -> int:
        return obj.item_id

    @staticmethod
    def resolve_serial(obj: RepairOrder) -> str:
        return obj.item.serial

    @staticmethod
    def resolve_hub(obj: RepairOrder) -> str | None:
        return obj.hub.code if obj.hub else None

    @staticmethod
    def resolve_legs(obj: RepairOrder) -> list[RepairLegOut]:
        return [RepairLegOut.from_orm(leg) for leg in obj.legs.all()]


class CaseOut(Schema):
    """A discrepancy found at receipt, as a case."""

    code: str
    shipment: str
    kind: str = Field(
        description="short, damaged, wrong_item, serial_missing, serial_extra or serial_swapped"
    )
    serial: str
    quantity: float
    owner: str | None
    state: str = Field(description="open, investigating or resolved")
    resolution: str = Field(description="replaced, written_off, found; empty until resolved")
    resolution_note: str
    opened_on: dt.date
    resolved_on: dt.date | None
    version: int

    @staticmethod
    def resolve_shipment(obj: DiscrepancyCase) -> str:
        return obj.shipment.code

    @staticmethod
    def resolve_kind(obj: DiscrepancyCase) -> str:
        return obj.opened_as

    @staticmethod
    def resolve_serial(obj: DiscrepancyCase) -> str:
        from nsatu.monitoring.visibility import case_names_its_serial

        return obj.discrepancy.serial if case_names_its_serial(obj) else ""

    @staticmethod
    def resolve_quantity(obj: DiscrepancyCase) -> float:
        return obj.discrepancy.quantity

    @staticmethod
    def resolve_owner(obj: DiscrepancyCase) -> str | None:
        return obj.owner.username if obj.owner else None


class CasePatch(Schema):
    version: Version | None = None
    owner: Annotated[str, StringConstraints(min_length=1, max_length=150, pattern=NO_NUL)] | None = None
    investigating: bool | None = None


class CaseResolutionIn(Schema):
    version: Version | None = None
    resolution: ResolutionName
    note: Text = ""
    on: dt.date | None = None


class EvidenceIn(Schema):
    """The form fields beside the file: which record, what the file is, a note."""

    record: Literal["shipment", "inventory", "case", "repair", "incident"]
    key: Annotated[str, StringConstraints(min_length=1, max_length=40, pattern=r"^[^\x00/]+$")] = Field(
        description="the record's code (an incident's id)"
    )
    kind: Literal["waybill", "photo", "inventory_sheet", "discrepancy_report", "repair_document", "other"] = (
        "other"
    )
    note: Annotated[str, StringConstraints(max_length=300, pattern=NO_NUL)] = ""


class EvidenceOut(Schema):
    """A file kept beside a record; its content at `/monitoring/evidence/{id}/` or `content`."""

    id: int
    record: str = Field(description="shipment, inventory, case, repair or incident")
    key: str = Field(description="the record's code (an incident's id)")
    kind: str
    filename: str
    content_type: str
    size: int
    sha256: str
    note: str
    uploaded_by: str
    uploaded_at: dt.datetime

    @staticmethod
    def resolve_record(obj: Evidence) -> str:
        return next(name for name in Evidence.RECORD_FIELDS if getattr(obj, f"{name}_id") is not None)

    @staticmethod
    def resolve_key(obj: Evidence) -> str:
        record = obj.record
        return str(getattr(record, "code", record.pk))


class GroupOut(Schema):
    key: str
    label: str
    required: int
    overdue: int
    share: float


class OverdueSummaryOut(Schema):
    """Required serial inventories and the share overdue, beside the audit's 59 % (by value)."""

    today: dt.date
    required: int = Field(description="items the recipient holds: each owes its next inventory")
    overdue: int
    share: float = Field(description="overdue ÷ required, by count")
    value_share: float | None = Field(description="the same by value, over items with a known value")
    unvalued: int
    audit_share: float = Field(description="DODIG-2024-043: 0.59 by value on 2 June 2023")
    by_donor: list[GroupOut]
    by_family: list[GroupOut]
    by_unit: list[GroupOut]
