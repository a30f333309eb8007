"""Planner benchmark: the optimiser on two synthetic profiles and several seeds, and beside its peers.

The sweep (the default): for every scale and both profiles of `nsatu synth`
(standard, and tight: hubs binding in most weeks, scarce crews, mixed-unit
crewed families, skewed donors, long lead times), seeds 1-5, the optimal method
at each time limit, each run in a process of its own: objective, bound, gap,
wall time against the limit (model build and metrics included), peak memory,
validity by the independent checker; whether more time ever gave a worse plan;
and on small instances the plan against the exact optimum of the direct model
(one column per offer, requirement, hub and week), solved to optimality.

``--peers`` adds the comparison on seed 1 of the standard profile: the greedy and
country baselines, plain HiGHS on our whole model, PuLP+CBC on the same model
written the usual way, plain HiGHS on the direct model, and the model build ratio.

Run from the repository root: ``.venv/bin/python -m benchmarks.planner``
(``--scales``, ``--profiles``, ``--seeds 1-5``, ``--peers``). Writes
``benchmarks/results/planner.md`` and prints it.
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import json
import os
import platform
import subprocess
import sys
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
EXACT_CACHE = Path(__file__).parent / "results" / "exact_small.json"
DEFAULT_LIMITS = {"small": 10.0, "medium": 10.0, "udcg": 60.0, "xl": 120.0}
# the sweep's time limits per scale
SWEEP_LIMITS = {"small": (10.0, 60.0), "medium": (10.0, 60.0), "udcg": (10.0, 60.0), "xl": (120.0,)}
# the targets the sweep is read against: (scale, limit) -> largest gap
GAP_TARGETS = {("medium", 10.0): 0.005, ("udcg", 10.0): 0.03, ("udcg", 60.0): 0.01, ("xl", 120.0): 0.02}
EXACT_LIMIT = 1800.0
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


def peers(scales: list[str], time_limit: float | None) -> str:
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
    return (
        "## Peers (standard profile, seed 1)\n\n"
        "Time limits: small and medium 10 s, udcg 60 s unless `--time-limit` was given; "
        "the re-plan gets 5 s. `build s` of `optimal` is the sum of its capability models' builds; "
        "PuLP build / ours compares the same whole model built both ways.\n\n"
        + header
        + body
        + "\n"
        + ratio_table
    )


def _subprocess(args: list[str], timeout: float) -> dict[str, object]:
    """Run `benchmarks.planner_run` in a fresh process and read its JSON line."""
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.planner_run", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    lines = [ln for ln in done.stdout.splitlines() if ln.startswith("{")]
    if done.returncode != 0 or not lines:
        return {"error": (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]}
    result: dict[str, object] = json.loads(lines[-1])
    return result


def _exact(profile: str, seed: int) -> dict[str, object]:
    """The direct model's optimum of a small instance (cached by profile and seed)."""
    cache: dict[str, dict[str, object]] = json.loads(EXACT_CACHE.read_text()) if EXACT_CACHE.exists() else {}
    key = f"small/{profile}/{seed}"
    if key not in cache or cache[key].get("status") != "optimal":
        print(f"  exact optimum of small {profile} seed {seed} (direct model)", flush=True)
        cache[key] = _subprocess(
            ["--exact", "small", profile, str(seed), str(EXACT_LIMIT)], EXACT_LIMIT * 1.5
        )
        EXACT_CACHE.parent.mkdir(parents=True, exist_ok=True)
        EXACT_CACHE.write_text(json.dumps(cache, indent=1, sort_keys=True) + "\n")
    return cache[key]


def _pct(x: object) -> str:
    return "-" if not isinstance(x, int | float) else f"{100 * float(x):.2f}%"


def sweep(scales: list[str], profiles: list[str], seeds: list[int]) -> str:
    """Every scale, profile, seed and time limit; the summary per scale and profile."""
    rows: list[str] = []
    summary: list[str] = []
    for scale in scales:
        limits = SWEEP_LIMITS.get(scale, (DEFAULT_LIMITS.get(scale, 60.0),))
        for profile in profiles:
            worst_gap = {limit: 0.0 for limit in limits}
            worst_wall, worst_mb, worse_with_time, invalid = 0.0, 0.0, 0, 0
            exact_ratio: list[float] = []
            for seed in seeds:
                found: dict[float, dict[str, object]] = {}
                for limit in limits:
                    print(f"[{scale} {profile} seed {seed}] limit {limit:g} s", flush=True)
                    r = _subprocess([scale, profile, str(seed), str(limit)], limit * 3 + 120)
                    found[limit] = r
                    if "error" in r:
                        rows.append(
                            f"| {scale} | {profile} | {seed} | {limit:g} | error: {r['error']} |||||||"
                        )
                        invalid += 1
                        continue
                    gap = r.get("gap")
                    worst_gap[limit] = max(
                        worst_gap[limit], float(gap) if isinstance(gap, int | float) else 1.0
                    )
                    wall = float(r["wall"])  # type: ignore[arg-type]
                    worst_wall = max(worst_wall, wall / limit)
                    worst_mb = max(worst_mb, float(r["peak_mb"]))  # type: ignore[arg-type]
                    invalid += 0 if r["valid"] else 1
                    exact_cell = "-"
                    if scale == "small":
                        e = _exact(profile, seed)
                        if e.get("status") == "optimal" and isinstance(e.get("objective"), int | float):
                            ratio = float(r["objective"]) / float(e["objective"])  # type: ignore[arg-type]
                            exact_ratio.append(ratio)
                            exact_cell = f"{float(e['objective']):.2f} ({100 * ratio:.2f}%)"  # type: ignore[arg-type]
                    bound = r.get("bound")
                    rows.append(
                        f"| {scale} | {profile} | {seed} | {limit:g} | {float(r['objective']):.2f} "  # type: ignore[arg-type]
                        f"| {'-' if bound is None else f'{float(bound):.2f}'} | {_pct(gap)} "  # type: ignore[arg-type]
                        f"| {wall:.1f} ({wall / limit:.2f}) | {float(r['peak_mb']):.0f} "  # type: ignore[arg-type]
                        f"| {'yes' if r['valid'] else 'NO'} | {exact_cell} | {r['status']} |"
                    )
                objectives = [float(found[x]["objective"]) for x in limits if "objective" in found[x]]  # type: ignore[arg-type]
                if any(b < a - 1e-6 * max(1.0, abs(a)) for a, b in itertools.pairwise(objectives)):
                    worse_with_time += 1
            gaps = ", ".join(f"{limit:g} s: {_pct(worst_gap[limit])}" for limit in limits)
            exact_text = f"{100 * min(exact_ratio):.2f}%" if exact_ratio else "-"
            summary.append(
                f"| {scale} | {profile} | {gaps} | {worst_wall:.2f} | {worst_mb:.0f} | {worse_with_time} "
                f"| {invalid} | {exact_text} |"
            )
    header = (
        "| scale | profile | seed | limit s | objective | bound | gap | wall s (/ limit) | peak MB | valid "
        "| exact optimum (plan's share) | status |\n"
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---|---:|---|\n"
    )
    summary_header = (
        "| scale | profile | largest gap by limit | largest wall / limit | largest peak MB "
        "| seeds where more time gave a worse plan | invalid or failed | least plan / exact |\n"
        "|---|---|---|---:|---:|---:|---:|---:|\n"
    )
    targets = ", ".join(f"{scale} {_pct(g)} at {limit:g} s" for (scale, limit), g in GAP_TARGETS.items())
    return (
        f"## Both profiles, seeds {seeds[0]}-{seeds[-1]}\n\n"
        f"Targets: {targets}; wall time within the limit + 5 %; xl peak memory <= 2 GiB; "
        "small plans >= 99.5 % of the exact optimum.\n\n"
        + summary_header
        + "\n".join(summary)
        + "\n\n"
        + header
        + "\n".join(rows)
        + "\n"
    )


def _seeds(text: str) -> list[int]:
    if "-" in text:
        first, last = text.split("-", 1)
        return list(range(int(first), int(last) + 1))
    return [int(x) for x in text.split(",") if x.strip()]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scales", default="small,medium,udcg,xl")
    parser.add_argument("--profiles", default="standard,tight")
    parser.add_argument("--seeds", default="1-5")
    parser.add_argument("--peers", action="store_true", help="also the peers on seed 1 (slow: PuLP)")
    parser.add_argument("--peer-scales", default="small,medium,udcg")
    parser.add_argument("--time-limit", type=float, default=None, help="the peers' time limit")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    scales = [s.strip() for s in args.scales.split(",") if s.strip()]
    profiles = [p.strip() for p in args.profiles.split(",") if p.strip()]
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    parts = [
        "# Planner benchmark\n\n"
        f"{machine}; {time.strftime('%Y-%m-%d %H:%M')}; load average {load:.2f} at the start.\n\n",
        sweep(scales, profiles, _seeds(args.seeds)),
    ]
    if args.peers:
        parts.append(
            "\n" + peers([s.strip() for s in args.peer_scales.split(",") if s.strip()], args.time_limit)
        )
    table = "".join(parts)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(table, encoding="utf-8")
    print(table)


if __name__ == "__main__":
    main()
