"""The two baselines every plan is shown beside.

- `plan_country`, the status quo: donors act in ISO3 order; each takes its
  offers by availability and sends each to the compatible open requirement
  with the most remaining quantity, ignoring priority and family cost, via its
  fastest route, in the first feasible week.
- `plan_greedy`, a coordinator with a spreadsheet: requirements by (priority,
  needed-by, id), each filled from compatible offers by earliest arrival,
  in-service families first.

Both always return valid plans: hub tonnage per week, crews (rule 7 with every
course seat counted), earmarks, withdrawn offers, whole `each` units and the
horizon are respected. A quantity that does not fit in its first feasible week
goes in the following weeks, in order.
"""

from __future__ import annotations

import time

import numpy as np

from nsatu.planner.metrics import compute_metrics, crew_capacity
from nsatu.planner.plan import Plan
from nsatu.planner.scenario import FloatArray, IntArray, Scenario

_EPS = 1e-9


class _Shipper:
    """Remaining hub tonnage and crew headroom, and the lines placed so far."""

    def __init__(self, s: Scenario) -> None:
        self.s = s
        self.weeks = max(int(s.horizon_weeks), 0)
        self.hub_left = s.hub_week_capacity()
        crew = s.families.crew_per_unit
        capacity = crew_capacity(s, None)
        with np.errstate(divide="ignore", invalid="ignore"):
            # units of the family that may still arrive by each week (cumulative)
            self.headroom = np.where(crew[:, None] > 0, capacity / crew[:, None], np.inf)
        self.crewed = crew > 0
        self.lines: tuple[list[int], list[int], list[int], list[float], list[int]] = ([], [], [], [], [])
        self.offer_family = s.items.family[s.offers.item]
        self.offer_mass = s.items.mass_t[s.offers.item]
        self.offer_each = s.items.is_whole[s.offers.item]
        # earliest arrival week of each route for each offer: computed lazily per offer
        self.available_day = s.offer_available_day

    def family_blocked(self, family: int, each: bool) -> bool:
        """No further unit of the family can arrive in any week (its crews are all taken)."""
        if not self.crewed[family] or self.weeks == 0:
            return False
        return bool(self.headroom[family, -1] < (1.0 - _EPS if each else _EPS))

    def place(self, o: int, r: int, h: int, earliest: int, quantity: float) -> float:
        """Ship up to ``quantity`` of offer o to requirement r through hub h, from week
        ``earliest`` on, as early as hub and crews allow. Returns the quantity placed."""
        first = max(earliest, 0)
        span = self.weeks - first
        if span <= 0 or quantity <= _EPS:
            return 0.0
        family = int(self.offer_family[o])
        mass = float(self.offer_mass[o])
        each = bool(self.offer_each[o])
        if each:
            quantity = float(np.floor(quantity + _EPS))
            if quantity <= 0:
                return 0.0
        hub = self.hub_left[h, first:]
        # weightless items are never held up by a hub
        per_week = np.minimum(np.maximum(hub, 0.0) / mass, quantity) if mass > 0 else np.full(span, quantity)
        if self.crewed[family]:
            # S(a) = min over t >= a of headroom: adding u at week a needs u <= S(a)
            room = np.minimum.accumulate(self.headroom[family, first:][::-1])[::-1]
            room = np.clip(room, 0.0, quantity)
        else:
            room = np.full(span, quantity)
        if each:
            per_week = np.floor(per_week + _EPS)
            room = np.floor(room + _EPS)
        if not per_week.any() or not room.any():
            return 0.0  # the hub is full, or the crews taken, in every remaining week
        if per_week[0] >= quantity and room[0] >= quantity:
            shipped = np.zeros(span)
            shipped[0] = quantity
        else:
            # Earliest-first filling: C(a) = min(q, S(a), C(a-1) + hub(a)), in closed form
            # C(a) = min(q, P(a), P(a) + min_{k<=a}(S(k) - P(k))) with P the cumulative hub room.
            reach = np.cumsum(per_week)
            cumulative = np.minimum(quantity, np.minimum(reach, reach + np.minimum.accumulate(room - reach)))
            shipped = cumulative.copy()
            shipped[1:] -= cumulative[:-1]
            shipped[shipped < _EPS * max(1.0, quantity)] = 0.0
            if each:
                shipped = np.round(shipped)
        weeks = np.flatnonzero(shipped > 0)
        if weeks.size == 0:
            return 0.0
        amounts = shipped[weeks]
        self.hub_left[h, first + weeks] -= amounts * mass
        if self.crewed[family]:
            self.headroom[family, first:] -= np.cumsum(shipped)
        o_list, r_list, h_list, q_list, w_list = self.lines
        for week, amount in zip(weeks.tolist(), amounts.tolist(), strict=True):
            o_list.append(o)
            r_list.append(r)
            h_list.append(h)
            q_list.append(float(amount))
            w_list.append(first + int(week))
        return float(amounts.sum())

    def plan(self, method: str, started: float) -> Plan:
        o, r, h, q, w = self.lines
        plan = Plan(
            method=method,
            status="feasible",
            alloc_offer=np.array(o, dtype=np.int64),
            alloc_requirement=np.array(r, dtype=np.int64),
            alloc_hub=np.array(h, dtype=np.int64),
            alloc_quantity=np.array(q, dtype=np.float64),
            alloc_week=np.array(w, dtype=np.int64),
            seats_used=None,
        )
        plan.solve_seconds = time.perf_counter() - started
        plan.metrics = compute_metrics(self.s, plan)
        return plan


def _routes_by_donor(s: Scenario) -> dict[int, list[tuple[int, int]]]:
    """Per donor, its (lead days, hub) routes, fastest first (ties by hub code)."""
    routes: dict[int, list[tuple[int, int]]] = {}
    for donor, hub, days in zip(
        s.routes.donor.tolist(), s.routes.hub.tolist(), s.routes.lead_days.tolist(), strict=True
    ):
        routes.setdefault(int(donor), []).append((int(days), int(hub)))
    for donor in routes:
        routes[donor].sort(key=lambda route: (route[0], s.hubs.codes[route[1]]))
    return routes


def _arrival_week(available_day: int, lead_days: int) -> int:
    return max(0, (available_day + lead_days) // 7)


def _open_offers(s: Scenario) -> IntArray:
    """Offers that may be allocated at all: not withdrawn, positive quantity."""
    return np.flatnonzero(~s.offers.withdrawn & (s.offers.quantity > 0))


def _compatible_requirements(s: Scenario) -> list[IntArray]:
    """Per family, the requirements it may serve (capability and accepts)."""
    ok = s.requirements.family_ok
    return [np.flatnonzero(ok[:, f]) for f in range(len(s.families.codes))]


def plan_country(s: Scenario) -> Plan:
    """The country-by-country status quo, always a valid plan."""
    started = time.perf_counter()
    ship = _Shipper(s)
    routes = _routes_by_donor(s)
    compatible = _compatible_requirements(s)
    left: FloatArray = s.requirements.quantity.astype(np.float64).copy()
    offers = _open_offers(s)
    available = ship.available_day
    by_donor = sorted(
        offers.tolist(),
        key=lambda o: (s.nations.codes[int(s.offers.donor[o])], int(available[o]), s.offers.ids[o]),
    )
    for o in by_donor:
        donor_routes = routes.get(int(s.offers.donor[o]))
        if not donor_routes:
            continue
        days, hub = donor_routes[0]  # the fastest route
        earliest = _arrival_week(int(available[o]), days)
        family = int(ship.offer_family[o])
        each = bool(ship.offer_each[o])
        if earliest >= ship.weeks or ship.family_blocked(family, each):
            continue
        earmark = int(s.offers.earmark[o])
        candidates = compatible[family]
        if earmark >= 0:
            candidates = candidates[candidates == earmark]
        remaining = float(s.offers.quantity[o])
        while remaining > _EPS and candidates.size:
            room = left[candidates]
            usable = room >= (1.0 - _EPS if each else _EPS)
            if not usable.any():
                break
            pick = int(np.argmax(np.where(usable, room, -np.inf)))  # most remaining; first on ties
            r = int(candidates[pick])
            wanted = min(remaining, float(room[pick]))
            if each:
                wanted = float(np.floor(wanted + _EPS))
            placed = ship.place(o, r, hub, earliest, wanted) if wanted > 0 else 0.0
            remaining -= placed
            left[r] -= placed
            # What did not fit was stopped by the hub or the crews, which no other requirement changes.
            if placed < wanted - _EPS * max(1.0, wanted) or wanted <= 0:
                break
    return ship.plan("country", started)


def plan_greedy(s: Scenario) -> Plan:
    """The coordinator-with-a-spreadsheet baseline, always a valid plan."""
    started = time.perf_counter()
    ship = _Shipper(s)
    routes = _routes_by_donor(s)
    available = ship.available_day
    n_offers = len(s.offers.ids)
    # Per offer: its routes as (earliest week, hub), earliest first; the offer's best arrival.
    offer_routes: list[list[tuple[int, int]]] = [[] for _ in range(n_offers)]
    best = np.full(n_offers, np.iinfo(np.int64).max, dtype=np.int64)
    for o in _open_offers(s).tolist():
        options = [
            (_arrival_week(int(available[o]), days), hub)
            for days, hub in routes.get(int(s.offers.donor[o]), [])
        ]
        options = sorted((w, h) for w, h in options if w < ship.weeks)
        options.sort(key=lambda item: (item[0], s.hubs.codes[item[1]]))
        offer_routes[o] = options
        if options:
            best[o] = options[0][0]
    usable = best < ship.weeks
    offer_left: FloatArray = np.where(usable, s.offers.quantity, 0.0).astype(np.float64)
    # Global offer order: in-service families first, then earliest arrival, then id.
    in_service = s.families.in_service[ship.offer_family]
    id_rank = np.empty(n_offers, dtype=np.int64)
    id_rank[np.argsort(np.array(s.offers.ids, dtype=object), kind="stable")] = np.arange(n_offers)
    order_rank = np.empty(n_offers, dtype=np.int64)
    order_rank[np.lexsort((id_rank, best, ~in_service))] = np.arange(n_offers)

    requirement_order = sorted(
        range(len(s.requirements.ids)),
        key=lambda r: (int(s.requirements.priority[r]), s.requirements.needed_by[r], s.requirements.ids[r]),
    )
    family_ok = s.requirements.family_ok
    earmark = s.offers.earmark
    # Offers of each family, so a requirement looks only at the families it accepts.
    by_family = [np.flatnonzero(usable & (ship.offer_family == f)) for f in range(len(s.families.codes))]
    for r in requirement_order:
        need = float(s.requirements.quantity[r])
        families = np.flatnonzero(family_ok[r])
        if families.size == 0:
            continue
        pool = np.concatenate([by_family[f] for f in families.tolist()])
        candidates = pool[(offer_left[pool] > _EPS) & ((earmark[pool] < 0) | (earmark[pool] == r))]
        if candidates.size == 0:
            continue
        candidates = candidates[np.argsort(order_rank[candidates])]
        for o in candidates.tolist():
            if need <= _EPS * max(1.0, float(s.requirements.quantity[r])):
                break
            each = bool(ship.offer_each[o])
            if ship.family_blocked(int(ship.offer_family[o]), each):
                continue
            wanted = min(float(offer_left[o]), need)
            if each:
                wanted = float(np.floor(wanted + _EPS))
            if wanted <= 0:
                continue
            moved = 0.0
            for week, hub in offer_routes[o]:
                placed = ship.place(o, r, hub, week, wanted)
                wanted -= placed
                offer_left[o] -= placed
                need -= placed
                moved += placed
                if wanted <= _EPS:
                    break
            if moved <= 0.0:
                # Nothing of it fits through any of its routes: hub room and crews only shrink,
                # so nothing ever will; no later requirement needs to try it (a saving, not a change).
                offer_left[o] = 0.0
    return ship.plan("greedy", started)
