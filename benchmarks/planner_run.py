"""One planning run of the benchmark, in a process of its own (so its peak memory is its own).

``python -m benchmarks.planner_run SCALE PROFILE SEED LIMIT`` prints one JSON line:
objective, bound, gap, status, wall seconds (model build and the plan's metrics
included), peak resident memory in MB, and whether the independent checker accepts
the plan. ``--exact`` instead solves the direct model (every arrival week, no
reduction) to optimality and prints its objective and bound.
"""

from __future__ import annotations

import json
import resource
import sys
import time

from nsatu.planner import model, synth
from nsatu.planner.check import check_plan
from nsatu.planner.methods import run_method
from nsatu.planner.solve import solve


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def plan_once(scale: str, profile: str, seed: int, limit: float) -> dict[str, object]:
    s = synth.generate(scale, seed, profile)
    started = time.perf_counter()
    plan = run_method(s, "optimal", time_limit=limit)
    wall = time.perf_counter() - started
    m = plan.metrics
    return {
        "objective": m["objective"],
        "bound": m.get("bound"),
        "gap": m.get("gap"),
        "status": plan.status,
        "wall": wall,
        "peak_mb": _peak_mb(),
        "valid": not check_plan(s, plan),
        "bound_error": m.get("bound_error"),
        "message": plan.message.splitlines()[0][:300],
    }


def exact_once(scale: str, profile: str, seed: int, limit: float) -> dict[str, object]:
    s = synth.generate(scale, seed, profile)
    lp = model.build_direct(s)
    started = time.perf_counter()
    sol = solve(*lp.arrays(), time_limit=limit, gap=1e-9)
    return {
        "objective": sol.objective,
        "bound": sol.bound,
        "status": sol.status,
        "columns": lp.n_cols,
        "wall": time.perf_counter() - started,
    }


def main(argv: list[str]) -> None:
    exact = "--exact" in argv
    scale, profile, seed, limit = [a for a in argv if a != "--exact"]
    run = exact_once if exact else plan_once
    print(json.dumps(run(scale, profile, int(seed), float(limit))), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
