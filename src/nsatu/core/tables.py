"""How a table cell reads on a page (exports keep the raw value)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.template.defaultfilters import floatformat
from django.utils.translation import gettext as _


def display_value(value: Any) -> Any:
    """A cell as a page shows it, in the reader's language and locale (exports keep the raw value).

    Yes/no for booleans, numbers with the locale's decimal and thousands separators
    and at most two decimals; dates are left to the template, which localises them.
    """
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, int | float | Decimal):
        return floatformat(value, "-2g")
    return "" if value is None else value
