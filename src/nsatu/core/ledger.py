"""Append to and verify the hash-chained ledger."""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from nsatu.core.actors import Actor, actor_identity
from nsatu.core.models import GENESIS_HASH, Event, LedgerHead

_PLAIN = (str, int, float, bool, type(None))


def _jsonable(value: Any) -> Any:
    if type(value) in _PLAIN:  # most values: checked first, as hashing many events walks them all
        return value
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, Mapping):
        return {str(k): v if type(v) in _PLAIN else _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        items = [_jsonable(v) for v in value]
        return sorted(items, key=str) if isinstance(value, (set, frozenset)) else items
    return value


def canonical_json(value: Any) -> str:
    """The one serialisation that hashes are computed over."""
    return json.dumps(_jsonable(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _event_time(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat(timespec="microseconds")


def event_hash(
    *,
    prev_hash: str,
    seq: int,
    time: dt.datetime,
    actor: str,
    nation: str,
    action: str,
    object_type: str,
    object_id: str,
    payload: Any,
    code: str = "",
    state: str = "",
) -> str:
    """SHA-256 of the previous hash and the event's canonical content.

    ``code`` and ``state`` enter the hash only when set, so events written
    before they existed keep their hashes.
    """
    content = {
        "seq": seq,
        "time": _event_time(time),
        "actor": actor,
        "nation": nation,
        "action": action,
        "object_type": object_type,
        "object_id": object_id,
        "payload": payload,
    }
    if code:
        content["code"] = code
    if state:
        content["state"] = state
    body = canonical_json(content)
    return hashlib.sha256((prev_hash + body).encode()).hexdigest()


@dataclass(frozen=True)
class NewEvent:
    """One event to append: what was done to which object, and what it records.

    ``state`` is the digest of the object's row after the change
    (``nsatu.core.proof.state_of``; empty for an event that changes no row of
    a proved table, ``DELETED`` for a delete) and ``code`` the object's own
    code, shown and searched beside its key.
    """

    action: str
    object_type: str
    object_id: object = ""
    payload: Any = None
    code: str = ""
    state: str = ""


def append_event(
    *,
    actor: Actor,
    action: str,
    object_type: str,
    object_id: object = "",
    payload: Any = None,
    record: models.Model | None = None,
    code: str = "",
) -> Event:
    """Append one event. Must run inside the transaction that makes the change.

    With ``record`` (the changed object, as saved), the event records the
    digest of its row and its code: what ``nsatu ledger verify`` compares the
    stored row with.
    """
    state = ""
    if record is not None:
        from nsatu.core.proof import code_of, state_of

        state, code = state_of(record), code or code_of(record)
    (event,) = append_events(
        [
            NewEvent(
                action=action,
                object_type=object_type,
                object_id=object_id,
                payload=payload,
                code=code,
                state=state,
            )
        ],
        actor=actor,
    )
    return event


def append_events(events: Iterable[NewEvent], *, actor: Actor) -> list[Event]:
    """Append events in order, chained as one-by-one appends would chain them.

    Takes the ledger head's lock once and inserts all events in one statement
    (or a few, for very many), so a bulk change costs a fixed number of
    queries. Must run inside the transaction that makes the change.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("ledger events must be written inside the transaction of the change")
    pending = list(events)
    if not pending:
        return []
    head, _ = LedgerHead.objects.select_for_update().get_or_create(singleton=1)
    actor_name, nation = actor_identity(actor)
    now = timezone.now()
    seq, prev_hash = head.seq, head.hash
    rows: list[Event] = []
    for item in pending:
        seq += 1
        # Normalise through JSON so the stored payload hashes the same after a round trip.
        payload = json.loads(canonical_json(item.payload if item.payload is not None else {}))
        fields: dict[str, Any] = {
            "seq": seq,
            "time": now,
            "actor": actor_name,
            "nation": nation,
            "action": item.action,
            "object_type": item.object_type,
            "object_id": str(item.object_id),
            "payload": payload,
            "code": item.code[:64],
            "state": item.state,
        }
        digest = event_hash(prev_hash=prev_hash, **fields)
        rows.append(Event(prev_hash=prev_hash, hash=digest, **fields))
        prev_hash = digest
    created = Event.objects.bulk_create(rows)
    head.seq, head.hash = seq, prev_hash
    head.save(update_fields=["seq", "hash"])
    return created


@dataclass(frozen=True)
class Verification:
    """The result of walking the chain."""

    ok: bool
    checked: int
    bad_seq: int | None = None
    reason: str = ""


def verify_events(
    events: Iterable[Event], head: LedgerHead | None, *, after: tuple[int, str] = (0, GENESIS_HASH)
) -> Verification:
    """Walk events in stored order; name the first that was altered, removed or reordered.

    ``after`` is (seq, hash) of the last event already verified: the walk then
    starts with the next one (``checked`` counts from the start of the chain).
    """
    prev_hash, checked = after[1], after[0]
    expected_seq = checked + 1
    for event in events:
        if event.seq != expected_seq:
            return Verification(
                False,
                checked,
                expected_seq,
                _("event #%(seq)s is missing (removed) or out of order: found #%(found)s in its place")
                % {"seq": expected_seq, "found": event.seq},
            )
        if event.prev_hash != prev_hash:
            return Verification(
                False,
                checked,
                event.seq,
                _("event #%(seq)s does not follow event #%(previous)s (reordered)")
                % {"seq": event.seq, "previous": event.seq - 1},
            )
        recomputed = event_hash(
            prev_hash=event.prev_hash,
            seq=event.seq,
            time=event.time,
            actor=event.actor,
            nation=event.nation,
            action=event.action,
            object_type=event.object_type,
            object_id=event.object_id,
            payload=event.payload,
            code=event.code,
            state=event.state,
        )
        if recomputed != event.hash:
            return Verification(
                False,
                checked,
                event.seq,
                _("event #%(seq)s was altered: its hash does not match") % {"seq": event.seq},
            )
        prev_hash, expected_seq, checked = event.hash, expected_seq + 1, checked + 1
    head_seq, head_hash = (head.seq, head.hash) if head else (0, GENESIS_HASH)
    if head_seq != checked or head_hash != prev_hash:
        return Verification(
            False,
            checked,
            checked + 1,
            _(
                "the ledger head names event #%(head)s but the chain ends at #%(end)s: "
                "event #%(next)s onward was removed"
            )
            % {"head": head_seq, "end": checked, "next": checked + 1},
        )
    return Verification(True, checked)


def verify_ledger(*, after: tuple[int, str] | None = None, using: str = "default") -> Verification:
    """Verify the stored ledger: all of it, or only the events after a verified (seq, hash).

    From a checkpoint, the checkpoint event itself must still carry that hash, so
    a change to it or a removal of it is caught; changes to earlier events are
    caught by the next whole walk.
    """
    head = LedgerHead.objects.using(using).filter(singleton=1).first()
    events = Event.objects.using(using)
    if after is None or after[0] == 0:
        return verify_events(events.order_by("seq").iterator(chunk_size=2000), head)
    seq, digest = after
    if not events.filter(seq=seq, hash=digest).exists():
        return Verification(
            False,
            0,
            seq,
            _("event #%(seq)s was altered or removed since it was last verified") % {"seq": seq},
        )
    return verify_events(
        events.filter(seq__gt=seq).order_by("seq").iterator(chunk_size=2000), head, after=after
    )
