"""Forms for cohorts: open one, record its filled seats, graduate it."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from nsatu.training.models import Course

DATE = forms.DateInput(attrs={"type": "date"})


class CohortForm(forms.Form):
    """Open a cohort of a course; empty dates and seats take the course's."""

    course = forms.ModelChoiceField(label=_("Course"), queryset=Course.objects.order_by("start", "code"))
    start = forms.DateField(label=_("Start"), widget=DATE, required=False)
    end = forms.DateField(label=_("End"), widget=DATE, required=False)
    seats_offered = forms.FloatField(label=_("Seats offered"), min_value=0, required=False)
    seats_filled = forms.FloatField(label=_("Seats filled"), min_value=0, initial=0, required=False)


class SeatsForm(forms.Form):
    """Record how many seats of a cohort are filled."""

    seats_filled = forms.FloatField(label=_("Seats filled"), min_value=0)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class GraduateForm(forms.Form):
    """Record a cohort's graduates and the day."""

    graduates = forms.FloatField(label=_("Graduates"), min_value=0)
    on = forms.DateField(label=_("Graduated on"), widget=DATE, required=False, help_text=_("empty = today"))
