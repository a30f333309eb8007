"""API shapes for committed aid: the commitments, taking aid back (preview and action), backfill."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from ninja import Schema
from pydantic import Field, StringConstraints

from nsatu.commitments.fulfilment import BackfillReport
from nsatu.commitments.models import Decommitment
from nsatu.commitments.services import DecommitmentPlan, visible_commitments
from nsatu.core.schemas import NO_NUL, Quantity
from nsatu.planning.models import Allocation, uncommitted
from nsatu.planning.schemas import Method, TimeLimit

Kind = Literal["suspend", "withdraw"]
Reason = Annotated[str, StringConstraints(min_length=1, max_length=2000, pattern=NO_NUL)]


class CommitmentOut(Schema):
    """An approved allocation line and what it still commits: the aid as it stands."""

    line: int = Field(description="the allocation line's id")
    run: int
    offer: str
    donor: str
    requirement: str
    capability: str
    hub: str
    item_type: str
    unit: str
    whole: bool = Field(
        description="counted in whole units (each, rounds, any unit the catalog marks countable)"
    )
    arrival_week: int
    approved: float = Field(description="the quantity the approved line committed")
    committed: float = Field(description="what it still commits: approved less suspended and withdrawn")
    suspended: float = Field(description="held by a suspension (neither committed nor on offer)")
    withdrawn: float
    shipped: float = Field(description="in shipments that left the donor")
    received: float = Field(description="confirmed by the recipient's receipts")

    @staticmethod
    def resolve_line(obj: Allocation) -> int:
        return obj.pk

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

    @staticmethod
    def resolve_item_type(obj: Allocation) -> str:
        return obj.offer.item_type.code

    @staticmethod
    def resolve_unit(obj: Allocation) -> str:
        return obj.offer.item_type.unit

    @staticmethod
    def resolve_whole(obj: Allocation) -> bool:
        return obj.offer.item_type.is_whole

    @staticmethod
    def resolve_approved(obj: Allocation) -> float:
        return obj.quantity

    @staticmethod
    def resolve_committed(obj: Allocation) -> float:
        return uncommitted(obj.quantity, float(getattr(obj, "taken_back", 0.0)))


class TakeBackIn(Schema):
    """Suspend or withdraw committed aid of one offer."""

    quantity: Quantity | None = Field(
        None, description="how much; empty = all that can be taken back effective that day"
    )
    reason: Reason = Field(description="why: recorded in the ledger and on every shipment it cancels")
    effective_on: dt.date = Field(
        description="from this day; within the plan's horizon, not before the approval"
    )


class PreviewIn(TakeBackIn):
    kind: Kind


class DonorExitIn(Schema):
    """A political shift: the donor leaves entirely."""

    reason: Reason
    effective_on: dt.date


class LineCutOut(Schema):
    line: int
    run: int
    offer: str
    requirement: str
    quantity: float


class ShipmentCutOut(Schema):
    shipment: str
    quantity: float = Field(description="cancelled of it")
    whole: bool = Field(description="the whole shipment (else the quantity is split off and cancelled)")


class RequirementMoveOut(Schema):
    requirement: str
    committed_before: float
    committed_after: float
    status_before: str
    status_after: str


class OfferMoveOut(Schema):
    offer: str
    committed_before: float
    committed_after: float
    status_before: str
    status_after: str
    rest_withdrawn: float = Field(description="uncommitted rest taken off the table (political shift)")


class PreviewOut(Schema):
    """What the action would do; nothing is written."""

    kind: str
    scope: str = Field(description="offer, or donor (political shift)")
    donor: str
    offer: str | None
    effective_on: dt.date
    quantity: float = Field(description="committed aid taken back")
    available: float = Field(description="what could be taken back effective that day")
    lines: list[LineCutOut]
    cancelled: list[ShipmentCutOut] = Field(description="planned shipments cancelled")
    flagged: list[str] = Field(description="shipments on their way: they stay committed and are flagged")
    kept: list[str] = Field(description="planned shipments leaving before the effective date: still sent")
    requirements: list[RequirementMoveOut]
    offers: list[OfferMoveOut]

    @staticmethod
    def of(plan: DecommitmentPlan) -> dict[str, Any]:
        return {**plan.summary(), "available": plan.available}


class DecommitmentLineOut(Schema):
    line: int
    run: int
    offer: str
    requirement: str
    quantity: float


class DecommitmentOut(Schema):
    """A suspension or withdrawal of committed aid."""

    id: int
    code: str
    donor: str
    offer: str | None
    scope: str = Field(description="offer, or donor (political shift)")
    kind: str = Field(description="suspend or withdraw")
    state: str = Field(description="suspended (held), resumed (back on offer) or withdrawn")
    quantity: float
    reason: str
    effective_on: dt.date
    created_by: str
    created_at: dt.datetime
    ended_on: dt.date | None
    ended_by: str
    backfill_run: int | None
    lines: list[DecommitmentLineOut]

    @staticmethod
    def resolve_donor(obj: Decommitment) -> str:
        return obj.donor.iso3

    @staticmethod
    def resolve_offer(obj: Decommitment) -> str | None:
        return obj.offer.code if obj.offer_id else None  # type: ignore[union-attr]

    @staticmethod
    def resolve_backfill_run(obj: Decommitment) -> int | None:
        return obj.backfill_run_id

    @staticmethod
    def resolve_lines(obj: Decommitment, context: Any = None) -> list[dict[str, Any]]:
        """The lines it took aid from that the reader may see (offer and requirement both)."""
        user = getattr((context or {}).get("request"), "user", None)
        cuts = obj.lines.filter(allocation__in=visible_commitments(user))
        return [
            {
                "line": cut.allocation_id,
                "run": cut.allocation.run_id,
                "offer": cut.allocation.offer.code,
                "requirement": cut.allocation.requirement.code,
                "quantity": cut.quantity,
            }
            for cut in cuts.select_related("allocation__offer", "allocation__requirement").order_by("pk")
        ]


class BackfillIn(Schema):
    method: Method = "optimal"
    time_limit: TimeLimit = 60.0


class CapabilityFiguresOut(Schema):
    capability: str
    before: float = Field(description="pwf of its requirements with the aid still committed")
    after: float = Field(description="pwf after the aid was taken back")
    backfilled: float | None = Field(description="pwf with the backfill run's lines; null until it is done")


class RequirementAtRiskOut(Schema):
    requirement: str
    title: str
    capability: str
    priority: int
    quantity: float
    before: float = Field(description="committed to it before")
    after: float = Field(description="committed to it after the aid was taken back")
    backfilled: float | None = Field(description="committed with the backfill run's lines")
    covered: bool | None = Field(description="the backfill gives back at least what was taken")


class BackfillOut(Schema):
    """Before and after: pwf per capability and in total, the requirements put at risk."""

    decommitment: int
    run: int | None = Field(description="the backfill plan run")
    run_status: str | None
    ready_to_approve: bool
    pwf_before: float
    pwf_after: float
    pwf_backfilled: float | None
    capabilities: list[CapabilityFiguresOut]
    requirements: list[RequirementAtRiskOut]

    @staticmethod
    def of(report: BackfillReport) -> dict[str, Any]:
        return {
            "decommitment": report.decommitment.pk,
            "run": report.run.pk if report.run else None,
            "run_status": report.run.status if report.run else None,
            "ready_to_approve": report.ready,
            "pwf_before": report.total[0],
            "pwf_after": report.total[1],
            "pwf_backfilled": report.total[2],
            "capabilities": [
                {"capability": c, "before": b, "after": a, "backfilled": f}
                for c, b, a, f in report.capabilities
            ],
            "requirements": [
                {
                    "requirement": r.code,
                    "title": r.title,
                    "capability": r.capability,
                    "priority": r.priority,
                    "quantity": r.quantity,
                    "before": r.before,
                    "after": r.after,
                    "backfilled": r.backfilled,
                    "covered": r.covered,
                }
                for r in report.requirements
            ],
        }
