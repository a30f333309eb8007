"""Committed aid taken back (audited): suspend or withdraw part or all of an offer's commitments,
a political shift that withdraws everything a donor committed, resuming a suspension, and the
backfill re-plan that fills the hole.

One function works out what an action would do (``plan_offer_decommitment``,
``plan_donor_exit``): which approved lines lose how much, which shipments are
cancelled (planned ones; a part is split off first), which are flagged (on their
way), which stay (planned to leave before a future effective date), and how the
requirements and offers move. The preview pages and API calls show exactly that
plan; ``decommit_offer`` and ``withdraw_donor`` compute it again under lock and
carry it out in one transaction, each change with its ledger event.

Which shipments are taken back: every planned (not dispatched) shipment of the
lines, except, when the effective date is still ahead, those planned to leave
before it (the donor still sends them). A part is taken from the latest
departures first. Dispatched shipments cannot be recalled by a record: they stay
committed and are flagged.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from nsatu.commitments.models import (
    Decommitment,
    DecommitmentKind,
    DecommitmentLine,
    DecommitmentScope,
    DecommitmentState,
)
from nsatu.core.actors import Actor, SystemActor, actor_identity
from nsatu.core.choices import Role
from nsatu.core.ledger import append_event
from nsatu.core.releasability import releasable, sees_everything
from nsatu.core.services import update_record, update_records
from nsatu.core.tables import format_quantity, whole_number_problem
from nsatu.nations.models import Nation
from nsatu.needs.models import Requirement, RequirementStatus
from nsatu.offers.models import Offer, OfferStatus
from nsatu.planning.models import (
    Allocation,
    PlanningSettings,
    PlanRun,
    active_line_quantities,
    committed_by_offer,
    committed_by_requirement,
    held_by_offer,
    quantity_tolerance,
    run_heavy_fields,
    taken_by_offer,
    uncommitted,
)
from nsatu.shipments.choices import IN_TRANSIT_STATES, LegKind, ShipmentState
from nsatu.shipments.models import Shipment


class CommitmentError(Exception):
    """An action on committed aid that cannot be done now; the message says why."""


class CommitmentPermissionError(CommitmentError):
    """The actor may not take back this donor's aid."""


def may_decommit(actor: Any, donor: Nation) -> bool:
    """Coordinators act for any donor; a donor's representative for its own nation only."""
    if isinstance(actor, SystemActor):
        return True
    role = getattr(actor, "role", None)
    return role == Role.COORDINATOR or (role == Role.DONOR and getattr(actor, "nation_id", None) == donor.pk)


def check_may_decommit(actor: Actor, donor: Nation) -> None:
    """Raise ``CommitmentPermissionError`` unless ``may_decommit``."""
    if not may_decommit(actor, donor):
        name, _nation = actor_identity(actor)
        raise CommitmentPermissionError(
            _("%(user)s may not take back committed aid of %(donor)s: only its donor or a coordinator may")
            % {"user": name, "donor": donor.iso3}
        )


# --- what an action does ---------------------------------------------------------------------------


@dataclass
class ShipmentCut:
    """A planned shipment cancelled, all of it or ``quantity`` split off it."""

    shipment: Shipment
    quantity: float

    @property
    def whole(self) -> bool:
        return uncommitted(self.shipment.quantity, self.quantity) == 0


@dataclass
class StatusMove:
    """A requirement or offer whose committed quantity (and perhaps status) the action moves."""

    record: Any
    committed_before: float
    committed_after: float
    status_after: str
    whole: bool = False  # its quantities are counted in whole units

    @property
    def status_after_label(self) -> str:
        field = type(self.record)._meta.get_field("status")
        return str(dict(field.choices or []).get(self.status_after, self.status_after))

    @property
    def code(self) -> str:
        return str(self.record.code)

    @property
    def status_before(self) -> str:
        return str(self.record.status)

    @property
    def moves(self) -> bool:
        return bool(self.status_after != self.record.status)


@dataclass
class DecommitmentPlan:
    """What suspending or withdrawing committed aid would do, computed before anything is written."""

    kind: str
    scope: str
    donor: Nation
    offer: Offer | None
    effective_on: dt.date
    today: dt.date
    line_cuts: dict[int, float] = field(default_factory=dict)  # approved line key -> quantity taken back
    lines: dict[int, Allocation] = field(default_factory=dict)
    cancelled: list[ShipmentCut] = field(default_factory=list)
    flagged: list[Shipment] = field(default_factory=list)
    kept: list[Shipment] = field(default_factory=list)  # planned, leaving before the effective date
    requirements: list[StatusMove] = field(default_factory=list)
    offers: list[StatusMove] = field(default_factory=list)
    rests: dict[int, float] = field(default_factory=dict)  # offer key -> uncommitted rest withdrawn (shift)
    available: float = 0.0  # what could be taken back with this effective date

    @property
    def quantity(self) -> float:
        return float(sum(self.line_cuts.values()))

    @property
    def empty(self) -> bool:
        return not self.line_cuts and not self.rests

    @property
    def whole(self) -> bool:
        """Its quantity is counted in whole units (every line's item is)."""
        if self.offer is not None:
            return bool(self.offer.item_type.is_whole)
        return all(line.offer.item_type.is_whole for line in self.lines.values())

    def summary(self) -> dict[str, Any]:
        """The plan as the ledger event and the API answer record it."""
        return {
            "kind": self.kind,
            "scope": self.scope,
            "donor": self.donor.iso3,
            "offer": self.offer.code if self.offer else None,
            "effective_on": self.effective_on.isoformat(),
            "quantity": self.quantity,
            "lines": [
                {
                    "line": key,
                    "run": self.lines[key].run_id,
                    "offer": self.lines[key].offer.code,
                    "requirement": self.lines[key].requirement.code,
                    "quantity": quantity,
                }
                for key, quantity in sorted(self.line_cuts.items())
            ],
            "cancelled": [
                {"shipment": cut.shipment.code, "quantity": cut.quantity, "whole": cut.whole}
                for cut in self.cancelled
            ],
            "flagged": [s.code for s in self.flagged],
            "kept": [s.code for s in self.kept],
            "requirements": [
                {
                    "requirement": move.code,
                    "committed_before": move.committed_before,
                    "committed_after": move.committed_after,
                    "status_before": move.status_before,
                    "status_after": move.status_after,
                }
                for move in self.requirements
            ],
            "offers": [
                {
                    "offer": move.code,
                    "committed_before": move.committed_before,
                    "committed_after": move.committed_after,
                    "status_before": move.status_before,
                    "status_after": move.status_after,
                    "rest_withdrawn": self.rests.get(move.record.pk, 0.0),
                }
                for move in self.offers
            ],
        }

    def visible_to(self, user: Any) -> DecommitmentPlan:
        """The plan as ``user`` may read it: what names a requirement, offer or shipment the user
        may not open is left out (a donor's offer may serve a command-only requirement)."""
        if sees_everything(user):
            return self
        requirements = _visible_codes(
            Requirement, {line.requirement.code for line in self.lines.values()}, user
        )
        offers = _visible_codes(Offer, {m.code for m in self.offers}, user)
        shipments = _visible_codes(
            Shipment,
            {s.code for s in [*self.flagged, *self.kept, *(c.shipment for c in self.cancelled)]},
            user,
        )
        lines = {
            k: v
            for k, v in self.lines.items()
            if v.requirement.code in requirements and v.offer.code in offers
        }
        return dataclasses.replace(
            self,
            lines=lines,
            line_cuts={k: v for k, v in self.line_cuts.items() if k in lines},
            cancelled=[c for c in self.cancelled if c.shipment.code in shipments],
            flagged=[s for s in self.flagged if s.code in shipments],
            kept=[s for s in self.kept if s.code in shipments],
            requirements=[m for m in self.requirements if m.code in requirements],
            offers=[m for m in self.offers if m.code in offers],
        )


def _visible_codes(model: Any, codes: set[str], user: Any) -> set[str]:
    return set(releasable(model.objects.filter(code__in=codes), user).values_list("code", flat=True))


def visible_record(payload: dict[str, Any], user: Any) -> dict[str, Any]:
    """A decommitment's ledger record (``DecommitmentPlan.summary``) as ``user`` may read it."""
    if sees_everything(user):
        return payload
    lines = payload.get("lines", [])
    cuts = payload.get("cancelled", [])
    requirements = _visible_codes(
        Requirement, {x["requirement"] for x in [*lines, *payload.get("requirements", [])]}, user
    )
    offers = _visible_codes(Offer, {x["offer"] for x in [*lines, *payload.get("offers", [])]}, user)
    shipments = _visible_codes(
        Shipment,
        {*(c["shipment"] for c in cuts), *payload.get("flagged", []), *payload.get("kept", [])},
        user,
    )
    return {
        **payload,
        "lines": [x for x in lines if x["requirement"] in requirements and x["offer"] in offers],
        "cancelled": [c for c in cuts if c["shipment"] in shipments],
        "flagged": [c for c in payload.get("flagged", []) if c in shipments],
        "kept": [c for c in payload.get("kept", []) if c in shipments],
        "requirements": [x for x in payload.get("requirements", []) if x["requirement"] in requirements],
        "offers": [x for x in payload.get("offers", []) if x["offer"] in offers],
    }


def visible_commitments(user: Any) -> QuerySet[Allocation]:
    """Approved lines whose offer and requirement the user may both see."""
    lines = Allocation.objects.filter(run__approved_at__isnull=False)
    if not sees_everything(user):
        lines = lines.filter(
            offer__in=releasable(Offer.objects.all(), user),
            requirement__in=releasable(Requirement.objects.all(), user),
        )
    return lines


def visible_decommitments(user: Any) -> QuerySet[Decommitment]:
    """Decommitments of the user's own nation, or taking back a line the user may see."""
    queryset = Decommitment.objects.select_related("donor", "offer__item_type", "backfill_run").defer(
        *run_heavy_fields("backfill_run")
    )
    if sees_everything(user):
        return queryset
    seen = DecommitmentLine.objects.filter(
        decommitment=OuterRef("pk"), allocation__in=visible_commitments(user)
    )
    own = Q(donor_id=getattr(user, "nation_id", None)) if getattr(user, "nation_id", None) else Q(pk__in=[])
    return queryset.filter(own | Exists(seen))


def planning_horizon() -> tuple[dt.date, dt.date]:
    """The plan's first and last day (its start date and horizon)."""
    current = PlanningSettings.objects.filter(singleton=1).first()
    start = current.start_date if current else PlanningSettings().start_date
    weeks = current.horizon_weeks if current else PlanningSettings().horizon_weeks
    return start, start + dt.timedelta(days=7 * weeks - 1)


def _check_effective_on(effective_on: dt.date, lines: Sequence[Allocation]) -> None:
    """The effective date falls in the plan's horizon and not before the commitments it takes back."""
    _start, last = planning_horizon()
    if effective_on > last:
        raise ValidationError(
            {
                "effective_on": _("effective on %(day)s is after the plan's horizon, which ends on %(last)s")
                % {"day": effective_on.isoformat(), "last": last.isoformat()}
            }
        )
    approvals = [line.run.approved_at for line in lines if line.run.approved_at is not None]
    if approvals:
        first = timezone.localdate(min(approvals))
        if effective_on < first:
            raise ValidationError(
                {
                    "effective_on": _(
                        "effective on %(day)s is before the aid was committed (plan approved on %(first)s)"
                    )
                    % {"day": effective_on.isoformat(), "first": first.isoformat()}
                }
            )


def _check_reason(reason: str) -> str:
    text = (reason or "").strip()
    if not text:
        raise ValidationError({"reason": _("say why the aid is taken back: the reason is recorded")})
    return text


def _departure(shipment: Shipment) -> dt.date:
    """When the shipment is planned to leave the donor (its first leg), else its planned arrival."""
    for leg in shipment.legs.all():
        if leg.kind == LegKind.TO_HUB:
            return leg.planned_departure
    return shipment.planned_arrival


def _requirement_status(requirement: Requirement, committed: float) -> str:
    """open / partial / met as what approved plans still send it says; cancelled and retired stay."""
    if requirement.status in (RequirementStatus.CANCELLED, RequirementStatus.RETIRED):
        return str(requirement.status)
    if committed <= 0:
        return RequirementStatus.OPEN
    if uncommitted(requirement.quantity, committed) == 0:
        return RequirementStatus.MET
    return RequirementStatus.PARTIAL


def _offer_status(offer: Offer, *, rest: float, committed: float, held: float) -> str:
    """offered while a rest is on the table; allocated while aid is committed or held; else withdrawn."""
    if offer.status in (OfferStatus.WITHDRAWN, OfferStatus.RETIRED):
        return str(offer.status)
    if rest > 0:
        return OfferStatus.OFFERED
    if committed > 0 or held > 0:
        return OfferStatus.ALLOCATED
    return OfferStatus.WITHDRAWN


def _build_plan(
    *,
    kind: str,
    scope: str,
    donor: Nation,
    offers: list[Offer],
    offer: Offer | None,
    quantity: float | None,
    effective_on: dt.date,
    today: dt.date | None,
    withdraw_rests: bool,
) -> DecommitmentPlan:
    today = today or timezone.localdate()
    plan = DecommitmentPlan(kind, scope, donor, offer, effective_on, today)
    approved = list(
        Allocation.objects.filter(run__approved_at__isnull=False, offer__in=offers)
        .select_related("run", "offer__item_type", "requirement")
        .defer(*run_heavy_fields("run"))
        .order_by("pk")
    )
    active = active_line_quantities(approved)
    lines = [line for line in approved if active[line.pk] > 0]
    _check_effective_on(effective_on, lines or approved)
    shipments: dict[int, list[Shipment]] = defaultdict(list)
    for shipment in (
        Shipment.objects.filter(allocation__in=lines)
        .exclude(state=ShipmentState.CANCELLED)
        .select_related("item_type")
        .prefetch_related("legs")
        .order_by("code")
    ):
        shipments[shipment.allocation_id].append(shipment)
    # what may be taken back: lines' quantities not yet in a shipment, and the planned
    # shipments leaving on or after the effective date (all of them once it has come)
    takeable: list[tuple[dt.date, str, Allocation, Shipment | None, float]] = []
    for line in lines:
        in_shipments = 0.0
        for shipment in shipments[line.pk]:
            in_shipments += shipment.quantity
            if shipment.state in IN_TRANSIT_STATES:
                plan.flagged.append(shipment)
            elif shipment.state == ShipmentState.PLANNED:
                leaves = _departure(shipment)
                if effective_on > today and leaves < effective_on:
                    plan.kept.append(shipment)
                else:
                    takeable.append((leaves, shipment.code, line, shipment, shipment.quantity))
        unshipped = uncommitted(active[line.pk], in_shipments)
        if unshipped > 0:
            takeable.append((dt.date.max, "", line, None, unshipped))
    plan.available = float(sum(amount for *_rest, amount in takeable))
    wanted = plan.available if quantity is None else quantity
    if quantity is not None:
        _check_quantity(plan, quantity, offer)
    takeable.sort(key=lambda t: (t[0], t[1]), reverse=True)  # latest departures first
    left = wanted
    for _leaves, _code, line, piece, amount in takeable:
        if left <= quantity_tolerance(wanted):
            break
        take = min(amount, left)
        if uncommitted(amount, take) == 0:
            take = amount
        plan.line_cuts[line.pk] = plan.line_cuts.get(line.pk, 0.0) + take
        plan.lines[line.pk] = line
        if piece is not None:
            plan.cancelled.append(ShipmentCut(piece, take))
        left -= take
    plan.cancelled.sort(key=lambda cut: cut.shipment.code)
    plan.kept.sort(key=lambda s: s.code)
    plan.flagged.sort(key=lambda s: s.code)
    _moves(plan, offers, withdraw_rests=withdraw_rests)
    return plan


def _check_quantity(plan: DecommitmentPlan, quantity: float, offer: Offer | None) -> None:
    whole = offer.item_type.is_whole if offer is not None else False
    if quantity <= 0:
        raise ValidationError({"quantity": _("take back more than nothing, or leave the quantity empty")})
    problem = whole_number_problem(quantity, whole, offer.item_type.name if offer else "")
    if problem:
        raise ValidationError({"quantity": problem})
    if quantity > plan.available + quantity_tolerance(plan.available):
        in_transit = sum(s.quantity for s in plan.flagged)
        leaving = sum(s.quantity for s in plan.kept)
        raise ValidationError(
            {
                "quantity": _(
                    "only %(available)s can be taken back effective %(day)s: %(transit)s are on their way "
                    "(dispatched shipments cannot be recalled here) and %(leaving)s leave before that day"
                )
                % {
                    "available": format_quantity(plan.available, whole),
                    "day": plan.effective_on.isoformat(),
                    "transit": format_quantity(in_transit, whole),
                    "leaving": format_quantity(leaving, whole),
                }
            }
        )


def _moves(plan: DecommitmentPlan, offers: list[Offer], *, withdraw_rests: bool) -> None:
    """How the requirements served and the offers in scope move with the plan's cuts."""
    served = committed_by_requirement()
    per_requirement: dict[int, float] = defaultdict(float)
    for key, amount in plan.line_cuts.items():
        per_requirement[plan.lines[key].requirement_id] += amount
    requirements = {line.requirement_id: line.requirement for line in plan.lines.values()}
    for pk in sorted(per_requirement, key=lambda k: requirements[k].code):
        requirement = requirements[pk]
        before = served.get(pk, 0.0)
        after = uncommitted(before, per_requirement[pk])
        whole = all(
            line.offer.item_type.is_whole for line in plan.lines.values() if line.requirement_id == pk
        )
        plan.requirements.append(
            StatusMove(requirement, before, after, _requirement_status(requirement, after), whole)
        )
    committed, taken, held = committed_by_offer(), taken_by_offer(), held_by_offer()
    per_offer: dict[int, float] = defaultdict(float)
    for key, amount in plan.line_cuts.items():
        per_offer[plan.lines[key].offer_id] += amount
    for offer in sorted(offers, key=lambda o: o.code):
        cut = per_offer.get(offer.pk, 0.0)
        before = committed.get(offer.pk, 0.0)
        after = uncommitted(before, cut)
        held_after = held.get(offer.pk, 0.0) + (cut if plan.kind == DecommitmentKind.SUSPEND else 0.0)
        rest = uncommitted(offer.quantity, taken.get(offer.pk, 0.0))
        if withdraw_rests and rest > 0 and offer.status == OfferStatus.OFFERED:
            plan.rests[offer.pk] = rest
            rest = 0.0
        status = _offer_status(offer, rest=rest, committed=after, held=held_after)
        if cut or offer.pk in plan.rests or status != offer.status:
            plan.offers.append(StatusMove(offer, before, after, status, offer.item_type.is_whole))


def plan_offer_decommitment(
    offer: Offer,
    *,
    kind: str,
    effective_on: dt.date,
    quantity: float | None = None,
    today: dt.date | None = None,
) -> DecommitmentPlan:
    """What suspending or withdrawing ``quantity`` (all when None) of an offer's committed aid would do."""
    if kind not in DecommitmentKind.values:
        raise ValidationError({"kind": _("choose suspend or withdraw")})
    return _build_plan(
        kind=kind,
        scope=DecommitmentScope.OFFER,
        donor=offer.donor,
        offers=[offer],
        offer=offer,
        quantity=quantity,
        effective_on=effective_on,
        today=today,
        withdraw_rests=False,
    )


def plan_donor_exit(
    donor: Nation, *, effective_on: dt.date, today: dt.date | None = None
) -> DecommitmentPlan:
    """What a political shift (``donor`` leaving entirely) would undo: every commitment it can take
    back, and the rest of every offer withdrawn."""
    offers = list(
        Offer.objects.filter(donor=donor).exclude(status=OfferStatus.RETIRED).select_related("item_type")
    )
    return _build_plan(
        kind=DecommitmentKind.WITHDRAW,
        scope=DecommitmentScope.DONOR,
        donor=donor,
        offers=offers,
        offer=None,
        quantity=None,
        effective_on=effective_on,
        today=today,
        withdraw_rests=True,
    )


# --- carrying it out -------------------------------------------------------------------------------


def _carry_out(plan: DecommitmentPlan, *, actor: Actor, reason: str) -> Decommitment:
    """Write the plan: the decommitment and its lines, shipments cancelled and flagged, requirements
    and offers moved; each change with its ledger event, in the caller's transaction."""
    from nsatu.shipments.services import cancel_shipment, flag_shipment

    name, _nation = actor_identity(actor)
    state = (
        DecommitmentState.SUSPENDED if plan.kind == DecommitmentKind.SUSPEND else DecommitmentState.WITHDRAWN
    )
    decommitment = Decommitment(
        donor=plan.donor,
        offer=plan.offer,
        scope=plan.scope,
        kind=plan.kind,
        state=state,
        quantity=plan.quantity,
        reason=reason,
        effective_on=plan.effective_on,
        created_by=name,
    )
    decommitment.full_clean()
    decommitment.save()
    DecommitmentLine.objects.bulk_create(
        [
            DecommitmentLine(decommitment=decommitment, allocation_id=key, quantity=amount)
            for key, amount in sorted(plan.line_cuts.items())
        ]
    )
    why = _("%(kind)s by %(donor)s effective %(day)s (%(code)s): %(reason)s") % {
        "kind": DecommitmentKind(plan.kind).label.lower(),
        "donor": plan.donor.iso3,
        "day": plan.effective_on.isoformat(),
        "code": decommitment.code,
        "reason": reason,
    }
    cancelled = []
    for cut in plan.cancelled:
        gone = cancel_shipment(
            cut.shipment, actor=actor, reason=why, on=plan.today, quantity=None if cut.whole else cut.quantity
        )
        cancelled.append(
            {"shipment": gone.code, "quantity": gone.quantity, "whole": cut.whole, "of": cut.shipment.code}
        )
    for shipment in plan.flagged:
        flag_shipment(
            shipment,
            actor=actor,
            flag=_("on its way when its commitment was taken back: %(why)s") % {"why": why},
            on=plan.today,
        )
    action = "political-shift" if plan.scope == DecommitmentScope.DONOR else plan.kind
    append_event(
        actor=actor,
        action=action,
        object_type="commitments.decommitment",
        object_id=decommitment.pk,
        payload={**plan.summary(), "cancelled": cancelled, "reason": reason, "state": state},
        record=decommitment,
    )
    update_records(
        [(move.record, {"status": move.status_after}) for move in plan.requirements if move.moves],
        actor=actor,
        action="reopen",
    )
    offer_changes: list[tuple[Offer, dict[str, Any]]] = []
    for move in plan.offers:
        changes: dict[str, Any] = {}
        if move.moves:
            changes["status"] = move.status_after
        rest = plan.rests.get(move.record.pk, 0.0)
        if rest > 0 and uncommitted(move.record.quantity, rest) > 0:
            changes["quantity"] = move.record.quantity - rest  # the rest is off the table
        if changes:
            offer_changes.append((move.record, changes))
    update_records(offer_changes, actor=actor, action="decommit")
    return decommitment


def _lock(offers: Sequence[Offer]) -> list[Offer]:
    # Approvals queue on the settings row: so do decommitments, which free what approvals count.
    PlanningSettings.objects.select_for_update().filter(singleton=1).first()
    keys = sorted(o.pk for o in offers)
    locked = list(Offer.objects.select_for_update().filter(pk__in=keys).order_by("pk"))
    return list(Offer.objects.filter(pk__in=[o.pk for o in locked]).select_related("donor", "item_type"))


def decommit_offer(
    offer: Offer,
    *,
    actor: Actor,
    kind: str,
    reason: str,
    effective_on: dt.date,
    quantity: float | None = None,
    today: dt.date | None = None,
) -> Decommitment:
    """Suspend or withdraw ``quantity`` (all that can be, when None) of an offer's committed aid.

    Planned shipments are cancelled (a part split off first), those on their way
    flagged; the requirements they served move back to ``partial`` or ``open``;
    the quantities come back to the next plan's requirements. Suspended aid is
    held until ``resume_decommitment`` puts it back on the table or
    ``end_suspension`` withdraws it; withdrawn aid is gone.
    """
    reason = _check_reason(reason)
    check_may_decommit(actor, offer.donor)
    with transaction.atomic():
        (current,) = _lock([offer])
        if (
            current.status in (OfferStatus.WITHDRAWN, OfferStatus.RETIRED)
            and kind == DecommitmentKind.SUSPEND
        ):
            raise CommitmentError(
                _("offer %(code)s is %(status)s: there is nothing to suspend")
                % {"code": current.code, "status": current.get_status_display().lower()}
            )
        plan = plan_offer_decommitment(
            current, kind=kind, effective_on=effective_on, quantity=quantity, today=today
        )
        if not plan.line_cuts:
            raise CommitmentError(_nothing_left(current, plan))
        return _carry_out(plan, actor=actor, reason=reason)


def _nothing_left(offer: Offer, plan: DecommitmentPlan) -> str:
    whole = offer.item_type.is_whole
    return _(
        "offer %(code)s has no committed aid left to take back effective %(day)s "
        "(%(transit)s on their way, %(leaving)s leaving before that day)"
    ) % {
        "code": offer.code,
        "day": plan.effective_on.isoformat(),
        "transit": format_quantity(sum(s.quantity for s in plan.flagged), whole),
        "leaving": format_quantity(sum(s.quantity for s in plan.kept), whole),
    }


def withdraw_donor(
    donor: Nation, *, actor: Actor, reason: str, effective_on: dt.date, today: dt.date | None = None
) -> Decommitment:
    """A political shift: ``donor`` leaves entirely. Every commitment of it that can be taken back
    is withdrawn (as ``decommit_offer`` would), and the uncommitted rest of every offer with it.
    ``plan_donor_exit`` shows first what this undoes."""
    reason = _check_reason(reason)
    check_may_decommit(actor, donor)
    with transaction.atomic():
        _lock(list(Offer.objects.filter(donor=donor)))
        plan = plan_donor_exit(donor, effective_on=effective_on, today=today)
        if plan.empty:
            raise CommitmentError(
                _("%(donor)s has no committed aid or open offer left to withdraw") % {"donor": donor.iso3}
            )
        return _carry_out(plan, actor=actor, reason=reason)


def _end(decommitment: Decommitment, *, actor: Actor, state: str, on: dt.date | None) -> Decommitment:
    check_may_decommit(actor, decommitment.donor)
    with transaction.atomic():
        offers = list(
            Offer.objects.filter(allocations__decommitment_lines__decommitment=decommitment).distinct()
        )
        _lock(offers)
        current = Decommitment.objects.select_for_update().get(pk=decommitment.pk)
        if current.state != DecommitmentState.SUSPENDED:
            raise CommitmentError(
                _("%(code)s is %(state)s: only a suspension can be resumed or turned into a withdrawal")
                % {"code": current.code, "state": current.get_state_display().lower()}
            )
        if state == DecommitmentState.RESUMED:
            closed = [o.code for o in offers if o.status in (OfferStatus.WITHDRAWN, OfferStatus.RETIRED)]
            if closed:
                raise CommitmentError(
                    _("offer %(codes)s is withdrawn or retired: its suspended aid cannot come back")
                    % {"codes": ", ".join(sorted(closed))}
                )
        name, _nation = actor_identity(actor)
        updated = update_record(
            current,
            actor=actor,
            action="resume" if state == DecommitmentState.RESUMED else "end-suspension",
            state=state,
            ended_on=on or timezone.localdate(),
            ended_by=name,
        )
        committed, taken, held = committed_by_offer(), taken_by_offer(), held_by_offer()
        update_records(
            [
                (offer, {"status": status})
                for offer in sorted(offers, key=lambda o: o.code)
                if (
                    status := _offer_status(
                        offer,
                        rest=uncommitted(offer.quantity, taken.get(offer.pk, 0.0)),
                        committed=committed.get(offer.pk, 0.0),
                        held=held.get(offer.pk, 0.0),
                    )
                )
                != offer.status
            ],
            actor=actor,
            action="decommit",
        )
    return updated


def resume_decommitment(
    decommitment: Decommitment, *, actor: Actor, on: dt.date | None = None
) -> Decommitment:
    """Put suspended aid back on the table: a new plan may allocate it again (its cancelled
    shipments stay cancelled; the requirements it served may have been filled since)."""
    return _end(decommitment, actor=actor, state=DecommitmentState.RESUMED, on=on)


def end_suspension(decommitment: Decommitment, *, actor: Actor, on: dt.date | None = None) -> Decommitment:
    """Turn a suspension into a withdrawal: the held aid is gone for good."""
    return _end(decommitment, actor=actor, state=DecommitmentState.WITHDRAWN, on=on)


# --- backfill --------------------------------------------------------------------------------------


def start_backfill(
    decommitment: Decommitment, *, actor: Actor, method: str = "optimal", time_limit: float = 60.0
) -> PlanRun:
    """Queue the re-plan that fills the hole: the database less every commitment still standing,
    so every other commitment stays fixed and the freed requirements are planned from the offers
    left. The run is approved like any other."""
    from nsatu.planning.services import start_plan_run

    with transaction.atomic():
        run = start_plan_run(actor=actor, method=method, time_limit=time_limit)
        update_record(decommitment, actor=actor, action="backfill", backfill_run=run)
    return run
