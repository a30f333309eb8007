"""Vocabularies shared by every app."""

from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    """What a user does in the command; decides what they may see and change."""

    COORDINATOR = "coordinator", _("Coordinator")
    DONOR = "donor", _("Donor representative")
    RECIPIENT = "recipient", _("Recipient representative")
    LEADERSHIP = "leadership", _("Leadership")
    AUDITOR = "auditor", _("Auditor")


# Command roles see every record; nation roles see what is releasable to their nation.
COMMAND_ROLES = frozenset({Role.COORDINATOR, Role.LEADERSHIP, Role.AUDITOR})


class Releasability(models.TextChoices):
    """Who besides the owner nation and the command may see a record."""

    PUBLIC = "public", _("Public (all participants)")
    COALITION = "coalition", _("Coalition (members of a coalition for the capability)")
    NATIONS = "nations", _("Listed nations")
    COMMAND_ONLY = "command-only", _("Command only")


# The marking as a table cell shows it: short, in the reader's language (exports keep the code).
RELEASABILITY_SHORT: dict[str, Promise] = {
    Releasability.PUBLIC: _("public"),
    Releasability.COALITION: _("coalition"),
    Releasability.NATIONS: _("listed nations"),
    Releasability.COMMAND_ONLY: _("command only"),
}
