"""The one releasability filter: what a user's nation may see.

Command roles (coordinator, leadership, auditor) see every record. A nation's
representative sees its own records, those it is a party to (a shipment's
recipient), public ones, those marked for its nation, and coalition-marked
ones whose capability is covered by a coalition the nation belongs to or
leads. Anonymous users see nothing.
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.db.models import Exists, Model, OuterRef, Q, QuerySet, Subquery

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


def visible_code_of(model: type[ReleasableModel], user: Any, key: str) -> Any:
    """An expression for the code of the ``model`` record whose key is in column ``key`` of the
    outer query, when it is releasable to ``user``; NULL when it is not (or there is none).

    Annotate a queryset with it wherever a row names another releasable record
    (an offer's earmark, a shipment's offer), so that the row shows the code only
    to a reader who may open that record, and searches and sorts on the code
    never reach one they may not.
    """
    referenced: QuerySet[Any] = model._default_manager.filter(pk=OuterRef(key))
    if not sees_everything(user):
        referenced = releasable(referenced, user)
    return Subquery(referenced.values("code")[:1])


def with_visible_codes(queryset: QuerySet[M], user: Any, **references: str) -> QuerySet[M]:
    """Annotate each ``name=foreign_key`` of ``references`` as ``name``: the referenced record's
    code when releasable to ``user``, else None (see :func:`visible_code_of`)."""
    model = queryset.model
    annotations: dict[str, Any] = {}
    for name, field_name in references.items():
        target = model._meta.get_field(field_name).related_model
        assert isinstance(target, type) and issubclass(target, ReleasableModel), field_name
        annotations[name] = visible_code_of(target, user, f"{field_name}_id")
    annotated: QuerySet[M] = queryset.annotate(**annotations)
    return annotated


def visible_code(record: ReleasableModel | None, user: Any) -> str | None:
    """The code of one referenced record when releasable to ``user``, else None (one query at most)."""
    if record is None:
        return None
    if not sees_everything(user):
        allowed = releasable(type(record)._default_manager.filter(pk=record.pk), user)
        if not allowed.exists():
            return None
    return str(getattr(record, "code"))  # noqa: B009 (every releasable model has a code)


def annotated_code(obj: Any, name: str, field_name: str, user: Any) -> str | None:
    """``obj.<name>`` when a queryset annotated it with :func:`with_visible_codes`; otherwise the
    releasability of ``obj.<field_name>`` decided for this one object."""
    if hasattr(obj, name):
        value = getattr(obj, name)
        return None if value is None else str(value)
    return visible_code(getattr(obj, field_name), user)
