"""The optimal method: build the model, solve it, turn the solution into a valid plan.

The model is built with ``late="relax"`` (see `nsatu.planner.model`): every
plan of the scenario maps into it with at least its value, so the solver's dual
bound is an upper bound of FORMAT.md's objective over all plans. Its solution
becomes a plan in three exact steps: arrivals by first-in first-out through each
hub queue, a re-assignment of the arrived units to requirements at their true
values, and the split of classes back into offers and groups into requirements.
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import scipy.sparse as sp

from nsatu.planner import model
from nsatu.planner.model import LinearProgram, Reduction
from nsatu.planner.plan import Plan, PlanStatus
from nsatu.planner.progress import ProgressCallback, ProgressEvent, ignore_progress
from nsatu.planner.scenario import BoolArray, FloatArray, IntArray, Scenario
from nsatu.planner.solve import solve

# Share of the time limit kept for turning the solution into a plan.
EXTRACTION_SHARE = 0.12
# Most of the time limit the LP relaxation may take.
LP_SHARE = 0.5


def plan_optimal(
    s: Scenario,
    *,
    time_limit: float = 60.0,
    gap: float = 1e-3,
    progress: ProgressCallback | None = None,
    warm_start: Plan | None = None,
) -> Plan:
    """A valid plan maximising FORMAT.md's objective, with a proven bound over all plans."""
    report = progress or ignore_progress
    started = time.perf_counter()
    try:
        return _plan_optimal(s, time_limit, gap, report, warm_start, started)
    except Exception as exc:  # an unexpected failure is a status, not a traceback
        return Plan(
            method="optimal",
            status="error",
            seats_used=None,
            message=f"optimal planner failed: {type(exc).__name__}: {exc}",
            solve_seconds=time.perf_counter() - started,
        )


def _plan_optimal(
    s: Scenario,
    time_limit: float,
    gap: float,
    report: ProgressCallback,
    warm_start: Plan | None,
    started: float,
) -> Plan:
    if len(s.requirement_ids) == 0 or len(s.offer_ids) == 0:
        return _empty_plan(s, "no requirements or no offers: nothing to allocate")
    report(ProgressEvent("build", 0.0, message="building the model"))
    lp = model.build(s, late="relax")
    if lp.col_blocks["Assign"].size == 0:
        plan = _empty_plan(s, "no offer can reach a requirement it may serve within the horizon")
        plan.build_seconds = lp.build_seconds
        return plan
    report(ProgressEvent("build", 1.0, message=f"{lp.n_cols} columns, {lp.n_rows} rows"))

    baseline = _valid_part(s, lp, warm_start) if warm_start is not None else _baseline(s)
    candidates: list[Plan] = [] if baseline is None else [baseline]
    args = (lp.col_cost, lp.col_lower, lp.col_upper, lp.col_integer, lp.matrix, lp.row_lower, lp.row_upper)
    bounds = [_supply_bound(s)]

    def left() -> float:
        return time_limit - (time.perf_counter() - started)

    # 1. the LP relaxation: a bound, and by rounding releases down, a plan
    relaxed = solve(*args, time_limit=max(left() * LP_SHARE, 0.05), relax_integrality=True)
    if relaxed.status == "optimal" and relaxed.objective is not None and relaxed.x is not None:
        bounds.append(relaxed.objective)
        report(ProgressEvent("solve", None, None, relaxed.objective, message="LP relaxation solved"))
        rounded = relaxed.x.copy()
        release = lp.columns("Release")
        whole = lp.col_integer[release]
        rounded[release] = np.where(whole, np.floor(rounded[release] + 1e-6), rounded[release])
        candidates.append(plan_of_columns(s, lp, rounded, time_limit=max(left() * 0.3, 1.0)))
    incumbent = _best_valid(s, candidates)

    # 2. branch and bound from the best plan so far, for the time left
    start = columns_of_plan(s, lp, incumbent) if incumbent is not None else None
    sol = solve(
        *args,
        time_limit=max(left() * (1 - EXTRACTION_SHARE), 0.05),
        gap=gap,
        progress=report,
        start=start,
    )
    if sol.bound is not None:
        bounds.append(sol.bound)
    bound = min(bounds)
    bound += 1e-7 * max(1.0, abs(bound))  # solver tolerances
    report(ProgressEvent("repair", 0.0, sol.objective, bound, message="turning the solution into a plan"))
    if sol.x is not None:
        candidates.append(plan_of_columns(s, lp, sol.x, time_limit=max(left(), 1.0)))
    best = _best_valid(s, candidates)
    if best is None:
        best = _empty_plan(s, "no valid plan found in the time limit")
    objective = objective_of(s, best)
    bound = max(bound, objective)
    rel_gap = (bound - objective) / max(1.0, abs(bound))
    status: PlanStatus
    if rel_gap <= gap + 2e-7:  # the bound carries a 1e-7 tolerance margin
        status = "optimal"
    elif sol.status == "time_limit":
        status = "time_limit"
    else:
        status = "feasible"
    result = Plan(
        method="optimal",
        status=status,
        alloc_offer=best.alloc_offer,
        alloc_requirement=best.alloc_requirement,
        alloc_hub=best.alloc_hub,
        alloc_quantity=best.alloc_quantity,
        alloc_week=best.alloc_week,
        seats_used=None,
        message=(
            f"objective {objective:.6g}, bound {bound:.6g}, gap {rel_gap:.3%}; "
            f"model {lp.n_cols} columns x {lp.n_rows} rows; solver: {sol.message}"
        ),
        bound=bound,
        solve_seconds=time.perf_counter() - started - lp.build_seconds,
        build_seconds=lp.build_seconds,
        metrics={"objective": objective, "bound": bound, "gap": rel_gap},
    )
    report(ProgressEvent("done", 1.0, objective, bound, rel_gap, result.message))
    return result


def _supply_bound(s: Scenario) -> float:
    """A bound needing no solver: each requirement yields at most its weight times
    the share of it that compatible, usable offers could cover."""
    usable = model.usable_quantity(s)
    fam = s.item_family[s.offer_item]
    ok = s.requirement_family_ok[:, fam]  # requirements x offers
    earmark = s.offer_earmark
    ok = ok & ((earmark < 0) | (earmark[None, :] == np.arange(len(s.requirement_ids))[:, None]))
    supply = ok.astype(np.float64) @ usable
    share = np.minimum(1.0, supply / s.requirement_quantity)
    return float((s.requirement_weight * share).sum())


def _empty_plan(s: Scenario, message: str) -> Plan:
    """The empty plan: valid for every scenario, objective 0, bound 0 when nothing can flow."""
    return Plan(method="optimal", status="empty", seats_used=None, message=message, bound=0.0)


def _baseline(s: Scenario) -> Plan | None:
    """The greedy plan when the heuristics module is there (a warm start and a fallback)."""
    try:
        heuristics: Any = importlib.import_module("nsatu.planner.heuristics")
        plan: Plan = heuristics.plan_greedy(s)
    except Exception:
        return None
    return plan if plan.n_lines else None


def _best_valid(s: Scenario, plans: list[Plan]) -> Plan | None:
    """The plan of highest objective among those the independent checker accepts."""
    check: Callable[[Scenario, Plan], list[Any]] | None
    try:
        check = importlib.import_module("nsatu.planner.check").check_plan
    except (ImportError, AttributeError):
        check = None
    best: Plan | None = None
    best_value = -np.inf
    for plan in plans:
        if check is not None and check(s, plan):
            continue
        value = objective_of(s, plan)
        if value > best_value:
            best, best_value = plan, value
    return best


# ----------------------------------------------------------------------------
# Objective (the same formula as metrics.objective_of; kept here so the model
# can be checked against it without the metrics module)


def objective_of(s: Scenario, plan: Plan) -> float:
    """FORMAT.md objective of a plan."""
    q = plan.alloc_quantity
    if q.shape[0] == 0:
        return 0.0
    r = plan.alloc_requirement
    due = s.requirement_due_week[r]
    unit = s.requirement_weight[r] / s.requirement_quantity[r]
    value = float((model.value_at(unit, due, plan.alloc_week, s.lateness_half_life_weeks) * q).sum())
    fams = np.unique(s.item_family[s.offer_item[plan.alloc_offer[q > 0]]])
    new = fams[~s.family_in_service[fams]]
    return value - float(s.family_cost[new].sum())


# ----------------------------------------------------------------------------
# Solution -> plan


def match_in_order(
    group_a: IntArray, amount_a: FloatArray, group_b: IntArray, amount_b: FloatArray
) -> tuple[IntArray, IntArray, FloatArray]:
    """Pair two lists, each sorted by group, first-in first-out within each group.

    Returns (index into a, index into b, amount) for every overlap; per group,
    the shorter side is used up completely.
    """
    n_groups = int(max(group_a.max(initial=-1), group_b.max(initial=-1))) + 1
    total_a = np.bincount(group_a, weights=amount_a, minlength=n_groups)
    total_b = np.bincount(group_b, weights=amount_b, minlength=n_groups)
    # a dummy element per group pads the shorter side so group totals agree
    pad_a = np.maximum(total_b - total_a, 0)
    pad_b = np.maximum(total_a - total_b, 0)
    groups = np.arange(n_groups, dtype=np.int64)
    ga = np.concatenate([group_a, groups])
    gb = np.concatenate([group_b, groups])
    aa = np.concatenate([amount_a, pad_a])
    ab = np.concatenate([amount_b, pad_b])
    ia = np.concatenate([np.arange(group_a.shape[0]), np.full(n_groups, -1)])
    ib = np.concatenate([np.arange(group_b.shape[0]), np.full(n_groups, -1)])
    oa = np.argsort(ga, kind="stable")
    ob = np.argsort(gb, kind="stable")
    ca = np.cumsum(aa[oa])
    cb = np.cumsum(ab[ob])
    cuts = np.union1d(ca, cb)
    lows = np.concatenate([[0.0], cuts[:-1]])
    amount = cuts - lows
    mid = lows + amount / 2
    pa = ia[oa][np.minimum(np.searchsorted(ca, mid), ca.shape[0] - 1)]
    pb = ib[ob][np.minimum(np.searchsorted(cb, mid), cb.shape[0] - 1)]
    keep = (pa >= 0) & (pb >= 0) & (amount > 1e-9 * np.maximum(1.0, np.abs(cuts)))
    return pa[keep].astype(np.int64), pb[keep].astype(np.int64), amount[keep]


def _whole(amount: FloatArray, each: BoolArray) -> FloatArray:
    """Round `each` quantities to whole units (they are whole up to solver tolerance)."""
    return np.where(each, np.floor(amount + 1e-6), amount)


def plan_of_columns(s: Scenario, lp: LinearProgram, x: FloatArray, *, time_limit: float = 10.0) -> Plan:
    """Turn model column values into a valid plan (see the module docstring)."""
    red = lp.reduction
    horizon = red.horizon

    # shipments into queues, releases out of them
    q, week = lp.col_blocks["Release"].keys
    release = _whole(np.maximum(x[lp.columns("Release")], 0), s.item_is_each[red.queue_item[q]])
    ship_each = s.item_is_each[red.class_item[red.ship_class]]
    ship = _whole_shipments(lp, release, ship_each, time_limit)
    if ship is None:
        ship = np.clip(_whole(x[lp.columns("Ship")], ship_each), 0, lp.col_upper[lp.columns("Ship")])

    # first-in first-out through each queue: entries by week, releases by week
    e_order = np.lexsort((red.ship_week, red.ship_queue))
    r_keep = np.flatnonzero(release > 0)
    r_order = r_keep[np.lexsort((week[r_keep], q[r_keep]))]
    ia, ib, amount = match_in_order(red.ship_queue[e_order], ship[e_order], q[r_order], release[r_order])
    ship_idx = e_order[ia]
    arrive = week[r_order][ib]
    fine = red.ship_week[ship_idx] <= arrive  # FIFO guarantees it up to solver tolerance
    piece_ship, piece_week = ship_idx[fine], arrive[fine]
    piece_amount = _whole(amount[fine], ship_each[piece_ship])
    keep = piece_amount > 0
    piece_ship, piece_week, piece_amount = piece_ship[keep], piece_week[keep], piece_amount[keep]
    piece_pool = red.queue_pool[red.ship_queue[piece_ship]]

    # re-assign arrived units to requirement groups at their true values
    node_key = piece_pool * horizon + piece_week
    nodes, piece_node = np.unique(node_key, return_inverse=True)
    piece_node = piece_node.reshape(-1)
    node_supply = np.bincount(piece_node, weights=piece_amount, minlength=nodes.shape[0]).astype(np.float64)
    node_pool, node_week = nodes // horizon, nodes % horizon
    assign = x[lp.columns("Assign")]
    a_pool, a_group, _ = lp.col_blocks["Assign"].keys
    used_pairs = np.unique(a_pool[assign > 1e-7] * red.group_quantity.shape[0] + a_group[assign > 1e-7])
    y_node, y_group, y = _reassign(s, red, node_pool, node_week, node_supply, used_pairs, time_limit)

    # split node assignments over the node's pieces, groups over their requirements
    n_order = np.argsort(piece_node, kind="stable")
    y_order = np.argsort(y_node, kind="stable")
    ia, ib, amount = match_in_order(piece_node[n_order], piece_amount[n_order], y_node[y_order], y[y_order])
    line_piece = n_order[ia]
    line_group = y_group[y_order][ib]
    line_amount = amount
    members_order = np.argsort(red.requirement_group, kind="stable")
    l_order = np.argsort(line_group, kind="stable")
    ia, ib, amount = match_in_order(
        line_group[l_order],
        line_amount[l_order],
        red.requirement_group[members_order],
        s.requirement_quantity[members_order],
    )
    line_piece = line_piece[l_order][ia]
    line_req = members_order[ib]
    line_amount = amount

    # split classes over their offers
    line_class = red.ship_class[piece_ship[line_piece]]
    offers = np.flatnonzero(red.offer_class >= 0)
    o_order = offers[np.argsort(red.offer_class[offers], kind="stable")]
    c_order = np.argsort(line_class, kind="stable")
    ia, ib, amount = match_in_order(
        line_class[c_order], line_amount[c_order], red.offer_class[o_order], model.usable_quantity(s)[o_order]
    )
    lp_idx = c_order[ia]
    offer = o_order[ib]
    each = s.item_is_each[s.offer_item[offer]]
    quantity = _whole(amount, each)
    keep = quantity > 0
    lp_idx = lp_idx[keep]
    return Plan(
        method="optimal",
        status="feasible",
        alloc_offer=offer[keep],
        alloc_requirement=line_req[lp_idx],
        alloc_hub=red.ship_hub[piece_ship[line_piece[lp_idx]]],
        alloc_quantity=quantity[keep],
        alloc_week=piece_week[line_piece[lp_idx]],
        seats_used=None,
    )


def _whole_shipments(
    lp: LinearProgram, release: FloatArray, each: BoolArray, time_limit: float
) -> FloatArray | None:
    """Shipments that feed the given releases, in whole units where the data are whole.

    With releases fixed, shipments and waiting form a network with integer
    data, so a basic optimal solution of this LP is integral.
    """
    rows = np.concatenate(
        [_block_range(lp.row_blocks["Offer-supply"]), _block_range(lp.row_blocks["Queue-balance"])]
    )
    ship_cols, wait_cols = lp.columns("Ship"), lp.columns("Wait")
    cols = np.concatenate([ship_cols, wait_cols])
    sub = lp.matrix[rows]
    fixed = sub[:, lp.columns("Release")] @ release
    matrix = sub[:, cols].tocsr()
    cost = np.concatenate([-np.ones(ship_cols.shape[0]), np.zeros(wait_cols.shape[0])])
    sol = solve(
        cost,
        lp.col_lower[cols],
        lp.col_upper[cols],
        np.zeros(cols.shape[0], bool),
        matrix,
        lp.row_lower[rows] - fixed,
        lp.row_upper[rows] - fixed,
        time_limit=time_limit,
    )
    if sol.x is None or sol.status not in ("optimal", "feasible"):
        return None
    ship = sol.x[: ship_cols.shape[0]]
    return np.where(each, np.round(ship), np.maximum(ship, 0.0))


def _block_range(block: model.Block) -> IntArray:
    return np.arange(block.start, block.start + block.size, dtype=np.int64)


def _reassign(
    s: Scenario,
    red: Reduction,
    node_pool: IntArray,
    node_week: IntArray,
    node_supply: FloatArray,
    used_pairs: IntArray,
    time_limit: float,
) -> tuple[IntArray, IntArray, FloatArray]:
    """Best assignment of arrived units (per pool and week) to the requirement
    groups the model used for that pool, valued exactly, families included."""
    n_groups = red.group_quantity.shape[0]
    pair_pool, pair_group = used_pairs // n_groups, used_pairs % n_groups
    # columns: node x group for every used pair of the node's pool
    order = np.argsort(pair_pool, kind="stable")
    pair_pool, pair_group = pair_pool[order], pair_group[order]
    lo = np.searchsorted(pair_pool, node_pool, "left")
    hi = np.searchsorted(pair_pool, node_pool, "right")
    counts = hi - lo
    col_node = np.repeat(np.arange(node_pool.shape[0]), counts)
    col_group = pair_group[
        np.repeat(lo, counts) + np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)
    ]
    if col_node.shape[0] == 0:
        return col_node, col_group, np.zeros(0)
    value = model.value_at(
        red.group_unit_value[col_group], red.group_due[col_group], node_week[col_node], red.half_life
    )
    fam = red.pool_family[node_pool[col_node]]
    new = ~s.family_in_service[fam]
    families = np.unique(fam[new])
    n_cols = col_node.shape[0]
    n_fam_cols = families.shape[0]
    n_nodes = node_pool.shape[0]
    # rows: node supply, group quantity, family link per (family, group)
    link_key = fam[new] * n_groups + col_group[new]
    links, link_of = np.unique(link_key, return_inverse=True)
    link_fam = links // max(n_groups, 1)
    link_group = links % max(n_groups, 1)
    fam_slot = np.searchsorted(families, link_fam)
    cols_new = np.flatnonzero(new)
    rows = np.concatenate(
        [
            col_node,
            n_nodes + col_group,
            n_nodes + n_groups + link_of.reshape(-1),
            n_nodes + n_groups + np.arange(links.shape[0]),
        ]
    )
    cols = np.concatenate([np.arange(n_cols), np.arange(n_cols), cols_new, n_cols + fam_slot])
    vals = np.concatenate(
        [np.ones(n_cols), np.ones(n_cols), np.ones(cols_new.shape[0]), -red.group_quantity[link_group]]
    )
    n_rows = n_nodes + n_groups + links.shape[0]
    matrix = sp.csr_matrix((vals, (rows, cols)), shape=(n_rows, n_cols + n_fam_cols))
    cost = np.concatenate([value, -s.family_cost[families]])
    upper = np.concatenate([red.group_quantity[col_group], np.ones(n_fam_cols)])
    integer = np.concatenate([red.pool_is_each[node_pool[col_node]], np.ones(n_fam_cols, bool)])
    row_upper = np.concatenate([node_supply, red.group_quantity, np.zeros(links.shape[0])])
    sol = solve(
        cost,
        np.zeros(n_cols + n_fam_cols),
        upper,
        integer,
        matrix,
        np.full(n_rows, -np.inf),
        row_upper,
        time_limit=time_limit,
        gap=1e-6,
    )
    if sol.x is None:
        return col_node[:0], col_group[:0], np.zeros(0)
    y = sol.x[:n_cols]
    y = _whole(np.maximum(y, 0), red.pool_is_each[node_pool[col_node]])
    keep = y > 0
    return col_node[keep], col_group[keep], y[keep]


# ----------------------------------------------------------------------------
# Plan -> columns (warm starts)


def _valid_part(s: Scenario, lp: LinearProgram, plan: Plan) -> Plan | None:
    """The lines of a (previous) plan still valid for this scenario; None when none are."""
    mask = columns_of_plan(s, lp, plan, only_mask=True)
    if mask is None or not mask.any():
        return None
    keep = mask > 0
    return Plan(
        method=plan.method,
        status="feasible",
        alloc_offer=plan.alloc_offer[keep],
        alloc_requirement=plan.alloc_requirement[keep],
        alloc_hub=plan.alloc_hub[keep],
        alloc_quantity=plan.alloc_quantity[keep],
        alloc_week=plan.alloc_week[keep],
        seats_used=None,
    )


def columns_of_plan(
    s: Scenario, lp: LinearProgram, plan: Plan, *, only_mask: bool = False
) -> FloatArray | None:
    """Model column values representing a plan (its valid lines), or None.

    Lines that are not valid for this scenario (a changed offer, say) are
    dropped, and offers over their quantity are trimmed, so the result is a
    feasible point of the model whenever the rest of the plan was valid.
    """
    red = lp.reduction
    horizon = red.horizon
    n = plan.n_lines
    if n == 0:
        return None
    o, r, h, t, qty = (
        plan.alloc_offer,
        plan.alloc_requirement,
        plan.alloc_hub,
        plan.alloc_week,
        plan.alloc_quantity,
    )
    k = red.offer_class[o]
    ok = (qty > 0) & (k >= 0) & (t >= 0) & (t < horizon)
    earliest = red.class_earliest[np.maximum(k, 0), h]
    ok &= earliest <= t
    group = red.requirement_group[r]
    # earmarks and families: the line's pool must be able to serve the group
    ship_index = np.full(red.class_earliest.shape, -1, dtype=np.int64)
    ship_index[red.ship_class, red.ship_hub] = np.arange(red.ship_class.shape[0])
    ship = ship_index[np.maximum(k, 0), h]
    ok &= ship >= 0
    pool = red.queue_pool[red.ship_queue[np.maximum(ship, 0)]]
    a_pool, a_group, a_week = lp.col_blocks["Assign"].keys
    n_groups = red.group_quantity.shape[0]
    a_key = (a_pool * n_groups + a_group) * horizon + a_week
    a_order = np.argsort(a_key, kind="stable")
    a_sorted = a_key[a_order]
    due = red.group_due[group]
    look = (pool * n_groups + group) * horizon + np.maximum(t, due)
    at = np.searchsorted(a_sorted, look, "right") - 1
    ok &= at >= 0
    at = np.maximum(at, 0)
    ok &= a_sorted[at] // horizon == pool * n_groups + group
    pos = a_order[at]
    attach = lp.data["assign_attach"].astype(np.int64)
    ok &= attach[pos] >= t
    # trim offers and requirements over their quantity, in line order
    usable = model.usable_quantity(s)
    ok &= _within(o, qty, ok, usable)
    ok &= _within(r, qty, ok, s.requirement_quantity)
    if only_mask:
        return ok.astype(np.float64)
    if not ok.any():
        return None
    k, h, t, qty, pos, ship, pool = k[ok], h[ok], t[ok], qty[ok], pos[ok], ship[ok], pool[ok]

    x = np.zeros(lp.n_cols)
    np.add.at(x, lp.columns("Ship")[ship], qty)
    queue = red.ship_queue[ship]
    q_start = lp.data["queue_start"].astype(np.int64)
    release_pos = q_start[queue] + t - red.queue_first_week[queue]
    inflow = np.zeros(lp.col_blocks["Release"].size)
    outflow = np.zeros_like(inflow)
    np.add.at(inflow, q_start[queue] + red.ship_week[ship] - red.queue_first_week[queue], qty)
    np.add.at(outflow, release_pos, qty)
    x[lp.columns("Release")] = outflow
    x[lp.columns("Wait")] = _segment_cumsum(inflow - outflow, q_start)
    np.add.at(x, lp.columns("Assign")[pos], qty)
    p_start = lp.data["pool_start"].astype(np.int64)
    p_in = np.zeros(lp.col_blocks["Stock"].size)
    p_out = np.zeros_like(p_in)
    np.add.at(p_in, p_start[pool] + t - red.pool_first_week[pool], qty)
    np.add.at(p_out, p_start[pool] + attach[pos] - red.pool_first_week[pool], qty)
    x[lp.columns("Stock")] = _segment_cumsum(p_in - p_out, p_start)
    # cumulative arrivals of crewed families
    fam, fweek = lp.col_blocks["Arrived"].keys
    if fam.shape[0]:
        line_fam = s.item_family[red.class_item[k]]
        crewed = lp.data["crewed_families"].astype(np.int64)
        f_first = np.full(len(s.family_codes), horizon, dtype=np.int64)
        f_start = np.zeros(len(s.family_codes), dtype=np.int64)
        firsts = fweek[np.concatenate([[0], np.flatnonzero(np.diff(fam) != 0) + 1])]
        f_first[crewed] = firsts
        lengths = horizon - firsts
        f_start[crewed] = np.concatenate([[0], np.cumsum(lengths)[:-1]])
        is_crewed = np.isin(line_fam, crewed)
        arr = np.zeros(fam.shape[0])
        np.add.at(
            arr, f_start[line_fam[is_crewed]] + t[is_crewed] - f_first[line_fam[is_crewed]], qty[is_crewed]
        )
        x[lp.columns("Arrived")] = _segment_cumsum(arr, np.concatenate([f_start[crewed], [fam.shape[0]]]))
    seats = lp.col_blocks["Seats"]
    x[lp.columns("Seats")] = lp.col_upper[seats.start : seats.start + seats.size]
    intro = lp.col_blocks["Introduce"]
    used_fams = np.unique(red.pool_family[pool])
    x[lp.columns("Introduce")] = np.isin(intro.keys[0], used_fams).astype(np.float64)
    return x


def _within(entity: IntArray, qty: FloatArray, ok: BoolArray, limit: FloatArray) -> BoolArray:
    """Lines kept so that each entity's running total stays within its limit."""
    order = np.argsort(entity, kind="stable")
    q = np.where(ok, qty, 0.0)[order]
    ent = entity[order]
    cum = np.cumsum(q)
    starts = (
        np.concatenate([[0], np.flatnonzero(np.diff(ent) != 0) + 1]) if ent.size else np.zeros(0, np.int64)
    )
    base = np.repeat(cum[starts] - q[starts], np.diff(np.concatenate([starts, [ent.shape[0]]])))
    fits = cum - base <= limit[ent] * (1 + 1e-12) + 1e-9
    out = np.zeros(fits.shape[0], dtype=bool)
    out[order] = fits
    return out


def _segment_cumsum(values: FloatArray, starts: IntArray) -> FloatArray:
    """Cumulative sums restarting at each segment start (starts has the end appended)."""
    cum = np.cumsum(values)
    lengths = np.diff(starts)
    seg_first = starts[:-1]
    base = np.repeat(
        np.where(
            lengths > 0,
            cum[np.minimum(seg_first, cum.shape[0] - 1)] - values[np.minimum(seg_first, cum.shape[0] - 1)],
            0.0,
        ),
        lengths,
    )
    return np.asarray(cum - base, dtype=np.float64)
