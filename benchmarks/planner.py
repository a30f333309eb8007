"""Planner benchmark: the optimiser beside the baselines, PuLP+CBC and plain HiGHS.

Per scale: our `optimal` (decomposition by capability, then hub scheduling),
the `greedy` and `country` baselines, plain HiGHS on our whole model (no
decomposition: what a good analyst with our formulation would run), PuLP+CBC on
the same whole model written the usual way, and plain HiGHS on the un-reduced
direct model where it can be built. The build ratio compares building the same
whole model vectorised (ours) and with one PuLP object per column and row.

Run from the repository root: ``.venv/bin/python -m benchmarks.planner``
(options ``--scales small,medium,udcg`` and ``--time-limit S``). Writes the
table to ``benchmarks/results/planner.md`` and prints it.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import platform
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from nsatu.planner import model, synth
from nsatu.planner.check import check_plan
from nsatu.planner.methods import run_method
from nsatu.planner.metrics import compute_metrics, objective_of
from nsatu.planner.optimal import plan_of_columns, plan_optimal
from nsatu.planner.plan import Plan
from nsatu.planner.scenario import Scenario
from nsatu.planner.solve import solve

RESULTS = Path(__file__).parent / "results" / "planner.md"
DEFAULT_LIMITS = {"small": 10.0, "medium": 10.0, "udcg": 60.0, "xl": 120.0}
DIRECT_MAX_COLUMNS = 3_000_000
PULP_MAX_COLUMNS = 600_000


@dataclasses.dataclass
class Row:
    scale: str
    method: str
    objective: float | None = None
    bound: float | None = None
    pwf: float | None = None
    on_time: float | None = None
    new_families: int | None = None
    build_s: float | None = None
    solve_s: float | None = None
    valid: str = ""
    note: str = ""

    @property
    def gap(self) -> float | None:
        if self.objective is None or self.bound is None:
            return None
        return (self.bound - self.objective) / max(1.0, abs(self.bound))


def _fmt(v: float | None, spec: str = ".1f") -> str:
    return "-" if v is None else format(v, spec)


def plan_row(s: Scenario, scale: str, method: str, plan: Plan, note: str = "") -> Row:
    m = compute_metrics(s, plan)
    bad = check_plan(s, plan)
    return Row(
        scale=scale,
        method=method,
        objective=float(m["objective"]),  # type: ignore[arg-type]
        bound=plan.bound,
        pwf=float(m["pwf"]),  # type: ignore[arg-type]
        on_time=float(m["on_time_share"]),  # type: ignore[arg-type]
        new_families=len(m["new_families"]),  # type: ignore[arg-type]
        build_s=plan.build_seconds,
        solve_s=plan.solve_seconds,
        valid="yes" if not bad else f"NO ({len(bad)})",
        note=note,
    )


def pulp_problem(lp: model.LinearProgram) -> tuple[Any, list[Any]]:
    """Our model written the usual way: one LpVariable per column, rows one by one."""
    import pulp

    prob = pulp.LpProblem("nsatu", pulp.LpMaximize)
    variables = []
    for j in range(lp.n_cols):
        up = lp.col_upper[j]
        variables.append(
            pulp.LpVariable(
                f"x{j}",
                lowBound=float(lp.col_lower[j]),
                upBound=None if not np.isfinite(up) else float(up),
                cat=pulp.LpInteger if lp.col_integer[j] else pulp.LpContinuous,
            )
        )
    prob += pulp.lpSum(float(c) * variables[j] for j, c in enumerate(lp.col_cost) if c != 0)
    csr = lp.matrix
    for i in range(lp.n_rows):
        lo, hi = lp.row_lower[i], lp.row_upper[i]
        start, end = csr.indptr[i], csr.indptr[i + 1]
        expr = pulp.lpSum(float(csr.data[k]) * variables[csr.indices[k]] for k in range(start, end))
        if lo == hi:
            prob += expr == float(hi), f"r{i}"
        else:
            if np.isfinite(hi):
                prob += expr <= float(hi), f"u{i}"
            if np.isfinite(lo):
                prob += expr >= float(lo), f"l{i}"
    return prob, variables


def fastest(run: Callable[[], float], *, budget: float, at_least: int) -> float:
    """The shortest of repeated timings (timeit's estimator of the cost itself, free of the
    machine's noise): ``run`` returns one timing; repeat while within ``budget`` seconds."""
    seconds: list[float] = []
    while len(seconds) < at_least or sum(seconds) < budget:
        seconds.append(run())
    return min(seconds)


def build_seconds(s: Scenario) -> float:
    return float(model.build(s).build_seconds)


def pulp_same_model(s: Scenario, scale: str, time_limit: float) -> tuple[Row, float]:
    """The PuLP formulation of our model, built (the fastest of repeated builds) and solved by CBC."""
    import pulp

    started = time.perf_counter()
    lp = model.build(s)  # the same reductions and index arrays; only the model objects differ
    prep = time.perf_counter() - started
    if lp.n_cols > PULP_MAX_COLUMNS:
        return Row(scale, "PuLP + CBC (same model)", note=f"not built: {lp.n_cols} columns"), prep
    built: list[tuple[Any, list[Any]]] = []

    def timed_build() -> float:
        started = time.perf_counter()
        built[:] = [pulp_problem(lp)]
        return time.perf_counter() - started

    build = prep + fastest(timed_build, budget=3.0, at_least=1)
    prob, variables = built[0]
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        solver = pulp.PULP_CBC_CMD(timeLimit=time_limit, msg=False, keepFiles=False)
        solver.tmpDir = tmp
        prob.solve(solver)
    seconds = time.perf_counter() - started
    x = np.array([v.varValue or 0.0 for v in variables])
    if not np.any(x):
        return Row(
            scale, "PuLP + CBC (same model)", build_s=build, solve_s=seconds, note="no solution"
        ), build
    plan = plan_of_columns(s, lp, x)
    plan.build_seconds, plan.solve_seconds = build, seconds
    row = plan_row(s, scale, "PuLP + CBC (same model)", plan, note=pulp.LpStatus[prob.status])
    return row, build


def whole_model_highs(s: Scenario, scale: str, time_limit: float) -> Row:
    """Plain HiGHS branch and bound on our whole model (hubs and all capabilities at once)."""
    lp = model.build(s)
    sol = solve(
        *lp.arrays(),
        time_limit=time_limit,
        gap=1e-3,
    )
    note = f"{lp.n_cols:,} cols; {sol.message}"
    if sol.x is None:
        return Row(
            scale,
            "plain HiGHS (whole model)",
            bound=sol.bound,
            build_s=lp.build_seconds,
            solve_s=sol.seconds,
            note=note + "; no solution",
        )
    plan = plan_of_columns(s, lp, sol.x)
    plan.bound, plan.build_seconds, plan.solve_seconds = sol.bound, lp.build_seconds, sol.seconds
    return plan_row(s, scale, "plain HiGHS (whole model)", plan, note=note)


def plain_highs(s: Scenario, scale: str, time_limit: float) -> Row:
    """HiGHS on the un-reduced model (offer x requirement x hub x week columns)."""
    n = model.direct_column_count(s)
    if n > DIRECT_MAX_COLUMNS:
        return Row(scale, "plain HiGHS (un-reduced)", note=f"not built: {n:,} columns")
    lp = model.build_direct(s)
    sol = solve(
        *lp.arrays(),
        time_limit=time_limit,
        gap=1e-3,
    )
    return Row(
        scale,
        "plain HiGHS (un-reduced)",
        objective=sol.objective,
        bound=sol.bound,
        build_s=lp.build_seconds,
        solve_s=sol.seconds,
        note=f"{lp.n_cols:,} cols; {sol.message}",
    )


def replan(s: Scenario, scale: str, previous: Plan, limit: float) -> Row:
    """Change one offer (halve the most-allocated one) and re-plan warm-started, with `limit` seconds."""
    used = np.bincount(previous.alloc_offer, weights=previous.alloc_quantity, minlength=len(s.offers.ids))
    changed = int(np.argmax(used))
    s2 = dataclasses.replace(s, offers=dataclasses.replace(s.offers, quantity=s.offers.quantity.copy()))
    s2.offers.quantity[changed] = np.floor(s2.offers.quantity[changed] / 2)
    started = time.perf_counter()
    plan = plan_optimal(s2, time_limit=limit, warm_start=previous)
    wall = time.perf_counter() - started
    row = plan_row(s2, scale, f"re-plan, offer {s.offers.ids[changed]} halved (warm)", plan)
    row.note = f"wall {wall:.1f} s"
    return row


def run(scales: list[str], time_limit: float | None) -> str:
    rows: list[Row] = []
    ratios: list[str] = []
    for scale in scales:
        limit = time_limit or DEFAULT_LIMITS.get(scale, 60.0)
        s = synth.generate(scale, 1)
        size = f"{len(s.requirements.ids)} requirements, {len(s.offers.ids)} offers, {s.horizon_weeks} weeks"
        print(f"[{scale}] {size}; time limit {limit:g} s", flush=True)
        plans: dict[str, Plan] = {}
        for method in ("optimal", "greedy", "country"):
            plan = run_method(s, method, time_limit=limit)
            plans[method] = plan
            rows.append(plan_row(s, scale, method, plan))
            print(f"  {method}: {rows[-1].objective}", flush=True)
        opt, greedy, country = (objective_of(s, plans[m]) for m in ("optimal", "greedy", "country"))
        fam = {m: len(compute_metrics(s, p)["new_families"]) for m, p in plans.items()}  # type: ignore[arg-type]
        # the whole model, vectorised: the fastest of repeated builds, as for PuLP's
        ours = fastest(partial(build_seconds, s), budget=1.0, at_least=5)
        rows.append(whole_model_highs(s, scale, limit))
        print(f"  whole model, plain HiGHS: {rows[-1].objective}", flush=True)
        pulp_row, pulp_build = pulp_same_model(s, scale, limit)
        rows.append(pulp_row)
        print(f"  pulp: {pulp_row.objective} build {pulp_row.build_s}", flush=True)
        rows.append(plain_highs(s, scale, limit))
        print(f"  plain highs: {rows[-1].objective}", flush=True)
        line = (
            f"| {scale} | {size} | {opt / country if country > 0 else float('inf'):.2f} "
            f"| {opt / greedy if greedy > 0 else float('inf'):.2f} | {fam['optimal']} vs {fam['country']} "
            f"| {pulp_build / ours if ours > 0 and pulp_row.build_s else float('nan'):.0f}x "
            f"| {opt / pulp_row.objective if pulp_row.objective else float('nan'):.3f} |"
        )
        ratios.append(line)
        if scale in ("udcg", "xl") or len(scales) == 1:
            rows.append(replan(s, scale, plans["optimal"], 5.0))
    header = (
        "| scale | method | objective | bound | gap | pwf | on-time | new families "
        "| build s | solve s | valid | note |\n"
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|\n"
    )
    body = "".join(
        f"| {r.scale} | {r.method} | {_fmt(r.objective, '.2f')} | {_fmt(r.bound, '.2f')} "
        f"| {_fmt(None if r.gap is None else 100 * r.gap, '.2f')}{'' if r.gap is None else '%'} "
        f"| {_fmt(r.pwf, '.3f')} | {_fmt(r.on_time, '.3f')} "
        f"| {'-' if r.new_families is None else r.new_families} | {_fmt(r.build_s, '.3f')} "
        f"| {_fmt(r.solve_s, '.1f')} | {r.valid} | {r.note} |\n"
        for r in rows
    )
    ratio_table = (
        "| scale | size | optimal / country | optimal / greedy | new families optimal vs country "
        "| PuLP build / ours | optimal / PuLP+CBC objective |\n|---|---|---:|---:|---|---:|---:|\n"
        + "\n".join(ratios)
        + "\n"
    )
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    return (
        "# Planner benchmark\n\n"
        f"Synthetic scenarios, seed 1; {machine}; {time.strftime('%Y-%m-%d %H:%M')}.\n"
        "Time limits: small and medium 10 s, udcg 60 s unless `--time-limit` was given; "
        "the re-plan gets 5 s. `build s` of `optimal` is the sum of its capability models' builds; "
        "PuLP build / ours compares the same whole model built both ways.\n\n"
        + header
        + body
        + "\n"
        + ratio_table
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scales", default="small,medium,udcg")
    parser.add_argument("--time-limit", type=float, default=None)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    table = run([s.strip() for s in args.scales.split(",") if s.strip()], args.time_limit)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(table, encoding="utf-8")
    print(table)


if __name__ == "__main__":
    main()
