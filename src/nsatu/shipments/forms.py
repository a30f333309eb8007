"""Forms for the steps of a shipment and the recipient's receipt."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from nsatu.shipments.choices import ShipmentState

DATE = forms.DateInput(attrs={"type": "date"})


class StepForm(forms.Form):
    """A step of the way (at hub, handed over): the day it happened."""

    on = forms.DateField(label=_("On"), widget=DATE, required=False, help_text=_("empty = today"))
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class DispatchForm(StepForm):
    """Dispatch: the day, and one serial per unit for serialised items."""

    serials = forms.CharField(
        label=_("Serial numbers"),
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        help_text=_("one per line, typed or scanned; required for serialised items"),
    )


class ReceiptForm(StepForm):
    """The recipient's receipt: what arrived, what was wrong, the serials found."""

    quantity_received = forms.FloatField(
        label=_("Units received"), min_value=0, help_text=_("of the shipped item, damaged ones included")
    )
    damaged = forms.FloatField(label=_("Of which damaged"), min_value=0, initial=0, required=False)
    wrong_item = forms.FloatField(label=_("Units of a wrong item"), min_value=0, initial=0, required=False)
    serials = forms.CharField(
        label=_("Serial numbers found"),
        widget=forms.Textarea(attrs={"rows": 5}),
        required=False,
        help_text=_("one per line, typed or scanned"),
    )
    note = forms.CharField(label=_("Note"), widget=forms.Textarea(attrs={"rows": 2}), required=False)


class CodeForm(forms.Form):
    """A shipment's code, scanned from its label or typed."""

    code = forms.CharField(
        label=_("Shipment code"),
        max_length=200,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "off"}),
        help_text=_("scan the label's QR code or type the code"),
    )


class ShipmentFilterForm(forms.Form):
    """Filters of the shipments list."""

    state = forms.ChoiceField(
        label=_("State"), choices=[("", _("any")), *ShipmentState.choices], required=False
    )
    donor = forms.CharField(label=_("Donor"), max_length=3, required=False)
    hub = forms.CharField(label=_("Hub"), max_length=20, required=False)
    late = forms.BooleanField(label=_("Late only"), required=False)
