"""The trade-off between fulfilment and fleet complexity: the best plan with at most K new families.

Every new platform family brings its own training, spare parts and maintenance
(a Mirage beside the F-16s). The optimal method weighs that through each family's
introduction cost; the frontier shows the choice itself: for K = 0, 1, 2, ... the
best plan that introduces at most K families, each with a bound.

The points come from one sweep of a *family price* pi >= 0 added to every new
family's introduction cost (the scenario otherwise unchanged), solved by the
optimal method. A plan P that introduces n(P) families has objective
``obj(P) = obj_pi(P) + pi * n(P)``, so for every plan with at most K new families

    obj(P) <= B(pi) + pi * K,

where B(pi) is a true bound of the priced scenario. Each point therefore carries
the least of ``B(pi) + pi * K`` over the prices tried (pi = infinity: the new
families excluded, which is exact for K = 0), and the best plan found with at
most K new families, which is also a point for every larger K: pwf and objective
never fall as K grows.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass

import numpy as np

from nsatu.planner.metrics import compute_metrics, objective_of
from nsatu.planner.optimal import plan_optimal
from nsatu.planner.plan import Plan
from nsatu.planner.progress import ProgressCallback, ProgressEvent, ignore_progress
from nsatu.planner.scenario import Scenario

# Family prices tried, as multiples of the mean introduction cost (infinity last: none introduced).
PRICE_STEPS = (0.0, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0, np.inf)


@dataclass
class FrontierPoint:
    """The best plan found with at most ``limit`` new families, and a bound over all such plans."""

    limit: int
    plan: Plan
    new_families: list[str]
    objective: float
    pwf: float
    on_time_share: float
    bound: float | None

    @property
    def gap(self) -> float | None:
        if self.bound is None:
            return None
        return max(0.0, (self.bound - self.objective) / max(1.0, abs(self.bound)))

    def row(self, s: Scenario) -> dict[str, object]:
        """The point as a row of frontier.csv."""
        used = self.plan.metrics.get("families_per_capability", {})
        families = sum(int(v) for v in used.values()) if isinstance(used, dict) else 0
        return {
            "new_families": self.limit,
            "introduced": len(self.new_families),
            "families": families,
            "pwf": self.pwf,
            "on_time_share": self.on_time_share,
            "objective": self.objective,
            "bound": self.bound,
            "gap": self.gap,
            "introduced_codes": ";".join(self.new_families),
        }


def priced(s: Scenario, price: float) -> Scenario:
    """The scenario with ``price`` added to every new family's cost (infinite: new families excluded)."""
    new = ~s.families.in_service
    if np.isinf(price):
        ok = s.requirements.family_ok & ~new[None, :]
        return dataclasses.replace(s, requirements=dataclasses.replace(s.requirements, family_ok=ok))
    cost = s.families.cost + np.where(new, price, 0.0)
    return dataclasses.replace(s, families=dataclasses.replace(s.families, cost=cost))


def plan_frontier(
    s: Scenario,
    *,
    max_families: int | None = None,
    time_limit: float = 60.0,
    gap: float = 1e-3,
    progress: ProgressCallback | None = None,
) -> list[FrontierPoint]:
    """The frontier for K = 0 .. ``max_families`` (default: as many as the unpriced plan introduces)."""
    report = progress or ignore_progress
    started = time.perf_counter()
    new = ~s.families.in_service
    mean_cost = float(s.families.cost[new].mean()) if new.any() else 1.0
    prices = [step * mean_cost for step in PRICE_STEPS]
    found: list[tuple[int, Plan]] = []
    certificates: list[tuple[float, float]] = []  # (price, bound of the priced scenario)
    for n, price in enumerate(prices):
        left = time_limit - (time.perf_counter() - started)
        share = left / (len(prices) - n)
        if share < 0.2:
            break
        scenario = priced(s, price)
        plan = plan_optimal(scenario, time_limit=share, gap=gap)
        plan.metrics = compute_metrics(s, plan) | {"family_price": price}
        count = len(plan.metrics["new_families"])  # type: ignore[arg-type]
        found.append((count, plan))
        if plan.bound is not None:
            certificates.append((price, float(plan.bound)))
        report(
            ProgressEvent(
                "frontier",
                (n + 1) / len(prices),
                objective_of(s, plan),
                message=f"family price {price:.3g}: {count} new families",
            )
        )
    most = max((count for count, _ in found), default=0)
    top = most if max_families is None else max_families
    points: list[FrontierPoint] = []
    for limit in range(top + 1):
        within = [plan for count, plan in found if count <= limit]
        if not within:
            continue
        best = max(within, key=lambda p: objective_of(s, p))
        bounds = [b + (0.0 if np.isinf(price) else price * limit) for price, b in certificates]
        # the infinite price bounds only the plans with no new family
        bounds = [
            b for (price, _), b in zip(certificates, bounds, strict=True) if not (np.isinf(price) and limit)
        ]
        bound = min(bounds) if bounds else None
        # the point's plan claims the point's bound (at most K families), not its priced scenario's
        chosen = dataclasses.replace(
            best, bound=bound, status="feasible", message=f"at most {limit} new families"
        )
        metrics = compute_metrics(s, chosen) | {
            "family_price": best.metrics.get("family_price"),
            "max_new_families": limit,
        }
        chosen.metrics = metrics
        points.append(
            FrontierPoint(
                limit=limit,
                plan=chosen,
                new_families=list(metrics["new_families"]),  # type: ignore[call-overload]
                objective=float(metrics["objective"]),  # type: ignore[arg-type]
                pwf=float(metrics["pwf"]),  # type: ignore[arg-type]
                on_time_share=float(metrics["on_time_share"]),  # type: ignore[arg-type]
                bound=bound,
            )
        )
    return points
