"""The one releasability filter: what a user's nation may see.

Command roles (coordinator, leadership, auditor) see every record. A nation's
representative sees its own records, those it is a party to (a shipment's
recipient), public ones, those marked for its nation, and coalition-marked
ones whose capability is covered by a coalition the nation belongs to or
leads. Anonymous users see nothing.
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.db.models import Exists, Model, OuterRef, Q, QuerySet

from nsatu.core.choices import COMMAND_ROLES, Releasability
from nsatu.core.models import ReleasableModel

M = TypeVar("M", bound=Model)


def sees_everything(user: Any) -> bool:
    """True for authenticated command staff."""
    return bool(getattr(user, "is_authenticated", False)) and getattr(user, "role", None) in COMMAND_ROLES


def releasable_q(model: type[ReleasableModel], user: Any) -> Q:
    """A Q object selecting the rows of ``model`` that ``user`` may see."""
    if sees_everything(user):
        return Q()
    nation_id = getattr(user, "nation_id", None) if getattr(user, "is_authenticated", False) else None
    if nation_id is None:
        return Q(pk__in=[])
    from nsatu.nations.models import Coalition

    through: Any = model.releasable_to.through
    source = f"{model._meta.model_name}_id"
    listed = Exists(through.objects.filter(**{source: OuterRef("pk"), "nation_id": nation_id}))
    cap = model.RELEASE_CAPABILITY_FIELD
    in_coalition = Exists(
        Coalition.objects.filter(capabilities=OuterRef(cap)).filter(Q(members=nation_id) | Q(leads=nation_id))
    )
    parties = Q(pk__in=[])
    for field in model.RELEASE_PARTY_FIELDS:
        parties |= Q(**{f"{field}_id": nation_id})
    return (
        Q(**{f"{model.RELEASE_OWNER_FIELD}_id": nation_id})
        | parties
        | Q(releasability=Releasability.PUBLIC)
        | (Q(releasability=Releasability.NATIONS) & Q(listed))
        | (Q(releasability=Releasability.COALITION) & Q(in_coalition))
    )


def releasable(queryset: QuerySet[M], user: Any) -> QuerySet[M]:
    """Filter any queryset of a releasable model down to what ``user`` may see."""
    model = queryset.model
    assert issubclass(model, ReleasableModel), f"{model.__name__} carries no releasability marking"
    return queryset.filter(releasable_q(model, user))


def parse_marking(text: str) -> tuple[str, list[str]]:
    """Read the FORMAT extension syntax (`public`, `coalition`, `command-only`, `nations:POL;DEU`)."""
    value = (text or "").strip()
    if not value or value.lower() == Releasability.PUBLIC:
        return Releasability.PUBLIC, []
    if value.lower() in (Releasability.COALITION, Releasability.COMMAND_ONLY):
        return value.lower(), []
    if value.lower().startswith("nations:"):
        codes = [c.strip().upper() for c in value.split(":", 1)[1].split(";") if c.strip()]
        return Releasability.NATIONS, codes
    raise ValueError(f"unknown releasability marking {text!r}")


def format_marking(marking: str, nations: list[str]) -> str:
    """The inverse of :func:`parse_marking`."""
    if marking == Releasability.NATIONS:
        return "nations:" + ";".join(sorted(nations))
    return str(marking)
