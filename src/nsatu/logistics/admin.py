from django.contrib import admin

from nsatu.core.admin_base import LedgeredAdmin
from nsatu.logistics.models import Hub, Route


@admin.register(Hub)
class HubAdmin(LedgeredAdmin):
    list_display = ["code", "name", "nation", "capacity_t_per_week"]


@admin.register(Route)
class RouteAdmin(LedgeredAdmin):
    list_display = ["donor", "hub", "lead_time_days"]
    list_filter = ["hub"]
