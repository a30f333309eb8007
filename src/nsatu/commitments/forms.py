"""Forms of the committed-aid pages: taking aid back, a political shift, a backfill re-plan."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from nsatu.commitments.models import DecommitmentKind
from nsatu.nations.models import Nation

DATE = forms.DateInput(attrs={"type": "date"})


class TakeBackForm(forms.Form):
    """Suspend or withdraw part or all of one offer's committed aid."""

    kind = forms.ChoiceField(
        label=_("What"),
        choices=[
            (DecommitmentKind.SUSPEND, _("Suspend (held; it may be resumed)")),
            (DecommitmentKind.WITHDRAW, _("Withdraw (for good)")),
        ],
        widget=forms.RadioSelect,
        initial=DecommitmentKind.SUSPEND,
    )
    quantity = forms.FloatField(
        label=_("Quantity"), min_value=0, required=False, help_text=_("empty = all that can be taken back")
    )
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)
    effective_on = forms.DateField(label=_("Effective on"), widget=DATE)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["effective_on"].initial = timezone.localdate()


class ShiftForm(forms.Form):
    """A political shift: a donor leaves entirely."""

    donor = forms.ModelChoiceField(
        label=_("Donor"), queryset=Nation.objects.order_by("iso3"), to_field_name="iso3"
    )
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)
    effective_on = forms.DateField(label=_("Effective on"), widget=DATE)

    def __init__(self, *args: Any, donor: Nation | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["effective_on"].initial = timezone.localdate()
        if donor is not None:  # a donor's representative speaks for its own nation only
            field = self.fields["donor"]
            assert isinstance(field, forms.ModelChoiceField)
            field.queryset = Nation.objects.filter(pk=donor.pk)
            self.fields["donor"].initial = donor.iso3
