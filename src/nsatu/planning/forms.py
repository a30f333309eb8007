"""Forms of the planning pages."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from nsatu.planning.models import METHOD_LABELS
from nsatu.planning.services import METHODS


class PlanRunForm(forms.Form):
    """Start a planning run."""

    method = forms.ChoiceField(
        label=_("Method"), choices=[(m, METHOD_LABELS.get(m, m)) for m in METHODS], initial="optimal"
    )
    time_limit = forms.FloatField(label=_("Time limit (seconds)"), min_value=1, max_value=3600, initial=30)


class ScenarioUploadForm(forms.Form):
    """A scenario workbook (FORMAT.md sheets)."""

    file = forms.FileField(label=_("Scenario workbook (.xlsx)"))


class CompareForm(forms.Form):
    """Pick two runs to compare."""

    a = forms.IntegerField(label=_("Run A"))
    b = forms.IntegerField(label=_("Run B"))
