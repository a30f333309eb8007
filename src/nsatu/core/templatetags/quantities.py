"""``{{ value|quantity:item_type }}``: a quantity in its unit's one format (core.tables.format_quantity)."""

from __future__ import annotations

from typing import Any

from django import template

from nsatu.core.tables import format_quantity

register = template.Library()


@register.filter
def quantity(value: Any, unit: Any = None) -> str:
    """``unit``: an item type (its ``is_whole``), or a boolean saying the unit is counted whole."""
    if value is None or value == "":
        return ""
    whole = unit if isinstance(unit, bool) else bool(getattr(unit, "is_whole", False))
    return format_quantity(float(value), whole)
