"""API shapes for training: courses, their cohorts, and crew readiness per family."""

import datetime as dt
from typing import Annotated

from ninja import Schema
from pydantic import Field, StringConstraints

from nsatu.core.schemas import CODE_HOLDS, CODE_PATTERN, Code, Iso3, NonNegative, Version
from nsatu.training.models import Cohort, Course
from nsatu.training.readiness import FamilyReadiness

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


CohortCode = Annotated[str, StringConstraints(min_length=1, max_length=50, pattern=CODE_PATTERN), CODE_HOLDS]


class CohortIn(Schema):
    """Open an intake of a course; what is left out takes the course's dates and seats."""

    code: CohortCode | None = Field(None, description="default: the course's code and the next number")
    start: dt.date | None = Field(None, description="default: the course's start")
    end: dt.date | None = Field(None, description="default: the course's end")
    seats_offered: NonNegative | None = Field(None, description="default: the course's seats")
    seats_filled: NonNegative = 0


class CohortPatch(Schema):
    version: Version
    start: dt.date | None = None
    end: dt.date | None = None
    seats_offered: NonNegative | None = None
    seats_filled: NonNegative | None = None


class GraduateIn(Schema):
    graduates: NonNegative = Field(description="people trained: at most the seats filled")
    on: dt.date | None = Field(None, description="the day they graduated; default today")


class CohortOut(Schema):
    """One intake of a course: seats offered, filled and targeted by a plan; its graduates."""

    code: str
    course: str
    family: str
    start: dt.date
    end: dt.date
    seats_offered: float
    seats_filled: float
    target_seats: float = Field(description="the seats an approved plan asked of it")
    target_run: int | None = Field(description="that plan run")
    graduates: float | None
    graduated_on: dt.date | None
    expected_graduates: float = Field(description="filled seats, else the target, else the seats offered")
    version: int

    @staticmethod
    def resolve_course(obj: Cohort) -> str:
        return obj.course.code

    @staticmethod
    def resolve_family(obj: Cohort) -> str:
        return obj.course.family.code

    @staticmethod
    def resolve_target_run(obj: Cohort) -> int | None:
        return obj.target_run_id


class ReadinessWeekOut(Schema):
    """One week of a family's readiness; cumulative figures at the week's end."""

    week: int
    date: dt.date
    delivered_this_week: float
    planned_this_week: float
    units: float = Field(description="units on hand and in service (received, planned) at the week's end")
    out_of_service: float = Field(description="received units damaged, in repair or gone at the week's end")
    crews_trained: float
    crews_available: float = Field(description="trained, plus cohorts due by the week's end")
    crews_needed: float
    uncrewed_units: float
    flagged: bool = Field(description="units arrive this week while some on hand have no crew")


class ReadinessOut(Schema):
    """A crewed family: units coming against crews trained and due."""

    family: str
    name: str
    crew_per_unit: float
    units: float = Field(description="units delivered and planned, by the last week")
    crews_available: float
    flagged: bool
    flagged_weeks: list[int] = Field(description="weeks in which units arrive with no crew")

    @staticmethod
    def resolve_family(obj: FamilyReadiness) -> str:
        return obj.family.code

    @staticmethod
    def resolve_name(obj: FamilyReadiness) -> str:
        return obj.family.name

    @staticmethod
    def resolve_crew_per_unit(obj: FamilyReadiness) -> float:
        return obj.family.crew_per_unit

    @staticmethod
    def resolve_flagged_weeks(obj: FamilyReadiness) -> list[int]:
        return [week.week for week in obj.flagged_weeks]


class FamilyReadinessOut(ReadinessOut):
    """One family's readiness week by week."""

    weeks: list[ReadinessWeekOut]
