"""The model builder: blocks, names, and exactness against the direct model."""

from __future__ import annotations

import importlib

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nsatu.planner import model
from nsatu.planner.optimal import objective_of, plan_optimal
from nsatu.planner.solve import solve
from tests.planner.builders_optimal import random_scenario, violations


def optimum(lp: model.LinearProgram, *, relax: bool = False) -> float:
    sol = solve(
        *lp.arrays(),
        time_limit=30,
        gap=1e-9,
        relax_integrality=relax,
    )
    assert sol.status == "optimal"
    assert sol.objective is not None
    return sol.objective


def test_blocks_come_in_order_with_structured_names() -> None:
    s = random_scenario(3)
    lp = model.build(s)
    assert list(lp.col_blocks) == [
        "Ship",
        "Release",
        "Wait",
        "Stock",
        "Assign",
        "Arrived",
        "Seats",
        "Introduce",
    ]
    assert list(lp.row_blocks)[:3] == ["Offer-supply", "Queue-balance", "Hub-capacity"]
    hub = lp.row_blocks["Hub-capacity"]
    assert lp.row_name(hub.start).startswith("Hub-capacity[H")
    assert ",w" in lp.row_name(hub.start)
    crew = lp.row_blocks["Crew-ready"]
    assert lp.row_name(crew.start).split("[")[0] == "Crew-ready"
    assert lp.col_name(lp.n_cols - 1).startswith("Introduce[")
    assert lp.matrix.shape == (lp.n_rows, lp.n_cols)
    assert lp.col_cost.shape == lp.col_lower.shape == lp.col_upper.shape == (lp.n_cols,)


def test_identical_offers_and_requirements_are_merged() -> None:
    s = random_scenario(4, offers=20)
    doubled = random_scenario(4, offers=20)
    # the same offers twice over (new ids) make no new class
    doubled.offers = s.offers.take(np.concatenate([np.arange(len(s.offers))] * 2))
    doubled.offers.ids = s.offers.ids + [f"{o}b" for o in s.offers.ids]
    a, b = model.reduce_scenario(s), model.reduce_scenario(doubled)
    assert a.classes.quantity.shape == b.classes.quantity.shape
    assert np.allclose(2 * a.classes.quantity, b.classes.quantity)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(min_value=0, max_value=10_000))
def test_exact_breakpoints_match_the_direct_model(seed: int) -> None:
    s = random_scenario(seed, requirements=6, offers=12, horizon=7)
    direct = optimum(model.build_direct(s))
    reduced = model.build(s, late="relax", exact_late_weeks=s.horizon_weeks)
    assert optimum(reduced) == pytest.approx(direct, rel=1e-7, abs=1e-7)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(min_value=0, max_value=10_000))
def test_coarse_breakpoints_bracket_the_optimum(seed: int) -> None:
    s = random_scenario(seed, requirements=8, offers=14, horizon=12)
    exact = optimum(model.build_direct(s))
    relaxed = optimum(model.build(s, late="relax", exact_late_weeks=2))
    restricted = optimum(model.build(s, late="restrict", exact_late_weeks=2))
    assert restricted <= exact + 1e-7
    assert relaxed >= exact - 1e-7


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(min_value=0, max_value=10_000))
def test_optimal_plan_is_valid_optimal_and_beats_the_baselines(seed: int) -> None:
    s = random_scenario(seed, requirements=8, offers=16, horizon=8)
    plan = plan_optimal(s, time_limit=20, gap=1e-9)
    assert violations(s, plan) == []
    value = objective_of(s, plan)
    assert plan.bound is not None
    assert plan.bound >= value - 1e-9
    assert value == pytest.approx(optimum(model.build_direct(s)), rel=1e-6, abs=1e-6)
    try:
        check = importlib.import_module("nsatu.planner.check")
        heuristics = importlib.import_module("nsatu.planner.heuristics")
    except ImportError:
        return
    assert check.check_plan(s, plan) == []
    assert value >= objective_of(s, heuristics.plan_greedy(s)) - 1e-9
    assert value >= objective_of(s, heuristics.plan_country(s)) - 1e-9


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.integers(-2, 2), min_size=3, max_size=3), min_size=0, max_size=30))
def test_unique_rows_agrees_with_numpy(rows: list[list[int]]) -> None:
    key = np.array(rows, dtype=np.int64).reshape(len(rows), 3)
    first, inverse = model.unique_rows(key)
    if not rows:
        assert first.size == 0 and inverse.size == 0
        return
    _, np_first, np_inverse = np.unique(key, axis=0, return_index=True, return_inverse=True)
    np.testing.assert_array_equal(first, np_first)
    np.testing.assert_array_equal(inverse, np_inverse.reshape(-1))
