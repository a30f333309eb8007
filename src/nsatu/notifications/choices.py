"""What a person can be told about."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class NotificationKind(models.TextChoices):
    """The events that notify someone; each user chooses which reach the inbox and which the e-mail."""

    SHIPMENT_DISPATCHED = "shipment_dispatched", _("A shipment to you was dispatched")
    SHIPMENT_ARRIVING = "shipment_arriving", _("A shipment to you is arriving")
    SHIPMENT_OVERDUE = "shipment_overdue", _("A shipment is overdue")
    INVENTORY_DUE = "inventory_due", _("An inventory is due")
    TRANSFER_REQUESTED = "transfer_requested", _("A transfer request awaits you")
    TRANSFER_DECIDED = "transfer_decided", _("The donor decided a transfer request")
    PLAN_APPROVED = "plan_approved", _("An approved plan commits your offers")
