"""The plan: allocation lines and training seats, with its figures (files: `nsatu.planner.io.plans`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from nsatu.planner.scenario import FloatArray, IntArray

PlanStatus = Literal["optimal", "feasible", "time_limit", "infeasible", "empty", "error"]
Method = Literal["optimal", "greedy", "country", "robust"]


@dataclass
class Plan:
    """A plan for one scenario. Allocation arrays are parallel, one entry per
    shipment line, holding positions into the scenario's tables."""

    method: str
    status: PlanStatus
    alloc_offer: IntArray = field(default_factory=lambda: np.zeros(0, np.int64))
    alloc_requirement: IntArray = field(default_factory=lambda: np.zeros(0, np.int64))
    alloc_hub: IntArray = field(default_factory=lambda: np.zeros(0, np.int64))
    alloc_quantity: FloatArray = field(default_factory=lambda: np.zeros(0))
    alloc_week: IntArray = field(default_factory=lambda: np.zeros(0, np.int64))
    # seats used per course (len S); None = training.csv absent = every seat used
    seats_used: FloatArray | None = None
    message: str = ""
    bound: float | None = None  # a proven upper bound of the FORMAT.md objective
    solve_seconds: float = 0.0
    build_seconds: float = 0.0
    metrics: dict[str, object] = field(default_factory=dict)

    @property
    def n_lines(self) -> int:
        return int(self.alloc_offer.shape[0])
