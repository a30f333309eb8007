"""The country and greedy baselines: their definitions, and always valid plans."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings

from nsatu.planner.check import check_plan
from nsatu.planner.heuristics import plan_country, plan_greedy
from nsatu.planner.scenario import Scenario
from nsatu.planner.synth import generate
from tests.planner.strategies import make_scenario, scenarios


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_baselines_always_give_valid_plans(s: Scenario) -> None:
    for plan in (plan_country(s), plan_greedy(s)):
        assert check_plan(s, plan) == [], plan.method
        assert plan.seats_used is None
        assert plan.metrics["objective"] == plan.metrics["objective"]  # not NaN


def two_requirements(**offer: object) -> Scenario:
    return make_scenario(
        horizon=10,
        families=[{"code": "F", "capability": "A"}, {"code": "N", "capability": "A", "in_service": False}],
        items=[{"code": "IF", "family": "F"}, {"code": "IN", "family": "N"}],
        requirements=[
            {"id": "R1", "capability": "A", "quantity": 3, "priority": 1, "due_day": 14},
            {"id": "R2", "capability": "A", "quantity": 8, "priority": 5, "due_day": 14},
        ],
        offers=[
            {"id": "O-POL", "donor": "POL", "item": "IF", "quantity": 2, **offer},
            {"id": "O-DEU", "donor": "DEU", "item": "IN", "quantity": 5},
        ],
        hubs=[{"code": "FAST", "capacity": 100.0}, {"code": "SLOW", "capacity": 100.0}],
        routes=[("DEU", "FAST", 7), ("DEU", "SLOW", 14), ("POL", "SLOW", 0)],
    )


def lines(plan: object) -> list[tuple[str, str, str, float, int]]:
    from nsatu.planner.plan import Plan

    assert isinstance(plan, Plan)
    return [
        (f"o{o}", f"r{r}", f"h{h}", q, w)
        for o, r, h, q, w in zip(
            plan.alloc_offer.tolist(),
            plan.alloc_requirement.tolist(),
            plan.alloc_hub.tolist(),
            plan.alloc_quantity.tolist(),
            plan.alloc_week.tolist(),
            strict=True,
        )
    ]


def test_country_goes_by_donor_to_the_largest_need_by_the_fastest_route() -> None:
    plan = plan_country(two_requirements())
    # DEU first (ISO3 order): 5 units to R2 (most remaining: 8), fastest hub, week 1;
    # then POL: R2 has 3 left, R1 3 -> the first of the tie, R1.
    assert lines(plan) == [("o1", "r1", "h0", 5.0, 1), ("o0", "r0", "h1", 2.0, 0)]


def test_greedy_serves_priority_first_with_in_service_families_first() -> None:
    plan = plan_greedy(two_requirements(day=21))
    # R1 (priority 1): the in-service offer first although it arrives later, then the new family
    assert lines(plan) == [("o0", "r0", "h1", 2.0, 3), ("o1", "r0", "h0", 1.0, 1), ("o1", "r1", "h0", 4.0, 1)]


def test_earmarked_offer_serves_only_its_requirement() -> None:
    for plan in (plan_country(two_requirements(earmark="R2")), plan_greedy(two_requirements(earmark="R2"))):
        assert all(r == "r1" for o, r, *_ in lines(plan) if o == "o0")


def test_full_hub_pushes_units_to_later_weeks() -> None:
    s = make_scenario(
        horizon=6,
        families=[{"code": "F", "capability": "A"}],
        items=[{"code": "I", "family": "F", "mass": 2.0}],
        requirements=[{"id": "R", "capability": "A", "quantity": 5}],
        offers=[{"id": "O", "donor": "POL", "item": "I", "quantity": 5}],
        hubs=[{"code": "H", "capacity": 4.5}],  # two units (4 t) a week
        routes=[("POL", "H", 0)],
    )
    for plan in (plan_country(s), plan_greedy(s)):
        assert [(q, w) for *_, q, w in lines(plan)] == [(2.0, 0), (2.0, 1), (1.0, 2)]
        assert check_plan(s, plan) == []


def test_crews_gate_arrivals() -> None:
    s = make_scenario(
        horizon=8,
        families=[{"code": "F", "capability": "A", "crew": 2.0, "existing": 2.0}],
        items=[{"code": "I", "family": "F"}],
        requirements=[{"id": "R", "capability": "A", "quantity": 4}],
        offers=[{"id": "O", "donor": "POL", "item": "I", "quantity": 4}],
        hubs=[{"code": "H", "capacity": 100.0}],
        routes=[("POL", "H", 0)],
        courses=[{"id": "C", "family": "F", "seats": 4.0, "start_day": 0, "weeks": 3}],
    )
    for plan in (plan_country(s), plan_greedy(s)):
        # one unit with the existing crew now, two more when the course ends in week 3; the last has no crew
        assert [(q, w) for *_, q, w in lines(plan)] == [(1.0, 0), (2.0, 3)]


def test_baselines_are_fast_and_valid_at_medium_scale() -> None:
    s = generate("medium", 2)
    for plan in (plan_country(s), plan_greedy(s)):
        assert check_plan(s, plan) == []
        assert plan.n_lines > 100
