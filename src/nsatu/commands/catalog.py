"""`nsatu catalog`: the fleet-diversity figure and alias coverage, from the database."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

console = Console()
DEFAULT_PLATFORMS = (
    Path(__file__).resolve().parents[3].parent / "shared" / "data" / "public" / "platforms.csv"
)


def register(app: typer.Typer) -> None:
    """Add the `catalog` group to the `nsatu` command."""
    catalog_app = typer.Typer(
        help="The platform-family catalog: fleet diversity and aliases.", no_args_is_help=True
    )
    app.add_typer(catalog_app, name="catalog")

    @catalog_app.command("families")
    def families(
        by: str = typer.Option("capability", "--by", help="group by: capability"),
        all_families: bool = typer.Option(False, "--all", help="also families not in service"),
    ) -> None:
        """How many platform families the recipient operates per capability, and which."""
        if by != "capability":
            raise typer.BadParameter("only --by capability is supported", param_hint="--by")
        from nsatu.cli import setup_django

        setup_django()
        from nsatu.catalog.models import Family

        rows = Family.objects.select_related("capability").order_by("capability__code", "code")
        if not all_families:
            rows = rows.filter(in_service=True)
        grouped: dict[str, list[str]] = {}
        for family in rows:
            grouped.setdefault(family.capability.code, []).append(family.name)
        table = Table(
            title="Families in service per capability" if not all_families else "Families per capability"
        )
        table.add_column("capability")
        table.add_column("families", justify="right")
        table.add_column("which")
        for capability, names in grouped.items():
            table.add_row(capability, str(len(names)), ", ".join(names))
        console.print(table)
        console.print(f"{sum(len(v) for v in grouped.values())} families across {len(grouped)} capabilities")

    @catalog_app.command("alias-coverage")
    def alias_coverage(
        platforms: Path = typer.Option(DEFAULT_PLATFORMS, help="the public platforms.csv (Kiel/Oryx)"),
    ) -> None:
        """Share of platforms.csv rows of the demo's capabilities whose system name resolves to a family."""
        from nsatu.cli import setup_django

        setup_django()
        from nsatu.catalog.models import FamilyAlias
        from nsatu.demo.coverage import alias_coverage as coverage

        if not platforms.is_file():
            console.print(f"[red]{platforms}: not found[/red] (pass --platforms PATH)")
            raise typer.Exit(2)
        aliases = dict(FamilyAlias.objects.values_list("alias", "family__code"))
        share, unresolved = coverage(platforms, aliases)
        console.print(f"alias coverage: {share:.1%} of rows resolve to a family ({len(aliases)} aliases)")
        for name in unresolved:
            console.print(f"  unresolved: {name}")
        if unresolved:
            raise typer.Exit(1)
