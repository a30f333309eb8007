"""Capabilities, platform families, the alias table and item types."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from nsatu.core.models import TrackedModel
from nsatu.core.validation import validate_code
from nsatu.planner.scenario import COUNTABLE_UNITS

NSN_PATTERN = r"^[0-9](-?[0-9]){12}$"


def is_whole_unit(unit: str, countable: bool | None = None) -> bool:
    """Whether quantities of ``unit`` are whole numbers: `each` always, otherwise ``countable``
    when the catalog says, else whether the unit is one of the countable units (rounds, pieces ...)."""
    if unit.lower() == "each":
        return True
    if countable is not None:
        return countable
    return unit.lower() in COUNTABLE_UNITS


class Capability(TrackedModel):
    """A military capability requirements are stated in (`artillery_sp`, `fighter`)."""

    code = models.CharField(max_length=40, unique=True, validators=[validate_code])
    name = models.CharField(max_length=120, blank=True)
    # Scenario-file columns the platform does not model (`note`, `source`), as text (docs/format.md).
    extra = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name_plural = "capabilities"

    def __str__(self) -> str:
        return self.name or self.code


class Family(TrackedModel):
    """A platform family: equipment sharing training, spares and maintenance."""

    code = models.CharField(max_length=40, unique=True, validators=[validate_code])
    name = models.CharField(max_length=120)
    capability = models.ForeignKey(Capability, on_delete=models.PROTECT, related_name="families")
    in_service = models.BooleanField(_("in service with the recipient"), default=False)
    introduction_cost = models.FloatField(null=True, blank=True, help_text=_("empty = the scenario default"))
    crew_per_unit = models.FloatField(default=0)
    existing_crews = models.FloatField(default=0)
    # Scenario-file columns the platform does not model (`note`, `source`), as text (docs/format.md).
    extra = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name_plural = "families"
        constraints = [
            models.CheckConstraint(
                condition=Q(introduction_cost__isnull=True) | Q(introduction_cost__gte=0),
                name="family_cost_nonnegative",
            ),
            models.CheckConstraint(condition=Q(crew_per_unit__gte=0), name="family_crew_nonnegative"),
            models.CheckConstraint(condition=Q(existing_crews__gte=0), name="family_existing_nonnegative"),
        ]

    def __str__(self) -> str:
        return self.name


class FamilyAlias(TrackedModel):
    """A raw system name as a source spells it, resolved to a family."""

    alias = models.CharField(max_length=200)
    family = models.ForeignKey(Family, on_delete=models.CASCADE, related_name="aliases")
    source = models.CharField(max_length=300, blank=True)
    # Scenario-file columns the platform does not model (`note`, `source`), as text (docs/format.md).
    extra = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["alias"]
        verbose_name_plural = "family aliases"
        constraints = [models.UniqueConstraint(Lower("alias"), name="familyalias_alias_unique_ci")]

    def __str__(self) -> str:
        return f"{self.alias} -> {self.family.code}"


class ItemType(TrackedModel):
    """Something a donor can give: a member of a family, counted in a unit."""

    code = models.CharField(max_length=40, unique=True, validators=[validate_code])
    name = models.CharField(max_length=200)
    family = models.ForeignKey(Family, on_delete=models.PROTECT, related_name="item_types")
    unit = models.CharField(max_length=20, default="each", help_text=_("`each` = whole units"))
    mass_t = models.FloatField(_("mass per unit (t)"), default=0)
    nsn = models.CharField(_("NATO stock number"), max_length=17, blank=True)
    serialised = models.BooleanField(default=False, help_text=_("units carry serial numbers"))
    countable = models.BooleanField(
        _("counted in whole units"),
        null=True,
        blank=True,
        help_text=_("empty = by the unit: each, rounds, pieces, sets ... are counted in whole units"),
    )
    # Scenario-file columns the platform does not model (`note`, `source`), as text (docs/format.md).
    extra = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(condition=Q(mass_t__gte=0), name="itemtype_mass_nonnegative"),
            models.CheckConstraint(
                condition=Q(nsn="") | Q(nsn__regex=NSN_PATTERN), name="itemtype_nsn_13_digits"
            ),
            models.CheckConstraint(condition=~Q(unit=""), name="itemtype_unit_given"),
        ]

    @property
    def is_each(self) -> bool:
        return self.unit == "each"

    @property
    def is_whole(self) -> bool:
        """Planned, committed, shipped and received in whole numbers (the catalog's ``countable``,
        else the unit: `each` and the other countable units)."""
        return is_whole_unit(self.unit, self.countable)

    def __str__(self) -> str:
        return self.name
