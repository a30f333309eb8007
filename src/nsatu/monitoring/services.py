"""Changes of end-use monitoring (audited): items after receipt, custody, inventories, incident reports,
third-party transfers, repair orders and discrepancy cases.

Every function takes ``actor``, checks the actor may make the change, changes
the rows and writes its ledger events in the same transaction. The recipient's
representatives hold and report on the items; the donor's decide on transfers;
coordinators may do what either does, except decide a transfer for the donor.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Max, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from nsatu.accounts.models import User
from nsatu.core.actors import Actor, SystemActor, actor_identity
from nsatu.core.choices import Role
from nsatu.core.ledger import append_event
from nsatu.core.services import ConflictError, create_record, create_records, update_record
from nsatu.logistics.models import Hub
from nsatu.monitoring.choices import (
    IN_CUSTODY,
    INCIDENT_STATE,
    NEXT_REPAIR_STATE,
    REPAIR_CLOSED,
    CaseResolution,
    CaseState,
    IncidentKind,
    IncidentReason,
    InventoryKind,
    ItemState,
    LocationClass,
    RepairFacility,
    RepairLegKind,
    RepairState,
    TransferState,
)
from nsatu.monitoring.models import (
    DiscrepancyCase,
    IncidentReport,
    Inventory,
    InventoryLine,
    ItemStateChange,
    MonitoredItem,
    RepairLeg,
    RepairOrder,
    TransferRequest,
)
from nsatu.shipments.choices import DiscrepancyKind
from nsatu.shipments.models import Discrepancy, SerialNumber, Shipment

DEFAULT_INITIAL_DAYS = 90
DEFAULT_ANNUAL_DAYS = 365


class MonitoringError(Exception):
    """A refused change; the message says why."""


class MonitoringPermissionError(MonitoringError):
    """The actor may not make this change."""


def initial_inventory_days() -> int:
    """Days after receipt within which the initial inventory is due (``NSATU_EUM_INITIAL_DAYS``, 90)."""
    return int(getattr(settings, "NSATU_EUM_INITIAL_DAYS", DEFAULT_INITIAL_DAYS))


def annual_inventory_days() -> int:
    """Days after an inventory within which the next one is due (``NSATU_EUM_ANNUAL_DAYS``, 365)."""
    return int(getattr(settings, "NSATU_EUM_ANNUAL_DAYS", DEFAULT_ANNUAL_DAYS))


def _today(on: dt.date | None) -> dt.date:
    return on if on is not None else timezone.localdate()


def _name(actor: Actor) -> str:
    return actor_identity(actor)[0]


def _role(actor: Actor) -> str | None:
    return None if isinstance(actor, SystemActor) else getattr(actor, "role", None)


def acts_for_recipient(actor: Actor, item: MonitoredItem) -> bool:
    """The recipient's representatives hold and report on its items; coordinators may too."""
    if isinstance(actor, SystemActor) or _role(actor) == Role.COORDINATOR:
        return True
    return _role(actor) == Role.RECIPIENT and getattr(actor, "nation_id", None) == item.recipient_id


def acts_for_donor(actor: Actor, item: MonitoredItem) -> bool:
    """Only the donor's representatives decide on a third-party transfer of its items."""
    if isinstance(actor, SystemActor):
        return True
    return _role(actor) == Role.DONOR and getattr(actor, "nation_id", None) == item.donor_id


def acts_on_item(actor: Actor, item: MonitoredItem) -> bool:
    """Repairs and cases are worked by the recipient, the donor and the command."""
    return acts_for_recipient(actor, item) or acts_for_donor(actor, item)


def _refuse_unless(allowed: bool, actor: Actor, doing: str) -> None:
    if not allowed:
        raise MonitoringPermissionError(
            _("%(user)s may not %(doing)s.") % {"user": _name(actor), "doing": doing}
        )


def _locked_item(item: MonitoredItem) -> MonitoredItem:
    return MonitoredItem.objects.select_for_update().select_related("item_type").get(pk=item.pk)


def _not_before_receipt(item: MonitoredItem, day: dt.date, what: str) -> None:
    if day < item.received_on:
        raise MonitoringError(
            _("%(item)s was received on %(received)s: %(what)s cannot be dated %(day)s.")
            % {"item": item, "received": item.received_on.isoformat(), "what": what, "day": day.isoformat()}
        )


def _move(
    item: MonitoredItem, to_state: str, *, on: dt.date, reason: str, actor: Actor, action: str, **changes: Any
) -> MonitoredItem:
    """Change an item's state (and other fields), keep the dated history, write the event."""
    ItemStateChange.objects.create(
        item=item, from_state=item.state, to_state=to_state, on=on, reason=reason[:300]
    )
    return update_record(item, actor=actor, action=action, state=to_state, state_since=on, **changes)


# --- after receipt ------------------------------------------------------------------------------


def start_monitoring(shipment: Shipment, *, on: dt.date, actor: Actor) -> list[MonitoredItem]:
    """Put the serials a receipt confirmed under monitoring, and open a case per new discrepancy.

    Called by the receipt, in its transaction. Each serial found in
    ``shipment``'s receipt becomes a monitored item held by the recipient, its
    initial inventory due ``initial_inventory_days()`` after the receipt. A
    missing serial that turned up in this receipt (swapped) closes the case
    that reported it missing, as found.
    """
    serials = list(
        SerialNumber.objects.filter(received_in=shipment, monitored__isnull=True)
        .select_related("shipment__item_type", "shipment__donor", "shipment__recipient")
        .prefetch_related("shipment__releasable_to")
        .order_by("serial")
    )
    items = _monitor_serials(serials, received_in=shipment, on=on, actor=actor)
    _open_cases(shipment, on=on, actor=actor)
    _close_cases_of_serials_found(shipment, on=on, actor=actor)
    return items


def _monitor_serials(
    serials: Sequence[SerialNumber], *, received_in: Shipment, on: dt.date, actor: Actor
) -> list[MonitoredItem]:
    due = on + dt.timedelta(days=initial_inventory_days())
    items = create_records(
        MonitoredItem,
        [
            {
                "serial_number": s,
                "serial": s.serial,
                "item_type": s.shipment.item_type,
                "donor": s.shipment.donor,
                "recipient": received_in.recipient,
                "shipment": s.shipment,
                "received_in": received_in,
                "received_on": on,
                "state": ItemState.IN_SERVICE,
                "state_since": on,
                "inventory_due": due,
                "releasability": s.shipment.releasability,
                "releasable_to": list(s.shipment.releasable_to.all()),
            }
            for s in serials
        ],
        actor=actor,
    )
    ItemStateChange.objects.bulk_create(
        [ItemStateChange(item=i, to_state=ItemState.IN_SERVICE, on=on) for i in items]
    )
    if items:
        from nsatu.notifications.services import notify_inventory_due

        notify_inventory_due(items, actor=actor)
    return items


def _next_code(model: Any, prefix: str) -> str:
    last = model.objects.aggregate(last=Max("pk"))["last"] or 0
    return f"{prefix}-{last + 1:06d}"


def _open_cases(shipment: Shipment, *, on: dt.date, actor: Actor) -> list[DiscrepancyCase]:
    found = list(shipment.discrepancies.filter(case__isnull=True).order_by("pk"))
    if not found:
        return []
    start = (DiscrepancyCase.objects.aggregate(last=Max("pk"))["last"] or 0) + 1
    return create_records(
        DiscrepancyCase,
        [
            {
                "code": f"CASE-{start + i:06d}",
                "discrepancy": d,
                "shipment": shipment,
                "opened_as": d.kind,
                "opened_on": on,
            }
            for i, d in enumerate(found)
        ],
        actor=actor,
    )


def _close_cases_of_serials_found(shipment: Shipment, *, on: dt.date, actor: Actor) -> None:
    """A serial reported missing elsewhere that this receipt found: that case is resolved, found."""
    cases = DiscrepancyCase.objects.filter(
        opened_as=DiscrepancyKind.SERIAL_MISSING,
        discrepancy__kind=DiscrepancyKind.SERIAL_SWAPPED,
        discrepancy__other_shipment=shipment,
    ).exclude(state=CaseState.RESOLVED)
    for case in cases:
        update_record(
            case,
            actor=actor,
            action="resolve",
            state=CaseState.RESOLVED,
            resolution=CaseResolution.FOUND,
            # the discrepancy names the other shipment, to those who may open it
            resolution_note=_("found in the receipt of another shipment"),
            resolved_on=on,
            resolved_by=_name(actor),
        )


# --- custody and inventories --------------------------------------------------------------------


def set_custody(
    item: MonitoredItem,
    *,
    actor: Actor,
    unit: str,
    location_class: str,
    on: dt.date | None = None,
    expected_version: int | None = None,
) -> MonitoredItem:
    """Record which unit holds the item, and the class of place it is kept."""
    day = _today(on)
    with transaction.atomic():
        current = _locked_item(item)
        _refuse_unless(acts_for_recipient(actor, current), actor, _("record the custody of %s") % current)
        if current.state not in IN_CUSTODY:
            raise MonitoringError(
                _("%(item)s is %(state)s: the recipient does not hold it.")
                % {"item": current, "state": current.get_state_display().lower()}
            )
        if location_class not in LocationClass.values:
            raise MonitoringError(_("Unknown location class %(value)s.") % {"value": location_class})
        _not_before_receipt(current, day, _("a custody change"))
        return update_record(
            current,
            actor=actor,
            expected_version=expected_version,
            action="set_custody",
            unit=unit.strip(),
            location_class=location_class,
        )


def find_items(serials: Iterable[str], among: QuerySet[MonitoredItem]) -> list[MonitoredItem]:
    """The items named by serial (``ITEM-TYPE/SERIAL`` where a serial is not unique); errors name it."""
    wanted = [s.strip().upper() for s in serials if s.strip()]
    found: list[MonitoredItem] = []
    seen: set[int] = set()
    for text in wanted:
        item_code, _sep, serial = text.rpartition("/")
        matches = among.filter(serial=serial)
        if item_code:
            matches = matches.filter(item_type__code__iexact=item_code)
        hits = list(matches[:2])
        if not hits:
            raise MonitoringError(_("No monitored item with serial %(serial)s for you.") % {"serial": text})
        if len(hits) > 1:
            raise MonitoringError(
                _("Serial %(serial)s names items of several types: write ITEM-TYPE/SERIAL.")
                % {"serial": text}
            )
        if hits[0].pk in seen:
            raise MonitoringError(_("Serial %(serial)s is listed twice.") % {"serial": text})
        seen.add(hits[0].pk)
        found.append(hits[0])
    return found


def record_inventory(
    items: Sequence[MonitoredItem],
    *,
    actor: Actor,
    on: dt.date | None = None,
    unit: str = "",
    note: str = "",
) -> list[Inventory]:
    """Record the items sighted by a serial inventory, one inventory per donor.

    Each item's first inventory is its initial one; the next is then due a year
    (``annual_inventory_days()``) later. Items away for repair, or no longer
    held, cannot be sighted; an inventory cannot be dated before an item's
    receipt nor in the future.
    """
    day = _today(on)
    if not items:
        raise MonitoringError(_("An inventory lists at least one serial."))
    if day > timezone.localdate():
        raise MonitoringError(
            _("An inventory cannot be dated in the future (%(day)s).") % {"day": day.isoformat()}
        )
    with transaction.atomic():
        locked = [_locked_item(i) for i in sorted(items, key=lambda i: i.pk)]
        by_donor: dict[int, list[MonitoredItem]] = defaultdict(list)
        for item in locked:
            _refuse_unless(acts_for_recipient(actor, item), actor, _("record an inventory of %s") % item)
            if item.state not in IN_CUSTODY:
                raise MonitoringError(
                    _("%(item)s is %(state)s: only items the recipient holds can be inventoried.")
                    % {"item": item, "state": item.get_state_display().lower()}
                )
            _not_before_receipt(item, day, _("an inventory"))
            by_donor[item.donor_id].append(item)
        inventories = []
        start = (Inventory.objects.aggregate(last=Max("pk"))["last"] or 0) + 1
        for number, (_donor, group) in enumerate(sorted(by_donor.items())):
            kinds = {i.pk: i.due_kind for i in group}
            inventory = create_record(
                Inventory,
                actor=actor,
                code=f"INV-{start + number:06d}",
                kind=InventoryKind.INITIAL
                if InventoryKind.INITIAL in kinds.values()
                else InventoryKind.ANNUAL,
                donor_id=group[0].donor_id,
                recipient_id=group[0].recipient_id,
                conducted_on=day,
                unit=unit.strip(),
                conducted_by=_name(actor),
                note=note,
            )
            InventoryLine.objects.bulk_create(
                [InventoryLine(inventory=inventory, item=i, kind=kinds[i.pk]) for i in group]
            )
            for item in group:
                last = max(day, item.last_inventory_on or day)
                changes: dict[str, Any] = {
                    "initial_inventory_on": item.initial_inventory_on or day,
                    "last_inventory_on": last,
                    "inventory_due": last + dt.timedelta(days=annual_inventory_days()),
                }
                if unit.strip():
                    changes["unit"] = unit.strip()
                update_record(item, actor=actor, action="inventory", **changes)
            append_event(
                actor=actor,
                action="record_inventory",
                object_type="monitoring.inventory",
                object_id=inventory.pk,
                payload={
                    "code": inventory.code,
                    "on": day,
                    "serials": [f"{i.item_type.code}/{i.serial}" for i in group],
                    "initial": sorted(i.serial for i in group if kinds[i.pk] == InventoryKind.INITIAL),
                },
            )
            inventories.append(inventory)
    return inventories


# --- incidents and transfers --------------------------------------------------------------------


def report_incident(
    item: MonitoredItem,
    *,
    actor: Actor,
    kind: str,
    reason: str,
    details: str = "",
    on: dt.date | None = None,
) -> IncidentReport:
    """Report an item lost, destroyed, damaged or unserviceable, with the reason; its state follows.

    Lost and destroyed are final. A damaged or unserviceable item stays held
    (its inventories stay due) and may go to repair. An item away for repair is
    reported through its repair order instead.
    """
    day = _today(on)
    if kind not in IncidentKind.values:
        raise MonitoringError(_("Unknown report kind %(value)s.") % {"value": kind})
    if reason not in IncidentReason.values:
        raise MonitoringError(_("Unknown reason %(value)s.") % {"value": reason})
    if reason == IncidentReason.OTHER and not details.strip():
        raise MonitoringError(_("Say what happened: the reason is 'other'."))
    with transaction.atomic():
        current = _locked_item(item)
        _refuse_unless(acts_for_recipient(actor, current), actor, _("report on %s") % current)
        target = INCIDENT_STATE[kind]
        if current.state not in IN_CUSTODY:
            raise MonitoringError(
                _("%(item)s is %(state)s: it cannot be reported %(kind)s.")
                % {
                    "item": current,
                    "state": current.get_state_display().lower(),
                    "kind": IncidentKind(kind).label.lower(),
                }
            )
        if kind == IncidentKind.DAMAGED and current.state == ItemState.UNSERVICEABLE:
            raise MonitoringError(_("%(item)s is already unserviceable.") % {"item": current})
        _not_before_receipt(current, day, _("a report"))
        report = create_record(
            IncidentReport,
            actor=actor,
            item=current,
            kind=kind,
            reason=reason,
            details=details,
            occurred_on=day,
            reported_by=_name(actor),
        )
        _move(current, target, on=day, reason=reason, actor=actor, action=f"report_{kind}")
    return report


def request_transfer(
    item: MonitoredItem, *, actor: Actor, third_party: str, reason: str, on: dt.date | None = None
) -> TransferRequest:
    """The recipient asks the donor's consent to hand the item on to a third party."""
    day = _today(on)
    if not third_party.strip() or not reason.strip():
        raise MonitoringError(_("Name the third party and the reason for the transfer."))
    with transaction.atomic():
        current = _locked_item(item)
        _refuse_unless(acts_for_recipient(actor, current), actor, _("request a transfer of %s") % current)
        if current.state not in IN_CUSTODY:
            raise MonitoringError(
                _("%(item)s is %(state)s: the recipient cannot transfer it.")
                % {"item": current, "state": current.get_state_display().lower()}
            )
        if current.transfer_requests.filter(state=TransferState.PENDING).exists():
            raise MonitoringError(_("A transfer of %(item)s already awaits the donor.") % {"item": current})
        _not_before_receipt(current, day, _("a transfer request"))
        request = create_record(
            TransferRequest,
            actor=actor,
            item=current,
            third_party=third_party.strip(),
            reason=reason.strip(),
            requested_on=day,
            requested_by=_name(actor),
        )
        from nsatu.notifications.services import notify_transfer_requested

        notify_transfer_requested(request, actor=actor)
    return request


def decide_transfer(
    request: TransferRequest,
    *,
    actor: Actor,
    approve: bool,
    note: str = "",
    on: dt.date | None = None,
    expected_version: int | None = None,
) -> TransferRequest:
    """The donor approves (the item leaves the recipient's custody) or refuses a transfer request."""
    day = _today(on)
    with transaction.atomic():
        current = TransferRequest.objects.select_for_update().select_related("item").get(pk=request.pk)
        if expected_version is not None and current.version != expected_version:
            raise ConflictError(_("The transfer request was changed by someone else; reload and try again."))
        item = _locked_item(current.item)
        _refuse_unless(acts_for_donor(actor, item), actor, _("decide a transfer of %s") % item)
        if current.state != TransferState.PENDING:
            raise MonitoringError(
                _("The transfer of %(item)s was already %(state)s.")
                % {"item": item, "state": current.get_state_display().lower()}
            )
        if day < current.requested_on:
            raise MonitoringError(
                _("A decision cannot come before the request (%(day)s).") % {"day": current.requested_on}
            )
        state = TransferState.APPROVED if approve else TransferState.REFUSED
        decided = update_record(
            current,
            actor=actor,
            action="approve_transfer" if approve else "refuse_transfer",
            state=state,
            decided_on=day,
            decided_by=_name(actor),
            decision_note=note,
        )
        if approve:
            if item.state not in IN_CUSTODY:
                raise MonitoringError(
                    _("%(item)s is %(state)s: it can no longer be transferred.")
                    % {"item": item, "state": item.get_state_display().lower()}
                )
            _move(
                item,
                ItemState.TRANSFERRED,
                on=day,
                reason=current.third_party,
                actor=actor,
                action="transfer",
                unit=current.third_party[:120],
            )
        from nsatu.notifications.services import notify_transfer_decided

        notify_transfer_decided(decided, actor=actor)
    return decided


# --- repair and return --------------------------------------------------------------------------


def open_repair(
    item: MonitoredItem,
    *,
    actor: Actor,
    facility_kind: str,
    facility: str = "",
    hub: Hub | None = None,
    planned_departure: dt.date,
    planned_arrival: dt.date,
    planned_return_departure: dt.date,
    planned_return: dt.date,
    note: str = "",
    on: dt.date | None = None,
) -> RepairOrder:
    """Open a repair order for a damaged or unserviceable item: to the donor's facility or a hub workshop.

    The order has two legs, out and back, each with its planned dates; the item
    stays with its unit until the order is sent.
    """
    day = _today(on)
    if facility_kind not in RepairFacility.values:
        raise MonitoringError(_("Unknown facility %(value)s.") % {"value": facility_kind})
    if facility_kind == RepairFacility.HUB and hub is None:
        raise MonitoringError(_("Name the hub whose workshop repairs the item."))
    dates = [planned_departure, planned_arrival, planned_return_departure, planned_return]
    if dates != sorted(dates):
        raise MonitoringError(
            _("The planned dates must follow one another: departure, arrival, return departure, return.")
        )
    with transaction.atomic():
        current = _locked_item(item)
        _refuse_unless(acts_for_recipient(actor, current), actor, _("send %s to repair") % current)
        if current.state not in (ItemState.DAMAGED, ItemState.UNSERVICEABLE):
            raise MonitoringError(
                _("%(item)s is %(state)s: only a damaged or unserviceable item goes to repair.")
                % {"item": current, "state": current.get_state_display().lower()}
            )
        if current.repairs.exclude(state__in=REPAIR_CLOSED).exists():
            raise MonitoringError(_("%(item)s already has an open repair order.") % {"item": current})
        _not_before_receipt(current, day, _("a repair order"))
        name = facility.strip() or (
            hub.name if hub is not None and facility_kind == RepairFacility.HUB else current.donor.name
        )
        order = create_record(
            RepairOrder,
            actor=actor,
            code=_next_code(RepairOrder, "REP"),
            item=current,
            facility_kind=facility_kind,
            facility=name,
            hub=hub if facility_kind == RepairFacility.HUB else None,
            opened_on=day,
            opened_by=_name(actor),
            note=note,
        )
        home = current.unit or current.recipient.name
        RepairLeg.objects.bulk_create(
            [
                RepairLeg(
                    order=order,
                    kind=RepairLegKind.OUTBOUND,
                    origin=home,
                    destination=name,
                    planned_departure=planned_departure,
                    planned_arrival=planned_arrival,
                ),
                RepairLeg(
                    order=order,
                    kind=RepairLegKind.RETURN,
                    origin=name,
                    destination=home,
                    planned_departure=planned_return_departure,
                    planned_arrival=planned_return,
                ),
            ]
        )
    return order


REPAIR_ACTIONS: dict[str, str] = {
    RepairState.SENT: "send_to_repair",
    RepairState.AT_FACILITY: "arrive_at_repair",
    RepairState.REPAIRED: "repair",
    RepairState.RETURNING: "return_from_repair",
    RepairState.RETURNED: "receive_from_repair",
    RepairState.BEYOND_REPAIR: "write_off_repair",
}


def next_repair_state(order: RepairOrder) -> str | None:
    """The state the order may move to next (beyond repair is also allowed at the facility)."""
    return NEXT_REPAIR_STATE.get(order.state)


def _last_repair_day(order: RepairOrder) -> dt.date:
    days = [
        order.opened_on,
        *(d for leg in order.legs.all() for d in (leg.actual_departure, leg.actual_arrival) if d),
    ]
    if order.repaired_on:
        days.append(order.repaired_on)
    return max(days)


def advance_repair(
    order: RepairOrder,
    target: str,
    *,
    actor: Actor,
    on: dt.date | None = None,
    note: str = "",
    expected_version: int | None = None,
) -> RepairOrder:
    """Take the next step of a repair order; the item's state follows it out and back.

    sent: the item leaves its unit (in repair, out of service) · at facility ·
    repaired · returning · returned: the item is back in service with its unit.
    At the facility the order may instead end beyond repair: the item is
    written off.
    """
    day = _today(on)
    with transaction.atomic():
        current = RepairOrder.objects.select_for_update().select_related("item").get(pk=order.pk)
        if expected_version is not None and current.version != expected_version:
            raise ConflictError(
                _("Repair order %(code)s was changed by someone else; reload and try again.")
                % {"code": current.code}
            )
        item = _locked_item(current.item)
        allowed = {next_repair_state(current)}
        if current.state == RepairState.AT_FACILITY:
            allowed.add(RepairState.BEYOND_REPAIR)
        if target not in allowed - {None}:
            following = next_repair_state(current)
            raise MonitoringError(
                _("Repair order %(code)s is %(state)s: it cannot become %(wanted)s%(next)s.")
                % {
                    "code": current.code,
                    "state": current.get_state_display().lower(),
                    "wanted": RepairState(target).label.lower() if target in RepairState.values else target,
                    "next": (
                        _("; the next step is %(next)s") % {"next": RepairState(following).label.lower()}
                        if following
                        else ""
                    ),
                }
            )
        _refuse_unless(acts_on_item(actor, item), actor, _("move repair order %s") % current.code)
        last = _last_repair_day(current)
        if day < last:
            raise MonitoringError(
                _("Repair order %(code)s's last step was on %(last)s: the next cannot be dated %(day)s.")
                % {"code": current.code, "last": last.isoformat(), "day": day.isoformat()}
            )
        legs = {leg.kind: leg for leg in RepairLeg.objects.select_for_update().filter(order=current)}
        changes: dict[str, Any] = {"state": target}
        if target == RepairState.SENT:
            legs[RepairLegKind.OUTBOUND].actual_departure = day
            _move(
                item, ItemState.IN_REPAIR, on=day, reason=current.code, actor=actor, action="send_to_repair"
            )
        elif target == RepairState.AT_FACILITY:
            legs[RepairLegKind.OUTBOUND].actual_arrival = day
        elif target == RepairState.REPAIRED:
            changes["repaired_on"] = day
        elif target == RepairState.RETURNING:
            legs[RepairLegKind.RETURN].actual_departure = day
        elif target == RepairState.RETURNED:
            legs[RepairLegKind.RETURN].actual_arrival = day
            _move(
                item,
                ItemState.IN_SERVICE,
                on=day,
                reason=current.code,
                actor=actor,
                action="return_from_repair",
            )
        elif target == RepairState.BEYOND_REPAIR:
            _move(item, ItemState.WRITTEN_OFF, on=day, reason=current.code, actor=actor, action="write_off")
        for leg in legs.values():
            leg.save(update_fields=["actual_departure", "actual_arrival"])
        if note:
            changes["note"] = "\n".join(n for n in (current.note, note) if n)
        return update_record(current, actor=actor, action=REPAIR_ACTIONS[target], **changes)


# --- discrepancy cases --------------------------------------------------------------------------


def may_work_case(actor: Actor, case: DiscrepancyCase) -> bool:
    """The shipment's donor and recipient and the command work a case."""
    if isinstance(actor, SystemActor) or _role(actor) == Role.COORDINATOR:
        return True
    nation = getattr(actor, "nation_id", None)
    shipment = case.shipment
    return nation is not None and nation in (shipment.donor_id, shipment.recipient_id)


def update_case(
    case: DiscrepancyCase,
    *,
    actor: Actor,
    owner: User | None = None,
    investigating: bool | None = None,
    expected_version: int | None = None,
) -> DiscrepancyCase:
    """Give a case its owner (a coordinator or a representative of the donor or recipient) or mark it
    under investigation."""
    with transaction.atomic():
        current = DiscrepancyCase.objects.select_for_update().select_related("shipment").get(pk=case.pk)
        _refuse_unless(may_work_case(actor, current), actor, _("work case %s") % current.code)
        if current.state == CaseState.RESOLVED:
            raise MonitoringError(_("Case %(code)s is resolved.") % {"code": current.code})
        changes: dict[str, Any] = {}
        if owner is not None:
            if not may_work_case(owner, current) or not owner.is_active:
                raise MonitoringError(
                    _(
                        "%(user)s cannot own case %(code)s: owners are coordinators or representatives "
                        "of the donor or the recipient."
                    )
                    % {"user": owner.username, "code": current.code}
                )
            changes["owner"] = owner
        if investigating is not None:
            changes["state"] = CaseState.INVESTIGATING if investigating else CaseState.OPEN
        return update_record(
            current, actor=actor, expected_version=expected_version, action="update_case", **changes
        )


def resolve_case(
    case: DiscrepancyCase,
    *,
    actor: Actor,
    resolution: str,
    note: str = "",
    on: dt.date | None = None,
    expected_version: int | None = None,
) -> DiscrepancyCase:
    """Close a case: replaced, written off, or found.

    A missing serial that is found is confirmed at the day and goes under
    monitoring as if the receipt had found it.
    """
    day = _today(on)
    if resolution not in CaseResolution.values:
        raise MonitoringError(_("Unknown resolution %(value)s.") % {"value": resolution})
    with transaction.atomic():
        current = (
            DiscrepancyCase.objects.select_for_update()
            .select_related("shipment", "discrepancy")
            .get(pk=case.pk)
        )
        _refuse_unless(may_work_case(actor, current), actor, _("resolve case %s") % current.code)
        if current.state == CaseState.RESOLVED:
            raise MonitoringError(_("Case %(code)s is resolved.") % {"code": current.code})
        if day < current.opened_on:
            raise MonitoringError(
                _("A case cannot be resolved before it was opened (%(day)s).") % {"day": current.opened_on}
            )
        resolved = update_record(
            current,
            actor=actor,
            expected_version=expected_version,
            action="resolve",
            state=CaseState.RESOLVED,
            resolution=resolution,
            resolution_note=note,
            resolved_on=day,
            resolved_by=_name(actor),
        )
        if resolution == CaseResolution.FOUND and current.discrepancy.kind == DiscrepancyKind.SERIAL_MISSING:
            _found_serial(current, day, actor=actor)
    return resolved


def _found_serial(case: DiscrepancyCase, day: dt.date, *, actor: Actor) -> None:
    shipment = case.shipment
    serial = (
        SerialNumber.objects.select_for_update()
        .select_related("shipment__item_type", "shipment__donor")
        .filter(shipment=shipment, serial=case.discrepancy.serial, confirmed_on__isnull=True)
        .first()
    )
    if serial is None:
        return
    serial.confirmed_on, serial.received_in = day, shipment
    serial.save(update_fields=["confirmed_on", "received_in"])
    append_event(
        actor=actor,
        action="confirm_serial",
        object_type="shipments.serialnumber",
        object_id=serial.pk,
        payload={"serial": serial.serial, "shipment": shipment.code, "on": day, "case": case.code},
    )
    _monitor_serials([serial], received_in=shipment, on=day, actor=actor)


def open_case_for(discrepancy: Discrepancy, *, actor: Actor, on: dt.date | None = None) -> DiscrepancyCase:
    """The case of one discrepancy (opened at receipt; this opens one for a discrepancy that has none)."""
    existing = DiscrepancyCase.objects.filter(discrepancy=discrepancy).first()
    if existing is not None:
        return existing
    with transaction.atomic():
        (case,) = create_records(
            DiscrepancyCase,
            [
                {
                    "code": _next_code(DiscrepancyCase, "CASE"),
                    "discrepancy": discrepancy,
                    "shipment": discrepancy.shipment,
                    "opened_as": discrepancy.kind,
                    "opened_on": _today(on),
                }
            ],
            actor=actor,
        )
    return case
