"""Nations, capability coalitions and bilateral security agreements."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from nsatu.core.models import TrackedModel
from nsatu.core.validation import validate_code


class Nation(TrackedModel):
    """A participant state, keyed by its ISO 3166-1 alpha-3 code."""

    iso3 = models.CharField(_("ISO3 code"), max_length=3, unique=True)
    name = models.CharField(_("name"), max_length=120)
    nato = models.BooleanField(_("NATO member"), default=False)
    eu = models.BooleanField(_("EU member"), default=False)
    codification_bureau = models.CharField(_("NATO codification bureau"), max_length=2, blank=True)
    # Scenario-file columns the platform does not model (`note`, `source`), as text (docs/format.md).
    extra = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["iso3"]
        constraints = [
            models.CheckConstraint(condition=Q(iso3__regex=r"^[A-Z]{3}$"), name="nation_iso3_format"),
            models.CheckConstraint(
                condition=Q(codification_bureau="") | Q(codification_bureau__regex=r"^[0-9]{2}$"),
                name="nation_ncb_two_digits",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.iso3} {self.name}"


class Coalition(TrackedModel):
    """A capability coalition of the contact group: lead nations and members."""

    code = models.CharField(max_length=40, unique=True, validators=[validate_code])
    name = models.CharField(max_length=200)
    capabilities = models.ManyToManyField("catalog.Capability", blank=True, related_name="coalitions")
    leads = models.ManyToManyField(Nation, blank=True, related_name="coalitions_led")
    members = models.ManyToManyField(Nation, blank=True, related_name="coalitions")
    # Scenario-file columns the platform does not model (`note`, `source`), as text (docs/format.md).
    extra = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Agreement(TrackedModel):
    """A long-term bilateral security agreement between a donor and the recipient."""

    code = models.CharField(max_length=40, unique=True, validators=[validate_code])
    donor = models.ForeignKey(Nation, on_delete=models.PROTECT, related_name="agreements")
    signed = models.DateField()
    duration_years = models.PositiveSmallIntegerField(null=True, blank=True)
    place = models.CharField(max_length=120, blank=True)
    note = models.TextField(blank=True)
    # Scenario-file columns the platform does not model (`note`, `source`), as text (docs/format.md).
    extra = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["signed", "code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(duration_years__isnull=True) | Q(duration_years__gt=0),
                name="agreement_duration_positive",
            )
        ]

    def __str__(self) -> str:
        return f"{self.code} ({self.donor.iso3}, {self.signed})"


class Pledge(TrackedModel):
    """What an agreement pledges for one year."""

    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="pledges")
    year = models.PositiveSmallIntegerField()
    amount = models.DecimalField(max_digits=18, decimal_places=2)
    currency = models.CharField(max_length=3)
    purpose = models.CharField(max_length=300, blank=True)
    # Scenario-file columns the platform does not model (`note`, `source`), as text (docs/format.md).
    extra = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["agreement", "year", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="pledge_amount_nonnegative"),
            models.CheckConstraint(condition=Q(currency__regex=r"^[A-Z]{3}$"), name="pledge_currency_iso"),
            models.CheckConstraint(condition=Q(year__gte=1990, year__lte=2100), name="pledge_year_range"),
        ]

    def __str__(self) -> str:
        return f"{self.agreement.code} {self.year}: {self.amount} {self.currency}"
