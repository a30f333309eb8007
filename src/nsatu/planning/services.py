"""Changes to the planning settings (audited)."""

from __future__ import annotations

from typing import Any

from nsatu.core.actors import Actor
from nsatu.core.services import create_record, update_record
from nsatu.planning.models import PlanningSettings


def current_settings() -> PlanningSettings | None:
    return PlanningSettings.objects.filter(singleton=1).first()


def set_planning_settings(*, actor: Actor, **values: Any) -> PlanningSettings:
    """Create or update the one row of scenario-wide parameters."""
    existing = current_settings()
    if existing is None:
        return create_record(PlanningSettings, actor=actor, **values)
    changed = {k: v for k, v in values.items() if getattr(existing, k) != v}
    return update_record(existing, actor=actor, **changed) if changed else existing
