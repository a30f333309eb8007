"""The decomposition by capability, the hub relaxation and the hub scheduler."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from nsatu.planner import model
from nsatu.planner.blocks import block_program, capability_blocks
from nsatu.planner.check import check_plan
from nsatu.planner.decode import reassigned
from nsatu.planner.decompose import fingerprint, part_of, relax_hubs
from nsatu.planner.metrics import objective_of
from nsatu.planner.optimal import plan_optimal
from nsatu.planner.scenario import Scenario
from nsatu.planner.schedule import crew_frontier, schedule_through_hubs
from tests.planner.builders_optimal import ScenarioBuilder, random_scenario
from tests.planner.strategies import scenarios
from tests.planner.test_model import optimum as exact


def optimum(lp: model.LinearProgram) -> float:
    """The exact optimum of a model (0 when it has no column)."""
    return exact(lp) if lp.n_cols else 0.0


def compatible_lines(s: Scenario) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every (offer, requirement) pair rules 1-4 allow, with quantities within both totals."""
    usable = model.usable_quantity(s)
    left = s.requirements.quantity.astype(float).copy()
    offers, requirements, quantities = [], [], []
    for o in range(len(s.offers.ids)):
        supply = usable[o]
        family = s.items.family[s.offers.item[o]]
        for r in range(len(s.requirements.ids)):
            earmark = s.offers.earmark[o]
            if supply <= 0 or not s.requirements.family_ok[r, family] or (earmark >= 0 and earmark != r):
                continue
            q = min(supply, left[r])
            if s.items.is_each[s.offers.item[o]]:
                q = float(np.floor(q))
            if q > 0:
                offers.append(o)
                requirements.append(r)
                quantities.append(q)
                supply -= q
                left[r] -= q
    return np.array(offers, np.int64), np.array(requirements, np.int64), np.array(quantities)


def two_capabilities() -> ScenarioBuilder:
    b = ScenarioBuilder(horizon=10)
    b.hub("RZE", 1e6).hub("KSC", 1e6).route("DEU", "RZE", 14).route("DEU", "KSC", 3).route("POL", "RZE", 0)
    b.family("F16", "AIR").item("f16", "F16")
    b.family("A155", "AMMO").item("s155", "A155", each=False, mass=0.05)
    b.requirement("air", "AIR", 2, priority=1).requirement("ammo", "AMMO", 100, priority=2)
    b.offer("o-air", "DEU", "f16", 2).offer("o-ammo", "POL", "s155", 50)
    return b


def test_a_part_holds_exactly_its_capability() -> None:
    b = two_capabilities()
    b.offer("o-cross", "POL", "s155", 10, earmark="air")  # earmarked for another capability's need
    s = b.build()
    air = part_of(s, s.capability_codes.index("AIR"))
    ammo = part_of(s, s.capability_codes.index("AMMO"))
    assert air.scenario.families.codes == ["F16"] and air.scenario.requirements.ids == ["air"]
    assert air.scenario.offers.ids == ["o-air"]
    assert ammo.scenario.offers.ids == ["o-ammo", "o-cross"]
    # an offer earmarked for a requirement of another capability can serve nothing
    assert ammo.scenario.offers.withdrawn.tolist() == [False, True]
    assert ammo.scenario.offers.earmark.tolist() == [-1, -1]
    lp = model.build(s)
    assert [b.code for b in capability_blocks(lp, s.capability_codes)] == ["AIR", "AMMO"]


def test_relaxed_hubs_keep_each_offers_earliest_arrival() -> None:
    s = two_capabilities().build()
    relaxed = relax_hubs(s)
    assert relaxed.hubs.codes == ["ANY"] and np.isinf(relaxed.hubs.capacity_t[0])
    np.testing.assert_array_equal(model.earliest_weeks(relaxed)[:, 0], model.earliest_weeks(s).min(axis=1))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_parts_with_hubs_relaxed_bound_the_whole_scenario(s: Scenario) -> None:
    """The sum of the capability blocks' optima, hubs relaxed, bounds the direct model's optimum."""
    whole = optimum(model.build_direct(s))
    relaxed = relax_hubs(s)
    lp = model.build(relaxed, late="relax")
    parts = 0.0
    for block in capability_blocks(lp, relaxed.capability_codes):
        sol = (
            block_program(lp, [block], lp.row_upper)
            .solver(relax_integrality=False)
            .run(time_limit=30, gap=1e-9)
        )
        assert sol.status == "optimal" and sol.bound is not None
        parts += sol.bound
    assert parts >= whole - 1e-6 * max(1.0, abs(whole))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_scheduled_lines_always_make_a_valid_plan(s: Scenario) -> None:
    offers, requirements, quantities = compatible_lines(s)
    plan = schedule_through_hubs(s, offers, requirements, quantities)
    assert check_plan(s, plan) == []
    shipped = np.zeros(len(s.offers.ids))
    np.add.at(shipped, plan.alloc_offer, plan.alloc_quantity)
    offered = np.zeros(len(s.offers.ids))
    np.add.at(offered, offers, quantities)
    assert np.all(shipped <= offered + 1e-9)


def test_the_more_urgent_unit_goes_through_a_full_hub_first() -> None:
    b = ScenarioBuilder(horizon=6)
    b.hub("RZE", 10.0).route("DEU", "RZE", 0)
    b.family("F16", "AIR").item("f16", "F16", mass=10.0)
    b.requirement("later", "AIR", 1, priority=1, due=4).requirement("now", "AIR", 1, priority=5, due=0)
    b.offer("o1", "DEU", "f16", 2)
    s = b.build()
    plan = schedule_through_hubs(s, np.array([0, 0]), np.array([0, 1]), np.array([1.0, 1.0]))
    weeks = dict(zip(plan.alloc_requirement.tolist(), plan.alloc_week.tolist(), strict=True))
    assert weeks == {1: 0, 0: 1}  # the one due now first, the other a week later and still on time
    assert objective_of(s, plan) == pytest.approx(16.0 + 1.0)


def test_crew_frontier_counts_courses_from_their_ready_week() -> None:
    b = ScenarioBuilder(horizon=6)
    b.family("F16", "AIR", crew=2.0, existing=2.0).family("A155", "AMMO").item("f16", "F16")
    b.course("c1", "F16", 4, start=1, duration=2)  # ready in week 3
    s = b.build()
    frontier = crew_frontier(s)
    assert frontier[0].tolist() == [1, 1, 1, 3, 3, 3]
    assert np.isinf(frontier[1]).all()


def test_fingerprint_follows_the_data() -> None:
    s = two_capabilities().build()
    assert fingerprint(s) == fingerprint(two_capabilities().build())
    changed = dataclasses.replace(s, offers=dataclasses.replace(s.offers, quantity=s.offers.quantity.copy()))
    changed.offers.quantity[1] = 40.0
    before = [fingerprint(part_of(relax_hubs(s), c).scenario) for c in range(len(s.capability_codes))]
    after = [fingerprint(part_of(relax_hubs(changed), c).scenario) for c in range(len(s.capability_codes))]
    assert before[0] == after[0]  # AIR did not change
    assert before[1] != after[1]


def test_a_warm_re_plan_keeps_the_capabilities_that_did_not_change() -> None:
    s = random_scenario(3, requirements=14, offers=30, horizon=10)
    first = plan_optimal(s, time_limit=20, gap=1e-6)
    changed = dataclasses.replace(s, offers=dataclasses.replace(s.offers, quantity=s.offers.quantity.copy()))
    ammo = next(o for o in range(len(s.offers.ids)) if s.items.codes[s.offers.item[o]] == "s155")
    changed.offers.quantity[ammo] /= 2
    again = plan_optimal(changed, time_limit=20, gap=1e-6, warm_start=first)
    cold = plan_optimal(changed, time_limit=20, gap=1e-6)
    status = {p["capability"]: p["status"] for p in again.metrics["parts"]}  # type: ignore[union-attr]
    assert status["AIR"] == "kept" and status["ART"] == "kept" and status["AMMO"] != "kept"
    assert check_plan(changed, again) == []
    assert again.bound is not None and cold.bound is not None
    assert objective_of(changed, again) == pytest.approx(objective_of(changed, cold), rel=1e-5)
    assert again.bound == pytest.approx(cold.bound, rel=1e-5)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_re_assigned_arrivals_stay_valid(s: Scenario) -> None:
    offers, requirements, quantities = compatible_lines(s)
    plan = schedule_through_hubs(s, offers, requirements, quantities)
    assert check_plan(s, reassigned(s, model.build(s), plan)) == []


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_re_assigning_the_same_arrivals_never_loses_value(seed: int) -> None:
    s = random_scenario(seed, requirements=14, offers=30, horizon=10)
    offers, requirements, quantities = compatible_lines(s)
    plan = schedule_through_hubs(s, offers, requirements, quantities)
    better = reassigned(s, model.build(s), plan)
    assert check_plan(s, better) == []
    assert objective_of(s, better) >= objective_of(s, plan) - 1e-6
