"""Priority-weighted fulfilment of what is committed, before and after aid is taken back.

The figures are FORMAT.md's pwf over the whole scenario as stored (every
requirement not cancelled or retired, at its full quantity), of a set of lines:
the approved lines as they still commit, with or without what a decommitment
took back, and with or without a backfill run's lines. They come from the
planner's one metrics implementation (``nsatu.planner.stress.capability_pwf``).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from django.utils import timezone

from nsatu.commitments.models import Decommitment
from nsatu.nations.models import Nation
from nsatu.planner.scenario import Scenario
from nsatu.planner.stress import capability_pwf, plan_of_lines
from nsatu.planning.models import Allocation, PlanRun, RunStatus, active_line_quantities, uncommitted

Line = list[object]  # [offer id, requirement id, hub code, quantity, arrival week] (stress.plan_lines)


def committed_lines(
    *, exclude_run: PlanRun | None = None, taken_back: Mapping[int, float] | None = None
) -> list[Line]:
    """The approved lines as they still commit (less what was taken back), as plan lines;
    ``taken_back`` (line key -> quantity): less that too, as if it had been withdrawn."""
    approved = Allocation.objects.filter(run__approved_at__isnull=False).select_related(
        "offer", "requirement", "hub"
    )
    if exclude_run is not None:
        approved = approved.exclude(run=exclude_run)
    rows = list(approved.order_by("pk"))
    active = active_line_quantities(rows)
    for key, quantity in (taken_back or {}).items():
        if key in active:
            active[key] = uncommitted(active[key], quantity)
    return [
        [line.offer.code, line.requirement.code, line.hub.code, active[line.pk], line.arrival_week]
        for line in rows
        if active[line.pk] > 0
    ]


@dataclass
class DonorExit:
    """What a political shift of one donor, effective today, would take back of its committed aid."""

    donor: str
    cuts: dict[int, float]  # approved line key -> quantity taken back
    taken: list[Line]  # the same, as plan lines


def donor_exit(donor: Nation, *, today: dt.date | None = None) -> DonorExit:
    """The committed aid ``withdraw_donor`` would take back of ``donor`` now (nothing is written):
    every line's quantity not yet dispatched (aid on its way or received stays)."""
    from nsatu.commitments.services import plan_donor_exit, planning_horizon

    today = today or timezone.localdate()
    # past the horizon nothing planned is left to leave: the horizon's last day takes all of it too
    plan = plan_donor_exit(donor, effective_on=min(today, planning_horizon()[1]), today=today)
    taken: list[Line] = [
        [
            plan.lines[key].offer.code,
            plan.lines[key].requirement.code,
            plan.lines[key].hub.code,
            quantity,
            plan.lines[key].arrival_week,
        ]
        for key, quantity in sorted(plan.line_cuts.items())
    ]
    return DonorExit(donor.iso3, dict(plan.line_cuts), taken)


def donor_exits(*, today: dt.date | None = None) -> dict[str, DonorExit]:
    """``donor_exit`` of every donor with committed aid a political shift could take back now."""
    donors = Nation.objects.filter(
        pk__in=Allocation.objects.filter(run__approved_at__isnull=False).values("offer__donor_id")
    ).order_by("iso3")
    exits = {n.iso3: donor_exit(n, today=today) for n in donors}
    return {code: e for code, e in exits.items() if e.cuts}


def decommitted_lines(decommitment: Decommitment) -> list[Line]:
    """What ``decommitment`` took back, as plan lines (the quantities it took off each line)."""
    return [
        [
            cut.allocation.offer.code,
            cut.allocation.requirement.code,
            cut.allocation.hub.code,
            cut.quantity,
            cut.allocation.arrival_week,
        ]
        for cut in decommitment.lines.select_related(
            "allocation__offer", "allocation__requirement", "allocation__hub"
        ).order_by("pk")
    ]


def run_lines(run: PlanRun) -> list[Line]:
    """A run's own lines, as plan lines."""
    return [
        [line.offer.code, line.requirement.code, line.hub.code, line.quantity, line.arrival_week]
        for line in run.allocations.select_related("offer", "requirement", "hub").order_by("pk")
    ]


def pwf_by_capability(s: Scenario, lines: Iterable[Line]) -> dict[str, float]:
    """Per capability code: the pwf its requirements get of ``lines`` (they sum to the total pwf)."""
    return capability_pwf(s, plan_of_lines(s, [list(line) for line in lines]))


def quantity_by_requirement(lines: Iterable[Line]) -> dict[str, float]:
    totals: dict[str, float] = defaultdict(float)
    for _offer, requirement, _hub, quantity, _week in lines:
        totals[str(requirement)] += float(str(quantity))
    return dict(totals)


@dataclass
class RequirementAtRisk:
    """A requirement a decommitment took aid from: committed before, after, and with the backfill."""

    code: str
    title: str
    capability: str
    priority: int
    quantity: float
    before: float
    after: float
    backfilled: float | None  # None until the backfill run is done
    whole: bool = False  # counted in whole units (the items that served it are)

    @property
    def covered(self) -> bool | None:
        """Whether the backfill gives it back at least what was taken."""
        return (
            None if self.backfilled is None else self.backfilled >= self.before - 1e-6 * max(1.0, self.before)
        )


@dataclass
class BackfillReport:
    """Before and after a decommitment, per capability, and what the backfill run would give back."""

    decommitment: Decommitment
    run: PlanRun | None
    capabilities: list[tuple[str, float, float, float | None]] = field(default_factory=list)
    total: tuple[float, float, float | None] = (0.0, 0.0, None)
    requirements: list[RequirementAtRisk] = field(default_factory=list)

    @property
    def ready(self) -> bool:
        """The backfill run finished and can be approved."""
        return self.run is not None and self.run.status == RunStatus.DONE and self.run.approved_at is None


def backfill_report(decommitment: Decommitment) -> BackfillReport:
    """pwf per capability before the decommitment, after it, and after its backfill run (when done).

    An approved backfill run's lines count in "after backfill" only, not in "after".
    """
    from nsatu.planning.adapters import scenario_from_db

    s = scenario_from_db(remaining=False)
    run = (  # as it is now
        PlanRun.objects.filter(pk=decommitment.backfill_run_id).first()
        if decommitment.backfill_run_id is not None
        else None
    )
    approved_backfill = run if run is not None and run.approved_at is not None else None
    now = committed_lines(exclude_run=approved_backfill)
    taken = decommitted_lines(decommitment)
    backfill = run_lines(run) if run is not None and run.status == RunStatus.DONE else None
    before, after = pwf_by_capability(s, now + taken), pwf_by_capability(s, now)
    filled = pwf_by_capability(s, now + backfill) if backfill is not None else None
    report = BackfillReport(decommitment, run)
    for code in s.capability_codes:
        report.capabilities.append(
            (code, before[code], after[code], None if filled is None else filled[code])
        )
    report.total = (
        sum(before.values()),
        sum(after.values()),
        None if filled is None else sum(filled.values()),
    )
    served_now, served_taken = quantity_by_requirement(now), quantity_by_requirement(taken)
    served_backfill = quantity_by_requirement(backfill or [])
    index = s.requirements.index
    whole: dict[str, bool] = {}
    for cut in decommitment.lines.select_related("allocation__requirement", "allocation__offer__item_type"):
        code = cut.allocation.requirement.code
        whole[code] = whole.get(code, True) and cut.allocation.offer.item_type.is_whole
    for code in sorted(served_taken):
        if code not in index:
            continue  # cancelled or retired since: no longer asks for anything
        r = index[code]
        after_q = served_now.get(code, 0.0)
        report.requirements.append(
            RequirementAtRisk(
                code=code,
                title=str((s.extra_columns.get("requirements") or [{}] * (r + 1))[r].get("title", "")),
                capability=s.capability_codes[int(s.requirements.capability[r])],
                priority=int(s.requirements.priority[r]),
                quantity=float(s.requirements.quantity[r]),
                before=after_q + served_taken[code],
                after=after_q,
                backfilled=None if backfill is None else after_q + served_backfill.get(code, 0.0),
                whole=whole.get(code, False),
            )
        )
    return report
