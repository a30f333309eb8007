from django.contrib import admin

from nsatu.core.admin_base import LedgeredAdmin
from nsatu.planning.models import PlanningSettings


@admin.register(PlanningSettings)
class PlanningSettingsAdmin(LedgeredAdmin):
    list_display = ["name", "start_date", "horizon_weeks", "recipient"]
