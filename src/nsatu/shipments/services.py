"""Changes to shipments (audited): creation from an approved plan, each step of the way, the receipt.

Every step is one function taking ``actor``; it checks the step is the next one
for the shipment's state and that the actor may take it, changes the rows and
writes one ledger event in the same transaction.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from nsatu.catalog.models import ItemType
from nsatu.core.actors import Actor, SystemActor, actor_identity
from nsatu.core.choices import Role
from nsatu.core.ledger import append_event
from nsatu.core.services import ConflictError, create_record, create_records, snapshot, update_record
from nsatu.core.tables import format_quantity, whole_number_problem
from nsatu.logistics.models import Route
from nsatu.planning.models import Allocation, PlanningSettings, PlanRun, quantity_tolerance, uncommitted
from nsatu.shipments.choices import NEXT_STATE, DiscrepancyKind, LegKind, ShipmentState
from nsatu.shipments.models import Discrepancy, ItemValue, Leg, SerialNumber, Shipment

DEFAULT_LEAD_DAYS = 14
DEFAULT_START = dt.date(2026, 12, 7)

STEP_ACTIONS: dict[str, str] = {
    ShipmentState.DISPATCHED: "dispatch",
    ShipmentState.AT_HUB: "arrive_at_hub",
    ShipmentState.HANDED_OVER: "hand_over",
    ShipmentState.RECEIVED: "receive",
}


class ShipmentError(Exception):
    """A refused change of a shipment; the message says why."""


class ShipmentPermissionError(ShipmentError):
    """The actor may not take this step for this shipment."""


def scenario_start() -> dt.date:
    """Week 0 of the plan: the planning settings' start date."""
    current = PlanningSettings.objects.first()
    return current.start_date if current else DEFAULT_START


def arrival_date(week: int, start: dt.date | None = None) -> dt.date:
    """The date of a plan arrival week."""
    return (start or scenario_start()) + dt.timedelta(days=7 * week)


def _today(on: dt.date | None) -> dt.date:
    return on if on is not None else timezone.localdate()


def may_take_step(actor: Any, shipment: Shipment, target: str) -> bool:
    """Coordinators take every step; the donor dispatches its own; the recipient receives its own."""
    if isinstance(actor, SystemActor):
        return True
    role = getattr(actor, "role", None)
    nation_id = getattr(actor, "nation_id", None)
    if role == Role.COORDINATOR:
        return True
    if target == ShipmentState.DISPATCHED:
        return role == Role.DONOR and nation_id == shipment.donor_id
    if target == ShipmentState.RECEIVED:
        return role == Role.RECIPIENT and nation_id == shipment.recipient_id
    return False


def next_state(shipment: Shipment) -> str | None:
    """The state the shipment may move to next; None once received."""
    return NEXT_STATE.get(shipment.state)


def _refusal(shipment: Shipment, target: str) -> str:
    state = ShipmentState(shipment.state).label
    wanted = ShipmentState(target).label
    following = next_state(shipment)
    if shipment.state == ShipmentState.CANCELLED:
        return _("Shipment %(code)s was cancelled: it cannot become %(wanted)s.") % {
            "code": shipment.code,
            "wanted": wanted.lower(),
        }
    if following is None:
        return _("Shipment %(code)s is already received and closed: it cannot become %(wanted)s.") % {
            "code": shipment.code,
            "wanted": wanted.lower(),
        }
    return _("Shipment %(code)s is %(state)s: it cannot become %(wanted)s; the next step is %(next)s.") % {
        "code": shipment.code,
        "state": state.lower(),
        "wanted": wanted.lower(),
        "next": ShipmentState(following).label.lower(),
    }


def _locked(shipment: Shipment, target: str, *, actor: Actor, expected_version: int | None) -> Shipment:
    """Lock the shipment, and refuse a step that is not the next one, not the actor's, or stale."""
    current = (
        Shipment.objects.select_for_update(of=("self",))
        .select_related("item_type", "allocation__run")
        .get(pk=shipment.pk)
    )
    # the role first (403): someone who may not take the step learns nothing of its state or order
    if not may_take_step(actor, current, target):
        name, _nation = actor_identity(actor)
        raise ShipmentPermissionError(
            _("%(user)s may not mark shipment %(code)s %(wanted)s.")
            % {"user": name, "code": current.code, "wanted": ShipmentState(target).label.lower()}
        )
    if expected_version is not None and current.version != expected_version:
        raise ConflictError(
            _("Shipment %(code)s was changed by someone else; reload and try again.") % {"code": current.code}
        )
    if next_state(current) != target:
        raise ShipmentError(_refusal(current, target))
    return current


def _last_step_date(shipment: Shipment) -> dt.date | None:
    """The day of the latest step taken so far."""
    days = [
        day
        for leg in shipment.legs.all()
        for day in (leg.actual_departure, leg.actual_arrival)
        if day is not None
    ]
    return max(days, default=None)


def _check_order(shipment: Shipment, target: str, day: dt.date) -> None:
    last = _last_step_date(shipment)
    if last is not None and day < last:
        raise ShipmentError(
            _("Shipment %(code)s's last step was on %(last)s: it cannot become %(wanted)s on %(day)s.")
            % {
                "code": shipment.code,
                "last": last.isoformat(),
                "wanted": ShipmentState(target).label.lower(),
                "day": day.isoformat(),
            }
        )


# What each step's day is called, as the pages and the API name the field.
DAY_FIELDS: dict[str, Any] = {
    ShipmentState.DISPATCHED: gettext_lazy("dispatched on"),
    ShipmentState.AT_HUB: gettext_lazy("arrived at hub on"),
    ShipmentState.HANDED_OVER: gettext_lazy("handed over on"),
    ShipmentState.RECEIVED: gettext_lazy("received on"),
}


def plan_window(shipment: Shipment) -> tuple[dt.date | None, dt.date]:
    """The days a step of ``shipment`` may fall on: from its plan's approval to the plan's last day
    (scenario start + 7 x horizon weeks - 1)."""
    current = PlanningSettings.objects.filter(singleton=1).first()
    start = current.start_date if current else DEFAULT_START
    weeks = current.horizon_weeks if current else 52
    approved = shipment.allocation.run.approved_at
    return (timezone.localdate(approved) if approved else None), start + dt.timedelta(days=7 * weeks - 1)


def check_step_day(shipment: Shipment, target: str, day: dt.date, *, field: str = "on") -> None:
    """Refuse a day before the approval of the shipment's plan or after the plan's horizon,
    with a ``ValidationError`` on ``field`` that names the step's date."""
    first, last = plan_window(shipment)
    what = DAY_FIELDS[target]
    if first is not None and day < first:
        raise ValidationError(
            {
                field: _(
                    "%(what)s %(day)s is before plan run %(run)s was approved (%(approved)s): "
                    "shipment %(code)s did not exist yet"
                )
                % {
                    "what": what,
                    "day": day.isoformat(),
                    "run": shipment.allocation.run_id,
                    "approved": first.isoformat(),
                    "code": shipment.code,
                }
            }
        )
    if day > last:
        raise ValidationError(
            {
                field: _("%(what)s %(day)s is after the plan's horizon, which ends on %(last)s")
                % {"what": what, "day": day.isoformat(), "last": last.isoformat()}
            }
        )


def _save_step(shipment: Shipment, target: str, *, actor: Actor, on: dt.date, **payload: Any) -> Shipment:
    """Move to ``target``, bump the version and write the step's ledger event."""
    before = shipment.state
    shipment.state = target
    shipment.version += 1
    shipment.full_clean()
    shipment.save()
    append_event(
        actor=actor,
        action=STEP_ACTIONS[target],
        object_type="shipments.shipment",
        object_id=shipment.pk,
        payload={"code": shipment.code, "from": before, "to": target, "on": on, **payload},
        record=shipment,
    )
    return shipment


def _leg(shipment: Shipment, kind: str) -> Leg:
    return Leg.objects.select_for_update().get(shipment=shipment, kind=kind)


# --- creation -------------------------------------------------------------------------------------


def _lead_days(lines: Sequence[Allocation]) -> dict[tuple[int, int], int]:
    """Door-to-door lead days of each (donor, hub) the lines use, from one query over routes."""
    donors = {line.offer.donor_id for line in lines}
    hubs = {line.hub_id for line in lines}
    days: dict[tuple[int, int], int] = {}
    for route in Route.objects.filter(donor_id__in=donors, hub_id__in=hubs):
        days.setdefault((route.donor_id, route.hub_id), route.lead_time_days)
    return days


def _legs(shipment: Shipment, *, lead_days: int) -> list[Leg]:
    """Donor -> hub over the first half of the lead time, hub -> recipient over the rest."""
    arrival = shipment.planned_arrival
    departure = arrival - dt.timedelta(days=lead_days)
    at_hub = departure + dt.timedelta(days=lead_days // 2)
    return [
        Leg(
            shipment=shipment,
            kind=LegKind.TO_HUB,
            origin=shipment.donor.name,
            destination=shipment.hub.name,
            planned_departure=departure,
            planned_arrival=at_hub,
        ),
        Leg(
            shipment=shipment,
            kind=LegKind.TO_RECIPIENT,
            origin=shipment.hub.name,
            destination=shipment.recipient.name,
            planned_departure=at_hub,
            planned_arrival=arrival,
        ),
    ]


def create_shipments_for_run(run: PlanRun, *, actor: Actor) -> list[Shipment]:
    """Turn each allocation of an approved run into a planned shipment with its two legs.

    Idempotent: allocations that already have shipments are left alone. The
    queries do not grow with the number of allocations.
    """
    with transaction.atomic():
        run = PlanRun.objects.select_for_update().get(pk=run.pk)
        if run.approved_at is None:
            raise ShipmentError(
                _("Plan run %(run)s is not approved: only an approved plan's allocations become shipments.")
                % {"run": run.pk}
            )
        start = scenario_start()
        lines = list(
            run.allocations.filter(shipments__isnull=True)
            .select_related("offer__donor", "offer__item_type", "requirement__recipient", "hub")
            .prefetch_related("offer__releasable_to")
            .order_by("pk")
        )
        if not lines:
            return []
        created = create_records(
            Shipment,
            [
                {
                    "code": f"SHP-{line.pk:06d}",
                    "allocation": line,
                    "offer": line.offer,
                    "donor": line.offer.donor,
                    "recipient": line.requirement.recipient,
                    "hub": line.hub,
                    "item_type": line.offer.item_type,
                    "quantity": line.quantity,
                    "planned_arrival": arrival_date(line.arrival_week, start),
                    "releasability": line.offer.releasability,
                    "releasable_to": list(line.offer.releasable_to.all()),
                }
                for line in lines
            ],
            actor=actor,
        )
        lead_days = _lead_days(lines)
        Leg.objects.bulk_create(
            [
                leg
                for line, shipment in zip(lines, created, strict=True)
                for leg in _legs(
                    shipment, lead_days=lead_days.get((line.offer.donor_id, line.hub_id), DEFAULT_LEAD_DAYS)
                )
            ]
        )
        append_event(
            actor=actor,
            action="create_shipments",
            object_type="planning.planrun",
            object_id=run.pk,
            payload={"shipments": [s.code for s in created]},
        )
    return created


def split_shipment(shipment: Shipment, quantity: float, *, actor: Actor) -> Shipment:
    """Split ``quantity`` off a planned shipment into a new one on the same legs."""
    with transaction.atomic():
        current = (
            Shipment.objects.select_for_update(of=("self",)).select_related("item_type").get(pk=shipment.pk)
        )
        if current.state != ShipmentState.PLANNED:
            raise ShipmentError(
                _("Shipment %(code)s is %(state)s: only a planned shipment can be split.")
                % {"code": current.code, "state": ShipmentState(current.state).label.lower()}
            )
        whole = current.item_type.is_whole
        if not 0 < quantity < current.quantity:
            raise ShipmentError(
                _("Split between 0 and %(q)s units of shipment %(code)s.")
                % {"q": format_quantity(current.quantity, whole), "code": current.code}
            )
        problem = whole_number_problem(quantity, whole, current.item_type.name)
        if problem:
            raise ValidationError({"quantity": problem})
        siblings = Shipment.objects.filter(allocation_id=current.allocation_id).count()
        new = Shipment(
            **{
                f.attname: getattr(current, f.attname)
                for f in Shipment._meta.concrete_fields
                if f.name not in ("id", "created_at", "updated_at", "version")
            }
        )
        new.code = f"SHP-{current.allocation_id:06d}-{siblings + 1}"
        new.quantity = quantity
        new.full_clean()
        new.save()
        new.releasable_to.set(list(current.releasable_to.all()))
        for leg in current.legs.all():
            leg.pk = None
            leg.shipment = new
            leg.save()
        update_record(current, actor=actor, action="split", quantity=uncommitted(current.quantity, quantity))
        append_event(
            actor=actor,
            action="create",
            object_type="shipments.shipment",
            object_id=new.pk,
            payload={**snapshot(new), "split_from": current.code},
            record=new,
        )
    return new


def cancel_shipment(
    shipment: Shipment, *, actor: Actor, reason: str, on: dt.date, quantity: float | None = None
) -> Shipment:
    """Cancel a planned shipment, or ``quantity`` of it (split off first and cancelled).

    Only a shipment not yet dispatched can be cancelled; what is on its way is
    flagged instead (``flag_shipment``). Returns the cancelled shipment.
    """
    with transaction.atomic():
        current = (
            Shipment.objects.select_for_update(of=("self",)).select_related("item_type").get(pk=shipment.pk)
        )
        if current.state != ShipmentState.PLANNED:
            raise ShipmentError(
                _("Shipment %(code)s is %(state)s: only a planned shipment can be cancelled.")
                % {"code": current.code, "state": ShipmentState(current.state).label.lower()}
            )
        if quantity is not None and uncommitted(current.quantity, quantity) > 0:
            current = split_shipment(current, quantity, actor=actor)
        before = current.state
        current.state, current.cancelled_on = ShipmentState.CANCELLED, on
        current.version += 1
        current.full_clean()
        current.save()
        append_event(
            actor=actor,
            action="cancel",
            object_type="shipments.shipment",
            object_id=current.pk,
            payload={
                "code": current.code,
                "from": before,
                "to": ShipmentState.CANCELLED,
                "on": on,
                "quantity": current.quantity,
                "reason": reason,
            },
            record=current,
        )
    return current


def flag_shipment(shipment: Shipment, *, actor: Actor, flag: str, on: dt.date) -> Shipment:
    """Mark a shipment on its way whose commitment was taken back: someone must settle it."""
    with transaction.atomic():
        current = Shipment.objects.select_for_update().get(pk=shipment.pk)
        current.flag, current.flagged_on = flag, on
        current.version += 1
        current.save(update_fields=["flag", "flagged_on", "version", "updated_at"])
        append_event(
            actor=actor,
            action="flag",
            object_type="shipments.shipment",
            object_id=current.pk,
            payload={"code": current.code, "state": current.state, "on": on, "flag": flag},
            record=current,
        )
    return current


# --- steps of the way -----------------------------------------------------------------------------

_SERIAL_SPLIT = re.compile(r"[\s,;]+")


def parse_serials(text: str | Iterable[str]) -> list[str]:
    """Serial numbers typed or scanned one per line (or separated by commas), upper-cased."""
    items = _SERIAL_SPLIT.split(text) if isinstance(text, str) else list(text)
    return [s.strip().upper() for s in items if s and s.strip()]


def _check_duplicates(serials: list[str]) -> None:
    seen: set[str] = set()
    for serial in serials:
        if serial in seen:
            raise ShipmentError(_("Serial %(serial)s is listed twice.") % {"serial": serial})
        seen.add(serial)


def dispatch_shipment(
    shipment: Shipment,
    *,
    actor: Actor,
    on: dt.date | None = None,
    serials: Iterable[str] | str = (),
    expected_version: int | None = None,
) -> Shipment:
    """The donor sends the shipment off; serialised items record one serial per unit."""
    day = _today(on)
    numbers = parse_serials(serials)
    with transaction.atomic():
        current = _locked(shipment, ShipmentState.DISPATCHED, actor=actor, expected_version=expected_version)
        check_step_day(current, ShipmentState.DISPATCHED, day)
        item: ItemType = current.item_type
        _check_duplicates(numbers)
        if item.serialised:
            if len(numbers) != current.quantity:
                raise ShipmentError(
                    _(
                        "%(item)s is serialised: record one serial per unit "
                        "(%(units)s units, %(given)s serials given)."
                    )
                    % {
                        "item": item.name,
                        "units": format_quantity(current.quantity, item.is_whole),
                        "given": len(numbers),
                    }
                )
            taken = (
                SerialNumber.objects.filter(shipment__item_type=item, serial__in=numbers)
                .select_related("shipment")
                .first()
            )
            if taken is not None:
                raise ShipmentError(
                    _("Serial %(serial)s of %(item)s was already dispatched in %(code)s.")
                    % {"serial": taken.serial, "item": item.name, "code": taken.shipment.code}
                )
        elif numbers:
            raise ShipmentError(
                _("%(item)s carries no serial numbers: leave the serials empty.") % {"item": item.name}
            )
        SerialNumber.objects.bulk_create(
            [SerialNumber(shipment=current, serial=s, recorded_on=day) for s in numbers]
        )
        leg = _leg(current, LegKind.TO_HUB)
        leg.actual_departure = day
        leg.save(update_fields=["actual_departure"])
        current.dispatched_on = day
        saved = _save_step(current, ShipmentState.DISPATCHED, actor=actor, on=day, serials=numbers)
        from nsatu.notifications.services import notify_shipment_dispatched

        notify_shipment_dispatched(saved, on=day, actor=actor)
        return saved


def arrive_at_hub(
    shipment: Shipment, *, actor: Actor, on: dt.date | None = None, expected_version: int | None = None
) -> Shipment:
    """The shipment reached its hub."""
    day = _today(on)
    with transaction.atomic():
        current = _locked(shipment, ShipmentState.AT_HUB, actor=actor, expected_version=expected_version)
        check_step_day(current, ShipmentState.AT_HUB, day)
        _check_order(current, ShipmentState.AT_HUB, day)
        leg = _leg(current, LegKind.TO_HUB)
        leg.actual_arrival = day
        leg.save(update_fields=["actual_arrival"])
        return _save_step(current, ShipmentState.AT_HUB, actor=actor, on=day, hub=current.hub.code)


def hand_over_shipment(
    shipment: Shipment, *, actor: Actor, on: dt.date | None = None, expected_version: int | None = None
) -> Shipment:
    """The hub hands the shipment over to the recipient's transport."""
    day = _today(on)
    with transaction.atomic():
        current = _locked(shipment, ShipmentState.HANDED_OVER, actor=actor, expected_version=expected_version)
        check_step_day(current, ShipmentState.HANDED_OVER, day)
        _check_order(current, ShipmentState.HANDED_OVER, day)
        leg = _leg(current, LegKind.TO_RECIPIENT)
        leg.actual_departure = day
        leg.save(update_fields=["actual_departure"])
        saved = _save_step(current, ShipmentState.HANDED_OVER, actor=actor, on=day)
        from nsatu.notifications.services import notify_shipment_arriving

        notify_shipment_arriving(saved, on=day, actor=actor)
        return saved


@dataclass
class Reconciliation:
    """What a receipt's serials said against what was dispatched."""

    matched: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)
    swapped: list[tuple[str, str]] = field(default_factory=list)  # (serial, the other shipment's code)

    @property
    def clean(self) -> bool:
        return not (self.missing or self.extra or self.swapped)

    def as_payload(self) -> dict[str, Any]:
        return {
            "matched": len(self.matched),
            "missing": self.missing,
            "extra": self.extra,
            "swapped": [list(pair) for pair in self.swapped],
        }


def _reconcile(shipment: Shipment, received: list[str], day: dt.date) -> Reconciliation:
    """Confirm serials found; report missing, extra, and serials swapped with another shipment."""
    result = Reconciliation()
    dispatched = {
        s.serial: s for s in shipment.serials.select_for_update(of=("self",)).select_related("received_in")
    }
    found = set(received)
    for serial in received:
        own = dispatched.get(serial)
        if own is not None:
            own.confirmed_on, own.received_in = day, shipment
            own.save(update_fields=["confirmed_on", "received_in"])
            result.matched.append(serial)
            continue
        elsewhere = (
            SerialNumber.objects.select_for_update()
            .filter(serial=serial, shipment__item_type_id=shipment.item_type_id, confirmed_on__isnull=True)
            .exclude(shipment=shipment)
            .select_related("shipment")
            .first()
        )
        if elsewhere is None:
            result.extra.append(serial)
            Discrepancy.objects.create(
                shipment=shipment,
                kind=DiscrepancyKind.SERIAL_EXTRA,
                quantity=1,
                serial=serial,
                recorded_on=day,
            )
            continue
        elsewhere.confirmed_on, elsewhere.received_in = day, shipment
        elsewhere.save(update_fields=["confirmed_on", "received_in"])
        result.swapped.append((serial, elsewhere.shipment.code))
        Discrepancy.objects.create(
            shipment=shipment,
            kind=DiscrepancyKind.SERIAL_SWAPPED,
            quantity=1,
            serial=serial,
            other_shipment=elsewhere.shipment,
            note=_("dispatched in %(code)s") % {"code": elsewhere.shipment.code},
            recorded_on=day,
        )
        # The other shipment's receipt may have reported it missing: it was swapped, not lost.
        Discrepancy.objects.filter(
            shipment=elsewhere.shipment, kind=DiscrepancyKind.SERIAL_MISSING, serial=serial
        ).update(kind=DiscrepancyKind.SERIAL_SWAPPED, other_shipment=shipment)
    for serial, own in sorted(dispatched.items()):
        if serial in found:
            continue
        if own.received_in_id is not None and own.received_in_id != shipment.pk:
            other = own.received_in
            assert other is not None
            result.swapped.append((serial, other.code))
            Discrepancy.objects.create(
                shipment=shipment,
                kind=DiscrepancyKind.SERIAL_SWAPPED,
                quantity=1,
                serial=serial,
                other_shipment=other,
                note=_("received in %(code)s") % {"code": other.code},
                recorded_on=day,
            )
        else:
            result.missing.append(serial)
            Discrepancy.objects.create(
                shipment=shipment,
                kind=DiscrepancyKind.SERIAL_MISSING,
                quantity=1,
                serial=serial,
                recorded_on=day,
            )
    return result


def receive_shipment(
    shipment: Shipment,
    *,
    actor: Actor,
    quantity_received: float,
    on: dt.date | None = None,
    damaged: float = 0,
    wrong_item: float = 0,
    serials: Iterable[str] | str = (),
    note: str = "",
    expected_version: int | None = None,
) -> Reconciliation:
    """The recipient confirms the receipt, which closes the shipment.

    ``quantity_received`` counts units of the shipped item that arrived (damaged
    ones included); ``wrong_item`` counts units of something else that came
    instead. Shortfall, damage and wrong items become discrepancies; serials
    are reconciled against those recorded at dispatch.
    """
    day = _today(on)
    numbers = parse_serials(serials)
    with transaction.atomic():
        current = _locked(shipment, ShipmentState.RECEIVED, actor=actor, expected_version=expected_version)
        check_step_day(current, ShipmentState.RECEIVED, day)
        _check_order(current, ShipmentState.RECEIVED, day)
        if quantity_received < 0 or damaged < 0 or wrong_item < 0:
            raise ShipmentError(_("Quantities cannot be negative."))
        whole = current.item_type.is_whole
        fractions = {
            name: problem
            for name, value in (
                ("quantity_received", quantity_received),
                ("damaged", damaged),
                ("wrong_item", wrong_item),
            )
            if (
                problem := whole_number_problem(value, whole and name != "wrong_item", current.item_type.name)
            )
        }
        if fractions:
            raise ValidationError(fractions)
        if quantity_received > current.quantity + quantity_tolerance(current.quantity):
            raise ShipmentError(
                _("%(got)s units received but only %(sent)s were shipped: count again, or add a note.")
                % {
                    "got": format_quantity(quantity_received, whole),
                    "sent": format_quantity(current.quantity, whole),
                }
            )
        if damaged > quantity_received:
            raise ShipmentError(_("More units damaged than received."))
        _check_duplicates(numbers)
        if numbers and not current.item_type.serialised and not current.serials.exists():
            raise ShipmentError(
                _("%(item)s carries no serial numbers: leave the serials empty.")
                % {"item": current.item_type.name}
            )
        short = uncommitted(current.quantity, quantity_received)
        for kind, amount in (
            (DiscrepancyKind.SHORT, short),
            (DiscrepancyKind.DAMAGED, damaged),
            (DiscrepancyKind.WRONG_ITEM, wrong_item),
        ):
            if amount > 0:
                Discrepancy.objects.create(
                    shipment=current,
                    kind=kind,
                    quantity=amount,
                    note=note if kind == DiscrepancyKind.WRONG_ITEM else "",
                    recorded_on=day,
                )
        reconciliation = Reconciliation()
        if current.item_type.serialised or current.serials.exists():
            reconciliation = _reconcile(current, numbers, day)
        leg = _leg(current, LegKind.TO_RECIPIENT)
        leg.actual_arrival = day
        leg.save(update_fields=["actual_arrival"])
        name, _nation = actor_identity(actor)
        current.received_on, current.received_by = day, name
        current.quantity_received = quantity_received
        if note:
            current.note = note
        _save_step(
            current,
            ShipmentState.RECEIVED,
            actor=actor,
            on=day,
            quantity_received=quantity_received,
            short=max(short, 0),
            damaged=damaged,
            wrong_item=wrong_item,
            serials=reconciliation.as_payload(),
            late_days=current.days_late(day),
        )
        # What the receipt confirmed goes under end-use monitoring; what it found wrong becomes cases.
        from nsatu.monitoring.services import start_monitoring

        start_monitoring(current, on=day, actor=actor)
    return reconciliation


def set_item_value(
    item_type: ItemType, *, actor: Actor, unit_value: Decimal, currency: str = "EUR"
) -> ItemValue:
    """Record (or change) what one unit of an item type is worth."""
    existing = ItemValue.objects.filter(item_type=item_type).first()
    if existing is None:
        return create_record(
            ItemValue, actor=actor, item_type=item_type, unit_value=unit_value, currency=currency
        )
    return update_record(existing, actor=actor, unit_value=unit_value, currency=currency)


def find_by_code(text: str) -> str:
    """The shipment code in a scanned or typed text (a bare code, or a URL ending in one)."""
    value = text.strip().rstrip("/")
    if "/" in value:
        value = value.rsplit("/", 1)[1]
    return value.upper()
