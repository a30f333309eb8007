"""`nsatu aid iati OUT.xml`: the agreements' aid chain as IATI activity XML."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

console = Console()
err_console = Console(stderr=True)

aid_app = typer.Typer(
    help="Agreements and the aid chain: pledges, commitments, deliveries.", no_args_is_help=True
)


@aid_app.command("iati")
def aid_iati(
    out: Path = typer.Argument(..., help="the XML file to write"),
    schema: Path | None = typer.Option(
        None, "--schema", help="a folder holding iati-activities-schema.xsd: validate before writing"
    ),
) -> None:
    """Write every agreement's pledges (12), commitments (2) and deliveries (3) as IATI 2.03 XML."""
    from nsatu.cli import setup_django

    setup_django()
    from django.utils import timezone

    from nsatu.nations.iati import default_recipient, iati_xml, validate_iati
    from nsatu.shipments.aidchain import aid_chains

    chains = aid_chains(everything=True)
    document = iati_xml(chains, recipient=default_recipient(), generated=timezone.now())
    if schema is not None:
        errors = validate_iati(document, schema)
        if errors:
            for error in errors[:20]:
                err_console.print(f"[red]invalid[/red] {error}")
            raise typer.Exit(1)
    out.write_bytes(document)
    transactions = sum(len(c.entries) for c in chains)
    console.print(f"wrote {out}: {len(chains)} agreements, {transactions} entries of the aid chain")


def register(app: typer.Typer) -> None:
    """Add `nsatu aid` to the command."""
    app.add_typer(aid_app, name="aid")
