"""API tokens: only a SHA-256 hash of each token is stored, plus a short prefix to name it."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class ApiToken(models.Model):
    """A bearer token a machine client uses to act as one user.

    The plaintext is shown once, when the token is created; the database keeps
    its SHA-256 hash, so a copy of the database does not give anyone a token.
    ``prefix`` is the public part of the token that names it in lists and in
    ``nsatu token revoke``.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("prefix"), max_length=16, unique=True)
    token_hash = models.CharField(_("SHA-256 of the token"), max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.CharField(max_length=150)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    revoked_by = models.CharField(max_length=150, blank=True)

    class Meta:
        ordering = ["-created_at", "prefix"]
        verbose_name = _("API token")
        constraints = [
            models.CheckConstraint(condition=Q(token_hash__regex=r"^[0-9a-f]{64}$"), name="apitoken_sha256"),
            models.CheckConstraint(condition=~Q(name=""), name="apitoken_name_given"),
        ]

    def __str__(self) -> str:
        return f"{self.display_prefix} {self.name} ({self.user_id})"

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    @property
    def display_prefix(self) -> str:
        """How the token starts, for people to recognise it (`nsatu_1a2b3c4d…`)."""
        return f"nsatu_{self.prefix}…"
