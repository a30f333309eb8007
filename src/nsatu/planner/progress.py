"""Progress reports from long planning work, for progress bars and job pages."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class ProgressEvent:
    """Where a planning run stands. Any field may be unknown (None)."""

    phase: str  # "read", "build", "presolve", "solve", "repair", "done", ...
    fraction: float | None = None  # 0..1 of the phase or run, when known
    incumbent: float | None = None  # objective of the best plan found so far
    bound: float | None = None  # best proven upper bound so far
    gap: float | None = None  # (bound - incumbent) / max(1, |bound|)
    message: str = ""


ProgressCallback = Callable[[ProgressEvent], None]


def ignore_progress(event: ProgressEvent) -> None:
    """The default callback: report nothing."""
