"""Training API: courses hosted by allied nations, training crews of a family.

Not marked: every signed-in user reads them; only coordinators change them.
"""

import datetime as dt

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Router, Status
from ninja.pagination import paginate

from nsatu.catalog.models import Family
from nsatu.core.api import (
    CREATE_ERRORS,
    LIST_ERRORS,
    READ_ERRORS,
    WRITE_ERRORS,
    Pagination,
    coordinator,
    get_or_404,
    lookup,
    patch_fields,
)
from nsatu.core.schemas import Code, Iso3
from nsatu.nations.models import Nation
from nsatu.training import services
from nsatu.training.models import Course
from nsatu.training.schemas import CourseIn, CourseOut, CoursePatch

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
