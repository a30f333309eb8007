"""Shipments API: list, search and read what is releasable; take the next step, confirm a receipt.

The same rules as the pages: shipments pass the releasability filter (a hidden
one answers 404 like a missing one); the donor dispatches its own, the
recipient confirms its own receipts, coordinators take every step. Every step
goes through `nsatu.shipments.services`, which writes its ledger event.
"""

from collections.abc import Callable
from typing import Any, Literal

from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from ninja import Router
from ninja.errors import HttpError
from ninja.pagination import paginate

from nsatu.core.api import (
    LIST_ERRORS,
    READ_ERRORS,
    WRITE_ERRORS,
    Pagination,
    coordinator,
    current_user,
    get_or_404,
)
from nsatu.core.releasability import releasable, with_visible_codes
from nsatu.core.schemas import Code, Id, Iso3, Search
from nsatu.core.services import ConflictError
from nsatu.planning.models import PlanRun
from nsatu.shipments import services
from nsatu.shipments.choices import ShipmentState
from nsatu.shipments.models import Shipment, late_q
from nsatu.shipments.schemas import ReceiptIn, ReconciliationOut, ShipmentOut, ShipmentsPlannedOut, StepIn

router = Router(tags=["shipments"])

Step = Literal["dispatch", "at-hub", "hand-over"]
State = Literal["planned", "dispatched", "at_hub", "handed_over", "received", "cancelled"]

STEP_SERVICES: dict[str, Callable[..., Shipment]] = {
    "dispatch": services.dispatch_shipment,
    "at-hub": services.arrive_at_hub,
    "hand-over": services.hand_over_shipment,
}


def _shipments(request: HttpRequest) -> QuerySet[Shipment]:
    user = current_user(request)
    queryset = Shipment.objects.select_related(
        "donor", "recipient", "hub", "item_type", "allocation"
    ).prefetch_related("legs", "releasable_to")
    return with_visible_codes(releasable(queryset, user), user, visible_offer="offer")


@router.get("/shipments", response={200: list[ShipmentOut], **LIST_ERRORS}, summary="List shipments")
@paginate(Pagination)
def list_shipments(
    request: HttpRequest,
    state: State | None = None,
    donor: Iso3 | None = None,
    hub: Code | None = None,
    run: Id | None = None,
    late: bool | None = None,
    q: Search | None = None,
) -> QuerySet[Shipment]:
    """Shipments releasable to you, by planned arrival; filters combine.

    `late=true`: received after the planned arrival, or still on the way past it.
    `q` searches the shipment's and its offer's codes.
    """
    queryset = _shipments(request)
    if state:
        queryset = queryset.filter(state=state)
    if donor:
        queryset = queryset.filter(donor__iso3=donor.upper())
    if hub:
        queryset = queryset.filter(hub__code=hub)
    if run is not None:
        queryset = queryset.filter(allocation__run_id=run)
    if late is not None:
        lateness = late_q(timezone.localdate())
        queryset = queryset.filter(lateness) if late else queryset.exclude(lateness)
    if q:
        queryset = queryset.filter(Q(code__icontains=q) | Q(visible_offer__icontains=q))
    return queryset.order_by("planned_arrival", "code")


@router.get("/shipments/{code}", response={200: ShipmentOut, **READ_ERRORS}, summary="Get a shipment")
def get_shipment(request: HttpRequest, code: Code) -> Shipment:
    """One shipment with its legs; 404 when it does not exist or is not releasable to you."""
    return get_or_404(_shipments(request), "shipment", code=code)


def _step(call: Callable[[], Any]) -> Any:
    try:
        return call()
    except services.ShipmentPermissionError as exc:
        raise HttpError(403, str(exc)) from exc
    except (services.ShipmentError, ConflictError) as exc:
        raise HttpError(409, str(exc)) from exc


@router.post(
    "/shipments/{code}/receipt",
    response={200: ReconciliationOut, **WRITE_ERRORS},
    summary="Confirm a receipt",
)
def confirm_receipt(request: HttpRequest, code: Code, payload: ReceiptIn) -> dict[str, Any]:
    """The recipient (or a coordinator) confirms what arrived; the serial reconciliation comes back.

    409 when the shipment is not handed over yet, or `version` is stale; 403 when it is not yours.
    """
    user = current_user(request)
    shipment = get_or_404(_shipments(request), "shipment", code=code)
    result = _step(
        lambda: services.receive_shipment(
            shipment,
            actor=user,
            on=payload.on,
            quantity_received=payload.quantity_received,
            damaged=payload.damaged,
            wrong_item=payload.wrong_item,
            serials=payload.serials,
            note=payload.note,
            expected_version=payload.version,
        )
    )
    others = [other for _serial, other in result.swapped]
    named = set(releasable(Shipment.objects.filter(code__in=others), user).values_list("code", flat=True))
    return {
        "code": shipment.code,
        "state": ShipmentState.RECEIVED,
        "matched": result.matched,
        "missing": result.missing,
        "extra": result.extra,
        "swapped": [[serial, other if other in named else ""] for serial, other in result.swapped],
    }


@router.post(
    "/shipments/{code}/{step}", response={200: ShipmentOut, **WRITE_ERRORS}, summary="Take the next step"
)
def take_step(request: HttpRequest, code: Code, step: Step, payload: StepIn) -> Shipment:
    """`dispatch` (donor or coordinator; serials for serialised items), `at-hub`, `hand-over` (coordinator).

    A step that is not the shipment's next answers 409 with the reason.
    """
    user = current_user(request)
    shipment = get_or_404(_shipments(request), "shipment", code=code)
    extra: dict[str, Any] = {"serials": payload.serials} if step == "dispatch" else {}
    if payload.serials and step != "dispatch":
        raise HttpError(409, "serials are recorded at dispatch and checked at receipt only")
    _step(
        lambda: STEP_SERVICES[step](
            shipment, actor=user, on=payload.on, expected_version=payload.version, **extra
        )
    )
    return get_or_404(_shipments(request), "shipment", code=code)


@router.post(
    "/plan-runs/{run_id}/shipments",
    response={200: ShipmentsPlannedOut, **WRITE_ERRORS},
    summary="Plan an approved run's shipments",
)
def plan_shipments(request: HttpRequest, run_id: Id) -> dict[str, Any]:
    """Turn the lines of an approved run that have no shipment yet into planned shipments (coordinators).

    Approval already does this; it is for runs approved before, and it never plans a line twice.
    409 when the run is not approved.
    """
    actor = coordinator(request, "plan shipments")
    run = get_or_404(PlanRun.objects.all(), "plan run", pk=run_id)
    created = _step(lambda: services.create_shipments_for_run(run, actor=actor))
    return {"run": run.pk, "created": [shipment.code for shipment in created]}
