from typing import Any

from django.contrib import admin

from nsatu.stress.models import StressRun


@admin.register(StressRun)
class StressRunAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Read-only: runs start and change only through the audited services and tasks."""

    list_display = ["pk", "kind", "method", "status", "cases_done", "cases_total", "created_by", "created_at"]

    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False
