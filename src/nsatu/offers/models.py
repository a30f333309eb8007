"""Donors' offers."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from nsatu.core.models import ReleasableModel, TrackedModel
from nsatu.core.validation import validate_code


class OfferStatus(models.TextChoices):
    OFFERED = "offered", _("Offered")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    ALLOCATED = "allocated", _("Allocated")
    # deleted while plans refer to it: kept for their records, out of planning and of the lists
    RETIRED = "retired", _("Retired")


class Offer(TrackedModel, ReleasableModel):
    """What one donor can give: an item type, a quantity, from a date."""

    RELEASE_OWNER_FIELD = "donor"
    RELEASE_CAPABILITY_FIELD = "item_type__family__capability"

    code = models.CharField(_("id"), max_length=40, unique=True, validators=[validate_code])
    donor = models.ForeignKey("nations.Nation", on_delete=models.PROTECT, related_name="offers")
    item_type = models.ForeignKey("catalog.ItemType", on_delete=models.PROTECT, related_name="offers")
    quantity = models.FloatField()
    available_from = models.DateField()
    earmark = models.ForeignKey(
        "needs.Requirement", null=True, blank=True, on_delete=models.PROTECT, related_name="earmarked_offers"
    )
    status = models.CharField(max_length=12, choices=OfferStatus.choices, default=OfferStatus.OFFERED)
    note = models.TextField(blank=True)
    # Scenario-file columns the platform does not model (`note`, `source`), as text (docs/format.md).
    extra = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="offer_quantity_positive"),
            models.CheckConstraint(condition=Q(status__in=OfferStatus.values), name="offer_status_known"),
        ]

    def __str__(self) -> str:
        return self.code
