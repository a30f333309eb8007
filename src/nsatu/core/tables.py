"""A small paged table view used by the list pages until they grow their own."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.defaultfilters import floatformat
from django.utils.translation import gettext as _

PAGE_SIZE = 50


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


def render_table(
    request: HttpRequest,
    *,
    heading: str,
    queryset: QuerySet[Any],
    columns: Sequence[tuple[str, Callable[[Any], object]]],
) -> HttpResponse:
    """Render ``queryset`` page by page as a table of ``columns`` (label, getter)."""
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [[display_value(getter(obj)) for _label, getter in columns] for obj in page]
    return render(
        request,
        "list.html",
        {"heading": heading, "columns": [label for label, _getter in columns], "rows": rows, "page": page},
    )
