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


def _finished_runs() -> list[tuple[int, str]]:
    from nsatu.planning.models import PlanRun

    runs = PlanRun.objects.filter(status="done").order_by("-pk")[:200]
    return [(r.pk, f"#{r.pk} {r.method_label} ({r.created_at:%Y-%m-%d %H:%M})") for r in runs]


class CompareForm(forms.Form):
    """Pick two finished runs to compare (the latest 200)."""

    a = forms.TypedChoiceField(label=_("Run A"), coerce=int, choices=_finished_runs)
    b = forms.TypedChoiceField(label=_("Run B"), coerce=int, choices=_finished_runs)
