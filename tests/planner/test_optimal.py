"""The optimal method on hand-made cases with known optima, one per rule."""

from __future__ import annotations

import importlib
import math

import numpy as np
import pytest

from nsatu.planner.optimal import objective_of, plan_optimal
from nsatu.planner.plan import Plan
from nsatu.planner.scenario import Scenario
from tests.planner.builders_optimal import ScenarioBuilder, violations


def assert_valid(s: Scenario, plan: Plan) -> None:
    """The plan passes the stand-in checker and, when it exists, the independent one."""
    assert violations(s, plan) == []
    try:
        check = importlib.import_module("nsatu.planner.check")
    except ImportError:
        return
    assert check.check_plan(s, plan) == []


def solved(s: Scenario) -> Plan:
    plan = plan_optimal(s, time_limit=20, gap=1e-9)
    assert plan.status == "optimal", plan.message
    assert_valid(s, plan)
    assert plan.bound is not None
    assert plan.bound >= objective_of(s, plan) - 1e-9
    return plan


def fighters(**family: object) -> ScenarioBuilder:
    """One hub, one donor with a same-day route, an in-service fighter family."""
    b = ScenarioBuilder(horizon=10)
    b.hub("RZE", 1e6).route("DEU", "RZE", 0)
    b.family("F16", "AIR", **family)  # type: ignore[arg-type]
    b.item("f16", "F16", mass=1.0)
    return b


def test_earmarked_offer_serves_only_its_requirement() -> None:
    b = fighters()
    b.requirement("r1", "AIR", 2, priority=1).requirement("r2", "AIR", 2, priority=5)
    b.offer("o1", "DEU", "f16", 2, earmark="r2").offer("o2", "DEU", "f16", 1)
    s = b.build()
    plan = solved(s)
    assert objective_of(s, plan) == pytest.approx(16 / 2 * 1 + 1 / 2 * 2)
    assert set(plan.alloc_requirement[plan.alloc_offer == 0].tolist()) == {1}


def test_withdrawn_offer_gets_nothing() -> None:
    b = fighters()
    b.requirement("r1", "AIR", 2, priority=1)
    b.offer("o1", "DEU", "f16", 2, withdrawn=True).offer("o2", "DEU", "f16", 1)
    s = b.build()
    plan = solved(s)
    assert objective_of(s, plan) == pytest.approx(8.0)
    assert 0 not in plan.alloc_offer.tolist()


def test_hub_capacity_delays_the_second_unit_by_a_week() -> None:
    b = ScenarioBuilder(horizon=10)
    b.hub("RZE", 10.0).route("DEU", "RZE", 0)
    b.family("F16", "AIR").item("f16", "F16", mass=10.0)
    b.requirement("r1", "AIR", 2, priority=1, due=1)
    b.offer("o1", "DEU", "f16", 2, available=1)
    s = b.build()
    plan = solved(s)
    assert objective_of(s, plan) == pytest.approx(8 + 8 * 2 ** (-1 / 8))
    assert sorted(plan.alloc_week.tolist()) == [1, 2]


def test_units_wait_for_crews_trained_late() -> None:
    b = fighters(crew=1.0, existing=1.0)
    b.course("c1", "F16", 2, start=3, duration=3)  # ready in week 6
    b.requirement("r1", "AIR", 2, priority=1, due=2)
    b.offer("o1", "DEU", "f16", 2)
    s = b.build()
    plan = solved(s)
    assert objective_of(s, plan) == pytest.approx(8 + 8 * 2 ** (-4 / 8))
    assert sorted(plan.alloc_week.tolist()) == [0, 6] or sorted(plan.alloc_week.tolist())[1] == 6


def test_each_units_are_whole() -> None:
    b = ScenarioBuilder(horizon=2)
    b.hub("RZE", 25.0).route("DEU", "RZE", 0)
    b.family("F16", "AIR").item("f16", "F16", mass=10.0)
    b.requirement("r1", "AIR", 3, priority=1, due=0)
    b.offer("o1", "DEU", "f16", 5)
    s = b.build()
    plan = solved(s)
    # 2.5 units fit in week 0 by tonnage, but only whole aircraft fly
    assert objective_of(s, plan) == pytest.approx(16 / 3 * 2 + 16 / 3 * 2 ** (-1 / 8))
    assert np.all(plan.alloc_quantity == np.round(plan.alloc_quantity))


def test_real_quantities_may_be_fractional() -> None:
    b = ScenarioBuilder(horizon=2)
    b.hub("RZE", 25.0).route("DEU", "RZE", 0)
    b.family("A155", "AMMO").item("s155", "A155", each=False, mass=10.0)
    b.requirement("r1", "AMMO", 3, priority=1, due=0)
    b.offer("o1", "DEU", "s155", 5)
    s = b.build()
    plan = solved(s)
    assert objective_of(s, plan) == pytest.approx(16 / 3 * 2.5 + 16 / 3 * 0.5 * 2 ** (-1 / 8))


def mirage(cost: float) -> Scenario:
    """Ten fighters needed, four F-16s offered, five Mirages (a new family) worth 8."""
    b = fighters()
    b.family("MIR", "AIR", in_service=False, cost=cost).item("mir", "MIR", mass=1.0)
    b.requirement("r1", "AIR", 10, priority=1)
    b.offer("o1", "DEU", "f16", 4).offer("o2", "DEU", "mir", 5)
    return b.build()


@pytest.mark.parametrize(("cost", "introduced"), [(7.0, True), (7.99, True), (8.01, False), (9.0, False)])
def test_mirage_introduced_only_when_the_gap_it_fills_is_worth_its_cost(
    cost: float, introduced: bool
) -> None:
    s = mirage(cost)
    plan = solved(s)
    uses_mirage = bool(np.any(plan.alloc_offer == 1))
    assert uses_mirage is introduced
    assert objective_of(s, plan) == pytest.approx(6.4 + (8 - cost if introduced else 0.0))


def test_no_offers_is_an_empty_plan_not_an_error() -> None:
    b = fighters()
    b.requirement("r1", "AIR", 2)
    plan = plan_optimal(b.build())
    assert plan.status == "empty"
    assert plan.n_lines == 0
    assert plan.message
    assert plan.bound == 0.0


def test_offers_without_a_route_give_an_empty_plan() -> None:
    b = fighters()
    b.requirement("r1", "AIR", 2)
    b.offer("o1", "FRA", "f16", 2)  # FRA has no route
    plan = plan_optimal(b.build())
    assert plan.status == "empty"
    assert "no offer" in plan.message


def test_offer_arriving_after_the_horizon_is_unused() -> None:
    b = fighters()
    b.requirement("r1", "AIR", 2)
    b.offer("o1", "DEU", "f16", 2, available=12)
    plan = plan_optimal(b.build())
    assert plan.status == "empty"


def test_broken_scenario_gives_an_error_status_not_an_exception() -> None:
    b = fighters()
    b.requirement("r1", "AIR", 2)
    b.offer("o1", "DEU", "f16", 2)
    s = b.build()
    s.requirements.family_ok = np.zeros((3, 7), bool)  # inconsistent shapes
    plan = plan_optimal(s)
    assert plan.status == "error"
    assert "failed" in plan.message


def test_warm_start_from_a_plan_gives_the_same_optimum() -> None:
    s = mirage(7.0)
    first = solved(s)
    again = plan_optimal(s, time_limit=20, gap=1e-9, warm_start=first)
    assert objective_of(s, again) == pytest.approx(objective_of(s, first))
    assert_valid(s, again)


def test_progress_reports_phases() -> None:
    s = mirage(7.0)
    phases: list[str] = []
    plan_optimal(s, progress=lambda e: phases.append(e.phase))
    assert phases[0] == "build"
    assert phases[-1] == "done"


def test_late_value_halves_every_half_life() -> None:
    b = fighters()
    b.half_life = 4.0
    b.requirement("r1", "AIR", 1, priority=5, due=0)
    b.offer("o1", "DEU", "f16", 1, available=4)
    s = b.build()
    plan = solved(s)
    assert objective_of(s, plan) == pytest.approx(0.5)
    assert math.isclose(float(plan.alloc_week[0]), 4)


def test_warm_start_from_a_plan_made_invalid_by_a_changed_offer() -> None:
    s = mirage(7.0)
    first = solved(s)
    s.offers.quantity[1] = 2.0  # fewer Mirages than the first plan uses
    again = plan_optimal(s, time_limit=20, gap=1e-9, warm_start=first)
    assert_valid(s, again)
    assert objective_of(s, again) == pytest.approx(6.4)  # two Mirages (3.2) do not pay for 7
