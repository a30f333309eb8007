"""Changes to hubs and routes (audited)."""

from __future__ import annotations

from typing import Any

from nsatu.core.actors import Actor
from nsatu.core.services import create_record, delete_record, update_record
from nsatu.logistics.models import Hub, Route
from nsatu.nations.models import Nation


def create_hub(*, actor: Actor, code: str, name: str, nation: Nation, capacity_t_per_week: float) -> Hub:
    return create_record(
        Hub, actor=actor, code=code, name=name, nation=nation, capacity_t_per_week=capacity_t_per_week
    )


def update_hub(hub: Hub, *, actor: Actor, **changes: Any) -> Hub:
    return update_record(hub, actor=actor, **changes)


def delete_hub(hub: Hub, *, actor: Actor) -> None:
    delete_record(hub, actor=actor)


def create_route(*, actor: Actor, donor: Nation, hub: Hub, lead_time_days: int) -> Route:
    """Open a route from a donor through a hub to the recipient."""
    return create_record(Route, actor=actor, donor=donor, hub=hub, lead_time_days=lead_time_days)


def update_route(route: Route, *, actor: Actor, **changes: Any) -> Route:
    return update_record(route, actor=actor, **changes)


def delete_route(route: Route, *, actor: Actor) -> None:
    delete_record(route, actor=actor)
