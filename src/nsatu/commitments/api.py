"""Committed aid API: what approved plans commit now, suspending and withdrawing it, the political
shift, resuming a suspension, and the backfill re-plan with its before/after figures.

Commitments (approved lines) pass the same filter as a run's lines: the caller
sees a line when its offer and its requirement are both releasable to it. A
donor's representative takes back its own nation's aid; coordinators any
donor's. Every change goes through `nsatu.commitments.services`, which writes
its ledger events.
"""

import datetime as dt
from collections.abc import Callable
from typing import Any, TypeVar

from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from ninja import Router, Status
from ninja.errors import HttpError
from ninja.pagination import paginate

from nsatu.commitments import services
from nsatu.commitments.fulfilment import backfill_report
from nsatu.commitments.models import Decommitment, with_commitment_figures
from nsatu.commitments.schemas import (
    BackfillIn,
    BackfillOut,
    CommitmentOut,
    DecommitmentOut,
    DonorExitIn,
    PreviewIn,
    PreviewOut,
    TakeBackIn,
)
from nsatu.commitments.services import visible_commitments, visible_decommitments
from nsatu.core.api import (
    CREATE_ERRORS,
    LIST_ERRORS,
    READ_ERRORS,
    WRITE_ERRORS,
    Pagination,
    coordinator,
    current_user,
    get_or_404,
    require_role,
)
from nsatu.core.choices import COMMAND_ROLES
from nsatu.core.releasability import releasable
from nsatu.core.schemas import Code, Id, Iso3
from nsatu.nations.models import Nation
from nsatu.offers.models import Offer
from nsatu.planner.io import ScenarioError
from nsatu.planning.models import PlanRun
from nsatu.planning.schemas import PlanRunOut

router = Router(tags=["commitments"])
T = TypeVar("T")


def _act(call: Callable[[], T]) -> T:
    try:
        return call()
    except services.CommitmentPermissionError as exc:
        raise HttpError(403, str(exc)) from exc
    except services.CommitmentError as exc:
        raise HttpError(409, str(exc)) from exc


def _offer(request: HttpRequest, code: str) -> Offer:
    visible = releasable(Offer.objects.select_related("donor", "item_type"), current_user(request))
    return get_or_404(visible, "offer", code=code)


def _donor(request: HttpRequest, iso3: str) -> Nation:
    current_user(request)
    return get_or_404(Nation.objects.all(), "nation", iso3=iso3.upper())


@router.get("/commitments", response={200: list[CommitmentOut], **LIST_ERRORS}, summary="List commitments")
@paginate(Pagination)
def list_commitments(
    request: HttpRequest,
    donor: Iso3 | None = None,
    offer: Code | None = None,
    requirement: Code | None = None,
    capability: Code | None = None,
    run: Id | None = None,
    active: bool | None = None,
) -> QuerySet[Any]:
    """Approved lines with what they still commit, what was suspended or withdrawn, shipped and received.

    `active=true`: lines that still commit something; `false`: lines wholly taken back.
    """
    lines = visible_commitments(current_user(request))
    if donor:
        lines = lines.filter(offer__donor__iso3=donor.upper())
    if offer:
        lines = lines.filter(offer__code=offer)
    if requirement:
        lines = lines.filter(requirement__code=requirement)
    if capability:
        lines = lines.filter(requirement__capability__code=capability)
    if run is not None:
        lines = lines.filter(run_id=run)
    figures: QuerySet[Any] = with_commitment_figures(
        lines.select_related("offer__donor", "offer__item_type", "requirement__capability", "hub")
    )
    if active is not None:
        figures = figures.filter(committed__gt=1e-9) if active else figures.filter(committed__lte=1e-9)
    return figures.order_by("offer__code", "arrival_week", "pk")


@router.post(
    "/offers/{code}/commitments/preview",
    response={200: PreviewOut, **WRITE_ERRORS},
    summary="Preview taking back an offer's committed aid",
)
def preview_offer(request: HttpRequest, code: Code, payload: PreviewIn) -> dict[str, Any]:
    """What suspending or withdrawing would do (lines, shipments cancelled and flagged, requirements
    and offers moved); nothing is written. 422 names a bad quantity or effective date."""
    offer = _offer(request, code)
    user = current_user(request)
    _act(lambda: services.check_may_decommit(user, offer.donor))
    plan = services.plan_offer_decommitment(
        offer, kind=payload.kind, effective_on=payload.effective_on, quantity=payload.quantity
    )
    return PreviewOut.of(plan.visible_to(user))


def _take_back(request: HttpRequest, code: str, payload: TakeBackIn, kind: str) -> Status[Decommitment]:
    offer = _offer(request, code)
    user = current_user(request)
    decommitment = _act(
        lambda: services.decommit_offer(
            offer,
            actor=user,
            kind=kind,
            reason=payload.reason,
            effective_on=payload.effective_on,
            quantity=payload.quantity,
        )
    )
    return Status(201, decommitment)


@router.post(
    "/offers/{code}/commitments/suspend",
    response={201: DecommitmentOut, **CREATE_ERRORS, 404: READ_ERRORS[404]},
    summary="Suspend an offer's committed aid",
)
def suspend(request: HttpRequest, code: Code, payload: TakeBackIn) -> Status[Decommitment]:
    """Hold part or all of it (donor or coordinator): planned shipments are cancelled, those on
    their way flagged, the requirements move back to partial or open. Resume it later, or withdraw it."""
    return _take_back(request, code, payload, "suspend")


@router.post(
    "/offers/{code}/commitments/withdraw",
    response={201: DecommitmentOut, **CREATE_ERRORS, 404: READ_ERRORS[404]},
    summary="Withdraw an offer's committed aid",
)
def withdraw(request: HttpRequest, code: Code, payload: TakeBackIn) -> Status[Decommitment]:
    """Take part or all of it back for good (donor or coordinator); as suspend, but final."""
    return _take_back(request, code, payload, "withdraw")


@router.get(
    "/donors/{iso3}/political-shift",
    response={200: PreviewOut, **WRITE_ERRORS},
    summary="Preview a donor leaving entirely",
)
def preview_shift(request: HttpRequest, iso3: Iso3, effective_on: dt.date | None = None) -> dict[str, Any]:
    """Everything a political shift would undo for this donor, effective that day (default today);
    nothing is written."""
    donor = _donor(request, iso3)
    user = current_user(request)
    _act(lambda: services.check_may_decommit(user, donor))
    day = effective_on or timezone.localdate()
    return PreviewOut.of(services.plan_donor_exit(donor, effective_on=day).visible_to(user))


@router.post(
    "/donors/{iso3}/political-shift",
    response={201: DecommitmentOut, **CREATE_ERRORS, 404: READ_ERRORS[404]},
    summary="Record a donor leaving entirely",
)
def political_shift(request: HttpRequest, iso3: Iso3, payload: DonorExitIn) -> Status[Decommitment]:
    """Withdraw every commitment of the donor that can be and the rest of its offers (donor, coordinator)."""
    donor = _donor(request, iso3)
    user = current_user(request)
    decommitment = _act(
        lambda: services.withdraw_donor(
            donor, actor=user, reason=payload.reason, effective_on=payload.effective_on
        )
    )
    return Status(201, decommitment)


@router.get(
    "/decommitments", response={200: list[DecommitmentOut], **LIST_ERRORS}, summary="List decommitments"
)
@paginate(Pagination)
def list_decommitments(
    request: HttpRequest, donor: Iso3 | None = None, state: str | None = None
) -> QuerySet[Decommitment]:
    """Suspensions and withdrawals of committed aid, newest first."""
    queryset = visible_decommitments(current_user(request))
    if donor:
        queryset = queryset.filter(donor__iso3=donor.upper())
    if state:
        queryset = queryset.filter(state=state)
    return queryset.order_by("-pk")


@router.get(
    "/decommitments/{decommitment_id}",
    response={200: DecommitmentOut, **READ_ERRORS},
    summary="Get a decommitment",
)
def get_decommitment(request: HttpRequest, decommitment_id: Id) -> Decommitment:
    return get_or_404(visible_decommitments(current_user(request)), "decommitment", pk=decommitment_id)


def _end(request: HttpRequest, decommitment_id: int, call: Callable[..., Decommitment]) -> Decommitment:
    user = current_user(request)
    decommitment = get_or_404(visible_decommitments(user), "decommitment", pk=decommitment_id)
    return _act(lambda: call(decommitment, actor=user))


@router.post(
    "/decommitments/{decommitment_id}/resume",
    response={200: DecommitmentOut, **WRITE_ERRORS},
    summary="Resume a suspension",
)
def resume(request: HttpRequest, decommitment_id: Id) -> Decommitment:
    """Put the suspended aid back on the table for the next plan (its cancelled shipments stay cancelled)."""
    return _end(request, decommitment_id, services.resume_decommitment)


@router.post(
    "/decommitments/{decommitment_id}/withdraw",
    response={200: DecommitmentOut, **WRITE_ERRORS},
    summary="Turn a suspension into a withdrawal",
)
def end_suspension(request: HttpRequest, decommitment_id: Id) -> Decommitment:
    return _end(request, decommitment_id, services.end_suspension)


@router.post(
    "/decommitments/{decommitment_id}/backfill",
    response={202: PlanRunOut, **WRITE_ERRORS},
    summary="Start the backfill re-plan",
)
def start_backfill(request: HttpRequest, decommitment_id: Id, payload: BackfillIn) -> Status[PlanRun]:
    """Queue a plan run over what is left (every other commitment fixed) to fill the hole; approve it
    like any run. Coordinators."""
    from nsatu.planning.services import PlanningError

    user = coordinator(request, "start a backfill re-plan")
    decommitment = get_or_404(visible_decommitments(user), "decommitment", pk=decommitment_id)
    try:
        run = services.start_backfill(
            decommitment, actor=user, method=payload.method, time_limit=payload.time_limit
        )
    except PlanningError as exc:
        raise HttpError(409, str(exc)) from exc
    return Status(202, run)


@router.get(
    "/decommitments/{decommitment_id}/backfill",
    response={200: BackfillOut, **READ_ERRORS, 403: WRITE_ERRORS[403], 409: WRITE_ERRORS[409]},
    summary="Before and after: pwf per capability, requirements at risk",
)
def backfill(request: HttpRequest, decommitment_id: Id) -> dict[str, Any]:
    """pwf per capability and in total with the aid still committed, after it was taken back, and with
    the backfill run's lines (once it is done); the requirements it took aid from. Command roles:
    the figures sum over every record."""
    user = require_role(request, *COMMAND_ROLES, doing="read a backfill's figures over every record")
    decommitment = get_or_404(visible_decommitments(user), "decommitment", pk=decommitment_id)
    try:
        return BackfillOut.of(backfill_report(decommitment))
    except ScenarioError as exc:
        raise HttpError(409, str(exc)) from exc
