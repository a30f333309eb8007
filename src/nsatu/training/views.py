"""Training pages: courses and cohorts, and crew readiness per family."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from nsatu.catalog.models import Family
from nsatu.core.actors import request_actor
from nsatu.core.choices import Role
from nsatu.core.services import ConflictError
from nsatu.dashboards.lists import Column, Filter, ListSpec, table_export, table_page
from nsatu.nations.models import Nation
from nsatu.training.forms import CohortForm, GraduateForm, SeatsForm
from nsatu.training.models import Cohort, Course
from nsatu.training.readiness import family_readiness, readiness_overview
from nsatu.training.services import TrainingError, create_cohort, graduate_cohort, update_cohort


def _require_coordinator(request: HttpRequest) -> None:
    if getattr(request.user, "role", None) != Role.COORDINATOR:
        raise PermissionDenied


def _families() -> list[tuple[str, str]]:
    return [
        (f.code, f.name) for f in Family.objects.filter(courses__isnull=False).distinct().order_by("code")
    ]


def _hosts() -> list[tuple[str, str]]:
    return [
        (n.iso3, n.iso3)
        for n in Nation.objects.filter(courses_hosted__isnull=False).distinct().order_by("iso3")
    ]


def _yes_no() -> list[tuple[str, str]]:
    return [("yes", _("yes")), ("no", _("no"))]


COHORTS = ListSpec(
    name="cohorts",
    heading=gettext_lazy("Cohorts"),
    # the run's metrics (tens of kilobytes per row) are not needed for its id and name
    queryset=lambda user: Cohort.objects.select_related("course__family", "course__host", "target_run").defer(
        "target_run__metrics"
    ),
    columns=[
        Column(gettext_lazy("Course"), lambda c: c.course.code, ("course__code", "start"), "course"),
        Column(
            gettext_lazy("Family"),
            lambda c: c.course.family.code,
            ("course__family__code", "start"),
            "family",
        ),
        Column(gettext_lazy("Host"), lambda c: c.course.host.iso3, ("course__host__iso3", "start"), "host"),
        Column(gettext_lazy("Cohort"), lambda c: c.code, ("code",), "cohort"),
        Column(gettext_lazy("Start"), lambda c: c.start, ("start", "code"), "start"),
        Column(gettext_lazy("End"), lambda c: c.end, ("end", "code"), "end"),
        Column(
            gettext_lazy("Seats offered"), lambda c: c.seats_offered, ("seats_offered", "code"), "offered"
        ),
        Column(gettext_lazy("Plan target"), lambda c: c.target_seats, ("target_seats", "code"), "target"),
        Column(gettext_lazy("Plan run"), lambda c: c.target_run_id),
        Column(gettext_lazy("Filled"), lambda c: c.seats_filled, ("seats_filled", "code"), "filled"),
        Column(gettext_lazy("Graduates"), lambda c: c.graduates),
        Column(
            gettext_lazy("Graduated on"), lambda c: c.graduated_on, ("graduated_on", "code"), "graduated_on"
        ),
    ],
    filters=[
        Filter("family", gettext_lazy("Family"), "course__family__code", _families),
        Filter("host", gettext_lazy("Host"), "course__host__iso3", _hosts),
        Filter(
            "graduated",
            gettext_lazy("Graduated"),
            "graduated_on__isnull",
            _yes_no,
            lambda v: {"yes": False, "no": True}.get(v),
        ),
    ],
    search=("code", "course__code"),
    default_sort="start",
)

NEW_COURSES = ListSpec(
    name="courses-without-cohort",
    heading=gettext_lazy("Courses with no cohort yet"),
    queryset=lambda user: Course.objects.filter(cohorts__isnull=True).select_related("family", "host"),
    columns=[
        Column(gettext_lazy("Course"), lambda c: c.code, ("code",), "course"),
        Column(gettext_lazy("Family"), lambda c: c.family.code, ("family__code", "start"), "family"),
        Column(gettext_lazy("Host"), lambda c: c.host.iso3, ("host__iso3", "start"), "host"),
        Column(gettext_lazy("Seats"), lambda c: c.seats, ("seats", "code"), "seats"),
        Column(gettext_lazy("Start"), lambda c: c.start, ("start", "code"), "start"),
        Column(gettext_lazy("Weeks"), lambda c: c.duration_weeks),
    ],
    search=("code",),
    default_sort="start",
)
COURSES = "courses-"  # the query-string prefix of the second table


@login_required
def cohorts(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    """Cohorts of the courses (seats offered, targets, filled, graduates) and the courses with none yet.

    Both tables filter, page and export; coordinators open cohorts.
    """
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
    else:
        for spec, prefix in ((COHORTS, ""), (NEW_COURSES, COURSES)):
            export = table_export(request, spec, prefix=prefix)
            if export is not None:
                return export
    return render(
        request,
        "training/cohorts.html",
        {
            "form": form,
            "cohorts": table_page(request, COHORTS),
            "courses": table_page(request, NEW_COURSES, prefix=COURSES),
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


READINESS = ListSpec(
    name="readiness",
    heading=gettext_lazy("Crew readiness per family"),
    queryset=lambda user: Family.objects.none(),  # computed per family: see readiness_overview
    columns=[
        Column(gettext_lazy("Family"), lambda r: r.family.code),
        Column(gettext_lazy("Name"), lambda r: r.family.name),
        Column(gettext_lazy("Crew per unit"), lambda r: r.family.crew_per_unit),
        Column(gettext_lazy("Units delivered and planned"), lambda r: r.units),
        Column(gettext_lazy("Crews (end of horizon)"), lambda r: r.crews_available),
        Column(gettext_lazy("Weeks with units and no crew"), lambda r: len(r.flagged_weeks)),
        Column(gettext_lazy("First such week"), lambda r: r.flagged_weeks[0].week if r.flagged else None),
        Column(
            gettext_lazy("Most units with no crew"),
            lambda r: max((w.uncrewed_units for w in r.weeks), default=0.0),
        ),
    ],
)

READINESS_WEEKS = ListSpec(
    name="readiness-weeks",
    heading=gettext_lazy("Readiness week by week"),
    queryset=lambda user: Family.objects.none(),  # computed: see family_readiness
    columns=[
        Column(gettext_lazy("Week"), lambda w: w.week),
        Column(gettext_lazy("From"), lambda w: w.date),
        Column(gettext_lazy("Delivered"), lambda w: w.delivered_this_week),
        Column(gettext_lazy("Planned"), lambda w: w.planned_this_week),
        Column(gettext_lazy("Units on hand"), lambda w: w.units),
        Column(gettext_lazy("Out of service"), lambda w: w.out_of_service),
        Column(gettext_lazy("Crews needed"), lambda w: w.crews_needed),
        Column(gettext_lazy("Crews trained"), lambda w: w.crews_trained),
        Column(gettext_lazy("Crews incl. cohorts due"), lambda w: w.crews_available),
        Column(gettext_lazy("Units with no crew"), lambda w: w.uncrewed_units),
    ],
)


@login_required
def readiness(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    """Every crewed family: units coming, crews, and whether units arrive with no crew.

    ``?flagged=yes`` keeps the flagged families, ``?q=`` those whose code or name holds the text.
    """
    families = readiness_overview(request.user)
    flagged = request.GET.get("flagged", "")
    text = request.GET.get("q", "").strip().lower()
    if flagged in ("yes", "no"):
        families = [r for r in families if r.flagged == (flagged == "yes")]
    if text:
        families = [r for r in families if text in r.family.code.lower() or text in r.family.name.lower()]
    export = table_export(request, READINESS, families)
    if export is not None:
        return export
    table = table_page(request, READINESS, families)
    context = {"families": table.page, "table": table, "flagged": flagged, "q": text}
    return render(request, "training/readiness.html", context)


@login_required
def readiness_family(request: HttpRequest, code: str) -> HttpResponse | StreamingHttpResponse:
    """One family week by week: units delivered and planned against crews trained and due."""
    family = Family.objects.filter(code=code).first()
    if family is None:
        raise Http404
    result = family_readiness(family, request.user)
    show_all = request.GET.get("all") == "1"
    weeks, previous = [], None
    for week in result.weeks:
        changed = previous is None or (week.crews_available, week.out_of_service) != (
            previous.crews_available,
            previous.out_of_service,
        )
        if show_all or week.arriving or week.flagged or changed:
            weeks.append(week)
        previous = week
    export = table_export(request, READINESS_WEEKS, weeks)
    if export is not None:
        return export
    return render(
        request, "training/readiness_family.html", {"readiness": result, "weeks": weeks, "all": show_all}
    )
