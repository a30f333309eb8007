"""Users, each tied to a nation and acting in one role."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from nsatu.accounts.permissions import role_has_module_perms, role_has_perm
from nsatu.core.choices import Role


class User(AbstractUser):
    """A person using the platform: command staff or a nation's representative."""

    nation = models.ForeignKey(
        "nations.Nation", null=True, blank=True, on_delete=models.PROTECT, related_name="users"
    )
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.DONOR)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(role__in=Role.values), name="user_role_known"),
            # A nation's representative must belong to a nation.
            models.CheckConstraint(
                condition=~Q(role__in=[Role.DONOR, Role.RECIPIENT]) | Q(nation__isnull=False),
                name="user_nation_for_nation_roles",
            ),
        ]

    def __str__(self) -> str:
        return self.username

    def has_perm(self, perm: str, obj: Any = None) -> bool:
        """Django's stored permissions, plus what the role grants (model-level only, as Django's own)."""
        if super().has_perm(perm, obj):
            return True
        return obj is None and role_has_perm(self, perm)

    def has_module_perms(self, app_label: str) -> bool:
        return super().has_module_perms(app_label) or role_has_module_perms(self, app_label)
