"""Training courses hosted by allied nations."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from nsatu.core.models import TrackedModel
from nsatu.core.validation import validate_code


class Course(TrackedModel):
    """A course training crews of one family; crews are ready when it ends."""

    code = models.CharField(max_length=40, unique=True, validators=[validate_code])
    family = models.ForeignKey("catalog.Family", on_delete=models.PROTECT, related_name="courses")
    host = models.ForeignKey("nations.Nation", on_delete=models.PROTECT, related_name="courses_hosted")
    seats = models.FloatField()
    start = models.DateField()
    duration_weeks = models.PositiveIntegerField()
    # Scenario-file columns the platform does not model (`note`, `source`), as text (docs/format.md).
    extra = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["start", "code"]
        constraints = [models.CheckConstraint(condition=Q(seats__gte=0), name="course_seats_nonnegative")]

    def __str__(self) -> str:
        return self.code


class Cohort(TrackedModel):
    """One intake of a course: seats offered and filled, and the crews it graduates.

    ``target_seats`` is what an approved plan asked of the course (its seat use);
    ``graduates`` counts people trained, added to the family's crews from
    ``graduated_on``.
    """

    code = models.CharField(max_length=50, unique=True, validators=[validate_code])
    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="cohorts")
    start = models.DateField()
    end = models.DateField()
    seats_offered = models.FloatField(default=0)
    seats_filled = models.FloatField(default=0)
    target_seats = models.FloatField(default=0)
    target_run = models.ForeignKey(
        "planning.PlanRun", null=True, blank=True, on_delete=models.SET_NULL, related_name="cohort_targets"
    )
    graduates = models.FloatField(null=True, blank=True)
    graduated_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["start", "code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__gte=models.F("start")),
                name="cohort_end_after_start",
                violation_error_message=_("A cohort cannot end before it starts."),
            ),
            models.CheckConstraint(condition=Q(seats_offered__gte=0), name="cohort_offered_nonnegative"),
            models.CheckConstraint(
                condition=Q(seats_filled__gte=0, seats_filled__lte=models.F("seats_offered")),
                name="cohort_filled_within_offered",
                violation_error_message=_("Seats filled must be between 0 and the seats offered."),
            ),
            models.CheckConstraint(condition=Q(target_seats__gte=0), name="cohort_target_nonnegative"),
            models.CheckConstraint(
                condition=Q(graduates__isnull=True)
                | Q(graduates__gte=0, graduates__lte=models.F("seats_filled"), graduated_on__isnull=False),
                name="cohort_graduates_within_filled",
                violation_error_message=_("Graduates must be between 0 and the seats filled, with a date."),
            ),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def graduated(self) -> bool:
        return self.graduates is not None

    @property
    def expected_graduates(self) -> float:
        """Crews this cohort should yield: filled seats, else the plan's target, else the seats offered."""
        return self.seats_filled or self.target_seats or self.seats_offered
