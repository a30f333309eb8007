"""Two plan runs line by line: what moved, which families appear or vanish, pwf per capability.

Everything is read from the runs' stored lines that the reader may see (both the
offer and the requirement releasable to it), so a comparison shows no more than
the two run pages do. pwf per capability follows FORMAT.md's value with the
capability's requirements as the whole: ``sum(w / q * tau * quantity) / sum(w)``.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from nsatu.needs.models import Requirement
from nsatu.planning.models import Allocation, PlanningSettings, PlanRun


@dataclass
class MovedLine:
    """One (requirement, offer) pair whose quantity, hub or week differs between the runs."""

    requirement: str
    capability: str
    offer: str
    donor: str
    family: str
    a: float
    b: float
    where_a: list[tuple[str, int]]  # (hub, arrival week) of each line
    where_b: list[tuple[str, int]]

    @property
    def change(self) -> float:
        return self.b - self.a


@dataclass
class Comparison:
    """What changes from run A to run B."""

    moved: list[MovedLine] = field(default_factory=list)
    families_appearing: list[str] = field(default_factory=list)
    families_vanishing: list[str] = field(default_factory=list)
    capabilities: list[tuple[str, float, float]] = field(default_factory=list)  # (code, pwf A, pwf B)
    same_lines: int = 0


def _week(settings: PlanningSettings | None, requirement: Requirement) -> int:
    if settings is None:
        return 0
    return max(0, (requirement.needed_by - settings.start_date).days // 7)


def _value(line: Allocation, settings: PlanningSettings | None) -> float:
    requirement = line.requirement
    weight = 2.0 ** (5 - requirement.priority) / requirement.quantity
    late = line.arrival_week - _week(settings, requirement)
    half_life = settings.lateness_half_life_weeks if settings is not None else 8.0
    tau = 1.0 if late <= 0 else 2.0 ** (-late / half_life)
    return weight * tau * line.quantity


def compare_runs(run_a: PlanRun, run_b: PlanRun, lines_of: Any, visible: frozenset[str] | None) -> Comparison:
    """Run A against run B; ``lines_of(run)`` gives the lines of a run the reader may see, ``visible``
    the requirement codes it may see (None: all)."""
    settings = PlanningSettings.objects.filter(singleton=1).first()
    pairs: dict[tuple[str, str], dict[str, Any]] = {}
    families: dict[str, set[str]] = {"a": set(), "b": set()}
    value: dict[str, dict[str, float]] = {"a": defaultdict(float), "b": defaultdict(float)}
    for side, run in (("a", run_a), ("b", run_b)):
        for line in lines_of(run).select_related("offer__item_type__family"):
            key = (line.requirement.code, line.offer.code)
            entry = pairs.setdefault(
                key,
                {
                    "capability": line.requirement.capability.code,
                    "donor": line.offer.donor.iso3,
                    "family": line.offer.item_type.family.code,
                    "a": [],
                    "b": [],
                },
            )
            entry[side].append((line.hub.code, line.arrival_week, line.quantity))
            family = line.offer.item_type.family
            if not family.in_service:
                families[side].add(family.code)
            value[side][line.requirement.capability.code] += _value(line, settings)
    result = Comparison(
        families_appearing=sorted(families["b"] - families["a"]),
        families_vanishing=sorted(families["a"] - families["b"]),
    )
    for (requirement, offer), entry in sorted(pairs.items()):
        a, b = sorted(entry["a"]), sorted(entry["b"])
        if a == b:
            result.same_lines += 1
            continue
        result.moved.append(
            MovedLine(
                requirement=requirement,
                capability=entry["capability"],
                offer=offer,
                donor=entry["donor"],
                family=entry["family"],
                a=sum(q for _h, _w, q in a),
                b=sum(q for _h, _w, q in b),
                where_a=[(h, w) for h, w, _q in a],
                where_b=[(h, w) for h, w, _q in b],
            )
        )
    # each capability's whole: the weight of all its requirements the reader may see
    capabilities = sorted({entry["capability"] for entry in pairs.values()})
    weights: dict[str, float] = defaultdict(float)
    for need in Requirement.objects.filter(capability__code__in=capabilities).select_related("capability"):
        if visible is None or need.code in visible:
            weights[need.capability.code] += 2.0 ** (5 - need.priority)
    result.capabilities = [
        (code, value["a"][code] / weights[code], value["b"][code] / weights[code])
        for code in capabilities
        if weights[code] > 0
    ]
    return result
