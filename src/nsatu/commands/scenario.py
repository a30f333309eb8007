"""`nsatu scenario import|export` and `nsatu demo load`: scenario files and the database."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn

console = Console()
err_console = Console(stderr=True)

DEMO_SCENARIO = Path(__file__).resolve().parent.parent / "demo" / "scenario"


def _import(path: Path, *, actor_name: str) -> None:
    from nsatu.cli import setup_django

    setup_django()
    from nsatu.core.actors import SystemActor
    from nsatu.planner.io import ScenarioError, read_scenario
    from nsatu.planning.adapters import import_scenario

    try:
        scenario = read_scenario(path)
    except ScenarioError as exc:
        err_console.print(f"[red]{path}: {len(exc.errors)} error(s); nothing was imported[/red]")
        for error in exc.errors:
            err_console.print(f"  {error}")
        raise typer.Exit(2) from exc
    with Progress(
        TextColumn("{task.description:<14}"),
        BarColumn(),
        MofNCompleteColumn(),
        console=console,
        transient=True,
    ) as progress:
        bars: dict[str, TaskID] = {}

        def tick(table: str, done: int, total: int) -> None:
            if table not in bars:
                bars[table] = progress.add_task(table, total=total)
            progress.update(bars[table], completed=done)

        try:
            report = import_scenario(scenario, actor=SystemActor(actor_name), progress=tick)
        except ScenarioError as exc:
            err_console.print(f"[red]{path}: the import was refused; nothing was written[/red]")
            for error in exc.errors:
                err_console.print(f"  {error}")
            raise typer.Exit(2) from exc
    created, updated, unchanged = (
        sum(d.values()) for d in (report.created, report.updated, report.unchanged)
    )
    console.print(f"imported {path}: {created} created, {updated} changed, {unchanged} already as given")


def register(app: typer.Typer) -> None:
    """Add the `scenario` group and `demo load` to the `nsatu` command."""
    scenario_app = typer.Typer(
        help="Scenario files (FORMAT.md folders and workbooks) in and out.", no_args_is_help=True
    )
    app.add_typer(scenario_app, name="scenario")

    @scenario_app.command("import")
    def scenario_import(path: Path = typer.Argument(..., help="a scenario folder or .xlsx workbook")) -> None:
        """Import a scenario: all or nothing, every error listed, idempotent."""
        _import(path, actor_name="import")

    @scenario_app.command("export")
    def scenario_export(
        path: Path = typer.Argument(..., help="the folder (or .xlsx file with --xlsx) to write"),
        xlsx: bool = typer.Option(False, "--xlsx", help="write one workbook instead of a folder"),
    ) -> None:
        """Export the database's scenario as a FORMAT.md folder or workbook."""
        from nsatu.cli import setup_django

        setup_django()
        from nsatu.planner.io import ScenarioError, write_scenario
        from nsatu.planning.adapters import scenario_from_db

        try:
            scenario = scenario_from_db(remaining=False)  # the records as stored (docs/format.md)
        except ScenarioError as exc:
            err_console.print(str(exc))
            raise typer.Exit(2) from exc
        write_scenario(scenario, path, xlsx=xlsx)
        console.print(f"exported to {path}")

    demo_app = next(g.typer_instance for g in app.registered_groups if g.name == "demo")
    assert demo_app is not None

    @demo_app.command("load")
    def demo_load() -> None:
        """Load the demo scenario built from public facts (idempotent)."""
        _import(DEMO_SCENARIO, actor_name="demo")
