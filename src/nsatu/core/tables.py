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


def format_quantity(value: float | None, whole: bool) -> str:
    """A quantity in one format per unit, in the reader's locale.

    Whole units (each, rounds, ... : ``ItemType.is_whole``) read as whole numbers
    (``24,000``); other units always with two decimals (``12.50``). A fraction of a
    whole unit (a line planned before plans were whole) shows three decimals, so it
    is never mistaken for a whole number.
    """
    if value is None:
        return ""
    if whole:
        nearest = round(value)
        if abs(value - nearest) <= 1e-9 * max(1.0, abs(value)):
            return str(floatformat(nearest, "0g"))
        return str(floatformat(value, "3g"))
    return str(floatformat(value, "2g"))


def whole_number_problem(value: float, whole: bool, what: str) -> str:
    """Why ``value`` cannot be a quantity of a whole unit (empty when it can)."""
    if not whole or abs(value - round(value)) <= 1e-9 * max(1.0, abs(value)):
        return ""
    return _("%(what)s is counted in whole units: %(value)s is not a whole number") % {
        "what": what,
        "value": f"{value:.12g}",  # as typed: 10362.86, 0.5
    }
