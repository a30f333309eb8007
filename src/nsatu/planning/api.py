"""Planning API: start a plan run, poll its progress, read its lines, approve it.

Every role reads runs and their aggregate figures; a run's lines are filtered
so each caller sees only lines whose offer and requirement are releasable to
it. Only coordinators start and approve runs.
"""

from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Router, Status
from ninja.errors import HttpError
from ninja.pagination import paginate

from nsatu.core.api import (
    CREATE_ERRORS,
    LIST_ERRORS,
    READ_ERRORS,
    WRITE_ERRORS,
    Pagination,
    coordinator,
    get_or_404,
)
from nsatu.core.releasability import releasable
from nsatu.core.schemas import Code, Id, Iso3
from nsatu.needs.models import Requirement
from nsatu.offers.models import Offer
from nsatu.planning.models import Allocation, FleetStudy, PlanRun
from nsatu.planning.schemas import (
    AllocationOut,
    FleetStudyIn,
    FleetStudyOut,
    Method,
    PlanRunIn,
    PlanRunOut,
    RunState,
    StudyKindName,
)
from nsatu.planning.services import (
    PlanningError,
    approve_plan_run,
    fail_stale_runs,
    fail_stale_studies,
    start_fleet_study,
    start_plan_run,
)

router = Router(tags=["planning"])


@router.get("/plan-runs", response={200: list[PlanRunOut], **LIST_ERRORS}, summary="List plan runs")
@paginate(Pagination)
def list_plan_runs(
    request: HttpRequest,
    status: RunState | None = None,
    method: Method | None = None,
    approved: bool | None = None,
) -> QuerySet[PlanRun]:
    """Plan runs, newest first; optionally by status, method, or whether approved."""
    fail_stale_runs()
    queryset = PlanRun.objects.all()
    if status:
        queryset = queryset.filter(status=status)
    if method:
        queryset = queryset.filter(method=method)
    if approved is not None:
        queryset = queryset.filter(approved_at__isnull=not approved)
    return queryset


@router.post("/plan-runs", response={202: PlanRunOut, **CREATE_ERRORS}, summary="Start a plan run")
def create_plan_run(request: HttpRequest, payload: PlanRunIn) -> Status[PlanRun]:
    """Queue a planning run over the current data (coordinators); poll it at `/plan-runs/{id}`."""
    actor = coordinator(request, "start plan runs")
    try:
        run = start_plan_run(actor=actor, method=payload.method, time_limit=payload.time_limit)
    except PlanningError as exc:
        raise HttpError(409, str(exc)) from exc
    return Status(202, run)


@router.get("/plan-runs/{run_id}", response={200: PlanRunOut, **READ_ERRORS}, summary="Poll a plan run")
def get_plan_run(request: HttpRequest, run_id: Id) -> PlanRun:
    """A run's status, phase, fraction done, incumbent, bound, gap and, when done, its metrics."""
    fail_stale_runs()
    return get_or_404(PlanRun.objects.all(), "plan run", pk=run_id)


@router.get(
    "/plan-runs/{run_id}/allocations",
    response={200: list[AllocationOut], **READ_ERRORS},
    summary="List a plan run's lines",
)
@paginate(Pagination)
def list_allocations(
    request: HttpRequest,
    run_id: Id,
    offer: Code | None = None,
    requirement: Code | None = None,
    hub: Code | None = None,
    donor: Iso3 | None = None,
) -> QuerySet[Allocation]:
    """The run's lines whose offer and requirement are releasable to the caller, by priority and week."""
    run = get_or_404(PlanRun.objects.all(), "plan run", pk=run_id)
    queryset = (
        Allocation.objects.filter(
            run=run,
            offer__in=releasable(Offer.objects.all(), request.user),
            requirement__in=releasable(Requirement.objects.all(), request.user),
        )
        .select_related("offer__donor", "requirement__capability", "hub")
        .order_by("requirement__priority", "requirement__code", "arrival_week", "pk")
    )
    if offer:
        queryset = queryset.filter(offer__code=offer)
    if requirement:
        queryset = queryset.filter(requirement__code=requirement)
    if hub:
        queryset = queryset.filter(hub__code=hub)
    if donor:
        queryset = queryset.filter(offer__donor__iso3=donor.upper())
    return queryset


@router.post(
    "/plan-runs/{run_id}/approve", response={200: PlanRunOut, **WRITE_ERRORS}, summary="Approve a plan run"
)
def approve(request: HttpRequest, run_id: Id) -> PlanRun:
    """Turn a finished run's lines into commitments and mark its offers allocated (coordinators).

    409 when the run is not finished, already approved, empty, or uses offers no longer available.
    """
    actor = coordinator(request, "approve plans")
    run = get_or_404(PlanRun.objects.all(), "plan run", pk=run_id)
    try:
        return approve_plan_run(run, actor=actor)
    except PlanningError as exc:
        raise HttpError(409, str(exc)) from exc


@router.post(
    "/plan-runs/{run_id}/studies",
    response={202: FleetStudyOut, **WRITE_ERRORS},
    summary="Start a frontier or family-worth study of a run",
)
def create_fleet_study(request: HttpRequest, run_id: Id, payload: FleetStudyIn) -> Status[FleetStudy]:
    """Queue a study of the run's scenario (coordinators); poll it at `/fleet-studies/{id}`.

    409 when the run is not finished."""
    actor = coordinator(request, "start studies")
    run = get_or_404(PlanRun.objects.all(), "plan run", pk=run_id)
    try:
        study = start_fleet_study(
            run,
            kind=payload.kind,
            time_limit=payload.time_limit,
            max_families=payload.max_families,
            actor=actor,
        )
    except PlanningError as exc:
        raise HttpError(409, str(exc)) from exc
    return Status(202, study)


@router.get(
    "/plan-runs/{run_id}/studies",
    response={200: list[FleetStudyOut], **READ_ERRORS},
    summary="List a run's studies",
)
@paginate(Pagination)
def list_fleet_studies(request: HttpRequest, run_id: Id, kind: StudyKindName | None = None) -> Any:
    """The run's frontier and worth studies, newest first."""
    fail_stale_studies()
    run = get_or_404(PlanRun.objects.all(), "plan run", pk=run_id)
    queryset = FleetStudy.objects.filter(run=run).order_by("-pk")
    return queryset.filter(kind=kind) if kind else queryset


@router.get("/fleet-studies/{study_id}", response={200: FleetStudyOut, **READ_ERRORS}, summary="Poll a study")
def get_fleet_study(request: HttpRequest, study_id: Id) -> FleetStudy:
    """A study's status, fraction done and, when done, its result."""
    fail_stale_studies()
    return get_or_404(FleetStudy.objects.all(), "fleet study", pk=study_id)
