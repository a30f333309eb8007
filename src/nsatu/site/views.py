"""The overview page."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from nsatu.catalog.models import Family
from nsatu.core.releasability import releasable
from nsatu.nations.models import Nation
from nsatu.needs.models import Requirement
from nsatu.offers.models import Offer
from nsatu.planning.services import current_settings


def healthz(request: HttpRequest) -> HttpResponse:
    """Liveness, and the bare-Django ceiling of the load benchmark: no database, no template."""
    return HttpResponse("ok", content_type="text/plain")


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """What the signed-in user can see, in numbers."""
    counts = {
        "requirements": releasable(Requirement.objects.all(), request.user).count(),
        "offers": releasable(Offer.objects.all(), request.user).count(),
        "nations": Nation.objects.count(),
        "families": Family.objects.count(),
    }
    return render(request, "home.html", {"counts": counts, "scenario": current_settings()})
