"""Audited create/update/delete shared by every app's services.

App services call these so that each change and its ledger event are written
in one transaction (DESIGN.md rule 4).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import models, transaction

from nsatu.core.actors import Actor
from nsatu.core.ledger import _jsonable, append_event
from nsatu.core.models import TrackedModel

M = TypeVar("M", bound=models.Model)


class ConflictError(Exception):
    """Someone else saved the record since it was read (optimistic version check)."""


def object_type(obj: models.Model | type[models.Model]) -> str:
    """`app.model`, as events name the kind of object."""
    meta = obj._meta
    return f"{meta.app_label}.{meta.model_name}"


def snapshot(obj: models.Model) -> dict[str, Any]:
    """Concrete field values and many-to-many keys, JSON-ready."""
    data: dict[str, Any] = {}
    for field in obj._meta.concrete_fields:
        if field.name in ("created_at", "updated_at"):
            continue
        data[field.attname] = _jsonable(getattr(obj, field.attname))
    if obj.pk is not None:
        for m2m in obj._meta.many_to_many:
            data[m2m.name] = sorted(getattr(obj, m2m.name).values_list("pk", flat=True))
    return data


def _set_m2m(obj: models.Model, m2m: Mapping[str, Iterable[Any]]) -> None:
    for name, values in m2m.items():
        getattr(obj, name).set(list(values))


def create_record(
    model: type[M], *, actor: Actor, m2m: Mapping[str, Iterable[Any]] | None = None, **fields: Any
) -> M:
    """Validate, insert and record one object."""
    with transaction.atomic():
        obj = model(**fields)
        obj.full_clean()
        obj.save()
        _set_m2m(obj, m2m or {})
        append_event(
            actor=actor,
            action="create",
            object_type=object_type(obj),
            object_id=obj.pk,
            payload=snapshot(obj),
        )
    return obj


def update_record(
    obj: M,
    *,
    actor: Actor,
    expected_version: int | None = None,
    m2m: Mapping[str, Iterable[Any]] | None = None,
    action: str = "update",
    **changes: Any,
) -> M:
    """Apply ``changes`` and record what changed. Refuses a stale ``expected_version``."""
    with transaction.atomic():
        model = type(obj)
        current = model._default_manager.select_for_update().get(pk=obj.pk)
        if (
            isinstance(current, TrackedModel)
            and expected_version is not None
            and current.version != expected_version
        ):
            raise ConflictError(
                f"{model._meta.verbose_name} {obj} was changed by someone else "
                f"(version {current.version}, you edited version {expected_version}); reload and try again"
            )
        before = snapshot(current)
        for name, value in changes.items():
            setattr(current, name, value)
        if isinstance(current, TrackedModel):
            current.version += 1
        current.full_clean()
        current.save()
        _set_m2m(current, m2m or {})
        after = snapshot(current)
        diff = {k: [before.get(k), v] for k, v in after.items() if before.get(k) != v and k != "version"}
        append_event(
            actor=actor,
            action=action,
            object_type=object_type(current),
            object_id=current.pk,
            payload={"changes": diff, "version": getattr(current, "version", None)},
        )
    return current


def delete_record(obj: models.Model, *, actor: Actor) -> None:
    """Delete one object, recording what it held."""
    with transaction.atomic():
        payload = snapshot(obj)
        kind, pk = object_type(obj), obj.pk
        obj.delete()
        append_event(actor=actor, action="delete", object_type=kind, object_id=pk, payload=payload)


def raise_for_fields(errors: Mapping[str, str]) -> None:
    """Raise a ValidationError keyed by field when ``errors`` is not empty."""
    if errors:
        raise ValidationError(dict(errors))
