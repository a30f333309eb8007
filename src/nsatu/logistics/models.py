"""Hubs and donor routes through them."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from nsatu.core.models import TrackedModel
from nsatu.core.validation import validate_code


class Hub(TrackedModel):
    """A logistics hub with a weekly throughput in tonnes."""

    code = models.CharField(max_length=20, unique=True, validators=[validate_code])
    name = models.CharField(max_length=120)
    nation = models.ForeignKey("nations.Nation", on_delete=models.PROTECT, related_name="hubs")
    capacity_t_per_week = models.FloatField()
    # Scenario-file columns the platform does not model (`note`, `source`), as text (docs/format.md).
    extra = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(condition=Q(capacity_t_per_week__gte=0), name="hub_capacity_nonnegative")
        ]

    def __str__(self) -> str:
        return self.name


class Route(TrackedModel):
    """Door-to-door lead time from a donor, through a hub, to the recipient."""

    donor = models.ForeignKey("nations.Nation", on_delete=models.CASCADE, related_name="routes")
    hub = models.ForeignKey(Hub, on_delete=models.CASCADE, related_name="routes")
    lead_time_days = models.PositiveIntegerField()
    # Scenario-file columns the platform does not model (`note`, `source`), as text (docs/format.md).
    extra = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["donor__iso3", "hub__code"]
        constraints = [models.UniqueConstraint(fields=["donor", "hub"], name="route_unique_donor_hub")]

    def __str__(self) -> str:
        return f"{self.donor.iso3} via {self.hub.code}: {self.lead_time_days} d"
