"""The optimisation model: a scenario as a sparse linear program.

`build` reduces the scenario (identical offers and requirements merged,
useless offers dropped) and runs the flat, ordered list `DEFINES` of
``define_<block>(scenario, lp)`` functions. Each appends a block of columns or
rows with structured names (``Hub-capacity[RZE,w12]``) and its coefficients as
numpy index arrays; `LinearProgram.finish` turns them into one CSR matrix.
Nothing is built per variable.

The formulation (docs/planning.md has it in full):

- ``Ship[c,h]``: units of offer class c sent through hub h; they reach the
  queue of (hub, item, earmark) in the class's earliest arrival week there.
- ``Release[q,w]`` / ``Wait[q,w]``: units of a queue arriving in week w, and
  units still waiting before the hub after week w. Waiting before the hub is
  how arrivals are delayed past the earliest week (for hub capacity or crews).
- ``Stock[g,w]``: arrived units of a pool (family, earmark) not yet counted
  against a requirement by week w.
- ``Assign[g,r,b]``: units of pool g counted for requirement group r at
  breakpoint week b. Value ``w/quantity * tau(b - due)``; the units must have
  arrived by the column's *attach* week.
- ``Arrived[f,w]``: cumulative arrivals of a crewed family; ``Seats[s]``: seats
  used per course; ``Introduce[f]``: binary, a not-in-service family is used.

With ``late="relax"`` a late column at breakpoint b attaches at the week before
the next breakpoint: every plan maps into the model with at least its value,
so the model's optimum (and any dual bound of it) bounds FORMAT.md's objective.
With ``late="restrict"`` it attaches at b: every model solution is a plan worth
at least the model's value. When every late week is a breakpoint the two agree
and the model is exact.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from nsatu.planner.scenario import BoolArray, FloatArray, IntArray, Scenario

LateMode = Literal["relax", "restrict"]
Renderer = Sequence[str] | str  # a code list indexed by the key, or a prefix for the number


@dataclass
class Block:
    """A contiguous run of columns or rows sharing a name and key layout."""

    name: str
    start: int
    size: int
    keys: tuple[IntArray, ...]
    renderers: tuple[Renderer, ...]

    def label(self, position: int) -> str:
        """Structured name of the element at `position` within the block."""
        parts = []
        for key, render in zip(self.keys, self.renderers, strict=True):
            k = int(key[position])
            parts.append(f"{render}{k}" if isinstance(render, str) else render[k])
        return f"{self.name}[{','.join(parts)}]"


@dataclass
class Reduction:
    """The scenario after exact reductions, as index arrays the blocks share."""

    horizon: int
    half_life: float
    # offer classes: identical (item, earmark, earliest week through every hub)
    offer_class: IntArray  # per offer, -1 when it can serve nothing
    class_item: IntArray
    class_earmark: IntArray  # original requirement position, -1 none
    class_quantity: FloatArray
    class_first_offer: IntArray
    class_earliest: IntArray  # classes x hubs, horizon = no route
    # requirement groups: identical (families allowed, priority, quantity, due)
    requirement_group: IntArray  # per requirement
    group_quantity: FloatArray
    group_unit_value: FloatArray  # w / quantity of one member
    group_due: IntArray  # due week, capped at horizon - 1
    group_first_requirement: IntArray
    group_family_ok: BoolArray  # groups x families
    # shipments, queues and pools
    ship_class: IntArray = field(default_factory=lambda: np.zeros(0, np.int64))
    ship_hub: IntArray = field(default_factory=lambda: np.zeros(0, np.int64))
    ship_week: IntArray = field(default_factory=lambda: np.zeros(0, np.int64))
    ship_queue: IntArray = field(default_factory=lambda: np.zeros(0, np.int64))
    queue_hub: IntArray = field(default_factory=lambda: np.zeros(0, np.int64))
    queue_item: IntArray = field(default_factory=lambda: np.zeros(0, np.int64))
    queue_pool: IntArray = field(default_factory=lambda: np.zeros(0, np.int64))
    queue_first_week: IntArray = field(default_factory=lambda: np.zeros(0, np.int64))
    pool_family: IntArray = field(default_factory=lambda: np.zeros(0, np.int64))
    pool_earmark_group: IntArray = field(default_factory=lambda: np.zeros(0, np.int64))
    pool_first_week: IntArray = field(default_factory=lambda: np.zeros(0, np.int64))
    pool_is_each: BoolArray = field(default_factory=lambda: np.zeros(0, bool))


@dataclass
class LinearProgram:
    """max cost @ x  s.t.  row_lower <= A x <= row_upper, col_lower <= x <= col_upper."""

    reduction: Reduction
    late: LateMode
    late_weeks: IntArray  # lateness values used as breakpoints
    col_cost: FloatArray = field(default_factory=lambda: np.zeros(0))
    col_lower: FloatArray = field(default_factory=lambda: np.zeros(0))
    col_upper: FloatArray = field(default_factory=lambda: np.zeros(0))
    col_integer: BoolArray = field(default_factory=lambda: np.zeros(0, bool))
    row_lower: FloatArray = field(default_factory=lambda: np.zeros(0))
    row_upper: FloatArray = field(default_factory=lambda: np.zeros(0))
    matrix: sp.csr_matrix = field(default_factory=lambda: sp.csr_matrix((0, 0)))
    col_blocks: dict[str, Block] = field(default_factory=dict)
    row_blocks: dict[str, Block] = field(default_factory=dict)
    # block-specific data the extraction needs (e.g. assignment attach weeks)
    data: dict[str, npt.NDArray[np.generic]] = field(default_factory=dict)
    build_seconds: float = 0.0
    _cols: list[tuple[FloatArray, FloatArray, BoolArray]] = field(default_factory=list)
    _rows: list[tuple[FloatArray, FloatArray]] = field(default_factory=list)
    _entries: list[tuple[IntArray, IntArray, FloatArray]] = field(default_factory=list)
    _n_cols: int = 0
    _n_rows: int = 0

    @property
    def n_cols(self) -> int:
        return self._n_cols

    @property
    def n_rows(self) -> int:
        return self._n_rows

    def add_columns(
        self,
        name: str,
        keys: tuple[IntArray, ...],
        renderers: tuple[Renderer, ...],
        *,
        upper: FloatArray | float = np.inf,
        lower: FloatArray | float = 0.0,
        integer: BoolArray | bool = False,
    ) -> IntArray:
        """Append a block of columns (cost 0 until `define_objective`); return their indices."""
        size = int(keys[0].shape[0])
        self._cols.append(
            (_filled(lower, size, np.float64), _filled(upper, size, np.float64), _filled(integer, size, bool))
        )
        self.col_blocks[name] = Block(name, self._n_cols, size, keys, renderers)
        self._n_cols += size
        return np.arange(self._n_cols - size, self._n_cols, dtype=np.int64)

    def add_rows(
        self,
        name: str,
        keys: tuple[IntArray, ...],
        renderers: tuple[Renderer, ...],
        *,
        lower: FloatArray | float = -np.inf,
        upper: FloatArray | float = np.inf,
    ) -> IntArray:
        """Append a block of rows; return their indices."""
        size = int(keys[0].shape[0])
        self._rows.append((_filled(lower, size, np.float64), _filled(upper, size, np.float64)))
        self.row_blocks[name] = Block(name, self._n_rows, size, keys, renderers)
        self._n_rows += size
        return np.arange(self._n_rows - size, self._n_rows, dtype=np.int64)

    def add_entries(self, rows: IntArray, cols: IntArray, values: FloatArray | float) -> None:
        """Add coefficients A[rows, cols] += values (duplicates are summed)."""
        vals = np.broadcast_to(np.asarray(values, dtype=np.float64), rows.shape)
        keep = vals != 0
        self._entries.append((rows[keep], cols[keep], vals[keep]))

    def arrays(
        self,
    ) -> tuple[FloatArray, FloatArray, FloatArray, BoolArray, sp.csr_matrix, FloatArray, FloatArray]:
        """(cost, column lower, column upper, integrality, matrix, row lower, row upper): what
        `nsatu.planner.solve.solve` takes, in its order."""
        return (
            self.col_cost,
            self.col_lower,
            self.col_upper,
            self.col_integer,
            self.matrix,
            self.row_lower,
            self.row_upper,
        )

    def columns(self, name: str) -> IntArray:
        b = self.col_blocks[name]
        return np.arange(b.start, b.start + b.size, dtype=np.int64)

    def finish(self) -> None:
        """Concatenate the blocks into arrays and the CSR matrix."""
        if self._cols:
            self.col_lower = np.concatenate([c[0] for c in self._cols])
            self.col_upper = np.concatenate([c[1] for c in self._cols])
            self.col_integer = np.concatenate([c[2] for c in self._cols])
        if self.col_cost.shape[0] != self._n_cols:
            self.col_cost = np.zeros(self._n_cols)
        if self._rows:
            self.row_lower = np.concatenate([r[0] for r in self._rows])
            self.row_upper = np.concatenate([r[1] for r in self._rows])
        if self._entries:
            # 32-bit indices: what HiGHS takes, and a faster conversion
            r = np.concatenate([e[0] for e in self._entries]).astype(np.int32)
            c = np.concatenate([e[1] for e in self._entries]).astype(np.int32)
            v = np.concatenate([e[2] for e in self._entries])
        else:
            r = c = np.zeros(0, np.int32)
            v = np.zeros(0)
        self.matrix = sp.csr_matrix((v, (r, c)), shape=(self._n_rows, self._n_cols))
        self.matrix.sum_duplicates()
        self._cols, self._rows, self._entries = [], [], []

    def col_name(self, j: int) -> str:
        return _name_in(self.col_blocks, j)

    def row_name(self, i: int) -> str:
        return _name_in(self.row_blocks, i)


def _filled(value: npt.ArrayLike, size: int, dtype: type) -> npt.NDArray[Any]:
    """``value`` as a fresh array of ``size`` (a scalar repeated, or an array's copy)."""
    if np.ndim(value) == 0:
        return np.full(size, value, dtype=dtype)
    return np.broadcast_to(np.asarray(value, dtype=dtype), (size,)).copy()


def _name_in(blocks: dict[str, Block], index: int) -> str:
    for b in blocks.values():
        if b.start <= index < b.start + b.size:
            return b.label(index - b.start)
    raise IndexError(index)


# ----------------------------------------------------------------------------
# Scenario facts, vectorised


def value_at(unit_value: FloatArray, due: IntArray, week: IntArray, half_life: float) -> FloatArray:
    """FORMAT.md value of one unit: w/quantity * tau(week - due)."""
    late = np.maximum(week - due, 0).astype(np.float64)
    return np.asarray(unit_value * np.power(2.0, -late / half_life), dtype=np.float64)


def earliest_weeks(s: Scenario) -> IntArray:
    """Offers x hubs: earliest arrival week through each hub, horizon when no route."""
    n_offers, n_hubs = len(s.offers.ids), len(s.hubs.codes)
    lead = np.full((len(s.nations.codes), n_hubs), -1, dtype=np.int64)
    if s.routes.donor.size:
        order = np.argsort(-s.routes.lead_days, kind="stable")  # the shortest duplicate wins
        lead[s.routes.donor[order], s.routes.hub[order]] = s.routes.lead_days[order]
    offer_lead = lead[s.offers.donor] if n_offers else np.zeros((0, n_hubs), np.int64)
    days = s.offer_available_day[:, None] + offer_lead
    weeks = np.maximum(days // 7, 0)
    return np.where(offer_lead >= 0, np.minimum(weeks, s.horizon_weeks), s.horizon_weeks)


def usable_quantity(s: Scenario) -> FloatArray:
    """Offer quantity that can ever be allocated: 0 when withdrawn, whole units for `each`."""
    each = s.items.is_each[s.offers.item] if len(s.offers.ids) else np.zeros(0, bool)
    q = np.where(each, np.floor(s.offers.quantity + 1e-9), s.offers.quantity)
    return np.where(s.offers.withdrawn, 0.0, np.maximum(q, 0.0))


def unique_rows(key: npt.NDArray[np.generic]) -> tuple[IntArray, IntArray]:
    """Distinct rows of a 2-D key in lexicographic order: (first row of each, row -> its distinct row).

    The same as ``np.unique(key, axis=0, return_index=True, return_inverse=True)``
    without the slow sort of whole rows as opaque bytes.
    """
    n = key.shape[0]
    if n == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    order = np.lexsort(key.T[::-1])  # the first column is the primary key; stable
    ordered = key[order]
    new = np.ones(n, dtype=bool)
    new[1:] = (ordered[1:] != ordered[:-1]).any(axis=1)
    rank = np.cumsum(new) - 1
    inverse = np.empty(n, dtype=np.int64)
    inverse[order] = rank
    return order[new].astype(np.int64), inverse


def _row_codes(matrix: BoolArray) -> IntArray:
    """A number per row of a boolean matrix, equal for equal rows (in first-seen order)."""
    codes: dict[bytes, int] = {}
    packed = np.packbits(matrix, axis=1) if matrix.size else np.zeros((matrix.shape[0], 0), np.uint8)
    return np.array([codes.setdefault(row.tobytes(), len(codes)) for row in packed], dtype=np.int64)


def reduce_scenario(s: Scenario) -> Reduction:
    """Merge identical offers and requirements; drop offers that can serve nothing."""
    horizon = s.horizon_weeks
    n_req = len(s.requirements.ids)
    n_fam = len(s.families.codes)
    ok = s.requirements.family_ok.reshape(n_req, n_fam)

    # requirement groups; earmark targets stay alone so earmarks keep their meaning
    due = np.minimum(s.requirement_due_week, horizon - 1)
    targeted = np.zeros(n_req, bool)
    targeted[s.offers.earmark[s.offers.earmark >= 0]] = True
    alone = np.where(targeted, np.arange(n_req), -1)
    quantity = s.requirements.quantity.astype(np.float64)
    if n_req:
        key = np.column_stack(
            [
                _row_codes(ok).astype(np.float64),
                s.requirements.priority.astype(np.float64),
                quantity,
                due.astype(np.float64),
                alone.astype(np.float64),
            ]
        )
        first_req, req_group = unique_rows(key)
    else:
        first_req = np.zeros(0, np.int64)
        req_group = np.zeros(0, np.int64)
    n_groups = first_req.shape[0]
    group_quantity: FloatArray = np.bincount(req_group, weights=quantity, minlength=n_groups).astype(
        np.float64
    )
    unit_value = s.requirements.weight[first_req] / quantity[first_req]

    # offers that can serve something
    n_off = len(s.offers.ids)
    earliest = earliest_weeks(s)
    usable = usable_quantity(s)
    fam = s.items.family[s.offers.item] if n_off else np.zeros(0, np.int64)
    family_useful = np.asarray(ok.any(axis=0), dtype=bool) if n_req else np.zeros(n_fam, bool)
    earmark = s.offers.earmark
    earmark_ok: BoolArray = ok[np.maximum(earmark, 0), fam] if n_req else np.zeros(n_off, bool)
    serves = np.where(earmark >= 0, earmark_ok, family_useful[fam])
    keep = (usable > 0) & serves & (earliest < horizon).any(axis=1)
    offer_class = np.full(n_off, -1, dtype=np.int64)
    if keep.any():
        kept = np.flatnonzero(keep)
        key2 = np.column_stack([s.offers.item[kept], earmark[kept], earliest[kept]])
        first, inverse = unique_rows(key2)
        offer_class[kept] = inverse
        class_first_offer = kept[first]
        class_quantity: FloatArray = np.bincount(
            inverse, weights=usable[kept], minlength=first.shape[0]
        ).astype(np.float64)
    else:
        class_first_offer = np.zeros(0, np.int64)
        class_quantity = np.zeros(0)
    return Reduction(
        horizon=horizon,
        half_life=float(s.lateness_half_life_weeks),
        offer_class=offer_class,
        class_item=s.offers.item[class_first_offer],
        class_earmark=earmark[class_first_offer],
        class_quantity=class_quantity,
        class_first_offer=class_first_offer,
        class_earliest=earliest[class_first_offer],
        requirement_group=req_group,
        group_quantity=group_quantity,
        group_unit_value=unit_value,
        group_due=due[first_req],
        group_first_requirement=first_req.astype(np.int64),
        group_family_ok=ok[first_req],
    )


def _grid(first: IntArray, horizon: int) -> tuple[IntArray, IntArray, IntArray]:
    """Flatten (entity, week) for weeks first[e] .. horizon-1: (start offsets, entity, week)."""
    lengths = np.maximum(horizon - first, 0)
    start = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    entity = np.repeat(np.arange(first.shape[0], dtype=np.int64), lengths)
    week = np.arange(int(start[-1]), dtype=np.int64) - start[entity] + first[entity]
    return start, entity, week


# ----------------------------------------------------------------------------
# The blocks, in order


def define_shipments(s: Scenario, lp: LinearProgram) -> None:
    """Ship[c,h] per offer class and hub with a route; Offer-supply[c] caps each class."""
    red = lp.reduction
    n_classes, n_hubs = red.class_earliest.shape if red.class_earliest.ndim == 2 else (0, 0)
    cls, hub = np.nonzero(red.class_earliest < red.horizon)
    red.ship_class, red.ship_hub = cls.astype(np.int64), hub.astype(np.int64)
    red.ship_week = red.class_earliest[cls, hub].astype(np.int64)
    class_label = [s.offers.ids[o] for o in red.class_first_offer]
    cols = lp.add_columns(
        "Ship",
        (red.ship_class, red.ship_hub),
        (class_label, s.hubs.codes),
        upper=red.class_quantity[cls] if cls.size else np.zeros(0),
    )
    rows = lp.add_rows(
        "Offer-supply",
        (np.arange(n_classes, dtype=np.int64),),
        (class_label,),
        upper=red.class_quantity,
    )
    lp.add_entries(rows[red.ship_class], cols, 1.0)
    del n_hubs


def define_hub_queues(s: Scenario, lp: LinearProgram) -> None:
    """Per (hub, item, earmark) queue: Release[q,w] arrives in week w, Wait[q,w] waits on."""
    red = lp.reduction
    horizon = red.horizon
    n_items = len(s.items.codes)
    n_req = len(s.requirements.ids)
    earmark = red.class_earmark[red.ship_class]
    key = (red.ship_hub * n_items + red.class_item[red.ship_class]) * (n_req + 1) + (earmark + 1)
    uniq, ship_queue = np.unique(key, return_inverse=True)
    red.ship_queue = ship_queue.reshape(-1).astype(np.int64)
    n_queues = uniq.shape[0]
    red.queue_hub = (uniq // (n_req + 1)) // max(n_items, 1)
    red.queue_item = (uniq // (n_req + 1)) % max(n_items, 1)
    queue_earmark = uniq % (n_req + 1) - 1
    first = np.full(n_queues, horizon, dtype=np.int64)
    np.minimum.at(first, red.ship_queue, red.ship_week)
    red.queue_first_week = first

    # pools: (family, earmark group)
    fam = s.items.family[red.queue_item]
    em_group = np.where(queue_earmark >= 0, red.requirement_group[np.maximum(queue_earmark, 0)], -1)
    n_groups = red.group_quantity.shape[0]
    pool_key = fam * (n_groups + 1) + (em_group + 1)
    puniq, queue_pool = np.unique(pool_key, return_inverse=True)
    red.queue_pool = queue_pool.reshape(-1).astype(np.int64)
    red.pool_family = puniq // (n_groups + 1)
    red.pool_earmark_group = puniq % (n_groups + 1) - 1
    pool_first = np.full(puniq.shape[0], horizon, dtype=np.int64)
    np.minimum.at(pool_first, red.queue_pool, first)
    red.pool_first_week = pool_first
    fam_each = np.zeros(len(s.families.codes), bool)
    np.logical_or.at(fam_each, s.items.family, s.items.is_each)
    red.pool_is_each = fam_each[red.pool_family]

    start, q, week = _grid(first, horizon)
    queue_label = [
        f"{s.hubs.codes[h]}:{s.items.codes[i]}" + (f">{s.requirements.ids[e]}" if e >= 0 else "")
        for h, i, e in zip(red.queue_hub, red.queue_item, queue_earmark, strict=True)
    ]
    each = s.items.is_each[red.queue_item[q]]
    release = lp.add_columns("Release", (q, week), (queue_label, "w"), integer=each)
    wait = lp.add_columns("Wait", (q, week), (queue_label, "w"))
    rows = lp.add_rows("Queue-balance", (q, week), (queue_label, "w"), lower=0.0, upper=0.0)
    # ship enters its queue in its week; release leaves; wait carries to next week
    ship_cols = lp.columns("Ship")
    ship_rows = rows[start[red.ship_queue] + red.ship_week - first[red.ship_queue]]
    lp.add_entries(ship_rows, ship_cols, 1.0)
    lp.add_entries(rows, release, -1.0)
    lp.add_entries(rows, wait, -1.0)
    carried = week > first[q]
    lp.add_entries(rows[carried], wait[np.flatnonzero(carried) - 1], 1.0)
    lp.data["queue_start"] = start


def define_hub_capacity(s: Scenario, lp: LinearProgram) -> None:
    """Hub-capacity[h,w]: tonnes arriving through a hub in a week."""
    red = lp.reduction
    horizon = red.horizon
    release = lp.columns("Release")
    block = lp.col_blocks["Release"]
    q, week = block.keys
    mass = s.items.mass_t[red.queue_item[q]]
    hub = red.queue_hub[q]
    heavy = mass > 0
    key = hub[heavy] * horizon + week[heavy]
    uniq, inverse = np.unique(key, return_inverse=True)
    rows = lp.add_rows(
        "Hub-capacity",
        (uniq // horizon, uniq % horizon),
        (s.hubs.codes, "w"),
        upper=s.hub_week_capacity()[uniq // horizon, uniq % horizon],
    )
    lp.add_entries(rows[inverse.reshape(-1)], release[heavy], mass[heavy])


def define_family_pools(s: Scenario, lp: LinearProgram) -> None:
    """Stock[g,w]: units of pool g arrived and not yet counted; Pool-balance[g,w]."""
    red = lp.reduction
    horizon = red.horizon
    start, g, week = _grid(red.pool_first_week, horizon)
    pool_label = [
        s.families.codes[f] + (f">{s.requirements.ids[red.group_first_requirement[e]]}" if e >= 0 else "")
        for f, e in zip(red.pool_family, red.pool_earmark_group, strict=True)
    ]
    stock = lp.add_columns("Stock", (g, week), (pool_label, "w"))
    rows = lp.add_rows("Pool-balance", (g, week), (pool_label, "w"), lower=0.0, upper=0.0)
    q, qweek = lp.col_blocks["Release"].keys
    qpool = red.queue_pool[q]
    lp.add_entries(rows[start[qpool] + qweek - red.pool_first_week[qpool]], lp.columns("Release"), 1.0)
    lp.add_entries(rows, stock, -1.0)
    carried = week > red.pool_first_week[g]
    lp.add_entries(rows[carried], stock[np.flatnonzero(carried) - 1], 1.0)
    lp.data["pool_start"] = start
    lp.data["pool_label"] = np.array(pool_label, dtype=object)


def define_assignments(s: Scenario, lp: LinearProgram) -> None:
    """Assign[g,r,b]: pool units counted for a requirement group at breakpoint week b."""
    red = lp.reduction
    horizon = red.horizon
    n_pools = red.pool_family.shape[0]
    general = red.pool_earmark_group < 0
    # pairs (pool, group)
    ok = red.group_family_ok[:, red.pool_family] if n_pools else np.zeros((0, 0), bool)
    pg, pp = np.nonzero(ok & general[None, :])
    em_pools = np.flatnonzero(~general)
    pair_pool = np.concatenate([pp, em_pools]).astype(np.int64)
    pair_group = np.concatenate([pg, red.pool_earmark_group[em_pools]]).astype(np.int64)
    first = red.pool_first_week[pair_pool]
    due = red.group_due[pair_group]

    # on-time column: everything arrived by the due week
    on_time = due >= first
    # late breakpoints: due + lateness, never before the pool's first week
    lateness = lp.late_weeks
    b = np.maximum(due[:, None] + lateness[None, :], first[:, None])
    valid = b < horizon
    nxt = np.concatenate([b[:, 1:], np.full((b.shape[0], 1), horizon)], axis=1)
    valid &= b != nxt  # keep the last of equal (clamped) breakpoints
    nxt = np.where(nxt < horizon, nxt, horizon)
    attach = nxt - 1 if lp.late == "relax" else b
    # slot 0 is the on-time column, then the late ones: row-major order is (pair, week)
    weeks = np.concatenate([due[:, None], b], axis=1)
    attaches = np.concatenate([due[:, None], attach], axis=1)
    col_pair, slot = np.nonzero(np.concatenate([on_time[:, None], valid], axis=1))
    col_week, col_attach = weeks[col_pair, slot], attaches[col_pair, slot]
    pool = pair_pool[col_pair]
    group = pair_group[col_pair]
    pool_label = list(lp.data["pool_label"])
    group_label = [s.requirements.ids[r] for r in red.group_first_requirement]
    cols = lp.add_columns(
        "Assign",
        (pool, group, col_week),
        (pool_label, group_label, "w"),
        upper=red.group_quantity[group],
    )
    start = lp.data["pool_start"].astype(np.int64)
    rows = lp.row_blocks["Pool-balance"].start + start[pool] + col_attach - red.pool_first_week[pool]
    lp.add_entries(rows, cols, -1.0)
    lp.data["assign_attach"] = col_attach
    lp.data["assign_value"] = value_at(
        red.group_unit_value[group], red.group_due[group], col_week, red.half_life
    )


def define_requirement_quantity(s: Scenario, lp: LinearProgram) -> None:
    """Requirement-quantity[r]: units counted for a group <= its quantity."""
    red = lp.reduction
    n_groups = red.group_quantity.shape[0]
    rows = lp.add_rows(
        "Requirement-quantity",
        (np.arange(n_groups, dtype=np.int64),),
        ([s.requirements.ids[r] for r in red.group_first_requirement],),
        upper=red.group_quantity,
    )
    group = lp.col_blocks["Assign"].keys[1]
    lp.add_entries(rows[group], lp.columns("Assign"), 1.0)


def define_crew_readiness(s: Scenario, lp: LinearProgram) -> None:
    """Rule 7: Arrived[f,w] cumulative units of a crewed family; Crew-ready[f,w];
    Seats[s] per course (0..seats)."""
    red = lp.reduction
    horizon = red.horizon
    n_fam = len(s.families.codes)
    crew = s.families.crew_per_unit
    fam_first = np.full(n_fam, horizon, dtype=np.int64)
    np.minimum.at(fam_first, red.pool_family, red.pool_first_week)
    crewed = np.flatnonzero((crew > 0) & (fam_first < horizon))
    first = fam_first[crewed]
    start, fi, week = _grid(first, horizon)
    fam = crewed[fi]
    arrived = lp.add_columns("Arrived", (fam, week), (s.families.codes, "w"))
    count_rows = lp.add_rows("Crew-count", (fam, week), (s.families.codes, "w"), lower=0.0, upper=0.0)
    ready_rows = lp.add_rows(
        "Crew-ready",
        (fam, week),
        (s.families.codes, "w"),
        upper=s.families.existing_crews[fam] - s.crews_committed()[fam, week],
    )
    # Arrived[w] - Arrived[w-1] - releases of the family in w = 0
    lp.add_entries(count_rows, arrived, 1.0)
    carried = week > first[fi]
    lp.add_entries(count_rows[carried], arrived[np.flatnonzero(carried) - 1], -1.0)
    q, qweek = lp.col_blocks["Release"].keys
    qfam = s.items.family[red.queue_item[q]]
    slot = np.full(n_fam, -1, dtype=np.int64)
    slot[crewed] = np.arange(crewed.shape[0])
    crewed_release = slot[qfam] >= 0
    qslot = slot[qfam[crewed_release]]
    lp.add_entries(
        count_rows[start[qslot] + qweek[crewed_release] - first[qslot]],
        lp.columns("Release")[crewed_release],
        -1.0,
    )
    # crew_per_unit * Arrived[w] - seats of courses ready by w <= existing crews
    lp.add_entries(ready_rows, arrived, crew[fam])
    n_courses = len(s.courses.ids)
    seats = lp.add_columns(
        "Seats", (np.arange(n_courses, dtype=np.int64),), (s.courses.ids,), upper=s.courses.seats
    )
    if n_courses and crewed.size:
        ready = s.course_ready_week
        cslot = slot[s.courses.family]
        useful = np.flatnonzero(cslot >= 0)
        # a course counts from max(ready week, the family's first row) to the horizon
        lengths = np.where(
            ready[useful] < horizon, horizon - np.maximum(ready[useful], first[cslot[useful]]), 0
        )
        course = np.repeat(useful, lengths)
        offs = np.arange(int(lengths.sum())) - np.repeat(np.cumsum(lengths) - lengths, lengths)
        row_week = np.maximum(ready[course], first[cslot[course]]) + offs
        lp.add_entries(
            ready_rows[start[cslot[course]] + row_week - first[cslot[course]]], seats[course], -1.0
        )
    lp.data["crewed_families"] = crewed


def define_family_introduction(s: Scenario, lp: LinearProgram) -> None:
    """Introduce[f] binary for not-in-service families; Family-link[f,r]: no units without it."""
    red = lp.reduction
    block = lp.col_blocks["Assign"]
    pool, group = block.keys[0], block.keys[1]
    fam = red.pool_family[pool]
    new = ~s.families.in_service[fam]
    n_fam = len(s.families.codes)
    families = np.unique(fam[new])
    intro = lp.add_columns("Introduce", (families,), (s.families.codes,), upper=1.0, integer=True)
    slot = np.full(n_fam, -1, dtype=np.int64)
    slot[families] = np.arange(families.shape[0])
    n_groups = red.group_quantity.shape[0]
    key = fam[new] * n_groups + group[new]
    uniq, inverse = np.unique(key, return_inverse=True)
    link_fam, link_group = uniq // max(n_groups, 1), uniq % max(n_groups, 1)
    rows = lp.add_rows(
        "Family-link",
        (link_fam, link_group),
        (s.families.codes, [s.requirements.ids[r] for r in red.group_first_requirement]),
        upper=0.0,
    )
    lp.add_entries(rows[inverse.reshape(-1)], lp.columns("Assign")[new], 1.0)
    supply = family_supply_cap(s, red)
    lp.add_entries(rows, intro[slot[link_fam]], -np.minimum(red.group_quantity[link_group], supply[link_fam]))
    # the family as a whole: with per-requirement links, this keeps the LP from
    # introducing a family by small fractions spread over many requirements
    demand = np.zeros(n_fam)
    np.add.at(demand, link_fam, red.group_quantity[link_group])
    total = lp.add_rows("Family-total", (families,), (s.families.codes,), upper=0.0)
    lp.add_entries(total[slot[fam[new]]], lp.columns("Assign")[new], 1.0)
    lp.add_entries(total, intro, -np.minimum(supply[families], demand[families]))


def family_supply_cap(s: Scenario, red: Reduction) -> FloatArray:
    """Per family, the most units that can ever arrive: offered, and crewed by the horizon."""
    n_fam = len(s.families.codes)
    supply = np.zeros(n_fam)
    np.add.at(supply, s.items.family[red.class_item], red.class_quantity)
    crews = s.families.existing_crews.astype(np.float64).copy()
    if len(s.courses.ids):
        in_time = s.course_ready_week < red.horizon
        np.add.at(crews, s.courses.family[in_time], s.courses.seats[in_time])
    if s.horizon_weeks > 0:
        crews -= s.crews_committed()[:, -1]  # rule 7 in the last week bounds every unit
    crew = s.families.crew_per_unit
    each = np.zeros(n_fam, bool)
    np.logical_or.at(each, s.items.family, s.items.is_each)
    with np.errstate(divide="ignore", invalid="ignore"):
        cap = np.where(crew > 0, crews / np.where(crew > 0, crew, 1.0), np.inf)
    cap = np.where(each & np.isfinite(cap), np.floor(cap + 1e-9), cap)
    return np.asarray(np.minimum(supply, cap), dtype=np.float64)


def define_objective(s: Scenario, lp: LinearProgram) -> None:
    """Value of counted units minus the cost of introduced families."""
    lp.col_cost = np.zeros(lp.n_cols)
    lp.col_cost[lp.columns("Assign")] = lp.data["assign_value"]
    intro = lp.col_blocks["Introduce"]
    lp.col_cost[lp.columns("Introduce")] = -s.families.cost[intro.keys[0]]


DEFINES: list[Callable[[Scenario, LinearProgram], None]] = [
    define_shipments,
    define_hub_queues,
    define_hub_capacity,
    define_family_pools,
    define_assignments,
    define_requirement_quantity,
    define_crew_readiness,
    define_family_introduction,
    define_objective,
]


def late_breakpoints(horizon: int, exact_weeks: int = 26) -> IntArray:
    """Lateness values used as breakpoints: every week up to `exact_weeks`, then
    steps doubling every `exact_weeks` weeks."""
    weeks: list[int] = list(range(1, min(exact_weeks, horizon) + 1))
    step, w = 2, exact_weeks
    while w + step < horizon:
        for _ in range(max(exact_weeks // step, 1)):
            w += step
            if w >= horizon:
                break
            weeks.append(w)
        step *= 2
    return np.array(weeks, dtype=np.int64)


def build(s: Scenario, *, late: LateMode = "relax", exact_late_weeks: int = 26) -> LinearProgram:
    """The model of a scenario (see the module docstring)."""
    started = time.perf_counter()
    lp = LinearProgram(
        reduction=reduce_scenario(s),
        late=late,
        late_weeks=late_breakpoints(s.horizon_weeks, exact_late_weeks),
    )
    for define in DEFINES:
        define(s, lp)
    lp.finish()
    lp.build_seconds = time.perf_counter() - started
    return lp


# ----------------------------------------------------------------------------
# The direct model: one column per (offer, requirement, hub, arrival week), no
# reduction. Exact and small only for small scenarios; the benchmark solves it
# to show what the reductions buy, and tests compare optima against it.


def define_flow_variables(s: Scenario, lp: LinearProgram) -> None:
    """Flow[o,r,h,w]: units of offer o for requirement r through hub h arriving in week w."""
    horizon = s.horizon_weeks
    earliest = earliest_weeks(s)
    usable = usable_quantity(s)
    fam = s.items.family[s.offers.item]
    ok = s.requirements.family_ok[:, fam].T  # offers x requirements
    earmark = s.offers.earmark
    has_em = earmark >= 0
    ok[has_em] &= np.arange(len(s.requirements.ids))[None, :] == earmark[has_em, None]
    ok &= (usable > 0)[:, None]
    po, pr = np.nonzero(ok)
    # pair x hub with a route
    e = earliest[po]  # pairs x hubs
    pi, ph = np.nonzero(e < horizon)
    lengths = horizon - e[pi, ph]
    col_pair_hub = np.repeat(np.arange(pi.shape[0]), lengths)
    offs = np.arange(int(lengths.sum())) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    o = po[pi][col_pair_hub]
    r = pr[pi][col_pair_hub]
    h = ph[col_pair_hub].astype(np.int64)
    w = e[pi, ph][col_pair_hub] + offs
    cols = lp.add_columns(
        "Flow",
        (o, r, h, w),
        (s.offers.ids, s.requirements.ids, s.hubs.codes, "w"),
        upper=np.minimum(usable[o], s.requirements.quantity[r]),
        integer=s.items.is_each[s.offers.item[o]],
    )
    lp.data["flow_value"] = value_at(
        s.requirements.weight[r] / s.requirements.quantity[r],
        s.requirement_due_week[r],
        w,
        s.lateness_half_life_weeks,
    )
    del cols


def direct_column_count(s: Scenario) -> int:
    """How many Flow columns the direct model would have (to decide whether to build it)."""
    horizon = s.horizon_weeks
    earliest = earliest_weeks(s)
    fam = s.items.family[s.offers.item]
    ok = s.requirements.family_ok[:, fam].T
    has_em = s.offers.earmark >= 0
    ok[has_em] &= np.arange(len(s.requirements.ids))[None, :] == s.offers.earmark[has_em, None]
    ok &= (usable_quantity(s) > 0)[:, None]
    per_offer = np.maximum(horizon - earliest, 0).sum(axis=1)
    return int((ok.sum(axis=1) * per_offer).sum())


def define_direct_rows(s: Scenario, lp: LinearProgram) -> None:
    """Offer supply, requirement quantity, hub capacity on the Flow columns."""
    horizon = s.horizon_weeks
    o, r, h, w = lp.col_blocks["Flow"].keys
    flow = lp.columns("Flow")
    n_off, n_req = len(s.offers.ids), len(s.requirements.ids)
    rows = lp.add_rows(
        "Offer-supply", (np.arange(n_off, dtype=np.int64),), (s.offers.ids,), upper=usable_quantity(s)
    )
    lp.add_entries(rows[o], flow, 1.0)
    rows = lp.add_rows(
        "Requirement-quantity",
        (np.arange(n_req, dtype=np.int64),),
        (s.requirements.ids,),
        upper=s.requirements.quantity,
    )
    lp.add_entries(rows[r], flow, 1.0)
    n_hubs = len(s.hubs.codes)
    hub, week = np.divmod(np.arange(n_hubs * horizon, dtype=np.int64), horizon)
    rows = lp.add_rows(
        "Hub-capacity", (hub, week), (s.hubs.codes, "w"), upper=s.hub_week_capacity()[hub, week]
    )
    lp.add_entries(rows[h * horizon + w], flow, s.items.mass_t[s.offers.item[o]])


def define_direct_crews(s: Scenario, lp: LinearProgram) -> None:
    """Rule 7 written out: every flow counts in every crew row from its week on."""
    horizon = s.horizon_weeks
    o, _, _, w = lp.col_blocks["Flow"].keys
    flow = lp.columns("Flow")
    fam = s.items.family[s.offers.item[o]]
    n_fam = len(s.families.codes)
    crewed = np.flatnonzero(s.families.crew_per_unit > 0)
    slot = np.full(n_fam, -1, dtype=np.int64)
    slot[crewed] = np.arange(crewed.shape[0])
    f_rows, week = np.divmod(np.arange(crewed.shape[0] * horizon, dtype=np.int64), horizon)
    rows = lp.add_rows(
        "Crew-ready",
        (crewed[f_rows], week),
        (s.families.codes, "w"),
        upper=s.families.existing_crews[crewed[f_rows]] - s.crews_committed()[crewed[f_rows], week],
    )
    c = np.flatnonzero(slot[fam] >= 0)
    lengths = horizon - w[c]
    col = np.repeat(c, lengths)
    offs = np.arange(int(lengths.sum())) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    lp.add_entries(
        rows[slot[fam[col]] * horizon + w[col] + offs], flow[col], s.families.crew_per_unit[fam[col]]
    )
    n_courses = len(s.courses.ids)
    seats = lp.add_columns(
        "Seats", (np.arange(n_courses, dtype=np.int64),), (s.courses.ids,), upper=s.courses.seats
    )
    ready = s.course_ready_week
    useful = (
        np.flatnonzero((slot[s.courses.family] >= 0) & (ready < horizon))
        if n_courses
        else np.zeros(0, np.int64)
    )
    lengths = horizon - ready[useful]
    course = np.repeat(useful, lengths)
    offs = np.arange(int(lengths.sum())) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    lp.add_entries(rows[slot[s.courses.family[course]] * horizon + ready[course] + offs], seats[course], -1.0)


def define_direct_families(s: Scenario, lp: LinearProgram) -> None:
    """Introduce[f] with one big-M row per new family (the textbook way)."""
    o = lp.col_blocks["Flow"].keys[0]
    flow = lp.columns("Flow")
    fam = s.items.family[s.offers.item[o]]
    new = ~s.families.in_service[fam]
    families = np.unique(fam[new])
    intro = lp.add_columns("Introduce", (families,), (s.families.codes,), upper=1.0, integer=True)
    rows = lp.add_rows("Family-link", (families,), (s.families.codes,), upper=0.0)
    slot = np.full(len(s.families.codes), -1, dtype=np.int64)
    slot[families] = np.arange(families.shape[0])
    lp.add_entries(rows[slot[fam[new]]], flow[new], 1.0)
    supply = np.zeros(len(s.families.codes))
    np.add.at(supply, s.items.family[s.offers.item], usable_quantity(s))
    lp.add_entries(rows, intro, -supply[families])
    lp.col_cost = np.zeros(lp.n_cols)
    lp.col_cost[flow] = lp.data["flow_value"]
    lp.col_cost[intro] = -s.families.cost[families]


DIRECT_DEFINES: list[Callable[[Scenario, LinearProgram], None]] = [
    define_flow_variables,
    define_direct_rows,
    define_direct_crews,
    define_direct_families,
]


def build_direct(s: Scenario) -> LinearProgram:
    """The un-reduced model (see `define_flow_variables`)."""
    started = time.perf_counter()
    lp = LinearProgram(reduction=reduce_scenario(s), late="restrict", late_weeks=np.zeros(0, np.int64))
    for define in DIRECT_DEFINES:
        define(s, lp)
    lp.finish()
    lp.build_seconds = time.perf_counter() - started
    return lp
