"""The user back office: every add, change, password change and deactivation through the audited services.

Users are never deleted (the ledger names them); they are deactivated. Only a
superuser sees or changes superuser status, groups and single permissions, and
only a superuser changes a superuser.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.contrib import admin, messages
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm, AdminUserCreationForm, UsernameField
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from nsatu.accounts.models import User
from nsatu.accounts.services import USER_FIELDS, create_user, deactivate_user, update_user
from nsatu.core.actors import Actor, request_actor
from nsatu.core.admin_base import LedgeredAdmin

# Django's password view builds its form itself; the form learns who acts from here.
_password_actor: ContextVar[Actor | None] = ContextVar("password_actor", default=None)


@contextmanager
def _acting(actor: Actor) -> Iterator[None]:
    token = _password_actor.set(actor)
    try:
        yield
    finally:
        _password_actor.reset(token)


class UserAddForm(AdminUserCreationForm):
    """A new user with the role and nation the platform needs (a donor without a nation is refused)."""

    class Meta:
        model = User
        fields = ("username", "role", "nation", "email")
        field_classes = {"username": UsernameField}


class AuditedPasswordChangeForm(AdminPasswordChangeForm):  # type: ignore[type-arg]
    """The admin's password form, saving through update_user: the ledger records that it changed."""

    def save(self, commit: bool = True) -> Any:
        actor = _password_actor.get()
        if actor is None:
            raise RuntimeError("a password changes only through the audited user admin")
        usable = bool(self.cleaned_data.get("set_usable_password", True))
        updated = update_user(
            self.user,
            actor=actor,
            password=self.cleaned_data["password1"] if usable else None,
            usable_password=usable,
        )
        self.user.password = updated.password
        return self.user


PERSONAL = (_("Personal info"), {"fields": ("first_name", "last_name", "email")})
COMMAND = (_("Role in the command"), {"fields": ("role", "nation")})
DATES = (_("Important dates"), {"fields": ("last_login", "date_joined")})


@admin.register(User)
class NsatuUserAdmin(UserAdmin):  # type: ignore[type-arg]
    list_display = ["username", "role", "nation", "is_active", "is_staff", "last_login"]
    list_filter = ["role", "nation", "is_active", "is_staff"]
    add_form = UserAddForm
    change_password_form = AuditedPasswordChangeForm
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": (
                    "username",
                    "role",
                    "nation",
                    "email",
                    "usable_password",
                    "password1",
                    "password2",
                ),
            },
        ),
    )
    readonly_fields = ["last_login", "date_joined"]
    actions = ["deactivate_selected"]

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return self.add_fieldsets
        rights: tuple[str, ...] = ("is_active", "is_staff")
        if getattr(request.user, "is_superuser", False):
            rights = (*rights, "is_superuser", "groups", "user_permissions")
        return (
            (None, {"fields": ("username", "password")}),
            PERSONAL,
            COMMAND,
            (_("Permissions"), {"fields": rights}),
            DATES,
        )

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and obj.is_superuser and not getattr(request.user, "is_superuser", False):
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # deactivate instead: the ledger names users as the actors of past changes

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        actor = request_actor(request)
        data = form.cleaned_data
        if not change:
            usable = bool(data.get("set_usable_password", True))
            saved = create_user(
                actor=actor,
                username=data["username"],
                password=data.get("password1") if usable else None,
                role=data["role"],
                nation=data.get("nation"),
                email=data.get("email", ""),
            )
        else:
            changes = {name: data[name] for name in form.changed_data if name in USER_FIELDS}
            relations = {
                name: data[name] for name in form.changed_data if name in ("groups", "user_permissions")
            }
            saved = update_user(obj, actor=actor, **changes, **relations)
        for field in User._meta.concrete_fields:
            setattr(obj, field.attname, getattr(saved, field.attname))
        obj._state.adding = False
        obj._state.db = saved._state.db

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        # Groups and permissions were written, and recorded, by update_user in save_model.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        deactivate_user(obj, actor=request_actor(request), reason="deleted in the back office")

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        for user in queryset:
            self.delete_model(request, user)

    def user_change_password(self, request: HttpRequest, id: str, form_url: str = "") -> HttpResponse:
        with _acting(request_actor(request)):
            return super().user_change_password(request, id, form_url)

    @admin.action(description=_("Deactivate the selected users"), permissions=["change"])
    def deactivate_selected(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        actor = request_actor(request)
        done = 0
        for user in queryset:
            try:
                deactivate_user(user, actor=actor, reason="deactivated in the back office")
            except ValidationError as exc:
                messages.warning(request, " ".join(exc.messages))
            else:
                done += 1
        messages.success(
            request,
            ngettext("%(n)s user deactivated.", "%(n)s users deactivated.", done) % {"n": done},
        )


admin.site.unregister(Group)


@admin.register(Group)
class AuditedGroupAdmin(LedgeredAdmin, GroupAdmin):
    """Groups (superusers only): their changes are audited like the rest."""
