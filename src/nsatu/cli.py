"""The `nsatu` command: everything that is not the web.

Commands that touch the database set Django up on first use, so `nsatu plan`
and `nsatu synth`, which need none, start fast and work without one.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from typing import Any

import typer
from rich.console import Console

app = typer.Typer(
    help="NSATU coordination platform: scenarios, plans, the ledger and the demo.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
ledger_app = typer.Typer(help="The tamper-evident ledger of every change.", no_args_is_help=True)
demo_app = typer.Typer(help="The demo scenario built from public facts.", no_args_is_help=True)
user_app = typer.Typer(help="User accounts.", no_args_is_help=True)
app.add_typer(ledger_app, name="ledger")
app.add_typer(demo_app, name="demo")
app.add_typer(user_app, name="user")

console = Console()
err_console = Console(stderr=True)


def setup_django() -> None:
    """Configure Django for commands that use the database."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "nsatu.site.settings")
    import django

    django.setup()


@ledger_app.command("verify")
def ledger_verify() -> None:
    """Walk the hash chain; name the first event that was altered, removed or reordered."""
    setup_django()
    from nsatu.core.ledger import verify_ledger

    result = verify_ledger()
    if result.ok:
        console.print(f"[green]ledger verified[/green]: {result.checked} events, chain intact")
        return
    err_console.print(f"[red]ledger broken[/red] at event #{result.bad_seq}: {result.reason}")
    raise typer.Exit(1)


@demo_app.command("logins")
def demo_logins() -> None:
    """Create the demo users (one per role) if missing, and print their logins."""
    setup_django()
    from nsatu.accounts.demo import ensure_demo_users

    logins = ensure_demo_users()
    console.print("[bold yellow]Demo logins: for the demo only, never for real use[/bold yellow]")
    for login in logins:
        console.print(f"  {login.role:<12} {login.username:<14} {login.password}   {login.description}")


@user_app.command("create")
def user_create(
    username: str,
    role: str = typer.Option(..., help="coordinator, donor, recipient, leadership or auditor"),
    nation: str = typer.Option("", help="ISO3 code of the user's nation"),
    staff: bool | None = typer.Option(
        None, "--staff/--no-staff", help="may use the back office (default: coordinators only)"
    ),
) -> None:
    """Create a user account; the password is asked for (or read from stdin), never an argument."""
    setup_django()
    from django.core.exceptions import ValidationError

    from nsatu.accounts.models import User
    from nsatu.accounts.services import create_user
    from nsatu.core.actors import CLI
    from nsatu.nations.models import Nation

    nation_obj = Nation.objects.filter(iso3=nation.upper()).first() if nation else None
    if nation and nation_obj is None:
        err_console.print(f"unknown nation {nation!r}")
        raise typer.Exit(2)
    password = _read_password("password", User(username=username))
    try:
        create_user(
            actor=CLI, username=username, password=password, role=role, nation=nation_obj, is_staff=staff
        )
    except ValidationError as exc:
        err_console.print(f"refused: {exc}")
        raise typer.Exit(2) from exc
    console.print(f"created {username} ({role})")


def _read_password(label: str, user: Any) -> str:
    """A password typed at a hidden prompt (twice), or the first line of stdin when it is not a
    terminal; never an argument, which the process list would show. Django's password validators
    (settings.AUTH_PASSWORD_VALIDATORS) must pass, as on the pages."""
    import sys

    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    if sys.stdin.isatty():
        password = str(typer.prompt(label, hide_input=True, confirmation_prompt=True))
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    try:
        validate_password(password, user)
    except ValidationError as exc:
        err_console.print("refused: " + " ".join(exc.messages))
        raise typer.Exit(2) from exc
    return password


def _user_or_exit(username: str) -> Any:
    from nsatu.accounts.models import User

    user = User.objects.filter(username=username).first()
    if user is None:
        err_console.print(f"no user {username!r}")
        raise typer.Exit(2)
    return user


@user_app.command("update")
def user_update(
    username: str,
    role: str = typer.Option("", help="a new role: coordinator, donor, recipient, leadership or auditor"),
    nation: str = typer.Option("", help="a new nation (ISO3)"),
    password: bool = typer.Option(
        False, "--password", help="set a new password: asked for, or read from stdin's first line"
    ),
    staff: bool | None = typer.Option(None, "--staff/--no-staff", help="may use the back office"),
) -> None:
    """Change a user's role, nation, back-office access or password (audited)."""
    setup_django()
    from django.core.exceptions import ValidationError

    from nsatu.accounts.services import update_user
    from nsatu.core.actors import CLI
    from nsatu.nations.models import Nation

    user = _user_or_exit(username)
    changes: dict[str, Any] = {}
    if role:
        changes["role"] = role
    if nation:
        nation_obj = Nation.objects.filter(iso3=nation.upper()).first()
        if nation_obj is None:
            err_console.print(f"unknown nation {nation!r}")
            raise typer.Exit(2)
        changes["nation"] = nation_obj
    if staff is not None:
        changes["is_staff"] = staff
    new_password = _read_password("new password", user) if password else None
    try:
        update_user(user, actor=CLI, password=new_password, **changes)
    except ValidationError as exc:
        err_console.print(f"refused: {exc}")
        raise typer.Exit(2) from exc
    console.print(f"updated {username}")


@user_app.command("deactivate")
def user_deactivate(username: str, reason: str = typer.Option("", help="why, for the ledger")) -> None:
    """Take a user out of service (no sign-in, no API token; history kept)."""
    setup_django()
    from nsatu.accounts.services import deactivate_user
    from nsatu.core.actors import CLI

    deactivate_user(_user_or_exit(username), actor=CLI, reason=reason)
    console.print(f"deactivated {username}")


@app.command("backup")
def backup(path: Path = typer.Argument(..., help="the backup file to write")) -> None:
    """Copy the whole database (SQLite or PostgreSQL) to a file, exactly."""
    setup_django()
    from nsatu.core.backup import BackupError, backup_database

    try:
        backup_database(path)
    except BackupError as exc:
        err_console.print(f"[red]backup failed[/red]: {exc}")
        raise typer.Exit(1) from exc
    console.print(f"backed up to {path}")


@app.command("restore")
def restore(
    path: Path = typer.Argument(..., help="a file written by `nsatu backup`"),
    yes: bool = typer.Option(False, "--yes", help="replace the current data without asking"),
) -> None:
    """Replace the database with a backup, then verify the ledger."""
    setup_django()
    from nsatu.core.backup import BackupError, restore_database
    from nsatu.core.ledger import verify_ledger

    if not yes and not typer.confirm(f"Replace all current data with {path}?"):
        raise typer.Exit(1)
    try:
        restore_database(path)
    except BackupError as exc:
        err_console.print(f"[red]restore failed[/red]: {exc}")
        raise typer.Exit(1) from exc
    result = verify_ledger()
    if not result.ok:
        err_console.print(f"[red]restored, but the ledger does not verify[/red]: {result.reason}")
        raise typer.Exit(1)
    console.print(f"restored from {path}; ledger verified ({result.checked} events)")


def _register_optional(module: str) -> None:
    # Command groups whose modules may be absent in a slimmed install.
    package = module.rsplit(".", 1)[0]
    if importlib.util.find_spec(package) is not None and importlib.util.find_spec(module) is not None:
        importlib.import_module(module).register(app)


for _module in (
    "nsatu.commands.plan",
    "nsatu.commands.scenario",
    "nsatu.commands.catalog",
    "nsatu.commands.tokens",
    "nsatu.commands.aid",
    "nsatu.commands.stress",
    "nsatu.commands.monitoring",
    "nsatu.commands.commitments",
):
    _register_optional(_module)


def main() -> None:
    """Console-script entry point."""
    app()


__all__ = ["Path", "app", "main", "setup_django"]


if __name__ == "__main__":
    main()
