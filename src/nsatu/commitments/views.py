"""Committed-aid pages: the commitments as they stand, taking aid back (preview, then confirm),
the political shift, a decommitment with its backfill before/after, resume and approve."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from nsatu.commitments import services
from nsatu.commitments.forms import ShiftForm, TakeBackForm
from nsatu.commitments.fulfilment import backfill_report
from nsatu.commitments.models import Decommitment, DecommitmentState, with_commitment_figures
from nsatu.commitments.services import visible_commitments, visible_decommitments, visible_record
from nsatu.core.actors import request_actor
from nsatu.core.choices import COMMAND_ROLES, Role
from nsatu.core.models import Event
from nsatu.core.releasability import releasable
from nsatu.core.tables import format_quantity
from nsatu.dashboards.lists import Column, Filter, ListSpec, table_export, table_page
from nsatu.nations.models import Nation
from nsatu.offers.models import Offer
from nsatu.planner.io import ScenarioError
from nsatu.planning.forms import PlanRunForm
from nsatu.planning.services import PlanningError, approve_plan_run


def _whole(line: Any) -> bool:
    return bool(line.offer.item_type.is_whole)


def _amount(name: str) -> Any:
    return lambda line: format_quantity(float(getattr(line, name)), _whole(line))


def _nations() -> list[tuple[str, str]]:
    return [(n.iso3, n.iso3) for n in Nation.objects.order_by("iso3")]


COMMITMENTS = ListSpec(
    name="commitments",
    heading=gettext_lazy("Commitments"),
    queryset=lambda user: with_commitment_figures(
        visible_commitments(user).select_related(
            "offer__donor", "offer__item_type", "requirement__capability", "hub"
        )
    ),
    columns=[
        Column(gettext_lazy("Plan run"), lambda a: a.run_id, ("run_id", "offer__code", "pk"), "run"),
        Column(gettext_lazy("Offer"), lambda a: a.offer.code, ("offer__code", "arrival_week", "pk"), "offer"),
        Column(
            gettext_lazy("Donor"),
            lambda a: a.offer.donor.iso3,
            ("offer__donor__iso3", "offer__code"),
            "donor",
        ),
        Column(
            gettext_lazy("Requirement"),
            lambda a: a.requirement.code,
            ("requirement__code", "arrival_week", "pk"),
            "requirement",
        ),
        Column(gettext_lazy("Capability"), lambda a: a.requirement.capability.code),
        Column(gettext_lazy("Item"), lambda a: a.offer.item_type.name),
        Column(gettext_lazy("Approved"), lambda a: a.quantity, show=_amount("quantity")),
        Column(
            gettext_lazy("Committed"),
            lambda a: a.committed,
            ("committed", "pk"),
            "committed",
            _amount("committed"),
        ),
        Column(gettext_lazy("Suspended"), lambda a: a.suspended, show=_amount("suspended")),
        Column(gettext_lazy("Withdrawn"), lambda a: a.withdrawn, show=_amount("withdrawn")),
        Column(gettext_lazy("Shipped"), lambda a: a.shipped, show=_amount("shipped")),
        Column(gettext_lazy("Received"), lambda a: a.received, show=_amount("received")),
        Column(gettext_lazy("Arrival week"), lambda a: a.arrival_week, ("arrival_week", "pk"), "week"),
    ],
    filters=[
        Filter("donor", gettext_lazy("Donor"), "offer__donor__iso3", _nations),
        Filter("offer", gettext_lazy("Offer"), "offer__code", None),
        Filter("requirement", gettext_lazy("Requirement"), "requirement__code", None),
    ],
    search=("offer__code", "requirement__code", "requirement__title", "offer__item_type__name"),
    default_sort="offer",
)

DECOMMITMENTS = ListSpec(
    name="decommitments",
    heading=gettext_lazy("Suspended and withdrawn aid"),
    queryset=visible_decommitments,
    columns=[
        Column("#", lambda d: d.code, ("pk",), "id"),
        Column(gettext_lazy("Donor"), lambda d: d.donor.iso3, ("donor__iso3", "-pk"), "donor"),
        Column(
            gettext_lazy("Offer"),
            lambda d: d.offer.code if d.offer else "",
            show=lambda d: d.offer or _("all"),
        ),
        Column(gettext_lazy("Kind"), lambda d: d.kind, show=lambda d: d.get_kind_display()),
        Column(
            gettext_lazy("State"),
            lambda d: d.state,
            ("state", "-pk"),
            "state",
            lambda d: d.get_state_display(),
        ),
        Column(
            gettext_lazy("Quantity"),
            lambda d: d.quantity,
            show=lambda d: format_quantity(d.quantity, bool(d.offer and d.offer.item_type.is_whole)),
        ),
        Column(gettext_lazy("Effective on"), lambda d: d.effective_on, ("effective_on", "-pk"), "effective"),
        Column(gettext_lazy("Reason"), lambda d: d.reason),
        Column(gettext_lazy("By"), lambda d: d.created_by),
    ],
    filters=[Filter("donor", gettext_lazy("Donor"), "donor__iso3", _nations)],
    search=("reason", "offer__code", "created_by"),
    default_sort="-id",
)
DECOMMITMENTS_PREFIX = "d-"


def _role(request: HttpRequest) -> str | None:
    return getattr(request.user, "role", None)


def _may_take_back(request: HttpRequest) -> None:
    if _role(request) not in (Role.DONOR, Role.COORDINATOR):
        raise PermissionDenied


@login_required
def commitment_index(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    """Commitments as they stand (approved, committed now, suspended, withdrawn, shipped, received)
    and the suspensions and withdrawals so far; both tables export."""
    for spec, prefix in ((COMMITMENTS, ""), (DECOMMITMENTS, DECOMMITMENTS_PREFIX)):
        export = table_export(request, spec, prefix=prefix)
        if export is not None:
            return export
    context = {
        "commitments": table_page(request, COMMITMENTS),
        "decommitments": table_page(request, DECOMMITMENTS, prefix=DECOMMITMENTS_PREFIX),
        "may_take_back": _role(request) in (Role.DONOR, Role.COORDINATOR),
    }
    return render(request, "commitments/index.html", context)


def _form_values(form: Any) -> dict[str, Any]:
    return {name: form.data.get(name, "") for name in form.fields}


def _show_errors(form: Any, exc: ValidationError) -> None:
    for name, problems in exc.message_dict.items():
        form.add_error(name if name in form.fields else None, problems)


@login_required
def take_back(request: HttpRequest, code: str) -> HttpResponse:
    """Suspend or withdraw an offer's committed aid: the form, its preview, then the confirmation."""
    _may_take_back(request)
    offer = (
        releasable(Offer.objects.select_related("donor", "item_type"), request.user).filter(code=code).first()
    )
    if offer is None:
        raise Http404
    if not services.may_decommit(request.user, offer.donor):
        raise PermissionDenied
    form = TakeBackForm(request.POST or None)
    context: dict[str, Any] = {"offer": offer, "form": form}
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        arguments = {
            "kind": data["kind"],
            "effective_on": data["effective_on"],
            "quantity": data["quantity"] or None,
        }
        try:
            if "confirm" in request.POST:
                decommitment = services.decommit_offer(
                    offer, actor=request_actor(request), reason=data["reason"], **arguments
                )
                messages.success(request, _done_message(decommitment))
                return redirect("decommitment", decommitment_id=decommitment.pk)
            context["plan"] = services.plan_offer_decommitment(offer, **arguments).visible_to(request.user)
            context["values"] = _form_values(form)
        except ValidationError as exc:
            _show_errors(form, exc)
        except services.CommitmentError as exc:
            form.add_error(None, str(exc))
    return render(request, "commitments/take_back.html", context)


def _done_message(decommitment: Decommitment) -> str:
    whole = bool(decommitment.offer and decommitment.offer.item_type.is_whole)
    return _("%(code)s: %(kind)s %(quantity)s of %(donor)s's committed aid, effective %(day)s.") % {
        "code": decommitment.code,
        "kind": decommitment.get_kind_display().lower(),
        "quantity": format_quantity(decommitment.quantity, whole),
        "donor": decommitment.donor.iso3,
        "day": decommitment.effective_on.isoformat(),
    }


@login_required
def political_shift(request: HttpRequest) -> HttpResponse:
    """A donor leaves entirely: what it would undo first, then the confirmation."""
    _may_take_back(request)
    own = getattr(request.user, "nation", None) if _role(request) == Role.DONOR else None
    form = ShiftForm(request.POST or None, donor=own, initial={"donor": request.GET.get("donor", "")})
    context: dict[str, Any] = {"form": form}
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if "confirm" in request.POST:
                decommitment = services.withdraw_donor(
                    data["donor"],
                    actor=request_actor(request),
                    reason=data["reason"],
                    effective_on=data["effective_on"],
                )
                messages.success(request, _done_message(decommitment))
                return redirect("decommitment", decommitment_id=decommitment.pk)
            context["plan"] = services.plan_donor_exit(
                data["donor"], effective_on=data["effective_on"]
            ).visible_to(request.user)
            context["values"] = _form_values(form)
        except ValidationError as exc:
            _show_errors(form, exc)
        except services.CommitmentError as exc:
            form.add_error(None, str(exc))
    return render(request, "commitments/shift.html", context)


def _decommitment(request: HttpRequest, decommitment_id: int) -> Decommitment:
    found = visible_decommitments(request.user).filter(pk=decommitment_id).first()
    if found is None:
        raise Http404
    return found


@login_required
def decommitment_detail(request: HttpRequest, decommitment_id: int) -> HttpResponse:
    """What a decommitment took back and did, its actions, and its backfill's before and after."""
    decommitment = _decommitment(request, decommitment_id)
    event = (
        Event.objects.filter(object_type="commitments.decommitment", object_id=str(decommitment.pk))
        .order_by("seq")
        .first()
    )
    role = _role(request)
    context: dict[str, Any] = {
        "decommitment": decommitment,
        "done": visible_record(event.payload, request.user) if event is not None else {},
        "whole": bool(decommitment.offer and decommitment.offer.item_type.is_whole),
        "may_end": decommitment.state == DecommitmentState.SUSPENDED
        and services.may_decommit(request.user, decommitment.donor),
        "may_plan": role == Role.COORDINATOR,
        "backfill_form": PlanRunForm(),
    }
    if role in COMMAND_ROLES:  # the figures sum over every record
        try:
            context["report"] = backfill_report(decommitment)
        except ScenarioError as exc:
            context["report_error"] = str(exc)
    return render(request, "commitments/detail.html", context)


@login_required
@require_POST
def decommitment_end(request: HttpRequest, decommitment_id: int, how: str) -> HttpResponse:
    """Resume a suspension, or turn it into a withdrawal."""
    decommitment = _decommitment(request, decommitment_id)
    call = {"resume": services.resume_decommitment, "withdraw": services.end_suspension}.get(how)
    if call is None:
        raise Http404
    try:
        call(decommitment, actor=request_actor(request))
    except services.CommitmentPermissionError as exc:
        raise PermissionDenied(str(exc)) from exc
    except services.CommitmentError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            _("%(code)s resumed: the aid is back on the table for the next plan.")
            % {"code": decommitment.code}
            if how == "resume"
            else _("%(code)s is now withdrawn for good.") % {"code": decommitment.code},
        )
    return redirect("decommitment", decommitment_id=decommitment.pk)


@login_required
@require_POST
def backfill_start(request: HttpRequest, decommitment_id: int) -> HttpResponse:
    """Coordinators queue the re-plan that fills the hole."""
    if _role(request) != Role.COORDINATOR:
        raise PermissionDenied
    decommitment = _decommitment(request, decommitment_id)
    form = PlanRunForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        return redirect("decommitment", decommitment_id=decommitment.pk)
    try:
        run = services.start_backfill(
            decommitment,
            actor=request_actor(request),
            method=form.cleaned_data["method"],
            time_limit=form.cleaned_data["time_limit"],
        )
    except PlanningError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            _("Backfill plan run %(run)s queued: it plans what is left around every other commitment.")
            % {"run": run.pk},
        )
    return redirect("decommitment", decommitment_id=decommitment.pk)


@login_required
@require_POST
def backfill_approve(request: HttpRequest, decommitment_id: int) -> HttpResponse:
    """Approve the backfill run: its lines become commitments."""
    if _role(request) != Role.COORDINATOR:
        raise PermissionDenied
    decommitment = _decommitment(request, decommitment_id)
    run = decommitment.backfill_run
    if run is None:
        raise Http404
    try:
        approve_plan_run(run, actor=request_actor(request))
    except PlanningError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            _("Backfill plan run %(run)s approved: its allocations are now commitments.") % {"run": run.pk},
        )
    return redirect("decommitment", decommitment_id=decommitment.pk)
