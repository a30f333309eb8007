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
def ledger_verify(
    checkpoint: Path | None = typer.Option(
        None,
        "--checkpoint",
        help="a checkpoint file from `nsatu ledger checkpoint --out`: the chain must still hold it",
    ),
    public_key: Path | None = typer.Option(
        None, "--public-key", help="the trusted public key (PEM or base64) the signatures must hold under"
    ),
) -> None:
    """Walk the chain, compare every ledgered record with it, check signed checkpoints; name what differs."""
    setup_django()
    from nsatu.core.verification import verify_everything

    report = verify_everything(checkpoint=checkpoint, public_key=public_key)
    if report.ok:
        console.print(
            f"[green]ledger verified[/green]: {report.chain.checked} events, chain intact; "
            f"{report.data.checked} records match the chain; {report.checkpoints} signed checkpoints hold"
        )
        return
    for line in report.failures():
        err_console.print(f"[red]ledger broken[/red]: {line}", highlight=False, soft_wrap=True)
    raise typer.Exit(1)


@ledger_app.command("checkpoint")
def ledger_checkpoint(
    out: Path | None = typer.Option(
        None, "--out", help="also write the signed head to this file, for an auditor"
    ),
) -> None:
    """Sign the chain's head (Ed25519, key outside the database) and store the checkpoint."""
    setup_django()
    import json

    from nsatu.core.signing import SigningError, document, public_key_path, sign_head

    try:
        signed = sign_head()
    except SigningError as exc:
        err_console.print(f"[red]checkpoint failed[/red]: {exc}")
        raise typer.Exit(1) from exc
    text = json.dumps(document(signed), indent=2) + "\n"
    if out is not None:
        out.write_text(text)
        console.print(f"checkpoint of event #{signed.seq} written to {out}")
    else:
        console.print(text, highlight=False, soft_wrap=True)
    console.print(f"public key {signed.public_key} ({public_key_path()})", highlight=False, soft_wrap=True)


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
    public_key: Path | None = typer.Option(
        None, "--public-key", help="the public key the backup's checkpoints must be signed with"
    ),
) -> None:
    """Verify a backup in a temporary copy, then replace the database with it and record the restore."""
    setup_django()
    from nsatu.core.actors import CLI
    from nsatu.core.backup import BackupError, restore_database

    if not yes and not typer.confirm(f"Replace all current data with {path}?"):
        raise typer.Exit(1)
    try:
        report = restore_database(path, actor=CLI, public_key=public_key)
    except BackupError as exc:
        err_console.print(f"[red]restore failed[/red]: {exc}", highlight=False, soft_wrap=True)
        raise typer.Exit(1) from exc
    console.print(
        f"restored from {path}; ledger verified ({report.chain.checked} events, "
        f"{report.data.checked} records, {report.checkpoints} signed checkpoints) before replacing the data"
    )


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
