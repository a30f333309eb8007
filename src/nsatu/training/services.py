"""Changes to training courses and cohorts (audited)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from nsatu.catalog.models import Family
from nsatu.core.actors import Actor
from nsatu.core.ledger import append_event
from nsatu.core.services import create_record, delete_record, update_record
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

    A course without an open (not graduated) cohort gets one on the course's dates.
    """
    with transaction.atomic():
        changed: list[Cohort] = []
        for use in run.seat_uses.select_related("course").order_by("course__start", "course__code"):
            course = use.course
            cohort = course.cohorts.filter(graduates__isnull=True).order_by("start", "pk").first()
            if cohort is None:
                cohort = create_cohort(course, actor=actor)
            changed.append(
                update_record(
                    cohort,
                    actor=actor,
                    action="set_target",
                    target_seats=use.seats_used,
                    target_run=run,
                )
            )
        append_event(
            actor=actor,
            action="set_cohort_targets",
            object_type="planning.planrun",
            object_id=run.pk,
            payload={"cohorts": {c.code: c.target_seats for c in changed}},
        )
    return changed
