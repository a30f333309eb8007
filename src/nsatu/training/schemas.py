"""API shapes for training courses."""

import datetime as dt
from typing import Annotated

from ninja import Schema
from pydantic import Field

from nsatu.core.schemas import Code, Iso3, NonNegative, Version
from nsatu.training.models import Course

Weeks = Annotated[int, Field(ge=0, le=520)]


class CourseIn(Schema):
    code: Code
    family: Code = Field(description="the platform family whose crews it trains")
    host: Iso3
    seats: NonNegative
    start: dt.date
    duration_weeks: Weeks


class CoursePatch(Schema):
    version: Version
    family: Code | None = None
    host: Iso3 | None = None
    seats: NonNegative | None = None
    start: dt.date | None = None
    duration_weeks: Weeks | None = None


class CourseOut(Schema):
    code: str
    family: str
    host: str
    seats: float
    start: dt.date
    duration_weeks: int
    version: int

    @staticmethod
    def resolve_family(obj: Course) -> str:
        return obj.family.code

    @staticmethod
    def resolve_host(obj: Course) -> str:
        return obj.host.iso3
