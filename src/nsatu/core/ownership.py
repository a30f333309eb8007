"""Who may change a nation's own records: one policy, enforced by the services.

A requirement belongs to its recipient nation, an offer to its donor. Its
nation's representative of the matching role may change it, a coordinator
may change any, and the system's own processes (the command line, the task
worker) act for the command. Everyone else is refused with a sentence saying
who may. The pages and the API call the same services, so a page cannot do
what the API refuses.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from nsatu.core.actors import Actor, SystemActor
from nsatu.core.choices import Role


class NotPermitted(PermissionDenied):
    """The actor's role or nation may not make this change (403 on the API and the pages)."""


def _words(record: Any, owner_field: str) -> tuple[str, str]:
    """The kind of record and its owner's part, in the reader's language."""
    words = {
        ("requirement", "recipient"): (_("requirement"), _("recipient")),
        ("offer", "donor"): (_("offer"), _("donor")),
    }
    key = (str(record._meta.verbose_name), owner_field)
    return words.get(key, key)


def _role_label(role: str) -> str:
    return str(Role(role).label).lower()


def ensure_role(actor: Actor, role: str, *, doing: str) -> None:
    """Refuse unless ``actor`` is a coordinator, a system process, or of ``role``."""
    if isinstance(actor, SystemActor):
        return
    actual = getattr(actor, "role", None)
    if actual in (Role.COORDINATOR, role):
        return
    raise NotPermitted(
        _("only a %(role)s or coordinator may %(doing)s; you are signed in as %(actual)s")
        % {
            "role": _role_label(role),
            "doing": doing,
            "actual": _role_label(actual) if actual in Role.values else _("no role"),
        }
    )


def ensure_owner(actor: Actor, record: Any, *, owner_field: str, role: str, doing: str) -> None:
    """Refuse unless ``actor`` may change ``record``: a coordinator or system process, or a
    representative of ``role`` whose nation is ``record.<owner_field>``."""
    ensure_role(actor, role, doing=doing)
    if isinstance(actor, SystemActor) or getattr(actor, "role", None) == Role.COORDINATOR:
        return
    if getattr(record, f"{owner_field}_id") != getattr(actor, "nation_id", None):
        kind, owner = _words(record, owner_field)
        raise NotPermitted(
            _("%(kind)s %(code)s is not your nation's: only its %(owner)s may %(doing)s")
            % {"kind": kind, "code": getattr(record, "code", record.pk), "owner": owner, "doing": doing}
        )


def ensure_own_nation(actor: Actor, nation_id: int | None, role: str, *, doing: str) -> None:
    """Refuse a representative acting for a nation that is not theirs (a new record's owner)."""
    ensure_role(actor, role, doing=doing)
    if isinstance(actor, SystemActor) or getattr(actor, "role", None) == Role.COORDINATOR:
        return
    if nation_id != getattr(actor, "nation_id", None):
        raise NotPermitted(_("a %(role)s acts for its own nation only") % {"role": _role_label(role)})


def ensure_coordinator(actor: Actor, *, doing: str) -> None:
    """Refuse anyone but a coordinator or a system process."""
    if isinstance(actor, SystemActor) or getattr(actor, "role", None) == Role.COORDINATOR:
        return
    raise NotPermitted(_("only a coordinator may %(doing)s") % {"doing": doing})


def may_change(actor: Any, record: Any, *, owner_field: str, role: str) -> bool:
    """Whether :func:`ensure_owner` would let ``actor`` change ``record`` (for showing edit controls)."""
    try:
        ensure_owner(actor, record, owner_field=owner_field, role=role, doing="")
    except NotPermitted:
        return False
    return True
