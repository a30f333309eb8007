"""What each family is worth: known answers on a scenario of two new families."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from nsatu.commands.plan import register
from nsatu.planner.frontier import plan_frontier
from nsatu.planner.io import write_scenario
from nsatu.planner.io.plans import write_plan
from nsatu.planner.scenario import Scenario
from nsatu.planner.worth import family_worth, left_out_candidates
from tests.planner.builders_optimal import ScenarioBuilder


def two_crewed_new_families() -> Scenario:
    """MIR alone fills r-air (w 16); CAE and M777 each half of r-art (w 8); both new families cost 3.

    MIR needs one crew per unit, trained on course c-mir (2 seats); CAE none.
    """
    b = ScenarioBuilder(horizon=6)
    b.family("MIR", "AIR", in_service=False, cost=3.0, crew=1.0).item("mir", "MIR")
    b.family("CAE", "ART", in_service=False, cost=3.0).item("cae", "CAE")
    b.family("M777", "ART").item("m777", "M777")
    b.family("GHOST", "ART", in_service=False, cost=3.0).item("ghost", "GHOST")  # never offered
    b.requirement("r-air", "AIR", 2, priority=1, due=4)
    b.requirement("r-art", "ART", 4, priority=2, due=4)
    b.offer("o1", "DEU", "mir", 2).offer("o2", "FRA", "cae", 2).offer("o3", "FRA", "m777", 2)
    b.hub("RZE").route("DEU", "RZE", 0).route("FRA", "RZE", 0)
    b.course("c-mir", "MIR", 2, start=0, duration=1)
    return b.build()


def test_each_introduced_family_is_worth_what_the_plan_loses_without_it() -> None:
    s = two_crewed_new_families()
    best = plan_frontier(s, time_limit=20)[-1].plan  # both MIR and CAE: pwf 1
    found = {w.code: w for w in family_worth(s, best, time_limit=20)}
    assert set(found) == {"MIR", "CAE"} and all(w.introduced and w.solved for w in found.values())
    # without MIR: r-air gets nothing (16 of 24 weight); without CAE half of r-art (4 of 24)
    assert found["MIR"].pwf_change == pytest.approx(16 / 24)
    assert found["MIR"].objective_change == pytest.approx(16 - 3)
    assert found["CAE"].pwf_change == pytest.approx(4 / 24)
    assert found["CAE"].objective_change == pytest.approx(4 - 3)
    # MIR's 2 units take 2 crews, from the one course; CAE needs no crew
    assert (found["MIR"].units, found["MIR"].crews, found["MIR"].courses) == (2.0, 2.0, 1)
    assert (found["CAE"].units, found["CAE"].crews, found["CAE"].courses) == (2.0, 0.0, 0)


def test_a_left_out_family_is_worth_what_it_would_add() -> None:
    s = two_crewed_new_families()
    at_most_one = plan_frontier(s, max_families=1, time_limit=20)[1].plan  # MIR only
    assert left_out_candidates(s, at_most_one) == [s.families.index["CAE"]]  # GHOST has no offer
    found = family_worth(s, at_most_one, time_limit=20)
    cae = next(w for w in found if w.code == "CAE")
    assert not cae.introduced
    assert cae.pwf_change == pytest.approx(4 / 24)
    assert cae.objective_change == pytest.approx(1.0)  # its 4 of value less its cost 3
    assert cae.units == 2.0


def test_nsatu_plan_worth_prints_each_family(tmp_path: Path) -> None:
    app = typer.Typer()

    @app.callback()
    def main() -> None:
        """nsatu (test)"""

    register(app)
    s = two_crewed_new_families()
    write_scenario(s, tmp_path / "s")
    write_plan(s, plan_frontier(s, max_families=1, time_limit=10)[1].plan, tmp_path / "p")
    result = CliRunner().invoke(
        app, ["plan", "worth", str(tmp_path / "s"), "--plan", str(tmp_path / "p"), "--time-limit", "20"]
    )
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    # without MIR the best plan takes CAE instead: 8 of 24 weight against 20 of 24
    assert (
        "MIR (MIR, AIR, introduced): -50.00 % pwf without it, objective -12, 2 units, 2 crews, 1 courses"
        in text
    )
    assert "CAE (CAE, ART, left out): +16.67 % pwf with it, objective +1, 2 units, 0 crews" in text
