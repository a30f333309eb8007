"""The form that starts a stress run."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from nsatu.planning.models import METHOD_LABELS
from nsatu.stress.models import StressKind
from nsatu.stress.services import MAX_SAMPLES, METHODS


class StressRunForm(forms.Form):
    kind = forms.ChoiceField(label=_("Stress test"), choices=StressKind.choices)
    method = forms.ChoiceField(
        label=_("Method"), choices=[(m, METHOD_LABELS.get(m, m)) for m in METHODS], initial="optimal"
    )
    time_limit = forms.FloatField(label=_("Seconds per plan"), min_value=0.1, max_value=600, initial=10)
    samples = forms.IntegerField(
        label=_("Delay samples"), min_value=0, max_value=MAX_SAMPLES, initial=50, required=False
    )
    seed = forms.IntegerField(label=_("Seed"), initial=1)
    mean_delay_days = forms.FloatField(label=_("Mean extra days per route"), min_value=0, initial=14)
