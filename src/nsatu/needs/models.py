"""The recipient's requirements."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from nsatu.core.models import ReleasableModel, TrackedModel
from nsatu.core.validation import validate_code


class RequirementStatus(models.TextChoices):
    OPEN = "open", _("Open")
    PARTIAL = "partial", _("Partly met")
    MET = "met", _("Met")
    CANCELLED = "cancelled", _("Cancelled")
    # deleted while plans refer to it: kept for their records, out of planning and of the lists
    RETIRED = "retired", _("Retired")


class Requirement(TrackedModel, ReleasableModel):
    """A need the recipient states: capability, quantity, priority, date, acceptable families."""

    RELEASE_OWNER_FIELD = "recipient"
    RELEASE_CAPABILITY_FIELD = "capability"

    code = models.CharField(_("id"), max_length=40, unique=True, validators=[validate_code])
    title = models.CharField(max_length=200, blank=True)
    recipient = models.ForeignKey("nations.Nation", on_delete=models.PROTECT, related_name="requirements")
    capability = models.ForeignKey(
        "catalog.Capability", on_delete=models.PROTECT, related_name="requirements"
    )
    quantity = models.FloatField()
    priority = models.PositiveSmallIntegerField(help_text=_("1 = most urgent .. 5"))
    needed_by = models.DateField()
    accepts = models.ManyToManyField(
        "catalog.Family",
        blank=True,
        related_name="accepted_by",
        help_text=_("empty = any family of the capability"),
    )
    status = models.CharField(
        max_length=12, choices=RequirementStatus.choices, default=RequirementStatus.OPEN
    )
    # Scenario-file columns the platform does not model (`note`, `source`), as text (docs/format.md).
    extra = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["priority", "needed_by", "code"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="requirement_quantity_positive"),
            models.CheckConstraint(
                condition=Q(priority__gte=1, priority__lte=5), name="requirement_priority_1_5"
            ),
            models.CheckConstraint(
                condition=Q(status__in=RequirementStatus.values), name="requirement_status_known"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}".strip()
