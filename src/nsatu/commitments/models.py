"""Committed aid taken back: suspensions and withdrawals of approved allocation lines.

An approved run's lines are records and never change; what a donor takes back
is recorded beside them. A ``Decommitment`` is one action (a donor suspending
or withdrawing part or all of an offer's committed aid, or a political shift
withdrawing everything a donor committed), and its ``DecommitmentLine`` rows
say how much it takes off each approved line. A line commits its quantity less
its decommitment lines (``nsatu.planning.models.committed_by_offer``).
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import F, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from nsatu.core.models import TrackedModel


class DecommitmentKind(models.TextChoices):
    """What the donor does to committed aid."""

    SUSPEND = "suspend", _("Suspend")
    WITHDRAW = "withdraw", _("Withdraw")


class DecommitmentState(models.TextChoices):
    """Where the taken-back quantity stands.

    Suspended aid is held: it is neither committed nor on offer to a new plan.
    Resumed aid is back on the table (a new plan may allocate it again).
    Withdrawn aid is gone for good.
    """

    SUSPENDED = "suspended", _("Suspended")
    RESUMED = "resumed", _("Resumed")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class DecommitmentScope(models.TextChoices):
    OFFER = "offer", _("One offer")
    DONOR = "donor", _("Political shift: everything the donor committed")


class Decommitment(TrackedModel):
    """One suspension or withdrawal of committed aid, with its reason and effective date."""

    donor = models.ForeignKey("nations.Nation", on_delete=models.PROTECT, related_name="decommitments")
    offer = models.ForeignKey(
        "offers.Offer", null=True, blank=True, on_delete=models.PROTECT, related_name="decommitments"
    )
    scope = models.CharField(_("scope"), max_length=8, choices=DecommitmentScope.choices)
    kind = models.CharField(_("kind"), max_length=8, choices=DecommitmentKind.choices)
    state = models.CharField(_("state"), max_length=12, choices=DecommitmentState.choices)
    quantity = models.FloatField(_("quantity taken back"))
    reason = models.TextField(_("reason"))
    effective_on = models.DateField(_("effective on"))
    created_by = models.CharField(max_length=150)
    # when a suspension was resumed or turned into a withdrawal, and by whom
    ended_on = models.DateField(null=True, blank=True)
    ended_by = models.CharField(max_length=150, blank=True)
    # the re-plan started to fill the hole it left (the latest, when started more than once)
    backfill_run = models.ForeignKey(
        "planning.PlanRun", null=True, blank=True, on_delete=models.SET_NULL, related_name="backfill_of"
    )

    class Meta:
        ordering = ["-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gte=0), name="decommitment_quantity_nonnegative"),
            models.CheckConstraint(condition=Q(kind__in=DecommitmentKind.values), name="decommitment_kind"),
            models.CheckConstraint(
                condition=Q(state__in=DecommitmentState.values), name="decommitment_state"
            ),
            models.CheckConstraint(
                condition=Q(scope__in=DecommitmentScope.values), name="decommitment_scope"
            ),
            models.CheckConstraint(
                condition=Q(scope=DecommitmentScope.DONOR) | Q(offer__isnull=False),
                name="decommitment_offer_scope_has_offer",
            ),
            models.CheckConstraint(condition=~Q(reason=""), name="decommitment_reason_given"),
        ]

    def __str__(self) -> str:
        return f"D-{self.pk}"

    @property
    def code(self) -> str:
        """How pages and messages name it: `D-12`."""
        return f"D-{self.pk}"


class DecommitmentLine(models.Model):
    """How much one decommitment takes off one approved allocation line."""

    decommitment = models.ForeignKey(Decommitment, on_delete=models.CASCADE, related_name="lines")
    allocation = models.ForeignKey(
        "planning.Allocation", on_delete=models.PROTECT, related_name="decommitment_lines"
    )
    quantity = models.FloatField()

    class Meta:
        ordering = ["decommitment", "allocation"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="decommitmentline_quantity_positive"),
            models.UniqueConstraint(fields=["decommitment", "allocation"], name="decommitmentline_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.decommitment} -{self.quantity} on line {self.allocation_id}"


def with_commitment_figures(lines: models.QuerySet[Any]) -> models.QuerySet[Any]:
    """Approved allocation lines annotated with what they still commit and what happened to them:
    ``suspended``, ``withdrawn`` (taken back; a resumed suspension counts in neither), ``committed``
    (the line less everything taken back), ``shipped`` (in shipments that left the donor) and
    ``received`` (confirmed by receipts)."""
    from nsatu.shipments.choices import SHIPPED_STATES, ShipmentState
    from nsatu.shipments.models import Shipment

    def taken(states: tuple[str, ...] | None) -> Coalesce:
        rows = DecommitmentLine.objects.filter(allocation=OuterRef("pk"))
        if states is not None:
            rows = rows.filter(decommitment__state__in=states)
        return Coalesce(
            Subquery(rows.values("allocation").annotate(total=Sum("quantity")).values("total")[:1]),
            Value(0.0),
            output_field=models.FloatField(),
        )

    def shipped(condition: Q, column: str) -> Coalesce:
        rows = Shipment.objects.filter(condition, allocation=OuterRef("pk"))
        return Coalesce(
            Subquery(rows.values("allocation").annotate(total=Sum(column)).values("total")[:1]),
            Value(0.0),
            output_field=models.FloatField(),
        )

    annotated: models.QuerySet[Any] = lines.annotate(
        suspended=taken((DecommitmentState.SUSPENDED,)),
        withdrawn=taken((DecommitmentState.WITHDRAWN,)),
        taken_back=taken(None),
        shipped=shipped(Q(state__in=SHIPPED_STATES), "quantity"),
        received=shipped(Q(state=ShipmentState.RECEIVED), "quantity_received"),
    ).annotate(committed=F("quantity") - F("taken_back"))
    return annotated
