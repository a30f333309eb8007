"""The auditor's search over the ledger: who did what to which object, when."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.http import QueryDict
from django.utils.dateparse import parse_date
from django.utils.translation import gettext_lazy as _

from nsatu.core.choices import Role
from nsatu.core.ledger import canonical_json
from nsatu.core.models import Event

# The ledger's payloads describe records of every marking: command roles only.
LEDGER_ROLES = frozenset({Role.AUDITOR, Role.COORDINATOR, Role.LEADERSHIP})

COLUMNS = [
    _("Sequence"),
    _("Time (UTC)"),
    _("Actor"),
    _("Nation"),
    _("Action"),
    _("Object type"),
    _("Object id"),
    _("Payload"),
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
            canonical_json(e.payload),
            e.prev_hash,
            e.hash,
        ]
