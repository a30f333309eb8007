"""End-use monitoring API: items after receipt, inventories, reports, transfers, repairs, cases, evidence.

The same rules as the pages: items pass the releasability filter (they carry
their shipment's marking) and everything else is seen through its item or
shipment; what you may not see answers 404. Every change goes through
`nsatu.monitoring.services` (or `nsatu.monitoring.evidence`), which writes its
ledger event.
"""

from collections.abc import Callable
from typing import Any, Literal

from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from ninja import File, Form, Router
from ninja.errors import HttpError
from ninja.files import UploadedFile
from ninja.pagination import paginate

from nsatu.accounts.models import User
from nsatu.core.api import LIST_ERRORS, READ_ERRORS, WRITE_ERRORS, Pagination, current_user, get_or_404
from nsatu.core.schemas import Code, ErrorOut, Id, Iso3, Search
from nsatu.core.services import ConflictError
from nsatu.logistics.models import Hub
from nsatu.monitoring import evidence as evidence_files
from nsatu.monitoring import services
from nsatu.monitoring.choices import IN_CUSTODY
from nsatu.monitoring.models import (
    DiscrepancyCase,
    Evidence,
    Inventory,
    MonitoredItem,
    RepairOrder,
    TransferRequest,
    overdue_q,
)
from nsatu.monitoring.overdue import overdue_summary
from nsatu.monitoring.schemas import (
    CaseOut,
    CasePatch,
    CaseResolutionIn,
    CustodyIn,
    DecisionIn,
    EvidenceIn,
    EvidenceOut,
    IncidentIn,
    IncidentOut,
    InventoriesOut,
    InventoryIn,
    InventoryOut,
    MonitoredItemOut,
    OverdueSummaryOut,
    RepairIn,
    RepairOut,
    RepairStepIn,
    TransferIn,
    TransferOut,
)
from nsatu.monitoring.visibility import (
    visible_cases,
    visible_inventories,
    visible_items,
    visible_repairs,
    visible_transfers,
)

router = Router(tags=["monitoring"])

ItemStateName = Literal[
    "in_service", "damaged", "unserviceable", "in_repair", "lost", "destroyed", "written_off", "transferred"
]
RepairStep = Literal["sent", "at_facility", "repaired", "returning", "returned", "beyond_repair"]
RecordName = Literal["shipment", "inventory", "case", "repair", "incident"]
EvidenceKindName = Literal[
    "waybill", "photo", "inventory_sheet", "discrepancy_report", "repair_document", "other"
]
UPLOAD_ERRORS: dict[int, Any] = {**WRITE_ERRORS, 413: ErrorOut, 415: ErrorOut}


def _call(call: Callable[[], Any]) -> Any:
    try:
        return call()
    except services.MonitoringPermissionError as exc:
        raise HttpError(403, str(exc)) from exc
    except (services.MonitoringError, ConflictError) as exc:
        raise HttpError(409, str(exc)) from exc


def _items(request: HttpRequest) -> QuerySet[MonitoredItem]:
    return (
        visible_items(current_user(request))
        .select_related("item_type__family", "donor", "recipient", "shipment", "received_in")
        .prefetch_related("releasable_to")
    )


def _item(request: HttpRequest, item_id: int) -> MonitoredItem:
    return get_or_404(_items(request), "monitored item", pk=item_id)


@router.get(
    "/monitored-items", response={200: list[MonitoredItemOut], **LIST_ERRORS}, summary="List monitored items"
)
@paginate(Pagination)
def list_items(
    request: HttpRequest,
    donor: Iso3 | None = None,
    family: Code | None = None,
    unit: Search | None = None,
    state: ItemStateName | None = None,
    overdue: bool | None = None,
    q: Search | None = None,
) -> QuerySet[MonitoredItem]:
    """Serialised items received, releasable to you; `overdue=true`: held, past the inventory's due day."""
    queryset = _items(request)
    if donor:
        queryset = queryset.filter(donor__iso3=donor.upper())
    if family:
        queryset = queryset.filter(item_type__family__code=family)
    if unit:
        queryset = queryset.filter(unit=unit)
    if state:
        queryset = queryset.filter(state=state)
    if overdue is not None:
        lateness = overdue_q(timezone.localdate())
        queryset = queryset.filter(lateness) if overdue else queryset.exclude(lateness)
    if q:
        queryset = queryset.filter(
            Q(serial__icontains=q) | Q(unit__icontains=q) | Q(received_in__code__icontains=q)
        )
    return queryset.order_by("received_on", "serial", "pk")


@router.get(
    "/monitored-items/{item_id}",
    response={200: MonitoredItemOut, **READ_ERRORS},
    summary="Get a monitored item",
)
def get_item(request: HttpRequest, item_id: Id) -> MonitoredItem:
    """One item; 404 when it does not exist or is not releasable to you."""
    return _item(request, item_id)


@router.post(
    "/monitored-items/{item_id}/custody",
    response={200: MonitoredItemOut, **WRITE_ERRORS},
    summary="Record an item's custody",
)
def set_custody(request: HttpRequest, item_id: Id, payload: CustodyIn) -> MonitoredItem:
    """The unit holding the item and the class of place (the recipient or a coordinator)."""
    item = _item(request, item_id)
    _call(
        lambda: services.set_custody(
            item,
            actor=current_user(request),
            unit=payload.unit,
            location_class=payload.location_class,
            expected_version=payload.version,
        )
    )
    return _item(request, item_id)


@router.post(
    "/monitored-items/{item_id}/incidents",
    response={200: IncidentOut, **WRITE_ERRORS},
    summary="Report a loss, destruction or damage",
)
def report_incident(request: HttpRequest, item_id: Id, payload: IncidentIn) -> Any:
    """Lost and destroyed are final; damaged and unserviceable items may go to repair. Give a reason."""
    item = _item(request, item_id)
    return _call(
        lambda: services.report_incident(
            item,
            actor=current_user(request),
            kind=payload.kind,
            reason=payload.reason,
            details=payload.details,
            on=payload.on,
        )
    )


@router.post(
    "/monitored-items/{item_id}/transfer-requests",
    response={200: TransferOut, **WRITE_ERRORS},
    summary="Request a third-party transfer",
)
def request_transfer(request: HttpRequest, item_id: Id, payload: TransferIn) -> Any:
    """The recipient asks the donor's consent to hand the item on; the donor is notified."""
    item = _item(request, item_id)
    return _call(
        lambda: services.request_transfer(
            item,
            actor=current_user(request),
            third_party=payload.third_party,
            reason=payload.reason,
            on=payload.on,
        )
    )


@router.get(
    "/monitoring-summary",
    response={200: OverdueSummaryOut, **LIST_ERRORS},
    summary="Share of inventories overdue",
)
def summary(request: HttpRequest) -> dict[str, Any]:
    """Required and overdue serial inventories of the items you may see, by donor, family and unit."""
    result = overdue_summary(current_user(request))

    def groups(items: list[Any]) -> list[dict[str, Any]]:
        return [
            {
                "key": g.key or "",
                "label": g.label or "",
                "required": g.required,
                "overdue": g.overdue,
                "share": g.share,
            }
            for g in items
        ]

    return {
        "today": result.today,
        "required": result.required,
        "overdue": result.overdue,
        "share": result.share,
        "value_share": result.value_share,
        "unvalued": result.unvalued,
        "audit_share": result.audit_share,
        "by_donor": groups(result.by_donor),
        "by_family": groups(result.by_family),
        "by_unit": groups(result.by_unit),
    }


# --- inventories ---------------------------------------------------------------------------------


def _inventories(request: HttpRequest) -> QuerySet[Inventory]:
    return visible_inventories(current_user(request)).select_related("donor", "recipient")


@router.get("/inventories", response={200: list[InventoryOut], **LIST_ERRORS}, summary="List inventories")
@paginate(Pagination)
def list_inventories(request: HttpRequest, donor: Iso3 | None = None) -> QuerySet[Inventory]:
    """Serial inventories of items you may see, newest first."""
    queryset = _inventories(request)
    if donor:
        queryset = queryset.filter(donor__iso3=donor.upper())
    return queryset.order_by("-conducted_on", "code")


@router.get("/inventories/{code}", response={200: InventoryOut, **READ_ERRORS}, summary="Get an inventory")
def get_inventory(request: HttpRequest, code: Code) -> Inventory:
    return get_or_404(_inventories(request), "inventory", code=code)


@router.post("/inventories", response={200: InventoriesOut, **WRITE_ERRORS}, summary="Record an inventory")
def record_inventory(request: HttpRequest, payload: InventoryIn) -> dict[str, Any]:
    """The serials sighted (the recipient or a coordinator); one inventory per donor of the items."""
    user = current_user(request)
    held = visible_items(user).filter(state__in=IN_CUSTODY)
    created = _call(
        lambda: services.record_inventory(
            services.find_items(payload.serials, held),
            actor=user,
            on=payload.on,
            unit=payload.unit,
            note=payload.note,
        )
    )
    return {"created": list(_inventories(request).filter(pk__in=[i.pk for i in created]).order_by("code"))}


# --- transfers -----------------------------------------------------------------------------------


def _transfers(request: HttpRequest) -> QuerySet[TransferRequest]:
    return visible_transfers(current_user(request)).select_related("item__donor")


@router.get(
    "/transfer-requests", response={200: list[TransferOut], **LIST_ERRORS}, summary="List transfer requests"
)
@paginate(Pagination)
def list_transfers(
    request: HttpRequest, state: Literal["pending", "approved", "refused"] | None = None
) -> QuerySet[TransferRequest]:
    """Third-party transfer requests of items you may see; `state=pending`: awaiting the donor."""
    queryset = _transfers(request)
    if state:
        queryset = queryset.filter(state=state)
    return queryset.order_by("-requested_on", "-pk")


@router.get(
    "/transfer-requests/{transfer_id}",
    response={200: TransferOut, **READ_ERRORS},
    summary="Get a transfer request",
)
def get_transfer(request: HttpRequest, transfer_id: Id) -> TransferRequest:
    return get_or_404(_transfers(request), "transfer request", pk=transfer_id)


@router.post(
    "/transfer-requests/{transfer_id}/decision",
    response={200: TransferOut, **WRITE_ERRORS},
    summary="Decide a transfer request",
)
def decide_transfer(request: HttpRequest, transfer_id: Id, payload: DecisionIn) -> Any:
    """The donor's representative approves (the item leaves the recipient's custody) or refuses; else 403."""
    transfer = get_or_404(_transfers(request), "transfer request", pk=transfer_id)
    return _call(
        lambda: services.decide_transfer(
            transfer,
            actor=current_user(request),
            approve=payload.approve,
            note=payload.note,
            on=payload.on,
            expected_version=payload.version,
        )
    )


# --- repairs -------------------------------------------------------------------------------------


def _repairs(request: HttpRequest) -> QuerySet[RepairOrder]:
    return visible_repairs(current_user(request)).select_related("item", "hub").prefetch_related("legs")


@router.get("/repair-orders", response={200: list[RepairOut], **LIST_ERRORS}, summary="List repair orders")
@paginate(Pagination)
def list_repairs(request: HttpRequest, open: bool | None = None) -> QuerySet[RepairOrder]:
    """Repair orders of items you may see; `open=true`: not yet returned or written off."""
    queryset = _repairs(request)
    closed = Q(state__in=["returned", "beyond_repair"])
    if open is not None:
        queryset = queryset.exclude(closed) if open else queryset.filter(closed)
    return queryset.order_by("-opened_on", "code")


@router.get("/repair-orders/{code}", response={200: RepairOut, **READ_ERRORS}, summary="Get a repair order")
def get_repair(request: HttpRequest, code: Code) -> RepairOrder:
    return get_or_404(_repairs(request), "repair order", code=code)


@router.post("/repair-orders", response={200: RepairOut, **WRITE_ERRORS}, summary="Open a repair order")
def open_repair(request: HttpRequest, payload: RepairIn) -> RepairOrder:
    """Send a damaged or unserviceable item to the donor's facility or a hub workshop, with planned legs."""
    item = _item(request, payload.item)
    hub = Hub.objects.filter(code=payload.hub).first() if payload.hub else None
    if payload.hub and hub is None:
        raise HttpError(409, f"no hub {payload.hub!r}")
    order = _call(
        lambda: services.open_repair(
            item,
            actor=current_user(request),
            facility_kind=payload.facility_kind,
            facility=payload.facility,
            hub=hub,
            planned_departure=payload.planned_departure,
            planned_arrival=payload.planned_arrival,
            planned_return_departure=payload.planned_return_departure,
            planned_return=payload.planned_return,
            note=payload.note,
        )
    )
    return get_or_404(_repairs(request), "repair order", pk=order.pk)


@router.post(
    "/repair-orders/{code}/{step}",
    response={200: RepairOut, **WRITE_ERRORS},
    summary="Take a repair order's next step",
)
def repair_step(request: HttpRequest, code: Code, step: RepairStep, payload: RepairStepIn) -> RepairOrder:
    """sent, at_facility, repaired, returning, returned (or beyond_repair at the facility); else 409."""
    order = get_or_404(_repairs(request), "repair order", code=code)
    _call(
        lambda: services.advance_repair(
            order,
            step,
            actor=current_user(request),
            on=payload.on,
            note=payload.note,
            expected_version=payload.version,
        )
    )
    return get_or_404(_repairs(request), "repair order", code=code)


# --- cases ---------------------------------------------------------------------------------------


def _cases(request: HttpRequest) -> QuerySet[DiscrepancyCase]:
    return visible_cases(current_user(request)).select_related("shipment", "discrepancy", "owner")


@router.get("/cases", response={200: list[CaseOut], **LIST_ERRORS}, summary="List discrepancy cases")
@paginate(Pagination)
def list_cases(
    request: HttpRequest,
    state: Literal["open", "investigating", "resolved"] | None = None,
    shipment: Code | None = None,
) -> QuerySet[DiscrepancyCase]:
    """Cases of the discrepancies found at receipt, for shipments you may see."""
    queryset = _cases(request)
    if state:
        queryset = queryset.filter(state=state)
    if shipment:
        queryset = queryset.filter(shipment__code=shipment)
    return queryset.order_by("-opened_on", "code")


@router.get("/cases/{code}", response={200: CaseOut, **READ_ERRORS}, summary="Get a discrepancy case")
def get_case(request: HttpRequest, code: Code) -> DiscrepancyCase:
    return get_or_404(_cases(request), "case", code=code)


@router.patch("/cases/{code}", response={200: CaseOut, **WRITE_ERRORS}, summary="Give a case its owner")
def update_case(request: HttpRequest, code: Code, payload: CasePatch) -> DiscrepancyCase:
    """`owner` (a username: a coordinator, or a donor's or recipient's representative), `investigating`."""
    case = get_or_404(_cases(request), "case", code=code)
    owner = None
    if payload.owner is not None:
        owner = User.objects.filter(username=payload.owner).first()
        if owner is None:
            raise HttpError(409, f"no user {payload.owner!r}")
    _call(
        lambda: services.update_case(
            case,
            actor=current_user(request),
            owner=owner,
            investigating=payload.investigating,
            expected_version=payload.version,
        )
    )
    return get_or_404(_cases(request), "case", code=code)


@router.post("/cases/{code}/resolution", response={200: CaseOut, **WRITE_ERRORS}, summary="Resolve a case")
def resolve_case(request: HttpRequest, code: Code, payload: CaseResolutionIn) -> DiscrepancyCase:
    """replaced, written_off or found (a missing serial found goes under monitoring)."""
    case = get_or_404(_cases(request), "case", code=code)
    _call(
        lambda: services.resolve_case(
            case,
            actor=current_user(request),
            resolution=payload.resolution,
            note=payload.note,
            on=payload.on,
            expected_version=payload.version,
        )
    )
    return get_or_404(_cases(request), "case", code=code)


# --- evidence ------------------------------------------------------------------------------------


def _evidence(request: HttpRequest) -> QuerySet[Evidence]:
    return evidence_files.visible_evidence(current_user(request)).select_related(
        "shipment", "inventory", "case", "repair", "incident"
    )


# One URL name for both operations on /evidence: the upload limits find the path by it.
@router.get(
    "/evidence",
    response={200: list[EvidenceOut], **LIST_ERRORS},
    summary="List evidence",
    url_name="api-evidence",
)
@paginate(Pagination)
def list_evidence(
    request: HttpRequest, record: RecordName | None = None, key: Code | None = None
) -> QuerySet[Evidence]:
    """Files kept beside records you may see; `record` and `key` name one record."""
    queryset = _evidence(request)
    if record and key:
        found = evidence_files.visible_record(current_user(request), record, key)
        queryset = queryset.filter(**{str(record): found}) if found is not None else queryset.none()
    elif record:
        queryset = queryset.filter(**{f"{record}__isnull": False})
    return queryset.order_by("-uploaded_at", "-pk")


@router.get("/evidence/{evidence_id}", response={200: EvidenceOut, **READ_ERRORS}, summary="Get evidence")
def get_evidence(request: HttpRequest, evidence_id: Id) -> Evidence:
    return get_or_404(_evidence(request), "evidence", pk=evidence_id)


@router.get(
    "/evidence/{evidence_id}/content",
    response={200: None, 409: ErrorOut, **READ_ERRORS},
    summary="Download evidence",
    openapi_extra={
        "responses": {
            200: {
                "description": "the file, as its recorded content type",
                "content": {
                    t: {"schema": {"type": "string", "format": "binary"}}
                    for t in sorted(set(evidence_files.CONTENT_TYPES.values()))
                },
            }
        }
    },
)
def evidence_content(request: HttpRequest, evidence_id: Id) -> Any:
    """The file itself, once its content is checked against its recorded SHA-256 (409 when it was altered)."""
    evidence = get_or_404(_evidence(request), "evidence", pk=evidence_id)
    try:
        return evidence_files.evidence_response(evidence)
    except evidence_files.EvidenceAltered as exc:
        raise HttpError(409, str(exc)) from exc


@router.post(
    "/evidence",
    response={200: EvidenceOut, **UPLOAD_ERRORS},
    summary="Attach evidence",
    url_name="api-evidence",
)
def attach_evidence(request: HttpRequest, payload: Form[EvidenceIn], file: File[UploadedFile]) -> Evidence:
    """Keep a PDF, PNG, JPEG or XLSX file (10 MB at most) beside a record you may see.

    413: too large; 415: not one of those types, or its content does not match its name.
    """
    user = current_user(request)
    record, key = payload.record, payload.key
    target = evidence_files.visible_record(user, record, key)
    if target is None:
        raise HttpError(404, f"no {record} {key!r}")
    if not evidence_files.may_attach(user, target):
        raise HttpError(
            403,
            f"only a coordinator or the donor's or recipient's representatives keep files beside {target}",
        )
    try:
        evidence = evidence_files.attach_evidence(
            target, file, filename=file.name or "evidence", kind=payload.kind, actor=user, note=payload.note
        )
    except evidence_files.EvidenceTooLarge as exc:
        raise HttpError(413, str(exc)) from exc
    except evidence_files.EvidenceError as exc:
        raise HttpError(415, str(exc)) from exc
    return get_or_404(_evidence(request), "evidence", pk=evidence.pk)
