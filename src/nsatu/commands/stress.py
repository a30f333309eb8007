"""`nsatu stress`: donor-withdrawal and lead-time-delay stress tests of a plan, and robust mode.

Pure planner work unless ``--db`` is given (then the scenario comes from the database).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from nsatu.planner.plan import Plan
from nsatu.planner.progress import ProgressEvent
from nsatu.planner.scenario import Scenario, ScenarioError

STRESS_METHODS = ("optimal", "greedy")


def _pct(value: float, digits: int = 2) -> str:
    return f"{100 * value:.{digits}f}%"


def _load(scenario: Path | None, db: bool, err: Console) -> Scenario:
    if db:
        from nsatu.cli import setup_django

        setup_django()
        from nsatu.planning.adapters import scenario_from_db

        return scenario_from_db()
    if scenario is None:
        err.print("give a SCENARIO folder or workbook, or --db")
        raise typer.Exit(2)
    from nsatu.planner.scenario import read_scenario

    try:
        return read_scenario(scenario)
    except ScenarioError as exc:
        err.print(f"[red]{scenario}: {len(exc.errors)} error(s)[/red]", highlight=False)
        for error in exc.errors:
            err.print(f"  {error}", markup=False, highlight=False)
        raise typer.Exit(2) from exc


def _bar(console: Console) -> Progress:
    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description:<12}"),
        BarColumn(),
        TextColumn("{task.fields[detail]}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )


def _reporter(progress: Progress, task: Any) -> Any:
    def report(event: ProgressEvent) -> None:
        fields: dict[str, Any] = {"description": event.phase, "detail": event.message}
        if event.fraction is not None:
            fields["completed"] = 100 * max(0.0, min(1.0, event.fraction))
        progress.update(task, **fields)

    return report


def _short(items: list[str], most: int = 8) -> str:
    if not items:
        return "—"
    return ", ".join(items[:most]) + (f" (+{len(items) - most})" if len(items) > most else "")


def register(app: typer.Typer) -> None:
    """Add `stress` to the `nsatu` command."""

    @app.command("stress")
    def stress(
        scenario: Path | None = typer.Argument(None, help="a FORMAT.md scenario folder or .xlsx workbook"),
        db: bool = typer.Option(False, "--db", help="use the database's scenario instead of a file"),
        donor_withdrawal: bool = typer.Option(
            False, "--donor-withdrawal", help="re-plan once per donor without its offers"
        ),
        delays: int = typer.Option(0, "--delays", min=0, help="N random lead-time delay samples"),
        seed: int = typer.Option(1, "--seed", help="seed of the delay samples"),
        mean_delay: float = typer.Option(14.0, "--mean-delay", help="mean extra days per route"),
        method: str = typer.Option("optimal", "--method", help="optimal or greedy (base plan and re-plans)"),
        time_limit: float = typer.Option(10.0, "--time-limit", help="seconds per plan"),
        robust: bool = typer.Option(False, "--robust", help="also plan in robust mode and compare"),
    ) -> None:
        """Stress-test the plan of SCENARIO (or --db): donors withdrawing, routes slipping."""
        from nsatu.planner import stress as st
        from nsatu.planner.methods import run_method
        from nsatu.planner.robust import fixed_plan_losses, worst_loss

        console, err = Console(), Console(stderr=True)
        if method not in STRESS_METHODS:
            err.print(f"unknown method {method!r}; use one of {', '.join(STRESS_METHODS)}", markup=False)
            raise typer.Exit(2)
        if not (donor_withdrawal or delays or robust):
            err.print("nothing to do: give --donor-withdrawal, --delays N and/or --robust")
            raise typer.Exit(2)
        s = _load(scenario, db, err)
        with _bar(console) as progress:
            task = progress.add_task("base plan", total=100, detail=method)
            report = _reporter(progress, task)
            base = run_method(s, method, time_limit=time_limit, progress=report)
            robust_plan: Plan | None = None
            normal = base
            if robust:
                if method != "optimal":  # robustness is priced against the optimal plan
                    normal = run_method(s, "optimal", time_limit=time_limit, progress=report)
                progress.update(task, description="robust", completed=0, detail="robust plan")
                robust_plan = run_method(
                    s, "robust", time_limit=2 * time_limit, warm_start=normal, progress=report
                )
            withdrawal = (
                st.donor_withdrawal(s, base, method=method, time_limit=time_limit, progress=report)
                if donor_withdrawal
                else None
            )
            delay = (
                st.delays(s, base, delays, seed, mean_days=mean_delay, progress=report) if delays else None
            )
        title = scenario.name if scenario is not None else "database"
        console.print(
            f"{title}: base plan ({method}, {base.status}) pwf {_pct(float(base.metrics['pwf']))}, "  # type: ignore[arg-type]
            f"on time {_pct(float(base.metrics['on_time_share']), 1)}, "  # type: ignore[arg-type]
            f"objective {float(base.metrics['objective']):,.2f}",  # type: ignore[arg-type]
            highlight=False,
        )
        if robust_plan is not None:
            _robust_table(console, s, normal, robust_plan, worst_loss)
        if withdrawal is not None:
            # the robust plan's losses with the plan kept, beside the base plan's
            kept: dict[str, dict[str, float]] = {}
            if robust_plan is not None:
                if normal is not base:
                    kept["normal"] = fixed_plan_losses(s, normal)
                kept["robust"] = fixed_plan_losses(s, robust_plan)
            _withdrawal_table(console, withdrawal, kept)
        if delay is not None:
            _delay_table(console, delay)

    del stress


def _robust_table(console: Console, s: Scenario, base: Plan, robust: Plan, worst_loss: Any) -> None:
    table = Table(title="Robust mode: what protection against any one donor's withdrawal costs")
    for column in ("plan", "pwf", "objective", "worst donor", "worst-case pwf loss (plan kept)"):
        table.add_column(column, justify="left" if column in ("plan", "worst donor") else "right")
    for name, plan in (("normal (optimal)", base), ("robust", robust)):
        donor, loss = worst_loss(s, plan)
        table.add_row(
            name,
            _pct(float(plan.metrics["pwf"])),  # type: ignore[arg-type]
            f"{float(plan.metrics['objective']):,.2f}",  # type: ignore[arg-type]
            donor or "—",
            _pct(loss),
        )
    console.print(table)
    cost = float(base.metrics["pwf"]) - float(robust.metrics["pwf"])  # type: ignore[arg-type]
    console.print(f"robustness costs {_pct(cost)} pwf; {robust.message}", markup=False, highlight=False)


def _withdrawal_table(console: Console, report: Any, kept: dict[str, dict[str, float]]) -> None:
    """Per donor: re-planned loss, then the loss of each plan kept as it is (base, normal, robust)."""
    table = Table(title="Donor withdrawal: re-planned without each donor's offers (worst first)")
    columns = ["donor", "offers", "pwf loss", "loss, base kept", *(f"loss, {name} kept" for name in kept)]
    columns += ["requirements below 50%", "capabilities uncovered", "capabilities hurt most"]
    for column in columns:
        table.add_column(
            column, justify="right" if column in ("offers", "pwf loss") or "kept" in column else "left"
        )
    for impact in report.impacts:
        row = [impact.donor, str(impact.offers), _pct(impact.pwf_loss), _pct(impact.fixed_loss)]
        row += [_pct(losses.get(impact.donor, 0.0)) for losses in kept.values()]
        hurt = [f"{c} {_pct(v, 1)}" for c, v in list(impact.capability_loss.items())[:3]]
        below = f"{len(impact.below_half)}: {_short(impact.below_half, 4)}" if impact.below_half else "—"
        row += [below, _short(impact.uncovered), _short(hurt)]
        table.add_row(*row)
    console.print(table)
    if kept:
        worst = [f"base {_pct(report.worst_fixed_loss)}"]
        worst += [f"{name} {_pct(max(losses.values(), default=0.0))}" for name, losses in kept.items()]
        console.print("worst loss with the plan kept: " + ", ".join(worst), highlight=False)


def _delay_table(console: Console, report: Any) -> None:
    table = Table(
        title=f"Lead-time delays: {len(report.samples)} samples, seed {report.seed}, "
        f"extra days per route ~ exponential, mean {report.mean_delay_days:g}; allocations kept"
    )
    table.add_column("figure")
    for name in ("base", "min", "p10", "median", "p90", "max"):
        table.add_column(name, justify="right")
    table.add_row("pwf", _pct(report.base.pwf), *(_pct(v) for v in report.pwf.values()))
    table.add_row(
        "on-time share",
        _pct(report.base.on_time_share, 1),
        *(_pct(v, 1) for v in report.on_time_share.values()),
    )
    console.print(table)
