"""The optimisation model: a scenario as a sparse linear program.

`build` first reduces the scenario (`reduce_scenario`: identical offers and
requirements merged, useless offers dropped, and every index the blocks need
computed up front, in a `Reduction`), then runs the flat, ordered list
`DEFINES` of ``define_<block>(scenario, reduction, lp)`` functions. Each reads
the reduction, appends a block of columns or rows with structured names
(``Hub-capacity[RZE,w12]``) and adds its coefficients as numpy index arrays;
`LinearProgram.finish` turns them into one CSR matrix. Nothing is built per
variable, and no block writes anything another block reads.

The formulation (docs/planning.md has it in full):

- ``Ship[c,h]``: units of offer class c sent through hub h; they reach the
  queue of (hub, item, earmark) in the class's earliest arrival week there.
- ``Release[q,w]`` / ``Wait[q,w]``: units of a queue arriving in week w, and
  units still waiting before the hub after week w. Waiting before the hub is
  how arrivals are delayed past the earliest week (for hub capacity or crews).
- ``Stock[g,w]``: arrived units of a pool (family, earmark, `each` or not) not
  yet counted against a requirement by week w.
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

Every column has a finite upper bound (implied by the supply that can reach
it), so any vector of row prices gives a bound (`nsatu.planner.bounds`). Every
column and row belongs to one capability (``col_capability``,
``row_capability``) except the hub rows (-1), which alone couple capabilities.
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
COUPLING = -1  # the capability of rows that involve several capabilities (hub capacity)


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

    @property
    def indices(self) -> IntArray:
        return np.arange(self.start, self.start + self.size, dtype=np.int64)


# ----------------------------------------------------------------------------
# The reduction: every index the blocks need, computed before any block runs


@dataclass(frozen=True)
class OfferClasses:
    """Offers with the same item, earmark and earliest week through every hub."""

    of_offer: IntArray  # per offer: its class, -1 when it can serve nothing
    item: IntArray
    earmark: IntArray  # original requirement position, -1 none
    quantity: FloatArray
    first_offer: IntArray
    earliest: IntArray  # classes x hubs, horizon = no route


@dataclass(frozen=True)
class RequirementGroups:
    """Requirements with the same allowed families, priority, quantity and due week."""

    of_requirement: IntArray  # per requirement: its group
    quantity: FloatArray
    unit_value: FloatArray  # w / quantity of one member
    due: IntArray  # due week, capped at horizon - 1
    first_requirement: IntArray
    family_ok: BoolArray  # groups x families


@dataclass(frozen=True)
class Shipments:
    """The (class, hub) pairs with a route: the ``Ship`` columns."""

    klass: IntArray
    hub: IntArray
    week: IntArray  # the class's earliest arrival through the hub
    queue: IntArray


@dataclass(frozen=True)
class Queues:
    """Units waiting before a hub: one queue per (hub, item, earmark)."""

    hub: IntArray
    item: IntArray
    earmark: IntArray  # requirement position, -1 none
    pool: IntArray
    first_week: IntArray  # the first week a shipment enters it
    start: IntArray  # offset of its first week in the weekly columns (and the end appended)
    supply: FloatArray  # the most units that can ever enter it
    label: list[str]


@dataclass(frozen=True)
class Pools:
    """Arrived units counted against requirements: one pool per (donor, family, earmark group, each).

    The donor is -1 unless the model is built for robust mode; ``each`` keeps
    whole and real quantities apart, so a pool's units are all of one kind."""

    family: IntArray
    earmark_group: IntArray  # -1 none
    donor: IntArray  # nation position, -1 when pools are not split by donor
    is_each: BoolArray
    first_week: IntArray
    start: IntArray  # offset of its first week in the weekly columns (and the end appended)
    supply: FloatArray
    label: list[str]


@dataclass(frozen=True)
class Assignments:
    """The ``Assign`` columns: (pool, group, breakpoint week), their attach week and unit value."""

    pool: IntArray
    group: IntArray
    week: IntArray
    attach: IntArray
    value: FloatArray
    # whole `each` units counted for a group that real units (or a fractional quantity) share:
    # the only Assign columns whose integrality the network structure does not give for free
    integer: BoolArray


@dataclass(frozen=True)
class CrewRows:
    """Crewed families that can receive units: their first week and weekly offsets."""

    family: IntArray
    first_week: IntArray
    start: IntArray  # offsets of their weeks (and the end appended)
    slot: IntArray  # per family: its position among the crewed ones, -1 when none


@dataclass(frozen=True)
class Reduction:
    """The scenario after exact reductions, as index arrays the blocks share."""

    horizon: int
    half_life: float
    late: LateMode
    late_weeks: IntArray  # lateness values used as breakpoints
    classes: OfferClasses
    groups: RequirementGroups
    ships: Shipments
    queues: Queues
    pools: Pools
    assigns: Assignments
    crews: CrewRows
    family_supply: FloatArray  # per family: the most units that can ever arrive (see `family_supply_cap`)
    family_capability: IntArray
    group_capability: IntArray
    class_capability: IntArray


@dataclass
class LinearProgram:
    """max cost @ x  s.t.  row_lower <= A x <= row_upper, col_lower <= x <= col_upper."""

    reduction: Reduction
    col_cost: FloatArray = field(default_factory=lambda: np.zeros(0))
    col_lower: FloatArray = field(default_factory=lambda: np.zeros(0))
    col_upper: FloatArray = field(default_factory=lambda: np.zeros(0))
    col_integer: BoolArray = field(default_factory=lambda: np.zeros(0, bool))
    row_lower: FloatArray = field(default_factory=lambda: np.zeros(0))
    row_upper: FloatArray = field(default_factory=lambda: np.zeros(0))
    matrix: sp.csr_matrix = field(default_factory=lambda: sp.csr_matrix((0, 0)))
    col_blocks: dict[str, Block] = field(default_factory=dict)
    row_blocks: dict[str, Block] = field(default_factory=dict)
    # per column and row: the capability it belongs to (COUPLING for hub rows)
    col_capability: IntArray = field(default_factory=lambda: np.zeros(0, np.int64))
    row_capability: IntArray = field(default_factory=lambda: np.zeros(0, np.int64))
    build_seconds: float = 0.0
    _cols: list[tuple[FloatArray, FloatArray, BoolArray, IntArray]] = field(default_factory=list)
    _rows: list[tuple[FloatArray, FloatArray, IntArray]] = field(default_factory=list)
    _entries: list[tuple[IntArray, IntArray, FloatArray]] = field(default_factory=list)
    _n_cols: int = 0
    _n_rows: int = 0

    @property
    def n_cols(self) -> int:
        return self._n_cols

    @property
    def n_rows(self) -> int:
        return self._n_rows

    @property
    def late(self) -> LateMode:
        return self.reduction.late

    def add_columns(
        self,
        name: str,
        keys: tuple[IntArray, ...],
        renderers: tuple[Renderer, ...],
        *,
        upper: FloatArray | float,
        capability: IntArray,
        lower: FloatArray | float = 0.0,
        integer: BoolArray | bool = False,
    ) -> IntArray:
        """Append a block of columns (cost 0 until `define_objective`); return their indices."""
        size = int(keys[0].shape[0])
        self._cols.append(
            (
                _filled(lower, size, np.float64),
                _filled(upper, size, np.float64),
                _filled(integer, size, bool),
                _filled(capability, size, np.int64),
            )
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
        capability: IntArray | int,
        lower: FloatArray | float = -np.inf,
        upper: FloatArray | float = np.inf,
    ) -> IntArray:
        """Append a block of rows; return their indices."""
        size = int(keys[0].shape[0])
        self._rows.append(
            (
                _filled(lower, size, np.float64),
                _filled(upper, size, np.float64),
                _filled(capability, size, np.int64),
            )
        )
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
        return self.col_blocks[name].indices

    def rows(self, name: str) -> IntArray:
        return self.row_blocks[name].indices

    def finish(self) -> None:
        """Concatenate the blocks into arrays and the CSR matrix."""
        if self._cols:
            self.col_lower = np.concatenate([c[0] for c in self._cols])
            self.col_upper = np.concatenate([c[1] for c in self._cols])
            self.col_integer = np.concatenate([c[2] for c in self._cols])
            self.col_capability = np.concatenate([c[3] for c in self._cols])
        if self.col_cost.shape[0] != self._n_cols:
            self.col_cost = np.zeros(self._n_cols)
        if self._rows:
            self.row_lower = np.concatenate([r[0] for r in self._rows])
            self.row_upper = np.concatenate([r[1] for r in self._rows])
            self.row_capability = np.concatenate([r[2] for r in self._rows])
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
    n_offers, n_hubs = len(s.offers), len(s.hubs)
    lead = np.full((len(s.nations), n_hubs), -1, dtype=np.int64)
    if len(s.routes):
        order = np.argsort(-s.routes.lead_days, kind="stable")  # the shortest duplicate wins
        lead[s.routes.donor[order], s.routes.hub[order]] = s.routes.lead_days[order]
    offer_lead = lead[s.offers.donor] if n_offers else np.zeros((0, n_hubs), np.int64)
    days = s.offer_available_day[:, None] + offer_lead
    weeks = np.maximum(days // 7, 0)
    return np.where(offer_lead >= 0, np.minimum(weeks, s.horizon_weeks), s.horizon_weeks)


def usable_quantity(s: Scenario) -> FloatArray:
    """Offer quantity that can ever be allocated: 0 when withdrawn, whole units for `each`."""
    each = s.items.is_each[s.offers.item] if len(s.offers) else np.zeros(0, bool)
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


def _grid(first: IntArray, horizon: int) -> tuple[IntArray, IntArray, IntArray]:
    """Flatten (entity, week) for weeks first[e] .. horizon-1: (start offsets with the end
    appended, entity, week)."""
    lengths = np.maximum(horizon - first, 0)
    start = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    entity = np.repeat(np.arange(first.shape[0], dtype=np.int64), lengths)
    week = np.arange(int(start[-1]), dtype=np.int64) - start[entity] + first[entity]
    return start, entity, week


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


def _requirement_groups(s: Scenario) -> RequirementGroups:
    """Requirements grouped; earmark targets stay alone so earmarks keep their meaning."""
    horizon = s.horizon_weeks
    n_req, n_fam = len(s.requirements), len(s.families)
    ok = s.requirements.family_ok.reshape(n_req, n_fam)
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
        first, group = unique_rows(key)
    else:
        first, group = np.zeros(0, np.int64), np.zeros(0, np.int64)
    n_groups = first.shape[0]
    return RequirementGroups(
        of_requirement=group,
        quantity=np.bincount(group, weights=quantity, minlength=n_groups).astype(np.float64),
        unit_value=s.requirements.weight[first] / quantity[first],
        due=due[first],
        first_requirement=first.astype(np.int64),
        family_ok=ok[first],
    )


def _offer_classes(s: Scenario) -> OfferClasses:
    """Offers merged into classes; offers that can serve nothing dropped (class -1)."""
    horizon = s.horizon_weeks
    n_req, n_fam, n_off = len(s.requirements), len(s.families), len(s.offers)
    ok = s.requirements.family_ok.reshape(n_req, n_fam)
    earliest = earliest_weeks(s)
    usable = usable_quantity(s)
    fam = s.items.family[s.offers.item] if n_off else np.zeros(0, np.int64)
    family_useful = np.asarray(ok.any(axis=0), dtype=bool) if n_req else np.zeros(n_fam, bool)
    earmark = s.offers.earmark
    earmark_ok: BoolArray = ok[np.maximum(earmark, 0), fam] if n_req else np.zeros(n_off, bool)
    serves = np.where(earmark >= 0, earmark_ok, family_useful[fam])
    keep = (usable > 0) & serves & (earliest < horizon).any(axis=1)
    of_offer = np.full(n_off, -1, dtype=np.int64)
    if keep.any():
        kept = np.flatnonzero(keep)
        first, inverse = unique_rows(np.column_stack([s.offers.item[kept], earmark[kept], earliest[kept]]))
        of_offer[kept] = inverse
        first_offer = kept[first]
        quantity = np.bincount(inverse, weights=usable[kept], minlength=first.shape[0]).astype(np.float64)
    else:
        first_offer = np.zeros(0, np.int64)
        quantity = np.zeros(0)
    return OfferClasses(
        of_offer=of_offer,
        item=s.offers.item[first_offer],
        earmark=earmark[first_offer],
        quantity=quantity,
        first_offer=first_offer,
        earliest=earliest[first_offer],
    )


def _shipments_and_queues(
    s: Scenario, classes: OfferClasses, groups: RequirementGroups, item_donor: IntArray | None
) -> tuple[Shipments, Queues, Pools]:
    """Ship columns per (class, hub) with a route; queues per (hub, item, earmark); pools per
    (donor, family, earmark group, each)."""
    horizon = s.horizon_weeks
    n_items, n_req, n_fam = len(s.items), len(s.requirements), len(s.families)
    n_classes = classes.quantity.shape[0]
    cls, hub = (
        a.astype(np.int64) for a in np.nonzero(classes.earliest.reshape(n_classes, len(s.hubs)) < horizon)
    )
    week = classes.earliest[cls, hub].astype(np.int64)
    earmark = classes.earmark[cls]
    key = (hub * n_items + classes.item[cls]) * (n_req + 1) + (earmark + 1)
    uniq, ship_queue = np.unique(key, return_inverse=True)
    ship_queue = ship_queue.reshape(-1).astype(np.int64)
    n_queues = uniq.shape[0]
    q_hub = (uniq // (n_req + 1)) // max(n_items, 1)
    q_item = (uniq // (n_req + 1)) % max(n_items, 1)
    q_earmark = uniq % (n_req + 1) - 1
    q_first = np.full(n_queues, horizon, dtype=np.int64)
    np.minimum.at(q_first, ship_queue, week)
    q_supply = np.zeros(n_queues)
    np.add.at(q_supply, ship_queue, classes.quantity[cls])
    q_start, _, _ = _grid(q_first, horizon)

    fam = s.items.family[q_item]
    each = s.items.is_each[q_item]
    donor = item_donor[q_item] if item_donor is not None else np.full(n_queues, -1, np.int64)
    em_group = np.where(q_earmark >= 0, groups.of_requirement[np.maximum(q_earmark, 0)], -1)
    n_groups = groups.quantity.shape[0]
    pool_key = (((donor + 1) * n_fam + fam) * (n_groups + 1) + (em_group + 1)) * 2 + each.astype(np.int64)
    puniq, q_pool = np.unique(pool_key, return_inverse=True)
    q_pool = q_pool.reshape(-1).astype(np.int64)
    p_each = (puniq % 2).astype(bool)
    rest = puniq // 2
    p_group = rest % (n_groups + 1) - 1
    rest = rest // (n_groups + 1)
    p_family = rest % max(n_fam, 1)
    p_donor = rest // max(n_fam, 1) - 1
    p_first = np.full(puniq.shape[0], horizon, dtype=np.int64)
    np.minimum.at(p_first, q_pool, q_first)
    p_supply = np.zeros(puniq.shape[0])
    np.add.at(p_supply, q_pool, q_supply)
    p_start, _, _ = _grid(p_first, horizon)
    # a family with items of both kinds has two pools: the label tells them apart
    fam_kinds = np.zeros((n_fam, 2), bool)
    fam_kinds[p_family, p_each.astype(np.int64)] = True
    mixed: BoolArray = np.asarray(fam_kinds.all(axis=1), dtype=bool)
    queue_label = [
        f"{s.hubs.codes[h]}:{s.items.codes[i]}" + (f">{s.requirements.ids[e]}" if e >= 0 else "")
        for h, i, e in zip(q_hub, q_item, q_earmark, strict=True)
    ]
    pool_label = [
        (f"{s.nations.codes[d]}:" if d >= 0 else "")
        + s.families.codes[f]
        + ("" if not mixed[f] else (":each" if e else ":real"))
        + (f">{s.requirements.ids[groups.first_requirement[g]]}" if g >= 0 else "")
        for d, f, g, e in zip(p_donor, p_family, p_group, p_each, strict=True)
    ]
    ships = Shipments(klass=cls, hub=hub, week=week, queue=ship_queue)
    queues = Queues(q_hub, q_item, q_earmark, q_pool, q_first, q_start, q_supply, queue_label)
    pools = Pools(p_family, p_group, p_donor, p_each, p_first, p_start, p_supply, pool_label)
    return ships, queues, pools


def _assignments(
    groups: RequirementGroups,
    pools: Pools,
    late: LateMode,
    lateness: IntArray,
    horizon: int,
    half_life: float,
) -> Assignments:
    """Assign columns: per (pool, group) pair that may meet, an on-time column and the late breakpoints."""
    n_pools = pools.family.shape[0]
    general = pools.earmark_group < 0
    ok = groups.family_ok[:, pools.family] if n_pools else np.zeros((0, 0), bool)
    pg, pp = np.nonzero(ok & general[None, :])
    em_pools = np.flatnonzero(~general)
    pair_pool = np.concatenate([pp, em_pools]).astype(np.int64)
    pair_group = np.concatenate([pg, pools.earmark_group[em_pools]]).astype(np.int64)
    first = pools.first_week[pair_pool]
    due = groups.due[pair_group]
    on_time = due >= first  # everything arrived by the due week: one column
    # late breakpoints: due + lateness, never before the pool's first week
    b = np.maximum(due[:, None] + lateness[None, :], first[:, None])
    valid = b < horizon
    nxt = np.concatenate([b[:, 1:], np.full((b.shape[0], 1), horizon)], axis=1)
    valid &= b != nxt  # keep the last of equal (clamped) breakpoints
    nxt = np.where(nxt < horizon, nxt, horizon)
    attach = nxt - 1 if late == "relax" else b
    # slot 0 is the on-time column, then the late ones: row-major order is (pair, week)
    weeks = np.concatenate([due[:, None], b], axis=1)
    attaches = np.concatenate([due[:, None], attach], axis=1)
    col_pair, slot = np.nonzero(np.concatenate([on_time[:, None], valid], axis=1))
    col_week = weeks[col_pair, slot]
    group = pair_group[col_pair]
    pool = pair_pool[col_pair]
    return Assignments(
        pool=pool,
        group=group,
        week=col_week,
        attach=attaches[col_pair, slot],
        value=value_at(groups.unit_value[group], groups.due[group], col_week, half_life),
        integer=pools.is_each[pool] & mixed_groups(groups, pools, pair_pool, pair_group)[group],
    )


def mixed_groups(
    groups: RequirementGroups, pools: Pools, pair_pool: IntArray, pair_group: IntArray
) -> BoolArray:
    """Per requirement group: whole units of `each` pools share it with real units (of a pool
    counted in kg, say) or with a fractional quantity, so that counting them in whole numbers
    is a constraint of its own."""
    n_groups = groups.quantity.shape[0]
    whole, real = np.zeros(n_groups, bool), np.zeros(n_groups, bool)
    each = pools.is_each[pair_pool]
    whole[pair_group[each]] = True
    real[pair_group[~each]] = True
    fractional = np.abs(groups.quantity - np.round(groups.quantity)) > 1e-9
    return np.asarray(whole & (real | fractional), dtype=bool)


def family_supply_cap(s: Scenario, classes: OfferClasses) -> FloatArray:
    """Per family, the most units that can ever arrive: offered, and crewed by the horizon.

    The crew cap is whole only when every item type of the family is `each`: items
    counted in real units may use the fraction of a crew that is left."""
    n_fam = len(s.families)
    supply = np.zeros(n_fam)
    np.add.at(supply, s.items.family[classes.item], classes.quantity)
    crews = s.families.existing_crews.astype(np.float64).copy()
    if len(s.courses):
        in_time = s.course_ready_week < s.horizon_weeks
        np.add.at(crews, s.courses.family[in_time], s.courses.seats[in_time])
    if s.horizon_weeks > 0:
        crews -= s.crews_committed()[:, -1]  # rule 7 in the last week bounds every unit
    crew = s.families.crew_per_unit
    all_each = np.ones(n_fam, bool)
    np.logical_and.at(all_each, s.items.family, s.items.is_each)
    with np.errstate(divide="ignore", invalid="ignore"):
        cap = np.where(crew > 0, np.maximum(crews, 0.0) / np.where(crew > 0, crew, 1.0), np.inf)
    cap = np.where(all_each & np.isfinite(cap), np.floor(cap + 1e-9), cap)
    return np.asarray(np.minimum(supply, cap), dtype=np.float64)


def reduce_scenario(
    s: Scenario,
    *,
    late: LateMode = "relax",
    exact_late_weeks: int = 26,
    item_donor: IntArray | None = None,
) -> Reduction:
    """Merge identical offers and requirements, drop offers that can serve nothing, and lay
    out every index the blocks use. ``item_donor`` (robust mode) keys the pools by the donor
    of each item type too."""
    horizon = s.horizon_weeks
    groups = _requirement_groups(s)
    classes = _offer_classes(s)
    ships, queues, pools = _shipments_and_queues(s, classes, groups, item_donor)
    lateness = late_breakpoints(horizon, exact_late_weeks)
    half_life = float(s.lateness_half_life_weeks)
    assigns = _assignments(groups, pools, late, lateness, horizon, half_life)
    # crewed families that can receive anything
    n_fam = len(s.families)
    fam_first = np.full(n_fam, horizon, dtype=np.int64)
    np.minimum.at(fam_first, pools.family, pools.first_week)
    crewed = np.flatnonzero((s.families.crew_per_unit > 0) & (fam_first < horizon))
    crew_first = fam_first[crewed]
    crew_start, _, _ = _grid(crew_first, horizon)
    slot = np.full(n_fam, -1, dtype=np.int64)
    slot[crewed] = np.arange(crewed.shape[0])
    family_capability = s.families.capability.astype(np.int64)
    return Reduction(
        horizon=horizon,
        half_life=half_life,
        late=late,
        late_weeks=lateness,
        classes=classes,
        groups=groups,
        ships=ships,
        queues=queues,
        pools=pools,
        assigns=assigns,
        crews=CrewRows(crewed, crew_first, crew_start, slot),
        family_supply=family_supply_cap(s, classes),
        family_capability=family_capability,
        group_capability=s.requirements.capability[groups.first_requirement].astype(np.int64),
        class_capability=family_capability[s.items.family[classes.item]],
    )


# ----------------------------------------------------------------------------
# The blocks, in order


def define_shipments(s: Scenario, red: Reduction, lp: LinearProgram) -> None:
    """Ship[c,h] per offer class and hub with a route; Offer-supply[c] caps each class."""
    classes, ships = red.classes, red.ships
    class_label = [s.offers.ids[o] for o in classes.first_offer]
    cols = lp.add_columns(
        "Ship",
        (ships.klass, ships.hub),
        (class_label, s.hubs.codes),
        upper=classes.quantity[ships.klass],
        capability=red.class_capability[ships.klass],
    )
    n_classes = classes.quantity.shape[0]
    rows = lp.add_rows(
        "Offer-supply",
        (np.arange(n_classes, dtype=np.int64),),
        (class_label,),
        upper=classes.quantity,
        capability=red.class_capability,
    )
    lp.add_entries(rows[ships.klass], cols, 1.0)


def _queue_capability(s: Scenario, red: Reduction) -> IntArray:
    return red.family_capability[s.items.family[red.queues.item]]


def define_hub_queues(s: Scenario, red: Reduction, lp: LinearProgram) -> None:
    """Per (hub, item, earmark) queue: Release[q,w] arrives in week w, Wait[q,w] waits on."""
    queues, ships = red.queues, red.ships
    _, q, week = _grid(queues.first_week, red.horizon)
    capability = _queue_capability(s, red)[q]
    supply = queues.supply[q]
    each = s.items.is_each[queues.item[q]]
    release = lp.add_columns(
        "Release", (q, week), (queues.label, "w"), upper=supply, integer=each, capability=capability
    )
    wait = lp.add_columns("Wait", (q, week), (queues.label, "w"), upper=supply, capability=capability)
    rows = lp.add_rows(
        "Queue-balance", (q, week), (queues.label, "w"), lower=0.0, upper=0.0, capability=capability
    )
    # a shipment enters its queue in its week; a release leaves; waiting carries to the next week
    ship_rows = rows[queues.start[ships.queue] + ships.week - queues.first_week[ships.queue]]
    lp.add_entries(ship_rows, lp.columns("Ship"), 1.0)
    lp.add_entries(rows, release, -1.0)
    lp.add_entries(rows, wait, -1.0)
    carried = week > queues.first_week[q]
    lp.add_entries(rows[carried], wait[np.flatnonzero(carried) - 1], 1.0)


def define_hub_capacity(s: Scenario, red: Reduction, lp: LinearProgram) -> None:
    """Hub-capacity[h,w]: tonnes arriving through a hub in a week (the rows that couple capabilities)."""
    horizon = red.horizon
    q, week = lp.col_blocks["Release"].keys
    mass = s.items.mass_t[red.queues.item[q]]
    hub = red.queues.hub[q]
    heavy = mass > 0
    key = hub[heavy] * horizon + week[heavy]
    uniq, inverse = np.unique(key, return_inverse=True)
    rows = lp.add_rows(
        "Hub-capacity",
        (uniq // horizon, uniq % horizon),
        (s.hubs.codes, "w"),
        upper=s.hub_week_capacity()[uniq // horizon, uniq % horizon],
        capability=COUPLING,
    )
    lp.add_entries(rows[inverse.reshape(-1)], lp.columns("Release")[heavy], mass[heavy])


def define_family_pools(s: Scenario, red: Reduction, lp: LinearProgram) -> None:
    """Stock[g,w]: units of pool g arrived and not yet counted; Pool-balance[g,w]."""
    pools = red.pools
    _, g, week = _grid(pools.first_week, red.horizon)
    capability = red.family_capability[pools.family[g]]
    stock = lp.add_columns(
        "Stock", (g, week), (pools.label, "w"), upper=pools.supply[g], capability=capability
    )
    rows = lp.add_rows(
        "Pool-balance", (g, week), (pools.label, "w"), lower=0.0, upper=0.0, capability=capability
    )
    q, qweek = lp.col_blocks["Release"].keys
    qpool = red.queues.pool[q]
    lp.add_entries(rows[pools.start[qpool] + qweek - pools.first_week[qpool]], lp.columns("Release"), 1.0)
    lp.add_entries(rows, stock, -1.0)
    carried = week > pools.first_week[g]
    lp.add_entries(rows[carried], stock[np.flatnonzero(carried) - 1], 1.0)


def define_assignments(s: Scenario, red: Reduction, lp: LinearProgram) -> None:
    """Assign[g,r,b]: pool units counted for a requirement group at breakpoint week b."""
    a, pools = red.assigns, red.pools
    group_label = [s.requirements.ids[r] for r in red.groups.first_requirement]
    cols = lp.add_columns(
        "Assign",
        (a.pool, a.group, a.week),
        (pools.label, group_label, "w"),
        upper=np.minimum(red.groups.quantity[a.group], pools.supply[a.pool]),
        integer=a.integer,
        capability=red.group_capability[a.group],
    )
    rows = lp.row_blocks["Pool-balance"].start + pools.start[a.pool] + a.attach - pools.first_week[a.pool]
    lp.add_entries(rows, cols, -1.0)


def define_requirement_quantity(s: Scenario, red: Reduction, lp: LinearProgram) -> None:
    """Requirement-quantity[r]: units counted for a group <= its quantity."""
    groups = red.groups
    n_groups = groups.quantity.shape[0]
    rows = lp.add_rows(
        "Requirement-quantity",
        (np.arange(n_groups, dtype=np.int64),),
        ([s.requirements.ids[r] for r in groups.first_requirement],),
        upper=groups.quantity,
        capability=red.group_capability,
    )
    lp.add_entries(rows[red.assigns.group], lp.columns("Assign"), 1.0)


def define_crew_readiness(s: Scenario, red: Reduction, lp: LinearProgram) -> None:
    """Rule 7: Arrived[f,w] cumulative units of a crewed family; Crew-ready[f,w];
    Seats[s] per course (0..seats)."""
    horizon, crews = red.horizon, red.crews
    crew = s.families.crew_per_unit
    _, fi, week = _grid(crews.first_week, horizon)
    fam = crews.family[fi]
    capability = red.family_capability[fam]
    supply = np.zeros(len(s.families))
    np.add.at(supply, red.pools.family, red.pools.supply)
    arrived = lp.add_columns(
        "Arrived", (fam, week), (s.families.codes, "w"), upper=supply[fam], capability=capability
    )
    count_rows = lp.add_rows(
        "Crew-count", (fam, week), (s.families.codes, "w"), lower=0.0, upper=0.0, capability=capability
    )
    ready_rows = lp.add_rows(
        "Crew-ready",
        (fam, week),
        (s.families.codes, "w"),
        upper=s.families.existing_crews[fam] - s.crews_committed()[fam, week],
        capability=capability,
    )
    # Arrived[w] - Arrived[w-1] - releases of the family in w = 0
    lp.add_entries(count_rows, arrived, 1.0)
    carried = week > crews.first_week[fi]
    lp.add_entries(count_rows[carried], arrived[np.flatnonzero(carried) - 1], -1.0)
    q, qweek = lp.col_blocks["Release"].keys
    qslot = crews.slot[s.items.family[red.queues.item[q]]]
    crewed_release = qslot >= 0
    qslot = qslot[crewed_release]
    lp.add_entries(
        count_rows[crews.start[qslot] + qweek[crewed_release] - crews.first_week[qslot]],
        lp.columns("Release")[crewed_release],
        -1.0,
    )
    # crew_per_unit * Arrived[w] - seats of courses ready by w <= existing crews
    lp.add_entries(ready_rows, arrived, crew[fam])
    n_courses = len(s.courses)
    seats = lp.add_columns(
        "Seats",
        (np.arange(n_courses, dtype=np.int64),),
        (s.courses.ids,),
        upper=s.courses.seats,
        capability=red.family_capability[s.courses.family] if n_courses else np.zeros(0, np.int64),
    )
    if n_courses and crews.family.size:
        ready = s.course_ready_week
        cslot = crews.slot[s.courses.family]
        useful = np.flatnonzero(cslot >= 0)
        first = crews.first_week[cslot[useful]]
        # a course counts from max(ready week, the family's first row) to the horizon
        lengths = np.where(ready[useful] < horizon, horizon - np.maximum(ready[useful], first), 0)
        course = np.repeat(useful, lengths)
        offs = np.arange(int(lengths.sum())) - np.repeat(np.cumsum(lengths) - lengths, lengths)
        c_first = crews.first_week[cslot[course]]
        row_week = np.maximum(ready[course], c_first) + offs
        lp.add_entries(ready_rows[crews.start[cslot[course]] + row_week - c_first], seats[course], -1.0)


def define_family_introduction(s: Scenario, red: Reduction, lp: LinearProgram) -> None:
    """Introduce[f] binary for not-in-service families; Family-link[f,r]: no units without it."""
    a = red.assigns
    fam = red.pools.family[a.pool]
    new = ~s.families.in_service[fam]
    n_fam = len(s.families)
    families = np.unique(fam[new])
    intro = lp.add_columns(
        "Introduce",
        (families,),
        (s.families.codes,),
        upper=1.0,
        integer=True,
        capability=red.family_capability[families],
    )
    slot = np.full(n_fam, -1, dtype=np.int64)
    slot[families] = np.arange(families.shape[0])
    n_groups = red.groups.quantity.shape[0]
    key = fam[new] * n_groups + a.group[new]
    uniq, inverse = np.unique(key, return_inverse=True)
    link_fam, link_group = uniq // max(n_groups, 1), uniq % max(n_groups, 1)
    rows = lp.add_rows(
        "Family-link",
        (link_fam, link_group),
        (s.families.codes, [s.requirements.ids[r] for r in red.groups.first_requirement]),
        upper=0.0,
        capability=red.family_capability[link_fam],
    )
    assign = lp.columns("Assign")
    lp.add_entries(rows[inverse.reshape(-1)], assign[new], 1.0)
    supply = red.family_supply
    lp.add_entries(
        rows, intro[slot[link_fam]], -np.minimum(red.groups.quantity[link_group], supply[link_fam])
    )
    # the family as a whole: with per-requirement links, this keeps the LP from
    # introducing a family by small fractions spread over many requirements
    demand = np.zeros(n_fam)
    np.add.at(demand, link_fam, red.groups.quantity[link_group])
    total = lp.add_rows(
        "Family-total",
        (families,),
        (s.families.codes,),
        upper=0.0,
        capability=red.family_capability[families],
    )
    lp.add_entries(total[slot[fam[new]]], assign[new], 1.0)
    lp.add_entries(total, intro, -np.minimum(supply[families], demand[families]))


def define_objective(s: Scenario, red: Reduction, lp: LinearProgram) -> None:
    """Value of counted units minus the cost of introduced families."""
    lp.col_cost = np.zeros(lp.n_cols)
    lp.col_cost[lp.columns("Assign")] = red.assigns.value
    intro = lp.col_blocks["Introduce"]
    lp.col_cost[intro.indices] = -s.families.cost[intro.keys[0]]


Define = Callable[[Scenario, Reduction, LinearProgram], None]

DEFINES: list[Define] = [
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


def build(
    s: Scenario,
    *,
    late: LateMode = "relax",
    exact_late_weeks: int = 26,
    item_donor: IntArray | None = None,
) -> LinearProgram:
    """The model of a scenario (see the module docstring)."""
    started = time.perf_counter()
    red = reduce_scenario(s, late=late, exact_late_weeks=exact_late_weeks, item_donor=item_donor)
    lp = LinearProgram(reduction=red)
    for define in DEFINES:
        define(s, red, lp)
    lp.finish()
    lp.build_seconds = time.perf_counter() - started
    return lp


# ----------------------------------------------------------------------------
# The direct model: one column per (offer, requirement, hub, arrival week), no
# reduction. Exact and small only for small scenarios; the tests and the
# benchmark compare optima and bounds against it.


@dataclass
class DirectModel:
    """The direct model's program and the keys of its Flow columns."""

    lp: LinearProgram
    offer: IntArray
    requirement: IntArray
    hub: IntArray
    week: IntArray
    value: FloatArray


def direct_column_count(s: Scenario) -> int:
    """How many Flow columns the direct model would have (to decide whether to build it)."""
    horizon = s.horizon_weeks
    earliest = earliest_weeks(s)
    fam = s.items.family[s.offers.item]
    ok = s.requirements.family_ok[:, fam].T
    has_em = s.offers.earmark >= 0
    ok[has_em] &= np.arange(len(s.requirements))[None, :] == s.offers.earmark[has_em, None]
    ok &= (usable_quantity(s) > 0)[:, None]
    per_offer = np.maximum(horizon - earliest, 0).sum(axis=1)
    return int((ok.sum(axis=1) * per_offer).sum())


def build_direct(s: Scenario) -> LinearProgram:
    """The un-reduced model, exact over every arrival week: Flow[o,r,h,w] columns, FORMAT.md's
    rules written out row by row (rule 7 for every week), one big-M row per new family."""
    return build_direct_model(s).lp


def build_direct_model(s: Scenario) -> DirectModel:
    """`build_direct` with the keys of its Flow columns, to turn a solution into a plan."""
    started = time.perf_counter()
    horizon = s.horizon_weeks
    red = reduce_scenario(s)
    lp = LinearProgram(reduction=red)
    capability = s.families.capability
    earliest = earliest_weeks(s)
    usable = usable_quantity(s)
    fam = s.items.family[s.offers.item]
    ok = s.requirements.family_ok[:, fam].T  # offers x requirements
    earmark = s.offers.earmark
    has_em = earmark >= 0
    ok[has_em] &= np.arange(len(s.requirements))[None, :] == earmark[has_em, None]
    ok &= (usable > 0)[:, None]
    po, pr = np.nonzero(ok)
    e = earliest[po]  # pairs x hubs
    pi, ph = np.nonzero(e < horizon)
    lengths = horizon - e[pi, ph]
    col_pair_hub = np.repeat(np.arange(pi.shape[0]), lengths)
    offs = np.arange(int(lengths.sum())) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    o = po[pi][col_pair_hub]
    r = pr[pi][col_pair_hub]
    h = ph[col_pair_hub].astype(np.int64)
    w = e[pi, ph][col_pair_hub] + offs
    col_fam = s.items.family[s.offers.item[o]]
    flow = lp.add_columns(
        "Flow",
        (o, r, h, w),
        (s.offers.ids, s.requirements.ids, s.hubs.codes, "w"),
        upper=np.minimum(usable[o], s.requirements.quantity[r]),
        integer=s.items.is_each[s.offers.item[o]],
        capability=capability[col_fam],
    )
    value = value_at(
        s.requirements.weight[r] / s.requirements.quantity[r],
        s.requirement_due_week[r],
        w,
        s.lateness_half_life_weeks,
    )
    n_off, n_req, n_hubs = len(s.offers), len(s.requirements), len(s.hubs)
    rows = lp.add_rows(
        "Offer-supply",
        (np.arange(n_off, dtype=np.int64),),
        (s.offers.ids,),
        upper=usable,
        capability=capability[fam] if n_off else np.zeros(0, np.int64),
    )
    lp.add_entries(rows[o], flow, 1.0)
    rows = lp.add_rows(
        "Requirement-quantity",
        (np.arange(n_req, dtype=np.int64),),
        (s.requirements.ids,),
        upper=s.requirements.quantity,
        capability=s.requirements.capability,
    )
    lp.add_entries(rows[r], flow, 1.0)
    hub, week = np.divmod(np.arange(n_hubs * horizon, dtype=np.int64), horizon)
    rows = lp.add_rows(
        "Hub-capacity",
        (hub, week),
        (s.hubs.codes, "w"),
        upper=s.hub_week_capacity()[hub, week],
        capability=COUPLING,
    )
    lp.add_entries(rows[h * horizon + w], flow, s.items.mass_t[s.offers.item[o]])
    # rule 7 for every week: every flow counts in every crew row from its week on
    n_fam = len(s.families)
    crewed = np.flatnonzero(s.families.crew_per_unit > 0)
    slot = np.full(n_fam, -1, dtype=np.int64)
    slot[crewed] = np.arange(crewed.shape[0])
    f_rows, fweek = np.divmod(np.arange(crewed.shape[0] * horizon, dtype=np.int64), horizon)
    rows = lp.add_rows(
        "Crew-ready",
        (crewed[f_rows], fweek),
        (s.families.codes, "w"),
        upper=s.families.existing_crews[crewed[f_rows]] - s.crews_committed()[crewed[f_rows], fweek],
        capability=capability[crewed[f_rows]],
    )
    c = np.flatnonzero(slot[col_fam] >= 0)
    lengths = horizon - w[c]
    col = np.repeat(c, lengths)
    offs = np.arange(int(lengths.sum())) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    lp.add_entries(
        rows[slot[col_fam[col]] * horizon + w[col] + offs], flow[col], s.families.crew_per_unit[col_fam[col]]
    )
    n_courses = len(s.courses)
    seats = lp.add_columns(
        "Seats",
        (np.arange(n_courses, dtype=np.int64),),
        (s.courses.ids,),
        upper=s.courses.seats,
        capability=capability[s.courses.family] if n_courses else np.zeros(0, np.int64),
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
    # Introduce[f] with one big-M row per new family (the textbook way)
    new = ~s.families.in_service[col_fam]
    families = np.unique(col_fam[new])
    intro = lp.add_columns(
        "Introduce",
        (families,),
        (s.families.codes,),
        upper=1.0,
        integer=True,
        capability=capability[families],
    )
    rows = lp.add_rows(
        "Family-link", (families,), (s.families.codes,), upper=0.0, capability=capability[families]
    )
    fslot = np.full(n_fam, -1, dtype=np.int64)
    fslot[families] = np.arange(families.shape[0])
    lp.add_entries(rows[fslot[col_fam[new]]], flow[new], 1.0)
    supply = np.zeros(n_fam)
    np.add.at(supply, fam, usable)
    lp.add_entries(rows, intro, -supply[families])
    lp.col_cost = np.zeros(lp.n_cols)
    lp.col_cost[flow] = value
    lp.col_cost[intro] = -s.families.cost[families]
    lp.finish()
    lp.build_seconds = time.perf_counter() - started
    return DirectModel(lp, o, r, h, w, value)
