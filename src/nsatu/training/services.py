"""Changes to training courses (audited)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from nsatu.catalog.models import Family
from nsatu.core.actors import Actor
from nsatu.core.services import create_record, delete_record, update_record
from nsatu.nations.models import Nation
from nsatu.training.models import Course


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
