"""Training pages: courses and cohorts, and crew readiness per family."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from nsatu.catalog.models import Family
from nsatu.core.actors import request_actor
from nsatu.core.choices import Role
from nsatu.core.services import ConflictError
from nsatu.training.forms import CohortForm, GraduateForm, SeatsForm
from nsatu.training.models import Cohort, Course
from nsatu.training.readiness import family_readiness, readiness_overview
from nsatu.training.services import TrainingError, create_cohort, graduate_cohort, update_cohort


def _require_coordinator(request: HttpRequest) -> None:
    if getattr(request.user, "role", None) != Role.COORDINATOR:
        raise PermissionDenied


@login_required
def cohorts(request: HttpRequest) -> HttpResponse:
    """Courses with their cohorts: seats offered, targets, filled, graduates; coordinators open cohorts."""
    form = CohortForm(request.POST or None)
    if request.method == "POST":
        _require_coordinator(request)
        if form.is_valid():
            data = form.cleaned_data
            try:
                cohort = create_cohort(
                    data["course"],
                    actor=request_actor(request),
                    start=data["start"],
                    end=data["end"],
                    seats_offered=data["seats_offered"],
                    seats_filled=data["seats_filled"] or 0,
                )
            except ValidationError as exc:
                form.add_error(None, exc.messages)
            else:
                messages.success(request, _("Cohort %(code)s opened.") % {"code": cohort.code})
                return redirect("training-cohorts")
    courses = Course.objects.select_related("family", "host").prefetch_related("cohorts")
    return render(
        request,
        "training/cohorts.html",
        {
            "form": form,
            "courses": courses,
            "is_coordinator": getattr(request.user, "role", None) == Role.COORDINATOR,
        },
    )


def _cohort(code: str) -> Cohort:
    cohort = Cohort.objects.select_related("course__family").filter(code=code).first()
    if cohort is None:
        raise Http404
    return cohort


@login_required
def cohort_detail(request: HttpRequest, code: str) -> HttpResponse:
    """One cohort; coordinators record filled seats and graduates."""
    cohort = _cohort(code)
    seats = SeatsForm(initial={"seats_filled": cohort.seats_filled, "version": cohort.version})
    graduate = GraduateForm(initial={"graduates": cohort.seats_filled})
    if request.method == "POST":
        _require_coordinator(request)
        seats = SeatsForm(request.POST)
        if seats.is_valid():
            try:
                update_cohort(
                    cohort,
                    actor=request_actor(request),
                    expected_version=seats.cleaned_data["version"],
                    seats_filled=seats.cleaned_data["seats_filled"],
                )
            except (TrainingError, ConflictError) as exc:
                seats.add_error(None, str(exc))
            except ValidationError as exc:
                seats.add_error(None, exc.messages)
            else:
                messages.success(request, _("Cohort %(code)s saved.") % {"code": cohort.code})
                return redirect("training-cohort", code=cohort.code)
    return render(
        request,
        "training/cohort.html",
        {
            "cohort": cohort,
            "seats": seats,
            "graduate": graduate,
            "is_coordinator": getattr(request.user, "role", None) == Role.COORDINATOR,
        },
    )


@login_required
@require_POST
def cohort_graduate(request: HttpRequest, code: str) -> HttpResponse:
    """Record a cohort's graduates: they join the family's trained crews."""
    _require_coordinator(request)
    cohort = _cohort(code)
    form = GraduateForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
    else:
        try:
            graduate_cohort(
                cohort,
                actor=request_actor(request),
                graduates=form.cleaned_data["graduates"],
                on=form.cleaned_data["on"],
            )
        except TrainingError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Cohort %(code)s graduated.") % {"code": cohort.code})
    return redirect("training-cohort", code=cohort.code)


@login_required
def readiness(request: HttpRequest) -> HttpResponse:
    """Every crewed family: units coming, crews, and whether units arrive with no crew."""
    return render(request, "training/readiness.html", {"families": readiness_overview(request.user)})


@login_required
def readiness_family(request: HttpRequest, code: str) -> HttpResponse:
    """One family week by week: units delivered and planned against crews trained and due."""
    family = Family.objects.filter(code=code).first()
    if family is None:
        raise Http404
    result = family_readiness(family, request.user)
    show_all = request.GET.get("all") == "1"
    weeks, previous = [], None
    for week in result.weeks:
        changed = previous is None or week.crews_available != previous.crews_available
        if show_all or week.arriving or week.flagged or changed:
            weeks.append(week)
        previous = week
    return render(
        request,
        "training/readiness_family.html",
        {"readiness": result, "weeks": weeks, "all": show_all},
    )
