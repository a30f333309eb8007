"""Stress tests of a plan and robust mode: known answers on tiny scenarios, seeded delays."""

from __future__ import annotations

import numpy as np
import pytest

from nsatu.planner.check import check_plan
from nsatu.planner.methods import run_method
from nsatu.planner.plan import Plan
from nsatu.planner.robust import fixed_plan_losses, plan_robust, split_items_by_donor, worst_loss
from nsatu.planner.scenario import Scenario
from nsatu.planner.stress import (
    BaseFigures,
    DelaySample,
    DonorImpact,
    delay_case,
    delayed_plan,
    delays,
    donor_withdrawal,
    plan_lines,
    plan_of_lines,
    route_delays,
    without_donor,
)
from tests.planner.builders_optimal import ScenarioBuilder, random_scenario


def two_capabilities() -> Scenario:
    """DEU alone offers air defence; FRA and POL each offer all the artillery asked for.

    Weights: R-AIR priority 1 -> 16, R-ART priority 2 -> 8; everything can arrive on time.
    """
    b = ScenarioBuilder(horizon=10)
    b.family("PATRIOT", "air_defence").family("M777", "artillery")
    b.item("pat", "PATRIOT").item("m777", "M777")
    b.requirement("R-AIR", "air_defence", 2, priority=1, due=5)
    b.requirement("R-ART", "artillery", 4, priority=2, due=5)
    b.offer("O-DEU", "DEU", "pat", 2).offer("O-FRA", "FRA", "m777", 4).offer("O-POL", "POL", "m777", 4)
    b.hub("RZE")
    for donor in ("DEU", "FRA", "POL"):
        b.route(donor, "RZE", 7)
    return b.build()


@pytest.mark.parametrize("method", ["greedy", "optimal"])
def test_a_sole_source_leaves_its_capability_uncovered(method: str) -> None:
    s = two_capabilities()
    base = run_method(s, method, time_limit=5)
    assert base.metrics["pwf"] == pytest.approx(1.0)
    report = donor_withdrawal(s, base, method=method, time_limit=5)
    assert report.impacts[0].donor == "DEU"  # worst first
    deu = report.impacts[0]
    assert deu.offers == 1 and deu.status != "error"
    assert deu.pwf == pytest.approx(8 / 24) and deu.pwf_loss == pytest.approx(16 / 24)
    assert deu.below_half == ["R-AIR"] and deu.uncovered == ["air_defence"]
    assert deu.capability_loss == pytest.approx({"air_defence": 16 / 24})
    assert deu.fixed_loss == pytest.approx(16 / 24)
    for other in report.impacts[1:]:
        # the other artillery donor fills in: re-planning recovers everything
        assert other.pwf_loss == pytest.approx(0.0, abs=1e-9)
        assert other.below_half == [] and other.uncovered == [] and other.capability_loss == {}
    assert sum(i.fixed_loss for i in report.impacts) == pytest.approx(1.0)
    assert report.worst_fixed_loss == pytest.approx(16 / 24)


def test_without_donor_withdraws_only_that_donors_offers() -> None:
    s = two_capabilities()
    reduced = without_donor(s, "FRA")
    assert reduced.offers.withdrawn.tolist() == [False, True, False]
    assert s.offers.withdrawn.tolist() == [False, False, False]  # the original is untouched


def test_results_round_trip_through_json() -> None:
    s = two_capabilities()
    base = run_method(s, "greedy")
    report = donor_withdrawal(s, base, method="greedy", donors=["DEU"])
    impact = report.impacts[0]
    assert DonorImpact.from_json(impact.to_json()) == impact
    assert BaseFigures.from_json(report.base.to_json()) == report.base
    sample = delay_case(s, base, seed=1, index=0)
    assert DelaySample.from_json(sample.to_json()) == sample
    again = plan_of_lines(s, plan_lines(s, base))
    assert plan_lines(s, again) == plan_lines(s, base)


# ----------------------------------------------------------------------------
# Delays


def test_a_delay_pushes_arrivals_and_past_the_horizon_loses_the_line() -> None:
    s = two_capabilities()
    base = run_method(s, "greedy")
    assert set(base.alloc_week.tolist()) == {1}  # available week 0 + 7 days
    pushed, late, lost = delayed_plan(s, base, np.array([14, 0, 0]))  # DEU's route: 2 more weeks
    deu = s.offers.donor[pushed.alloc_offer] == s.nations.index["DEU"]
    assert pushed.alloc_week[deu].tolist() == [3] and set(pushed.alloc_week[~deu].tolist()) == {1}
    assert late == 1 and lost == 0
    pushed, late, lost = delayed_plan(s, base, np.array([100, 0, 0]))  # past the 10-week horizon
    assert lost == 1 and pushed.n_lines == base.n_lines - 1


def test_delays_are_seeded_reproducible_and_independent_of_n() -> None:
    s = random_scenario(3)
    base = run_method(s, "greedy")
    first = delays(s, base, 8, seed=5)
    assert [x.pwf for x in first.samples] == [x.pwf for x in delays(s, base, 8, seed=5).samples]
    assert [x.pwf for x in delays(s, base, 3, seed=5).samples] == [x.pwf for x in first.samples[:3]]
    assert route_delays(s, 5, 2).tolist() == route_delays(s, 5, 2).tolist()
    assert route_delays(s, 5, 2).tolist() != route_delays(s, 6, 2).tolist()
    pwf = first.pwf
    assert pwf["min"] <= pwf["p10"] <= pwf["median"] <= pwf["p90"] <= pwf["max"] <= first.base.pwf + 1e-12
    # no delay, no change
    calm = delays(s, base, 2, seed=5, mean_days=0)
    assert calm.pwf["min"] == pytest.approx(first.base.pwf)
    assert calm.on_time_share["max"] == pytest.approx(first.base.on_time_share)


# ----------------------------------------------------------------------------
# Robust mode


def test_robust_mode_spreads_a_requirement_over_two_donors() -> None:
    """Either donor alone can fill R-ART; the robust plan takes half from each.

    Its objective 8 - 0.5 * 4 beats 8 - 0.5 * 8 for all from one donor, at no pwf cost.
    """
    b = ScenarioBuilder(horizon=10)
    b.family("M777", "artillery").item("m777", "M777")
    b.requirement("R-ART", "artillery", 4, priority=2, due=5)
    b.offer("O-FRA", "FRA", "m777", 4).offer("O-POL", "POL", "m777", 4)
    b.hub("RZE").route("FRA", "RZE", 7).route("POL", "RZE", 7)
    s = b.build()
    normal = run_method(s, "optimal", time_limit=5)
    robust = run_method(s, "robust", time_limit=10, warm_start=normal)
    assert robust.method == "robust" and not check_plan(s, robust)
    assert robust.metrics["pwf"] == pytest.approx(1.0)
    assert fixed_plan_losses(s, robust) == pytest.approx({"FRA": 0.5, "POL": 0.5})
    assert worst_loss(s, robust)[1] <= worst_loss(s, normal)[1]


def test_split_items_keep_offers_and_families() -> None:
    s = two_capabilities()
    split, donor = split_items_by_donor(s)
    assert split.items.codes == ["pat@DEU", "m777@FRA", "m777@POL"]
    assert [s.nations.codes[d] for d in donor] == ["DEU", "FRA", "POL"]
    assert split.items.family[split.offers.item].tolist() == s.items.family[s.offers.item].tolist()


@pytest.mark.parametrize("seed", [1, 4])
def test_robust_worst_case_loss_is_no_larger_than_the_normal_plans(seed: int) -> None:
    """On random small scenarios: the robust plan is valid and, kept as it is, loses no more
    pwf than the normal (optimal) plan when its worst donor withdraws."""
    s = random_scenario(seed, requirements=10, offers=24)
    normal = run_method(s, "optimal", time_limit=5)
    robust: Plan = plan_robust(s, time_limit=8, normal=normal)
    assert not check_plan(s, robust)
    assert worst_loss(s, robust)[1] <= worst_loss(s, normal)[1] + 1e-9
    assert robust.metrics["normal_worst_loss_pwf"] == pytest.approx(worst_loss(s, normal)[1])
    assert float(robust.metrics["worst_loss_pwf"]) == pytest.approx(worst_loss(s, robust)[1])  # type: ignore[arg-type]
