"""Admin classes whose saves and deletes go through the audited services, like every other change.

A back-office save is one ``create_record``/``update_record`` call (the object
with its many-to-many values, one ledger event), a delete one ``delete_record``;
inline rows go the same way. The admin's own transaction wraps them, so a
failed save leaves neither the row nor its event. A record with a ``version``
is saved only over the version its form was opened on: a second person's stale
form is refused with a message, as on the pages and in the API.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db import models, transaction
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect

from nsatu.core.actors import Actor, request_actor
from nsatu.core.services import (
    ConflictError,
    create_record,
    delete_record,
    update_record,
    version_conflict_message,
)


def _concrete_values(obj: Model) -> dict[str, Any]:
    """The field values a new object is created with (no auto key, no automatic time stamps)."""
    values = {}
    for field in obj._meta.concrete_fields:
        if isinstance(field, models.AutoField) or getattr(field, "auto_now", False):
            continue
        if getattr(field, "auto_now_add", False):
            continue
        values[field.name] = getattr(obj, field.name)
    return values


def _adopt(obj: Model, saved: Model) -> None:
    """Make the admin's instance the saved row, so the admin's messages and redirects name it."""
    for field in obj._meta.concrete_fields:
        setattr(obj, field.attname, getattr(saved, field.attname))
    obj._state.adding = False
    obj._state.db = saved._state.db


class VersionCheckedForm(forms.ModelForm):  # type: ignore[type-arg]
    """A back-office form that remembers the version it was opened on and refuses to save over a newer one."""

    edited_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None and hasattr(self.instance, "version"):
            self.fields["edited_version"].initial = self.instance.version

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        edited = cleaned.get("edited_version")
        if self.instance.pk is None or edited is None or not hasattr(self.instance, "version"):
            return cleaned
        model = type(self.instance)
        current = model._default_manager.filter(pk=self.instance.pk).values_list("version", flat=True).first()
        if current is not None and current != edited:
            raise forms.ValidationError(version_conflict_message(self.instance, current, edited))
        return cleaned


def save_audited(
    obj: Model,
    *,
    actor: Actor,
    change: bool,
    changed: Iterable[str],
    m2m: Mapping[str, Iterable[Any]],
    expected_version: int | None = None,
) -> None:
    """Save a form's object through the audited services: create it, or apply only what changed."""
    model = type(obj)
    if not change:
        _adopt(obj, create_record(model, actor=actor, m2m=m2m, **_concrete_values(obj)))
        return
    concrete = {field.name for field in obj._meta.concrete_fields}
    changed = set(changed)
    fields = {name: getattr(obj, name) for name in changed if name in concrete}
    relations = {name: values for name, values in m2m.items() if name in changed}
    if fields or relations:
        _adopt(
            obj, update_record(obj, actor=actor, m2m=relations, expected_version=expected_version, **fields)
        )


def _m2m_values(form: Any) -> dict[str, Any]:
    names = {m2m.name for m2m in form.instance._meta.many_to_many}
    return {name: value for name, value in form.cleaned_data.items() if name in names}


class LedgeredAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Back-office editing through the audited services, each change with its ledger event."""

    form = VersionCheckedForm

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        # A save that lands between the form's check and the service's row lock: nothing was
        # written (the admin's transaction rolled back); show the record as it now is.
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ConflictError as exc:
            self.message_user(request, str(exc), level=messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def save_model(self, request: HttpRequest, obj: Model, form: Any, change: bool) -> None:
        # The form's clean() refused a stale version already; the service checks again under
        # its row lock, for a save that lands between the two.
        save_audited(
            obj,
            actor=request_actor(request),
            change=change,
            changed=[name for name in form.changed_data if name != "edited_version"],
            m2m=_m2m_values(form),
            expected_version=form.cleaned_data.get("edited_version"),
        )

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        # The object's many-to-many values were written, and recorded, with it by save_model.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        actor = request_actor(request)
        with transaction.atomic():
            formset.save(commit=False)
            for obj in formset.deleted_objects:
                delete_record(obj, actor=actor)
            for inline in formset.forms:
                obj = inline.instance
                if any(obj is new for new in formset.new_objects):
                    save_audited(obj, actor=actor, change=False, changed=(), m2m=_m2m_values(inline))
                elif any(obj is changed for changed, _fields in formset.changed_objects):
                    save_audited(
                        obj, actor=actor, change=True, changed=inline.changed_data, m2m=_m2m_values(inline)
                    )

    def delete_model(self, request: HttpRequest, obj: Model) -> None:
        delete_record(obj, actor=request_actor(request))

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        actor = request_actor(request)
        with transaction.atomic():
            for obj in queryset:
                delete_record(obj, actor=actor)
