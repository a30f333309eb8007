"""Requirements API: the same releasability filter as the pages; writes through needs.services.

Recipient representatives state and change their nation's requirements;
coordinators change any; everyone else reads what is releasable to them.
Records not releasable to the caller answer 404, exactly like missing ones.
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
from nsatu.catalog.models import Capability, Family
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
from nsatu.core.releasability import releasable
from nsatu.core.schemas import Code, Iso3, Search
from nsatu.nations.models import Nation
from nsatu.needs import services
from nsatu.needs.models import Requirement
from nsatu.needs.schemas import Priority, RequirementIn, RequirementOut, RequirementPatch
from nsatu.needs.schemas import Status as RequirementStatus
from nsatu.planning.models import PlanningSettings

router = Router(tags=["requirements"])
EDIT_ROLES = (Role.RECIPIENT, Role.COORDINATOR)


def _visible(request: HttpRequest) -> QuerySet[Requirement]:
    queryset = Requirement.objects.select_related("recipient", "capability").prefetch_related(
        "accepts", "releasable_to"
    )
    return releasable(queryset, request.user)


def _editable(request: HttpRequest, code: str, doing: str) -> tuple[User, Requirement]:
    """The acting user and a requirement they may change: 404 if unseen, 403 if not theirs."""
    user = require_role(request, *EDIT_ROLES, doing=doing)
    requirement = get_or_404(_visible(request), "requirement", code=code)
    ensure_owner(user, requirement, owner_field="recipient", role=Role.RECIPIENT, doing=doing)
    return user, requirement


def _nations(field: str, codes: list[str]) -> list[Nation]:
    return lookup_many(Nation, field, [c.upper() for c in codes], key="iso3")


def _families(codes: list[str]) -> list[Family]:
    return lookup_many(Family, "accepts", codes, key="code")


def _default_recipient(iso3: str | None) -> Nation:
    """The named recipient, or the scenario's when none is named."""
    if iso3 is not None:
        return lookup(Nation, "recipient", iso3.upper(), key="iso3")
    settings = PlanningSettings.objects.filter(singleton=1).select_related("recipient").first()
    if settings is None or settings.recipient is None:
        raise ValidationError({"recipient": "give the recipient nation (no scenario recipient is set)"})
    return settings.recipient


@router.get("/requirements", response={200: list[RequirementOut], **LIST_ERRORS}, summary="List requirements")
@paginate(Pagination)
def list_requirements(
    request: HttpRequest,
    capability: Code | None = None,
    priority: Priority | None = None,
    status: RequirementStatus | None = None,
    recipient: Iso3 | None = None,
    needed_before: dt.date | None = None,
    q: Search | None = None,
) -> QuerySet[Requirement]:
    """Requirements releasable to the caller, by priority and date; filters combine."""
    queryset = _visible(request)
    if capability:
        queryset = queryset.filter(capability__code=capability)
    if priority:
        queryset = queryset.filter(priority=priority)
    if status:
        queryset = queryset.filter(status=status)
    if recipient:
        queryset = queryset.filter(recipient__iso3=recipient.upper())
    if needed_before:
        queryset = queryset.filter(needed_by__lt=needed_before)
    if q:
        queryset = queryset.filter(Q(code__icontains=q) | Q(title__icontains=q))
    return queryset


@router.get(
    "/requirements/{code}", response={200: RequirementOut, **READ_ERRORS}, summary="Get a requirement"
)
def get_requirement(request: HttpRequest, code: Code) -> Requirement:
    """One requirement; 404 when it does not exist or is not releasable to the caller."""
    return get_or_404(_visible(request), "requirement", code=code)


@router.post("/requirements", response={201: RequirementOut, **CREATE_ERRORS}, summary="State a requirement")
def create_requirement(request: HttpRequest, payload: RequirementIn) -> Status[Requirement]:
    """State a need (recipient representatives for their nation; coordinators for any)."""
    user = require_role(request, *EDIT_ROLES, doing="state requirements")
    if user.role == Role.COORDINATOR:
        recipient = _default_recipient(payload.recipient)
    else:
        recipient = user.nation  # type: ignore[assignment]
        if payload.recipient is not None and payload.recipient.upper() != recipient.iso3:
            raise HttpError(403, "a recipient representative states requirements for its own nation only")
    capability = lookup(Capability, "capability", payload.capability, key="code")
    requirement = services.create_requirement(
        actor=user,
        code=payload.id,
        title=payload.title,
        recipient=recipient,
        capability=capability,
        quantity=payload.quantity,
        priority=payload.priority,
        needed_by=payload.needed_by,
        accepts=_families(payload.accepts),
        releasability=payload.releasability,
        releasable_to=_nations("releasable_to", payload.releasable_to),
    )
    return Status(201, get_or_404(_visible(request), "requirement", pk=requirement.pk))


@router.patch(
    "/requirements/{code}", response={200: RequirementOut, **WRITE_ERRORS}, summary="Change a requirement"
)
def update_requirement(request: HttpRequest, code: Code, payload: RequirementPatch) -> Requirement:
    """Change a requirement; 409 when someone saved it since the `version` you read."""
    user, requirement = _editable(request, code, "change it")
    changes: dict[str, Any] = patch_fields(payload, exclude={"accepts", "releasable_to"})
    if payload.capability is not None:
        changes["capability"] = lookup(Capability, "capability", payload.capability, key="code")
    services.update_requirement(
        requirement,
        actor=user,
        expected_version=payload.version,
        accepts=_families(payload.accepts) if payload.accepts is not None else None,
        releasable_to=(
            _nations("releasable_to", payload.releasable_to) if payload.releasable_to is not None else None
        ),
        **changes,
    )
    return get_or_404(_visible(request), "requirement", pk=requirement.pk)


@router.post(
    "/requirements/{code}/cancel",
    response={200: RequirementOut, **WRITE_ERRORS},
    summary="Cancel a requirement",
)
def cancel_requirement(request: HttpRequest, code: Code) -> Requirement:
    """Mark a requirement cancelled: the planner no longer serves it."""
    user, requirement = _editable(request, code, "cancel it")
    services.cancel_requirement(requirement, actor=user)
    return get_or_404(_visible(request), "requirement", pk=requirement.pk)


@router.delete(
    "/requirements/{code}",
    response={204: None, 200: RequirementOut, **WRITE_ERRORS},
    summary="Delete (or retire) a requirement",
)
def delete_requirement(request: HttpRequest, code: Code) -> Status[Requirement | None]:
    """Delete a requirement nothing refers to (204; coordinators; others cancel). One that plan runs
    name is retired instead (200, the requirement with status `retired`: their records keep it);
    409 while approved plans commit aid to it or offers are earmarked for it."""
    actor = coordinator(request, "delete requirements (cancel it instead)")
    retired = services.delete_requirement(
        get_or_404(_visible(request), "requirement", code=code), actor=actor
    )
    if retired is None:
        return Status(204, None)
    return Status(200, get_or_404(_visible(request), "requirement", pk=retired.pk))
