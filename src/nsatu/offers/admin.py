from django.contrib import admin

from nsatu.core.admin_base import LedgeredAdmin
from nsatu.offers.models import Offer


@admin.register(Offer)
class OfferAdmin(LedgeredAdmin):
    list_display = ["code", "donor", "item_type", "quantity", "available_from", "status", "releasability"]
    list_filter = ["status", "donor", "releasability"]
    search_fields = ["code", "note"]
    filter_horizontal = ["releasable_to"]
