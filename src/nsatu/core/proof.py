"""What the ledger proves about the data: each record's state, recorded by the event that made it.

Every event that changes a row of a proved table records ``state``, the
SHA-256 of the row's canonical form after the change (its stored fields, less
the automatic change times, and its many-to-many keys). ``verify_data``
recomputes every current row and compares it with the latest state the chain
records for it, so a change made in SQL around the application is named:
table, code and, where the events hold the values, the field.

Plan lines are written in bulk by the planning worker: the run's ``plan-done``
event records one digest over all its lines (``lines_digest``), and each
committed line's ``commit`` event its own state.
"""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.db import models
from django.utils.translation import gettext as _

from nsatu.core.ledger import canonical_json

# The state a delete records: the record must not exist any more.
DELETED = "deleted"

# Tables whose every write goes through a service that records the row's state.
PROVED = (
    "nations.nation",
    "nations.coalition",
    "nations.agreement",
    "nations.pledge",
    "catalog.capability",
    "catalog.family",
    "catalog.familyalias",
    "catalog.itemtype",
    "needs.requirement",
    "offers.offer",
    "logistics.hub",
    "logistics.route",
    "training.course",
    "training.cohort",
    "planning.planningsettings",
    "shipments.itemvalue",
    "shipments.shipment",
    "commitments.decommitment",
)
LINES = "planning.allocation"
RUN = "planning.planrun"

# The field that names a record to people, in order of preference.
CODE_FIELDS = ("code", "iso3", "username")
CHUNK = 2000


def _label(model: type[models.Model] | models.Model) -> str:
    return f"{model._meta.app_label}.{model._meta.model_name}"


def _stored_fields(model: type[models.Model]) -> list[models.Field[Any, Any]]:
    """The fields a state covers: all stored ones but the automatic change times."""
    return [
        f
        for f in model._meta.concrete_fields
        if not getattr(f, "auto_now", False) and not getattr(f, "auto_now_add", False) and not f.generated
    ]


def field_value(field: models.Field[Any, Any], value: Any) -> Any:
    """One field's value in the form the database gives back, whatever Python held before the save."""
    if value is None:
        return None
    if hasattr(value, "resolve_expression"):
        raise RuntimeError(f"{field.model._meta.label}.{field.name} holds an expression: refresh it first")
    target: Any = field.target_field if isinstance(field, models.ForeignKey) else field
    if isinstance(target, models.DecimalField):
        number = decimal.Decimal(str(value)) if isinstance(value, float) else decimal.Decimal(value)
        return str(number.quantize(decimal.Decimal(1).scaleb(-(target.decimal_places or 0))))
    if isinstance(target, models.FloatField):
        return float(value)
    if isinstance(target, models.BooleanField):
        return bool(value)
    if isinstance(target, models.IntegerField):
        return int(value)
    if isinstance(target, models.DateTimeField):
        moment = target.to_python(value)
        if moment is not None and moment.tzinfo is not None:
            return moment.astimezone(dt.UTC).isoformat(timespec="microseconds")
        return moment.isoformat(timespec="microseconds") if moment is not None else None
    if isinstance(target, models.DateField):
        day = target.to_python(value)
        return day.isoformat() if day is not None else None
    if isinstance(target, models.DurationField):
        span = target.to_python(value)
        return span // dt.timedelta(microseconds=1) if span is not None else None
    if isinstance(target, models.JSONField):
        return json.loads(canonical_json(value))
    if isinstance(value, models.fields.files.FieldFile):
        return value.name
    return str(value)


def row_values(obj: models.Model, m2m: Mapping[str, Sequence[Any]]) -> dict[str, Any]:
    """The canonical form of a row: each stored field's value, and each many-to-many field's sorted keys."""
    values = {f.attname: field_value(f, getattr(obj, f.attname)) for f in _stored_fields(type(obj))}
    for name, keys in m2m.items():
        values[name] = sorted(keys)
    return values


def digest(values: Any) -> str:
    """SHA-256 of the canonical JSON of ``values``."""
    return hashlib.sha256(canonical_json(values).encode()).hexdigest()


def code_field(model: type[models.Model]) -> str | None:
    """The stored field that names a record of ``model`` to people, if it has one."""
    names = {f.name for f in model._meta.concrete_fields}
    return next((name for name in CODE_FIELDS if name in names), None)


def code_of(obj: models.Model) -> str:
    """The record's own code (``R-010``, ``UKR``), or empty when it has none."""
    for name in CODE_FIELDS:
        value = getattr(obj, name, None)
        if value:
            return str(value)[:64]
    return ""


def m2m_links(objs: Sequence[models.Model]) -> dict[str, dict[Any, list[tuple[Any, Any]]]]:
    """Per many-to-many field, each object's related (key, code or key) sorted by key: a query per field."""
    if not objs:
        return {}
    model = type(objs[0])
    database = objs[0]._state.db or "default"
    pks = [obj.pk for obj in objs]
    result: dict[str, dict[Any, list[tuple[Any, Any]]]] = {}
    for m2m in model._meta.many_to_many:
        through: Any = m2m.remote_field.through
        source = through._meta.get_field(m2m.m2m_field_name()).attname
        target_field: Any = through._meta.get_field(m2m.m2m_reverse_field_name())
        target = target_field.attname
        shown = code_field(target_field.related_model)
        columns = [source, target] + ([f"{target_field.name}__{shown}"] if shown else [])
        links: dict[Any, list[tuple[Any, Any]]] = {pk: [] for pk in pks}
        for start in range(0, len(pks), 500):
            chunk = pks[start : start + 500]
            rows = through._default_manager.using(database).filter(**{f"{source}__in": chunk})
            for row in rows.values_list(*columns):
                links[row[0]].append((row[1], str(row[2]) if shown else row[1]))
        result[m2m.name] = {pk: sorted(found, key=lambda link: link[0]) for pk, found in links.items()}
    return result


def states_of(
    objs: Sequence[models.Model], links: Mapping[str, Mapping[Any, Sequence[tuple[Any, Any]]]] | None = None
) -> list[str]:
    """The state of each saved object (of one model), from ``links`` or one query per many-to-many field."""
    links = m2m_links(objs) if links is None else links
    return [
        digest(row_values(obj, {name: [key for key, _code in keys[obj.pk]] for name, keys in links.items()}))
        for obj in objs
    ]


def state_of(obj: models.Model) -> str:
    """The state of one saved object."""
    return states_of([obj])[0]


def lines_digest(run_id: int, *, using: str = "default") -> str:
    """One digest over all of a plan run's lines, in key order: read in one query."""
    model = apps.get_model("planning", "Allocation")
    return digest(_lines(model._default_manager.using(using).filter(run_id=run_id).order_by("pk")))


def _lines(rows: Iterable[models.Model]) -> list[dict[str, Any]]:
    return [row_values(row, {}) for row in rows]


# --- verification --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Difference:
    """A record whose stored row is not the one the chain records."""

    table: str
    object_id: str
    code: str
    reason: str
    fields: tuple[str, ...] = ()
    seq: int | None = None  # the event whose state it no longer matches

    def describe(self) -> str:
        """One line naming the record, the fields and the event."""
        name = f"{self.table} {self.code or '#' + self.object_id}"
        if self.code:
            name += f" (id {self.object_id})"
        text = f"{name}: {self.reason}"
        if self.fields:
            text += " " + _("(fields: %(fields)s)") % {"fields": ", ".join(self.fields)}
        return text


@dataclass
class DataVerification:
    """The result of comparing every proved row with the chain."""

    checked: int = 0
    differences: list[Difference] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.differences


MAX_DIFFERENCES = 50


def _latest_states(using: str) -> dict[tuple[str, str], tuple[int, str]]:
    """Per (table, id) the last state the chain records, read in one pass over the events."""
    from nsatu.core.models import Event

    latest: dict[tuple[str, str], tuple[int, str]] = {}
    rows = (
        Event.objects.using(using)
        .filter(object_type__in=(*PROVED, LINES))
        .exclude(state="")
        .order_by("seq")
        .values_list("object_type", "object_id", "seq", "state")
    )
    for kind, key, seq, state in rows.iterator(chunk_size=CHUNK):
        latest[(kind, key)] = (seq, state)
    return latest


def _batches(queryset: models.QuerySet[Any]) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for obj in queryset.iterator(chunk_size=CHUNK):
        batch.append(obj)
        if len(batch) == CHUNK:
            yield batch
            batch = []
    if batch:
        yield batch


def verify_data(*, using: str = "default") -> DataVerification:
    """Compare every row of every proved table, and every plan run's lines, with the chain."""
    result = DataVerification()
    latest = _latest_states(using)
    for label in PROVED:
        _verify_table(apps.get_model(label), latest, result, using)
    _verify_lines(latest, result, using)
    return result


def _add(result: DataVerification, difference: Difference) -> None:
    if len(result.differences) < MAX_DIFFERENCES:
        result.differences.append(difference)


def _verify_table(
    model: type[models.Model],
    latest: Mapping[tuple[str, str], tuple[int, str]],
    result: DataVerification,
    using: str,
) -> None:
    label = _label(model)
    seen: set[str] = set()
    for batch in _batches(model._default_manager.using(using).order_by("pk")):
        for obj, state in zip(batch, states_of(batch), strict=True):
            key = str(obj.pk)
            seen.add(key)
            result.checked += 1
            recorded = latest.get((label, key))
            if recorded is None:
                _add(
                    result,
                    Difference(
                        label,
                        key,
                        code_of(obj),
                        _("no event records this record: it was inserted around the application"),
                    ),
                )
            elif recorded[1] == DELETED:
                _add(
                    result,
                    Difference(
                        label,
                        key,
                        code_of(obj),
                        _("event #%(seq)s deleted it, but it is stored") % {"seq": recorded[0]},
                        seq=recorded[0],
                    ),
                )
            elif recorded[1] != state:
                _add(
                    result,
                    Difference(
                        label,
                        key,
                        code_of(obj),
                        _("differs from the state event #%(seq)s recorded") % {"seq": recorded[0]},
                        fields=differing_fields(obj, using=using),
                        seq=recorded[0],
                    ),
                )
    for (kind, key), (seq, state) in sorted(latest.items(), key=lambda item: item[1][0]):
        if kind == label and state != DELETED and key not in seen:
            _add(
                result,
                Difference(
                    label,
                    key,
                    _code_in_events(kind, key, using),
                    _("event #%(seq)s recorded it, but it is gone: deleted around the application")
                    % {"seq": seq},
                    seq=seq,
                ),
            )


def _verify_lines(
    latest: Mapping[tuple[str, str], tuple[int, str]], result: DataVerification, using: str
) -> None:
    """Committed lines one by one, then each run's lines as a whole against its ``lines_digest``."""
    from nsatu.core.models import Event

    model = apps.get_model("planning", "Allocation")
    recorded: dict[str, tuple[int, str]] = {}
    events = (
        Event.objects.using(using)
        .filter(object_type=RUN, payload__has_key="lines_digest")
        .order_by("seq")
        .values_list("object_id", "seq", "payload")
    )
    for run, seq, payload in events.iterator(chunk_size=CHUNK):
        recorded[run] = (seq, str(payload["lines_digest"]))
    runs: dict[str, list[dict[str, Any]]] = {}
    for batch in _batches(model._default_manager.using(using).order_by("run_id", "pk")):
        for obj in batch:
            values = row_values(obj, {})
            runs.setdefault(str(obj.run_id), []).append(values)
            result.checked += 1
            line = latest.get((LINES, str(obj.pk)))
            if line is not None and line[1] != digest(values):
                _add(
                    result,
                    Difference(
                        LINES,
                        str(obj.pk),
                        "",
                        _("differs from the state event #%(seq)s recorded when it was committed")
                        % {"seq": line[0]},
                        fields=_fields_against_commit(obj, line[0], using),
                        seq=line[0],
                    ),
                )
    for run in sorted(set(runs) | set(recorded), key=int):
        lines, found = runs.get(run, []), recorded.get(run)
        if found is None:
            _add(result, Difference(RUN, run, "", _("its plan lines are recorded by no event")))
        elif digest(lines) != found[1]:
            _add(
                result,
                Difference(
                    RUN,
                    run,
                    "",
                    _("its %(n)s plan lines differ from those event #%(seq)s recorded")
                    % {"n": len(lines), "seq": found[0]},
                    seq=found[0],
                ),
            )


def _code_in_events(kind: str, key: str, using: str) -> str:
    from nsatu.core.models import Event

    code = (
        Event.objects.using(using)
        .filter(object_type=kind, object_id=key)
        .exclude(code="")
        .values_list("code", flat=True)
        .last()
    )
    return code or ""


def _fields_against_commit(obj: Any, seq: int, using: str) -> tuple[str, ...]:
    """The fields of a committed line that differ from its commit event's payload."""
    from nsatu.core.models import Event

    event = Event.objects.using(using).filter(seq=seq).first()
    payload = event.payload if event is not None and isinstance(event.payload, dict) else {}
    current = {
        "offer": obj.offer.code,
        "requirement": obj.requirement.code,
        "hub": obj.hub.code,
        "quantity": obj.quantity,
        "arrival_week": obj.arrival_week,
    }
    return tuple(name for name, value in current.items() if name in payload and payload[name] != value)


def differing_fields(obj: models.Model, *, using: str = "default") -> tuple[str, ...]:
    """The fields whose stored value is not the one the record's events leave it with.

    Replays the record's create snapshot and the ``changes`` of its updates;
    fields the events do not hold (a step's own payload) cannot be named.
    """
    from nsatu.core.models import Event
    from nsatu.core.services import snapshot

    recorded: dict[str, Any] = {}
    events = Event.objects.using(using).filter(object_type=_label(obj), object_id=str(obj.pk)).order_by("seq")
    for event in events:
        payload = event.payload if isinstance(event.payload, dict) else {}
        if isinstance(payload.get("changes"), dict):
            for name, change in payload["changes"].items():
                if isinstance(change, list) and len(change) == 2:
                    recorded[name] = change[1]
            if payload.get("version") is not None:
                recorded["version"] = payload["version"]
        elif event.action == "create":
            recorded = dict(payload)
    current = snapshot(obj)
    fields = {f.attname: f for f in _stored_fields(type(obj))}
    differing = []
    for name, value in current.items():
        if name not in recorded:
            continue
        stored = fields.get(name)
        try:
            same = (
                field_value(stored, recorded[name]) == field_value(stored, value)
                if stored is not None
                else recorded[name] == value
            )
        except (TypeError, ValueError, decimal.InvalidOperation):
            same = False
        if not same:
            differing.append(stored.name if stored is not None else name)
    return tuple(differing)
