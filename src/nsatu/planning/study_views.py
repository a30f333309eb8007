"""The plan page's fleet studies: the frontier chart and what each family is worth."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from nsatu.core.actors import request_actor
from nsatu.core.releasability import releasable, sees_everything
from nsatu.offers.models import Offer
from nsatu.planning.models import FleetStudy, PlanRun, RunStatus, StudyKind
from nsatu.planning.services import PlanningError, fail_stale_studies, start_fleet_study


class StudyForm(forms.Form):
    """Start a frontier or family-worth study of a run."""

    kind = forms.ChoiceField(label=gettext_lazy("Study"), choices=StudyKind.choices)
    time_limit = forms.FloatField(
        label=gettext_lazy("Time limit (seconds)"), min_value=1, max_value=3600, initial=60
    )
    max_families = forms.IntegerField(
        label=gettext_lazy("At most new families"), min_value=0, max_value=50, required=False
    )


def visible_family_codes(user: Any) -> frozenset[str] | None:
    """Families the user may read figures of: those of offers releasable to it (None: all)."""
    if sees_everything(user):
        return None
    return frozenset(releasable(Offer.objects.all(), user).values_list("item_type__family__code", flat=True))


def releasable_worth(study: FleetStudy, user: Any) -> list[dict[str, Any]]:
    """A worth study's families that ``user`` may see, the largest change first."""
    visible = visible_family_codes(user)
    rows = [
        row
        for row in (study.result or {}).get("families", [])
        if visible is None or row.get("code") in visible
    ]
    rows = [{**row, "pwf_text": _signed_points(row)} for row in rows]
    return sorted(rows, key=_worth_order)


def _worth_order(row: dict[str, Any]) -> tuple[bool, float, str]:
    """Introduced families first, then the largest change."""
    return (not row.get("introduced"), -abs(float(row.get("pwf_change", 0.0))), str(row.get("code", "")))


def _signed_points(row: dict[str, Any]) -> str:
    """The pwf change as the reader says it: what is lost without an introduced family (negative),
    what a left-out one would add (positive), in percentage points of the reader's locale."""
    from django.utils.formats import number_format

    change = 100.0 * float(row.get("pwf_change", 0.0)) * (-1.0 if row.get("introduced") else 1.0)
    shown = number_format(round(abs(change), 2), 2, use_l10n=True)
    return ("−" if change < 0 else "+") + shown


def latest_frontier(run: PlanRun) -> FleetStudy | None:
    """The latest frontier study of ``run``, or the one ``run`` is a point of."""
    own = run.studies.filter(kind=StudyKind.FRONTIER).order_by("-pk").first()
    if own is not None or run.method != "frontier":
        return own
    for study in FleetStudy.objects.filter(kind=StudyKind.FRONTIER, status=RunStatus.DONE)[:20]:
        if any(p.get("run") == run.pk for p in study.result.get("points", [])):
            return study
    return None


def frontier_figure(study: FleetStudy, run: PlanRun) -> dict[str, Any]:
    """Plotly's figure of a frontier: pwf and on-time share against the new families allowed,
    each point linking to its plan, and ``run`` itself marked."""
    from nsatu.core.plotly_assets import chart_layout as _layout

    points = study.result.get("points", [])
    x = [p["limit"] for p in points]
    links = [reverse("plan-run", args=[p["run"]]) for p in points]
    hover = [", ".join(p["introduced"]) or _("no new family") for p in points]
    data: list[dict[str, Any]] = [
        {
            "type": "scatter",
            "mode": "lines+markers",
            "name": _("Priority-weighted fulfilment"),
            "x": x,
            "y": [p["pwf"] for p in points],
            "customdata": links,
            "hovertext": hover,
            "marker": {"size": 11, "color": "#0072B2"},
        },
        {
            "type": "scatter",
            "mode": "lines+markers",
            "name": _("On-time share"),
            "x": x,
            "y": [p["on_time_share"] for p in points],
            "customdata": links,
            "hovertext": hover,
            "yaxis": "y2",
            "marker": {"size": 9, "color": "#E69F00", "symbol": "square"},
        },
    ]
    metrics = run.metrics if isinstance(run.metrics, dict) else {}
    if isinstance(metrics.get("pwf"), (int, float)) and isinstance(metrics.get("new_families"), list):
        data.append(
            {
                "type": "scatter",
                "mode": "markers",
                "name": _("This run"),
                "x": [len(metrics["new_families"])],
                "y": [metrics["pwf"]],
                "marker": {"size": 18, "color": "#D55E00", "symbol": "star"},
            }
        )
    return {
        "data": data,
        "layout": _layout(
            xaxis={"title": {"text": _("New families allowed")}, "dtick": 1},
            yaxis={"title": {"text": _("Priority-weighted fulfilment")}, "tickformat": ".1%"},
            yaxis2={
                "title": {"text": _("On-time share")},
                "tickformat": ".0%",
                "overlaying": "y",
                "side": "right",
                "range": [0, 1.05],
            },
            margin={"l": 70, "r": 70, "t": 10, "b": 60},
            height=380,
        ),
    }


def fleet_context(request: HttpRequest, run: PlanRun) -> dict[str, Any]:
    """What the plan page's fleet include shows: the studies, the chart and the worth table."""
    from nsatu.core.plotly_assets import plotly_context

    fail_stale_studies()
    frontier = latest_frontier(run)
    worth = run.studies.filter(kind=StudyKind.WORTH).order_by("-pk").first()
    context: dict[str, Any] = {
        "study_form": StudyForm(),
        "frontier": frontier,
        "worth": worth,
        "worth_rows": releasable_worth(worth, request.user) if worth and worth.status == "done" else [],
        "chart_figures": {},
    }
    if frontier is not None and frontier.status == RunStatus.DONE:
        context["chart_figures"]["frontier"] = frontier_figure(frontier, run)
        context["frontier_points"] = [
            {**p, "pwf_percent": 100.0 * p["pwf"], "on_time_percent": 100.0 * p["on_time_share"]}
            for p in frontier.result.get("points", [])
        ]
    if context["chart_figures"]:
        context.update(plotly_context())
    return context


@login_required
@require_POST
def plan_study_start(request: HttpRequest, run_id: int) -> HttpResponse:
    """Start a study of a run (coordinators)."""
    from nsatu.planning.views import _require_coordinator

    _require_coordinator(request)
    run = get_object_or_404(PlanRun, pk=run_id)
    form = StudyForm(request.POST)
    if not form.is_valid():
        messages.error(request, "; ".join(str(e) for errors in form.errors.values() for e in errors))
        return redirect("plan-run", run_id=run.pk)
    try:
        start_fleet_study(
            run,
            kind=form.cleaned_data["kind"],
            time_limit=form.cleaned_data["time_limit"],
            max_families=form.cleaned_data["max_families"],
            actor=request_actor(request),
        )
    except PlanningError as exc:
        messages.error(request, str(exc))
    return redirect(reverse("plan-run", args=[run.pk]) + "#fleet")


@login_required
def plan_study_progress(request: HttpRequest, study_id: int) -> HttpResponse:
    """The progress fragment of a study the plan page polls (htmx) until it ends."""
    from nsatu.planning.views import _may_read_plans

    _may_read_plans(request)
    fail_stale_studies()
    study = get_object_or_404(FleetStudy, pk=study_id)
    response = render(request, "planning/_study_progress.html", {"study": study})
    if not study.running and request.headers.get("HX-Request"):
        response["HX-Refresh"] = "true"
    return response
