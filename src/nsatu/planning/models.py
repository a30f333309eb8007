"""Scenario settings, plan runs, their allocation lines and seat use, and what approved runs committed."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any, Literal

from django.db import models
from django.db.models import Q, Sum
from django.utils.translation import gettext_lazy as _

from nsatu.commitments.models import DecommitmentLine, DecommitmentState
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


class RunStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


# The planning methods (planner/methods.py) as pages name them; a method not listed is shown as is.
METHOD_LABELS = {
    "optimal": _("optimal"),
    "greedy": _("greedy"),
    "country": _("country by country"),
    "robust": _("robust"),
    "frontier": _("frontier point"),  # a point of a frontier study (planning.studies)
}


def method_label(method: str) -> str:
    """A planning method's name in the reader's language."""
    return str(METHOD_LABELS.get(method, method))


# What the progress box says of the phase the worker reports (planner/progress.py);
# a phase not listed here is shown as reported.
PHASE_LABELS = {
    "read": _("reading the scenario"),
    "normal": _("planning the normal plan"),
    "build": _("building the model"),
    "presolve": _("presolving"),
    "solve": _("solving"),
    "repair": _("turning the solution into a plan"),
    "done": _("done"),
}


class PlanRun(TrackedModel):
    """One planning run over the database's scenario, with its live progress and result."""

    method = models.CharField(max_length=16, default="optimal")
    time_limit = models.FloatField(default=60)
    status = models.CharField(max_length=12, choices=RunStatus.choices, default=RunStatus.QUEUED)
    created_by = models.CharField(max_length=150)
    task_id = models.CharField(max_length=64, blank=True)
    # live progress, written by the worker as the solver reports
    phase = models.CharField(max_length=40, blank=True)
    fraction = models.FloatField(null=True, blank=True)
    incumbent = models.FloatField(null=True, blank=True)
    bound = models.FloatField(null=True, blank=True)
    gap = models.FloatField(null=True, blank=True)
    heartbeat = models.DateTimeField(null=True, blank=True)
    # result
    plan_status = models.CharField(max_length=16, blank=True)
    message = models.TextField(blank=True)
    metrics = models.JSONField(default=dict, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.CharField(max_length=150, blank=True)
    # the ledger's last event when the worker read the scenario: a later event that changes
    # a planning input makes the run stale (nsatu.planning.records.stale_runs)
    input_seq = models.PositiveBigIntegerField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=RunStatus.values), name="planrun_status_known"),
            models.CheckConstraint(condition=Q(time_limit__gt=0), name="planrun_time_limit_positive"),
        ]

    def __str__(self) -> str:
        return f"plan run {self.pk} ({self.method}, {self.status})"

    @property
    def method_label(self) -> str:
        return method_label(self.method)

    @property
    def phase_label(self) -> str:
        """The phase in the reader's language."""
        return str(PHASE_LABELS.get(self.phase, self.phase))

    @property
    def stale(self) -> bool:
        """Finished, not approved, and planned on inputs that changed since (planning.records)."""
        from nsatu.planning.records import is_stale

        return is_stale(self)

    @property
    def gap_percent(self) -> float | None:
        """The relative gap between the best plan and the proven bound, in percent."""
        return None if self.gap is None else 100.0 * self.gap


def run_heavy_fields(path: str) -> tuple[str, ...]:
    """A run's fields too heavy to load beside each joined row (``path`` is the join, e.g.
    ``"run"``): its metrics hold every per-requirement figure, tens of kilobytes decoded
    per row. Pages that join runs for their id, method or dates defer them."""
    return (f"{path}__metrics",)


class Allocation(models.Model):
    """One shipment line of a plan run: offer -> requirement through a hub, arriving a week.

    A finished run's lines are its record: the offers, requirements and hubs they
    name cannot be deleted (PROTECT); they are retired instead.
    """

    run = models.ForeignKey(PlanRun, on_delete=models.CASCADE, related_name="allocations")
    offer = models.ForeignKey("offers.Offer", on_delete=models.PROTECT, related_name="allocations")
    requirement = models.ForeignKey("needs.Requirement", on_delete=models.PROTECT, related_name="allocations")
    hub = models.ForeignKey("logistics.Hub", on_delete=models.PROTECT, related_name="allocations")
    quantity = models.FloatField()
    arrival_week = models.PositiveIntegerField()

    class Meta:
        ordering = ["run", "offer", "arrival_week"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="allocation_quantity_positive")
        ]

    def __str__(self) -> str:
        return f"{self.offer} -> {self.requirement} x{self.quantity} wk {self.arrival_week}"


def _approved_by(column: str) -> dict[Any, float]:
    totals = (
        Allocation.objects.filter(run__approved_at__isnull=False)
        .values_list(column)
        .annotate(total=Sum("quantity"))
        .order_by()
    )
    return {key: float(total) for key, total in totals}


def _taken_back_by(column: str, states: tuple[str, ...] | None = None) -> dict[Any, float]:
    """Per ``column`` of the lines: the quantity decommitments took back (in ``states``; all when None)."""
    lines = DecommitmentLine.objects.all()
    if states is not None:
        lines = lines.filter(decommitment__state__in=states)
    totals = lines.values_list(f"allocation__{column}").annotate(total=Sum("quantity")).order_by()
    return {key: float(total) for key, total in totals}


def _less(approved: dict[Any, float], taken: dict[Any, float]) -> dict[Any, float]:
    """``approved`` less ``taken`` per key, keys left with nothing dropped."""
    result = {}
    for key, total in approved.items():
        left = uncommitted(total, taken.get(key, 0.0))
        if left > 0:
            result[key] = left
    return result


def _committed_by(column: str) -> dict[Any, float]:
    return _less(_approved_by(column), _taken_back_by(column))


def committed_by_offer() -> dict[int, float]:
    """Offer key -> quantity the lines of approved runs commit of it now (offers with none are absent).

    Commitments are not stored apart: they are the allocation lines of approved
    runs less what suspensions and withdrawals took back of them
    (``nsatu.commitments``), so they cannot drift from what was approved
    (docs/planning.md, "Re-planning after an approval").
    """
    return _committed_by("offer_id")


def committed_by_requirement() -> dict[int, float]:
    """Requirement key -> quantity the lines of approved runs send to it now (less what was taken back)."""
    return _committed_by("requirement_id")


def committed_by_code(kind: Literal["offer", "requirement"]) -> dict[str, float]:
    """``committed_by_offer`` or ``committed_by_requirement``, keyed by the records' ids (codes)."""
    return _committed_by(f"{kind}__code")


def taken_by_offer() -> dict[int, float]:
    """Offer key -> quantity no new plan may use: what approved lines committed of it, less only
    what suspensions resumed (committed aid, held suspensions and withdrawn aid all count)."""
    return _less(_approved_by("offer_id"), _taken_back_by("offer_id", (DecommitmentState.RESUMED,)))


def taken_by_offer_code() -> dict[str, float]:
    """``taken_by_offer`` keyed by offer id (code)."""
    return _less(_approved_by("offer__code"), _taken_back_by("offer__code", (DecommitmentState.RESUMED,)))


def held_by_offer() -> dict[int, float]:
    """Offer key -> committed aid suspensions hold of it (neither committed nor on offer)."""
    return _taken_back_by("offer_id", (DecommitmentState.SUSPENDED,))


def active_line_quantities(lines: Iterable[Allocation]) -> dict[int, float]:
    """Approved line key -> the quantity it still commits (its quantity less what was taken back)."""
    chosen = {line.pk: line.quantity for line in lines}
    taken = DecommitmentLine.objects.all()
    if len(chosen) <= 500:  # else one pass over every decommitment line beats many IN lists
        taken = taken.filter(allocation_id__in=list(chosen))
    back = dict(taken.values_list("allocation_id").annotate(total=Sum("quantity")).order_by())
    return {key: uncommitted(quantity, float(back.get(key, 0.0))) for key, quantity in chosen.items()}


def quantity_tolerance(bound: float) -> float:
    """FORMAT.md's tolerance on a sum against its bound: ``1e-6 * max(1, |bound|)``."""
    return 1e-6 * max(1.0, abs(bound))


def uncommitted(quantity: float, committed: float) -> float:
    """What is left of ``quantity`` after ``committed``: 0 within the tolerance; whole numbers stay whole."""
    left = quantity - committed
    if left <= quantity_tolerance(quantity):
        return 0.0
    nearest = round(left)
    return float(nearest) if abs(left - nearest) <= 1e-9 * max(1.0, left) else left


class SeatUse(models.Model):
    """Seats of a course a plan run uses."""

    run = models.ForeignKey(PlanRun, on_delete=models.CASCADE, related_name="seat_uses")
    course = models.ForeignKey("training.Course", on_delete=models.PROTECT, related_name="seat_uses")
    seats_used = models.FloatField()

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(seats_used__gte=0), name="seatuse_nonnegative"),
            models.UniqueConstraint(fields=["run", "course"], name="seatuse_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.course}: {self.seats_used}"


# Keys of a run's metrics that hold one figure per requirement code (in the run's and each baseline's).
PER_REQUIREMENT_METRICS = ("fulfilled",)


def releasable_metrics(metrics: dict[str, Any], visible: frozenset[str] | None) -> dict[str, Any]:
    """A run's metrics as a reader may see them: aggregates whole, per-requirement figures only for
    the requirement codes in ``visible`` (None: every one, for command staff)."""
    if visible is None or not isinstance(metrics, dict):
        return metrics
    result = dict(metrics)
    for key in PER_REQUIREMENT_METRICS:
        if isinstance(result.get(key), dict):
            result[key] = {code: value for code, value in result[key].items() if code in visible}
    baselines = result.get("baselines")
    if isinstance(baselines, dict):
        result["baselines"] = {name: releasable_metrics(m, visible) for name, m in baselines.items()}
    return result


def visible_requirement_codes(request: Any) -> frozenset[str] | None:
    """The requirement codes the request's user may open (None: all of them); read once per request."""
    from nsatu.core.releasability import releasable, sees_everything
    from nsatu.needs.models import Requirement

    user = getattr(request, "user", None)
    if sees_everything(user):
        return None
    cached = getattr(request, "_nsatu_visible_requirements", None)
    if cached is None:
        cached = frozenset(releasable(Requirement.objects.all(), user).values_list("code", flat=True))
        if request is not None:
            request._nsatu_visible_requirements = cached
    return cached


class StudyKind(models.TextChoices):
    FRONTIER = "frontier", _("Frontier: fulfilment against new families")
    WORTH = "worth", _("What each family is worth")


class FleetStudy(TrackedModel):
    """A study of a run's scenario computed by a task worker: the frontier (the best plan with at
    most 0, 1, 2, ... new families, each point stored as a plan run) or what each family is worth."""

    kind = models.CharField(max_length=12, choices=StudyKind.choices)
    run = models.ForeignKey(PlanRun, on_delete=models.CASCADE, related_name="studies")
    time_limit = models.FloatField(default=60)
    max_families = models.PositiveIntegerField(null=True, blank=True)
    status = models.CharField(max_length=12, choices=RunStatus.choices, default=RunStatus.QUEUED)
    created_by = models.CharField(max_length=150)
    task_id = models.CharField(max_length=64, blank=True)
    phase = models.CharField(max_length=40, blank=True)
    fraction = models.FloatField(null=True, blank=True)
    heartbeat = models.DateTimeField(null=True, blank=True)
    message = models.TextField(blank=True)
    # frontier: {"points": [{limit, introduced, pwf, on_time_share, objective, bound, gap, run}]};
    # worth: {"base": "run" | "replanned", "families": [FamilyWorth as dict]}
    result = models.JSONField(default=dict, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    input_seq = models.PositiveBigIntegerField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-pk"]
        verbose_name_plural = "fleet studies"
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=StudyKind.values), name="fleetstudy_kind_known"),
            models.CheckConstraint(condition=Q(status__in=RunStatus.values), name="fleetstudy_status_known"),
            models.CheckConstraint(condition=Q(time_limit__gt=0), name="fleetstudy_time_limit_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} study {self.pk} of run {self.run_id} ({self.status})"

    @property
    def running(self) -> bool:
        return self.status in (RunStatus.QUEUED, RunStatus.RUNNING)
