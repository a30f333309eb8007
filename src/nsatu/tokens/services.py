"""Creating, checking and revoking API tokens (audited; plaintexts never stored or logged)."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from nsatu.accounts.models import User
from nsatu.core.actors import Actor, actor_identity
from nsatu.core.ledger import append_event
from nsatu.tokens.models import ApiToken

TOKEN_SCHEME = "nsatu"
# Recording every request's time would write on every read; once a minute is enough.
LAST_USED_RESOLUTION = dt.timedelta(seconds=60)


class TokenError(Exception):
    """A token action that cannot be done, with a message for the user."""


def hash_token(plaintext: str) -> str:
    """The SHA-256 hex digest stored for a token."""
    return hashlib.sha256(plaintext.encode()).hexdigest()


def _split(plaintext: str) -> tuple[str, str] | None:
    parts = plaintext.strip().split("_", 2)  # the secret itself may hold "_"
    if len(parts) != 3 or parts[0] != TOKEN_SCHEME or not parts[1] or not parts[2]:
        return None
    return parts[1], parts[2]


def create_api_token(*, actor: Actor, user: User, name: str) -> tuple[ApiToken, str]:
    """Issue a token for ``user``; returns it and its plaintext, which is never shown again."""
    name = name.strip()
    if not name:
        raise ValidationError({"name": "give the token a name saying what uses it"})
    if not user.is_active:
        raise ValidationError({"user": f"user {user.username} is inactive"})
    with transaction.atomic():
        prefix = secrets.token_hex(4)
        while ApiToken.objects.filter(prefix=prefix).exists():
            prefix = secrets.token_hex(4)
        plaintext = f"{TOKEN_SCHEME}_{prefix}_{secrets.token_urlsafe(32)}"
        token = ApiToken(
            user=user,
            name=name,
            prefix=prefix,
            token_hash=hash_token(plaintext),
            created_by=actor_identity(actor)[0],
        )
        token.full_clean()
        token.save()
        append_event(
            actor=actor,
            action="create",
            object_type="tokens.apitoken",
            object_id=token.pk,
            payload={"user": user.username, "name": name, "prefix": prefix},
        )
    return token, plaintext


def revoke_api_token(token: ApiToken, *, actor: Actor) -> ApiToken:
    """Revoke a token: from now on it authenticates nobody."""
    with transaction.atomic():
        current = ApiToken.objects.select_for_update().select_related("user").get(pk=token.pk)
        if current.revoked_at is not None:
            raise TokenError(f"token {current.display_prefix} was already revoked by {current.revoked_by}")
        current.revoked_at = timezone.now()
        current.revoked_by = actor_identity(actor)[0]
        current.save(update_fields=["revoked_at", "revoked_by"])
        append_event(
            actor=actor,
            action="revoke",
            object_type="tokens.apitoken",
            object_id=current.pk,
            payload={"user": current.user.username, "name": current.name, "prefix": current.prefix},
        )
    return current


def find_token(prefix: str) -> ApiToken | None:
    """The token named by its prefix, given bare (`1a2b3c4d`) or as the token starts (`nsatu_1a2b3c4d`)."""
    text = prefix.strip().rstrip("…")
    if text.startswith(f"{TOKEN_SCHEME}_"):
        text = text.split("_", 2)[1]
    return ApiToken.objects.select_related("user").filter(prefix=text).first() if text else None


def authenticate_token(plaintext: str) -> User | None:
    """The active user an unrevoked token stands for, or None; notes when it was used."""
    parts = _split(plaintext)
    if parts is None:
        return None
    token = ApiToken.objects.select_related("user", "user__nation").filter(prefix=parts[0]).first()
    if token is None or token.revoked_at is not None or not token.user.is_active:
        return None
    if not hmac.compare_digest(token.token_hash, hash_token(plaintext.strip())):
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user
