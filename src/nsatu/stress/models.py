"""Stress runs of the database's plan, fanned out as one task per case."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from nsatu.core.models import TrackedModel


class StressKind(models.TextChoices):
    WITHDRAWAL = "withdrawal", _("Donor withdrawal")
    DELAYS = "delays", _("Lead-time delays")


class StressStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class StressRun(TrackedModel):
    """One stress test: the base plan (figures and lines) and its cases."""

    kind = models.CharField(max_length=12, choices=StressKind.choices)
    method = models.CharField(max_length=16, default="optimal")
    time_limit = models.FloatField(default=10)
    samples = models.PositiveIntegerField(default=0)  # delay samples (kind "delays")
    seed = models.IntegerField(default=1)
    mean_delay_days = models.FloatField(default=14.0)
    status = models.CharField(max_length=12, choices=StressStatus.choices, default=StressStatus.QUEUED)
    created_by = models.CharField(max_length=150)
    base = models.JSONField(default=dict, blank=True)  # BaseFigures as JSON
    base_lines = models.JSONField(default=list, blank=True)  # the base plan's lines (stress.plan_lines)
    cases_total = models.PositiveIntegerField(default=0)
    cases_done = models.PositiveIntegerField(default=0)
    message = models.TextField(blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # touched by the worker while it plans the base; a stale one means the worker died
    heartbeat = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=StressKind.values), name="stressrun_kind_known"),
            models.CheckConstraint(
                condition=Q(status__in=StressStatus.values), name="stressrun_status_known"
            ),
            models.CheckConstraint(condition=Q(time_limit__gt=0), name="stressrun_time_limit_positive"),
        ]

    def __str__(self) -> str:
        return f"stress run {self.pk} ({self.kind}, {self.status})"

    @property
    def method_label(self) -> str:
        """The planning method in the reader's language."""
        from nsatu.planning.models import method_label

        return method_label(self.method)

    @property
    def fraction(self) -> float:
        """Share of cases finished (0 before the cases exist)."""
        return self.cases_done / self.cases_total if self.cases_total else 0.0


class StressCase(models.Model):
    """One case of a stress run: a donor withdrawn, or one delay sample."""

    run = models.ForeignKey(StressRun, on_delete=models.CASCADE, related_name="cases")
    key = models.CharField(max_length=20)  # donor iso3, or the sample index
    status = models.CharField(max_length=12, choices=StressStatus.choices, default=StressStatus.QUEUED)
    result = models.JSONField(default=dict, blank=True)  # DonorImpact or DelaySample as JSON
    message = models.TextField(blank=True)
    # touched by the worker while the case runs; a stale one means the worker died
    heartbeat = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["run", "pk"]
        constraints = [models.UniqueConstraint(fields=["run", "key"], name="stresscase_unique")]

    def __str__(self) -> str:
        return f"{self.run_id}/{self.key} ({self.status})"
