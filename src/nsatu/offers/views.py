"""Offer pages."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from nsatu.core.releasability import releasable
from nsatu.core.tables import render_table
from nsatu.offers.models import Offer


@login_required
def offer_list(request: HttpRequest) -> HttpResponse:
    """The offers releasable to the user."""
    queryset = releasable(Offer.objects.select_related("donor", "item_type"), request.user)
    return render_table(
        request,
        heading=_("Offers"),
        queryset=queryset,
        columns=[
            (_("Id"), lambda o: o.code),
            (_("Donor"), lambda o: o.donor.iso3),
            (_("Item"), lambda o: o.item_type.name),
            (_("Quantity"), lambda o: o.quantity),
            (_("Available from"), lambda o: o.available_from),
            (_("Status"), lambda o: o.get_status_display()),
            (_("Releasability"), lambda o: o.releasability),
        ],
    )
