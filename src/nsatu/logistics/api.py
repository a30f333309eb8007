"""Logistics API: hubs and the routes from donors through them.

Not marked: every signed-in user reads them; only coordinators change them.
"""

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Router, Status
from ninja.pagination import paginate

from nsatu.core.api import (
    CREATE_ERRORS,
    LIST_ERRORS,
    READ_ERRORS,
    WRITE_ERRORS,
    Pagination,
    coordinator,
    get_or_404,
    lookup,
    patch_fields,
)
from nsatu.core.schemas import Id, Iso3
from nsatu.logistics import services
from nsatu.logistics.models import Hub, Route
from nsatu.logistics.schemas import HubCode, HubIn, HubOut, HubPatch, RouteIn, RouteOut, RoutePatch
from nsatu.nations.models import Nation

router = Router(tags=["logistics"])


def _hubs() -> QuerySet[Hub]:
    return Hub.objects.select_related("nation")


@router.get("/hubs", response={200: list[HubOut], **LIST_ERRORS}, summary="List hubs")
@paginate(Pagination)
def list_hubs(request: HttpRequest, nation: Iso3 | None = None) -> QuerySet[Hub]:
    """Logistics hubs with their weekly throughput, optionally those in one nation."""
    queryset = _hubs()
    if nation:
        queryset = queryset.filter(nation__iso3=nation.upper())
    return queryset


@router.get("/hubs/{code}", response={200: HubOut, **READ_ERRORS}, summary="Get a hub")
def get_hub(request: HttpRequest, code: HubCode) -> Hub:
    """One hub by its code."""
    return get_or_404(_hubs(), "hub", code=code)


@router.post("/hubs", response={201: HubOut, **CREATE_ERRORS}, summary="Add a hub")
def create_hub(request: HttpRequest, payload: HubIn) -> Status[Hub]:
    """Add a logistics hub (coordinators)."""
    actor = coordinator(request, "change logistics")
    fields = payload.dict()
    fields["nation"] = lookup(Nation, "nation", payload.nation.upper(), key="iso3")
    return Status(201, services.create_hub(actor=actor, **fields))


@router.patch("/hubs/{code}", response={200: HubOut, **WRITE_ERRORS}, summary="Change a hub")
def update_hub(request: HttpRequest, code: HubCode, payload: HubPatch) -> Hub:
    """Change a hub (coordinators); 409 when `version` is stale."""
    actor = coordinator(request, "change logistics")
    hub = get_or_404(_hubs(), "hub", code=code)
    changes = patch_fields(payload)
    if payload.nation is not None:
        changes["nation"] = lookup(Nation, "nation", payload.nation.upper(), key="iso3")
    return services.update_hub(hub, actor=actor, expected_version=payload.version, **changes)


@router.delete("/hubs/{code}", response={204: None, **WRITE_ERRORS}, summary="Remove a hub")
def delete_hub(request: HttpRequest, code: HubCode) -> Status[None]:
    """Remove a hub and its routes (coordinators)."""
    actor = coordinator(request, "change logistics")
    services.delete_hub(get_or_404(Hub.objects.all(), "hub", code=code), actor=actor)
    return Status(204, None)


def _routes() -> QuerySet[Route]:
    return Route.objects.select_related("donor", "hub")


@router.get("/routes", response={200: list[RouteOut], **LIST_ERRORS}, summary="List routes")
@paginate(Pagination)
def list_routes(
    request: HttpRequest, donor: Iso3 | None = None, hub: HubCode | None = None
) -> QuerySet[Route]:
    """Routes from donors through hubs to the recipient, optionally one donor's or one hub's."""
    queryset = _routes()
    if donor:
        queryset = queryset.filter(donor__iso3=donor.upper())
    if hub:
        queryset = queryset.filter(hub__code=hub)
    return queryset


@router.get("/routes/{route_id}", response={200: RouteOut, **READ_ERRORS}, summary="Get a route")
def get_route(request: HttpRequest, route_id: Id) -> Route:
    """One route by its id."""
    return get_or_404(_routes(), "route", pk=route_id)


@router.post("/routes", response={201: RouteOut, **CREATE_ERRORS}, summary="Open a route")
def create_route(request: HttpRequest, payload: RouteIn) -> Status[Route]:
    """Open a route from a donor through a hub (coordinators)."""
    actor = coordinator(request, "change logistics")
    route = services.create_route(
        actor=actor,
        donor=lookup(Nation, "donor", payload.donor.upper(), key="iso3"),
        hub=lookup(Hub, "hub", payload.hub, key="code"),
        lead_time_days=payload.lead_time_days,
    )
    return Status(201, route)


@router.patch("/routes/{route_id}", response={200: RouteOut, **WRITE_ERRORS}, summary="Change a route")
def update_route(request: HttpRequest, route_id: Id, payload: RoutePatch) -> Route:
    """Change a route's lead time (coordinators); 409 when `version` is stale."""
    actor = coordinator(request, "change logistics")
    route = get_or_404(_routes(), "route", pk=route_id)
    return services.update_route(
        route, actor=actor, expected_version=payload.version, **patch_fields(payload)
    )


@router.delete("/routes/{route_id}", response={204: None, **WRITE_ERRORS}, summary="Close a route")
def delete_route(request: HttpRequest, route_id: Id) -> Status[None]:
    """Close a route (coordinators)."""
    actor = coordinator(request, "change logistics")
    services.delete_route(get_or_404(Route.objects.all(), "route", pk=route_id), actor=actor)
    return Status(204, None)
