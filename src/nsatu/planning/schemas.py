"""API shapes for plan runs and their allocations."""

import datetime as dt
from typing import Annotated, Any, Literal

from ninja import Schema
from pydantic import Field

from nsatu.planning.models import Allocation, PlanRun, releasable_metrics, visible_requirement_codes
from nsatu.planning.records import is_stale

Method = Literal["optimal", "greedy", "country", "robust"]
RunState = Literal["queued", "running", "done", "failed"]
TimeLimit = Annotated[float, Field(gt=0, le=3600, allow_inf_nan=False, description="seconds")]


class PlanRunIn(Schema):
    method: Method = Field(
        "optimal",
        description="optimal (HiGHS), robust (against one donor withdrawing), or a baseline: greedy, country",
    )
    time_limit: TimeLimit = 60.0


class PlanRunOut(Schema):
    """A run: its live progress while it runs, its figures when done."""

    id: int
    method: str
    time_limit: float
    status: str = Field(description="queued, running, done or failed")
    created_by: str
    created_at: dt.datetime
    phase: str
    fraction: float | None = Field(description="0..1 of the work done, when known")
    incumbent: float | None = Field(description="objective of the best plan found so far")
    bound: float | None = Field(description="proven bound on the objective")
    gap: float | None = Field(description="relative gap between incumbent and bound")
    plan_status: str
    message: str
    metrics: dict[str, Any] = Field(
        description=(
            "objective, pwf, on-time share, families... and baselines; figures per requirement "
            "(`fulfilled`) only for the requirements releasable to you"
        )
    )
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    approved_at: dt.datetime | None
    approved_by: str
    stale: bool = Field(
        description="finished, not approved, and its inputs (requirements, offers, commitments...) "
        "changed since it was planned"
    )

    @staticmethod
    def resolve_stale(obj: PlanRun) -> bool:
        return is_stale(obj)

    @staticmethod
    def resolve_metrics(obj: PlanRun, context: Any = None) -> dict[str, Any]:
        request = (context or {}).get("request")
        return releasable_metrics(obj.metrics, visible_requirement_codes(request))


class AllocationOut(Schema):
    """One shipment line: an offer serving a requirement through a hub, arriving a week."""

    id: int
    run: int
    offer: str
    donor: str
    requirement: str
    capability: str
    hub: str
    quantity: float
    arrival_week: int

    @staticmethod
    def resolve_run(obj: Allocation) -> int:
        return obj.run_id

    @staticmethod
    def resolve_offer(obj: Allocation) -> str:
        return obj.offer.code

    @staticmethod
    def resolve_donor(obj: Allocation) -> str:
        return obj.offer.donor.iso3

    @staticmethod
    def resolve_requirement(obj: Allocation) -> str:
        return obj.requirement.code

    @staticmethod
    def resolve_capability(obj: Allocation) -> str:
        return obj.requirement.capability.code

    @staticmethod
    def resolve_hub(obj: Allocation) -> str:
        return obj.hub.code


StudyKindName = Literal["frontier", "worth"]


class FleetStudyIn(Schema):
    kind: StudyKindName = Field(
        description="frontier: the best plan with at most 0, 1, 2, ... new families (each point a plan run); "
        "worth: for each family the plan introduces the loss without it, for each left out the gain with it"
    )
    time_limit: TimeLimit = 60.0
    max_families: Annotated[int, Field(ge=0, le=50)] | None = Field(
        None, description="frontier: the largest K (default: as many as the unconstrained plan introduces)"
    )


class FleetStudyOut(Schema):
    """A study of a run's scenario: its progress while it runs, its result when done."""

    id: int
    kind: str
    run: int
    status: str = Field(description="queued, running, done or failed")
    phase: str
    fraction: float | None
    time_limit: float
    max_families: int | None
    created_by: str
    created_at: dt.datetime
    finished_at: dt.datetime | None
    message: str
    result: dict[str, Any] = Field(
        description="frontier: points (limit, introduced, pwf, on_time_share, objective, bound, gap, run); "
        "worth: base and families (code, name, capability, introduced, pwf_change, objective_change, "
        "units, crews, courses, seats, solved), only the families of offers releasable to you"
    )

    @staticmethod
    def resolve_run(obj: Any) -> int:
        return int(obj.run_id)

    @staticmethod
    def resolve_result(obj: Any, context: Any = None) -> dict[str, Any]:
        from nsatu.planning.study_views import visible_family_codes

        result = dict(obj.result or {})
        request = (context or {}).get("request")
        visible = visible_family_codes(getattr(request, "user", None))
        if visible is not None and "families" in result:
            result["families"] = [f for f in result["families"] if f.get("code") in visible]
        return result
