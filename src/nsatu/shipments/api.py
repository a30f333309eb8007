"""Shipments API: list and read what is releasable; take the next step, confirm a receipt."""

from collections.abc import Callable
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Router
from ninja.errors import HttpError
from ninja.pagination import paginate

from nsatu.core.api import LIST_ERRORS, READ_ERRORS, WRITE_ERRORS, Pagination, current_user, get_or_404
from nsatu.core.releasability import releasable
from nsatu.core.services import ConflictError
from nsatu.shipments import services
from nsatu.shipments.choices import ShipmentState
from nsatu.shipments.models import Shipment
from nsatu.shipments.schemas import ReceiptIn, ReconciliationOut, ShipmentOut, StepIn

router = Router(tags=["shipments"])


def _shipments(request: HttpRequest) -> QuerySet[Shipment]:
    queryset = Shipment.objects.select_related("offer", "donor", "recipient", "hub", "item_type")
    return releasable(queryset.prefetch_related("legs"), current_user(request))


@router.get("/shipments", response={200: list[ShipmentOut], **LIST_ERRORS}, summary="List shipments")
@paginate(Pagination)
def list_shipments(
    request: HttpRequest, state: ShipmentState | None = None, donor: str | None = None
) -> QuerySet[Shipment]:
    """Shipments releasable to you, by planned arrival; optionally one state's or one donor's."""
    queryset = _shipments(request)
    if state:
        queryset = queryset.filter(state=state)
    if donor:
        queryset = queryset.filter(donor__iso3=donor.upper())
    return queryset.order_by("planned_arrival", "code")


@router.get("/shipments/{code}", response={200: ShipmentOut, **READ_ERRORS}, summary="Get a shipment")
def get_shipment(request: HttpRequest, code: str) -> Shipment:
    """One shipment with its legs."""
    return get_or_404(_shipments(request), "shipment", code=code)


def _step(call: Callable[[], Any]) -> Any:
    try:
        return call()
    except services.ShipmentPermissionError as exc:
        raise HttpError(403, str(exc)) from exc
    except (services.ShipmentError, ConflictError) as exc:
        raise HttpError(409, str(exc)) from exc


STEP_SERVICES: dict[str, Callable[..., Shipment]] = {
    "dispatch": services.dispatch_shipment,
    "at-hub": services.arrive_at_hub,
    "hand-over": services.hand_over_shipment,
}


@router.post(
    "/shipments/{code}/receipt",
    response={200: ReconciliationOut, **WRITE_ERRORS},
    summary="Confirm a receipt",
)
def confirm_receipt(request: HttpRequest, code: str, payload: ReceiptIn) -> dict[str, Any]:
    """The recipient (or a coordinator) confirms what arrived; the serial reconciliation comes back."""
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
    return {
        "code": shipment.code,
        "state": ShipmentState.RECEIVED,
        "matched": result.matched,
        "missing": result.missing,
        "extra": result.extra,
        "swapped": [list(pair) for pair in result.swapped],
    }


@router.post(
    "/shipments/{code}/{step}", response={200: ShipmentOut, **WRITE_ERRORS}, summary="Take the next step"
)
def take_step(request: HttpRequest, code: str, step: str, payload: StepIn) -> Shipment:
    """`dispatch` (donor or coordinator; serials for serialised items), `at-hub`, `hand-over` (coordinator).

    A step that is not the shipment's next answers 409 with the reason.
    """
    user = current_user(request)
    if step not in STEP_SERVICES:
        raise HttpError(404, f"no step {step!r}: dispatch, at-hub or hand-over")
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
