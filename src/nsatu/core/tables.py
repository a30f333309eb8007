"""A small paged table view used by the list pages until they grow their own."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

PAGE_SIZE = 50


def render_table(
    request: HttpRequest,
    *,
    heading: str,
    queryset: QuerySet[Any],
    columns: Sequence[tuple[str, Callable[[Any], object]]],
) -> HttpResponse:
    """Render ``queryset`` page by page as a table of ``columns`` (label, getter)."""
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [[getter(obj) for _, getter in columns] for obj in page]
    return render(
        request,
        "list.html",
        {"heading": heading, "columns": [c for c, _ in columns], "rows": rows, "page": page},
    )
