"""Training courses hosted by allied nations."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from nsatu.core.models import TrackedModel


class Course(TrackedModel):
    """A course training crews of one family; crews are ready when it ends."""

    code = models.CharField(max_length=40, unique=True)
    family = models.ForeignKey("catalog.Family", on_delete=models.PROTECT, related_name="courses")
    host = models.ForeignKey("nations.Nation", on_delete=models.PROTECT, related_name="courses_hosted")
    seats = models.FloatField()
    start = models.DateField()
    duration_weeks = models.PositiveIntegerField()

    class Meta:
        ordering = ["start", "code"]
        constraints = [models.CheckConstraint(condition=Q(seats__gte=0), name="course_seats_nonnegative")]

    def __str__(self) -> str:
        return self.code
