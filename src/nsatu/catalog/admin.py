from django.contrib import admin

from nsatu.catalog.models import Capability, Family, FamilyAlias, ItemType
from nsatu.core.admin_base import LedgeredAdmin


@admin.register(Capability)
class CapabilityAdmin(LedgeredAdmin):
    list_display = ["code", "name"]


@admin.register(Family)
class FamilyAdmin(LedgeredAdmin):
    list_display = ["code", "name", "capability", "in_service", "introduction_cost", "crew_per_unit"]
    list_filter = ["capability", "in_service"]
    search_fields = ["code", "name"]


@admin.register(FamilyAlias)
class FamilyAliasAdmin(LedgeredAdmin):
    list_display = ["alias", "family", "source"]
    search_fields = ["alias", "family__code"]


@admin.register(ItemType)
class ItemTypeAdmin(LedgeredAdmin):
    list_display = ["code", "name", "family", "unit", "mass_t", "nsn", "serialised"]
    list_filter = ["family__capability", "unit"]
    search_fields = ["code", "name", "nsn"]
