"""Forms of the requirement pages."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class RequirementInlineForm(forms.Form):
    """The two fields the recipient re-prioritises most: priority and needed-by date."""

    priority = forms.IntegerField(label=_("Priority"), min_value=1, max_value=5)
    needed_by = forms.DateField(label=_("Needed by"), widget=forms.DateInput(attrs={"type": "date"}))
    version = forms.IntegerField(widget=forms.HiddenInput)
