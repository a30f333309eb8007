"""API shapes for hubs and routes."""

from typing import Annotated

from ninja import Schema
from pydantic import Field, StringConstraints

from nsatu.core.schemas import CODE_HOLDS, CODE_PATTERN, Iso3, Name, NonNegative, Version
from nsatu.logistics.models import Hub, Route

HubCode = Annotated[str, StringConstraints(min_length=1, max_length=20, pattern=CODE_PATTERN), CODE_HOLDS]
LeadTime = Annotated[int, Field(ge=0, le=3650, description="door-to-door days")]


class HubIn(Schema):
    code: HubCode
    name: Name
    nation: Iso3
    capacity_t_per_week: NonNegative


class HubPatch(Schema):
    version: Version
    name: Name | None = None
    nation: Iso3 | None = None
    capacity_t_per_week: NonNegative | None = None


class HubOut(Schema):
    code: str
    name: str
    nation: str
    capacity_t_per_week: float
    version: int

    @staticmethod
    def resolve_nation(obj: Hub) -> str:
        return obj.nation.iso3


class RouteIn(Schema):
    donor: Iso3
    hub: HubCode
    lead_time_days: LeadTime


class RoutePatch(Schema):
    version: Version
    lead_time_days: LeadTime | None = None


class RouteOut(Schema):
    id: int
    donor: str
    hub: str
    lead_time_days: int
    version: int

    @staticmethod
    def resolve_donor(obj: Route) -> str:
        return obj.donor.iso3

    @staticmethod
    def resolve_hub(obj: Route) -> str:
        return obj.hub.code
