"""Synthetic scenarios, run_method, the commands, and the planner's independence from Django."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import typer
from typer.testing import CliRunner

from nsatu.commands.plan import register
from nsatu.planner.io import read_scenario, write_scenario
from nsatu.planner.methods import run_method
from nsatu.planner.synth import SCALES, generate
from tests.planner.strategies import make_scenario


@pytest.mark.parametrize("scale", ["small", "medium", "udcg"])
def test_synth_sizes_and_shape(scale: str) -> None:
    s = generate(scale, 1)
    spec = SCALES[scale]
    assert (len(s.requirements.ids), len(s.offers.ids), s.horizon_weeks) == (
        spec.requirements,
        spec.offers,
        spec.weeks,
    )
    assert 15 <= len(s.capability_codes) <= 20
    assert 0.3 <= float(s.families.in_service.mean()) <= 0.5
    rounds = np.array([u == "rounds" for u in s.items.unit])
    assert rounds.any() and (s.families.crew_per_unit[s.items.family[rounds]] == 0).all()
    assert s.offers.withdrawn.any() and (s.offers.earmark >= 0).any()
    assert s.families.cost_given.any() and len(s.courses.ids) > 0
    assert {"RZE", "CND", "KSC"} <= set(s.hubs.codes)


def test_synth_is_deterministic_and_valid(tmp_path: Path) -> None:
    write_scenario(generate("small", 5), tmp_path / "a")
    write_scenario(generate("small", 5), tmp_path / "b")
    for path in (tmp_path / "a").iterdir():
        assert path.read_bytes() == (tmp_path / "b" / path.name).read_bytes()
    read_scenario(tmp_path / "a")  # passes every reader check
    assert generate("small", 6).offers.quantity.tolist() != generate("small", 5).offers.quantity.tolist()


@pytest.mark.parametrize("scale", ["small", "medium"])
def test_the_tight_profile_draws_other_scenarios(scale: str, tmp_path: Path) -> None:
    """Same scale, other distributions: hubs below the tonnage offered, scarce crews, crewed
    families mixing `each` with kg, a few donors giving most, long routes; valid and reproducible."""
    standard, tight = generate(scale, 1), generate(scale, 1, "tight")
    assert (len(tight.requirements), len(tight.offers)) == (len(standard.requirements), len(standard.offers))
    offered_t = float((tight.offers.quantity * tight.items.mass_t[tight.offers.item]).sum())
    weekly = tight.hubs.capacity_t.sum()
    assert weekly * tight.horizon_weeks < 0.7 * offered_t
    crewed = tight.families.crew_per_unit > 0
    kg = np.array([u == "kg" for u in tight.items.unit])
    assert (crewed[tight.items.family[kg]]).all() and kg.any()
    assert tight.routes.lead_days.mean() > standard.routes.lead_days.mean() + 10
    donor_share = np.bincount(tight.offers.donor, minlength=len(tight.nations)) / len(tight.offers)
    assert donor_share.max() > 0.4
    write_scenario(tight, tmp_path / "a")
    write_scenario(generate(scale, 1, "tight"), tmp_path / "b")
    for path in (tmp_path / "a").iterdir():
        assert path.read_bytes() == (tmp_path / "b" / path.name).read_bytes()
    read_scenario(tmp_path / "a")
    with pytest.raises(ValueError, match="unknown profile"):
        generate(scale, 1, "loose")


def test_xl_scale_size() -> None:
    s = generate("xl", 1)
    assert (len(s.requirements.ids), len(s.offers.ids)) == (5000, 30000)


def test_status_quo_introduces_many_families() -> None:
    s = generate("small", 1)
    country = run_method(s, "country")
    assert len(country.metrics["new_families"]) >= 15  # type: ignore[arg-type]


def test_run_method_statuses() -> None:
    empty = make_scenario(
        families=[{"code": "F", "capability": "A"}],
        items=[{"code": "I", "family": "F"}],
        requirements=[],
        offers=[{"id": "O", "donor": "POL", "item": "I", "quantity": 1}],
        hubs=[{"code": "H", "capacity": 1.0}],
        routes=[],
    )
    plan = run_method(empty, "greedy")
    assert plan.status == "empty" and plan.message and plan.metrics["objective"] == 0.0
    bad = run_method(generate("small", 1), "astrology")
    assert bad.status == "error" and "unknown method" in bad.message
    events: list[str] = []
    good = run_method(generate("small", 1), "greedy", progress=lambda e: events.append(e.phase))
    assert good.status == "feasible" and events[-1] == "done"


def test_run_method_optimal_is_valid() -> None:
    pytest.importorskip("nsatu.planner.optimal")
    from nsatu.planner.check import check_plan

    s = generate("small", 2)
    plan = run_method(s, "optimal", time_limit=20)
    assert check_plan(s, plan) == []
    country = run_method(s, "country")
    assert plan.metrics["objective"] >= country.metrics["objective"]  # type: ignore[operator]


@pytest.fixture
def cli() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def main() -> None:
        """nsatu (test)"""

    register(app)
    return app


def test_cli_synth_plan_check(cli: typer.Typer, tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(cli, ["synth", "--scale", "small", "--seed", "2", str(tmp_path / "s")])
    assert result.exit_code == 0, result.output
    result = runner.invoke(
        cli, ["plan", str(tmp_path / "s"), "--out", str(tmp_path / "p"), "--method", "greedy"]
    )
    assert result.exit_code == 0, result.output
    assert (tmp_path / "p" / "allocations.csv").exists()
    result = runner.invoke(
        cli, ["plan", "run", str(tmp_path / "s"), "--out", str(tmp_path / "q"), "--method", "country"]
    )
    assert result.exit_code == 0, result.output
    result = runner.invoke(cli, ["plan", "check", str(tmp_path / "s"), str(tmp_path / "p")])
    assert result.exit_code == 0 and "valid" in result.output

    allocations = tmp_path / "p" / "allocations.csv"
    rows = allocations.read_text().splitlines()
    offer, requirement, hub, quantity, week = rows[1].split(",")
    rows[1] = ",".join([offer, requirement, hub, str(float(quantity) + 1e6), week])
    allocations.write_text("\n".join(rows) + "\n")
    result = runner.invoke(cli, ["plan", "check", str(tmp_path / "s"), str(tmp_path / "p")])
    assert result.exit_code == 1
    assert "rule 1" in result.output and "metrics.json" in result.output

    result = runner.invoke(cli, ["synth", "--profile", "tight", "--seed", "2", str(tmp_path / "t")])
    assert result.exit_code == 0, result.output
    assert (
        read_scenario(tmp_path / "t").offers.quantity.tolist()
        == generate("small", 2, "tight").offers.quantity.tolist()
    )
    result = runner.invoke(cli, ["synth", "--profile", "loose", str(tmp_path / "u")])
    assert result.exit_code == 2 and "unknown profile" in result.output


def test_cli_scenario_errors_exit_2_without_traceback(cli: typer.Typer, tmp_path: Path) -> None:
    write_scenario(generate("small", 1), tmp_path / "s")
    offers = tmp_path / "s" / "offers.csv"
    offers.write_text(offers.read_text().replace(",offered", ",lost", 1))
    result = CliRunner().invoke(cli, ["plan", str(tmp_path / "s"), "--out", str(tmp_path / "p")])
    assert result.exit_code == 2
    assert "offers.csv, row 2, column status" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "p").exists()


def test_cli_compare(cli: typer.Typer, tmp_path: Path) -> None:
    write_scenario(generate("small", 1), tmp_path / "s")
    result = CliRunner().invoke(cli, ["plan", "compare", str(tmp_path / "s"), "--time-limit", "5"])
    assert result.exit_code == 0, result.output
    assert "country" in result.output and "greedy" in result.output and "optimal" in result.output


def test_planner_never_imports_django() -> None:
    code = (
        "import pkgutil, importlib, sys, nsatu.planner as p\n"
        "for m in pkgutil.iter_modules(p.__path__): importlib.import_module('nsatu.planner.' + m.name)\n"
        "import nsatu.commands.plan\n"
        "bad = sorted(m for m in sys.modules if m == 'django' or m.startswith('django.'))\n"
        "print(len(list(pkgutil.iter_modules(p.__path__))))\n"
        "sys.exit(1 if bad else 0)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert int(done.stdout.strip()) >= 8
