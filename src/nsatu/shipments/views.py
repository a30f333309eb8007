"""Shipment pages: list, what slipped, detail with steps and label, receipts, overdue inventory."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from nsatu.core.actors import request_actor
from nsatu.core.choices import Role
from nsatu.core.releasability import releasable, with_visible_codes
from nsatu.core.services import ConflictError
from nsatu.core.tables import format_quantity
from nsatu.dashboards.lists import Column, Filter, ListSpec, table_export, table_page
from nsatu.logistics.models import Hub
from nsatu.monitoring.evidence import may_attach
from nsatu.nations.models import Nation
from nsatu.planning.models import PlanRun, run_heavy_fields
from nsatu.shipments import services
from nsatu.shipments.choices import ShipmentState
from nsatu.shipments.forms import CodeForm, DispatchForm, ReceiptForm, ShipmentFilterForm, StepForm
from nsatu.shipments.labels import label_png
from nsatu.shipments.models import SerialNumber, Shipment, late_q

DEFAULT_OVERDUE_DAYS = 30
STEPS = {
    "dispatch": ShipmentState.DISPATCHED,
    "at-hub": ShipmentState.AT_HUB,
    "hand-over": ShipmentState.HANDED_OVER,
}


def _role(request: HttpRequest) -> str | None:
    return getattr(request.user, "role", None)


def visible_shipments(user: Any) -> QuerySet[Shipment]:
    """The shipments ``user`` may see, each with its offer's code only when that offer is releasable
    to the user too (``visible_offer``): the recipient sees every shipment sent to it, not every offer."""
    queryset = Shipment.objects.select_related("donor", "recipient", "hub", "item_type")
    return with_visible_codes(releasable(queryset, user), user, visible_offer="offer")


def _visible(request: HttpRequest) -> QuerySet[Shipment]:
    """The shipments the user may see."""
    return visible_shipments(request.user)


def _shipment(request: HttpRequest, code: str) -> Shipment:
    shipment = _visible(request).filter(code=code).first()
    if shipment is None:
        raise Http404
    return shipment


def _today() -> dt.date:
    return timezone.localdate()


def _nations() -> list[tuple[str, str]]:
    return [(n.iso3, n.iso3) for n in Nation.objects.order_by("iso3")]


def _hubs() -> list[tuple[str, str]]:
    return [(h.code, f"{h.code} {h.name}") for h in Hub.objects.order_by("code")]


def _days_late(shipment: Shipment) -> int:
    return shipment.days_late(_today())


# Columns several shipment tables share (one definition, one sort key each).
QUANTITY = Column(
    gettext_lazy("Quantity"),
    lambda s: s.quantity,
    ("quantity", "code"),
    "quantity",
    lambda s: format_quantity(s.quantity, s.item_type.is_whole),
)
STATE = Column(
    gettext_lazy("State"), lambda s: s.state, ("state", "code"), "state", show=lambda s: s.get_state_display()
)
PLANNED_ARRIVAL = Column(
    gettext_lazy("Planned arrival"), lambda s: s.planned_arrival, ("planned_arrival", "code"), "planned"
)


SHIPMENTS = ListSpec(
    name="shipments",
    heading=gettext_lazy("Shipments"),
    queryset=visible_shipments,
    columns=[
        Column(gettext_lazy("Code"), lambda s: s.code, ("code",), "code"),
        Column(gettext_lazy("Offer"), lambda s: s.visible_offer or "", ("visible_offer", "code"), "offer"),
        Column(gettext_lazy("Donor"), lambda s: s.donor.iso3, ("donor__iso3", "code"), "donor"),
        Column(gettext_lazy("Recipient"), lambda s: s.recipient.iso3),
        Column(gettext_lazy("Hub"), lambda s: s.hub.code, ("hub__code", "code"), "hub"),
        Column(gettext_lazy("Item"), lambda s: s.item_type.name, ("item_type__name", "code"), "item"),
        QUANTITY,
        STATE,
        PLANNED_ARRIVAL,
        Column(gettext_lazy("Dispatched"), lambda s: s.dispatched_on),
        Column(gettext_lazy("Received"), lambda s: s.received_on, ("received_on", "code"), "received"),
        Column(
            gettext_lazy("Units received"),
            lambda s: s.quantity_received,
            show=lambda s: format_quantity(s.quantity_received, s.item_type.is_whole),
        ),
        Column(gettext_lazy("Days late"), _days_late),
        Column(
            gettext_lazy("Releasability"), lambda s: s.releasability, show=lambda s: s.releasability_label
        ),
    ],
    search=("code", "visible_offer", "item_type__name"),
    default_sort="planned",
)


@login_required
def shipment_list(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    """Shipments the user may see, filtered by state, donor, hub and lateness; pages, CSV and Excel."""
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
    export = table_export(request, SHIPMENTS, queryset)
    if export is not None:
        return export
    table = table_page(request, SHIPMENTS, queryset)
    approved = (
        PlanRun.objects.filter(approved_at__isnull=False).order_by("-pk")[:20]
        if _role(request) == Role.COORDINATOR
        else []
    )
    context = {
        "form": form,
        "shipments": table,
        "rows": [(s, s.days_late(today)) for s in table.page],
        "approved_runs": approved,
    }
    return render(request, "shipments/list.html", context)


def _approved_runs() -> list[tuple[str, str]]:
    runs = PlanRun.objects.filter(approved_at__isnull=False).order_by("-pk")
    return [(str(r.pk), f"{r.pk} · {r.method_label}") for r in runs]


def _int(value: str) -> int | None:
    return int(value) if value.isdigit() else None


SLIPPED = ListSpec(
    name="slipped",
    heading=gettext_lazy("What slipped"),
    queryset=lambda user: visible_shipments(user).filter(late_q(_today())),
    columns=[
        Column(
            gettext_lazy("Plan run"),
            lambda s: s.allocation.run_id,
            ("allocation__run_id", "planned_arrival", "code"),
            "run",
        ),
        Column(gettext_lazy("Shipment"), lambda s: s.code, ("code",), "code"),
        Column(gettext_lazy("Donor"), lambda s: s.donor.iso3, ("donor__iso3", "code"), "donor"),
        Column(gettext_lazy("Item"), lambda s: s.item_type.name),
        QUANTITY,
        STATE,
        PLANNED_ARRIVAL,
        Column(gettext_lazy("Received"), lambda s: s.received_on),
        Column(gettext_lazy("Days late"), _days_late),
    ],
    filters=[
        Filter("run", gettext_lazy("Plan run"), "allocation__run_id", _approved_runs, _int),
        Filter("donor", gettext_lazy("Donor"), "donor__iso3", _nations),
        Filter("hub", gettext_lazy("Hub"), "hub__code", _hubs),
    ],
    search=("code", "visible_offer", "item_type__name"),
    default_sort="run",
)


@login_required
def shipment_slipped(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    """Late shipments, by plan run: planned arrival against receipt (or today), days slipped."""
    today = _today()
    late = (
        _visible(request)
        .filter(late_q(today))
        .select_related("allocation__run")
        .defer(*run_heavy_fields("allocation__run"))
    )
    export = table_export(request, SLIPPED, late)
    if export is not None:
        return export
    table = table_page(request, SLIPPED, late)
    rows = [(s, s.days_late(today)) for s in table.page]
    return render(request, "shipments/slipped.html", {"slipped": table, "rows": rows, "today": today})


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
        # another shipment a serial was found in is named only to those who may open it
        "serials": with_visible_codes(
            shipment.serials.all(), request.user, visible_received_in="received_in"
        ),
        "discrepancies": with_visible_codes(
            shipment.discrepancies.select_related("case"),
            request.user,
            visible_other_shipment="other_shipment",
        ),
        "step": step,
        "step_label": ShipmentState(target).label if target else "",
        "step_form": step_form,
        "may_receive": may_receive,
        "days_late": shipment.days_late(_today()),
        "evidence": shipment.evidence.all(),
        "evidence_record": "shipment",
        "evidence_key": shipment.code,
        "may_attach": may_attach(request.user, shipment),
    }
    return render(request, "shipments/detail.html", context)


def _refuse(request: HttpRequest, shipment: Shipment, error: Exception) -> HttpResponse:
    if isinstance(error, services.ShipmentPermissionError):
        raise PermissionDenied(str(error))
    if isinstance(error, ValidationError):
        messages.error(request, " ".join(error.messages))
    else:
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
    except (services.ShipmentError, ConflictError, ValidationError) as exc:
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


def _receipt_spec(name: str, heading: Any) -> ListSpec:
    return ListSpec(
        name=name,
        heading=heading,
        queryset=visible_shipments,
        columns=[
            Column(gettext_lazy("Code"), lambda s: s.code, ("code",), "code"),
            Column(gettext_lazy("Donor"), lambda s: s.donor.iso3, ("donor__iso3", "code"), "donor"),
            Column(gettext_lazy("Item"), lambda s: s.item_type.name),
            QUANTITY,
            Column(gettext_lazy("State"), lambda s: s.state, show=lambda s: s.get_state_display()),
            PLANNED_ARRIVAL,
        ],
        filters=[Filter("donor", gettext_lazy("Donor"), "donor__iso3", _nations)],
        search=("code", "visible_offer", "item_type__name"),
        default_sort="planned",
    )


TO_CONFIRM = _receipt_spec("receipts-to-confirm", gettext_lazy("Handed over, waiting for your receipt"))
ON_THE_WAY = _receipt_spec("receipts-on-the-way", gettext_lazy("On the way"))
CONFIRM, WAY = "confirm-", "way-"  # query-string prefixes of the two tables


@login_required
def receipts(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    """Receipts to confirm: scan or type a label's code, or pick a shipment handed over."""
    _may_confirm(request)
    visible = _receivable(request)
    tables = [
        (TO_CONFIRM, visible.filter(state=ShipmentState.HANDED_OVER), CONFIRM),
        (ON_THE_WAY, visible.filter(state__in=[ShipmentState.DISPATCHED, ShipmentState.AT_HUB]), WAY),
    ]
    for spec, rows, prefix in tables:
        export = table_export(request, spec, rows, prefix=prefix)
        if export is not None:
            return export
    form = CodeForm(request.GET if "code" in request.GET else None)
    if form.is_valid():
        code = services.find_by_code(form.cleaned_data["code"])
        found = visible.filter(code=code).first()
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
    to_confirm, on_the_way = (
        table_page(request, spec, rows, prefix=prefix, drop=["code"]) for spec, rows, prefix in tables
    )
    context = {"form": form, "to_confirm": to_confirm, "on_the_way": on_the_way}
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
        except ValidationError as exc:  # a field's problem: shown on the field ("on" is the form's day)
            for name, problems in exc.message_dict.items():
                form.add_error(name if name in form.fields else None, problems)
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


def _age(serial: SerialNumber) -> int:
    """Days past the shipment's planned arrival (what the plan promised, not when it left)."""
    return max(0, (_today() - serial.shipment.planned_arrival).days)


OVERDUE = ListSpec(
    name="inventory-overdue",
    heading=gettext_lazy("Inventory overdue"),
    queryset=lambda user: SerialNumber.objects.filter(shipment__in=releasable(Shipment.objects.all(), user)),
    columns=[
        Column(gettext_lazy("Serial"), lambda s: s.serial, ("serial", "shipment__code"), "serial"),
        Column(gettext_lazy("Item"), lambda s: s.shipment.item_type.name),
        Column(gettext_lazy("Shipment"), lambda s: s.shipment.code, ("shipment__code", "serial"), "shipment"),
        Column(
            gettext_lazy("Donor"),
            lambda s: s.shipment.donor.iso3,
            ("shipment__donor__iso3", "recorded_on"),
            "donor",
        ),
        Column(
            gettext_lazy("State"), lambda s: s.shipment.state, show=lambda s: s.shipment.get_state_display()
        ),
        Column(
            gettext_lazy("Dispatched"), lambda s: s.recorded_on, ("recorded_on", "shipment__code", "serial")
        ),
        Column(
            gettext_lazy("Planned arrival"),
            lambda s: s.shipment.planned_arrival,
            ("shipment__planned_arrival", "shipment__code", "serial"),
            "planned",
        ),
        Column(gettext_lazy("Days past planned arrival"), _age),
    ],
    filters=[
        Filter("donor", gettext_lazy("Donor"), "shipment__donor__iso3", _nations),
        Filter("hub", gettext_lazy("Hub"), "shipment__hub__code", _hubs),
    ],
    search=("serial", "shipment__code", "shipment__item_type__name"),
    default_sort="planned",
)


@login_required
def inventory_overdue(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    """Serialised items whose shipment was due more than N days ago (its planned arrival) and whose
    serial no receipt has confirmed. Counted from the planned arrival: a dispatch date typed wrong
    cannot make an item look years overdue."""
    days = overdue_days(request)
    today = _today()
    cutoff = today - dt.timedelta(days=days)
    serials = SerialNumber.objects.filter(
        shipment__in=_visible(request), confirmed_on__isnull=True, shipment__planned_arrival__lte=cutoff
    ).select_related("shipment__donor", "shipment__item_type", "shipment__hub")
    export = table_export(request, OVERDUE, serials)
    if export is not None:
        return export
    table = table_page(request, OVERDUE, serials)
    rows = [(s, _age(s)) for s in table.page]
    context = {"overdue": table, "page": table.page, "rows": rows, "days": days, "today": today}
    return render(request, "shipments/overdue.html", context)


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
