"""Shipment pages: list, what slipped, detail with steps and label, receipts, overdue inventory."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from nsatu.core.actors import request_actor
from nsatu.core.choices import Role
from nsatu.core.releasability import releasable
from nsatu.core.services import ConflictError
from nsatu.planning.models import PlanRun
from nsatu.shipments import services
from nsatu.shipments.choices import ShipmentState
from nsatu.shipments.forms import CodeForm, DispatchForm, ReceiptForm, ShipmentFilterForm, StepForm
from nsatu.shipments.labels import label_png
from nsatu.shipments.models import SerialNumber, Shipment, late_q

PAGE_SIZE = 50
DEFAULT_OVERDUE_DAYS = 30
STEPS = {
    "dispatch": ShipmentState.DISPATCHED,
    "at-hub": ShipmentState.AT_HUB,
    "hand-over": ShipmentState.HANDED_OVER,
}


def _role(request: HttpRequest) -> str | None:
    return getattr(request.user, "role", None)


def _visible(request: HttpRequest) -> QuerySet[Shipment]:
    """The shipments the user may see."""
    queryset = Shipment.objects.select_related("donor", "recipient", "hub", "item_type", "offer")
    return releasable(queryset, request.user)


def _shipment(request: HttpRequest, code: str) -> Shipment:
    shipment = _visible(request).filter(code=code).first()
    if shipment is None:
        raise Http404
    return shipment


def _today() -> dt.date:
    return timezone.localdate()


@login_required
def shipment_list(request: HttpRequest) -> HttpResponse:
    """Shipments the user may see, filtered by state, donor, hub and lateness."""
    form = ShipmentFilterForm(request.GET or None)
    queryset = _visible(request)
    today = _today()
    if form.is_valid():
        data = form.cleaned_data
        if data["state"]:
            queryset = queryset.filter(state=data["state"])
        if data["donor"]:
            queryset = queryset.filter(donor__iso3=data["donor"].upper())
        if data["hub"]:
            queryset = queryset.filter(hub__code=data["hub"])
        if data["late"]:
            queryset = queryset.filter(late_q(today))
    page = Paginator(queryset.order_by("planned_arrival", "code"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    approved = (
        PlanRun.objects.filter(approved_at__isnull=False).order_by("-pk")[:20]
        if _role(request) == Role.COORDINATOR
        else []
    )
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "rows": [(s, s.days_late(today)) for s in page],
        "approved_runs": approved,
        "query": query.urlencode(),
    }
    return render(request, "shipments/list.html", context)


@login_required
def shipment_slipped(request: HttpRequest) -> HttpResponse:
    """Late shipments, by plan run: planned arrival against receipt (or today), days slipped."""
    today = _today()
    late = _visible(request).filter(late_q(today)).select_related("allocation__run")
    run = request.GET.get("run", "").strip()
    if run.isdigit():
        late = late.filter(allocation__run_id=int(run))
    rows = [(s, s.days_late(today)) for s in late.order_by("allocation__run_id", "planned_arrival", "code")]
    return render(request, "shipments/slipped.html", {"rows": rows, "today": today, "run": run})


@login_required
def shipment_detail(request: HttpRequest, code: str) -> HttpResponse:
    """One shipment: legs, serials, discrepancies, and the next step for who may take it."""
    shipment = _shipment(request, code)
    target = services.next_state(shipment)
    step_form: StepForm | None = None
    step = ""
    if target and target != ShipmentState.RECEIVED and services.may_take_step(request.user, shipment, target):
        step = next(name for name, state in STEPS.items() if state == target)
        form_class = DispatchForm if step == "dispatch" else StepForm
        step_form = form_class(initial={"version": shipment.version})
    may_receive = target == ShipmentState.RECEIVED and services.may_take_step(
        request.user, shipment, ShipmentState.RECEIVED
    )
    context = {
        "shipment": shipment,
        "legs": shipment.legs.all(),
        "serials": shipment.serials.select_related("received_in"),
        "discrepancies": shipment.discrepancies.select_related("other_shipment"),
        "step": step,
        "step_label": ShipmentState(target).label if target else "",
        "step_form": step_form,
        "may_receive": may_receive,
        "days_late": shipment.days_late(_today()),
    }
    return render(request, "shipments/detail.html", context)


def _refuse(request: HttpRequest, shipment: Shipment, error: Exception) -> HttpResponse:
    if isinstance(error, services.ShipmentPermissionError):
        raise PermissionDenied(str(error))
    messages.error(request, str(error))
    return redirect("shipment-detail", code=shipment.code)


@login_required
@require_POST
def shipment_step(request: HttpRequest, code: str, step: str) -> HttpResponse:
    """Take a step of the way: dispatch, arrival at the hub, hand-over."""
    shipment = _shipment(request, code)
    target = STEPS.get(step)
    if target is None:
        raise Http404
    form = (DispatchForm if step == "dispatch" else StepForm)(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        return redirect("shipment-detail", code=shipment.code)
    data = form.cleaned_data
    common: dict[str, Any] = {
        "actor": request_actor(request),
        "on": data["on"],
        "expected_version": data["version"],
    }
    try:
        if target == ShipmentState.DISPATCHED:
            services.dispatch_shipment(shipment, serials=data["serials"], **common)
        elif target == ShipmentState.AT_HUB:
            services.arrive_at_hub(shipment, **common)
        else:
            services.hand_over_shipment(shipment, **common)
    except (services.ShipmentError, ConflictError) as exc:
        return _refuse(request, shipment, exc)
    messages.success(
        request,
        _("Shipment %(code)s is now %(state)s.")
        % {"code": shipment.code, "state": ShipmentState(target).label.lower()},
    )
    return redirect("shipment-detail", code=shipment.code)


@login_required
def shipment_label(request: HttpRequest, code: str) -> HttpResponse:
    """The shipment's label: a PNG QR code of its code."""
    shipment = _shipment(request, code)
    response = HttpResponse(label_png(shipment), content_type="image/png")
    response["Content-Disposition"] = f'inline; filename="{shipment.code}.png"'
    return response


def _may_confirm(request: HttpRequest) -> None:
    if _role(request) not in (Role.RECIPIENT, Role.COORDINATOR):
        raise PermissionDenied


def _receivable(request: HttpRequest) -> QuerySet[Shipment]:
    """Shipments to the user's nation (all, for coordinators) that it may see."""
    queryset = _visible(request)
    if _role(request) == Role.RECIPIENT:
        queryset = queryset.filter(recipient_id=getattr(request.user, "nation_id", None))
    return queryset


@login_required
def receipts(request: HttpRequest) -> HttpResponse:
    """Receipts to confirm: scan or type a label's code, or pick a shipment handed over."""
    _may_confirm(request)
    form = CodeForm(request.GET or None)
    if form.is_valid():
        code = services.find_by_code(form.cleaned_data["code"])
        found = _receivable(request).filter(code=code).first()
        if found is None:
            form.add_error("code", _("No shipment %(code)s for you.") % {"code": code})
        elif found.state != ShipmentState.HANDED_OVER:
            form.add_error(
                "code",
                _("Shipment %(code)s is %(state)s: there is no receipt to confirm.")
                % {"code": found.code, "state": found.get_state_display().lower()},
            )
        else:
            return redirect("shipment-receive", code=found.code)
    visible = _receivable(request)
    context = {
        "form": form,
        "to_confirm": visible.filter(state=ShipmentState.HANDED_OVER).order_by("planned_arrival", "code"),
        "on_the_way": visible.filter(state__in=[ShipmentState.DISPATCHED, ShipmentState.AT_HUB]).order_by(
            "planned_arrival", "code"
        ),
    }
    return render(request, "shipments/receipts.html", context)


@login_required
def shipment_receive(request: HttpRequest, code: str) -> HttpResponse:
    """Confirm one receipt: units, damage, wrong items, serials; the shipment closes."""
    _may_confirm(request)
    shipment = _receivable(request).filter(code=code).first()
    if shipment is None:
        raise Http404
    if not services.may_take_step(request.user, shipment, ShipmentState.RECEIVED):
        raise PermissionDenied
    initial = {"quantity_received": shipment.quantity, "version": shipment.version}
    form = ReceiptForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            result = services.receive_shipment(
                shipment,
                actor=request_actor(request),
                on=data["on"],
                quantity_received=data["quantity_received"],
                damaged=data["damaged"] or 0,
                wrong_item=data["wrong_item"] or 0,
                serials=data["serials"],
                note=data["note"],
                expected_version=data["version"],
            )
        except services.ShipmentPermissionError:
            raise PermissionDenied from None
        except (services.ShipmentError, ConflictError) as exc:
            form.add_error(None, str(exc))
        else:
            if result.clean:
                messages.success(request, _("Receipt of %(code)s confirmed.") % {"code": shipment.code})
            else:
                messages.warning(
                    request,
                    _(
                        "Receipt of %(code)s confirmed with serial discrepancies: "
                        "%(missing)s missing, %(extra)s extra, %(swapped)s swapped."
                    )
                    % {
                        "code": shipment.code,
                        "missing": len(result.missing),
                        "extra": len(result.extra),
                        "swapped": len(result.swapped),
                    },
                )
            return redirect("shipment-detail", code=shipment.code)
    return render(request, "shipments/receive.html", {"shipment": shipment, "form": form})


def overdue_days(request: HttpRequest) -> int:
    """N of the overdue list: ``?days=``, else the setting, else 30."""
    value = request.GET.get("days", "")
    if value.isdigit():
        return int(value)
    return int(getattr(settings, "NSATU_INVENTORY_OVERDUE_DAYS", DEFAULT_OVERDUE_DAYS))


@login_required
def inventory_overdue(request: HttpRequest) -> HttpResponse:
    """Serialised items dispatched more than N days ago whose serial no receipt has confirmed."""
    days = overdue_days(request)
    today = _today()
    cutoff = today - dt.timedelta(days=days)
    serials = (
        SerialNumber.objects.filter(
            shipment__in=_visible(request), confirmed_on__isnull=True, recorded_on__lte=cutoff
        )
        .select_related("shipment__donor", "shipment__item_type", "shipment__hub")
        .order_by("recorded_on", "shipment__code", "serial")
    )
    page = Paginator(serials, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [(s, (today - s.recorded_on).days) for s in page]
    return render(
        request, "shipments/overdue.html", {"page": page, "rows": rows, "days": days, "today": today}
    )


@login_required
@require_POST
def create_for_run(request: HttpRequest) -> HttpResponse:
    """Coordinators turn an approved plan run's allocations into shipments."""
    if _role(request) != Role.COORDINATOR:
        raise PermissionDenied
    run = PlanRun.objects.filter(pk=request.POST.get("run") or 0).first()
    if run is None:
        raise Http404
    try:
        created = services.create_shipments_for_run(run, actor=request_actor(request))
    except services.ShipmentError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            ngettext(
                "%(n)s shipment planned for plan run %(run)s.",
                "%(n)s shipments planned for plan run %(run)s.",
                len(created),
            )
            % {"n": len(created), "run": run.pk},
        )
    return redirect(reverse("shipment-list"))
