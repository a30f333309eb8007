"""`nsatu stress`: donor-withdrawal and lead-time-delay stress tests of a plan, and robust mode.

With a SCENARIO file it is pure planner work in this process: nothing is written
anywhere. With ``--db`` it is the web application's stress run: each test becomes
a `StressRun` (through `nsatu.stress.services.start_stress_run`, audited) whose
cases are queued as django-tasks tasks for the task workers, and a progress bar
follows the run in the database until it ends; ``--in-process`` runs the same
tasks here instead, for when no worker runs. ``--robust`` always plans here.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from nsatu.planner.io import ScenarioError
from nsatu.planner.plan import Plan
from nsatu.planner.progress import ProgressEvent
from nsatu.planner.scenario import Scenario

STRESS_METHODS = ("optimal", "greedy")
# numeric columns of the withdrawal table
RIGHT = ("offers", "committed lines", "committed aid lost", "loss with backfill", "loss without backfill")
POLL_SECONDS = 0.5
# With every run still queued after this long, the bar says a task worker may be missing.
NO_WORKER_HINT_SECONDS = 15.0


def _pct(value: float, digits: int = 2) -> str:
    return f"{100 * value:.{digits}f}%"


def _load(scenario: Path | None, err: Console) -> Scenario:
    if scenario is None:
        err.print("give a SCENARIO folder or workbook, or --db")
        raise typer.Exit(2)
    from nsatu.planner.io import read_scenario

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
        in_process: bool = typer.Option(
            False,
            "--in-process",
            help="with --db: run the stress run's tasks in this process instead of queueing them",
        ),
    ) -> None:
        """Stress-test the plan of SCENARIO (or --db): donors withdrawing, routes slipping."""
        console, err = Console(), Console(stderr=True)
        if method not in STRESS_METHODS:
            err.print(f"unknown method {method!r}; use one of {', '.join(STRESS_METHODS)}", markup=False)
            raise typer.Exit(2)
        if not (donor_withdrawal or delays or robust):
            err.print("nothing to do: give --donor-withdrawal, --delays N and/or --robust")
            raise typer.Exit(2)
        if db and scenario is not None:
            err.print("give a SCENARIO or --db, not both")
            raise typer.Exit(2)
        if in_process and not db:
            err.print("--in-process goes with --db (a SCENARIO file is always stressed in this process)")
            raise typer.Exit(2)
        options: dict[str, Any] = {
            "method": method,
            "time_limit": time_limit,
            "seed": seed,
            "mean_delay_days": mean_delay,
        }
        if db:
            ok = _stress_database(
                console, err, donor_withdrawal, delays, robust, in_process=in_process, **options
            )
            if not ok:
                raise typer.Exit(1)
            return
        _stress_file(console, _load(scenario, err), scenario, donor_withdrawal, delays, robust, **options)

    del stress


def _stress_file(
    console: Console,
    s: Scenario,
    scenario: Path | None,
    donor_withdrawal: bool,
    delays: int,
    robust: bool,
    *,
    method: str,
    time_limit: float,
    seed: int,
    mean_delay_days: float,
) -> None:
    """The pure path: plan and stress a scenario file in this process."""
    from nsatu.planner import stress as st
    from nsatu.planner.methods import run_method

    with _bar(console) as progress:
        task = progress.add_task("base plan", total=100, detail=method)
        report = _reporter(progress, task)
        base = run_method(s, method, time_limit=time_limit, progress=report)
        normal, robust_plan = _robust_plans(s, base, method, time_limit, robust, progress, task, report)
        withdrawal = (
            st.donor_withdrawal(s, base, method=method, time_limit=time_limit, progress=report)
            if donor_withdrawal
            else None
        )
        delay = (
            st.delays(s, base, delays, seed, mean_days=mean_delay_days, progress=report) if delays else None
        )
    title = scenario.name if scenario is not None else "scenario"
    _header(console, f"{title}: base plan ({method}, {base.status})", base.metrics)
    _report(console, s, base, normal, robust_plan, withdrawal, delay)


def _robust_plans(
    s: Scenario,
    base: Plan,
    method: str,
    time_limit: float,
    robust: bool,
    progress: Progress,
    task: Any,
    report: Any,
) -> tuple[Plan, Plan | None]:
    """The normal (optimal) plan and, with --robust, the robust one (both planned here)."""
    from nsatu.planner.methods import run_method

    if not robust:
        return base, None
    normal = base
    if method != "optimal":  # robustness is priced against the optimal plan
        progress.update(task, description="optimal", completed=0, detail="normal plan")
        normal = run_method(s, "optimal", time_limit=time_limit, progress=report)
    progress.update(task, description="robust", completed=0, detail="robust plan")
    robust_plan = run_method(s, "robust", time_limit=2 * time_limit, warm_start=normal, progress=report)
    return normal, robust_plan


def _header(console: Console, title: str, figures: Any) -> None:
    committed = float(figures.get("committed_pwf", 0.0))
    console.print(
        f"{title} pwf {_pct(float(figures['pwf']))}"
        + (f" (committed aid {_pct(committed)}, the plan of the rest on top)" if committed else "")
        + f", on time {_pct(float(figures['on_time_share']), 1)}, "
        f"objective {float(figures['objective']):,.2f}",
        highlight=False,
    )


def _report(
    console: Console,
    s: Scenario | None,
    base: Plan | None,
    normal: Plan | None,
    robust_plan: Plan | None,
    withdrawal: Any,
    delay: Any,
) -> None:
    """The tables: robust mode, donor withdrawal (with the kept losses of each plan), delays."""
    from nsatu.planner.robust import fixed_plan_losses, worst_loss

    if s is not None and normal is not None and robust_plan is not None:
        _robust_table(console, s, normal, robust_plan, worst_loss)
    if withdrawal is not None:
        # the robust plan's losses with the plan kept, beside the base plan's
        kept: dict[str, dict[str, float]] = {}
        if s is not None and normal is not None and robust_plan is not None:
            if normal is not base:
                kept["normal"] = fixed_plan_losses(s, normal)
            kept["robust"] = fixed_plan_losses(s, robust_plan)
        _withdrawal_table(console, withdrawal, kept)
    if delay is not None:
        _delay_table(console, delay)


def _stress_database(
    console: Console,
    err: Console,
    donor_withdrawal: bool,
    delays: int,
    robust: bool,
    *,
    in_process: bool,
    method: str,
    time_limit: float,
    seed: int,
    mean_delay_days: float,
) -> bool:
    """Stress runs of the database's plan: one StressRun per test, run by the task workers (or here).

    Returns False when a run failed.
    """
    from nsatu.cli import setup_django

    setup_django()
    from nsatu.core.actors import CLI
    from nsatu.planning.adapters import scenario_from_db
    from nsatu.stress.models import StressKind, StressRun, StressStatus
    from nsatu.stress.services import StressError, start_stress_run

    kinds = [StressKind.WITHDRAWAL] * donor_withdrawal + [StressKind.DELAYS] * bool(delays)
    runs: list[StressRun] = []
    try:
        for kind in kinds:
            runs.append(
                start_stress_run(
                    actor=CLI,
                    kind=kind,
                    method=method,
                    time_limit=time_limit,
                    samples=delays,
                    seed=seed,
                    mean_delay_days=mean_delay_days,
                    enqueue=not in_process,
                )
            )
    except StressError as exc:
        err.print(str(exc), markup=False, highlight=False)
        raise typer.Exit(2) from exc
    for run in runs:
        where = "runs here" if in_process else "queued for the task workers"
        console.print(f"stress run {run.pk} ({run.kind}) {where}: /stress/{run.pk}/", highlight=False)
    s = scenario_from_db() if robust else None
    base: Plan | None = None
    normal: Plan | None = None
    robust_plan: Plan | None = None
    with _bar(console) as progress:
        bars = {run.pk: progress.add_task(run.kind, total=1, detail="base plan") for run in runs}
        if in_process:
            _run_here(runs, progress, bars)
        else:
            _follow(runs, progress, bars)
        for run in runs:
            run.refresh_from_db()
        if s is not None:  # robust mode is a plan, not a fan-out of cases: planned here
            from nsatu.planner.methods import run_method

            task = progress.add_task("base plan", total=100, detail=method)
            report = _reporter(progress, task)
            base = run_method(s, method, time_limit=time_limit, progress=report)
            normal, robust_plan = _robust_plans(s, base, method, time_limit, True, progress, task, report)
    figures = next((r.base for r in runs if r.base), None)
    if figures:
        _header(console, f"database: base plan ({method})", figures)
    elif base is not None:
        _header(console, f"database: base plan ({method}, {base.status})", base.metrics)
    withdrawal = delay = None
    for run in runs:
        if run.status == StressStatus.FAILED:
            err.print(f"stress run {run.pk} failed: {run.message}", markup=False, highlight=False)
            continue
        if run.message:
            console.print(f"stress run {run.pk}: {run.message}", markup=False, highlight=False)
        if not run.base:
            continue
        report = _run_report(run)
        if run.kind == StressKind.WITHDRAWAL:
            withdrawal = report
        else:
            delay = report
        for case in run.cases.filter(status=StressStatus.FAILED):
            err.print(f"  case {case.key} failed: {case.message.strip()}", markup=False, highlight=False)
    _report(console, s, base, normal, robust_plan, withdrawal, delay)
    return all(run.status == StressStatus.DONE for run in runs)


def _run_report(run: Any) -> Any:
    """The pure report of a finished run's done cases: the same tables as a file's."""
    from nsatu.planner import stress as st
    from nsatu.stress.models import StressKind, StressStatus

    base = st.BaseFigures.from_json(dict(run.base))
    results = [dict(c.result) for c in run.cases.filter(status=StressStatus.DONE)]
    if run.kind == StressKind.WITHDRAWAL:
        return st.WithdrawalReport(base, [st.DonorImpact.from_json(r) for r in results])
    return st.DelayReport(base, run.seed, run.mean_delay_days, [st.DelaySample.from_json(r) for r in results])


def _show(progress: Progress, bar: Any, run: Any) -> None:
    if run.cases_total:
        detail = f"{run.cases_done} of {run.cases_total} cases"
        progress.update(bar, total=run.cases_total, completed=run.cases_done, detail=detail)
    else:
        progress.update(bar, detail="base plan" if run.status == "running" else run.status)


def _run_here(runs: list[Any], progress: Progress, bars: dict[int, Any]) -> None:
    """--in-process: the tasks' own functions, one run after another, in this process."""
    from nsatu.stress.models import StressStatus
    from nsatu.stress.tasks import close_case, execute_case, execute_prepare, finish_run

    current: Any = None
    try:
        for run in runs:
            current = run
            progress.update(bars[run.pk], detail="base plan")
            try:
                case_ids = execute_prepare(run.pk, enqueue_cases=False)
            except Exception:  # recorded on the run (failed, with the traceback)
                case_ids = []
            run.refresh_from_db()
            _show(progress, bars[run.pk], run)
            for case_id in case_ids:
                execute_case(case_id)
                run.refresh_from_db()
                _show(progress, bars[run.pk], run)
    except KeyboardInterrupt:
        # nobody else will run the rest: end the run now rather than leave it running
        if current is not None:
            finish_run(current.pk, StressStatus.FAILED, "interrupted on the command line")
            for case in current.cases.filter(status=StressStatus.RUNNING):
                close_case(case.pk, StressStatus.FAILED, message="interrupted on the command line")
        raise


def _follow(
    runs: list[Any],
    progress: Progress,
    bars: dict[int, Any],
    *,
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """Poll the runs in the database until each is done or failed; dead workers' cases fail."""
    from nsatu.stress.models import StressStatus
    from nsatu.stress.services import fail_stale_stress_runs

    started = time.monotonic()
    try:
        while True:
            fail_stale_stress_runs()
            for run in runs:
                run.refresh_from_db()
                _show(progress, bars[run.pk], run)
            if all(run.status in (StressStatus.DONE, StressStatus.FAILED) for run in runs):
                return
            if (
                all(run.status == StressStatus.QUEUED for run in runs)
                and time.monotonic() - started > NO_WORKER_HINT_SECONDS
            ):
                for run in runs:
                    progress.update(
                        bars[run.pk],
                        detail="queued: is a task worker running? (manage.py db_worker, or --in-process)",
                    )
            sleep(POLL_SECONDS)
    except KeyboardInterrupt:
        ids = ", ".join(f"/stress/{run.pk}/" for run in runs)
        progress.console.print(f"stopped following; the task workers go on with {ids}", highlight=False)
        raise


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
    """Per donor: the loss with backfill (re-planned) and without it (the base kept as it is, as
    each plan kept: normal, robust); with committed aid, the part of it that was committed."""
    committed = report.base.committed_pwf > 0 or any(i.committed_lines for i in report.impacts)
    title = "Donor withdrawal: re-planned without each donor's offers (worst first)"
    if committed:
        title = "Donor withdrawal, committed aid included: each donor's commitments and offers (worst first)"
    table = Table(title=title)
    columns = ["donor", "offers"] + ["committed lines", "committed aid lost"] * committed
    columns += ["loss with backfill", "loss without backfill", *(f"loss, {name} kept" for name in kept)]
    columns += ["requirements below 50%", "capabilities uncovered", "capabilities hurt most"]
    for column in columns:
        table.add_column(column, justify="right" if column in RIGHT or "kept" in column else "left")
    for impact in report.impacts:
        row = [impact.donor, str(impact.offers)]
        row += [str(impact.committed_lines), _pct(impact.committed_loss)] * committed
        row += [_pct(impact.pwf_loss), _pct(impact.fixed_loss)]
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
