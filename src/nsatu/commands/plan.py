"""`nsatu plan` (run, compare, check) and `nsatu synth`: the planner from the command line.

Pure planner work: no database, no Django.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table
from typer.core import TyperGroup

from nsatu.planner.io import ScenarioError
from nsatu.planner.progress import ProgressEvent
from nsatu.planner.scenario import Scenario


class DefaultRunGroup(TyperGroup):
    """A group whose first argument, when it names no subcommand, belongs to `run`.

    So `nsatu plan SCENARIO --out DIR` means `nsatu plan run SCENARIO --out DIR`
    while `nsatu plan compare ...` and `nsatu plan check ...` stay subcommands.
    """

    default_command = "run"

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:  # Any: typer vendors its own click
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h"):
            args = [self.default_command, *args]
        return super().parse_args(ctx, args)


def _consoles() -> tuple[Console, Console]:
    return Console(), Console(stderr=True)


def _read(path: Path) -> Scenario:
    from nsatu.planner.io import read_scenario

    try:
        return read_scenario(path)
    except ScenarioError as exc:
        _, err = _consoles()
        err.print(f"[red]{path}: {len(exc.errors)} error(s)[/red]", highlight=False)
        for error in exc.errors:
            err.print(f"  {error}", markup=False, highlight=False)
        raise typer.Exit(2) from exc


def _fmt(value: object, digits: int = 2, percent: bool = False) -> str:
    if value is None or isinstance(value, bool) or not isinstance(value, int | float):
        return "—"
    if not math.isfinite(float(value)):
        return "—"
    return f"{100 * float(value):.{digits}f}%" if percent else f"{float(value):,.{digits}f}"


def _progress_callback(progress: Progress, task: Any) -> Any:
    def report(event: ProgressEvent) -> None:
        detail = []
        if event.incumbent is not None:
            detail.append(f"incumbent {_fmt(event.incumbent)}")
        if event.bound is not None:
            detail.append(f"bound {_fmt(event.bound)}")
        if event.gap is not None:
            detail.append(f"gap {_fmt(event.gap, 3, percent=True)}")
        if event.message:
            detail.append(event.message)
        fields: dict[str, Any] = {"description": event.phase, "detail": "  ".join(detail)}
        if event.fraction is not None:
            fields["completed"] = 100 * max(0.0, min(1.0, event.fraction))
        progress.update(task, **fields)

    return report


def register(app: typer.Typer) -> None:
    """Add `plan` (run by default, compare, check) and `synth` to the `nsatu` command."""
    plan_app = typer.Typer(
        cls=DefaultRunGroup,
        help="Plan a scenario (nsatu plan SCENARIO --out DIR), compare the methods, or check a plan.",
        no_args_is_help=True,
    )
    app.add_typer(plan_app, name="plan")

    @plan_app.command("run")
    def plan_run(
        scenario: Path = typer.Argument(..., help="a FORMAT.md scenario folder or .xlsx workbook"),
        out: Path = typer.Option(..., "--out", help="the plan folder to write"),
        method: str = typer.Option("optimal", "--method", help="optimal, greedy or country"),
        time_limit: float = typer.Option(60.0, "--time-limit", help="seconds for the optimiser"),
        gap: float = typer.Option(1e-3, "--gap", help="relative gap at which the optimiser stops"),
    ) -> None:
        """Plan SCENARIO with one method and write the plan folder."""
        from nsatu.planner.io.plans import write_plan
        from nsatu.planner.methods import METHODS, run_method

        console, err = _consoles()
        if method not in METHODS:
            err.print(f"unknown method {method!r}; use one of {', '.join(METHODS)}", markup=False)
            raise typer.Exit(2)
        s = _read(scenario)
        with Progress(
            SpinnerColumn(),
            TextColumn("{task.description:<10}"),
            BarColumn(),
            TextColumn("{task.fields[detail]}"),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        ) as progress:
            task = progress.add_task("start", total=100, detail=method)
            plan = run_method(
                s, method, time_limit=time_limit, gap=gap, progress=_progress_callback(progress, task)
            )
        write_plan(s, plan, out)
        m = plan.metrics
        console.print(
            f"{method}: {plan.status}; objective {_fmt(m.get('objective'))}, bound {_fmt(m.get('bound'))}, "
            f"gap {_fmt(m.get('gap'), 3, percent=True)}, pwf {_fmt(m.get('pwf'), 3)}, "
            f"on time {_fmt(m.get('on_time_share'), 1, percent=True)}, "
            f"new families {len(m.get('new_families', []))}, {plan.n_lines} lines -> {out}",  # type: ignore[arg-type]
            highlight=False,
        )
        if plan.message:
            console.print(plan.message, markup=False, highlight=False)
        if plan.status in ("error", "infeasible"):
            raise typer.Exit(1)

    @plan_app.command("compare")
    def plan_compare(
        scenario: Path = typer.Argument(..., help="a FORMAT.md scenario folder or .xlsx workbook"),
        time_limit: float = typer.Option(60.0, "--time-limit", help="seconds for the optimiser"),
        gap: float = typer.Option(1e-3, "--gap", help="relative gap at which the optimiser stops"),
    ) -> None:
        """Run the three methods on SCENARIO and print them side by side."""
        from nsatu.planner.methods import run_method

        console, _ = _consoles()
        s = _read(scenario)
        table = Table(title=f"{scenario}: {len(s.requirements.ids)} requirements, {len(s.offers.ids)} offers")
        for column in (
            "method",
            "status",
            "objective",
            "bound",
            "gap",
            "pwf",
            "on time",
            "new families",
            "seconds",
        ):
            table.add_column(column, justify="left" if column in ("method", "status") else "right")
        objectives: dict[str, float] = {}
        for method in ("country", "greedy", "optimal"):
            with console.status(f"{method} ..."):
                plan = run_method(s, method, time_limit=time_limit, gap=gap)
            m = plan.metrics
            objectives[method] = float(m["objective"])  # type: ignore[arg-type]
            table.add_row(
                method,
                plan.status,
                _fmt(m.get("objective")),
                _fmt(m.get("bound")),
                _fmt(m.get("gap"), 3, percent=True),
                _fmt(m.get("pwf"), 3),
                _fmt(m.get("on_time_share"), 1, percent=True),
                str(len(m.get("new_families", []))),  # type: ignore[arg-type]
                _fmt(plan.solve_seconds, 1),
            )
            if plan.status == "error":
                console.print(f"{method}: {plan.message.splitlines()[0]}", markup=False, highlight=False)
        console.print(table)
        ratios = [
            f"optimal / {base}: {objectives['optimal'] / objectives[base]:.2f}x"
            for base in ("country", "greedy")
            if objectives.get(base, 0.0) > 0
        ]
        if ratios:
            console.print("objective ratios: " + "; ".join(ratios), highlight=False)

    @plan_app.command("check")
    def plan_check(
        scenario: Path = typer.Argument(..., help="the scenario folder or .xlsx workbook"),
        plan_dir: Path = typer.Argument(..., metavar="PLAN", help="the plan folder"),
    ) -> None:
        """Check a plan folder against all eight FORMAT.md rules and its metrics.json."""
        from nsatu.planner.check import check_plan_files

        console, err = _consoles()
        _read(scenario)  # scenario errors: listed, exit 2
        violations = check_plan_files(scenario, plan_dir)
        if not violations:
            console.print(f"{plan_dir}: valid (all eight rules hold; metrics.json agrees)", highlight=False)
            return
        err.print(f"{plan_dir}: {len(violations)} violation(s)", highlight=False)
        for violation in violations:
            err.print(f"  {violation}", markup=False, highlight=False)
        raise typer.Exit(1)

    @plan_app.command("frontier")
    def plan_frontier_command(
        scenario: Path = typer.Argument(..., help="a FORMAT.md scenario folder or .xlsx workbook"),
        out: Path = typer.Option(..., "--out", help="the folder for frontier.csv and the k<K>/ plans"),
        max_families: int | None = typer.Option(
            None,
            "--max-families",
            help="the largest K (default: as many as the unconstrained plan introduces)",
        ),
        time_limit: float = typer.Option(120.0, "--time-limit", help="seconds for the whole frontier"),
    ) -> None:
        """The best plan with at most 0, 1, 2, ... new families, each with a bound."""
        from nsatu.planner.frontier import plan_frontier
        from nsatu.planner.io.plans import write_frontier

        console, _ = _consoles()
        s = _read(scenario)
        with Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.fields[detail]}"),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        ) as progress:
            task = progress.add_task("frontier", total=100, detail="")
            points = plan_frontier(
                s,
                max_families=max_families,
                time_limit=time_limit,
                progress=_progress_callback(progress, task),
            )
        write_frontier(s, points, out)
        table = Table(title=f"frontier of {scenario}")
        for column in ("at most", "introduced", "pwf", "on time", "objective", "bound", "gap"):
            table.add_column(column, justify="right")
        for p in points:
            table.add_row(
                str(p.limit),
                ", ".join(p.new_families) or "—",
                _fmt(p.pwf, 2, percent=True),
                _fmt(p.on_time_share, 1, percent=True),
                _fmt(p.objective),
                _fmt(p.bound),
                _fmt(p.gap, 2, percent=True),
            )
        console.print(table)
        console.print(f"wrote {out / 'frontier.csv'} and {len(points)} plan folders", highlight=False)

    @plan_app.command("worth")
    def plan_worth_command(
        scenario: Path = typer.Argument(..., help="a FORMAT.md scenario folder or .xlsx workbook"),
        plan_dir: Path | None = typer.Option(
            None, "--plan", help="the plan folder to judge (default: an optimal plan, a third of the time)"
        ),
        time_limit: float = typer.Option(120.0, "--time-limit", help="seconds for all the re-solves"),
        max_left_out: int = typer.Option(12, "--max-left-out", help="how many left-out families to try"),
    ) -> None:
        """What each family is worth: the loss without each introduced one, the gain with each left out."""
        from nsatu.planner.io.plans import read_plan
        from nsatu.planner.optimal import plan_optimal
        from nsatu.planner.worth import family_worth

        console, err = _consoles()
        s = _read(scenario)
        budget = time_limit
        if plan_dir is None:
            base = plan_optimal(s, time_limit=time_limit / 3)
            budget -= time_limit / 3
        else:
            try:
                base = read_plan(s, plan_dir)
            except ScenarioError as exc:
                err.print(str(exc), markup=False, highlight=False)
                raise typer.Exit(1) from exc
        found = family_worth(s, base, time_limit=budget, max_left_out=max_left_out)
        if not found:
            console.print("no new family in the plan, and none left out that an offer could bring")
        for w in found:
            state = "introduced" if w.introduced else "left out"
            verb = "without it" if w.introduced else "with it"
            sign = -1.0 if w.introduced else 1.0
            courses = "courses" if w.introduced else "new courses"
            console.print(
                f"{w.name} ({w.code}, {w.capability}, {state}): "
                f"{100 * sign * w.pwf_change:+.2f} % pwf {verb}, "
                f"objective {sign * w.objective_change:+.3g}, {w.units:g} units, {w.crews:g} crews, "
                f"{w.courses} {courses}" + ("" if w.solved else " (no time left to solve it)"),
                markup=False,
                highlight=False,
            )

    @app.command("synth")
    def synth(
        out: Path = typer.Argument(..., help="the folder (or .xlsx file with --xlsx) to write"),
        scale: str = typer.Option("small", "--scale", help="small, medium, udcg or xl"),
        seed: int = typer.Option(1, "--seed", help="random seed; the same seed gives the same scenario"),
        profile: str = typer.Option(
            "standard",
            "--profile",
            help="standard, or tight: hubs binding in most weeks, scarce crews, mixed-unit crewed "
            "families, skewed donors, long lead times",
        ),
        xlsx: bool = typer.Option(False, "--xlsx", help="write one workbook instead of a folder"),
    ) -> None:
        """Write a synthetic scenario of realistic shape (FORMAT.md)."""
        from nsatu.planner.io import write_scenario
        from nsatu.planner.synth import PROFILES, SCALES, generate

        console, err = _consoles()
        if scale not in SCALES:
            err.print(f"unknown scale {scale!r}; use one of {', '.join(SCALES)}", markup=False)
            raise typer.Exit(2)
        if profile not in PROFILES:
            err.print(f"unknown profile {profile!r}; use one of {', '.join(PROFILES)}", markup=False)
            raise typer.Exit(2)
        s = generate(scale, seed, profile)
        write_scenario(s, out, xlsx=xlsx)
        console.print(
            f"wrote {out}: {len(s.requirements.ids)} requirements, {len(s.offers.ids)} offers, "
            f"{s.horizon_weeks} weeks, {len(s.families.codes)} families",
            highlight=False,
        )
