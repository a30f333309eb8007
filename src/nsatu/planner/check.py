"""An independent check of a plan against FORMAT.md's eight feasibility rules.

Written apart from the model builder and the heuristics on purpose: it shares
no code with them, uses plain loops over the plan's lines, and reads the
rules the way an outside auditor would.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from nsatu.planner.io import ScenarioError, read_scenario
from nsatu.planner.io.plans import read_plan
from nsatu.planner.plan import Plan
from nsatu.planner.scenario import Scenario

# FORMAT.md tolerances
SUM_TOLERANCE = 1e-6
INTEGER_TOLERANCE = 1e-9
METRIC_TOLERANCE = 1e-6


@dataclass(frozen=True)
class Violation:
    """One broken rule. ``rule`` is FORMAT.md's rule number 1..8; 0 means the
    plan files themselves are unreadable or metrics.json disagrees with them."""

    rule: int
    message: str

    def __str__(self) -> str:
        return f"rule {self.rule}: {self.message}" if self.rule else self.message


def _over(total: float, bound: float) -> bool:
    return total > bound + SUM_TOLERANCE * max(1.0, abs(bound))


def _week_of(s: Scenario, days: int) -> int:
    return max(0, days // 7)


def check_plan(s: Scenario, plan: Plan) -> list[Violation]:
    """Every violation of FORMAT.md's feasibility rules by ``plan`` (empty = valid)."""
    found: list[Violation] = []
    n_offers, n_reqs, n_hubs = len(s.offers.ids), len(s.requirements.ids), len(s.hubs.codes)
    lead: dict[tuple[int, int], int] = {}
    for k in range(len(s.routes.donor)):
        lead[(int(s.routes.donor[k]), int(s.routes.hub[k]))] = int(s.routes.lead_days[k])

    offered: dict[int, float] = defaultdict(float)
    received: dict[int, float] = defaultdict(float)
    tonnes: dict[tuple[int, int], float] = defaultdict(float)
    arrivals: dict[int, dict[int, float]] = defaultdict(lambda: defaultdict(float))

    for k in range(plan.n_lines):
        o, r, h = int(plan.alloc_offer[k]), int(plan.alloc_requirement[k]), int(plan.alloc_hub[k])
        q, week = float(plan.alloc_quantity[k]), int(plan.alloc_week[k])
        line = f"line {k + 1}"
        if not 0 <= o < n_offers:
            found.append(Violation(1, f"{line}: no such offer (position {o})"))
            continue
        if not 0 <= r < n_reqs:
            found.append(Violation(2, f"{line}: no such requirement (position {r})"))
            continue
        if not 0 <= h < n_hubs:
            found.append(Violation(5, f"{line}: no such hub (position {h})"))
            continue
        oid, rid, hub = s.offers.ids[o], s.requirements.ids[r], s.hubs.codes[h]
        item = int(s.offers.item[o])
        family = int(s.items.family[item])
        what = f"offer {oid} -> requirement {rid} via {hub} in week {week}"

        # rule 8: positive, whole where the unit is `each`
        if not q > 0:
            found.append(Violation(8, f"{what}: quantity {q} is not > 0"))
        elif s.items.unit[item].strip().lower() == "each" and abs(q - round(q)) > INTEGER_TOLERANCE:
            found.append(
                Violation(8, f"{what}: quantity {q} of {s.items.codes[item]} (unit each) is not whole")
            )

        # rule 1 (withdrawn part): withdrawn offers get nothing
        if s.offers.withdrawn[o] and q != 0:
            found.append(Violation(1, f"{what}: offer {oid} is withdrawn"))

        # rule 3: family has the capability and is accepted
        fam_code = s.families.codes[family]
        if int(s.families.capability[family]) != int(s.requirements.capability[r]):
            found.append(
                Violation(
                    3,
                    f"{what}: family {fam_code} provides "
                    f"{s.capability_codes[int(s.families.capability[family])]}, requirement {rid} needs "
                    f"{s.capability_codes[int(s.requirements.capability[r])]}",
                )
            )
        elif s.requirements.accepts[r] and fam_code not in s.requirements.accepts[r]:
            found.append(Violation(3, f"{what}: requirement {rid} does not accept family {fam_code}"))

        # rule 4: earmarks
        earmark = int(s.offers.earmark[o])
        if earmark >= 0 and earmark != r:
            found.append(Violation(4, f"{what}: offer {oid} is earmarked for {s.requirements.ids[earmark]}"))

        # rule 5: route, earliest arrival, horizon
        donor = int(s.offers.donor[o])
        days = lead.get((donor, h))
        if days is None:
            found.append(Violation(5, f"{what}: no route from {s.nations.codes[donor]} through {hub}"))
        else:
            arrival_day = (s.offers.available_from[o] - s.start_date).days + days
            earliest = _week_of(s, arrival_day)
            if week < earliest:
                found.append(Violation(5, f"{what}: arrives before its earliest week {earliest}"))
        if week >= s.horizon_weeks:
            found.append(Violation(5, f"{what}: week {week} is not before the horizon {s.horizon_weeks}"))
        if week < 0:
            found.append(Violation(5, f"{what}: week {week} is negative"))

        offered[o] += q
        received[r] += q
        tonnes[(h, week)] += q * float(s.items.mass_t[item])
        if s.families.crew_per_unit[family] > 0:
            arrivals[family][week] += q

    # rule 1: per offer
    for o, total in sorted(offered.items()):
        if _over(total, float(s.offers.quantity[o])):
            found.append(
                Violation(
                    1, f"offer {s.offers.ids[o]}: {total:g} allocated, {s.offers.quantity[o]:g} offered"
                )
            )
    # rule 2: per requirement
    for r, total in sorted(received.items()):
        if _over(total, float(s.requirements.quantity[r])):
            found.append(
                Violation(
                    2,
                    f"requirement {s.requirements.ids[r]}: {total:g} allocated, "
                    f"{s.requirements.quantity[r]:g} required",
                )
            )
    # rule 6: per hub and week, after what committed plans bring through it
    committed = s.hubs.committed_t
    for (h, week), total in sorted(tonnes.items()):
        used = float(committed[h, week]) if committed.size and 0 <= week < committed.shape[1] else 0.0
        # weightless lines take no hub room, even in a week committed plans overfill
        if total > 0 and _over(total + used, float(s.hubs.capacity_t[h])):
            already = f", {used:g} t of it committed by approved plans" if used else ""
            found.append(
                Violation(
                    6,
                    f"hub {s.hubs.codes[h]} in week {week}: {total:g} t arriving, "
                    f"capacity {s.hubs.capacity_t[h]:g} t{already}",
                )
            )
    found.extend(_check_crews(s, plan, arrivals))
    return found


def _check_crews(s: Scenario, plan: Plan, arrivals: dict[int, dict[int, float]]) -> list[Violation]:
    found: list[Violation] = []
    seats = [float(x) for x in s.courses.seats]
    if plan.seats_used is not None:
        if len(plan.seats_used) != len(s.courses.ids):
            return [
                Violation(
                    7, f"seats_used has {len(plan.seats_used)} entries for {len(s.courses.ids)} courses"
                )
            ]
        seats = [float(x) for x in plan.seats_used]
        for c, used in enumerate(seats):
            if not math.isfinite(used) or used < -SUM_TOLERANCE:
                found.append(Violation(7, f"course {s.courses.ids[c]}: seats_used {used:g} is negative"))
            elif _over(used, float(s.courses.seats[c])):
                found.append(
                    Violation(7, f"course {s.courses.ids[c]}: {used:g} seats used of {s.courses.seats[c]:g}")
                )
    taken_by_committed = s.crews_committed()
    for family in sorted(arrivals):
        crew = float(s.families.crew_per_unit[family])
        ready: list[tuple[int, float]] = []
        for c in range(len(s.courses.ids)):
            if int(s.courses.family[c]) == family:
                start_week = _week_of(s, (s.courses.start[c] - s.start_date).days)
                ready.append((start_week + int(s.courses.duration_weeks[c]), seats[c]))
        units = 0.0
        # With committed plans, crews they take later can run short after this plan's last arrival.
        weeks = sorted(arrivals[family])
        if s.families.committed_crews.size:
            weeks = list(range(min(weeks), max(s.horizon_weeks, max(weeks) + 1)))
        for week in weeks:
            units += arrivals[family].get(week, 0.0)
            trained = float(s.families.existing_crews[family]) + sum(n for w, n in ready if w <= week)
            taken = float(taken_by_committed[family, week]) if week < s.horizon_weeks else 0.0
            if _over(crew * units, trained - taken):
                already = f" ({taken:g} of them taken by approved plans)" if taken else ""
                found.append(
                    Violation(
                        7,
                        f"family {s.families.codes[family]} in week {week}: {units:g} units need "
                        f"{crew * units:g} crew, {trained:g} trained by then{already}",
                    )
                )
    return found


def _agree(a: float, b: float) -> bool:
    return abs(a - b) <= METRIC_TOLERANCE * max(1.0, abs(a), abs(b))


def _recompute(s: Scenario, plan: Plan) -> dict[str, object]:
    """FORMAT.md's figures, recomputed here with plain loops (no shared code with metrics.py)."""
    value = 0.0
    weighted = 0.0
    on_time = 0.0
    used: set[int] = set()
    for k in range(plan.n_lines):
        r, q = int(plan.alloc_requirement[k]), float(plan.alloc_quantity[k])
        w = 2.0 ** (5 - int(s.requirements.priority[r]))
        due = _week_of(s, (s.requirements.needed_by[r] - s.start_date).days)
        late = int(plan.alloc_week[k]) - due
        tau = 1.0 if late <= 0 else 2.0 ** (-late / s.lateness_half_life_weeks)
        per_unit = w / float(s.requirements.quantity[r])
        value += per_unit * tau * q
        weighted += per_unit * q
        if late <= 0:
            on_time += per_unit * q
        if q > 0:
            used.add(int(s.items.family[int(s.offers.item[int(plan.alloc_offer[k])])]))
    new = sorted(s.families.codes[f] for f in used if not s.families.in_service[f])
    cost = sum(float(s.families.cost[s.families.codes.index(code)]) for code in new)
    total_w = sum(2.0 ** (5 - int(p)) for p in s.requirements.priority)
    return {
        "objective": value - cost,
        "pwf": value / total_w if total_w > 0 and plan.n_lines else 0.0,
        "on_time_share": on_time / weighted if weighted > 0 else 0.0,
        "new_families": new,
    }


def check_metrics(s: Scenario, plan: Plan, stated: dict[str, object]) -> list[Violation]:
    """Disagreements between stated metrics (metrics.json) and a recomputation."""
    found: list[Violation] = []
    actual = _recompute(s, plan)
    for key in ("objective", "pwf", "on_time_share", "new_families", "solve_seconds", "method"):
        if key not in stated:
            found.append(Violation(0, f"metrics.json: {key} is missing"))
    for key in ("objective", "pwf", "on_time_share"):
        value = stated.get(key)
        if key not in stated:
            continue
        if isinstance(value, bool) or not isinstance(value, int | float):
            found.append(Violation(0, f"metrics.json: {key} is not a number"))
        elif not _agree(float(value), float(actual[key])):  # type: ignore[arg-type]
            found.append(Violation(0, f"metrics.json: {key} is {value}, recomputed {actual[key]}"))
    families = stated.get("new_families")
    if "new_families" in stated and (
        not isinstance(families, list) or sorted(str(f) for f in families) != actual["new_families"]
    ):
        found.append(
            Violation(0, f"metrics.json: new_families is {families}, recomputed {actual['new_families']}")
        )
    bound = stated.get("bound")
    if bound is not None:
        if isinstance(bound, bool) or not isinstance(bound, int | float):
            found.append(Violation(0, "metrics.json: bound is not a number"))
        elif float(bound) < float(actual["objective"]) - METRIC_TOLERANCE * max(1.0, abs(float(bound))):  # type: ignore[arg-type]
            found.append(Violation(0, f"metrics.json: bound {bound} is below the plan's own objective"))
    return found


def check_plan_files(scenario_path: Path, plan_dir: Path) -> list[Violation]:
    """Check a plan folder against its scenario: the eight rules and metrics.json.

    Raises `ScenarioError` when the scenario itself cannot be read; unreadable
    plan files are reported as rule-0 violations.
    """
    s = read_scenario(scenario_path)
    try:
        plan = read_plan(s, plan_dir)
    except ScenarioError as exc:
        return [Violation(0, str(error)) for error in exc.errors]
    found = check_plan(s, plan)
    metrics_path = Path(plan_dir) / "metrics.json"
    try:
        stated = json.loads(metrics_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return [*found, Violation(0, "metrics.json: missing file")]
    except (ValueError, OSError) as exc:
        return [*found, Violation(0, f"metrics.json: not valid JSON ({exc})")]
    if not isinstance(stated, dict):
        return [*found, Violation(0, "metrics.json: must be a JSON object")]
    return found + check_metrics(s, plan, stated)
