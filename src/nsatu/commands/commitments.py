"""`nsatu commitments`: committed aid on the command line.

List what approved plans commit now; suspend or withdraw an offer's committed aid
and record a political shift (each shows what it will undo and asks before it
writes, unless ``--yes``); resume a suspension or withdraw it for good; approve a
plan run; plan the backfill and show its before and after. Every change goes
through `nsatu.commitments.services` as the `system:cli` actor, audited.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

POLL_SECONDS = 0.5


def _date(text: str, err: Console) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        err.print(f"--effective: {text!r} is not a date (YYYY-MM-DD)", markup=False)
        raise typer.Exit(2) from exc


def _refused(err: Console, exc: Exception) -> typer.Exit:
    from django.core.exceptions import ValidationError

    if isinstance(exc, ValidationError) and hasattr(exc, "error_dict"):
        for name, problems in exc.message_dict.items():
            for problem in problems:
                err.print(f"refused: {name}: {problem}", markup=False, highlight=False)
    else:
        err.print(f"refused: {exc}", markup=False, highlight=False)
    return typer.Exit(2)


def _show_plan(console: Console, plan: Any) -> None:
    from nsatu.core.tables import format_quantity

    whole = plan.whole
    console.print(
        f"{plan.kind} {format_quantity(plan.quantity, whole)} of {plan.donor.iso3}'s committed aid "
        f"effective {plan.effective_on}: {len(plan.line_cuts)} approved lines, "
        f"{len(plan.cancelled)} planned shipments cancelled, {len(plan.flagged)} on their way flagged, "
        f"{len(plan.kept)} leaving before that day kept",
        highlight=False,
    )
    if plan.cancelled:
        console.print(
            "  cancelled: "
            + ", ".join(
                c.shipment.code + ("" if c.whole else f" ({format_quantity(c.quantity, whole)} split off)")
                for c in plan.cancelled
            ),
            highlight=False,
        )
    if plan.flagged:
        console.print("  flagged: " + ", ".join(s.code for s in plan.flagged), highlight=False)
    table = Table(title="requirements and offers")
    for column in ("record", "committed before", "after", "status"):
        table.add_column(column, justify="right" if "committed" in column or column == "after" else "left")
    for move in [*plan.requirements, *plan.offers]:
        status = f"{move.status_before} -> {move.status_after}" if move.moves else move.status_before
        table.add_row(
            move.code,
            format_quantity(move.committed_before, move.whole),
            format_quantity(move.committed_after, move.whole),
            status,
        )
    if plan.rests:
        console.print(f"  uncommitted rests withdrawn from {len(plan.rests)} offers", highlight=False)
    console.print(table)


def register(app: typer.Typer) -> None:
    """Add `commitments` to the `nsatu` command."""
    commitments_app = typer.Typer(
        help="Committed aid: list, suspend, withdraw, political shift, resume, approve, backfill.",
        no_args_is_help=True,
    )
    app.add_typer(commitments_app, name="commitments")

    @commitments_app.command("list")
    def list_commitments(
        donor: str = typer.Option("", "--donor", help="ISO3 code of one donor"),
        offer: str = typer.Option("", "--offer", help="one offer's id"),
    ) -> None:
        """Approved lines: approved, committed now, suspended, withdrawn, shipped and received."""
        from nsatu.cli import setup_django

        setup_django()
        from nsatu.commitments.models import with_commitment_figures
        from nsatu.core.tables import format_quantity
        from nsatu.planning.models import Allocation

        lines = Allocation.objects.filter(run__approved_at__isnull=False)
        if donor:
            lines = lines.filter(offer__donor__iso3=donor.upper())
        if offer:
            lines = lines.filter(offer__code=offer)
        rows = with_commitment_figures(
            lines.select_related("offer__donor", "offer__item_type", "requirement")
        )
        table = Table(title="Commitments")
        names = ("run", "offer", "donor", "requirement", "approved", "committed", "suspended", "withdrawn")
        for column in (*names, "shipped", "received", "week"):
            table.add_column(
                column, justify="left" if column in ("offer", "donor", "requirement") else "right"
            )
        for line in rows.order_by("offer__code", "arrival_week", "pk"):
            whole = line.offer.item_type.is_whole
            amounts = [
                line.quantity,
                line.committed,
                line.suspended,
                line.withdrawn,
                line.shipped,
                line.received,
            ]
            table.add_row(
                str(line.run_id),
                line.offer.code,
                line.offer.donor.iso3,
                line.requirement.code,
                *(format_quantity(float(a), whole) for a in amounts),
                str(line.arrival_week),
            )
        Console().print(table)

    def take_back(
        kind: str, offer_code: str, reason: str, effective: str, quantity: float | None, yes: bool
    ) -> None:
        from nsatu.cli import setup_django

        setup_django()
        from django.core.exceptions import ValidationError

        from nsatu.commitments import services
        from nsatu.core.actors import CLI
        from nsatu.offers.models import Offer

        console, err = Console(), Console(stderr=True)
        found = Offer.objects.select_related("donor", "item_type").filter(code=offer_code).first()
        if found is None:
            err.print(f"no offer {offer_code!r}", markup=False)
            raise typer.Exit(2)
        day = _date(effective, err)
        try:
            plan = services.plan_offer_decommitment(found, kind=kind, effective_on=day, quantity=quantity)
            _show_plan(console, plan)
            if not yes and not typer.confirm("carry this out?"):
                raise typer.Exit(1)
            done = services.decommit_offer(
                found, actor=CLI, kind=kind, reason=reason, effective_on=day, quantity=quantity
            )
        except (ValidationError, services.CommitmentError) as exc:
            raise _refused(err, exc) from exc
        console.print(f"{done.code}: {kind} recorded (/commitments/{done.pk}/)", highlight=False)

    @commitments_app.command("suspend")
    def suspend(
        offer: str = typer.Argument(..., help="the offer's id"),
        reason: str = typer.Option(..., "--reason", help="why; recorded in the ledger"),
        effective: str = typer.Option(dt.date.today().isoformat(), "--effective", help="from this day"),
        quantity: float | None = typer.Option(None, "--quantity", help="how much; default all that can be"),
        yes: bool = typer.Option(False, "--yes", help="do not ask after showing what it will undo"),
    ) -> None:
        """Suspend an offer's committed aid (held until resumed or withdrawn)."""
        take_back("suspend", offer, reason, effective, quantity, yes)

    @commitments_app.command("withdraw")
    def withdraw(
        offer: str = typer.Argument(..., help="the offer's id"),
        reason: str = typer.Option(..., "--reason", help="why; recorded in the ledger"),
        effective: str = typer.Option(dt.date.today().isoformat(), "--effective", help="from this day"),
        quantity: float | None = typer.Option(None, "--quantity", help="how much; default all that can be"),
        yes: bool = typer.Option(False, "--yes", help="do not ask after showing what it will undo"),
    ) -> None:
        """Withdraw an offer's committed aid for good."""
        take_back("withdraw", offer, reason, effective, quantity, yes)

    @commitments_app.command("shift")
    def shift(
        donor: str = typer.Argument(..., help="ISO3 code of the donor that leaves"),
        reason: str = typer.Option(..., "--reason", help="why; recorded in the ledger"),
        effective: str = typer.Option(dt.date.today().isoformat(), "--effective", help="from this day"),
        yes: bool = typer.Option(False, "--yes", help="do not ask after showing what it will undo"),
    ) -> None:
        """A political shift: the donor leaves entirely; shows what it will undo, then asks."""
        from nsatu.cli import setup_django

        setup_django()
        from django.core.exceptions import ValidationError

        from nsatu.commitments import services
        from nsatu.core.actors import CLI
        from nsatu.nations.models import Nation

        console, err = Console(), Console(stderr=True)
        nation = Nation.objects.filter(iso3=donor.upper()).first()
        if nation is None:
            err.print(f"no nation {donor!r}", markup=False)
            raise typer.Exit(2)
        day = _date(effective, err)
        try:
            plan = services.plan_donor_exit(nation, effective_on=day)
            _show_plan(console, plan)
            if not yes and not typer.confirm(f"withdraw everything {nation.iso3} committed and offers?"):
                raise typer.Exit(1)
            done = services.withdraw_donor(nation, actor=CLI, reason=reason, effective_on=day)
        except (ValidationError, services.CommitmentError) as exc:
            raise _refused(err, exc) from exc
        console.print(f"{done.code}: political shift recorded (/commitments/{done.pk}/)", highlight=False)

    def end(decommitment_id: int, how: str) -> None:
        from nsatu.cli import setup_django

        setup_django()
        from nsatu.commitments import services
        from nsatu.commitments.models import Decommitment
        from nsatu.core.actors import CLI

        err = Console(stderr=True)
        found = Decommitment.objects.filter(pk=decommitment_id).first()
        if found is None:
            err.print(f"no decommitment D-{decommitment_id}")
            raise typer.Exit(2)
        call = services.resume_decommitment if how == "resume" else services.end_suspension
        try:
            done = call(found, actor=CLI)
        except services.CommitmentError as exc:
            raise _refused(err, exc) from exc
        Console().print(f"{done.code} is now {done.state}", highlight=False)

    @commitments_app.command("resume")
    def resume(decommitment: int = typer.Argument(..., help="the number of a suspension (D-12: 12)")) -> None:
        """Put suspended aid back on the table for the next plan."""
        end(decommitment, "resume")

    @commitments_app.command("end")
    def end_suspension(decommitment: int = typer.Argument(..., help="the number of a suspension")) -> None:
        """Turn a suspension into a withdrawal."""
        end(decommitment, "withdraw")

    @commitments_app.command("approve")
    def approve(run: int = typer.Argument(..., help="a finished plan run's number")) -> None:
        """Approve a plan run: its lines become commitments and shipments."""
        from nsatu.cli import setup_django

        setup_django()
        from nsatu.core.actors import CLI
        from nsatu.planning.models import PlanRun
        from nsatu.planning.services import PlanningError, approve_plan_run

        err = Console(stderr=True)
        found = PlanRun.objects.filter(pk=run).first()
        if found is None:
            err.print(f"no plan run {run}")
            raise typer.Exit(2)
        try:
            approve_plan_run(found, actor=CLI)
        except PlanningError as exc:
            raise _refused(err, exc) from exc
        Console().print(
            f"plan run {run} approved: {found.allocations.count()} lines committed", highlight=False
        )

    @commitments_app.command("backfill")
    def backfill(
        decommitment: int = typer.Argument(..., help="the number of a suspension or withdrawal"),
        method: str = typer.Option("optimal", "--method", help="optimal, greedy, country or robust"),
        time_limit: float = typer.Option(60.0, "--time-limit", help="seconds for the optimiser"),
        in_process: bool = typer.Option(False, "--in-process", help="plan here instead of on a task worker"),
        show_only: bool = typer.Option(False, "--show", help="only show the before and after, plan nothing"),
    ) -> None:
        """Plan what is left around every other commitment; show pwf per capability before and after."""
        from nsatu.cli import setup_django

        setup_django()
        from nsatu.commitments import services
        from nsatu.commitments.fulfilment import backfill_report
        from nsatu.commitments.models import Decommitment
        from nsatu.core.actors import CLI
        from nsatu.planner.io import ScenarioError
        from nsatu.planning.models import PlanRun, RunStatus
        from nsatu.planning.services import PlanningError, fail_stale_runs
        from nsatu.planning.tasks import execute_plan_run

        console, err = Console(), Console(stderr=True)
        found = Decommitment.objects.filter(pk=decommitment).first()
        if found is None:
            err.print(f"no decommitment D-{decommitment}")
            raise typer.Exit(2)
        if not show_only:
            try:
                run = services.start_backfill(found, actor=CLI, method=method, time_limit=time_limit)
            except PlanningError as exc:
                raise _refused(err, exc) from exc
            console.print(f"backfill plan run {run.pk} (/plans/{run.pk}/)", highlight=False)
            if in_process:
                execute_plan_run(run.pk)
            with console.status("planning the backfill (a task worker runs it; or use --in-process)"):
                while True:
                    fail_stale_runs()
                    run = PlanRun.objects.get(pk=run.pk)
                    if run.status in (RunStatus.DONE, RunStatus.FAILED):
                        break
                    time.sleep(POLL_SECONDS)
            if run.status == RunStatus.FAILED:
                err.print(f"backfill plan run {run.pk} failed: {run.message}", markup=False, highlight=False)
                raise typer.Exit(1)
            found.refresh_from_db()
        try:
            report = backfill_report(found)
        except ScenarioError as exc:
            raise _refused(err, exc) from exc
        _backfill_table(console, report)


def _backfill_table(console: Console, report: Any) -> None:
    from nsatu.core.tables import format_quantity

    table = Table(title=f"{report.decommitment.code}: pwf before, after, and with the backfill")
    for column in ("capability", "before", "after", "with backfill"):
        table.add_column(column, justify="left" if column == "capability" else "right")

    def pct(value: float | None) -> str:
        return "—" if value is None else f"{100 * value:.2f}%"

    for code, before, after, filled in report.capabilities:
        table.add_row(code, pct(before), pct(after), pct(filled))
    table.add_row("all", pct(report.total[0]), pct(report.total[1]), pct(report.total[2]))
    console.print(table)
    risky = Table(title="requirements put at risk")
    for column in ("requirement", "priority", "required", "before", "after", "with backfill"):
        risky.add_column(column, justify="left" if column == "requirement" else "right")
    for r in report.requirements:
        amounts = [format_quantity(v, r.whole) for v in (r.quantity, r.before, r.after)]
        filled = (
            "—"
            if r.backfilled is None
            else format_quantity(r.backfilled, r.whole) + ("" if r.covered else " short")
        )
        risky.add_row(r.code, str(r.priority), *amounts, filled)
    console.print(risky)
    if report.ready:
        console.print(f"ready to approve: nsatu commitments approve {report.run.pk}", highlight=False)
