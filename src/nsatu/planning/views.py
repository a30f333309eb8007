"""The coordinator's planning pages: run, watch, inspect, approve, compare."""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from nsatu.core.actors import request_actor
from nsatu.core.choices import COMMAND_ROLES, Role
from nsatu.core.previews import preview_dir, preview_path, save_preview
from nsatu.core.releasability import releasable
from nsatu.core.tables import format_quantity
from nsatu.dashboards.lists import Column, Filter, ListSpec, table_export, table_page
from nsatu.logistics.models import Hub
from nsatu.nations.models import Nation
from nsatu.needs.models import Requirement
from nsatu.offers.models import Offer
from nsatu.planner.metrics import hub_summary
from nsatu.planning.forms import CompareForm, PlanRunForm, ScenarioUploadForm
from nsatu.planning.models import METHOD_LABELS, Allocation, PlanRun, RunStatus, method_label
from nsatu.planning.records import is_stale
from nsatu.planning.services import PlanningError, approve_plan_run, fail_stale_runs, start_plan_run

# Lazy: the labels are read per request, in the reader's language.
FIGURES = [
    ("objective", gettext_lazy("Objective")),
    ("bound", gettext_lazy("Proven bound")),
    ("gap", gettext_lazy("Gap")),
    ("pwf", gettext_lazy("Priority-weighted fulfilment")),
    ("on_time_share", gettext_lazy("On-time share")),
    ("new_families", gettext_lazy("New families")),
    ("hub_busiest_share", gettext_lazy("Busiest hub-week (share of capacity)")),
    ("hub_mean_share", gettext_lazy("Mean hub-week load (share of capacity)")),
    ("solve_seconds", gettext_lazy("Seconds")),
]
SHARES = ("pwf", "on_time_share", "gap", "hub_busiest_share", "hub_mean_share")


def hub_figures(metrics: dict[str, Any]) -> dict[str, Any]:
    """The busiest hub-week's share of capacity (with its hub and week) and the mean share:
    the run's own figures, or for a run stored before they existed, summarised from
    its ``hub_utilisation`` by the same function (planner/metrics.hub_summary)."""
    if "hub_mean_share" in metrics:
        return {}
    hubs = metrics.get("hub_utilisation")
    if not isinstance(hubs, dict) or not hubs:
        return {}
    return hub_summary(None, hubs)


def _figure(key: str, value: float) -> str:
    """A figure in the reader's locale: shares as percentages, the rest to four significant digits."""
    if not math.isfinite(value):
        return str(value)
    if key in SHARES:
        return _("%(percent)s%%") % {
            # rounded first: number_format cuts the digits it does not show
            "percent": number_format(round(value * 100, 2), 2, use_l10n=True, force_grouping=True)
        }
    return number_format(Decimal(f"{value:.4g}"), use_l10n=True, force_grouping=True)


def _require_coordinator(request: HttpRequest) -> None:
    if getattr(request.user, "role", None) != Role.COORDINATOR:
        raise PermissionDenied


def _may_read_plans(request: HttpRequest) -> None:
    if getattr(request.user, "role", None) not in COMMAND_ROLES | {Role.DONOR, Role.RECIPIENT}:
        raise PermissionDenied


def _figure_rows(columns: list[tuple[str, dict[str, Any]]]) -> list[list[Any]]:
    """Rows of figures, one column per method or run."""
    rows = []
    figures = [{**hub_figures(metrics), **metrics} for _name, metrics in columns]
    for key, label in FIGURES:
        cells: list[Any] = [label]
        for metrics in figures:
            value = metrics.get(key)
            if key == "new_families" and isinstance(value, list):
                value = f"{len(value)}: {', '.join(value)}" if value else "0"
            elif isinstance(value, float) or (isinstance(value, int) and key in SHARES):
                value = _figure(key, float(value))
            if key == "hub_busiest_share" and value is not None and "hub_busiest_at" in metrics:
                hub, week = metrics["hub_busiest_at"]
                value = _("%(share)s (%(hub)s, week %(week)s)") % {"share": value, "hub": hub, "week": week}
            cells.append("" if value is None else value)
        rows.append(cells)
    return rows


def _metric(key: str) -> Any:
    return lambda run: run.metrics.get(key) if isinstance(run.metrics, dict) else None


def _yes_no() -> list[tuple[str, str]]:
    return [("yes", _("yes")), ("no", _("no"))]


PLAN_RUNS = ListSpec(
    name="plan-runs",
    heading=gettext_lazy("Runs"),
    queryset=lambda user: PlanRun.objects.all(),
    columns=[
        Column("#", lambda r: r.pk, ("pk",), "id"),
        Column(
            gettext_lazy("Method"),
            lambda r: r.method,
            ("method", "-pk"),
            "method",
            show=lambda r: r.method_label,
        ),
        Column(
            gettext_lazy("Status"),
            lambda r: r.status,
            ("status", "-pk"),
            "status",
            show=lambda r: r.get_status_display(),
        ),
        Column(gettext_lazy("Objective"), _metric("objective")),
        Column(gettext_lazy("Priority-weighted fulfilment"), _metric("pwf")),
        Column(gettext_lazy("On-time share"), _metric("on_time_share")),
        Column(gettext_lazy("Started by"), lambda r: r.created_by, ("created_by", "-pk"), "by"),
        Column(gettext_lazy("Created"), lambda r: r.created_at, ("created_at", "pk"), "created"),
        Column(gettext_lazy("Finished"), lambda r: r.finished_at, ("finished_at", "pk"), "finished"),
        Column(gettext_lazy("Approved"), lambda r: r.approved_at, ("approved_at", "pk"), "approved"),
        Column(gettext_lazy("Approved by"), lambda r: r.approved_by),
        Column(gettext_lazy("Stale"), is_stale),
    ],
    filters=[
        Filter(
            "method", gettext_lazy("Method"), "method", lambda: [(m, method_label(m)) for m in METHOD_LABELS]
        ),
        Filter(
            "status",
            gettext_lazy("Status"),
            "status",
            lambda: [(str(v), str(k)) for v, k in RunStatus.choices],
        ),
        Filter(
            "approved",
            gettext_lazy("Approved"),
            "approved_at__isnull",
            _yes_no,
            lambda v: {"yes": False, "no": True}.get(v),
        ),
    ],
    search=("created_by", "approved_by"),
    default_sort="-id",
)


@login_required
def plan_index(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    """Runs so far (filters, pages, CSV and Excel), and (for coordinators) the form that starts one."""
    _may_read_plans(request)
    fail_stale_runs()
    form = PlanRunForm(request.POST or None)
    if request.method == "POST":
        _require_coordinator(request)
        if form.is_valid():
            try:
                run = start_plan_run(
                    actor=request_actor(request),
                    method=form.cleaned_data["method"],
                    time_limit=form.cleaned_data["time_limit"],
                )
            except PlanningError as exc:
                form.add_error(None, str(exc))
            else:
                return redirect("plan-run", run_id=run.pk)
    elif (export := table_export(request, PLAN_RUNS)) is not None:
        return export
    runs = table_page(request, PLAN_RUNS, size=25)
    return render(request, "planning/index.html", {"form": form, "runs": runs, "compare": CompareForm()})


def visible_lines(run: PlanRun, user: Any) -> QuerySet[Allocation]:
    """A run's lines whose offer and requirement the user may both see."""
    visible_offers = releasable(Offer.objects.all(), user)
    visible_requirements = releasable(Requirement.objects.all(), user)
    return (
        run.allocations.filter(offer__in=visible_offers, requirement__in=visible_requirements)
        .select_related("offer__donor", "offer__item_type", "requirement__capability", "hub")
        .order_by("requirement__priority", "requirement__code", "arrival_week")
    )


def _hubs() -> list[tuple[str, str]]:
    return [(h.code, f"{h.code} {h.name}") for h in Hub.objects.order_by("code")]


def run_lines_spec(run: PlanRun) -> ListSpec:
    """The allocation lines of one run, as the run page lists and exports them."""
    return ListSpec(
        name="plan-lines",
        heading=gettext_lazy("Allocations"),
        queryset=lambda user: visible_lines(run, user),
        columns=[
            Column(
                gettext_lazy("Requirement"),
                lambda a: a.requirement.code,
                ("requirement__code", "arrival_week"),
                "requirement",
            ),
            Column(gettext_lazy("Title"), lambda a: a.requirement.title),
            Column(
                gettext_lazy("Capability"),
                lambda a: a.requirement.capability.code,
                ("requirement__capability__code", "requirement__priority", "requirement__code"),
                "capability",
            ),
            Column(
                gettext_lazy("Priority"),
                lambda a: a.requirement.priority,
                ("requirement__priority", "requirement__code", "arrival_week"),
                "priority",
            ),
            Column(gettext_lazy("Offer"), lambda a: a.offer.code, ("offer__code", "arrival_week"), "offer"),
            Column(
                gettext_lazy("Donor"),
                lambda a: a.offer.donor.iso3,
                ("offer__donor__iso3", "offer__code"),
                "donor",
            ),
            Column(gettext_lazy("Item"), lambda a: a.offer.item_type.name),
            Column(
                gettext_lazy("Quantity"),
                lambda a: a.quantity,
                ("quantity", "offer__code"),
                "quantity",
                lambda a: format_quantity(a.quantity, a.offer.item_type.is_whole),
            ),
            Column(gettext_lazy("Hub"), lambda a: a.hub.code, ("hub__code", "arrival_week"), "hub"),
            Column(
                gettext_lazy("Arrival week"),
                lambda a: a.arrival_week,
                ("arrival_week", "requirement__code"),
                "week",
            ),
        ],
        filters=[
            Filter("requirement", gettext_lazy("Requirement"), "requirement__code", None),
            Filter("offer", gettext_lazy("Offer"), "offer__code", None),
            Filter(
                "donor",
                gettext_lazy("Donor"),
                "offer__donor__iso3",
                lambda: [(n.iso3, n.iso3) for n in Nation.objects.order_by("iso3")],
            ),
            Filter("hub", gettext_lazy("Hub"), "hub__code", _hubs),
        ],
        search=("requirement__code", "requirement__title", "offer__code", "offer__item_type__name"),
        default_sort="priority",
    )


@login_required
def plan_run(request: HttpRequest, run_id: int) -> HttpResponse | StreamingHttpResponse:
    """One run: progress while it runs; figures beside the baselines, lines and approval when done."""
    _may_read_plans(request)
    run = get_object_or_404(PlanRun, pk=run_id)
    spec = run_lines_spec(run)
    export = table_export(request, spec)
    if export is not None:
        return export
    baselines = run.metrics.get("baselines", {}) if isinstance(run.metrics, dict) else {}
    columns = [(run.method, {**run.metrics, "bound": run.bound}), *sorted(baselines.items())]
    context = {
        "run": run,
        "stale": is_stale(run),
        "figure_heads": [method_label(name) for name, _m in columns],
        "figures": _figure_rows(columns),
        "lines": table_page(request, spec),
    }
    if run.status == RunStatus.DONE:
        from nsatu.planning.study_views import fleet_context

        context.update(fleet_context(request, run))
    return render(request, "planning/run.html", context)


@login_required
def plan_run_progress(request: HttpRequest, run_id: int) -> HttpResponse:
    """The progress fragment the run page polls (htmx) until the run ends."""
    _may_read_plans(request)
    fail_stale_runs()
    run = get_object_or_404(PlanRun, pk=run_id)
    response = render(request, "planning/_progress.html", {"run": run})
    if run.status in ("done", "failed") and request.headers.get("HX-Request"):
        response["HX-Refresh"] = "true"  # reload once to show the result
    return response


@login_required
@require_POST
def plan_run_approve(request: HttpRequest, run_id: int) -> HttpResponse:
    """Approve a run: its allocations become commitments."""
    _require_coordinator(request)
    run = get_object_or_404(PlanRun, pk=run_id)
    try:
        approve_plan_run(run, actor=request_actor(request))
    except PlanningError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request, _("Plan run %(id)s approved: its allocations are now commitments.") % {"id": run.pk}
        )
    return redirect("plan-run", run_id=run.pk)


@login_required
def plan_compare(request: HttpRequest) -> HttpResponse:
    """Two runs side by side."""
    _may_read_plans(request)
    form = CompareForm(request.GET or None)
    context: dict[str, Any] = {"form": form}
    if form.is_valid():
        run_a = get_object_or_404(PlanRun, pk=form.cleaned_data["a"])
        run_b = get_object_or_404(PlanRun, pk=form.cleaned_data["b"])
        context["heads"] = [f"#{r.pk} {r.method_label}" for r in (run_a, run_b)]
        context["figures"] = _figure_rows(
            [(str(r.pk), {**r.metrics, "bound": r.bound}) for r in (run_a, run_b)]
        )
        from nsatu.planning.compare import compare_runs
        from nsatu.planning.models import visible_requirement_codes

        context["runs"] = (run_a, run_b)
        context["comparison"] = compare_runs(
            run_a, run_b, lambda run: visible_lines(run, request.user), visible_requirement_codes(request)
        )
    return render(request, "planning/compare.html", context)


@login_required
def scenario_template(request: HttpRequest) -> HttpResponse:
    """The empty scenario workbook: every sheet, headers, one example row, notes."""
    from nsatu.planning.workbooks import template_workbook

    response = HttpResponse(
        template_workbook(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = 'attachment; filename="nsatu-scenario-template.xlsx"'
    return response


@login_required
def scenario_import(request: HttpRequest) -> HttpResponse:
    """Upload a scenario workbook: its errors by sheet, row and column, or a preview; then confirm."""
    _require_coordinator(request)
    from nsatu.planner.io import ScenarioError, read_scenario
    from nsatu.planning.adapters import import_scenario
    from nsatu.planning.workbooks import MAX_UPLOAD_BYTES

    context: dict[str, Any] = {"form": ScenarioUploadForm()}
    if request.method == "POST" and "confirm" in request.POST:
        pending = request.session.get("scenario_upload") or {}
        path = preview_path(str(pending.get("token", "")), suffix=".xlsx")
        if pending.get("token") != request.POST["confirm"] or path is None:
            request.session.pop("scenario_upload", None)
            messages.error(request, _("That upload has expired; upload the workbook again."))
            return redirect("scenario-import")
        try:
            report = import_scenario(read_scenario(path), actor=request_actor(request))
        except ScenarioError as exc:
            context["errors"] = exc.errors
            return render(request, "planning/import.html", context)
        finally:
            path.unlink(missing_ok=True)
            request.session.pop("scenario_upload", None)
        messages.success(
            request,
            _("Scenario imported: %(created)s rows created, %(updated)s changed.")
            % {"created": sum(report.created.values()), "updated": sum(report.updated.values())},
        )
        return redirect("plan-index")
    if request.method == "POST":
        form = ScenarioUploadForm(request.POST, request.FILES)
        context["form"] = form
        if form.is_valid():
            upload = form.cleaned_data["file"]
            if upload.size > MAX_UPLOAD_BYTES or not upload.name.lower().endswith(".xlsx"):
                form.add_error("file", _("Upload an .xlsx workbook of at most 20 MB."))
                return render(request, "planning/import.html", context)
            token = save_preview(upload.read(), suffix=".xlsx")
            path = preview_dir() / f"{token}.xlsx"
            try:
                report = import_scenario(read_scenario(path), actor=request_actor(request), dry_run=True)
            except ScenarioError as exc:
                path.unlink(missing_ok=True)
                context["errors"] = exc.errors
                return render(request, "planning/import.html", context)
            request.session["scenario_upload"] = {"token": token}
            tables = sorted(set(report.created) | set(report.updated) | set(report.unchanged))
            context["preview"] = [
                (t, report.created.get(t, 0), report.updated.get(t, 0), report.unchanged.get(t, 0))
                for t in tables
            ]
            context["token"] = token
    return render(request, "planning/import.html", context)
