from django.contrib import admin

from nsatu.core.admin_base import LedgeredAdmin
from nsatu.nations.models import Agreement, Coalition, Nation, Pledge


@admin.register(Nation)
class NationAdmin(LedgeredAdmin):
    list_display = ["iso3", "name", "nato", "eu", "codification_bureau"]
    list_filter = ["nato", "eu"]
    search_fields = ["iso3", "name"]


@admin.register(Coalition)
class CoalitionAdmin(LedgeredAdmin):
    list_display = ["code", "name"]
    filter_horizontal = ["capabilities", "leads", "members"]


@admin.register(Agreement)
class AgreementAdmin(LedgeredAdmin):
    list_display = ["code", "donor", "signed", "duration_years", "place"]
    list_filter = ["donor"]


@admin.register(Pledge)
class PledgeAdmin(LedgeredAdmin):
    list_display = ["agreement", "year", "amount", "currency", "purpose"]
    list_filter = ["year", "currency"]
