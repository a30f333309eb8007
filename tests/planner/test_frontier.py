"""The frontier: the best plan with at most K new families, with bounds that hold."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from nsatu.commands.plan import register
from nsatu.planner.check import check_plan
from nsatu.planner.frontier import plan_frontier
from nsatu.planner.io import write_scenario
from nsatu.planner.metrics import objective_of
from nsatu.planner.scenario import Scenario
from tests.planner.builders_optimal import ScenarioBuilder
from tests.planner.test_bounds import direct_optimum


@pytest.fixture
def cli() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def main() -> None:
        """nsatu (test)"""

    register(app)
    return app


def two_new_families() -> Scenario:
    """Two capabilities, each fillable only by one new family: MIR (worth 16 - 3) and CAE (worth 8 - 3)."""
    b = ScenarioBuilder(horizon=6)
    b.family("MIR", "AIR", in_service=False, cost=3.0).item("mir", "MIR")
    b.family("CAE", "ART", in_service=False, cost=3.0).item("cae", "CAE")
    b.family("M777", "ART").item("m777", "M777")
    b.requirement("r-air", "AIR", 2, priority=1, due=2)  # w 16
    b.requirement("r-art", "ART", 4, priority=2, due=2)  # w 8
    b.offer("o1", "DEU", "mir", 2).offer("o2", "FRA", "cae", 2).offer("o3", "FRA", "m777", 2)
    b.hub("RZE").route("DEU", "RZE", 0).route("FRA", "RZE", 0)
    return b.build()


def test_each_point_is_the_best_plan_with_at_most_k_new_families() -> None:
    s = two_new_families()
    points = plan_frontier(s, time_limit=30)
    assert [p.limit for p in points] == [0, 1, 2]
    assert [p.new_families for p in points] == [[], ["MIR"], ["CAE", "MIR"]]
    # M777 alone gives half of r-art (4); MIR adds 16 - 3; CAE the other half of r-art, 4 - 3
    assert [p.objective for p in points] == pytest.approx([4.0, 17.0, 18.0])
    for p in points:
        assert check_plan(s, p.plan) == []
        assert p.bound is not None and p.bound >= p.objective - 1e-9
    # at K = 0 the bound is the exact optimum of the scenario without new families
    assert points[0].bound == pytest.approx(4.0, abs=1e-6)
    assert points[-1].objective == pytest.approx(direct_optimum(s))
    assert [p.pwf for p in points] == sorted(p.pwf for p in points)


def test_nsatu_plan_frontier_writes_the_table_and_a_plan_per_point(cli: typer.Typer, tmp_path: Path) -> None:
    s = two_new_families()
    write_scenario(s, tmp_path / "s")
    result = CliRunner().invoke(
        cli, ["plan", "frontier", str(tmp_path / "s"), "--out", str(tmp_path / "f"), "--time-limit", "20"]
    )
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader((tmp_path / "f" / "frontier.csv").read_text().splitlines()))
    assert [r["new_families"] for r in rows] == ["0", "1", "2"]
    assert {"families", "pwf", "objective", "bound", "gap"} <= set(rows[0])
    for k in range(3):
        assert (tmp_path / "f" / f"k{k}" / "allocations.csv").exists()
    result = CliRunner().invoke(cli, ["plan", "check", str(tmp_path / "s"), str(tmp_path / "f" / "k1")])
    assert result.exit_code == 0, result.output
    assert objective_of(s, plan_frontier(s, max_families=0, time_limit=10)[0].plan) == pytest.approx(4.0)
