"""Stress-run pages: start one, watch its cases finish, read the report."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext_lazy as _

from nsatu.core.actors import request_actor
from nsatu.core.choices import COMMAND_ROLES, Role
from nsatu.dashboards.lists import Column, Filter, ListSpec, table_export, table_page
from nsatu.stress.forms import StressRunForm
from nsatu.stress.models import StressKind, StressRun, StressStatus
from nsatu.stress.services import StressError, fail_stale_stress_runs, start_stress_run

# Column heads of the delay distribution, by the planner's quantile names.
QUANTILE_LABELS = {
    "min": _("min"),
    "p10": _("10th percentile"),
    "median": _("median"),
    "p90": _("90th percentile"),
    "max": _("max"),
}


def _may_read(request: HttpRequest) -> None:
    if getattr(request.user, "role", None) not in COMMAND_ROLES:
        raise PermissionDenied


STRESS_RUNS = ListSpec(
    name="stress-runs",
    heading=_("Stress tests"),
    queryset=lambda user: StressRun.objects.all(),
    columns=[
        Column(_("Run"), lambda r: r.pk, ("pk",), "id"),
        Column(_("Test"), lambda r: r.kind, ("kind", "-pk"), "kind", show=lambda r: r.get_kind_display()),
        Column(_("Method"), lambda r: r.method, show=lambda r: r.method_label),
        Column(
            _("Status"),
            lambda r: r.status,
            ("status", "-pk"),
            "status",
            show=lambda r: r.get_status_display(),
        ),
        Column(_("Cases done"), lambda r: r.cases_done),
        Column(_("Cases"), lambda r: r.cases_total),
        Column(_("By"), lambda r: r.created_by, ("created_by", "-pk"), "by"),
        Column(_("Started"), lambda r: r.created_at, ("created_at", "pk"), "started"),
        Column(_("Finished"), lambda r: r.finished_at),
    ],
    filters=[
        Filter("kind", _("Test"), "kind", lambda: [(str(v), str(k)) for v, k in StressKind.choices]),
        Filter("status", _("Status"), "status", lambda: [(str(v), str(k)) for v, k in StressStatus.choices]),
    ],
    search=("created_by",),
    default_sort="-id",
)


@login_required
def stress_index(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    """Stress runs so far (filters, pages, CSV and Excel), and (for coordinators) the form that starts one."""
    _may_read(request)
    fail_stale_stress_runs()
    form = StressRunForm(request.POST or None)
    if request.method == "POST":
        if getattr(request.user, "role", None) != Role.COORDINATOR:
            raise PermissionDenied
        if form.is_valid():
            data = form.cleaned_data
            try:
                run = start_stress_run(
                    actor=request_actor(request),
                    kind=data["kind"],
                    method=data["method"],
                    time_limit=data["time_limit"],
                    samples=data["samples"] or 0,
                    seed=data["seed"],
                    mean_delay_days=data["mean_delay_days"],
                )
            except StressError as exc:
                form.add_error(None, str(exc))
            else:
                return redirect("stress-run", run_id=run.pk)
    elif (export := table_export(request, STRESS_RUNS)) is not None:
        return export
    runs = table_page(request, STRESS_RUNS, size=25)
    return render(request, "stress/index.html", {"form": form, "runs": runs})


def report_context(run: StressRun) -> dict[str, Any]:
    """The report of the finished cases: donors worst first, or the delay distribution."""
    from nsatu.planner import stress

    done = [c for c in run.cases.all() if c.status == StressStatus.DONE]
    failed = [c for c in run.cases.all() if c.status == StressStatus.FAILED]
    context: dict[str, Any] = {"failed_cases": failed}
    if not run.base:
        return context
    base = stress.BaseFigures.from_json(dict(run.base))
    context["base"] = base
    if run.kind == StressKind.WITHDRAWAL:
        report = stress.WithdrawalReport(base, [stress.DonorImpact.from_json(dict(c.result)) for c in done])
        context["impacts"] = [
            {"impact": i, "hurt": list(i.capability_loss.items())[:4]} for i in report.impacts
        ]
        context["worst_fixed_loss"] = report.worst_fixed_loss
        context["committed"] = base.committed_pwf > 0 or any(i.committed_lines for i in report.impacts)
    else:
        delays = stress.DelayReport(
            base, run.seed, run.mean_delay_days, [stress.DelaySample.from_json(dict(c.result)) for c in done]
        )
        context["distribution"] = [
            (_("Priority-weighted fulfilment (pwf)"), base.pwf, list(delays.pwf.values())),
            (_("On-time share"), base.on_time_share, list(delays.on_time_share.values())),
        ]
        context["quantiles"] = [QUANTILE_LABELS.get(name, name) for name, _q in stress.QUANTILES]
    return context


@login_required
def stress_run(request: HttpRequest, run_id: int) -> HttpResponse:
    """One run: progress while its cases run; the report of the cases done so far."""
    _may_read(request)
    fail_stale_stress_runs()
    run = get_object_or_404(StressRun, pk=run_id)
    return render(request, "stress/run.html", {"run": run, **report_context(run)})


@login_required
def stress_run_progress(request: HttpRequest, run_id: int) -> HttpResponse:
    """The progress fragment the run page polls (htmx) until the run ends."""
    _may_read(request)
    fail_stale_stress_runs()  # a dead worker's case fails here, and the run can finish
    run = get_object_or_404(StressRun, pk=run_id)
    response = render(request, "stress/_progress.html", {"run": run})
    if run.status in (StressStatus.DONE, StressStatus.FAILED) and request.headers.get("HX-Request"):
        response["HX-Refresh"] = "true"  # reload once to show the report
    return response
