"""The ledger page."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from nsatu.core.choices import Role
from nsatu.core.ledger import verify_ledger
from nsatu.core.models import Event

LEDGER_ROLES = {Role.AUDITOR, Role.COORDINATOR, Role.LEADERSHIP}


@login_required
def ledger(request: HttpRequest) -> HttpResponse:
    """Auditors and command staff read the ledger, newest first, with its verification."""
    if getattr(request.user, "role", None) not in LEDGER_ROLES:
        raise PermissionDenied
    page = Paginator(Event.objects.order_by("-seq"), 50).get_page(request.GET.get("page"))
    return render(request, "core/ledger.html", {"page": page, "verification": verify_ledger()})
