"""Back office for API tokens: list and revoke; tokens are issued by `nsatu token create` or the API."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from nsatu.tokens.models import ApiToken
from nsatu.tokens.services import TokenError, revoke_api_token


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["prefix", "name", "user", "created_at", "last_used_at", "revoked_at"]
    list_filter = ["revoked_at"]
    search_fields = ["prefix", "name", "user__username"]
    readonly_fields = [
        "user",
        "name",
        "prefix",
        "created_at",
        "created_by",
        "last_used_at",
        "revoked_at",
        "revoked_by",
    ]
    exclude = ["token_hash"]
    actions = ["revoke"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # a token's plaintext must be shown once, which the admin form cannot do

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # revoke instead, so the ledger keeps the story

    @admin.action(description="Revoke the selected tokens")
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        for token in queryset:
            try:
                revoke_api_token(token, actor=request.user)  # type: ignore[arg-type]
            except TokenError as exc:
                messages.warning(request, str(exc))
            else:
                messages.success(request, f"revoked {token.display_prefix}")
