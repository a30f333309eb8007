"""Training API: courses hosted by allied nations, their cohorts, and crew readiness per family.

Courses and cohorts are not marked: every signed-in user reads them; only
coordinators change them, through `nsatu.training.services` (each change a
ledger event). Readiness counts only the shipments and plan lines releasable
to the caller, as the readiness pages do.
"""

import dataclasses
import datetime as dt
from collections.abc import Callable
from typing import Annotated, TypeVar

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Query, Router, Status
from ninja.errors import HttpError
from ninja.pagination import paginate

from nsatu.catalog.models import Family
from nsatu.core.api import (
    CREATE_ERRORS,
    LIST_ERRORS,
    READ_ERRORS,
    WRITE_ERRORS,
    Pagination,
    coordinator,
    current_user,
    get_or_404,
    lookup,
    patch_fields,
)
from nsatu.core.schemas import Code, Iso3
from nsatu.nations.models import Nation
from nsatu.training import services
from nsatu.training.models import Cohort, Course
from nsatu.training.readiness import FamilyReadiness, ReadinessWeek, family_readiness, readiness_overview
from nsatu.training.schemas import (
    CohortCode,
    CohortIn,
    CohortOut,
    CohortPatch,
    CourseIn,
    CourseOut,
    CoursePatch,
    FamilyReadinessOut,
    GraduateIn,
    ReadinessOut,
)

T = TypeVar("T")

router = Router(tags=["training"])


def _courses() -> QuerySet[Course]:
    return Course.objects.select_related("family", "host")


@router.get("/courses", response={200: list[CourseOut], **LIST_ERRORS}, summary="List courses")
@paginate(Pagination)
def list_courses(
    request: HttpRequest,
    family: Code | None = None,
    host: Iso3 | None = None,
    starts_after: dt.date | None = None,
) -> QuerySet[Course]:
    """Courses by start date, optionally one family's, one host's, or starting after a date."""
    queryset = _courses()
    if family:
        queryset = queryset.filter(family__code=family)
    if host:
        queryset = queryset.filter(host__iso3=host.upper())
    if starts_after:
        queryset = queryset.filter(start__gt=starts_after)
    return queryset


@router.get("/courses/{code}", response={200: CourseOut, **READ_ERRORS}, summary="Get a course")
def get_course(request: HttpRequest, code: Code) -> Course:
    """One course by its code."""
    return get_or_404(_courses(), "course", code=code)


@router.post("/courses", response={201: CourseOut, **CREATE_ERRORS}, summary="Offer a course")
def create_course(request: HttpRequest, payload: CourseIn) -> Status[Course]:
    """Offer a course that trains crews of a family (coordinators)."""
    actor = coordinator(request, "change training")
    course = services.create_course(
        actor=actor,
        code=payload.code,
        family=lookup(Family, "family", payload.family, key="code"),
        host=lookup(Nation, "host", payload.host.upper(), key="iso3"),
        seats=payload.seats,
        start=payload.start,
        duration_weeks=payload.duration_weeks,
    )
    return Status(201, course)


@router.patch("/courses/{code}", response={200: CourseOut, **WRITE_ERRORS}, summary="Change a course")
def update_course(request: HttpRequest, code: Code, payload: CoursePatch) -> Course:
    """Change a course (coordinators); 409 when `version` is stale."""
    actor = coordinator(request, "change training")
    course = get_or_404(_courses(), "course", code=code)
    changes = patch_fields(payload)
    if payload.family is not None:
        changes["family"] = lookup(Family, "family", payload.family, key="code")
    if payload.host is not None:
        changes["host"] = lookup(Nation, "host", payload.host.upper(), key="iso3")
    return services.update_course(course, actor=actor, expected_version=payload.version, **changes)


@router.delete("/courses/{code}", response={204: None, **WRITE_ERRORS}, summary="Cancel a course")
def delete_course(request: HttpRequest, code: Code) -> Status[None]:
    """Remove a course (coordinators)."""
    actor = coordinator(request, "change training")
    services.delete_course(get_or_404(Course.objects.all(), "course", code=code), actor=actor)
    return Status(204, None)


# --- cohorts -------------------------------------------------------------------------------------


def _cohorts() -> QuerySet[Cohort]:
    return Cohort.objects.select_related("course__family")


def _refused(call: Callable[[], T]) -> T:
    """A change the training rules refuse (a graduated cohort, too many graduates) answers 409."""
    try:
        return call()
    except services.TrainingError as exc:
        raise HttpError(409, str(exc)) from exc


@router.get("/cohorts", response={200: list[CohortOut], **LIST_ERRORS}, summary="List cohorts")
@paginate(Pagination)
def list_cohorts(
    request: HttpRequest,
    course: Code | None = None,
    family: Code | None = None,
    graduated: bool | None = None,
    starts_after: dt.date | None = None,
) -> QuerySet[Cohort]:
    """Cohorts by start date; optionally one course's or one family's, graduated or not."""
    queryset = _cohorts()
    if course:
        queryset = queryset.filter(course__code=course)
    if family:
        queryset = queryset.filter(course__family__code=family)
    if graduated is not None:
        queryset = queryset.filter(graduates__isnull=not graduated)
    if starts_after:
        queryset = queryset.filter(start__gt=starts_after)
    return queryset.order_by("start", "code")


@router.get(
    "/courses/{code}/cohorts",
    response={200: list[CohortOut], **READ_ERRORS},
    summary="List a course's cohorts",
)
@paginate(Pagination)
def list_course_cohorts(request: HttpRequest, code: Code) -> QuerySet[Cohort]:
    """The cohorts of one course, by start date."""
    course = get_or_404(Course.objects.all(), "course", code=code)
    return _cohorts().filter(course=course).order_by("start", "code")


@router.post("/courses/{code}/cohorts", response={201: CohortOut, **WRITE_ERRORS}, summary="Open a cohort")
def create_cohort(request: HttpRequest, code: Code, payload: CohortIn) -> Status[Cohort]:
    """Open an intake of a course (coordinators); dates and seats left out take the course's."""
    actor = coordinator(request, "open cohorts")
    course = get_or_404(Course.objects.all(), "course", code=code)
    cohort = services.create_cohort(
        course,
        actor=actor,
        code=payload.code or "",
        start=payload.start,
        end=payload.end,
        seats_offered=payload.seats_offered,
        seats_filled=payload.seats_filled,
    )
    return Status(201, get_or_404(_cohorts(), "cohort", pk=cohort.pk))


@router.get("/cohorts/{code}", response={200: CohortOut, **READ_ERRORS}, summary="Get a cohort")
def get_cohort(request: HttpRequest, code: CohortCode) -> Cohort:
    """One cohort by its code."""
    return get_or_404(_cohorts(), "cohort", code=code)


@router.patch("/cohorts/{code}", response={200: CohortOut, **WRITE_ERRORS}, summary="Change a cohort")
def update_cohort(request: HttpRequest, code: CohortCode, payload: CohortPatch) -> Cohort:
    """Change a cohort's dates or seats (coordinators); 409 when it graduated or `version` is stale."""
    actor = coordinator(request, "change cohorts")
    cohort = get_or_404(_cohorts(), "cohort", code=code)
    changes = patch_fields(payload)
    _refused(lambda: services.update_cohort(cohort, actor=actor, expected_version=payload.version, **changes))
    return get_or_404(_cohorts(), "cohort", pk=cohort.pk)


@router.post(
    "/cohorts/{code}/graduate", response={200: CohortOut, **WRITE_ERRORS}, summary="Graduate a cohort"
)
def graduate_cohort(request: HttpRequest, code: CohortCode, payload: GraduateIn) -> Cohort:
    """Record a cohort's graduates (coordinators): they join the family's trained crews from `on`.

    409 when it graduated already or more graduate than filled its seats.
    """
    actor = coordinator(request, "graduate cohorts")
    cohort = get_or_404(_cohorts(), "cohort", code=code)
    _refused(
        lambda: services.graduate_cohort(cohort, actor=actor, graduates=payload.graduates, on=payload.on)
    )
    return get_or_404(_cohorts(), "cohort", pk=cohort.pk)


# --- readiness -----------------------------------------------------------------------------------


@router.get(
    "/readiness", response={200: list[ReadinessOut], **LIST_ERRORS}, summary="Crew readiness per family"
)
@paginate(Pagination)
def list_readiness(request: HttpRequest, flagged: bool | None = None) -> list[FamilyReadiness]:
    """Every crewed family with units coming or cohorts training, by code; `flagged=true`: only
    those in which units arrive with no crew. Counts what is releasable to you."""
    families = readiness_overview(current_user(request))
    if flagged is not None:
        families = [f for f in families if f.flagged == flagged]
    return families


def _shown_weeks(readiness: FamilyReadiness) -> list[ReadinessWeek]:
    """The weeks the readiness page shows: units arrive, a week is flagged, or the crews change."""
    shown, previous = [], None
    for week in readiness.weeks:
        changed = previous is None or (week.crews_available, week.out_of_service) != (
            previous.crews_available,
            previous.out_of_service,
        )
        if week.arriving or week.flagged or changed:
            shown.append(week)
        previous = week
    return shown


@router.get(
    "/readiness/{family}",
    response={200: FamilyReadinessOut, **READ_ERRORS},
    summary="One family's readiness week by week",
)
def get_readiness(
    request: HttpRequest, family: Code, every_week: Annotated[bool, Query(alias="all")] = False
) -> FamilyReadiness:
    """Units delivered and planned against crews trained and due, week by week.

    As the page, only the weeks in which units arrive, a week is flagged or the
    crews change; `all=true` for every week of the horizon. Counts what is
    releasable to you.
    """
    chosen = get_or_404(Family.objects.all(), "family", code=family)
    readiness = family_readiness(chosen, current_user(request))
    # The figures of the whole family stay those of every week: the weeks left out change nothing.
    return readiness if every_week else dataclasses.replace(readiness, weeks=_shown_weeks(readiness))
