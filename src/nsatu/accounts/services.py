"""Creating, changing and deactivating users, each audited; a password never enters the ledger.

Users are never deleted: the ledger names them as the actors of past changes.
A user who leaves is deactivated, which signs them out and refuses their API
tokens; a coordinator may reactivate them with :func:`update_user`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.auth.models import Group, Permission
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from nsatu.accounts.models import User
from nsatu.core.actors import Actor, SystemActor
from nsatu.core.choices import Role
from nsatu.core.ledger import append_event
from nsatu.nations.models import Nation

OBJECT_TYPE = "accounts.user"
# The fields update_user changes; the password has its own arguments.
USER_FIELDS = frozenset(
    {
        "username",
        "email",
        "first_name",
        "last_name",
        "role",
        "nation",
        "is_active",
        "is_staff",
        "is_superuser",
    }
)
# What only a superuser (or a system process) may grant: anything beyond the role's own rights.
PRIVILEGED = frozenset({"is_superuser", "groups", "user_permissions"})


def _check_privileges(actor: Actor, names: Iterable[str]) -> None:
    touched = sorted(PRIVILEGED.intersection(names))
    if touched and not isinstance(actor, SystemActor) and not actor.is_superuser:
        raise PermissionDenied(_("Only a superuser may change %(fields)s.") % {"fields": ", ".join(touched)})


def _values(user: User, m2m: Iterable[str] = ()) -> dict[str, Any]:
    """What the ledger records of a user: never the password (hash), only whether it is usable."""
    values: dict[str, Any] = {
        "username": user.username,
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "role": user.role,
        "nation": user.nation.iso3 if user.nation_id else "",  # type: ignore[union-attr]
        "is_active": user.is_active,
        "is_staff": user.is_staff,
        "is_superuser": user.is_superuser,
        "usable_password": user.has_usable_password(),
    }
    if "groups" in m2m:
        values["groups"] = sorted(user.groups.values_list("name", flat=True))
    if "user_permissions" in m2m:
        values["user_permissions"] = sorted(
            f"{app}.{codename}"
            for app, codename in user.user_permissions.values_list("content_type__app_label", "codename")
        )
    return values


def create_user(
    *,
    actor: Actor,
    username: str,
    password: str | None,
    role: str,
    nation: Nation | None = None,
    email: str = "",
    first_name: str = "",
    last_name: str = "",
    is_staff: bool | None = None,
    is_superuser: bool = False,
) -> User:
    """Create a user in a role, tied to a nation; ``password=None`` leaves no usable password.

    ``is_staff`` (may sign in to the back office) defaults to the role: coordinators do.
    """
    if is_superuser:
        _check_privileges(actor, ["is_superuser"])
    staff = role == Role.COORDINATOR if is_staff is None else is_staff
    with transaction.atomic():
        user = User(
            username=username,
            email=email,
            first_name=first_name,
            last_name=last_name,
            role=role,
            nation=nation,
            is_staff=staff,
            is_superuser=is_superuser,
        )
        if password is None:
            user.set_unusable_password()
        else:
            user.set_password(password)
        user.full_clean()
        user.save()
        append_event(
            actor=actor,
            action="create",
            object_type=OBJECT_TYPE,
            object_id=user.pk,
            payload=_values(user),
        )
    return user


def update_user(
    user: User,
    *,
    actor: Actor,
    password: str | None = None,
    usable_password: bool = True,
    groups: Iterable[Group] | None = None,
    user_permissions: Iterable[Permission] | None = None,
    **changes: Any,
) -> User:
    """Change a user's fields (role, nation, active, names, e-mail, staff), password or groups.

    ``password`` sets a new one; ``usable_password=False`` disables password
    sign-in. The event records each changed field as ``[before, after]`` and
    only that the password changed, never the password. Nothing changed, no event.
    """
    unknown = sorted(set(changes) - USER_FIELDS)
    if unknown:
        raise TypeError(f"update_user cannot change {', '.join(unknown)}")
    m2m = [
        name
        for name, value in (("groups", groups), ("user_permissions", user_permissions))
        if value is not None
    ]
    _check_privileges(actor, [*changes, *m2m])
    with transaction.atomic():
        current = User.objects.select_for_update().get(pk=user.pk)
        before = _values(current, m2m)
        for name, value in changes.items():
            setattr(current, name, value)
        password_change = ""
        if password is not None:
            current.set_password(password)
            password_change = "set"
        elif not usable_password and current.has_usable_password():
            current.set_unusable_password()
            password_change = "disabled"
        current.full_clean()
        current.save()
        if groups is not None:
            current.groups.set(list(groups))
        if user_permissions is not None:
            current.user_permissions.set(list(user_permissions))
        after = _values(current, m2m)
        diff = {key: [before[key], value] for key, value in after.items() if before[key] != value}
        diff.pop("usable_password", None)
        if diff or password_change:
            payload: dict[str, Any] = {"changes": diff}
            if password_change:
                payload["password"] = password_change
            append_event(
                actor=actor, action="update", object_type=OBJECT_TYPE, object_id=current.pk, payload=payload
            )
    return current


def deactivate_user(user: User, *, actor: Actor, reason: str = "") -> User:
    """Take a user out of service without deleting them: no sign-in, no API token, history kept.

    Deactivating an inactive user changes nothing and records nothing. Nobody
    deactivates themselves (the last coordinator would lock the command out).
    """
    if not isinstance(actor, SystemActor) and actor.pk == user.pk:
        raise ValidationError(_("You cannot deactivate your own account."))
    with transaction.atomic():
        current = User.objects.select_for_update().get(pk=user.pk)
        if not current.is_active:
            return current
        current.is_active = False
        current.save(update_fields=["is_active"])
        append_event(
            actor=actor,
            action="deactivate",
            object_type=OBJECT_TYPE,
            object_id=current.pk,
            payload={"username": current.username, "reason": reason},
        )
    return current
