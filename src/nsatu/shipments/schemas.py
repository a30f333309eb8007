"""API shapes for shipments."""

from __future__ import annotations

import datetime as dt

from ninja import Schema
from pydantic import Field

from nsatu.shipments.models import Shipment


class LegOut(Schema):
    kind: str
    origin: str
    destination: str
    planned_departure: dt.date
    planned_arrival: dt.date
    actual_departure: dt.date | None
    actual_arrival: dt.date | None


class ShipmentOut(Schema):
    code: str
    offer: str
    donor: str
    recipient: str
    hub: str
    item_type: str
    quantity: float
    state: str
    planned_arrival: dt.date
    dispatched_on: dt.date | None
    received_on: dt.date | None
    quantity_received: float | None
    version: int
    legs: list[LegOut]

    @staticmethod
    def resolve_offer(obj: Shipment) -> str:
        return obj.offer.code

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
    def resolve_legs(obj: Shipment) -> list[LegOut]:
        return [LegOut.from_orm(leg) for leg in obj.legs.all()]


class StepIn(Schema):
    version: int | None = Field(None, ge=1, le=2**31 - 1)
    on: dt.date | None = None
    serials: list[str] = Field(default_factory=list, max_length=10000, description="dispatch only")


class ReceiptIn(Schema):
    version: int | None = Field(None, ge=1, le=2**31 - 1)
    on: dt.date | None = None
    quantity_received: float = Field(ge=0, le=1e12)
    damaged: float = Field(0, ge=0, le=1e12)
    wrong_item: float = Field(0, ge=0, le=1e12)
    serials: list[str] = Field(default_factory=list, max_length=10000)
    note: str = Field("", max_length=5000)


class ReconciliationOut(Schema):
    code: str
    state: str
    matched: list[str]
    missing: list[str]
    extra: list[str]
    swapped: list[list[str]]
