"""Forms of end-use monitoring: custody, inventories, reports, transfers, repairs, cases, evidence."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from nsatu.logistics.models import Hub
from nsatu.monitoring.choices import (
    CaseResolution,
    EvidenceKind,
    IncidentKind,
    IncidentReason,
    LocationClass,
    RepairFacility,
)
from nsatu.monitoring.evidence import EXTENSIONS

DATE = forms.DateInput(attrs={"type": "date"})


def _day(label: Any = None, required: bool = False) -> forms.DateField:
    return forms.DateField(
        label=label or _("On"),
        widget=DATE,
        required=required,
        help_text="" if required else _("empty = today"),
    )


class CustodyForm(forms.Form):
    """Which unit holds the item, and where it is kept."""

    unit = forms.CharField(label=_("Unit"), max_length=120)
    location_class = forms.ChoiceField(label=_("Location class"), choices=LocationClass.choices)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class InventoryForm(forms.Form):
    """A serial inventory: the serials sighted, the day, the unit."""

    serials = forms.CharField(
        label=_("Serial numbers sighted"),
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("one per line, typed or scanned; ITEM-TYPE/SERIAL where a serial is not unique"),
    )
    on = _day()
    unit = forms.CharField(label=_("Unit"), max_length=120, required=False)
    note = forms.CharField(label=_("Note"), widget=forms.Textarea(attrs={"rows": 2}), required=False)


class IncidentForm(forms.Form):
    """A report that an item was lost, destroyed, damaged or made unserviceable."""

    kind = forms.ChoiceField(label=_("What happened"), choices=IncidentKind.choices)
    reason = forms.ChoiceField(label=_("Reason"), choices=IncidentReason.choices)
    details = forms.CharField(
        label=_("Details"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        help_text=_("required when the reason is 'other'"),
    )
    on = _day()


class TransferForm(forms.Form):
    """A request for the donor's consent to a third-party transfer."""

    third_party = forms.CharField(label=_("Third party"), max_length=200)
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))
    on = _day()


class DecisionForm(forms.Form):
    """The donor's decision on a transfer request."""

    approve = forms.TypedChoiceField(
        label=_("Decision"),
        choices=[("yes", _("Approve")), ("no", _("Refuse"))],
        coerce=lambda v: v == "yes",
    )
    note = forms.CharField(label=_("Note"), max_length=2000, required=False)
    on = _day()
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class RepairForm(forms.Form):
    """A repair order: where, and the planned dates of its two legs."""

    facility_kind = forms.ChoiceField(label=_("Facility"), choices=RepairFacility.choices)
    hub = forms.ModelChoiceField(
        label=_("Hub"),
        queryset=Hub.objects.order_by("code"),
        required=False,
        to_field_name="code",
        help_text=_("for a hub workshop"),
    )
    facility = forms.CharField(
        label=_("Facility name"), max_length=120, required=False, help_text=_("empty = the donor or the hub")
    )
    planned_departure = forms.DateField(label=_("Planned departure"), widget=DATE)
    planned_arrival = forms.DateField(label=_("Planned arrival at the facility"), widget=DATE)
    planned_return_departure = forms.DateField(label=_("Planned departure back"), widget=DATE)
    planned_return = forms.DateField(label=_("Planned return"), widget=DATE)
    note = forms.CharField(label=_("Note"), widget=forms.Textarea(attrs={"rows": 2}), required=False)


class RepairStepForm(forms.Form):
    """A step of a repair order: the day it happened."""

    on = _day()
    note = forms.CharField(label=_("Note"), max_length=2000, required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class CaseOwnerForm(forms.Form):
    """Who owns a case, and whether it is under investigation."""

    owner = forms.CharField(label=_("Owner (username)"), max_length=150, required=False)
    investigating = forms.BooleanField(label=_("Under investigation"), required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class CaseResolutionForm(forms.Form):
    """How a case ended."""

    resolution = forms.ChoiceField(label=_("Resolution"), choices=CaseResolution.choices)
    note = forms.CharField(label=_("Note"), widget=forms.Textarea(attrs={"rows": 2}), required=False)
    on = _day()
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class EvidenceForm(forms.Form):
    """A file to keep beside a record."""

    kind = forms.ChoiceField(label=_("Kind"), choices=EvidenceKind.choices)
    file = forms.FileField(
        label=_("File"),
        widget=forms.ClearableFileInput(attrs={"accept": ",".join(EXTENSIONS)}),
        help_text=_("PDF, PNG, JPEG or Excel (.xlsx)"),
    )
    note = forms.CharField(label=_("Note"), max_length=300, required=False)
