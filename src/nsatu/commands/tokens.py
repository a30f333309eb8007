"""`nsatu token create|revoke|list`: API tokens for machine clients."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

console = Console()
err_console = Console(stderr=True)

token_app = typer.Typer(
    help="API tokens for machine clients (hashed at rest, revocable).", no_args_is_help=True
)


@token_app.command("create")
def token_create(
    username: str = typer.Argument(..., help="the user the token acts as"),
    name: str = typer.Option(..., "--name", help="what uses the token, e.g. 'nightly export'"),
) -> None:
    """Issue a token for USERNAME and print it once: it cannot be shown again."""
    from nsatu.cli import setup_django

    setup_django()
    from django.core.exceptions import ValidationError

    from nsatu.accounts.models import User
    from nsatu.core.actors import CLI
    from nsatu.tokens.services import create_api_token

    user = User.objects.filter(username=username).first()
    if user is None:
        err_console.print(f"unknown user {username!r}")
        raise typer.Exit(2)
    try:
        token, plaintext = create_api_token(actor=CLI, user=user, name=name)
    except ValidationError as exc:
        err_console.print(f"refused: {'; '.join(exc.messages)}")
        raise typer.Exit(2) from exc
    err_console.print(
        f"token {token.display_prefix} for {username} ({user.role}); store it now, it is not shown again:"
    )
    # The plaintext alone on stdout, so scripts can capture it.
    print(plaintext)


@token_app.command("revoke")
def token_revoke(prefix: str = typer.Argument(..., help="how the token starts, e.g. nsatu_1a2b3c4d")) -> None:
    """Revoke the token starting with PREFIX: from now on it authenticates nobody."""
    from nsatu.cli import setup_django

    setup_django()
    from nsatu.core.actors import CLI
    from nsatu.tokens.services import TokenError, find_token, revoke_api_token

    token = find_token(prefix)
    if token is None:
        err_console.print(f"no token {prefix!r}")
        raise typer.Exit(2)
    try:
        revoke_api_token(token, actor=CLI)
    except TokenError as exc:
        err_console.print(str(exc))
        raise typer.Exit(1) from exc
    console.print(f"revoked {token.display_prefix} ({token.name}, user {token.user.username})")


@token_app.command("list")
def token_list(username: str = typer.Option("", help="only this user's tokens")) -> None:
    """List tokens (prefix, user, name, last use, revocation); never their plaintext."""
    from nsatu.cli import setup_django

    setup_django()
    from nsatu.tokens.models import ApiToken

    tokens = ApiToken.objects.select_related("user").order_by("-created_at")
    if username:
        tokens = tokens.filter(user__username=username)
    table = Table("prefix", "user", "name", "created", "last used", "revoked")
    for token in tokens:
        table.add_row(
            token.display_prefix,
            token.user.username,
            token.name,
            f"{token.created_at:%Y-%m-%d %H:%M}",
            f"{token.last_used_at:%Y-%m-%d %H:%M}" if token.last_used_at else "",
            f"{token.revoked_at:%Y-%m-%d %H:%M} by {token.revoked_by}" if token.revoked_at else "",
        )
    console.print(table)


def register(app: typer.Typer) -> None:
    """Add the `token` group to the `nsatu` command."""
    app.add_typer(token_app, name="token")
