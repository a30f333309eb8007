"""Why a requirement got nothing: one known answer per reason."""

from __future__ import annotations

from nsatu.planner.explain import REASONS, explain
from nsatu.planner.heuristics import plan_greedy
from nsatu.planner.optimal import plan_optimal
from nsatu.planner.plan import Plan
from nsatu.planner.scenario import Scenario
from tests.planner.builders_optimal import ScenarioBuilder


def base() -> ScenarioBuilder:
    b = ScenarioBuilder(horizon=6)
    b.family("F16", "AIR").item("f16", "F16", mass=10.0)
    b.family("MIR", "AIR", in_service=False, cost=50.0).item("mir", "MIR", mass=10.0)
    b.hub("RZE", 100.0).route("DEU", "RZE", 0)
    return b


def reason_of(s: Scenario, plan: Plan, rid: str) -> tuple[str, list[str]]:
    found = {x.requirement: x for x in explain(s, plan)}
    return found[rid].reason, found[rid].taken_by


def test_the_reasons_read_off_scenario_and_plan() -> None:
    b = base()
    b.family("M777", "ART").item("m777", "M777")
    b.requirement("r-accept", "AIR", 1, accepts=["MIR"]).offer("o-f16", "DEU", "f16", 1)
    b.requirement("r-none", "ART", 1)
    s = b.build()
    plan = plan_optimal(s, time_limit=10)
    # r-accept takes only MIR and none is offered; r-none: no offer of its capability at all
    assert reason_of(s, plan, "r-accept")[0] == "family_not_accepted"
    assert reason_of(s, plan, "r-none")[0] == "no_offer"


def test_units_taken_by_higher_priorities_are_named() -> None:
    b = base()
    b.requirement("r-urgent", "AIR", 2, priority=1).requirement("r-later", "AIR", 2, priority=5)
    b.offer("o1", "DEU", "f16", 2)
    s = b.build()
    plan = plan_optimal(s, time_limit=10)
    assert reason_of(s, plan, "r-later") == ("used_by_higher_priority", ["r-urgent"])


def test_no_route_after_horizon_and_earmarks() -> None:
    b = base()
    b.requirement("r1", "AIR", 1).offer("o1", "FRA", "f16", 1)  # FRA has no route
    s = b.build()
    assert reason_of(s, plan_greedy(s), "r1")[0] == "no_route"
    b = base()
    b.requirement("r1", "AIR", 1).offer("o1", "DEU", "f16", 1, available=9)
    s = b.build()
    assert reason_of(s, plan_greedy(s), "r1")[0] == "after_horizon"
    b = base()
    b.requirement("r1", "AIR", 1).requirement("r2", "AIR", 1).offer("o1", "DEU", "f16", 1, earmark="r2")
    s = b.build()
    assert reason_of(s, plan_optimal(s, time_limit=10), "r1")[0] == "earmarked_elsewhere"


def test_crews_full_hubs_and_families_not_worth_their_cost() -> None:
    b = ScenarioBuilder(horizon=6)
    b.family("F16", "AIR", crew=2.0, existing=2.0).item("f16", "F16", mass=1.0)
    b.hub("RZE", 100.0).route("DEU", "RZE", 0)
    b.requirement("r1", "AIR", 3).offer("o1", "DEU", "f16", 3)
    s = b.build()
    plan = plan_optimal(s, time_limit=10)
    assert plan.alloc_quantity.sum() == 1  # two crews crew one unit
    assert reason_of(s, plan, "r1")[0] == "crews"

    b = base()
    b.hubs[0] = ("RZE", 10.0)  # one F16 a week
    b.requirement("r1", "AIR", 10, due=0).offer("o1", "DEU", "f16", 10)
    s = b.build()
    plan = plan_optimal(s, time_limit=10)
    assert plan.alloc_quantity.sum() == 6
    assert reason_of(s, plan, "r1")[0] == "hub_full"

    b = base()
    b.requirement("r1", "AIR", 2, priority=5).offer("o1", "DEU", "mir", 2)  # worth 2, costs 50
    s = b.build()
    plan = plan_optimal(s, time_limit=10)
    assert plan.n_lines == 0
    assert reason_of(s, plan, "r1")[0] == "family_not_worth_it"


def test_every_requirement_short_is_explained_once_on_random_scenarios() -> None:
    from tests.planner.builders_optimal import random_scenario

    for seed in range(5):
        s = random_scenario(seed, hub_scale=0.3)
        plan = plan_optimal(s, time_limit=5)
        found = explain(s, plan)
        assert len({x.requirement for x in found}) == len(found)
        assert all(x.reason in REASONS and x.shortfall > 0 for x in found)
