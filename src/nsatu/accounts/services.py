"""Creating users (audited; the password never enters the ledger)."""

from __future__ import annotations

from django.db import transaction

from nsatu.accounts.models import User
from nsatu.core.actors import Actor
from nsatu.core.ledger import append_event
from nsatu.nations.models import Nation


def create_user(
    *,
    actor: Actor,
    username: str,
    password: str,
    role: str,
    nation: Nation | None = None,
    email: str = "",
    is_staff: bool = False,
) -> User:
    """Create a user in a role, tied to a nation."""
    with transaction.atomic():
        user = User(username=username, email=email, role=role, nation=nation, is_staff=is_staff)
        user.set_password(password)
        user.full_clean()
        user.save()
        append_event(
            actor=actor,
            action="create",
            object_type="accounts.user",
            object_id=user.pk,
            payload={"username": username, "role": role, "nation": nation.iso3 if nation else ""},
        )
    return user
