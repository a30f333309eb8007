"""Model solutions as plans, and plans as model solutions (`nsatu.planner.model`'s columns).

`plan_of_columns` turns column values into a valid plan in exact steps;
`columns_of_plan` maps a plan's lines onto the columns (a MIP start); and
`reassigned` keeps a plan's arrivals and re-assigns them to requirements at
their true values. Decoding may be restricted to some capabilities (a block
of the model, `nsatu.planner.blocks`).
"""

from __future__ import annotations

import time

import numpy as np
import scipy.sparse as sp

from nsatu.planner import model
from nsatu.planner.model import LinearProgram, Reduction, RequirementGroups
from nsatu.planner.plan import Plan
from nsatu.planner.scenario import BoolArray, FloatArray, IntArray, Scenario
from nsatu.planner.solve import solve

__all__ = [
    "columns_of_plan",
    "match_in_order",
    "plan_of_columns",
    "reassigned",
    "whole_units",
    "within_limits",
]


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


def whole_units(amount: FloatArray, whole: BoolArray) -> FloatArray:
    """Round quantities of whole items down to whole units (solver values are whole up to
    tolerance for `each`; countable units are rounded down, which keeps every rule)."""
    return np.where(whole, np.floor(amount + 1e-6), amount)


def _plan(
    offer: IntArray, requirement: IntArray, hub: IntArray, quantity: FloatArray, week: IntArray
) -> Plan:
    return Plan(
        method="optimal",
        status="feasible",
        alloc_offer=offer,
        alloc_requirement=requirement,
        alloc_hub=hub,
        alloc_quantity=quantity,
        alloc_week=week,
        seats_used=None,
    )


def plan_of_columns(
    s: Scenario,
    lp: LinearProgram,
    x: FloatArray,
    *,
    time_limit: float = 10.0,
    decide_families: bool = True,
    capabilities: IntArray | None = None,
) -> Plan:
    """Turn model column values into a valid plan, in exact steps:

    whole shipments from a network LP with the releases fixed (a basic solution
    is integral); first-in first-out through each queue gives each class's
    arrival weeks; the arrived units per (pool, week) are re-assigned to the
    requirement groups the solution used for that pool, at their true values
    (with ``decide_families`` a small MIP that may also drop a family not
    worth its cost; without, a transportation LP over the families the
    solution uses, whose basic solutions are whole); groups split into
    requirements and classes into offers, first-in first-out. With
    ``capabilities``, only the columns of those capabilities are read.
    """
    red = lp.reduction
    deadline = time.perf_counter() + time_limit
    queues, ships = red.queues, red.ships
    q, week = lp.col_blocks["Release"].keys
    release_cols = lp.columns("Release")
    inside = _inside(lp.col_capability[release_cols], capabilities)
    release = whole_units(np.maximum(x[release_cols], 0), s.items.is_each[queues.item[q]])
    release[~inside] = 0.0
    ship_each = s.items.is_each[red.classes.item[ships.klass]]
    ship = _whole_shipments(lp, release, ship_each, time_limit, capabilities)
    if ship is None:
        ship_cols = lp.columns("Ship")
        ship = np.clip(whole_units(x[ship_cols], ship_each), 0, lp.col_upper[ship_cols])
        ship[~_inside(lp.col_capability[ship_cols], capabilities)] = 0.0

    # first-in first-out through each queue: entries by week, releases by week
    e_order = np.lexsort((ships.week, ships.queue))
    r_keep = np.flatnonzero(release > 0)
    r_order = r_keep[np.lexsort((week[r_keep], q[r_keep]))]
    ia, ib, amount = match_in_order(ships.queue[e_order], ship[e_order], q[r_order], release[r_order])
    ship_idx = e_order[ia]
    arrive = week[r_order][ib]
    fine = ships.week[ship_idx] <= arrive  # FIFO guarantees it up to solver tolerance
    piece_ship, piece_week = ship_idx[fine], arrive[fine]
    piece_amount = whole_units(amount[fine], ship_each[piece_ship])
    keep = piece_amount > 0
    piece_ship, piece_week, piece_amount = piece_ship[keep], piece_week[keep], piece_amount[keep]
    assign_cols = lp.columns("Assign")
    assign = np.where(_inside(lp.col_capability[assign_cols], capabilities), x[assign_cols], 0.0)
    used = assign > 1e-7
    n_groups = red.groups.quantity.shape[0]
    used_pairs = np.unique(red.assigns.pool[used] * n_groups + red.assigns.group[used])
    return _plan_of_pieces(
        s, red, piece_ship, piece_week, piece_amount, used_pairs, _left(deadline), decide_families
    )


def _left(deadline: float) -> float:
    """Seconds to the deadline, at least a short solver call (the steps of one decoding share it)."""
    return max(deadline - time.perf_counter(), 0.05)


def _inside(capability: IntArray, capabilities: IntArray | None) -> BoolArray:
    if capabilities is None:
        return np.ones(capability.shape[0], bool)
    return np.isin(capability, capabilities)


def reassigned(s: Scenario, lp: LinearProgram, plan: Plan, *, time_limit: float = 10.0) -> Plan:
    """A valid plan with the same arrivals (offer class, hub, week, quantity) as
    ``plan``, re-assigned to the requirements its lines serve at their true values
    (a transportation LP): units that arrive early go to the needs due first."""
    red = lp.reduction
    ship_index = _ship_index(red)
    k = red.classes.of_offer[plan.alloc_offer]
    ok = (k >= 0) & (plan.alloc_quantity > 0)
    ship = np.where(ok, ship_index[np.maximum(k, 0), plan.alloc_hub], -1)
    ok &= ship >= 0
    if not ok.any():
        return plan
    key = ship[ok] * red.horizon + plan.alloc_week[ok]
    pieces, inverse = np.unique(key, return_inverse=True)
    amount = np.bincount(inverse.reshape(-1), weights=plan.alloc_quantity[ok], minlength=pieces.shape[0])
    pool = red.queues.pool[red.ships.queue[ship[ok]]]
    n_groups = red.groups.quantity.shape[0]
    used_pairs = np.unique(pool * n_groups + red.groups.of_requirement[plan.alloc_requirement[ok]])
    return _plan_of_pieces(
        s,
        red,
        pieces // red.horizon,
        pieces % red.horizon,
        amount.astype(np.float64),
        used_pairs,
        time_limit,
        False,
    )


def _ship_index(red: Reduction) -> IntArray:
    """Classes x hubs: the Ship column of each pair, -1 where there is none."""
    index = np.full(red.classes.earliest.shape, -1, dtype=np.int64)
    index[red.ships.klass, red.ships.hub] = np.arange(red.ships.klass.shape[0])
    return index


def _plan_of_pieces(
    s: Scenario,
    red: Reduction,
    piece_ship: IntArray,
    piece_week: IntArray,
    piece_amount: FloatArray,
    used_pairs: IntArray,
    time_limit: float,
    decide_families: bool,
) -> Plan:
    """Arrived pieces (shipment column, week, units) assigned to requirement groups
    over `used_pairs` (pool x group) at true values, then split into plan lines."""
    horizon = red.horizon
    piece_pool = red.queues.pool[red.ships.queue[piece_ship]]

    # re-assign arrived units to requirement groups at their true values
    node_key = piece_pool * horizon + piece_week
    nodes, piece_node = np.unique(node_key, return_inverse=True)
    piece_node = piece_node.reshape(-1)
    node_supply = np.bincount(piece_node, weights=piece_amount, minlength=nodes.shape[0]).astype(np.float64)
    node_pool, node_week = nodes // horizon, nodes % horizon
    y_node, y_group, y = _reassign(
        s, red, node_pool, node_week, node_supply, used_pairs, time_limit, decide_families
    )

    # split node assignments over the node's pieces, groups over their requirements
    n_order = np.argsort(piece_node, kind="stable")
    y_order = np.argsort(y_node, kind="stable")
    ia, ib, amount = match_in_order(piece_node[n_order], piece_amount[n_order], y_node[y_order], y[y_order])
    line_piece = n_order[ia]
    line_group = y_group[y_order][ib]
    line_amount = amount
    groups = red.groups
    members_order = np.argsort(groups.of_requirement, kind="stable")
    l_order = np.argsort(line_group, kind="stable")
    ia, ib, amount = match_in_order(
        line_group[l_order],
        line_amount[l_order],
        groups.of_requirement[members_order],
        s.requirements.quantity[members_order],
    )
    line_piece = line_piece[l_order][ia]
    line_req = members_order[ib]
    line_amount = amount

    # split classes over their offers
    classes = red.classes
    line_class = red.ships.klass[piece_ship[line_piece]]
    offers = np.flatnonzero(classes.of_offer >= 0)
    o_order = offers[np.argsort(classes.of_offer[offers], kind="stable")]
    c_order = np.argsort(line_class, kind="stable")
    ia, ib, amount = match_in_order(
        line_class[c_order],
        line_amount[c_order],
        classes.of_offer[o_order],
        model.usable_quantity(s)[o_order],
    )
    lp_idx = c_order[ia]
    offer = o_order[ib]
    quantity = whole_units(amount, s.items.is_whole[s.offers.item[offer]])
    keep = quantity > 0
    lp_idx = lp_idx[keep]
    return _plan(
        offer[keep],
        line_req[lp_idx],
        red.ships.hub[piece_ship[line_piece[lp_idx]]],
        quantity[keep],
        piece_week[line_piece[lp_idx]],
    )


def _whole_shipments(
    lp: LinearProgram, release: FloatArray, each: BoolArray, time_limit: float, capabilities: IntArray | None
) -> FloatArray | None:
    """Shipments that feed the given releases, in whole units where the data are whole.

    With releases fixed, shipments and waiting form a network with integer
    data, so a basic optimal solution of this LP is integral.
    """
    rows = np.concatenate([lp.rows("Offer-supply"), lp.rows("Queue-balance")])
    rows = rows[_inside(lp.row_capability[rows], capabilities)]
    ship_cols, wait_cols = lp.columns("Ship"), lp.columns("Wait")
    ship_in = _inside(lp.col_capability[ship_cols], capabilities)
    wait_in = _inside(lp.col_capability[wait_cols], capabilities)
    cols = np.concatenate([ship_cols[ship_in], wait_cols[wait_in]])
    sub = lp.matrix[rows]
    fixed = sub[:, lp.columns("Release")] @ release
    matrix = sub[:, cols].tocsr()
    n_ship = int(ship_in.sum())
    cost = np.concatenate([-np.ones(n_ship), np.zeros(cols.shape[0] - n_ship)])
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
    ship = np.zeros(ship_cols.shape[0])
    ship[ship_in] = sol.x[:n_ship]
    return np.where(each, np.round(ship), np.maximum(ship, 0.0))


def _reassign(
    s: Scenario,
    red: Reduction,
    node_pool: IntArray,
    node_week: IntArray,
    node_supply: FloatArray,
    used_pairs: IntArray,
    time_limit: float,
    decide_families: bool = True,
) -> tuple[IntArray, IntArray, FloatArray]:
    """Best assignment of arrived units (per pool and week) to the requirement
    groups the model used for that pool, valued exactly; with
    ``decide_families``, whether to introduce each new family too."""
    groups, pools = red.groups, red.pools
    n_groups = groups.quantity.shape[0]
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
        groups.unit_value[col_group], groups.due[col_group], node_week[col_node], red.half_life
    )
    fam = pools.family[node_pool[col_node]]
    n_nodes = node_pool.shape[0]
    if decide_families and (~s.families.in_service[fam]).any():
        # which new families to keep, deciding with the flows continuous (a MIP in the
        # family binaries alone); then the flows again, families fixed, as an LP
        deadline = time.perf_counter() + time_limit
        # the families get most of the time; the last transport LP what is left
        kept = _families_worth_it(s, groups, fam, col_node, col_group, value, node_supply, 0.8 * time_limit)
        time_limit = _left(deadline)
        keep = s.families.in_service[fam] | np.isin(fam, kept)
        col_node, col_group, value = col_node[keep], col_group[keep], value[keep]
    each = pools.is_each[node_pool[col_node]]
    # whole units that share a group with real ones need integrality of their own
    n_groups = groups.quantity.shape[0]
    shared = (
        model.mixed_groups(groups, pools, pair_pool, pair_group)
        if pair_pool.size
        else np.zeros(n_groups, bool)
    )
    integer = each & shared[col_group]
    y = _transport(col_node, col_group, value, node_supply, groups.quantity, n_nodes, time_limit, integer)
    if y is None:
        return col_node[:0], col_group[:0], np.zeros(0)
    # a basic solution of a transportation LP with whole supplies and demands is whole
    y = whole_units(np.maximum(y, 0), each)
    keep = y > 0
    return col_node[keep], col_group[keep], y[keep]


def _transport_rows(
    col_node: IntArray, col_group: IntArray, n_nodes: int, n_groups: int
) -> tuple[IntArray, IntArray, FloatArray]:
    n_cols = col_node.shape[0]
    rows = np.concatenate([col_node, n_nodes + col_group])
    cols = np.concatenate([np.arange(n_cols), np.arange(n_cols)])
    return rows, cols, np.ones(2 * n_cols)


def _transport(
    col_node: IntArray,
    col_group: IntArray,
    value: FloatArray,
    node_supply: FloatArray,
    group_quantity: FloatArray,
    n_nodes: int,
    time_limit: float,
    integer: BoolArray | None = None,
) -> FloatArray | None:
    """Arrived units (per node) to requirement groups at most value: a transportation LP (a MIP
    where ``integer`` columns of whole units share groups with real ones)."""
    n_groups = group_quantity.shape[0]
    n_cols = col_node.shape[0]
    rows, cols, vals = _transport_rows(col_node, col_group, n_nodes, n_groups)
    matrix = sp.csr_matrix((vals, (rows, cols)), shape=(n_nodes + n_groups, n_cols))
    sol = solve(
        value,
        np.zeros(n_cols),
        group_quantity[col_group],
        np.zeros(n_cols, bool) if integer is None else integer,
        matrix,
        np.full(n_nodes + n_groups, -np.inf),
        np.concatenate([node_supply, group_quantity]),
        time_limit=time_limit,
        gap=1e-9,
    )
    return sol.x if sol.x is not None and sol.status in ("optimal", "feasible", "time_limit") else None


def _families_worth_it(
    s: Scenario,
    groups: RequirementGroups,
    fam: IntArray,
    col_node: IntArray,
    col_group: IntArray,
    value: FloatArray,
    node_supply: FloatArray,
    time_limit: float,
) -> IntArray:
    """The new families worth their introduction cost: from all those the solution uses, drop
    the one whose units bring least above its cost while that is below zero (each drop raises
    the objective: its units' value was less than its cost, what the others then take is gained)."""
    deadline = time.perf_counter() + time_limit
    n_nodes = node_supply.shape[0]
    kept = np.unique(fam[~s.families.in_service[fam]])
    while kept.size:
        use = s.families.in_service[fam] | np.isin(fam, kept)
        seconds = deadline - time.perf_counter()
        if seconds <= 0:
            break
        y = _transport(
            col_node[use], col_group[use], value[use], node_supply, groups.quantity, n_nodes, seconds
        )
        if y is None:
            break
        brought = np.zeros(len(s.families))
        np.add.at(brought, fam[use], value[use] * np.maximum(y, 0.0))
        net = brought[kept] - s.families.cost[kept]
        worst = int(np.argmin(net))
        if net[worst] >= 0:
            break
        kept = np.delete(kept, worst)
    return kept


# ----------------------------------------------------------------------------
# Plan -> columns (MIP starts)


def columns_of_plan(s: Scenario, lp: LinearProgram, plan: Plan) -> FloatArray | None:
    """Model column values representing a plan (its valid lines), or None.

    Lines that are not valid for this scenario (a changed offer, say) are
    dropped, and offers over their quantity are trimmed, so the result is a
    feasible point of the model whenever the rest of the plan was valid.
    """
    red = lp.reduction
    horizon = red.horizon
    if plan.n_lines == 0:
        return None
    o, r, h, t, qty = (
        plan.alloc_offer,
        plan.alloc_requirement,
        plan.alloc_hub,
        plan.alloc_week,
        plan.alloc_quantity,
    )
    k = red.classes.of_offer[o]
    ok = (qty > 0) & (k >= 0) & (t >= 0) & (t < horizon)
    earliest = red.classes.earliest[np.maximum(k, 0), h]
    ok &= earliest <= t
    group = red.groups.of_requirement[r]
    # earmarks and families: the line's pool must be able to serve the group
    ship = _ship_index(red)[np.maximum(k, 0), h]
    ok &= ship >= 0
    pool = red.queues.pool[red.ships.queue[np.maximum(ship, 0)]]
    a = red.assigns
    n_groups = red.groups.quantity.shape[0]
    a_key = (a.pool * n_groups + a.group) * horizon + a.week
    a_order = np.argsort(a_key, kind="stable")
    a_sorted = a_key[a_order]
    due = red.groups.due[group]
    look = (pool * n_groups + group) * horizon + np.maximum(t, due)
    at = np.searchsorted(a_sorted, look, "right") - 1
    ok &= at >= 0
    at = np.maximum(at, 0)
    ok &= a_sorted[at] // horizon == pool * n_groups + group
    pos = a_order[at]
    ok &= a.attach[pos] >= t
    # trim offers and requirements over their quantity, in line order
    ok &= within_limits(o, qty, ok, model.usable_quantity(s))
    ok &= within_limits(r, qty, ok, s.requirements.quantity)
    if not ok.any():
        return None
    k, t, qty, pos, ship, pool = k[ok], t[ok], qty[ok], pos[ok], ship[ok], pool[ok]

    x = np.zeros(lp.n_cols)
    np.add.at(x, lp.columns("Ship")[ship], qty)
    queues, pools = red.queues, red.pools
    queue = red.ships.queue[ship]
    release_pos = queues.start[queue] + t - queues.first_week[queue]
    inflow = np.zeros(lp.col_blocks["Release"].size)
    outflow = np.zeros_like(inflow)
    np.add.at(inflow, queues.start[queue] + red.ships.week[ship] - queues.first_week[queue], qty)
    np.add.at(outflow, release_pos, qty)
    x[lp.columns("Release")] = outflow
    x[lp.columns("Wait")] = _segment_cumsum(inflow - outflow, queues.start)
    np.add.at(x, lp.columns("Assign")[pos], qty)
    p_in = np.zeros(lp.col_blocks["Stock"].size)
    p_out = np.zeros_like(p_in)
    np.add.at(p_in, pools.start[pool] + t - pools.first_week[pool], qty)
    np.add.at(p_out, pools.start[pool] + a.attach[pos] - pools.first_week[pool], qty)
    x[lp.columns("Stock")] = _segment_cumsum(p_in - p_out, pools.start)
    # cumulative arrivals of crewed families
    crews = red.crews
    if crews.family.size:
        line_fam = s.items.family[red.classes.item[k]]
        slot = crews.slot[line_fam]
        crewed = slot >= 0
        arrived = np.zeros(lp.col_blocks["Arrived"].size)
        np.add.at(
            arrived, crews.start[slot[crewed]] + t[crewed] - crews.first_week[slot[crewed]], qty[crewed]
        )
        x[lp.columns("Arrived")] = _segment_cumsum(arrived, crews.start)
    seats = lp.col_blocks["Seats"]
    x[seats.indices] = lp.col_upper[seats.indices]
    intro = lp.col_blocks["Introduce"]
    used_fams = np.unique(pools.family[pool])
    x[intro.indices] = np.isin(intro.keys[0], used_fams).astype(np.float64)
    return x


def within_limits(entity: IntArray, qty: FloatArray, ok: BoolArray, limit: FloatArray) -> BoolArray:
    """Lines kept so that each entity's running total, in line order, stays within its limit."""
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
    if cum.shape[0] == 0:
        return np.zeros(0)
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
