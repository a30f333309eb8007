"""What a role may do in the back office (/admin/), on top of Django's stored permissions.

Coordinators run the command's reference data, so they may view, add, change
and delete the platform's own models there; the admin classes narrow it further
(the ledger, shipments and stress runs are read-only, users are deactivated,
never deleted) and every save goes through the audited services. A role is
data on the user, so a role change takes effect at once, with no group to keep
in step. Superusers keep every right; the other roles get none here.
"""

from __future__ import annotations

from typing import Any

from nsatu.core.choices import Role

# The platform's apps (labels) a coordinator manages in the back office.
COORDINATOR_APPS = frozenset(
    {
        "core",
        "accounts",
        "nations",
        "catalog",
        "needs",
        "offers",
        "logistics",
        "training",
        "planning",
        "shipments",
        "tokens",
        "stress",
        "monitoring",
        "notifications",
    }
)
ACTIONS = frozenset({"view", "add", "change", "delete"})
# Permissions a coordinator does not get even in those apps.
WITHHELD = frozenset({"accounts.delete_user"})


def _is_coordinator(user: Any) -> bool:
    return bool(getattr(user, "is_active", False)) and getattr(user, "role", None) == Role.COORDINATOR


def role_has_perm(user: Any, perm: str) -> bool:
    """True when ``user``'s role grants ``perm`` (``app_label.action_model``)."""
    if not _is_coordinator(user) or perm in WITHHELD:
        return False
    app_label, _, codename = perm.partition(".")
    action = codename.partition("_")[0]
    return app_label in COORDINATOR_APPS and action in ACTIONS


def role_has_module_perms(user: Any, app_label: str) -> bool:
    """True when ``user``'s role grants something in ``app_label`` (the admin shows the app)."""
    return _is_coordinator(user) and app_label in COORDINATOR_APPS
