"""Plans approved earlier take hub tonnage and crews: a new plan gets only what they left.

The platform sets `hub_committed_t` and `family_committed_crews` when it plans
the database after an approval (nsatu.planning.adapters); every method, the
model and `check_plan` read them.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nsatu.planner import model
from nsatu.planner.check import check_plan
from nsatu.planner.heuristics import plan_country, plan_greedy
from nsatu.planner.optimal import objective_of, plan_optimal
from nsatu.planner.plan import Plan
from nsatu.planner.scenario import Scenario
from nsatu.planner.schedule import schedule_through_hubs
from nsatu.planner.solve import solve
from tests.planner.builders_optimal import ScenarioBuilder, random_scenario


def every_method(s: Scenario) -> dict[str, Plan]:
    plans = {
        "optimal": plan_optimal(s, time_limit=20, gap=1e-9),
        "greedy": plan_greedy(s),
        "country": plan_country(s),
    }
    for method, plan in plans.items():
        assert check_plan(s, plan) == [], method
    assert plans["optimal"].bound is not None
    assert plans["optimal"].bound >= objective_of(s, plans["optimal"]) - 1e-9
    return plans


def unit_weeks(plan: Plan) -> list[int]:
    """The arrival week of each unit, in order."""
    return sorted(np.repeat(plan.alloc_week, np.round(plan.alloc_quantity).astype(int)).tolist())


def two_capabilities(**air: object) -> ScenarioBuilder:
    """Artillery first, so that the fighter family is row 1 of every families x weeks array."""
    b = ScenarioBuilder(horizon=10)
    b.hub("RZE", 10.0).route("DEU", "RZE", 0)
    b.family("M777", "ART").item("m777", "M777", mass=4.0)
    b.family("F16", "AIR", **air)  # type: ignore[arg-type]
    b.item("f16", "F16", mass=10.0)
    b.requirement("r1", "AIR", 2, priority=1, due=1).offer("o1", "DEU", "f16", 2, available=1)
    return b


def test_hub_weeks_that_approved_plans_fill_are_skipped() -> None:
    free = two_capabilities().build()
    assert unit_weeks(plan_optimal(free, time_limit=20, gap=1e-9)) == [1, 2]
    committed = np.zeros((1, free.horizon_weeks))
    committed[0, [1, 2]] = 10.0  # approved lines fill the hub in weeks 1 and 2
    s = dataclasses.replace(free, hubs=dataclasses.replace(free.hubs, committed_t=committed))
    plans = every_method(s)
    best = plans["optimal"]
    assert unit_weeks(best) == [3, 4]
    assert objective_of(s, best) == pytest.approx(8 * 2 ** (-2 / 8) + 8 * 2 ** (-3 / 8))
    # the plan that ignored the commitments now breaks rule 6, and the checker says why
    stale = plan_optimal(free, time_limit=20, gap=1e-9)
    problems = [v.message for v in check_plan(s, stale) if v.rule == 6]
    assert problems == [
        "hub RZE in week 1: 10 t arriving, capacity 10 t, 10 t of it committed by approved plans",
        "hub RZE in week 2: 10 t arriving, capacity 10 t, 10 t of it committed by approved plans",
    ]


def test_crews_that_approved_units_take_later_are_not_free_now() -> None:
    b = two_capabilities(crew=1.0, existing=2.0)
    b.hubs[0] = ("RZE", 1e6)
    b.course("c1", "F16", 2, start=3, duration=3)  # two more crews ready in week 6
    free = b.build()
    assert unit_weeks(plan_optimal(free, time_limit=20, gap=1e-9)) == [1, 1]
    taken = np.zeros((2, free.horizon_weeks))
    taken[1, 5:] = 2.0  # two approved fighters arrive in week 5 and take both existing crews
    s = dataclasses.replace(free, families=dataclasses.replace(free.families, committed_crews=taken))
    plans = every_method(s)
    best = plans["optimal"]
    # units arriving before week 6 would leave the approved ones without crews in week 5
    assert unit_weeks(best) == [6, 6]
    assert objective_of(s, best) == pytest.approx(2 * 8 * 2 ** (-5 / 8))
    stale = plan_optimal(free, time_limit=20, gap=1e-9)
    problems = [v.message for v in check_plan(s, stale) if v.rule == 7]
    assert problems[0] == (
        "family F16 in week 5: 2 units need 2 crew, 2 trained by then (2 of them taken by approved plans)"
    )


def test_spare_graduates_of_approved_seats_serve_a_new_plan() -> None:
    b = two_capabilities(crew=1.0, existing=0.0)
    b.hubs[0] = ("RZE", 1e6)
    free = b.build()
    assert plan_optimal(free, time_limit=20, gap=1e-9).alloc_quantity.sum() == 0  # no crews at all
    spare = np.zeros((2, free.horizon_weeks))
    spare[1, 4:] = -2.0  # approved seats graduate two crews in week 4 that approved units do not need
    s = dataclasses.replace(free, families=dataclasses.replace(free.families, committed_crews=spare))
    best = every_method(s)["optimal"]
    assert unit_weeks(best) == [4, 4]


def test_committed_arrays_of_the_wrong_shape_are_refused() -> None:
    s = two_capabilities().build()
    s.hubs.committed_t = np.zeros((2, 3))
    with pytest.raises(ValueError, match=r"hubs.committed_t is \(2, 3\), not \(1, 10\) or empty"):
        s.check_shapes()


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(min_value=0, max_value=10_000))
def test_with_random_commitments_every_method_is_valid_and_optimal_matches_the_direct_model(
    seed: int,
) -> None:
    s = random_scenario(seed, requirements=8, offers=16, horizon=8)
    rng = np.random.default_rng(seed)
    hubs, families = len(s.hubs.codes), len(s.families.codes)
    tonnes = (
        rng.uniform(0, 1, (hubs, s.horizon_weeks))
        * s.hubs.capacity_t[:, None]
        * (rng.random((hubs, 1)) < 0.7)
    )
    crews = np.cumsum(rng.integers(-1, 3, (families, s.horizon_weeks)), axis=1).astype(float)
    s = dataclasses.replace(
        s,
        families=dataclasses.replace(s.families, committed_crews=crews * s.families.crew_per_unit[:, None]),
        hubs=dataclasses.replace(s.hubs, committed_t=tonnes),
    )
    s.check_shapes()
    plans = every_method(s)
    direct = solve(*model.build_direct(s).arrays(), time_limit=30, gap=1e-9)
    assert direct.status == "optimal" and direct.objective is not None
    assert objective_of(s, plans["optimal"]) == pytest.approx(direct.objective, rel=1e-6, abs=1e-6)


def test_the_scheduler_keeps_crews_for_approved_units_arriving_later() -> None:
    """The scheduler alone (the optimiser's repair step at scale, where no whole model is solved)."""
    b = two_capabilities(crew=1.0, existing=2.0)
    b.hubs[0] = ("RZE", 1e6)
    b.course("c1", "F16", 2, start=3, duration=3)
    taken = np.zeros((2, 10))
    taken[1, 5:] = 2.0
    s = dataclasses.replace(
        b.build(), families=dataclasses.replace(b.build().families, committed_crews=taken)
    )
    plan = schedule_through_hubs(s, np.array([0]), np.array([0]), np.array([2.0]))
    assert check_plan(s, plan) == []
    assert unit_weeks(plan) == [6, 6]


def test_weightless_lines_pass_a_hub_week_that_approved_plans_overfill() -> None:
    b = ScenarioBuilder(horizon=4)
    b.hub("RZE", 10.0).route("DEU", "RZE", 0)
    b.family("DRONE", "ISR").item("app", "DRONE", mass=0.0)  # software licences: no tonnage
    b.requirement("r1", "ISR", 3, priority=1, due=0).offer("o1", "DEU", "app", 3)
    s = dataclasses.replace(
        b.build(), hubs=dataclasses.replace(b.build().hubs, committed_t=np.full((1, 4), 12.0))
    )  # capacity since cut to 10
    plans = every_method(s)
    assert unit_weeks(plans["optimal"]) == [0, 0, 0]


def test_crews_committed_beyond_the_existing_ones_are_kept_from_new_units() -> None:
    """Approved units need two crews from week 3, none exist, and the only course's two seats
    (ready in week 3) are all that can train them: the new plan may not take those graduates."""
    b = two_capabilities(crew=1.0, existing=0.0)
    b.hubs[0] = ("RZE", 1e6)
    b.course("c1", "F16", 2, start=1, duration=2)
    free = b.build()
    assert unit_weeks(plan_optimal(free, time_limit=20, gap=1e-9)) == [3, 3]
    taken = np.zeros((2, free.horizon_weeks))
    taken[1, 3:] = 2.0
    s = dataclasses.replace(free, families=dataclasses.replace(free.families, committed_crews=taken))
    assert s.crews_committed()[1, 3] == 2.0  # capped by the seats ready by then, not by existing crews
    plans = every_method(s)
    assert all(plan.alloc_quantity.sum() == 0 for plan in plans.values())
    stale = plan_optimal(free, time_limit=20, gap=1e-9)
    assert [v.rule for v in check_plan(s, stale)] == [7] * (s.horizon_weeks - 3)
