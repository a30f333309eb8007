"""Metrics on hand-computed cases, and the checker catching each rule's violation."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from nsatu.planner.check import Violation, check_plan, check_plan_files
from nsatu.planner.io import ScenarioError, write_scenario
from nsatu.planner.io.plans import read_plan, write_plan
from nsatu.planner.metrics import compute_metrics, objective_of
from nsatu.planner.plan import Plan
from nsatu.planner.scenario import Scenario
from tests.planner.builders_optimal import ScenarioBuilder
from tests.planner.strategies import make_scenario


def tiny(**overrides: object) -> Scenario:
    """R1 (priority 3, w=4, 4 units, due week 2), R2 (priority 5, w=1); new family F costs 1.5."""
    spec: dict[str, object] = {
        "horizon": 6,
        "half_life": 2.0,
        "families": [
            {"code": "F", "capability": "A", "in_service": False, "cost": 1.5, "crew": 1.0, "existing": 1.0},
            {"code": "G", "capability": "B", "in_service": True},
        ],
        "items": [
            {"code": "IF", "family": "F", "mass": 1.0},
            {"code": "IG", "family": "G", "unit": "kg", "mass": 0.5},
        ],
        "requirements": [
            {"id": "R1", "capability": "A", "quantity": 4, "priority": 3, "due_day": 14},
            {"id": "R2", "capability": "B", "quantity": 10, "priority": 5, "due_day": 0},
        ],
        "offers": [
            {"id": "O1", "donor": "DEU", "item": "IF", "quantity": 4},
            {"id": "O2", "donor": "POL", "item": "IG", "quantity": 3.5, "earmark": "R2"},
            {"id": "O3", "donor": "FRA", "item": "IF", "quantity": 2, "withdrawn": True},
        ],
        "hubs": [{"code": "H", "capacity": 4.0}],
        "routes": [("DEU", "H", 7), ("POL", "H", 0), ("FRA", "H", 0)],
        "courses": [{"id": "C1", "family": "F", "seats": 2.0, "start_day": 0, "weeks": 3}],
    }
    spec.update(overrides)
    return make_scenario(**spec)  # type: ignore[arg-type]


def plan_of(lines: list[tuple[int, int, int, float, int]], seats: list[float] | None = None) -> Plan:
    o, r, h, q, w = zip(*lines, strict=True) if lines else ((), (), (), (), ())
    return Plan(
        method="test",
        status="feasible",
        alloc_offer=np.array(o, dtype=np.int64),
        alloc_requirement=np.array(r, dtype=np.int64),
        alloc_hub=np.array(h, dtype=np.int64),
        alloc_quantity=np.array(q, dtype=np.float64),
        alloc_week=np.array(w, dtype=np.int64),
        seats_used=None if seats is None else np.array(seats, dtype=np.float64),
    )


def test_metrics_known_answer() -> None:
    s = tiny()
    # 2 units on time (week 2), 2 units two weeks late: tau = 2^(-2/2) = 0.5
    plan = plan_of([(0, 0, 0, 2, 2), (0, 0, 0, 2, 4)])
    m = compute_metrics(s, plan)
    assert m["value"] == pytest.approx(4 / 4 * (2 * 1 + 2 * 0.5))
    assert m["objective"] == pytest.approx(3.0 - 1.5)
    assert objective_of(s, plan) == pytest.approx(1.5)
    assert m["pwf"] == pytest.approx(3.0 / (4 + 1))
    assert m["on_time_share"] == pytest.approx(0.5)
    assert m["new_families"] == ["F"]
    assert m["fulfilled"] == {"R1": 4.0}
    assert m["families_per_capability"] == {"A": 1, "B": 1}
    hub = m["hub_utilisation"]["H"]  # type: ignore[index]
    assert hub["max_share"] == pytest.approx(0.5) and hub["tonnes_by_week"][2] == 2.0
    # crews: 1 existing, 2 more ready in week 3; 2 units by week 2 need 2 -> short 1, 4 by week 4 need 4 of 3
    assert m["crews_short"] == {"F": pytest.approx(1.0)}


def test_metrics_of_an_empty_plan() -> None:
    m = compute_metrics(tiny(), plan_of([]))
    assert (m["objective"], m["pwf"], m["on_time_share"], m["new_families"]) == (0.0, 0.0, 0.0, [])


def test_in_service_family_costs_nothing_and_lateness_uses_half_life() -> None:
    s = tiny(half_life=4.0)
    plan = plan_of([(1, 1, 0, 3.5, 3)])  # R2 due week 0, three weeks late
    expected = 1 / 10 * 3.5 * 2 ** (-3 / 4)
    assert objective_of(s, plan) == pytest.approx(expected)
    assert compute_metrics(s, plan)["on_time_share"] == 0.0


def test_valid_plan_has_no_violations() -> None:
    s = tiny()
    plan = plan_of([(0, 0, 0, 1, 1), (0, 0, 0, 2, 3), (1, 1, 0, 3.5, 0)])
    assert check_plan(s, plan) == []


@pytest.mark.parametrize(
    ("rule", "lines", "seats"),
    [
        (1, [(0, 0, 0, 1, 1), (0, 0, 0, 1, 3), (0, 0, 0, 1, 4), (0, 0, 0, 1, 5), (0, 0, 0, 1, 5)], None),
        (1, [(2, 0, 0, 1, 1)], None),  # withdrawn
        (2, [(1, 1, 0, 3.5, 0), (1, 1, 0, 0.0001, 1)], None),  # over the offer too; rule 2 needs R2 > 10
        (3, [(0, 1, 0, 1, 2)], None),  # family F does not provide capability B
        (4, [(1, 0, 0, 1, 1)], None),  # O2 earmarked for R2
        (5, [(0, 0, 0, 1, 0)], None),  # before the earliest arrival week 1
        (5, [(0, 0, 0, 1, 6)], None),  # beyond the horizon
        (6, [(1, 1, 0, 3.5, 0), (0, 0, 0, 1, 1)], None),  # fine: 1.75 t and 1 t in different weeks
        (7, [(0, 0, 0, 2, 1)], None),  # 2 units need 2 crew, 1 trained
        (7, [(0, 0, 0, 1, 1)], [3.0]),  # seats_used above seats
        (8, [(0, 0, 0, 0.5, 1)], None),  # not whole for `each`
        (8, [(0, 0, 0, -1, 1)], None),
    ],
)
def test_checker_catches_each_rule(
    rule: int, lines: list[tuple[int, int, int, float, int]], seats: list[float] | None
) -> None:
    s = tiny()
    if rule == 2:
        s.requirements.quantity[1] = 3.5  # so 3.5001 exceeds the requirement
    if rule == 6:
        s.hubs.capacity_t[0] = 1.5  # 1.75 t in week 0 exceeds it
    found = check_plan(s, plan_of(lines, seats))
    assert rule in {v.rule for v in found}, found
    assert all(isinstance(v, Violation) and v.message for v in found)


def test_checker_tolerances() -> None:
    s = tiny()
    assert check_plan(s, plan_of([(0, 0, 0, 1 + 1e-10, 1)])) == []  # within 1e-9 of whole
    s.hubs.capacity_t[0] = 1.0 - 5e-7  # 1 t within 1e-6 of the capacity
    assert check_plan(s, plan_of([(0, 0, 0, 1, 1)])) == []


def test_crew_rule_counts_only_listed_seats_when_training_given() -> None:
    s = tiny()
    late = plan_of([(0, 0, 0, 1, 1), (0, 0, 0, 2, 3)])
    assert check_plan(s, late) == []  # all 2 seats ready in week 3
    assert {v.rule for v in check_plan(s, plan_of(list(zip(*late_lines(late), strict=True)), [1.0]))} == {7}


def late_lines(plan: Plan) -> tuple[list[int], list[int], list[int], list[float], list[int]]:
    return (
        plan.alloc_offer.tolist(),
        plan.alloc_requirement.tolist(),
        plan.alloc_hub.tolist(),
        plan.alloc_quantity.tolist(),
        plan.alloc_week.tolist(),
    )


def test_plan_files_round_trip_and_check(tmp_path: Path) -> None:
    s = tiny()
    write_scenario(s, tmp_path / "s")
    plan = plan_of([(0, 0, 0, 1, 1), (0, 0, 0, 2, 3), (1, 1, 0, 3.5, 0)], seats=[2.0])
    plan.metrics = compute_metrics(s, plan)
    write_plan(s, plan, tmp_path / "p")
    assert (tmp_path / "p" / "training.csv").read_text() == "course_id,seats_used\nC1,2\n"
    back = read_plan(s, tmp_path / "p")
    assert back.alloc_quantity.tolist() == [1.0, 2.0, 3.5]
    assert back.seats_used is not None and back.seats_used.tolist() == [2.0]
    assert check_plan_files(tmp_path / "s", tmp_path / "p") == []
    metrics = json.loads((tmp_path / "p" / "metrics.json").read_text())
    assert {"objective", "pwf", "on_time_share", "new_families", "solve_seconds", "method"} <= set(metrics)
    metrics["objective"] += 0.01
    metrics["new_families"] = []
    (tmp_path / "p" / "metrics.json").write_text(json.dumps(metrics))
    found = check_plan_files(tmp_path / "s", tmp_path / "p")
    assert [v.rule for v in found] == [0, 0]
    assert "objective" in found[0].message and "new_families" in found[1].message


def test_read_plan_reports_bad_rows(tmp_path: Path) -> None:
    s = tiny()
    (tmp_path / "p").mkdir()
    (tmp_path / "p" / "allocations.csv").write_text(
        "offer_id,requirement_id,hub,quantity,arrival_week\nO1,R1,H,1,1\nO9,R1,H,x,1.5\n"
    )
    with pytest.raises(ScenarioError) as caught:
        read_plan(s, tmp_path / "p")
    where = {(e.file, e.row, e.column) for e in caught.value.errors}
    assert where == {
        ("allocations.csv", 3, "offer_id"),
        ("allocations.csv", 3, "quantity"),
        ("allocations.csv", 3, "arrival_week"),
    }


def test_metrics_are_json_ready() -> None:
    m = compute_metrics(tiny(), plan_of([(0, 0, 0, 1, 1)]))
    assert math.isfinite(json.loads(json.dumps(m))["objective"])


def test_hub_summary_of_a_plan_names_the_busiest_hub_week() -> None:
    b = ScenarioBuilder(horizon=4)
    b.hub("RZE", 10.0).hub("KSC", 20.0).route("DEU", "RZE", 0).route("DEU", "KSC", 0)
    b.family("F16", "AIR").item("f16", "F16", mass=5.0)
    b.requirement("r1", "AIR", 3, priority=1)
    b.offer("o1", "DEU", "f16", 3)
    s = b.build()
    plan = Plan(
        method="greedy",
        status="feasible",
        alloc_offer=np.array([0, 0]),
        alloc_requirement=np.array([0, 0]),
        alloc_hub=np.array([0, 1]),
        alloc_quantity=np.array([1.0, 2.0]),
        alloc_week=np.array([2, 0]),
    )
    m = compute_metrics(s, plan)
    assert m["hub_busiest_share"] == pytest.approx(0.5)  # 5 t of 10 at RZE and 10 t of 20 at KSC
    assert m["hub_busiest_at"] in (["KSC", 0], ["RZE", 2])
    assert m["hub_mean_share"] == pytest.approx((0.5 + 0.5) / 8)
