"""Bounds that hold on any data: against the exact direct model, known answers and the solver's own slips."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nsatu.planner import model, optimal
from nsatu.planner.bounds import best_dual_bound, dual_bound
from nsatu.planner.check import check_plan
from nsatu.planner.decode import columns_of_plan, plan_of_columns
from nsatu.planner.heuristics import plan_country, plan_greedy
from nsatu.planner.methods import DUST, without_dust
from nsatu.planner.metrics import objective_of
from nsatu.planner.optimal import plan_optimal
from nsatu.planner.scenario import Scenario
from nsatu.planner.solve import Solver, solve
from tests.planner.builders_optimal import ScenarioBuilder, random_scenario


def direct_optimum(s: Scenario) -> float:
    """The exact optimum over every arrival week (one column per offer, requirement, hub, week)."""
    sol = solve(*model.build_direct(s).arrays(), time_limit=60, gap=1e-9)
    assert sol.status == "optimal" and sol.objective is not None
    return sol.objective


# ----------------------------------------------------------------------------
# bounds from any prices


@settings(max_examples=40, deadline=None)
@given(st.integers(min_value=0, max_value=10_000))
def test_any_row_prices_bound_the_lp_and_its_own_duals_give_it_back(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n, m = 8, 6
    matrix = sp.csr_matrix(rng.uniform(0, 2, (m, n)) * (rng.random((m, n)) < 0.6))
    cost = rng.uniform(-1, 3, n)
    lower, upper = np.zeros(n), rng.uniform(1, 5, n)
    row_lower, row_upper = np.full(m, -np.inf), rng.uniform(1, 10, m)
    sol = solve(cost, lower, upper, np.zeros(n, bool), matrix, row_lower, row_upper, relax_integrality=True)
    assert sol.objective is not None and sol.row_dual is not None and sol.bound is not None
    assert sol.bound >= sol.objective - 1e-9
    assert sol.bound == pytest.approx(sol.objective, abs=1e-6)
    for _ in range(5):
        prices = rng.normal(0, 1, m)
        assert (
            best_dual_bound(cost, lower, upper, matrix, row_lower, row_upper, prices).value
            >= sol.objective - 1e-9
        )


def test_a_price_on_an_open_side_is_dropped_not_used() -> None:
    """A row with no upper side cannot carry a positive price: the bound stays finite and true."""
    matrix = sp.csr_matrix(np.array([[1.0]]))
    bound = dual_bound(
        np.array([1.0]),
        np.zeros(1),
        np.array([5.0]),
        matrix,
        np.zeros(1),
        np.full(1, np.inf),
        np.array([3.0]),
    )
    assert bound.value == pytest.approx(5.0)
    assert bound.prices.tolist() == [0.0]


# ----------------------------------------------------------------------------
# the optimiser's bound against the exact model


def mixed_unit_fighters() -> Scenario:
    """A new crewed family (4 crew per unit, 10 seats, no crews yet) with an `each` item and an
    item counted in kg, beside an in-service family whose units arrive late.

    Ten seats crew 2.5 units: 2 jets and 0.5 kg of spares on time, then 3 late units fill the
    5.5 asked for, less the family's cost 1. A cap of whole units (2 from the new family) would
    bound it at the plan without the spares."""
    b = ScenarioBuilder(horizon=10)
    b.family("NEW", "AIR", in_service=False, cost=1.0, crew=4.0, existing=0.0)
    b.family("OLD", "AIR", in_service=True)
    b.item("jet", "NEW", mass=1.0).item("kit", "NEW", each=False, mass=0.001).item("old", "OLD", mass=1.0)
    b.requirement("R1", "AIR", 5.5, priority=1, due=0)
    b.offer("o1", "DEU", "jet", 2).offer("o2", "DEU", "kit", 3).offer("o3", "DEU", "old", 5, available=6)
    b.hub("RZE", 1e6).route("DEU", "RZE", 0)
    b.course("c1", "NEW", 10, start=0, duration=0)
    return b.build()


def test_a_mixed_unit_crewed_family_uses_the_fraction_of_a_crew_left() -> None:
    s = mixed_unit_fighters()
    per_unit = 16 / 5.5
    best = per_unit * 2.5 + per_unit * 3 * 2 ** (-6 / 8) - 1.0
    without_spares = per_unit * 2 + per_unit * 3 * 2 ** (-6 / 8) - 1.0
    assert direct_optimum(s) == pytest.approx(best)
    # the relaxation the bound comes from: the family's cap is 2.5 units, not 2
    lp = model.build(s)
    assert lp.reduction.family_supply[s.families.index["NEW"]] == pytest.approx(2.5)
    plan = plan_optimal(s, time_limit=20, gap=1e-9)
    assert check_plan(s, plan) == []
    assert objective_of(s, plan) == pytest.approx(best)
    assert plan.bound is not None and plan.bound >= best - 1e-9 > without_spares
    assert plan.status == "optimal"


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.integers(min_value=0, max_value=10_000),
    st.sampled_from([1.0, 0.3, 0.1]),
    st.booleans(),
)
def test_no_bound_below_a_valid_plan_on_random_scenarios(seed: int, hub_scale: float, mixed: bool) -> None:
    """Tight hubs, mixed-unit crewed families, earmarks, withdrawn offers: the claimed bound is never
    below the exact optimum, and the plan never above it."""
    s = random_scenario(seed, requirements=8, offers=16, horizon=8, mixed=mixed, hub_scale=hub_scale)
    exact = direct_optimum(s)
    plan = plan_optimal(s, time_limit=20, gap=1e-6)
    assert check_plan(s, plan) == []
    assert plan.bound is not None, plan.metrics.get("bound_error")
    assert plan.bound >= exact - 1e-7 * max(1.0, abs(exact))
    assert objective_of(s, plan) <= exact + 1e-7 * max(1.0, abs(exact))


@pytest.mark.parametrize("seed", [3, 11, 27, 42, 58])
def test_small_plans_where_hubs_and_crews_bind_reach_the_exact_optimum(seed: int) -> None:
    s = random_scenario(seed, requirements=10, offers=24, horizon=10, mixed=True, hub_scale=0.2)
    exact = direct_optimum(s)
    plan = plan_optimal(s, time_limit=20, gap=1e-9)
    assert check_plan(s, plan) == []
    assert objective_of(s, plan) >= exact - 1e-6 * max(1.0, abs(exact))


def test_a_plan_above_the_bound_is_reported_not_hidden(monkeypatch: pytest.MonkeyPatch) -> None:
    """If a bound were wrong (here the supply bound is made too small), the plan is kept and the
    bound is not claimed: metrics.json says why."""
    s = random_scenario(5)
    monkeypatch.setattr(optimal, "_supply_bound", lambda scenario: 0.5)
    plan = plan_optimal(s, time_limit=10, gap=1e-6)
    assert objective_of(s, plan) > 0.5
    assert plan.bound is None
    assert "exceeds the bound" in str(plan.metrics["bound_error"])
    assert plan.status != "optimal"


def test_no_plan_worse_than_allocating_nothing() -> None:
    """Families too dear to introduce: the best plan is the empty one, not a loss."""
    b = ScenarioBuilder(horizon=6)
    b.family("NEW", "AIR", in_service=False, cost=100.0).item("jet", "NEW")
    b.requirement("R1", "AIR", 2, priority=5, due=1)
    b.offer("o1", "DEU", "jet", 2).hub("RZE").route("DEU", "RZE", 0)
    plan = plan_optimal(b.build(), time_limit=10)
    assert plan.n_lines == 0 and plan.status == "empty"
    assert plan.bound is not None and plan.bound >= 0.0


# ----------------------------------------------------------------------------
# the solver and the decoding


def test_a_mip_started_from_a_plan_returns_the_solution_it_reports() -> None:
    """HiGHS 1.16 returns the start's values after a presolved MIP with a start; the solver
    wrapper must hand back the solution whose value it reports."""
    s = random_scenario(9999, requirements=8, offers=16, horizon=8)
    lp = model.build(s)
    start = columns_of_plan(s, lp, plan_greedy(s))
    assert start is not None
    sol = Solver(*lp.arrays()).run(time_limit=20, gap=1e-9, start=start)
    assert sol.x is not None and sol.objective is not None
    assert float(lp.col_cost @ sol.x) == pytest.approx(sol.objective, rel=1e-9, abs=1e-9)
    assert sol.objective >= float(lp.col_cost @ start) - 1e-9


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_decoding_a_plans_own_columns_loses_nothing(seed: int) -> None:
    s = random_scenario(seed, mixed=True)
    lp = model.build(s)
    plan = plan_greedy(s)
    x = columns_of_plan(s, lp, plan)
    assert x is not None
    again = plan_of_columns(s, lp, x)
    assert check_plan(s, again) == []
    assert objective_of(s, again) >= objective_of(s, plan) - 1e-9


@pytest.mark.parametrize("seed", [1, 2])
def test_the_optimal_plan_is_never_below_either_baseline(seed: int) -> None:
    s = random_scenario(seed, hub_scale=0.3, mixed=True)
    plan = plan_optimal(s, time_limit=10)
    assert (
        objective_of(s, plan)
        >= max(objective_of(s, plan_greedy(s)), objective_of(s, plan_country(s)), 0.0) - 1e-9
    )


def test_lines_of_solver_dust_are_dropped_before_a_plan_is_saved() -> None:
    s = random_scenario(1)
    plan = plan_greedy(s)
    dusty = dataclasses.replace(plan, alloc_quantity=plan.alloc_quantity.copy())
    dusty.alloc_quantity[0] = 2.27e-12
    clean = without_dust(dusty)
    assert clean.n_lines == plan.n_lines - 1 and (clean.alloc_quantity > DUST).all()
    assert check_plan(s, clean) == []
