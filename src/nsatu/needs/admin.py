from django.contrib import admin

from nsatu.core.admin_base import LedgeredAdmin
from nsatu.needs.models import Requirement


@admin.register(Requirement)
class RequirementAdmin(LedgeredAdmin):
    list_display = [
        "code",
        "title",
        "capability",
        "quantity",
        "priority",
        "needed_by",
        "status",
        "releasability",
    ]
    list_filter = ["priority", "status", "capability", "releasability"]
    search_fields = ["code", "title"]
    filter_horizontal = ["accepts", "releasable_to"]
