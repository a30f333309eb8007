"""The time a method may take, in one place.

`TimeBudget` starts when planning starts, knows the deadline (the time limit,
less what is kept for writing the answer), and hands phases their share of
what is left, so no phase decides its time from a literal of its own.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

# Kept back from the time limit for what follows the search: checking the plan,
# computing its metrics, writing it (a share of the limit, at least FINISH_MIN seconds).
FINISH_SHARE = 0.03
FINISH_MIN = 0.05
# Below this a solver call is not worth starting.
SMALLEST_CALL = 0.02


@dataclass
class TimeBudget:
    """Seconds left before the deadline, and each phase's share of them."""

    limit: float
    started: float = field(default_factory=time.perf_counter)
    # seconds kept back for the steps after the search, when a method knows they take longer
    # than the default share (turning solutions into a plan at scale)
    kept: float = 0.0

    @property
    def deadline(self) -> float:
        """When the search must have stopped (the finish time kept back)."""
        return self.started + self.limit - max(FINISH_SHARE * self.limit, FINISH_MIN, self.kept)

    def keep(self, seconds: float) -> None:
        """Keep ``seconds`` back at the end (never more than half the limit)."""
        self.kept = min(max(self.kept, seconds), 0.5 * self.limit)

    def elapsed(self) -> float:
        return time.perf_counter() - self.started

    def left(self) -> float:
        """Seconds before the deadline (never negative)."""
        return max(self.deadline - time.perf_counter(), 0.0)

    def share(self, fraction: float, *, at_least: float = SMALLEST_CALL) -> float:
        """``fraction`` of the time left, never less than ``at_least`` nor more than what is left."""
        left = self.left()
        return min(max(fraction * left, at_least), left)

    def until(self, fraction_of_limit: float) -> float:
        """Seconds left until ``fraction_of_limit`` of the whole limit has passed (a phase's end)."""
        end = self.started + fraction_of_limit * self.limit
        return max(min(end, self.deadline) - time.perf_counter(), 0.0)

    def exhausted(self) -> bool:
        return self.left() < SMALLEST_CALL
