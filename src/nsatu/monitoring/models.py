"""End-use monitoring after receipt: serialised items, their custody, inventories, reports, transfers,
repairs, discrepancy cases and the evidence kept beside them.

A monitored item carries the releasability marking of the shipment that brought
it; every other record here hangs off an item (or a shipment) and is seen by
whoever may see that item (or shipment).
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from nsatu.core.models import ReleasableModel, TrackedModel
from nsatu.core.validation import validate_code
from nsatu.monitoring.choices import (
    IN_CUSTODY,
    CaseResolution,
    CaseState,
    EvidenceKind,
    IncidentKind,
    IncidentReason,
    InventoryKind,
    ItemState,
    LocationClass,
    RepairFacility,
    RepairLegKind,
    RepairState,
    TransferState,
)


class MonitoredItem(TrackedModel, ReleasableModel):
    """One serialised item the recipient received: who holds it, its state, its next inventory.

    ``inventory_due`` is the day the next required inventory is due: the initial
    one a number of days after receipt, then one a year after the last. It is
    required only while the recipient holds the item (not while it is away for
    repair, nor once it is lost, destroyed, written off or transferred).
    """

    RELEASE_OWNER_FIELD = "donor"
    RELEASE_CAPABILITY_FIELD = "item_type__family__capability"
    RELEASE_PARTY_FIELDS = ("recipient",)

    serial_number = models.OneToOneField(
        "shipments.SerialNumber", on_delete=models.PROTECT, related_name="monitored"
    )
    serial = models.CharField(_("serial number"), max_length=64)
    item_type = models.ForeignKey("catalog.ItemType", on_delete=models.PROTECT, related_name="monitored")
    donor = models.ForeignKey("nations.Nation", on_delete=models.PROTECT, related_name="monitored_given")
    recipient = models.ForeignKey("nations.Nation", on_delete=models.PROTECT, related_name="monitored_held")
    shipment = models.ForeignKey(
        "shipments.Shipment", on_delete=models.PROTECT, related_name="monitored_dispatched"
    )
    received_in = models.ForeignKey(
        "shipments.Shipment", on_delete=models.PROTECT, related_name="monitored_received"
    )
    received_on = models.DateField(_("received on"))
    state = models.CharField(
        _("state"), max_length=16, choices=ItemState.choices, default=ItemState.IN_SERVICE
    )
    state_since = models.DateField(_("state since"))
    unit = models.CharField(_("unit"), max_length=120, blank=True)
    location_class = models.CharField(
        _("location class"), max_length=16, choices=LocationClass.choices, default=LocationClass.DEPOT
    )
    initial_inventory_on = models.DateField(_("initial inventory"), null=True, blank=True)
    last_inventory_on = models.DateField(_("last inventory"), null=True, blank=True)
    inventory_due = models.DateField(_("inventory due"))

    class Meta:
        ordering = ["received_on", "serial"]
        constraints = [
            models.CheckConstraint(condition=Q(state__in=ItemState.values), name="monitoreditem_state_known"),
            models.CheckConstraint(
                condition=Q(location_class__in=LocationClass.values), name="monitoreditem_location_known"
            ),
            models.CheckConstraint(
                condition=Q(initial_inventory_on__isnull=True) | Q(last_inventory_on__isnull=False),
                name="monitoreditem_inventory_dates",
            ),
        ]
        indexes = [models.Index(fields=["state", "inventory_due"])]

    def __str__(self) -> str:
        return f"{self.item_type.code} {self.serial}"

    def get_absolute_url(self) -> str:
        return reverse("monitoring-item", args=[self.pk])

    @property
    def in_custody(self) -> bool:
        """The recipient holds it, so inventories are required."""
        return self.state in IN_CUSTODY

    @property
    def due_kind(self) -> str:
        """Which inventory is due next: the initial one, or the annual one."""
        return InventoryKind.INITIAL if self.initial_inventory_on is None else InventoryKind.ANNUAL

    def overdue_days(self, today: dt.date) -> int:
        """Days past the due inventory (0 when not due yet or not required)."""
        if not self.in_custody:
            return 0
        return max(0, (today - self.inventory_due).days)


def overdue_q(today: dt.date) -> Q:
    """Items held by the recipient whose required inventory is past due."""
    return Q(state__in=IN_CUSTODY, inventory_due__lt=today)


class ItemStateChange(models.Model):
    """One change of an item's state, dated: the history readiness reads."""

    item = models.ForeignKey(MonitoredItem, on_delete=models.CASCADE, related_name="changes")
    from_state = models.CharField(max_length=16, choices=ItemState.choices, blank=True)
    to_state = models.CharField(max_length=16, choices=ItemState.choices)
    on = models.DateField()
    reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["item", "on", "pk"]

    def __str__(self) -> str:
        return f"{self.item_id}: {self.from_state} -> {self.to_state} on {self.on}"


class Inventory(TrackedModel):
    """A serial inventory of one donor's items, conducted by the recipient on one day."""

    code = models.CharField(_("code"), max_length=40, unique=True, validators=[validate_code])
    kind = models.CharField(_("kind"), max_length=8, choices=InventoryKind.choices)
    donor = models.ForeignKey("nations.Nation", on_delete=models.PROTECT, related_name="+")
    recipient = models.ForeignKey("nations.Nation", on_delete=models.PROTECT, related_name="+")
    conducted_on = models.DateField(_("conducted on"))
    unit = models.CharField(_("unit"), max_length=120, blank=True)
    conducted_by = models.CharField(_("conducted by"), max_length=150)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["-conducted_on", "code"]
        verbose_name_plural = "inventories"
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=InventoryKind.values), name="inventory_kind_known")
        ]

    def __str__(self) -> str:
        return self.code

    def get_absolute_url(self) -> str:
        return reverse("monitoring-inventory", args=[self.code])


class InventoryLine(models.Model):
    """An item sighted by an inventory."""

    inventory = models.ForeignKey(Inventory, on_delete=models.CASCADE, related_name="lines")
    item = models.ForeignKey(MonitoredItem, on_delete=models.PROTECT, related_name="inventory_lines")
    kind = models.CharField(max_length=8, choices=InventoryKind.choices)

    class Meta:
        ordering = ["inventory", "item__serial"]
        constraints = [models.UniqueConstraint(fields=["inventory", "item"], name="inventoryline_item_once")]

    def __str__(self) -> str:
        return f"{self.inventory_id}: {self.item_id}"


class IncidentReport(TrackedModel):
    """A report that an item was lost, destroyed, damaged or made unserviceable, with the reason."""

    item = models.ForeignKey(MonitoredItem, on_delete=models.PROTECT, related_name="incidents")
    kind = models.CharField(_("kind"), max_length=16, choices=IncidentKind.choices)
    reason = models.CharField(_("reason"), max_length=16, choices=IncidentReason.choices)
    details = models.TextField(_("details"), blank=True)
    occurred_on = models.DateField(_("occurred on"))
    reported_by = models.CharField(max_length=150)

    class Meta:
        ordering = ["-occurred_on", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=IncidentKind.values), name="incident_kind_known"),
            models.CheckConstraint(
                condition=Q(reason__in=IncidentReason.values), name="incident_reason_known"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.item} {self.kind}"


class TransferRequest(TrackedModel):
    """The recipient asks the donor's consent to hand an item on to a third party."""

    item = models.ForeignKey(MonitoredItem, on_delete=models.PROTECT, related_name="transfer_requests")
    third_party = models.CharField(_("third party"), max_length=200)
    reason = models.TextField(_("reason"))
    requested_on = models.DateField(_("requested on"))
    requested_by = models.CharField(max_length=150)
    state = models.CharField(
        _("state"), max_length=12, choices=TransferState.choices, default=TransferState.PENDING
    )
    decided_on = models.DateField(_("decided on"), null=True, blank=True)
    decided_by = models.CharField(max_length=150, blank=True)
    decision_note = models.TextField(_("decision note"), blank=True)

    class Meta:
        ordering = ["-requested_on", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(state__in=TransferState.values), name="transfer_state_known"),
            models.UniqueConstraint(
                fields=["item"],
                condition=Q(state=TransferState.PENDING),
                name="transfer_one_pending_per_item",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.item} -> {self.third_party}"


class RepairOrder(TrackedModel):
    """A damaged or unserviceable item sent to a donor's facility or a hub workshop and back."""

    code = models.CharField(_("code"), max_length=40, unique=True, validators=[validate_code])
    item = models.ForeignKey(MonitoredItem, on_delete=models.PROTECT, related_name="repairs")
    facility_kind = models.CharField(_("facility"), max_length=8, choices=RepairFacility.choices)
    facility = models.CharField(_("facility name"), max_length=120)
    hub = models.ForeignKey(
        "logistics.Hub", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    state = models.CharField(
        _("state"), max_length=16, choices=RepairState.choices, default=RepairState.OPENED
    )
    opened_on = models.DateField(_("opened on"))
    opened_by = models.CharField(max_length=150)
    repaired_on = models.DateField(_("repaired on"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["-opened_on", "code"]
        constraints = [
            models.CheckConstraint(condition=Q(state__in=RepairState.values), name="repair_state_known"),
            models.CheckConstraint(
                condition=Q(facility_kind__in=RepairFacility.values), name="repair_facility_known"
            ),
            models.CheckConstraint(
                condition=~Q(facility_kind=RepairFacility.HUB) | Q(hub__isnull=False), name="repair_hub_named"
            ),
            models.UniqueConstraint(
                fields=["item"],
                condition=~Q(state__in=[RepairState.RETURNED, RepairState.BEYOND_REPAIR]),
                name="repair_one_open_per_item",
            ),
        ]

    def __str__(self) -> str:
        return self.code

    def get_absolute_url(self) -> str:
        return reverse("monitoring-repair", args=[self.code])


class RepairLeg(models.Model):
    """One leg of a repair order, out to the facility or back, with planned and actual dates."""

    order = models.ForeignKey(RepairOrder, on_delete=models.CASCADE, related_name="legs")
    kind = models.CharField(max_length=8, choices=RepairLegKind.choices)
    origin = models.CharField(_("from"), max_length=120)
    destination = models.CharField(_("to"), max_length=120)
    planned_departure = models.DateField(_("planned departure"))
    planned_arrival = models.DateField(_("planned arrival"))
    actual_departure = models.DateField(_("actual departure"), null=True, blank=True)
    actual_arrival = models.DateField(_("actual arrival"), null=True, blank=True)

    class Meta:
        ordering = ["order", "planned_departure", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["order", "kind"], name="repairleg_unique_kind"),
            models.CheckConstraint(
                condition=Q(planned_arrival__gte=models.F("planned_departure")),
                name="repairleg_dates_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.order_id} {self.origin} -> {self.destination}"


class DiscrepancyCase(TrackedModel):
    """A discrepancy found at receipt, followed as a case: who owns it, where it stands, how it ended."""

    code = models.CharField(_("code"), max_length=40, unique=True, validators=[validate_code])
    discrepancy = models.OneToOneField("shipments.Discrepancy", on_delete=models.PROTECT, related_name="case")
    shipment = models.ForeignKey("shipments.Shipment", on_delete=models.PROTECT, related_name="cases")
    opened_as = models.CharField(_("kind"), max_length=16)
    opened_on = models.DateField(_("opened on"))
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="cases"
    )
    state = models.CharField(_("state"), max_length=16, choices=CaseState.choices, default=CaseState.OPEN)
    resolution = models.CharField(_("resolution"), max_length=16, choices=CaseResolution.choices, blank=True)
    resolution_note = models.TextField(_("resolution note"), blank=True)
    resolved_on = models.DateField(_("resolved on"), null=True, blank=True)
    resolved_by = models.CharField(max_length=150, blank=True)

    class Meta:
        ordering = ["-opened_on", "code"]
        constraints = [
            models.CheckConstraint(condition=Q(state__in=CaseState.values), name="case_state_known"),
            models.CheckConstraint(
                condition=Q(state=CaseState.RESOLVED, resolution__in=CaseResolution.values)
                | (~Q(state=CaseState.RESOLVED) & Q(resolution="")),
                name="case_resolution_when_resolved",
            ),
        ]

    def __str__(self) -> str:
        return self.code

    def get_absolute_url(self) -> str:
        return reverse("monitoring-case", args=[self.code])


class Evidence(models.Model):
    """A document or picture kept beside one record, stored outside the database by its SHA-256.

    Exactly one of the record fields is set; whoever may see that record may
    open the file, nobody else.
    """

    kind = models.CharField(_("kind"), max_length=20, choices=EvidenceKind.choices)
    shipment = models.ForeignKey(
        "shipments.Shipment", null=True, blank=True, on_delete=models.PROTECT, related_name="evidence"
    )
    inventory = models.ForeignKey(
        Inventory, null=True, blank=True, on_delete=models.PROTECT, related_name="evidence"
    )
    case = models.ForeignKey(
        DiscrepancyCase, null=True, blank=True, on_delete=models.PROTECT, related_name="evidence"
    )
    repair = models.ForeignKey(
        RepairOrder, null=True, blank=True, on_delete=models.PROTECT, related_name="evidence"
    )
    incident = models.ForeignKey(
        IncidentReport, null=True, blank=True, on_delete=models.PROTECT, related_name="evidence"
    )
    filename = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField(_("size"))
    sha256 = models.CharField(max_length=64)
    note = models.CharField(_("note"), max_length=300, blank=True)
    uploaded_by = models.CharField(max_length=150)
    uploaded_at = models.DateTimeField(auto_now_add=True)

    RECORD_FIELDS = ("shipment", "inventory", "case", "repair", "incident")

    class Meta:
        ordering = ["-uploaded_at", "-pk"]
        verbose_name_plural = "evidence"
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=EvidenceKind.values), name="evidence_kind_known"),
            models.CheckConstraint(
                condition=(
                    Q(shipment__isnull=False, inventory=None, case=None, repair=None, incident=None)
                    | Q(shipment=None, inventory__isnull=False, case=None, repair=None, incident=None)
                    | Q(shipment=None, inventory=None, case__isnull=False, repair=None, incident=None)
                    | Q(shipment=None, inventory=None, case=None, repair__isnull=False, incident=None)
                    | Q(shipment=None, inventory=None, case=None, repair=None, incident__isnull=False)
                ),
                name="evidence_one_record",
            ),
            models.CheckConstraint(condition=Q(sha256__regex=r"^[0-9a-f]{64}$"), name="evidence_sha256_hex"),
        ]

    def __str__(self) -> str:
        return self.filename

    @property
    def record(self) -> models.Model:
        """The record the file is kept beside."""
        for name in self.RECORD_FIELDS:
            value = getattr(self, name)
            if value is not None:
                return value  # type: ignore[no-any-return]
        raise ValueError(f"evidence {self.pk} names no record")
