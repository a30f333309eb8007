"""Stress tests of a plan: donors withdrawing, lead times slipping.

Two families of cases, each a pure function of (scenario, base plan,
parameters) so that a task queue can run them one by one on many workers:

- `withdrawal_case`: re-plan without one donor's offers (marked withdrawn in a
  copy of the scenario) and compare with the base plan: pwf lost, requirements
  that fall below 50 % fulfilment, capabilities left with nothing.
- `delay_case`: draw a random extra delay for every route (seeded by
  ``(seed, index)``, so one sample never depends on the others), keep the
  plan's allocations and push each line's arrival to the delayed earliest week
  through its hub; lines pushed past the horizon are lost.

`donor_withdrawal` and `delays` run all cases in turn and gather the reports.

Over a database whose approved plans committed aid, `committed_base_figures`
and `committed_withdrawal_case` count committed aid too: the base is what is
committed plus the plan of the uncommitted remainder, counted on the whole
scenario (every requirement at its full quantity); a case withdraws what the
donor committed (as much as a political shift could take back) and its
uncommitted offers, and reports the loss without backfill (its aid simply
gone) and with backfill (a re-plan of the remainder keeping every other
commitment fixed, the re-plan the backfill action runs).
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from nsatu.planner.metrics import compute_metrics, line_values
from nsatu.planner.plan import Plan
from nsatu.planner.progress import ProgressCallback, ProgressEvent, ignore_progress
from nsatu.planner.robust import fixed_plan_losses
from nsatu.planner.scenario import FloatArray, IntArray, Scenario

BELOW = 0.5  # a requirement "falls below" when its fulfilment drops under this share
DEFAULT_MEAN_DELAY_DAYS = 14.0


# ----------------------------------------------------------------------------
# Figures of a plan the cases compare against


@dataclass(frozen=True)
class BaseFigures:
    """What the cases need to know of the base plan (JSON-ready)."""

    method: str
    pwf: float
    on_time_share: float
    objective: float
    fulfilment: dict[str, float]  # requirement id -> allocated / required quantity (0..1)
    covered: list[str]  # capability codes that receive anything
    capability_pwf: dict[str, float]  # capability -> its share of pwf (value for it / sum of all weights)
    fixed_losses: dict[str, float]  # donor -> pwf lost if its lines vanish and nothing is re-planned
    committed_pwf: float = 0.0  # of the pwf, what approved plans commit (0 when only a plan is stressed)

    def to_json(self) -> dict[str, object]:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, object]) -> BaseFigures:
        return cls(**data)  # type: ignore[arg-type]


def fulfilment(s: Scenario, plan: Plan) -> FloatArray:
    """Per requirement: allocated quantity over required quantity, at most 1."""
    allocated = np.zeros(len(s.requirements.ids))
    positive = plan.alloc_quantity > 0
    np.add.at(allocated, plan.alloc_requirement[positive], plan.alloc_quantity[positive])
    return np.asarray(np.minimum(allocated / s.requirements.quantity, 1.0), dtype=np.float64)


def covered_capabilities(s: Scenario, plan: Plan) -> list[str]:
    """Capability codes of the requirements that receive anything."""
    share = fulfilment(s, plan)
    caps = {int(c) for c in s.requirements.capability[share > 0]}
    return sorted(s.capability_codes[c] for c in caps)


def capability_pwf(s: Scenario, plan: Plan) -> dict[str, float]:
    """Per capability code: the pwf its requirements contribute (they sum to the plan's pwf)."""
    total = float(s.requirements.weight.sum())
    value = np.zeros(len(s.capability_codes))
    if plan.n_lines and total > 0:
        unit_weight, tau, _ = line_values(s, plan)
        caps = s.requirements.capability[plan.alloc_requirement]
        np.add.at(value, caps, unit_weight * tau * plan.alloc_quantity / total)
    return {code: float(value[c]) for c, code in enumerate(s.capability_codes)}


def base_figures(s: Scenario, plan: Plan) -> BaseFigures:
    """The base plan's figures, computed once."""
    metrics = plan.metrics if "pwf" in plan.metrics else compute_metrics(s, plan)
    share = fulfilment(s, plan)
    return BaseFigures(
        method=plan.method,
        pwf=float(metrics["pwf"]),  # type: ignore[arg-type]
        on_time_share=float(metrics["on_time_share"]),  # type: ignore[arg-type]
        objective=float(metrics["objective"]),  # type: ignore[arg-type]
        fulfilment={s.requirements.ids[r]: float(share[r]) for r in range(share.shape[0])},
        covered=covered_capabilities(s, plan),
        capability_pwf=capability_pwf(s, plan),
        fixed_losses=fixed_plan_losses(s, plan),
    )


def donors_with_offers(s: Scenario) -> list[str]:
    """Donor codes that offer anything not withdrawn, sorted."""
    live = ~s.offers.withdrawn
    return sorted({s.nations.codes[int(d)] for d in s.offers.donor[live]})


# ----------------------------------------------------------------------------
# Donor withdrawal


@dataclass
class DonorImpact:
    """What one donor's withdrawal does, after re-planning without its offers."""

    donor: str
    offers: int  # offers withdrawn with it
    pwf: float  # of the re-planned plan
    pwf_loss: float  # base pwf - re-planned pwf (re-planning may recover part of the fixed loss)
    fixed_loss: float  # pwf the base plan loses if the donor's lines vanish and nothing is re-planned
    below_half: list[str]  # requirements at >= 50 % in the base plan, under 50 % now
    uncovered: list[str]  # capabilities that received something in the base plan, nothing now
    capability_loss: dict[str, float]  # capability -> pwf it loses (only those that lose), largest first
    status: str  # the re-plan's status
    seconds: float
    committed_loss: float = 0.0  # of fixed_loss, the pwf of the committed aid it takes back
    committed_lines: int = 0  # approved lines it takes aid back from

    @property
    def recovered(self) -> float:
        """pwf the re-plan (backfill) wins back of the loss without it."""
        return self.fixed_loss - self.pwf_loss

    def to_json(self) -> dict[str, object]:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, object]) -> DonorImpact:
        return cls(**data)  # type: ignore[arg-type]


@dataclass
class WithdrawalReport:
    """Every donor's impact, worst first."""

    base: BaseFigures
    impacts: list[DonorImpact] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.impacts.sort(key=lambda i: (-i.pwf_loss, i.donor))

    @property
    def worst(self) -> DonorImpact | None:
        return self.impacts[0] if self.impacts else None

    @property
    def worst_fixed_loss(self) -> float:
        return max(self.base.fixed_losses.values(), default=0.0)


def without_donor(s: Scenario, donor: str) -> Scenario:
    """A copy of ``s`` in which every offer of ``donor`` is withdrawn."""
    d = s.nations.index[donor]
    return dataclasses.replace(
        s, offers=dataclasses.replace(s.offers, withdrawn=s.offers.withdrawn | (s.offers.donor == d))
    )


def withdrawal_case(
    s: Scenario,
    base: Plan,
    donor: str,
    *,
    method: str = "optimal",
    time_limit: float = 10.0,
    figures: BaseFigures | None = None,
) -> DonorImpact:
    """Re-plan ``s`` without ``donor``'s offers and compare with ``base``."""
    from nsatu.planner.methods import run_method

    started = time.perf_counter()
    figures = figures or base_figures(s, base)
    reduced = without_donor(s, donor)
    # the base plan, its withdrawn lines dropped by the optimiser, is a good start
    plan = run_method(reduced, method, time_limit=time_limit, warm_start=base if method != "robust" else None)
    return _impact(reduced, plan, figures, donor, live_offers(s, donor), plan.status, started)


def live_offers(s: Scenario, donor: str) -> int:
    """How many offers of ``donor`` in ``s`` are not withdrawn."""
    d = s.nations.index[donor]
    return int(np.count_nonzero((s.offers.donor == d) & ~s.offers.withdrawn))


def _impact(
    s: Scenario, plan: Plan, figures: BaseFigures, donor: str, offers: int, status: str, started: float
) -> DonorImpact:
    """``plan`` (on ``s``, the scenario its pwf counts on) beside the base figures."""
    metrics = plan.metrics if "pwf" in plan.metrics else compute_metrics(s, plan)
    pwf = float(metrics["pwf"])  # type: ignore[arg-type]
    share = fulfilment(s, plan)
    below = [
        rid
        for r, rid in enumerate(s.requirements.ids)
        if figures.fulfilment.get(rid, 0.0) >= BELOW and share[r] < BELOW
    ]
    still = set(covered_capabilities(s, plan))
    now = capability_pwf(s, plan)
    hurt = {c: v - now.get(c, 0.0) for c, v in figures.capability_pwf.items() if v - now.get(c, 0.0) > 1e-9}
    return DonorImpact(
        donor=donor,
        offers=offers,
        pwf=pwf,
        pwf_loss=figures.pwf - pwf,
        fixed_loss=figures.fixed_losses.get(donor, 0.0),
        below_half=below,
        uncovered=[c for c in figures.covered if c not in still],
        capability_loss=dict(sorted(hurt.items(), key=lambda kv: (-kv[1], kv[0]))),
        status=status,
        seconds=time.perf_counter() - started,
    )


# ----------------------------------------------------------------------------
# Donor withdrawal with committed aid

Line = list[object]  # [offer id, requirement id, hub code, quantity, arrival week] (`plan_lines`)


def lines_pwf(s: Scenario, lines: list[Line]) -> float:
    """The pwf ``lines`` give on ``s`` (pwf is additive over lines)."""
    return float(sum(capability_pwf(s, plan_of_lines(s, lines)).values()))


def lines_of_donor(s: Scenario, lines: list[Line], donor: str) -> list[Line]:
    """The lines whose offer is ``donor``'s (offers ``s`` does not hold are nobody's)."""
    d, index = s.nations.index[donor], s.offers.index
    return [line for line in lines if str(line[0]) in index and int(s.offers.donor[index[str(line[0])]]) == d]


def committed_base_figures(
    full: Scenario,
    committed: list[Line],
    base_lines: list[Line],
    taken: dict[str, list[Line]],
    method: str,
) -> BaseFigures:
    """The base of a stress test over committed aid: ``committed`` (the approved lines as they
    stand) plus ``base_lines`` (the plan of the uncommitted remainder), counted on ``full``.

    ``taken``: per donor, the committed aid its withdrawal would take back. A donor's loss
    without backfill is that aid and its lines in the base plan, gone and not replaced.
    """
    figures = base_figures(full, plan_of_lines(full, committed + base_lines, method))
    donors = sorted(set(donors_with_offers(full)) | set(taken))
    losses = {d: lines_pwf(full, taken.get(d, []) + lines_of_donor(full, base_lines, d)) for d in donors}
    return dataclasses.replace(figures, fixed_losses=losses, committed_pwf=lines_pwf(full, committed))


def committed_withdrawal_case(
    full: Scenario,
    remaining: Scenario,
    kept: list[Line],
    taken: list[Line],
    base_lines: list[Line],
    donor: str,
    *,
    figures: BaseFigures,
    method: str = "optimal",
    time_limit: float = 10.0,
) -> DonorImpact:
    """``donor`` withdraws its committed aid (``taken``) and its uncommitted offers; re-plan.

    ``remaining`` is what a new plan may use once ``taken`` is taken back (the requirements
    it served open again, the hub weeks and crews it held free); ``kept`` the committed lines
    left. The re-plan (backfill) is planned on ``remaining`` without the donor's offers,
    every other commitment fixed; pwf counts on ``full`` with ``kept`` plus the re-plan.
    """
    from nsatu.planner.methods import run_method

    started = time.perf_counter()
    reduced = without_donor(remaining, donor)
    start = plan_of_lines(reduced, base_lines, method) if method != "robust" else None
    backfill = run_method(reduced, method, time_limit=time_limit, warm_start=start)
    after = plan_of_lines(full, kept + plan_lines(reduced, backfill), method)
    impact = _impact(full, after, figures, donor, live_offers(remaining, donor), backfill.status, started)
    impact.committed_loss = lines_pwf(full, taken)
    impact.committed_lines = len(taken)
    return impact


def donor_withdrawal(
    s: Scenario,
    base: Plan,
    *,
    method: str = "optimal",
    time_limit: float = 10.0,
    progress: ProgressCallback | None = None,
    donors: list[str] | None = None,
) -> WithdrawalReport:
    """Re-plan once per donor (all donors with offers unless ``donors`` is given)."""
    report = progress or ignore_progress
    figures = base_figures(s, base)
    chosen = donors if donors is not None else donors_with_offers(s)
    impacts = []
    for k, donor in enumerate(chosen):
        report(ProgressEvent("withdrawal", k / max(len(chosen), 1), message=donor))
        impacts.append(withdrawal_case(s, base, donor, method=method, time_limit=time_limit, figures=figures))
    report(ProgressEvent("done", 1.0, message=f"{len(chosen)} donors"))
    return WithdrawalReport(figures, impacts)


# ----------------------------------------------------------------------------
# Lead-time delays


@dataclass
class DelaySample:
    """One random draw of route delays and what it does to the plan as allocated."""

    index: int
    pwf: float
    on_time_share: float
    lines_late: int  # lines that arrive later than planned
    lines_lost: int  # lines pushed past the horizon
    mean_extra_days: float  # mean extra days over the routes the plan uses

    def to_json(self) -> dict[str, object]:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, object]) -> DelaySample:
        return cls(**data)  # type: ignore[arg-type]


QUANTILES = (("min", 0.0), ("p10", 0.1), ("median", 0.5), ("p90", 0.9), ("max", 1.0))


def distribution(values: list[float]) -> dict[str, float]:
    """min, p10, median, p90, max (linear interpolation); zeros when empty."""
    if not values:
        return {name: 0.0 for name, _ in QUANTILES}
    data = np.asarray(values, dtype=np.float64)
    return {name: float(np.quantile(data, q)) for name, q in QUANTILES}


@dataclass
class DelayReport:
    """The distribution of pwf and on-time share over the samples."""

    base: BaseFigures
    seed: int
    mean_delay_days: float
    samples: list[DelaySample] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.samples.sort(key=lambda x: x.index)

    @property
    def pwf(self) -> dict[str, float]:
        return distribution([x.pwf for x in self.samples])

    @property
    def on_time_share(self) -> dict[str, float]:
        return distribution([x.on_time_share for x in self.samples])


def route_delays(s: Scenario, seed: int, index: int, mean_days: float = DEFAULT_MEAN_DELAY_DAYS) -> IntArray:
    """Extra days per route for sample ``index``: exponential with mean ``mean_days``, rounded.

    Seeded by ``(seed, index)`` alone, so sample k is the same whether it runs
    alone on a worker or among N in one process.
    """
    n_routes = s.routes.donor.shape[0]
    if mean_days <= 0:
        return np.zeros(n_routes, dtype=np.int64)
    rng = np.random.default_rng([seed, index])
    extra = np.asarray(rng.exponential(mean_days, size=n_routes), dtype=np.float64)
    days: IntArray = np.rint(extra).astype(np.int64)
    return days


def delayed_plan(s: Scenario, plan: Plan, extra_days: IntArray) -> tuple[Plan, int, int]:
    """The plan's lines with arrivals pushed by the route delays: (plan, lines late, lines lost).

    A line arrives at the later of its planned week and its delayed earliest
    week through its hub (the shortest route of its donor there, as the
    model takes it). Lines pushed to the horizon or beyond are dropped.
    """
    n_nations, n_hubs = len(s.nations.codes), len(s.hubs.codes)
    lead = np.full((n_nations, n_hubs), -1, dtype=np.int64)
    delay = np.zeros((n_nations, n_hubs), dtype=np.int64)
    if s.routes.donor.size:
        order = np.argsort(-s.routes.lead_days, kind="stable")  # the shortest duplicate wins
        lead[s.routes.donor[order], s.routes.hub[order]] = s.routes.lead_days[order]
        delay[s.routes.donor[order], s.routes.hub[order]] = extra_days[order]
    o, h = plan.alloc_offer, plan.alloc_hub
    donor = s.offers.donor[o]
    days = s.offer_available_day[o] + np.maximum(lead[donor, h], 0) + delay[donor, h]
    earliest = np.maximum(days // 7, 0)
    week = np.maximum(plan.alloc_week, earliest)
    late = int(np.count_nonzero((week > plan.alloc_week) & (plan.alloc_quantity > 0)))
    keep = week < s.horizon_weeks
    lost = int(np.count_nonzero(~keep & (plan.alloc_quantity > 0)))
    pushed = dataclasses.replace(
        plan,
        alloc_offer=o[keep],
        alloc_requirement=plan.alloc_requirement[keep],
        alloc_hub=h[keep],
        alloc_quantity=plan.alloc_quantity[keep],
        alloc_week=week[keep],
        metrics={},
    )
    return pushed, late, lost


def delay_case(
    s: Scenario, base: Plan, *, seed: int, index: int, mean_days: float = DEFAULT_MEAN_DELAY_DAYS
) -> DelaySample:
    """Sample ``index`` of the delay stress test (see the module docstring)."""
    extra = route_delays(s, seed, index, mean_days)
    pushed, late, lost = delayed_plan(s, base, extra)
    metrics = compute_metrics(s, pushed)
    used = np.zeros(len(s.routes.donor), bool)
    if base.n_lines and s.routes.donor.size:
        pairs = set(zip(s.offers.donor[base.alloc_offer].tolist(), base.alloc_hub.tolist(), strict=True))
        used = np.array(
            [(int(d), int(h)) in pairs for d, h in zip(s.routes.donor, s.routes.hub, strict=True)]
        )
    return DelaySample(
        index=index,
        pwf=float(metrics["pwf"]),  # type: ignore[arg-type]
        on_time_share=float(metrics["on_time_share"]),  # type: ignore[arg-type]
        lines_late=late,
        lines_lost=lost,
        mean_extra_days=float(extra[used].mean()) if used.any() else 0.0,
    )


def delays(
    s: Scenario,
    base: Plan,
    n: int,
    seed: int,
    *,
    mean_days: float = DEFAULT_MEAN_DELAY_DAYS,
    progress: ProgressCallback | None = None,
) -> DelayReport:
    """``n`` seeded samples of route delays applied to the plan as allocated."""
    report = progress or ignore_progress
    samples = []
    for k in range(n):
        if k % 10 == 0:
            report(ProgressEvent("delays", k / max(n, 1), message=f"sample {k + 1} of {n}"))
        samples.append(delay_case(s, base, seed=seed, index=k, mean_days=mean_days))
    report(ProgressEvent("done", 1.0, message=f"{n} samples"))
    return DelayReport(base_figures(s, base), seed, mean_days, samples)


# ----------------------------------------------------------------------------
# A plan as JSON, for cases that run apart from the process that planned it


def plan_lines(s: Scenario, plan: Plan) -> list[list[object]]:
    """The plan's non-zero lines as [offer_id, requirement_id, hub, quantity, week]."""
    return [
        [
            s.offers.ids[int(plan.alloc_offer[k])],
            s.requirements.ids[int(plan.alloc_requirement[k])],
            s.hubs.codes[int(plan.alloc_hub[k])],
            float(plan.alloc_quantity[k]),
            int(plan.alloc_week[k]),
        ]
        for k in range(plan.n_lines)
        if plan.alloc_quantity[k] > 0
    ]


def plan_of_lines(s: Scenario, lines: list[list[object]], method: str = "base") -> Plan:
    """`plan_lines` read back; lines naming what the scenario no longer has are dropped."""
    offers, requirements, hubs = s.offers.index, s.requirements.index, s.hubs.index
    kept = [
        (offers[str(o)], requirements[str(r)], hubs[str(h)], float(str(q)), int(str(w)))
        for o, r, h, q, w in lines
        if str(o) in offers and str(r) in requirements and str(h) in hubs
    ]

    def column(k: int, dtype: type) -> npt.NDArray[np.generic]:
        return np.array([line[k] for line in kept], dtype=dtype)

    return Plan(
        method=method,
        status="feasible",
        alloc_offer=column(0, np.int64).astype(np.int64),
        alloc_requirement=column(1, np.int64).astype(np.int64),
        alloc_hub=column(2, np.int64).astype(np.int64),
        alloc_quantity=column(3, np.float64).astype(np.float64),
        alloc_week=column(4, np.int64).astype(np.int64),
    )
