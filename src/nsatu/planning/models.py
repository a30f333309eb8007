"""Scenario settings; plan runs and allocations join them later."""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.db.models import Q

from nsatu.core.models import TrackedModel


class PlanningSettings(TrackedModel):
    """The scenario-wide parameters of FORMAT.md's scenario.toml (one row)."""

    singleton = models.PositiveSmallIntegerField(default=1, unique=True, editable=False)
    name = models.CharField(max_length=200, blank=True)
    description = models.TextField(blank=True)
    start_date = models.DateField(default=dt.date(2026, 12, 7))
    horizon_weeks = models.PositiveIntegerField(default=52)
    recipient = models.ForeignKey(
        "nations.Nation", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    lateness_half_life_weeks = models.FloatField(default=8.0)
    default_family_cost = models.FloatField(default=4.0)

    class Meta:
        verbose_name_plural = "planning settings"
        constraints = [
            models.CheckConstraint(condition=Q(singleton=1), name="planningsettings_singleton"),
            models.CheckConstraint(
                condition=Q(horizon_weeks__gt=0), name="planningsettings_horizon_positive"
            ),
            models.CheckConstraint(
                condition=Q(lateness_half_life_weeks__gt=0), name="planningsettings_halflife"
            ),
            models.CheckConstraint(condition=Q(default_family_cost__gte=0), name="planningsettings_cost"),
        ]

    def __str__(self) -> str:
        return self.name or "Planning settings"
