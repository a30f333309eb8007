from django.contrib import admin

from nsatu.core.admin_base import LedgeredAdmin
from nsatu.shipments.models import Discrepancy, ItemValue, Leg, SerialNumber, Shipment


class LegInline(admin.TabularInline):  # type: ignore[type-arg]
    model = Leg
    extra = 0
    can_delete = False
    readonly_fields = [
        "kind",
        "origin",
        "destination",
        "planned_departure",
        "planned_arrival",
        "actual_departure",
        "actual_arrival",
    ]


class SerialInline(admin.TabularInline):  # type: ignore[type-arg]
    model = SerialNumber
    fk_name = "shipment"
    extra = 0
    can_delete = False
    readonly_fields = ["serial", "recorded_on", "confirmed_on", "received_in"]


class DiscrepancyInline(admin.TabularInline):  # type: ignore[type-arg]
    model = Discrepancy
    fk_name = "shipment"
    extra = 0
    can_delete = False
    readonly_fields = ["kind", "quantity", "serial", "other_shipment", "note", "recorded_on"]


@admin.register(Shipment)
class ShipmentAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Read-only in the back office: shipments change only through their steps."""

    list_display = [
        "code",
        "donor",
        "hub",
        "item_type",
        "quantity",
        "state",
        "planned_arrival",
        "received_on",
    ]
    list_filter = ["state", "hub", "donor"]
    search_fields = ["code", "offer__code"]
    inlines = [LegInline, SerialInline, DiscrepancyInline]

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: object, obj: object = None) -> bool:
        return False


@admin.register(ItemValue)
class ItemValueAdmin(LedgeredAdmin):
    list_display = ["item_type", "unit_value", "currency"]
