from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from nsatu.accounts.models import User


@admin.register(User)
class NsatuUserAdmin(UserAdmin):  # type: ignore[type-arg]
    list_display = ["username", "role", "nation", "is_active", "last_login"]
    list_filter = ["role", "nation", "is_active"]
    fieldsets = (*UserAdmin.fieldsets, ("Command", {"fields": ("role", "nation")}))  # type: ignore[misc]
