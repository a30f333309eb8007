from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from nsatu.core.models import Event


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """The ledger is read-only, in the admin as in the database."""

    list_display = ["seq", "time", "actor", "nation", "action", "object_type", "object_id"]
    list_filter = ["action", "object_type", "nation"]
    search_fields = ["actor", "object_id", "object_type"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
