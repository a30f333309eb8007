from django.contrib import admin

from nsatu.core.admin_base import LedgeredAdmin
from nsatu.training.models import Course


@admin.register(Course)
class CourseAdmin(LedgeredAdmin):
    list_display = ["code", "family", "host", "seats", "start", "duration_weeks"]
    list_filter = ["family", "host"]
