"""Requirement pages."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from nsatu.core.releasability import releasable
from nsatu.core.tables import render_table
from nsatu.needs.models import Requirement


@login_required
def requirement_list(request: HttpRequest) -> HttpResponse:
    """The prioritised requirements releasable to the user."""
    queryset = releasable(Requirement.objects.select_related("capability"), request.user)
    return render_table(
        request,
        heading=_("Requirements"),
        queryset=queryset,
        columns=[
            (_("Id"), lambda r: r.code),
            (_("Title"), lambda r: r.title),
            (_("Capability"), lambda r: r.capability.code),
            (_("Quantity"), lambda r: r.quantity),
            (_("Priority"), lambda r: r.priority),
            (_("Needed by"), lambda r: r.needed_by),
            (_("Status"), lambda r: r.get_status_display()),
            (_("Releasability"), lambda r: r.releasability),
        ],
    )
