"""API shapes for shipments."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from django.utils import timezone
from ninja import Schema
from pydantic import Field, StringConstraints

from nsatu.core.schemas import NO_NUL, Version, listed_nations, reference
from nsatu.shipments.choices import NEXT_STATE, ShipmentState
from nsatu.shipments.models import Shipment

# As long as the serial column; typed or scanned, so no NUL either.
Serial = Annotated[str, StringConstraints(max_length=64, pattern=NO_NUL)]
Serials = Annotated[list[Serial], Field(max_length=10000)]
Count = Annotated[float, Field(ge=0, le=1e12, allow_inf_nan=False)]

# The path segment that takes each state's step: /shipments/{code}/{step}, or /receipt.
STEP_OF_STATE: dict[str, str] = {
    ShipmentState.DISPATCHED: "dispatch",
    ShipmentState.AT_HUB: "at-hub",
    ShipmentState.HANDED_OVER: "hand-over",
    ShipmentState.RECEIVED: "receipt",
}


class LegOut(Schema):
    kind: str = Field(description="to_hub or to_recipient")
    origin: str
    destination: str
    planned_departure: dt.date
    planned_arrival: dt.date
    actual_departure: dt.date | None
    actual_arrival: dt.date | None


class ShipmentOut(Schema):
    """A shipment on its way donor -> hub -> recipient, with its two legs."""

    code: str
    run: int = Field(description="the plan run whose approved line it carries")
    offer: str | None = Field(description="the offer's code, when it is releasable to you")
    donor: str
    recipient: str
    hub: str
    item_type: str
    quantity: float
    state: str = Field(description="planned, dispatched, at_hub, handed_over, received or cancelled")
    next_step: str | None = Field(
        description="dispatch, at-hub, hand-over, receipt; null once received or cancelled"
    )
    planned_arrival: dt.date
    days_late: int = Field(description="days past the planned arrival, at receipt or today")
    dispatched_on: dt.date | None
    received_on: dt.date | None
    quantity_received: float | None
    cancelled_on: dt.date | None = Field(description="when its commitment was taken back before dispatch")
    flag: str = Field(description="set when its commitment was taken back while it was on its way")
    flagged_on: dt.date | None
    releasability: str
    releasable_to: list[str]
    version: int
    legs: list[LegOut]

    @staticmethod
    def resolve_run(obj: Shipment) -> int:
        return obj.allocation.run_id

    @staticmethod
    def resolve_offer(obj: Shipment, context: Any = None) -> str | None:
        return reference(obj, "offer", context)

    @staticmethod
    def resolve_donor(obj: Shipment) -> str:
        return obj.donor.iso3

    @staticmethod
    def resolve_recipient(obj: Shipment) -> str:
        return obj.recipient.iso3

    @staticmethod
    def resolve_hub(obj: Shipment) -> str:
        return obj.hub.code

    @staticmethod
    def resolve_item_type(obj: Shipment) -> str:
        return obj.item_type.code

    @staticmethod
    def resolve_next_step(obj: Shipment) -> str | None:
        following = NEXT_STATE.get(obj.state)
        return STEP_OF_STATE[following] if following else None

    @staticmethod
    def resolve_days_late(obj: Shipment) -> int:
        return obj.days_late(timezone.localdate())

    @staticmethod
    def resolve_releasable_to(obj: Shipment, context: Any = None) -> list[str]:
        return listed_nations(obj, context)

    @staticmethod
    def resolve_legs(obj: Shipment) -> list[LegOut]:
        return [LegOut.from_orm(leg) for leg in obj.legs.all()]


class StepIn(Schema):
    version: Version | None = None
    on: dt.date | None = Field(
        None, description="the day of the step; default today; from the plan's approval to its horizon's end"
    )
    serials: Serials = Field(
        default_factory=list, description="dispatch only: one per unit of a serialised item"
    )


class ReceiptIn(Schema):
    version: Version | None = None
    on: dt.date | None = Field(
        None,
        description="the day of the receipt; default today; from the plan's approval to its horizon's end",
    )
    quantity_received: Count = Field(description="units of the shipped item that arrived, damaged included")
    damaged: Count = 0
    wrong_item: Count = Field(0, description="units of something else that came instead")
    serials: Serials = Field(default_factory=list, description="the serials found, for serialised items")
    note: Annotated[str, StringConstraints(max_length=5000, pattern=NO_NUL)] = ""


class ReconciliationOut(Schema):
    """What the receipt's serials said against those recorded at dispatch."""

    code: str
    state: str
    matched: list[str]
    missing: list[str]
    extra: list[str]
    swapped: list[list[str]] = Field(
        description="[serial, the other shipment's code] pairs (empty code: not releasable to you)"
    )


class ShipmentsPlannedOut(Schema):
    """The shipments planned for a run's lines that had none."""

    run: int
    created: list[str] = Field(description="codes of the new shipments; empty when every line has one")
