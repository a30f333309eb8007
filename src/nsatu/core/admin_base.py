"""Admin classes whose saves and deletes are audited like every other change."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Model, QuerySet
from django.http import HttpRequest

from nsatu.core.ledger import append_event
from nsatu.core.models import TrackedModel
from nsatu.core.services import delete_record, object_type, snapshot


class LedgeredAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Back-office editing that writes a ledger event in the admin's transaction."""

    def save_model(self, request: HttpRequest, obj: Model, form: Any, change: bool) -> None:
        if change and isinstance(obj, TrackedModel):
            obj.version += 1
        obj.save()
        values = {k: v for k, v in snapshot(obj).items() if k not in {m.name for m in obj._meta.many_to_many}}
        append_event(
            actor=request.user,  # type: ignore[arg-type]
            action="update" if change else "create",
            object_type=object_type(obj),
            object_id=obj.pk,
            payload={"changed": sorted(form.changed_data), "values": values, "via": "admin"},
        )

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        obj = form.instance
        m2m_names = {m.name for m in obj._meta.many_to_many}
        changed = sorted(set(form.changed_data) & m2m_names)
        if changed:
            append_event(
                actor=request.user,  # type: ignore[arg-type]
                action="update-relations",
                object_type=object_type(obj),
                object_id=obj.pk,
                payload={name: sorted(getattr(obj, name).values_list("pk", flat=True)) for name in changed},
            )

    def delete_model(self, request: HttpRequest, obj: Model) -> None:
        delete_record(obj, actor=request.user)  # type: ignore[arg-type]

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        for obj in queryset:
            delete_record(obj, actor=request.user)  # type: ignore[arg-type]
