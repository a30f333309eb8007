"""Stress-runs API: start a donor-withdrawal or delay stress run, poll it, read its cases and report.

As the stress pages: command staff (coordinators, leadership, auditors) read
stress runs, which name every donor and requirement; only coordinators start
them, through `nsatu.stress.services.start_stress_run` (a ledger event). Other
roles get 403 for every run, existing or not, so the answer reveals nothing.
"""

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Router, Status
from ninja.pagination import paginate

from nsatu.accounts.models import User
from nsatu.core.api import (
    CREATE_ERRORS,
    LIST_ERRORS,
    READ_ERRORS,
    Pagination,
    coordinator,
    get_or_404,
    require_role,
)
from nsatu.core.choices import Role
from nsatu.core.schemas import ErrorOut, Id
from nsatu.stress.models import StressCase, StressKind, StressRun, StressStatus
from nsatu.stress.schemas import (
    Kind,
    RunState,
    StressCaseOut,
    StressReportOut,
    StressRunIn,
    StressRunOut,
)
from nsatu.stress.services import StressError, fail_stale_stress_runs, start_stress_run

router = Router(tags=["stress"])

READERS = (Role.COORDINATOR, Role.LEADERSHIP, Role.AUDITOR)
# Nation roles may not read stress runs at all: 403 on lists as on items.
STRESS_LIST_ERRORS: dict[int, Any] = {**LIST_ERRORS, 403: ErrorOut}
STRESS_READ_ERRORS: dict[int, Any] = {**READ_ERRORS, 403: ErrorOut}


def _reader(request: HttpRequest) -> User:
    user = require_role(request, *READERS, doing="read stress runs")
    fail_stale_stress_runs()  # a run whose worker died reads as failed, as on the pages
    return user


def _run(request: HttpRequest, run_id: int) -> StressRun:
    _reader(request)
    return get_or_404(StressRun.objects.all(), "stress run", pk=run_id)


@router.get(
    "/stress-runs", response={200: list[StressRunOut], **STRESS_LIST_ERRORS}, summary="List stress runs"
)
@paginate(Pagination)
def list_stress_runs(
    request: HttpRequest, kind: Kind | None = None, status: RunState | None = None
) -> QuerySet[StressRun]:
    """Stress runs, newest first; optionally one kind's or one status's (command staff)."""
    _reader(request)
    queryset = StressRun.objects.all()
    if kind:
        queryset = queryset.filter(kind=kind)
    if status:
        queryset = queryset.filter(status=status)
    return queryset.order_by("-pk")


@router.post("/stress-runs", response={202: StressRunOut, **CREATE_ERRORS}, summary="Start a stress run")
def create_stress_run(request: HttpRequest, payload: StressRunIn) -> Status[StressRun]:
    """Queue a stress run over the current data (coordinators); poll it at `/stress-runs/{id}`.

    A task worker plans the base first, then runs one task per case: each donor
    withdrawn in turn (`withdrawal`), or `samples` random delay draws (`delays`).
    """
    actor = coordinator(request, "start stress runs")
    try:
        run = start_stress_run(
            actor=actor,
            kind=payload.kind,
            method=payload.method,
            time_limit=payload.time_limit,
            samples=payload.samples,
            seed=payload.seed,
            mean_delay_days=payload.mean_delay_days,
        )
    except StressError as exc:
        field = "samples" if payload.kind == "delays" and not payload.samples else "__all__"
        raise ValidationError({field: str(exc)}) from exc
    return Status(202, run)


@router.get(
    "/stress-runs/{run_id}", response={200: StressRunOut, **STRESS_READ_ERRORS}, summary="Poll a stress run"
)
def get_stress_run(request: HttpRequest, run_id: Id) -> StressRun:
    """A run's status and cases done of total; once the base is planned, its figures."""
    return _run(request, run_id)


@router.get(
    "/stress-runs/{run_id}/cases",
    response={200: list[StressCaseOut], **STRESS_READ_ERRORS},
    summary="List a stress run's cases",
)
@paginate(Pagination)
def list_stress_cases(
    request: HttpRequest, run_id: Id, status: RunState | None = None
) -> QuerySet[StressCase]:
    """The run's cases in the order they were queued, each with its result once done."""
    run = _run(request, run_id)
    queryset = StressCase.objects.filter(run=run).select_related("run").defer("run__base", "run__base_lines")
    if status:
        queryset = queryset.filter(status=status)
    return queryset.order_by("pk")


@router.get(
    "/stress-runs/{run_id}/report",
    response={200: StressReportOut, **STRESS_READ_ERRORS},
    summary="Read a stress run's report",
)
def get_stress_report(request: HttpRequest, run_id: Id) -> dict[str, Any]:
    """The report of the cases done so far, as on the run's page.

    `withdrawal`: every donor's impact (committed aid included), worst loss with backfill
    first, and the worst loss without backfill; `delays`: the quantiles of pwf and on-time share.
    """
    from nsatu.planner import stress

    run = _run(request, run_id)
    cases = list(run.cases.order_by("pk"))
    done = [dict(c.result) for c in cases if c.status == StressStatus.DONE and c.result]
    report: dict[str, Any] = {
        "run": run.pk,
        "kind": run.kind,
        "status": run.status,
        "cases_total": run.cases_total,
        "cases_done": run.cases_done,
        "cases_failed": [c.key for c in cases if c.status == StressStatus.FAILED],
        "base": dict(run.base) if run.base else None,
        "impacts": [],
        "worst_fixed_loss": None,
        "pwf": None,
        "on_time_share": None,
    }
    if not run.base:
        return report
    base = stress.BaseFigures.from_json(dict(run.base))
    if run.kind == StressKind.WITHDRAWAL:
        withdrawal = stress.WithdrawalReport(base, [stress.DonorImpact.from_json(r) for r in done])
        report["impacts"] = [impact.to_json() for impact in withdrawal.impacts]
        report["worst_fixed_loss"] = withdrawal.worst_fixed_loss
    else:
        delays = stress.DelayReport(
            base, run.seed, run.mean_delay_days, [stress.DelaySample.from_json(r) for r in done]
        )
        report["pwf"] = delays.pwf
        report["on_time_share"] = delays.on_time_share
    return report
