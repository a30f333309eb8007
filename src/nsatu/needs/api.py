"""Requirements API: the same releasability filter as the pages."""

from __future__ import annotations

from django.http import Http404, HttpRequest
from ninja import Router
from ninja.pagination import paginate

from nsatu.core.releasability import releasable
from nsatu.needs.models import Requirement
from nsatu.needs.schemas import RequirementOut

router = Router(tags=["requirements"])


def _out(r: Requirement) -> RequirementOut:
    return RequirementOut(
        id=r.code,
        title=r.title,
        recipient=r.recipient.iso3,
        capability=r.capability.code,
        quantity=r.quantity,
        priority=r.priority,
        needed_by=r.needed_by,
        accepts=sorted(f.code for f in r.accepts.all()),
        status=r.status,
        releasability=r.releasability,
        version=r.version,
    )


def _visible(request: HttpRequest):  # type: ignore[no-untyped-def]
    queryset = Requirement.objects.select_related("recipient", "capability").prefetch_related("accepts")
    return releasable(queryset, request.user)


@router.get("/requirements", response=list[RequirementOut])
@paginate
def list_requirements(
    request: HttpRequest, capability: str | None = None, priority: int | None = None
) -> object:
    """Requirements releasable to the caller, optionally filtered."""
    queryset = _visible(request)
    if capability:
        queryset = queryset.filter(capability__code=capability)
    if priority:
        queryset = queryset.filter(priority=priority)
    return [_out(r) for r in queryset]


@router.get("/requirements/{code}", response=RequirementOut)
def get_requirement(request: HttpRequest, code: str) -> RequirementOut:
    """One requirement; 404 when it does not exist or is not releasable to the caller."""
    requirement = _visible(request).filter(code=code).first()
    if requirement is None:
        raise Http404("no such requirement")
    return _out(requirement)
