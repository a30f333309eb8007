from django.contrib import admin

from nsatu.monitoring.models import (
    DiscrepancyCase,
    Evidence,
    Inventory,
    MonitoredItem,
    RepairOrder,
    TransferRequest,
)


class ReadOnly(admin.ModelAdmin):  # type: ignore[type-arg]
    """Read-only in the back office: these records change only through their services."""

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: object, obj: object = None) -> bool:
        return False


@admin.register(MonitoredItem)
class MonitoredItemAdmin(ReadOnly):
    list_display = ["serial", "item_type", "donor", "unit", "state", "inventory_due"]
    list_filter = ["state", "donor"]
    search_fields = ["serial", "unit"]


@admin.register(Inventory)
class InventoryAdmin(ReadOnly):
    list_display = ["code", "kind", "donor", "conducted_on", "unit"]


@admin.register(TransferRequest)
class TransferRequestAdmin(ReadOnly):
    list_display = ["item", "third_party", "state", "requested_on", "decided_on"]


@admin.register(RepairOrder)
class RepairOrderAdmin(ReadOnly):
    list_display = ["code", "item", "facility", "state", "opened_on"]


@admin.register(DiscrepancyCase)
class DiscrepancyCaseAdmin(ReadOnly):
    list_display = ["code", "shipment", "opened_as", "owner", "state", "resolution"]


@admin.register(Evidence)
class EvidenceAdmin(ReadOnly):
    list_display = ["filename", "kind", "size", "sha256", "uploaded_by", "uploaded_at"]
