"""Field rules every app's records share, as Django validators (the pure rules live in the planner's io)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from nsatu.planner.io.cells import code_problem


def validate_code(value: str) -> None:
    """A record's id or code: no slash, space, control or invisible character (see ``code_problem``)."""
    problem = code_problem(value)
    if problem is not None:
        raise ValidationError(
            _("%(code)r cannot be a code: %(problem)s") % {"code": value, "problem": problem},
            code="invalid_code",
        )
