"""API shapes for offers."""

import datetime as dt
from typing import Annotated, Any, Literal

from ninja import Schema
from pydantic import Field

from nsatu.core.schemas import Code, Iso3, Marking, Note, Quantity, Version, listed_nations, reference
from nsatu.offers.models import Offer

OfferState = Literal["offered", "withdrawn", "allocated", "retired"]
Nations = Annotated[list[Iso3], Field(max_length=100)]


class OfferIn(Schema):
    id: Code = Field(description="the offer's code")
    donor: Iso3 | None = Field(None, description="defaults to your nation (donor representatives)")
    item_type: Code
    quantity: Quantity
    available_from: dt.date
    earmark: Code | None = Field(None, description="the code of a requirement this offer is meant for")
    note: Note = ""
    releasability: Marking = "public"
    releasable_to: Nations = Field(default_factory=list, description="ISO3 codes, for `nations`")


class OfferPatch(Schema):
    version: Version
    item_type: Code | None = None
    quantity: Quantity | None = None
    available_from: dt.date | None = None
    earmark: Code | None = Field(None, description="null clears the earmark")
    note: Note | None = None
    releasability: Marking | None = None
    releasable_to: Nations | None = None


class OfferOut(Schema):
    id: str
    donor: str
    item_type: str
    capability: str
    quantity: float
    available_from: dt.date
    earmark: str | None = Field(description="the requirement's code, when it is releasable to you")
    status: str
    note: str
    releasability: str
    releasable_to: list[str]
    version: int

    @staticmethod
    def resolve_id(obj: Offer) -> str:
        return obj.code

    @staticmethod
    def resolve_donor(obj: Offer) -> str:
        return obj.donor.iso3

    @staticmethod
    def resolve_item_type(obj: Offer) -> str:
        return obj.item_type.code

    @staticmethod
    def resolve_capability(obj: Offer) -> str:
        return obj.item_type.family.capability.code

    @staticmethod
    def resolve_earmark(obj: Offer, context: Any = None) -> str | None:
        # The earmark names a requirement: only a reader who may open it learns its code.
        return reference(obj, "earmark", context)

    @staticmethod
    def resolve_releasable_to(obj: Offer, context: Any = None) -> list[str]:
        return listed_nations(obj, context)
