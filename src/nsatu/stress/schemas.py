"""API shapes for stress runs: start one, poll it, read its cases and its report."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from ninja import Schema
from pydantic import Field

from nsatu.stress.models import StressCase, StressKind, StressRun
from nsatu.stress.services import MAX_SAMPLES

Kind = Literal["withdrawal", "delays"]
RunState = Literal["queued", "running", "done", "failed"]
Method = Literal["optimal", "greedy"]
TimeLimit = Annotated[float, Field(gt=0, le=600, allow_inf_nan=False, description="seconds per plan")]
Samples = Annotated[int, Field(ge=0, le=MAX_SAMPLES)]
Seed = Annotated[int, Field(ge=0, le=2**31 - 1)]
MeanDelay = Annotated[float, Field(ge=0, le=3650, allow_inf_nan=False, description="days")]


class StressRunIn(Schema):
    """A stress test of the plan over the current data."""

    kind: Kind = Field(description="withdrawal: re-plan without each donor in turn; delays: random slips")
    method: Method = "optimal"
    time_limit: TimeLimit = 10.0
    samples: Samples = Field(0, description="delay samples, 1.. for `delays`")
    seed: Seed = 1
    mean_delay_days: MeanDelay = Field(14.0, description="mean extra days per route, for `delays`")


class BaseFiguresOut(Schema):
    """The base plan the cases are compared with."""

    method: str
    pwf: float = Field(description="priority-weighted fulfilment")
    on_time_share: float
    objective: float
    fulfilment: dict[str, float] = Field(description="requirement -> allocated share (0..1)")
    covered: list[str] = Field(description="capabilities that receive anything")
    capability_pwf: dict[str, float]
    fixed_losses: dict[str, float] = Field(
        description="donor -> pwf lost if its aid (committed and planned) vanishes unreplaced"
    )
    committed_pwf: float = Field(
        0.0, description="of pwf, what approved plans commit (withdrawal runs count committed aid too)"
    )


class StressRunOut(Schema):
    """A stress run: its progress while it runs, the base plan's figures once planned."""

    id: int
    kind: str
    method: str
    time_limit: float
    samples: int
    seed: int
    mean_delay_days: float
    status: str = Field(description="queued, running, done or failed")
    created_by: str
    created_at: dt.datetime
    cases_total: int
    cases_done: int
    fraction: float = Field(description="share of the cases finished")
    message: str
    finished_at: dt.datetime | None
    base: BaseFiguresOut | None = Field(description="null until the base plan is made")

    @staticmethod
    def resolve_base(obj: StressRun) -> dict[str, Any] | None:
        return dict(obj.base) if obj.base else None


class DonorImpactOut(Schema):
    """What one donor's withdrawal costs: its committed aid and its offers gone, with and without
    the backfill (a re-plan from the remaining offers, every other commitment fixed)."""

    donor: str
    offers: int = Field(description="offers withdrawn with it")
    committed_lines: int = Field(0, description="approved lines it takes committed aid back from")
    committed_loss: float = Field(0.0, description="pwf of the committed aid it takes back")
    pwf: float = Field(description="pwf with the backfill")
    pwf_loss: float = Field(description="loss with backfill: base pwf less pwf with the backfill")
    fixed_loss: float = Field(description="loss without backfill: its aid gone, nothing re-planned")
    below_half: list[str] = Field(description="requirements under 50 % now, at or above it before")
    uncovered: list[str] = Field(description="capabilities that now receive nothing")
    capability_loss: dict[str, float]
    status: str
    seconds: float


class DelaySampleOut(Schema):
    """One random draw of route delays applied to the plan."""

    index: int
    pwf: float
    on_time_share: float
    lines_late: int
    lines_lost: int = Field(description="lines pushed past the horizon")
    mean_extra_days: float


class StressCaseOut(Schema):
    """One case: a donor withdrawn, or one delay sample; its result once done."""

    key: str = Field(description="the donor's ISO3 code, or the sample's index")
    status: str
    message: str
    withdrawal: DonorImpactOut | None = Field(description="for a done withdrawal case")
    delay: DelaySampleOut | None = Field(description="for a done delay case")

    @staticmethod
    def resolve_withdrawal(obj: StressCase) -> dict[str, Any] | None:
        return dict(obj.result) if obj.result and obj.run.kind == StressKind.WITHDRAWAL else None

    @staticmethod
    def resolve_delay(obj: StressCase) -> dict[str, Any] | None:
        return dict(obj.result) if obj.result and obj.run.kind == StressKind.DELAYS else None


class QuantilesOut(Schema):
    min: float
    p10: float
    median: float
    p90: float
    max: float


class StressReportOut(Schema):
    """The report of the cases done so far, as the run's page shows it."""

    run: int
    kind: str
    status: str
    cases_total: int
    cases_done: int
    cases_failed: list[str] = Field(description="keys of the cases that failed")
    base: BaseFiguresOut | None
    impacts: list[DonorImpactOut] = Field(description="withdrawal: every donor, worst pwf loss first")
    worst_fixed_loss: float | None = Field(description="withdrawal: the largest loss without backfill")
    pwf: QuantilesOut | None = Field(description="delays: the distribution of pwf over the samples")
    on_time_share: QuantilesOut | None = Field(description="delays: the distribution of the on-time share")
