"""`nsatu monitoring|evidence|notifications`: end-use monitoring, evidence files and notifications."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

console = Console()
err_console = Console(stderr=True)

monitoring_app = typer.Typer(
    help="End-use monitoring after receipt: inventories overdue, inventories, reports.", no_args_is_help=True
)
evidence_app = typer.Typer(
    help="Evidence files kept beside records (outside the database).", no_args_is_help=True
)
notifications_app = typer.Typer(help="Notifications: the inbox and e-mail.", no_args_is_help=True)


def _setup() -> None:
    from nsatu.cli import setup_django

    setup_django()


def _day(text: str) -> dt.date | None:
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        err_console.print(f"not a date (YYYY-MM-DD): {text!r}")
        raise typer.Exit(2) from None


def _everything() -> Any:
    """Who the command line reads as: the command, which sees every record."""
    from types import SimpleNamespace

    from nsatu.core.choices import Role

    return SimpleNamespace(is_authenticated=True, role=Role.COORDINATOR, nation_id=None)


@monitoring_app.command("overdue")
def overdue(
    donor: str = typer.Option("", help="only this donor's items (ISO3)"),
    family: str = typer.Option("", help="only this platform family (code)"),
    unit: str = typer.Option("", help="only this unit"),
    out: Path | None = typer.Option(None, "--out", help="write every row to a .csv or .xlsx file"),
) -> None:
    """The share of required serial inventories overdue, by donor, family and unit; the overdue items."""
    _setup()
    from nsatu.dashboards.lists import export_table
    from nsatu.monitoring.models import overdue_q
    from nsatu.monitoring.overdue import overdue_summary
    from nsatu.monitoring.views import OVERDUE, _items

    items = _items(_everything())
    if donor:
        items = items.filter(donor__iso3=donor.upper())
    if family:
        items = items.filter(item_type__family__code=family)
    if unit:
        items = items.filter(unit=unit)
    summary = overdue_summary(None, items=items)
    value = f", {summary.value_share:.0%} by value" if summary.value_share is not None else ""
    console.print(
        f"{summary.share:.0%} of required inventories overdue "
        f"({summary.overdue} of {summary.required}{value}); "
        f"the DoD IG audit found {summary.audit_share:.0%} by value on {summary.audit_date}"
    )
    for title, groups in (
        ("donor", summary.by_donor),
        ("family", summary.by_family),
        ("unit", summary.by_unit),
    ):
        table = Table(title, "required", "overdue", "share")
        for g in groups:
            table.add_row(g.label or "-", str(g.required), str(g.overdue), f"{g.share:.0%}")
        console.print(table)
    if out is not None:
        fmt = out.suffix.lower().lstrip(".")
        if fmt not in ("csv", "xlsx"):
            err_console.print(f"{out}: write a .csv or an .xlsx file")
            raise typer.Exit(2)
        rows = items.filter(overdue_q(summary.today)).order_by("inventory_due", "serial")
        response = export_table(OVERDUE, rows, fmt)
        out.write_bytes(response.getvalue())
        console.print(f"wrote {out}: {rows.count()} overdue items")


@monitoring_app.command("inventory")
def inventory(
    serials: list[str] = typer.Argument(..., help="the serials sighted (ITEM-TYPE/SERIAL where not unique)"),
    on: str = typer.Option("", help="the day (YYYY-MM-DD); default today"),
    unit: str = typer.Option("", help="the unit holding them"),
    note: str = typer.Option("", help="a note for the record"),
) -> None:
    """Record a serial inventory (one per donor of the items), audited as the command line."""
    _setup()
    from nsatu.core.actors import CLI
    from nsatu.monitoring import services
    from nsatu.monitoring.choices import IN_CUSTODY
    from nsatu.monitoring.models import MonitoredItem

    try:
        items = services.find_items(serials, MonitoredItem.objects.filter(state__in=IN_CUSTODY))
        created = services.record_inventory(items, actor=CLI, on=_day(on), unit=unit, note=note)
    except services.MonitoringError as exc:
        err_console.print(f"refused: {exc}")
        raise typer.Exit(1) from exc
    for record in created:
        console.print(f"recorded {record.code} ({record.get_kind_display()}): {record.lines.count()} items")


@monitoring_app.command("report")
def report(
    serial: str = typer.Argument(..., help="the item's serial (ITEM-TYPE/SERIAL where not unique)"),
    kind: str = typer.Option(..., help="lost, destroyed, damaged or unserviceable"),
    reason: str = typer.Option(..., help="combat, accident, theft, malfunction, wear, unknown or other"),
    details: str = typer.Option("", help="what happened (required for 'other')"),
    on: str = typer.Option("", help="the day (YYYY-MM-DD); default today"),
) -> None:
    """Report an item lost, destroyed, damaged or unserviceable."""
    _setup()
    from nsatu.core.actors import CLI
    from nsatu.monitoring import services
    from nsatu.monitoring.models import MonitoredItem

    try:
        (item,) = services.find_items([serial], MonitoredItem.objects.all())
        services.report_incident(item, actor=CLI, kind=kind, reason=reason, details=details, on=_day(on))
    except services.MonitoringError as exc:
        err_console.print(f"refused: {exc}")
        raise typer.Exit(1) from exc
    console.print(f"{item} reported {kind} ({reason})")


@evidence_app.command("add")
def evidence_add(
    path: Path = typer.Argument(..., exists=True, dir_okay=False, help="a PDF, PNG, JPEG or XLSX file"),
    record: str = typer.Option(..., help="shipment, inventory, case, repair or incident"),
    key: str = typer.Option(..., help="the record's code (an incident's id)"),
    kind: str = typer.Option(
        "other", help="waybill, photo, inventory_sheet, discrepancy_report, repair_document, other"
    ),
    note: str = typer.Option("", help="a note"),
) -> None:
    """Keep a file beside a record; the ledger records its SHA-256."""
    _setup()
    from nsatu.core.actors import CLI
    from nsatu.monitoring import evidence

    target = evidence.visible_record(_everything(), record, key)
    if target is None:
        err_console.print(f"no {record} {key!r}")
        raise typer.Exit(2)
    try:
        with path.open("rb") as handle:
            kept = evidence.attach_evidence(
                target, handle, filename=path.name, kind=kind, actor=CLI, note=note
            )
    except evidence.EvidenceError as exc:
        err_console.print(f"refused: {exc}")
        raise typer.Exit(1) from exc
    console.print(f"kept {kept.filename} ({kept.size} bytes, sha256 {kept.sha256}) beside {target}")


@evidence_app.command("verify")
def evidence_verify() -> None:
    """Check every stored file against the SHA-256 recorded for it; name the missing or altered ones."""
    _setup()
    from nsatu.monitoring.evidence import file_matches
    from nsatu.monitoring.models import Evidence

    bad = [e for e in Evidence.objects.order_by("pk") if not file_matches(e)]
    total = Evidence.objects.count()
    for e in bad:
        err_console.print(f"[red]altered or missing[/red]: #{e.pk} {e.filename} (sha256 {e.sha256})")
    if bad:
        raise typer.Exit(1)
    console.print(f"[green]evidence verified[/green]: {total} files match their recorded hashes")


@notifications_app.command("sweep")
def notifications_sweep(
    today: str = typer.Option("", help="the day to sweep as (YYYY-MM-DD); default today"),
) -> None:
    """Tell of shipments overdue and inventories due soon or overdue (each once); send pending e-mails."""
    _setup()
    from nsatu.core.actors import SystemActor
    from nsatu.notifications.services import sweep_notifications

    created = sweep_notifications(actor=SystemActor("notifications"), today=_day(today))
    console.print(f"{created} notifications created")


def register(app: typer.Typer) -> None:
    """Add `nsatu monitoring`, `nsatu evidence` and `nsatu notifications`."""
    app.add_typer(monitoring_app, name="monitoring")
    app.add_typer(evidence_app, name="evidence")
    app.add_typer(notifications_app, name="notifications")
