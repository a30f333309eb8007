"""The coordinator's planning pages: run, watch, inspect, approve, compare."""

from __future__ import annotations

import math
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from nsatu.core.actors import request_actor
from nsatu.core.choices import COMMAND_ROLES, Role
from nsatu.core.releasability import releasable
from nsatu.needs.models import Requirement
from nsatu.offers.models import Offer
from nsatu.planning.forms import CompareForm, PlanRunForm, ScenarioUploadForm
from nsatu.planning.models import Allocation, PlanRun, method_label
from nsatu.planning.services import PlanningError, approve_plan_run, fail_stale_runs, start_plan_run

# Lazy: the labels are read per request, in the reader's language.
FIGURES = [
    ("objective", gettext_lazy("Objective")),
    ("bound", gettext_lazy("Proven bound")),
    ("gap", gettext_lazy("Gap")),
    ("pwf", gettext_lazy("Priority-weighted fulfilment")),
    ("on_time_share", gettext_lazy("On-time share")),
    ("new_families", gettext_lazy("New families")),
    ("solve_seconds", gettext_lazy("Seconds")),
]
SHARES = ("pwf", "on_time_share", "gap")


def _figure(key: str, value: float) -> str:
    """A figure in the reader's locale: shares as percentages, the rest to four significant digits."""
    if not math.isfinite(value):
        return str(value)
    if key in SHARES:
        return _("%(percent)s%%") % {
            "percent": number_format(value * 100, 2, use_l10n=True, force_grouping=True)
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
    for key, label in FIGURES:
        cells: list[Any] = [label]
        for _name, metrics in columns:
            value = metrics.get(key)
            if key == "new_families" and isinstance(value, list):
                value = f"{len(value)}: {', '.join(value)}" if value else "0"
            elif isinstance(value, float):
                value = _figure(key, value)
            cells.append("" if value is None else value)
        rows.append(cells)
    return rows


@login_required
def plan_index(request: HttpRequest) -> HttpResponse:
    """Runs so far, and (for coordinators) the form that starts one."""
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
    runs = Paginator(PlanRun.objects.all(), 25).get_page(request.GET.get("page"))
    return render(request, "planning/index.html", {"form": form, "runs": runs, "compare": CompareForm()})


def _allocations_for(request: HttpRequest, run: PlanRun) -> QuerySet[Allocation]:
    """A run's lines whose offer and requirement the user may both see."""
    visible_offers = releasable(Offer.objects.all(), request.user)
    visible_requirements = releasable(Requirement.objects.all(), request.user)
    return (
        run.allocations.filter(offer__in=visible_offers, requirement__in=visible_requirements)
        .select_related("offer__donor", "offer__item_type", "requirement__capability", "hub")
        .order_by("requirement__priority", "requirement__code", "arrival_week")
    )


@login_required
def plan_run(request: HttpRequest, run_id: int) -> HttpResponse:
    """One run: progress while it runs; figures beside the baselines, lines and approval when done."""
    _may_read_plans(request)
    run = get_object_or_404(PlanRun, pk=run_id)
    lines = _allocations_for(request, run)
    requirement = request.GET.get("requirement", "").strip()
    offer = request.GET.get("offer", "").strip()
    if requirement:
        lines = lines.filter(requirement__code=requirement)
    if offer:
        lines = lines.filter(offer__code=offer)
    baselines = run.metrics.get("baselines", {}) if isinstance(run.metrics, dict) else {}
    columns = [(run.method, {**run.metrics, "bound": run.bound}), *sorted(baselines.items())]
    context = {
        "run": run,
        "figure_heads": [method_label(name) for name, _m in columns],
        "figures": _figure_rows(columns),
        "lines": Paginator(lines, 50).get_page(request.GET.get("page")),
        "filters": {"requirement": requirement, "offer": offer},
    }
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


def _scenario_upload_dir() -> Path:
    path = Path(settings.VAR_DIR) / "uploads"
    path.mkdir(parents=True, exist_ok=True)
    return path


@login_required
def scenario_import(request: HttpRequest) -> HttpResponse:
    """Upload a scenario workbook: its errors by sheet, row and column, or a preview; then confirm."""
    _require_coordinator(request)
    from nsatu.planner.scenario import ScenarioError, read_scenario
    from nsatu.planning.adapters import import_scenario
    from nsatu.planning.workbooks import MAX_UPLOAD_BYTES

    context: dict[str, Any] = {"form": ScenarioUploadForm()}
    if request.method == "POST" and "confirm" in request.POST:
        pending = request.session.get("scenario_upload") or {}
        path = _scenario_upload_dir() / f"{pending.get('token', 'missing')}.xlsx"
        if pending.get("token") != request.POST["confirm"] or not path.exists():
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
            token = uuid.uuid4().hex
            path = _scenario_upload_dir() / f"{token}.xlsx"
            path.write_bytes(upload.read())
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
