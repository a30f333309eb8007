"""Offers API: the same releasability filter as the pages."""

from __future__ import annotations

from django.http import Http404, HttpRequest
from ninja import Router
from ninja.pagination import paginate

from nsatu.core.releasability import releasable
from nsatu.offers.models import Offer
from nsatu.offers.schemas import OfferOut

router = Router(tags=["offers"])


def _out(o: Offer) -> OfferOut:
    return OfferOut(
        id=o.code,
        donor=o.donor.iso3,
        item_type=o.item_type.code,
        quantity=o.quantity,
        available_from=o.available_from,
        earmark=o.earmark.code if o.earmark_id else None,  # type: ignore[union-attr]
        status=o.status,
        note=o.note,
        releasability=o.releasability,
        version=o.version,
    )


def _visible(request: HttpRequest):  # type: ignore[no-untyped-def]
    queryset = Offer.objects.select_related("donor", "item_type", "earmark")
    return releasable(queryset, request.user)


@router.get("/offers", response=list[OfferOut])
@paginate
def list_offers(request: HttpRequest, donor: str | None = None, status: str | None = None) -> object:
    """Offers releasable to the caller, optionally filtered."""
    queryset = _visible(request)
    if donor:
        queryset = queryset.filter(donor__iso3=donor.upper())
    if status:
        queryset = queryset.filter(status=status)
    return [_out(o) for o in queryset]


@router.get("/offers/{code}", response=OfferOut)
def get_offer(request: HttpRequest, code: str) -> OfferOut:
    """One offer; 404 when it does not exist or is not releasable to the caller."""
    offer = _visible(request).filter(code=code).first()
    if offer is None:
        raise Http404("no such offer")
    return _out(offer)
