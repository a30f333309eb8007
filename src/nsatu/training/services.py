"""Changes to training courses and cohorts (audited)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from nsatu.catalog.models import Family
from nsatu.core.actors import Actor
from nsatu.core.ledger import append_event
from nsatu.core.services import create_record, create_records, delete_record, update_record, update_records
from nsatu.nations.models import Nation
from nsatu.planning.models import PlanRun
from nsatu.training.models import Cohort, Course


class TrainingError(Exception):
    """A refused change of a cohort; the message says why."""


def create_course(
    *,
    actor: Actor,
    code: str,
    family: Family,
    host: Nation,
    seats: float,
    start: dt.date,
    duration_weeks: int,
) -> Course:
    """Offer a course that trains crews of a family."""
    return create_record(
        Course,
        actor=actor,
        code=code,
        family=family,
        host=host,
        seats=seats,
        start=start,
        duration_weeks=duration_weeks,
    )


def update_course(course: Course, *, actor: Actor, **changes: Any) -> Course:
    return update_record(course, actor=actor, **changes)


def delete_course(course: Course, *, actor: Actor) -> None:
    delete_record(course, actor=actor)


def course_end(course: Course) -> dt.date:
    """The day a course's crews are trained."""
    return course.start + dt.timedelta(weeks=course.duration_weeks)


def _next_cohort_code(course: Course) -> str:
    return f"{course.code}-C{course.cohorts.count() + 1}"


def create_cohort(
    course: Course,
    *,
    actor: Actor,
    start: dt.date | None = None,
    end: dt.date | None = None,
    seats_offered: float | None = None,
    seats_filled: float = 0,
    code: str = "",
) -> Cohort:
    """Open an intake of a course; dates and seats default to the course's."""
    return create_record(
        Cohort,
        actor=actor,
        code=code or _next_cohort_code(course),
        course=course,
        start=start or course.start,
        end=end or course_end(course),
        seats_offered=course.seats if seats_offered is None else seats_offered,
        seats_filled=seats_filled,
    )


def update_cohort(
    cohort: Cohort, *, actor: Actor, expected_version: int | None = None, **changes: Any
) -> Cohort:
    """Change a cohort's dates or seats (offered, filled)."""
    if cohort.graduated:
        raise TrainingError(
            _("Cohort %(code)s has graduated: it can no longer change.") % {"code": cohort.code}
        )
    return update_record(cohort, actor=actor, expected_version=expected_version, **changes)


def graduate_cohort(cohort: Cohort, *, actor: Actor, graduates: float, on: dt.date | None = None) -> Cohort:
    """Record a cohort's graduates: they add to the family's trained crews from ``on``."""
    if cohort.graduated:
        raise TrainingError(_("Cohort %(code)s has already graduated.") % {"code": cohort.code})
    if graduates < 0 or graduates > cohort.seats_filled:
        raise TrainingError(
            _("Cohort %(code)s filled %(filled)s seats: graduates must be between 0 and that.")
            % {"code": cohort.code, "filled": f"{cohort.seats_filled:g}"}
        )
    return update_record(
        cohort,
        actor=actor,
        action="graduate",
        graduates=graduates,
        graduated_on=on or timezone.localdate(),
    )


def set_cohort_targets_for_run(run: PlanRun, *, actor: Actor) -> list[Cohort]:
    """Make an approved plan's seat use the target of each course's next open cohort.

    A course without an open (not graduated) cohort gets one on the course's
    dates. The queries do not grow with the number of courses.
    """
    with transaction.atomic():
        uses = list(run.seat_uses.select_related("course").order_by("course__start", "course__code"))
        courses = [use.course for use in uses]
        open_cohorts: dict[int, Cohort] = {}
        for cohort in Cohort.objects.filter(course__in=courses, graduates__isnull=True).order_by(
            "start", "pk"
        ):
            open_cohorts.setdefault(cohort.course_id, cohort)
        missing = [course for course in courses if course.pk not in open_cohorts]
        if missing:
            counts: dict[int, int] = dict(
                Cohort.objects.filter(course__in=missing)
                .order_by()
                .values_list("course")
                .annotate(n=Count("pk"))
                .values_list("course", "n")
            )
            opened = create_records(
                Cohort,
                [_first_cohort_row(course, counts.get(course.pk, 0)) for course in missing],
                actor=actor,
            )
            open_cohorts.update((cohort.course_id, cohort) for cohort in opened)
        changed = update_records(
            [
                (open_cohorts[use.course_id], {"target_seats": use.seats_used, "target_run": run})
                for use in uses
            ],
            actor=actor,
            action="set_target",
        )
        append_event(
            actor=actor,
            action="set_cohort_targets",
            object_type="planning.planrun",
            object_id=run.pk,
            payload={"cohorts": {c.code: c.target_seats for c in changed}},
        )
    return changed


def _first_cohort_row(course: Course, cohorts_so_far: int) -> dict[str, Any]:
    """The fields ``create_cohort`` gives a course's next cohort by default."""
    return {
        "code": f"{course.code}-C{cohorts_so_far + 1}",
        "course": course,
        "start": course.start,
        "end": course_end(course),
        "seats_offered": course.seats,
        "seats_filled": 0,
    }
