"""API shapes for requirements."""

import datetime as dt
from typing import Annotated, Any, Literal

from ninja import Schema
from pydantic import Field

from nsatu.core.schemas import Code, Iso3, Marking, Quantity, Title, Version, listed_nations
from nsatu.needs.models import Requirement

Priority = Annotated[int, Field(ge=1, le=5, description="1 = most urgent .. 5")]
Status = Literal["open", "partial", "met", "cancelled", "retired"]
Families = Annotated[list[Code], Field(max_length=200)]
Nations = Annotated[list[Iso3], Field(max_length=100)]


class RequirementIn(Schema):
    id: Code = Field(description="the requirement's code")
    title: Title = ""
    recipient: Iso3 | None = Field(None, description="defaults to your nation (recipient representatives)")
    capability: Code
    quantity: Quantity
    priority: Priority
    needed_by: dt.date
    accepts: Families = Field(default_factory=list, description="family codes; empty = any of the capability")
    releasability: Marking = "public"
    releasable_to: Nations = Field(default_factory=list, description="ISO3 codes, for `nations`")


class RequirementPatch(Schema):
    version: Version
    title: Title | None = None
    capability: Code | None = None
    quantity: Quantity | None = None
    priority: Priority | None = None
    needed_by: dt.date | None = None
    accepts: Families | None = None
    status: Status | None = None
    releasability: Marking | None = None
    releasable_to: Nations | None = None


class RequirementOut(Schema):
    id: str
    title: str
    recipient: str
    capability: str
    quantity: float
    priority: int
    needed_by: dt.date
    accepts: list[str]
    status: str
    releasability: str
    releasable_to: list[str]
    version: int

    @staticmethod
    def resolve_id(obj: Requirement) -> str:
        return obj.code

    @staticmethod
    def resolve_recipient(obj: Requirement) -> str:
        return obj.recipient.iso3

    @staticmethod
    def resolve_capability(obj: Requirement) -> str:
        return obj.capability.code

    @staticmethod
    def resolve_accepts(obj: Requirement) -> list[str]:
        return sorted(f.code for f in obj.accepts.all())

    @staticmethod
    def resolve_releasable_to(obj: Requirement, context: Any = None) -> list[str]:
        return listed_nations(obj, context)
