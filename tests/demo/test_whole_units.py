"""A plan of the demo holds no fraction of a countable unit: shells and vehicles come whole."""

from __future__ import annotations

import numpy as np
import pytest

from nsatu.planner.io import read_scenario
from nsatu.planner.methods import run_method
from tests.demo.conftest import DEMO


@pytest.mark.parametrize("method", ["optimal", "greedy", "country"])
def test_no_plan_of_the_demo_ships_a_fraction_of_a_countable_unit(method: str) -> None:
    s = read_scenario(DEMO)
    assert set(np.array(s.items.unit)[s.items.is_whole]) == {"each", "rounds"}  # every demo unit counts whole
    plan = run_method(s, method, time_limit=20)
    assert plan.status not in ("error", "infeasible"), plan.message
    whole = s.items.is_whole[s.offers.item[plan.alloc_offer]]
    fractions = [
        (s.offers.ids[int(plan.alloc_offer[k])], float(plan.alloc_quantity[k]))
        for k in np.flatnonzero(whole)
        if abs(plan.alloc_quantity[k] - round(plan.alloc_quantity[k]))
        > 1e-9 * max(1.0, plan.alloc_quantity[k])
    ]
    assert plan.n_lines > 200 and fractions == []
