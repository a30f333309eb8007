"""The auditor's search over the ledger: who did what to which object, when."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from django.db.models import QuerySet
from django.http import QueryDict
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext_lazy as _

from nsatu.core.choices import Role
from nsatu.core.ledger import Verification, canonical_json, verify_ledger
from nsatu.core.models import GENESIS_HASH, Event, LedgerHead

# The ledger's payloads describe records of every marking: command roles only.
LEDGER_ROLES = frozenset({Role.AUDITOR, Role.COORDINATOR, Role.LEADERSHIP})

# The page walks the whole chain at most this often; in between, only the events
# since the last verified one (the command `nsatu ledger verify` always walks it all).
WHOLE_WALK_EVERY = dt.timedelta(minutes=10)
CHECKPOINT_KEY = "nsatu:ledger-verified"


@dataclass(frozen=True)
class LedgerStatus:
    """The chain's verification as the page shows it."""

    verification: Verification
    whole_at: dt.datetime  # when the whole chain was last walked
    newer: int  # events checked just now beyond that walk
    whole_now: bool  # this view walked the whole chain


def ledger_status(*, whole: bool = False, now: dt.datetime | None = None) -> LedgerStatus:
    """Verify the chain for the page: all of it when asked, when never done in this
    process or when the last whole walk is older than WHOLE_WALK_EVERY; otherwise
    only the events after the last verified one (whose hash must not have changed),
    and all of it again when that finds anything wrong, to name it exactly."""
    now = now or timezone.now()
    saved = cache.get(CHECKPOINT_KEY)
    if whole or saved is None or now - saved[2] > WHOLE_WALK_EVERY:
        result, whole_at, newer, whole_now = verify_ledger(), now, 0, True
    else:
        seq, digest, whole_at = saved
        result = verify_ledger(after=(seq, digest))
        newer, whole_now = max(result.checked - seq, 0), False
        if not result.ok:  # walk it all to name exactly what broke
            result, whole_at, newer, whole_now = verify_ledger(), now, 0, True
    if result.ok:
        head = LedgerHead.objects.filter(singleton=1).first()
        cache.set(CHECKPOINT_KEY, (result.checked, head.hash if head else GENESIS_HASH, whole_at), None)
    else:
        cache.delete(CHECKPOINT_KEY)
    return LedgerStatus(result, whole_at, newer, whole_now)


COLUMNS = [
    _("Sequence"),
    _("Time (UTC)"),
    _("Actor"),
    _("Nation"),
    _("Action"),
    _("Object type"),
    _("Object id"),
    _("Code"),
    _("Payload"),
    _("State"),
    _("Previous hash"),
    _("Hash"),
]


@dataclass
class LedgerSearch:
    """The search a query string asks for, and the events it selects (newest first)."""

    events: QuerySet[Event]
    values: dict[str, str]
    errors: dict[str, str]


def _date(query: QueryDict, name: str, errors: dict[str, str]) -> dt.date | None:
    raw = query.get(name, "").strip()
    if not raw:
        return None
    try:
        value = parse_date(raw)
    except ValueError:
        value = None
    if value is None:
        errors[name] = str(_("Enter a date as YYYY-MM-DD."))
    return value


def search_ledger(query: QueryDict) -> LedgerSearch:
    """Filter the ledger by actor, nation, action, object type and id, and a date range (UTC days)."""
    events = Event.objects.all()
    values: dict[str, str] = {}
    errors: dict[str, str] = {}
    for param, lookup in (
        ("actor", "actor__icontains"),
        ("nation", "nation__iexact"),
        ("action", "action"),
        ("object_type", "object_type"),
        ("object_id", "object_id"),
    ):
        raw = query.get(param, "").strip()
        if raw:
            values[param] = raw
            events = events.filter(**{lookup: raw})
    start, end = _date(query, "since", errors), _date(query, "until", errors)
    # Whole UTC days, bounds included; a range on the indexed time column, not a date cast.
    if start:
        values["since"] = start.isoformat()
        events = events.filter(time__gte=dt.datetime.combine(start, dt.time.min, tzinfo=dt.UTC))
    if end:
        values["until"] = end.isoformat()
        events = events.filter(
            time__lt=dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=dt.UTC)
        )
    return LedgerSearch(events.order_by("-seq"), values, errors)


def distinct_values(field: str) -> list[str]:
    """The values a select offers for ``action`` or ``object_type``."""
    return list(Event.objects.order_by(field).values_list(field, flat=True).distinct())


def export_rows(events: Iterable[Event]) -> Iterator[list[Any]]:
    """One row per event, every field the hash covers, so the export can be re-verified offline."""
    for e in events:
        yield [
            e.seq,
            # The exact text the hash covers, so the chain can be recomputed from the file.
            e.time.astimezone(dt.UTC).isoformat(timespec="microseconds"),
            e.actor,
            e.nation,
            e.action,
            e.object_type,
            e.object_id,
            e.code,
            canonical_json(e.payload),
            e.state,
            e.prev_hash,
            e.hash,
        ]
