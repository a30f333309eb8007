"""Shipments from donor through hub to recipient, their legs, serials and discrepancies; item values."""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from nsatu.core.models import ReleasableModel, TrackedModel
from nsatu.core.validation import validate_code
from nsatu.shipments.choices import DiscrepancyKind, LegKind, ShipmentState


class ItemValue(TrackedModel):
    """The known value of one unit of an item type, for valuing the aid chain."""

    item_type = models.OneToOneField(
        "catalog.ItemType", on_delete=models.CASCADE, related_name="unit_value", verbose_name=_("item type")
    )
    unit_value = models.DecimalField(_("value per unit"), max_digits=18, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3, default="EUR")

    class Meta:
        ordering = ["item_type__code"]
        constraints = [
            models.CheckConstraint(condition=Q(unit_value__gte=0), name="itemvalue_nonnegative"),
            models.CheckConstraint(condition=Q(currency__regex=r"^[A-Z]{3}$"), name="itemvalue_currency_iso"),
        ]

    def __str__(self) -> str:
        return f"{self.item_type.code}: {self.unit_value} {self.currency}"


class Shipment(TrackedModel, ReleasableModel):
    """Part or all of an approved allocation on its way: donor -> hub -> recipient.

    Carries the marking of its offer. ``planned_arrival`` is the plan's arrival
    week (scenario start + 7 x week); a shipment received after it, or not
    received by it, is late.
    """

    RELEASE_OWNER_FIELD = "donor"
    RELEASE_CAPABILITY_FIELD = "item_type__family__capability"
    RELEASE_PARTY_FIELDS = ("recipient",)

    code = models.CharField(_("code"), max_length=40, unique=True, validators=[validate_code])
    allocation = models.ForeignKey(
        "planning.Allocation",
        on_delete=models.PROTECT,
        related_name="shipments",
        verbose_name=_("allocation"),
    )
    offer = models.ForeignKey("offers.Offer", on_delete=models.PROTECT, related_name="shipments")
    donor = models.ForeignKey("nations.Nation", on_delete=models.PROTECT, related_name="shipments_sent")
    recipient = models.ForeignKey(
        "nations.Nation", on_delete=models.PROTECT, related_name="shipments_received"
    )
    hub = models.ForeignKey("logistics.Hub", on_delete=models.PROTECT, related_name="shipments")
    item_type = models.ForeignKey("catalog.ItemType", on_delete=models.PROTECT, related_name="shipments")
    quantity = models.FloatField(_("quantity"))
    state = models.CharField(
        _("state"), max_length=12, choices=ShipmentState.choices, default=ShipmentState.PLANNED
    )
    planned_arrival = models.DateField(_("planned arrival"))
    dispatched_on = models.DateField(_("dispatched on"), null=True, blank=True)
    received_on = models.DateField(_("received on"), null=True, blank=True)
    received_by = models.CharField(max_length=150, blank=True)
    quantity_received = models.FloatField(_("quantity received"), null=True, blank=True)
    note = models.TextField(blank=True)
    cancelled_on = models.DateField(_("cancelled on"), null=True, blank=True)
    # set when the commitment it carries was suspended or withdrawn while it was on its way
    flag = models.TextField(_("flag"), blank=True)
    flagged_on = models.DateField(_("flagged on"), null=True, blank=True)

    class Meta:
        ordering = ["planned_arrival", "code"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="shipment_quantity_positive"),
            models.CheckConstraint(condition=Q(state__in=ShipmentState.values), name="shipment_state_known"),
            models.CheckConstraint(
                condition=Q(quantity_received__isnull=True) | Q(quantity_received__gte=0),
                name="shipment_received_nonnegative",
            ),
            models.CheckConstraint(
                condition=~Q(state=ShipmentState.RECEIVED) | Q(received_on__isnull=False),
                name="shipment_received_has_date",
            ),
        ]
        indexes = [models.Index(fields=["state", "planned_arrival"])]

    def __str__(self) -> str:
        return self.code

    @property
    def closed(self) -> bool:
        """A received or cancelled shipment is closed: nothing more happens to it."""
        return self.state in (ShipmentState.RECEIVED, ShipmentState.CANCELLED)

    def days_late(self, today: dt.date) -> int:
        """Days past the planned arrival: at receipt, or by ``today`` while still on the way
        (a cancelled shipment is never late)."""
        if self.state == ShipmentState.CANCELLED:
            return 0
        reference = self.received_on if self.received_on is not None else today
        return max(0, (reference - self.planned_arrival).days)

    def is_late(self, today: dt.date) -> bool:
        return self.days_late(today) > 0


def late_q(today: dt.date) -> Q:
    """Shipments received after their planned arrival, or still on the way past it."""
    return Q(state=ShipmentState.RECEIVED, received_on__gt=F("planned_arrival")) | (
        ~Q(state__in=[ShipmentState.RECEIVED, ShipmentState.CANCELLED]) & Q(planned_arrival__lt=today)
    )


class Leg(models.Model):
    """One leg of a shipment with its planned and actual departure and arrival."""

    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="legs")
    kind = models.CharField(max_length=16, choices=LegKind.choices)
    origin = models.CharField(_("from"), max_length=120)
    destination = models.CharField(_("to"), max_length=120)
    planned_departure = models.DateField(_("planned departure"))
    planned_arrival = models.DateField(_("planned arrival"))
    actual_departure = models.DateField(_("actual departure"), null=True, blank=True)
    actual_arrival = models.DateField(_("actual arrival"), null=True, blank=True)

    class Meta:
        ordering = ["shipment", "planned_departure", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["shipment", "kind"], name="leg_unique_kind"),
            models.CheckConstraint(condition=Q(kind__in=LegKind.values), name="leg_kind_known"),
        ]

    def __str__(self) -> str:
        return f"{self.shipment.code} {self.origin} -> {self.destination}"


class SerialNumber(models.Model):
    """A serial number recorded at dispatch; confirmed when a receipt finds it.

    ``received_in`` is the shipment whose receipt found it: normally its own,
    another one when the serial was swapped between shipments.
    """

    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="serials")
    serial = models.CharField(_("serial number"), max_length=64)
    recorded_on = models.DateField()
    confirmed_on = models.DateField(null=True, blank=True)
    received_in = models.ForeignKey(
        Shipment, null=True, blank=True, on_delete=models.SET_NULL, related_name="serials_found"
    )

    class Meta:
        ordering = ["shipment", "serial"]
        constraints = [
            models.UniqueConstraint(fields=["shipment", "serial"], name="serial_unique_in_shipment")
        ]
        indexes = [models.Index(fields=["serial"])]

    def __str__(self) -> str:
        return self.serial


class Discrepancy(models.Model):
    """Something a receipt found wrong: short, damaged, wrong item, or a serial out of place."""

    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="discrepancies")
    kind = models.CharField(max_length=16, choices=DiscrepancyKind.choices)
    quantity = models.FloatField(default=0)
    serial = models.CharField(max_length=64, blank=True)
    other_shipment = models.ForeignKey(
        Shipment, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.TextField(blank=True)
    recorded_on = models.DateField()

    class Meta:
        ordering = ["shipment", "kind", "serial"]
        verbose_name_plural = "discrepancies"
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=DiscrepancyKind.values), name="discrepancy_kind_known"
            ),
            models.CheckConstraint(condition=Q(quantity__gte=0), name="discrepancy_quantity_nonnegative"),
        ]

    def __str__(self) -> str:
        return f"{self.shipment.code} {self.kind} {self.serial or self.quantity}"
