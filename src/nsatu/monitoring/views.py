"""End-use monitoring pages: the overview with the overdue share, items, inventories, transfers,
repairs, discrepancy cases and the evidence beside them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from nsatu.accounts.models import User
from nsatu.catalog.models import Family
from nsatu.core.actors import request_actor
from nsatu.core.choices import Role
from nsatu.core.services import ConflictError
from nsatu.dashboards.lists import Column, Filter, ListSpec, table_export, table_page
from nsatu.monitoring import evidence as evidence_files
from nsatu.monitoring import services
from nsatu.monitoring.choices import (
    IN_CUSTODY,
    CaseState,
    IncidentKind,
    IncidentReason,
    ItemState,
    RepairState,
    TransferState,
)
from nsatu.monitoring.forms import (
    CaseOwnerForm,
    CaseResolutionForm,
    CustodyForm,
    DecisionForm,
    EvidenceForm,
    IncidentForm,
    InventoryForm,
    RepairForm,
    RepairStepForm,
    TransferForm,
)
from nsatu.monitoring.models import (
    DiscrepancyCase,
    MonitoredItem,
    RepairOrder,
    overdue_q,
)
from nsatu.monitoring.overdue import overdue_summary
from nsatu.monitoring.visibility import (
    case_names_its_serial,
    visible_cases,
    visible_inventories,
    visible_items,
    visible_repairs,
    visible_transfers,
)
from nsatu.nations.models import Nation

ERRORS = (services.MonitoringError, ConflictError, evidence_files.EvidenceError)


def _rows(table: Any) -> list[tuple[Any, list[Any]]]:
    """A table page's records beside their cells, so the first cell links to its record."""
    return list(zip(table.page, table.rows, strict=True))


def _list_page(
    request: HttpRequest, spec: ListSpec, queryset: QuerySet[Any], template: str, **extra: Any
) -> HttpResponse | StreamingHttpResponse:
    """A list page of ``spec`` over ``queryset`` (narrowed to what the user may see), or its export."""
    export = table_export(request, spec, queryset)
    if export is not None:
        return export
    table = table_page(request, spec, queryset)
    return render(request, template, {"table": table, "rows": _rows(table), **extra})


def _today() -> Any:
    return timezone.localdate()


def _nations() -> list[tuple[str, str]]:
    return [(n.iso3, n.iso3) for n in Nation.objects.order_by("iso3")]


def _families() -> list[tuple[str, str]]:
    return [(f.code, f.name) for f in Family.objects.order_by("code")]


def _states() -> list[tuple[str, str]]:
    return [(value, str(label)) for value, label in ItemState.choices]


def _yes_no() -> list[tuple[str, str]]:
    return [("yes", str(_("yes"))), ("no", str(_("no")))]


def _overdue_filter(value: str) -> Any:
    return {"yes": True, "no": False}.get(value)


def _due_days(item: MonitoredItem) -> Any:
    return item.overdue_days(_today()) if item.in_custody else ""


ITEM_COLUMNS = [
    Column(gettext_lazy("Serial"), lambda i: i.serial, ("serial",), "serial"),
    Column(gettext_lazy("Item"), lambda i: i.item_type.name, ("item_type__name", "serial"), "item"),
    Column(
        gettext_lazy("Family"),
        lambda i: i.item_type.family.code,
        ("item_type__family__code", "serial"),
        "family",
    ),
    Column(gettext_lazy("Donor"), lambda i: i.donor.iso3, ("donor__iso3", "serial"), "donor"),
    Column(gettext_lazy("Unit"), lambda i: i.unit, ("unit", "serial"), "unit"),
    Column(
        gettext_lazy("Location class"),
        lambda i: i.location_class,
        show=lambda i: i.get_location_class_display(),
    ),
    Column(
        gettext_lazy("State"),
        lambda i: i.state,
        ("state", "serial"),
        "state",
        show=lambda i: i.get_state_display(),
    ),
    Column(gettext_lazy("Received"), lambda i: i.received_on, ("received_on", "serial"), "received"),
    Column(gettext_lazy("Shipment"), lambda i: i.visible_received_in or ""),
    Column(gettext_lazy("Initial inventory"), lambda i: i.initial_inventory_on),
    Column(gettext_lazy("Last inventory"), lambda i: i.last_inventory_on),
    Column(
        gettext_lazy("Inventory due"),
        lambda i: i.inventory_due if i.in_custody else None,
        ("inventory_due", "serial"),
        "due",
    ),
    Column(gettext_lazy("Days overdue"), _due_days),
]
ITEM_FILTERS = [
    Filter("donor", gettext_lazy("Donor"), "donor__iso3", _nations),
    Filter("family", gettext_lazy("Family"), "item_type__family__code", _families),
    Filter("unit", gettext_lazy("Unit"), "unit", None),
    Filter("state", gettext_lazy("State"), "state", _states),
]


def _items(user: Any) -> QuerySet[MonitoredItem]:
    return visible_items(user).select_related("item_type__family", "donor", "received_in")


ITEMS = ListSpec(
    name="monitored-items",
    heading=gettext_lazy("Monitored items"),
    queryset=_items,
    columns=ITEM_COLUMNS,
    filters=ITEM_FILTERS,
    search=("serial", "unit", "item_type__name", "received_in__code"),
    default_sort="received",
)
OVERDUE = ListSpec(
    name="inventories-overdue",
    heading=gettext_lazy("Inventories overdue"),
    queryset=lambda user: _items(user).filter(overdue_q(_today())),
    columns=ITEM_COLUMNS,
    filters=ITEM_FILTERS[:3],
    search=("serial", "unit", "item_type__name"),
    default_sort="due",
)


@login_required
def overview(request: HttpRequest) -> HttpResponse:
    """The share of required inventories overdue beside the audit's 59 %, by donor, family and unit."""
    summary = overdue_summary(request.user, today=_today())
    context = {
        "summary": summary,
        "states": [(ItemState(s).label, n) for s, n in sorted(summary.states.items())],
        "pending_transfers": visible_transfers(request.user).filter(state=TransferState.PENDING).count(),
        "open_repairs": visible_repairs(request.user)
        .exclude(state__in=[RepairState.RETURNED, RepairState.BEYOND_REPAIR])
        .count(),
        "open_cases": visible_cases(request.user).exclude(state=CaseState.RESOLVED).count(),
        "may_inventory": getattr(request.user, "role", None) in (Role.RECIPIENT, Role.COORDINATOR),
    }
    return render(request, "monitoring/overview.html", context)


@login_required
def item_list(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    """Every monitored item the user may see: filters, search, pages, CSV and Excel."""
    queryset = _items(request.user)
    overdue = _overdue_filter(request.GET.get("overdue", ""))
    if overdue is not None:
        queryset = queryset.filter(overdue_q(_today())) if overdue else queryset.exclude(overdue_q(_today()))
    return _list_page(request, ITEMS, queryset, "monitoring/items.html")


@login_required
def overdue_list(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    """Items whose required inventory is past due, by donor, family and unit; exports for the donors."""
    queryset = _items(request.user).filter(overdue_q(_today()))
    return _list_page(request, OVERDUE, queryset, "monitoring/overdue.html", today=_today())


def _item(request: HttpRequest, pk: int) -> MonitoredItem:
    item = _items(request.user).filter(pk=pk).first()
    if item is None:
        raise Http404
    return item


@login_required
def item_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One item: custody, state and its history, inventories, reports, transfers, repairs; the forms."""
    item = _item(request, pk)
    user: Any = request.user
    for_recipient = services.acts_for_recipient(user, item)
    held = item.state in IN_CUSTODY
    context = {
        "item": item,
        "today": _today(),
        "changes": [
            (c, IncidentReason(c.reason).label if c.reason in IncidentReason.values else c.reason)
            for c in item.changes.all()
        ],
        "lines": item.inventory_lines.select_related("inventory"),
        "incidents": item.incidents.all(),
        "transfers": item.transfer_requests.all(),
        "repairs": item.repairs.all(),
        "custody_form": CustodyForm(
            initial={"unit": item.unit, "location_class": item.location_class, "version": item.version},
            prefix="custody",
        )
        if for_recipient and held
        else None,
        "incident_form": IncidentForm(prefix="report") if for_recipient and held else None,
        "transfer_form": TransferForm(prefix="transfer") if for_recipient and held else None,
        "may_attach": user.role == Role.COORDINATOR
        or (
            user.nation_id in (item.donor_id, item.recipient_id) and user.role in (Role.DONOR, Role.RECIPIENT)
        ),
        "repair_form": RepairForm(prefix="repair")
        if for_recipient and item.state in (ItemState.DAMAGED, ItemState.UNSERVICEABLE)
        else None,
    }
    return render(request, "monitoring/item.html", context)


def _run(request: HttpRequest, call: Callable[[], Any], success: str) -> bool:
    try:
        call()
    except services.MonitoringPermissionError as exc:
        raise PermissionDenied(str(exc)) from exc
    except ERRORS as exc:
        messages.error(request, str(exc))
        return False
    messages.success(request, success)
    return True


def _form_errors(request: HttpRequest, form: Any) -> None:
    messages.error(
        request,
        " ".join(
            f"{form.fields[k].label if k in form.fields else ''}: {e}"
            for k, errors in form.errors.items()
            for e in errors
        ),
    )


@login_required
@require_POST
def item_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """Custody, a report, a transfer request or a repair order for one item."""
    item = _item(request, pk)
    actor = request_actor(request)
    forms: dict[str, Any] = {
        "custody": CustodyForm,
        "report": IncidentForm,
        "transfer": TransferForm,
        "repair": RepairForm,
    }
    if action not in forms:
        raise Http404
    form = forms[action](request.POST, prefix=action)
    if not form.is_valid():
        _form_errors(request, form)
        return redirect("monitoring-item", pk=item.pk)
    data = form.cleaned_data
    if action == "custody":
        _run(
            request,
            lambda: services.set_custody(
                item,
                actor=actor,
                unit=data["unit"],
                location_class=data["location_class"],
                expected_version=data["version"],
            ),
            _("Custody of %(item)s recorded.") % {"item": item},
        )
    elif action == "report":
        _run(
            request,
            lambda: services.report_incident(
                item,
                actor=actor,
                kind=data["kind"],
                reason=data["reason"],
                details=data["details"],
                on=data["on"],
            ),
            _("%(item)s reported %(kind)s.")
            % {"item": item, "kind": IncidentKind(data["kind"]).label.lower()},
        )
    elif action == "transfer":
        _run(
            request,
            lambda: services.request_transfer(
                item, actor=actor, third_party=data["third_party"], reason=data["reason"], on=data["on"]
            ),
            _("Transfer of %(item)s requested: it awaits the donor.") % {"item": item},
        )
    else:
        if _run(
            request,
            lambda: services.open_repair(
                item,
                actor=actor,
                facility_kind=data["facility_kind"],
                facility=data["facility"],
                hub=data["hub"],
                planned_departure=data["planned_departure"],
                planned_arrival=data["planned_arrival"],
                planned_return_departure=data["planned_return_departure"],
                planned_return=data["planned_return"],
                note=data["note"],
            ),
            _("Repair order opened for %(item)s.") % {"item": item},
        ):
            order = item.repairs.order_by("-pk").first()
            if order is not None:
                return redirect("monitoring-repair", code=order.code)
    return redirect("monitoring-item", pk=item.pk)


# --- inventories ---------------------------------------------------------------------------------


def _may_inventory(request: HttpRequest) -> None:
    if getattr(request.user, "role", None) not in (Role.RECIPIENT, Role.COORDINATOR):
        raise PermissionDenied


@login_required
def inventory_new(request: HttpRequest) -> HttpResponse:
    """Record a serial inventory: the serials sighted (scanned or typed), the day, the unit."""
    _may_inventory(request)
    form = InventoryForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        held = _items(request.user).filter(state__in=IN_CUSTODY)
        try:
            items = services.find_items(data["serials"].replace(",", "\n").split(), held)
            created = services.record_inventory(
                items, actor=request_actor(request), on=data["on"], unit=data["unit"], note=data["note"]
            )
        except services.MonitoringPermissionError:
            raise PermissionDenied from None
        except ERRORS as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request,
                _("Inventory %(codes)s recorded: %(n)s items sighted.")
                % {"codes": ", ".join(i.code for i in created), "n": len(items)},
            )
            return redirect("monitoring-inventory", code=created[0].code)
    due = _items(request.user).filter(state__in=IN_CUSTODY).order_by("inventory_due", "serial")[:50]
    return render(request, "monitoring/inventory_new.html", {"form": form, "due": due, "today": _today()})


INVENTORIES = ListSpec(
    name="inventories",
    heading=gettext_lazy("Inventories"),
    queryset=visible_inventories,
    columns=[
        Column(gettext_lazy("Code"), lambda i: i.code, ("code",), "code"),
        Column(gettext_lazy("Kind"), lambda i: i.kind, show=lambda i: i.get_kind_display()),
        Column(gettext_lazy("Donor"), lambda i: i.donor.iso3, ("donor__iso3", "code"), "donor"),
        Column(gettext_lazy("Conducted on"), lambda i: i.conducted_on, ("conducted_on", "code"), "on"),
        Column(gettext_lazy("Unit"), lambda i: i.unit),
        Column(gettext_lazy("Conducted by"), lambda i: i.conducted_by),
        Column(gettext_lazy("Items"), lambda i: i.lines.count()),
    ],
    filters=[Filter("donor", gettext_lazy("Donor"), "donor__iso3", _nations)],
    search=("code", "unit", "lines__item__serial"),
    default_sort="-on",
)


@login_required
def inventory_list(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    queryset = visible_inventories(request.user).select_related("donor")
    return _list_page(request, INVENTORIES, queryset, "monitoring/inventories.html")


@login_required
def inventory_detail(request: HttpRequest, code: str) -> HttpResponse:
    inventory = (
        visible_inventories(request.user).filter(code=code).select_related("donor", "recipient").first()
    )
    if inventory is None:
        raise Http404
    lines = inventory.lines.filter(item__in=visible_items(request.user)).select_related("item__item_type")
    return render(
        request,
        "monitoring/inventory.html",
        _with_evidence(request, "inventory", inventory, {"inventory": inventory, "lines": lines}),
    )


# --- transfers -----------------------------------------------------------------------------------


@login_required
def transfer_list(request: HttpRequest) -> HttpResponse:
    """Third-party transfer requests: the donor decides those awaiting it."""
    transfers = visible_transfers(request.user).select_related(
        "item__item_type", "item__donor", "item__recipient"
    )
    user: Any = request.user
    rows = [
        (
            t,
            DecisionForm(initial={"version": t.version})
            if t.state == TransferState.PENDING and services.acts_for_donor(user, t.item)
            else None,
        )
        for t in transfers[:200]
    ]
    return render(request, "monitoring/transfers.html", {"rows": rows})


@login_required
@require_POST
def transfer_decide(request: HttpRequest, pk: int) -> HttpResponse:
    transfer = visible_transfers(request.user).filter(pk=pk).select_related("item").first()
    if transfer is None:
        raise Http404
    form = DecisionForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
    else:
        data = form.cleaned_data
        _run(
            request,
            lambda: services.decide_transfer(
                transfer,
                actor=request_actor(request),
                approve=data["approve"],
                note=data["note"],
                on=data["on"],
                expected_version=data["version"],
            ),
            (_("Transfer of %(item)s approved.") if data["approve"] else _("Transfer of %(item)s refused."))
            % {"item": transfer.item},
        )
    return redirect("monitoring-transfers")


# --- repairs -------------------------------------------------------------------------------------


REPAIRS = ListSpec(
    name="repairs",
    heading=gettext_lazy("Repair orders"),
    queryset=visible_repairs,
    columns=[
        Column(gettext_lazy("Code"), lambda r: r.code, ("code",), "code"),
        Column(gettext_lazy("Serial"), lambda r: r.item.serial, ("item__serial", "code"), "serial"),
        Column(gettext_lazy("Item"), lambda r: r.item.item_type.name),
        Column(gettext_lazy("Facility"), lambda r: r.facility),
        Column(
            gettext_lazy("State"),
            lambda r: r.state,
            ("state", "code"),
            "state",
            show=lambda r: r.get_state_display(),
        ),
        Column(gettext_lazy("Opened on"), lambda r: r.opened_on, ("opened_on", "code"), "opened"),
    ],
    filters=[
        Filter(
            "state",
            gettext_lazy("State"),
            "state",
            lambda: [(v, str(label)) for v, label in RepairState.choices],
        )
    ],
    search=("code", "item__serial", "facility"),
    default_sort="-opened",
)


@login_required
def repair_list(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    queryset = visible_repairs(request.user).select_related("item__item_type")
    return _list_page(request, REPAIRS, queryset, "monitoring/repairs.html")


def _repair(request: HttpRequest, code: str) -> RepairOrder:
    order = (
        visible_repairs(request.user)
        .filter(code=code)
        .select_related("item__item_type", "item__donor", "hub")
        .first()
    )
    if order is None:
        raise Http404
    return order


@login_required
def repair_detail(request: HttpRequest, code: str) -> HttpResponse:
    """One repair order: its legs, its state, the next step for those who may take it."""
    order = _repair(request, code)
    following = services.next_repair_state(order)
    may = services.acts_on_item(request.user, order.item)  # type: ignore[arg-type]
    context = {
        "order": order,
        "legs": order.legs.all(),
        "next": RepairState(following) if following and may else None,
        "beyond": may and order.state == RepairState.AT_FACILITY,
        "step_form": RepairStepForm(initial={"version": order.version}) if may and following else None,
    }
    return render(request, "monitoring/repair.html", _with_evidence(request, "repair", order, context))


@login_required
@require_POST
def repair_step(request: HttpRequest, code: str, step: str) -> HttpResponse:
    order = _repair(request, code)
    if step not in RepairState.values:
        raise Http404
    form = RepairStepForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
    else:
        data = form.cleaned_data
        _run(
            request,
            lambda: services.advance_repair(
                order,
                step,
                actor=request_actor(request),
                on=data["on"],
                note=data["note"],
                expected_version=data["version"],
            ),
            _("Repair order %(code)s is now %(state)s.")
            % {"code": order.code, "state": RepairState(step).label.lower()},
        )
    return redirect("monitoring-repair", code=order.code)


# --- cases ---------------------------------------------------------------------------------------


CASES = ListSpec(
    name="cases",
    heading=gettext_lazy("Discrepancy cases"),
    queryset=visible_cases,
    columns=[
        Column(gettext_lazy("Code"), lambda c: c.code, ("code",), "code"),
        Column(gettext_lazy("Shipment"), lambda c: c.shipment.code, ("shipment__code", "code"), "shipment"),
        Column(gettext_lazy("Kind"), lambda c: c.opened_as, show=lambda c: _kind_label(c.opened_as)),
        Column(gettext_lazy("Serial"), lambda c: c.discrepancy.serial if case_names_its_serial(c) else ""),
        Column(gettext_lazy("Quantity"), lambda c: c.discrepancy.quantity),
        Column(gettext_lazy("Owner"), lambda c: c.owner.username if c.owner else ""),
        Column(
            gettext_lazy("State"),
            lambda c: c.state,
            ("state", "code"),
            "state",
            show=lambda c: c.get_state_display(),
        ),
        Column(gettext_lazy("Resolution"), lambda c: c.resolution, show=lambda c: c.get_resolution_display()),
        Column(gettext_lazy("Opened on"), lambda c: c.opened_on, ("opened_on", "code"), "opened"),
    ],
    filters=[
        Filter(
            "state",
            gettext_lazy("State"),
            "state",
            lambda: [(v, str(label)) for v, label in CaseState.choices],
        ),
        Filter("donor", gettext_lazy("Donor"), "shipment__donor__iso3", _nations),
    ],
    search=("code", "shipment__code", "discrepancy__serial"),
    default_sort="-opened",
)


def _kind_label(kind: str) -> str:
    from nsatu.shipments.choices import DiscrepancyKind

    return str(DiscrepancyKind(kind).label) if kind in DiscrepancyKind.values else kind


@login_required
def case_list(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    queryset = visible_cases(request.user).select_related("shipment", "discrepancy", "owner")
    return _list_page(request, CASES, queryset, "monitoring/cases.html")


def _case(request: HttpRequest, code: str) -> DiscrepancyCase:
    case = (
        visible_cases(request.user)
        .filter(code=code)
        .select_related("shipment", "discrepancy", "owner")
        .first()
    )
    if case is None:
        raise Http404
    return case


@login_required
def case_detail(request: HttpRequest, code: str) -> HttpResponse:
    case = _case(request, code)
    may = services.may_work_case(request.user, case) and case.state != CaseState.RESOLVED  # type: ignore[arg-type]
    context = {
        "case": case,
        "kind": _kind_label(case.opened_as),
        "names_serial": case_names_its_serial(case),
        "owner_form": CaseOwnerForm(
            initial={
                "owner": case.owner.username if case.owner else "",
                "investigating": case.state == CaseState.INVESTIGATING,
                "version": case.version,
            }
        )
        if may
        else None,
        "resolution_form": CaseResolutionForm(initial={"version": case.version}) if may else None,
    }
    return render(request, "monitoring/case.html", _with_evidence(request, "case", case, context))


@login_required
@require_POST
def case_action(request: HttpRequest, code: str, action: str) -> HttpResponse:
    case = _case(request, code)
    actor = request_actor(request)
    if action == "owner":
        form: Any = CaseOwnerForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            owner = User.objects.filter(username=data["owner"]).first() if data["owner"] else None
            if data["owner"] and owner is None:
                messages.error(request, _("No user %(name)s.") % {"name": data["owner"]})
            else:
                _run(
                    request,
                    lambda: services.update_case(
                        case,
                        actor=actor,
                        owner=owner,
                        investigating=data["investigating"],
                        expected_version=data["version"],
                    ),
                    _("Case %(code)s updated.") % {"code": case.code},
                )
        else:
            _form_errors(request, form)
    elif action == "resolve":
        form = CaseResolutionForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            _run(
                request,
                lambda: services.resolve_case(
                    case,
                    actor=actor,
                    resolution=data["resolution"],
                    note=data["note"],
                    on=data["on"],
                    expected_version=data["version"],
                ),
                _("Case %(code)s resolved.") % {"code": case.code},
            )
        else:
            _form_errors(request, form)
    else:
        raise Http404
    return redirect("monitoring-case", code=case.code)


# --- evidence ------------------------------------------------------------------------------------


def _with_evidence(request: HttpRequest, record: str, obj: Any, context: dict[str, Any]) -> dict[str, Any]:
    """Add a record's evidence and the upload form for those who may see it."""
    key = str(obj.pk) if record == "incident" else obj.code
    context.update(
        evidence=evidence_files.evidence_of(obj),
        evidence_record=record,
        evidence_key=key,
        may_attach=evidence_files.may_attach(request.user, obj),
    )
    return context


@login_required
def evidence_upload(request: HttpRequest, record: str, key: str) -> HttpResponse:
    """Keep a file (PDF, PNG, JPEG, XLSX) beside a record the user may see."""
    obj = evidence_files.visible_record(request.user, record, key)
    if obj is None:
        raise Http404
    if not evidence_files.may_attach(request.user, obj):
        raise PermissionDenied
    form = EvidenceForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            evidence_files.attach_evidence(
                obj,
                upload,
                filename=upload.name,
                kind=form.cleaned_data["kind"],
                actor=request_actor(request),
                note=form.cleaned_data["note"],
            )
        except evidence_files.EvidenceError as exc:
            form.add_error("file", str(exc))
        else:
            messages.success(
                request, _("%(file)s kept beside %(record)s.") % {"file": upload.name, "record": obj}
            )
            return redirect(_record_url(record, obj))
    return render(
        request,
        "monitoring/evidence_upload.html",
        {"form": form, "record": obj, "back": _record_url(record, obj)},
    )


def _record_url(record: str, obj: Any) -> str:
    from django.urls import reverse

    if record == "shipment":
        return reverse("shipment-detail", args=[obj.code])
    if record == "inventory":
        return reverse("monitoring-inventory", args=[obj.code])
    if record == "case":
        return reverse("monitoring-case", args=[obj.code])
    if record == "repair":
        return reverse("monitoring-repair", args=[obj.code])
    return reverse("monitoring-item", args=[obj.item_id])


@login_required
def evidence_file(request: HttpRequest, pk: int) -> HttpResponse:
    """The file itself, to whoever may see its record; checked against its recorded hash first."""
    evidence = evidence_files.visible_evidence(request.user).filter(pk=pk).first()
    if evidence is None:
        raise Http404
    try:
        return evidence_files.evidence_response(evidence)
    except evidence_files.EvidenceAltered as exc:
        return HttpResponse(str(exc), status=409, content_type="text/plain; charset=utf-8")
