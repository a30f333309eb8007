"""Notifications: one per person and event, shown in the inbox and sent by e-mail as each person chose."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from nsatu.notifications.choices import NotificationKind


class Notification(models.Model):
    """Something a person is told: what happened (kind and details), where to look, whether read.

    ``key`` names the occasion (a shipment, a due date), so one occasion tells
    each person once. The text is made when shown, in the reader's language,
    from ``kind`` and ``params``.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(_("kind"), max_length=32, choices=NotificationKind.choices)
    key = models.CharField(max_length=120)
    params = models.JSONField(default=dict)
    link = models.CharField(max_length=300, blank=True)
    in_inbox = models.BooleanField(default=True)
    wants_email = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["user", "kind", "key"], name="notification_once_per_occasion"),
            models.CheckConstraint(
                condition=Q(kind__in=NotificationKind.values), name="notification_kind_known"
            ),
        ]
        indexes = [models.Index(fields=["user", "read_at"])]

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind} {self.key}"


class NotificationPreference(models.Model):
    """One person's choice for one kind of event: in the inbox, by e-mail (both by default)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preferences"
    )
    kind = models.CharField(max_length=32, choices=NotificationKind.choices)
    inbox = models.BooleanField(_("in the inbox"), default=True)
    email = models.BooleanField(_("by e-mail"), default=True)

    class Meta:
        ordering = ["user", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="preference_once_per_kind"),
            models.CheckConstraint(
                condition=Q(kind__in=NotificationKind.values), name="preference_kind_known"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind}"
