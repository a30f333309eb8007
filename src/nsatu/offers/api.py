"""Offers API: the same releasability filter as the pages; writes through offers.services.

Donor representatives put their nation's offers on the table, change and
withdraw them; coordinators may do so for any donor; everyone else reads
what is releasable to them. Records not releasable to the caller answer 404.
"""

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from ninja import Router, Status
from ninja.errors import HttpError
from ninja.pagination import paginate

from nsatu.accounts.models import User
from nsatu.catalog.models import ItemType
from nsatu.core.api import (
    CREATE_ERRORS,
    LIST_ERRORS,
    READ_ERRORS,
    WRITE_ERRORS,
    Pagination,
    coordinator,
    get_or_404,
    lookup,
    lookup_many,
    patch_fields,
    require_role,
)
from nsatu.core.choices import Role
from nsatu.core.ownership import ensure_owner
from nsatu.core.releasability import releasable, with_visible_codes
from nsatu.core.schemas import Code, Iso3, Search, Version
from nsatu.nations.models import Nation
from nsatu.needs.models import Requirement
from nsatu.offers import services
from nsatu.offers.models import Offer, OfferStatus
from nsatu.offers.schemas import OfferIn, OfferOut, OfferPatch, OfferState

router = Router(tags=["offers"])
EDIT_ROLES = (Role.DONOR, Role.COORDINATOR)


def _visible(request: HttpRequest) -> QuerySet[Offer]:
    queryset = Offer.objects.select_related("donor", "item_type__family__capability").prefetch_related(
        "releasable_to"
    )
    return with_visible_codes(releasable(queryset, request.user), request.user, visible_earmark="earmark")


def _editable(request: HttpRequest, code: str, doing: str) -> tuple[User, Offer]:
    """The acting user and an offer they may change: 404 if unseen, 403 if not their nation's."""
    user = require_role(request, *EDIT_ROLES, doing=doing)
    offer = get_or_404(_visible(request), "offer", code=code)
    ensure_owner(user, offer, owner_field="donor", role=Role.DONOR, doing=doing)
    return user, offer


def _earmark(request: HttpRequest, code: str) -> Requirement:
    # Only a requirement the caller can see may be named, so the error reveals nothing.
    return lookup(
        Requirement, "earmark", code, key="code", queryset=releasable(Requirement.objects.all(), request.user)
    )


def _nations(codes: list[str]) -> list[Nation]:
    return lookup_many(Nation, "releasable_to", [c.upper() for c in codes], key="iso3")


@router.get("/offers", response={200: list[OfferOut], **LIST_ERRORS}, summary="List offers")
@paginate(Pagination)
def list_offers(
    request: HttpRequest,
    donor: Iso3 | None = None,
    status: OfferState | None = None,
    item_type: Code | None = None,
    capability: Code | None = None,
    earmark: Code | None = None,
    available_before: dt.date | None = None,
    q: Search | None = None,
) -> QuerySet[Offer]:
    """Offers releasable to the caller, by code; filters combine."""
    queryset = _visible(request)
    if donor:
        queryset = queryset.filter(donor__iso3=donor.upper())
    if status:
        queryset = queryset.filter(status=status)
    if item_type:
        queryset = queryset.filter(item_type__code=item_type)
    if capability:
        queryset = queryset.filter(item_type__family__capability__code=capability)
    if earmark:
        # the annotation, not earmark__code: a requirement hidden from the caller finds nothing
        queryset = queryset.filter(**{"visible_earmark": earmark})
    if available_before:
        queryset = queryset.filter(available_from__lt=available_before)
    if q:
        queryset = queryset.filter(Q(code__icontains=q) | Q(note__icontains=q))
    return queryset


@router.get("/offers/{code}", response={200: OfferOut, **READ_ERRORS}, summary="Get an offer")
def get_offer(request: HttpRequest, code: Code) -> Offer:
    """One offer; 404 when it does not exist or is not releasable to the caller."""
    return get_or_404(_visible(request), "offer", code=code)


@router.post("/offers", response={201: OfferOut, **CREATE_ERRORS}, summary="Put an offer on the table")
def create_offer(request: HttpRequest, payload: OfferIn) -> Status[Offer]:
    """Offer an item type from a date (donor representatives for their nation; coordinators for any)."""
    user = require_role(request, *EDIT_ROLES, doing="make offers")
    if user.role == Role.COORDINATOR:
        if payload.donor is None:
            raise ValidationError({"donor": "give the donor nation"})
        donor = lookup(Nation, "donor", payload.donor.upper(), key="iso3")
    else:
        donor = user.nation  # type: ignore[assignment]
        if payload.donor is not None and payload.donor.upper() != donor.iso3:
            raise HttpError(403, "a donor representative makes offers for its own nation only")
    offer = services.create_offer(
        actor=user,
        code=payload.id,
        donor=donor,
        item_type=lookup(ItemType, "item_type", payload.item_type, key="code"),
        quantity=payload.quantity,
        available_from=payload.available_from,
        earmark=_earmark(request, payload.earmark) if payload.earmark else None,
        note=payload.note,
        releasability=payload.releasability,
        releasable_to=_nations(payload.releasable_to),
    )
    return Status(201, get_or_404(_visible(request), "offer", pk=offer.pk))


@router.patch("/offers/{code}", response={200: OfferOut, **WRITE_ERRORS}, summary="Change an offer")
def update_offer(request: HttpRequest, code: Code, payload: OfferPatch) -> Offer:
    """Change an offer; 409 when someone saved it since the `version` you read."""
    user, offer = _editable(request, code, "change it")
    changes: dict[str, Any] = patch_fields(payload, exclude={"releasable_to"}, nullable={"earmark"})
    if payload.item_type is not None:
        changes["item_type"] = lookup(ItemType, "item_type", payload.item_type, key="code")
    if "earmark" in changes:
        changes["earmark"] = _earmark(request, payload.earmark) if payload.earmark else None
    services.update_offer(
        offer,
        actor=user,
        expected_version=payload.version,
        releasable_to=_nations(payload.releasable_to) if payload.releasable_to is not None else None,
        **changes,
    )
    return get_or_404(_visible(request), "offer", pk=offer.pk)


@router.post("/offers/{code}/withdraw", response={200: OfferOut, **WRITE_ERRORS}, summary="Withdraw an offer")
def withdraw_offer(request: HttpRequest, code: Code, version: Version | None = None) -> Offer:
    """Take an offer off the table; with `?version=` refused (409) if it changed since you read it."""
    user, offer = _editable(request, code, "withdraw it")
    if offer.status in (OfferStatus.WITHDRAWN, OfferStatus.RETIRED):
        raise HttpError(409, f"offer {code} is already {offer.status}")
    try:
        services.withdraw_offer(offer, actor=user, expected_version=version)
    except services.OfferError as exc:
        raise HttpError(409, str(exc)) from exc
    return get_or_404(_visible(request), "offer", pk=offer.pk)


@router.delete(
    "/offers/{code}",
    response={204: None, 200: OfferOut, **WRITE_ERRORS},
    summary="Delete (or retire) an offer",
)
def delete_offer(request: HttpRequest, code: Code) -> Status[Offer | None]:
    """Delete an offer nothing refers to (204; coordinators; donors withdraw instead). One that plan
    runs or shipments name is retired instead (200, status `retired`); 409 while aid of it is committed,
    held or on its way."""
    actor = coordinator(request, "delete offers (withdraw it instead)")
    retired = services.delete_offer(get_or_404(_visible(request), "offer", code=code), actor=actor)
    if retired is None:
        return Status(204, None)
    return Status(200, get_or_404(_visible(request), "offer", pk=retired.pk))
