"""Forms a donor uses for its offers."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from nsatu.catalog.models import ItemType
from nsatu.core.choices import Releasability
from nsatu.nations.models import Nation
from nsatu.needs.models import Requirement


class OfferForm(forms.Form):
    """Add or edit one offer. ``version`` carries the version the user saw."""

    code = forms.CharField(label=_("Id"), max_length=40)
    item_type = forms.ModelChoiceField(label=_("Item type"), queryset=ItemType.objects.order_by("name"))
    quantity = forms.FloatField(label=_("Quantity"), min_value=0)
    available_from = forms.DateField(
        label=_("Available from"), widget=forms.DateInput(attrs={"type": "date"})
    )
    earmark = forms.ModelChoiceField(
        label=_("Earmarked for"),
        queryset=Requirement.objects.none(),
        required=False,
        help_text=_("optional: the only requirement this offer may serve"),
    )
    releasability = forms.ChoiceField(label=_("Releasable to"), choices=Releasability.choices)
    releasable_to = forms.ModelMultipleChoiceField(
        label=_("Listed nations"),
        queryset=Nation.objects.order_by("iso3"),
        required=False,
        help_text=_("when releasable to listed nations"),
    )
    note = forms.CharField(label=_("Note"), widget=forms.Textarea(attrs={"rows": 2}), required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, requirements: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if requirements is not None:
            self.fields["earmark"].queryset = requirements  # type: ignore[attr-defined]

    def clean_quantity(self) -> float:
        quantity: float = self.cleaned_data["quantity"]
        if quantity <= 0:
            raise forms.ValidationError(_("The quantity must be greater than zero."))
        return quantity

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        item = data.get("item_type")
        quantity = data.get("quantity")
        if (
            item is not None
            and quantity is not None
            and item.unit == "each"
            and not float(quantity).is_integer()
        ):
            self.add_error("quantity", _("%(item)s is counted in whole units.") % {"item": item.name})
        if data.get("releasability") == Releasability.NATIONS and not data.get("releasable_to"):
            self.add_error("releasable_to", _("Name at least one nation."))
        return data


class OfferUploadForm(forms.Form):
    """A workbook or CSV of offers, in FORMAT.md's offers columns."""

    file = forms.FileField(label=_("Workbook (.xlsx) or CSV"))
