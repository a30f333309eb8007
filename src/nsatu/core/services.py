"""Audited create/update/delete shared by every app's services.

App services call these so that each change and its ledger event are written
in one transaction.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any, TypeVar

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import connection, models, transaction
from django.db.models import Case, Value, When
from django.db.models.deletion import Collector
from django.db.models.expressions import DatabaseDefault
from django.db.models.functions import Cast
from django.utils.translation import gettext as _

from nsatu.core.actors import Actor
from nsatu.core.ledger import NewEvent, _jsonable, append_events
from nsatu.core.models import TrackedModel
from nsatu.core.proof import DELETED, PROVED, code_of, m2m_links, states_of

M = TypeVar("M", bound=models.Model)

# Keys per IN (...) list: far below SQLite's and PostgreSQL's parameter limits.
CHUNK = 500


class ConflictError(Exception):
    """Someone else saved the record since it was read (optimistic version check)."""


class RecordInUseError(ConflictError):
    """A record others depend on cannot be deleted or retired now; the message says what holds it."""


def runs_naming(lines: models.QuerySet[Any]) -> list[int]:
    """The plan runs whose lines are ``lines``, sorted (what a delete would take from their records)."""
    return sorted(set(lines.values_list("run_id", flat=True)))


def object_type(obj: models.Model | type[models.Model]) -> str:
    """`app.model`, as events name the kind of object."""
    meta = obj._meta
    return f"{meta.app_label}.{meta.model_name}"


def snapshot(obj: models.Model) -> dict[str, Any]:
    """Concrete field values and many-to-many codes (keys where the target has no code), JSON-ready."""
    return _snapshots([obj])[0]


def _snapshots(
    objs: Sequence[models.Model], links: Mapping[str, Mapping[Any, Sequence[tuple[Any, Any]]]] | None = None
) -> list[dict[str, Any]]:
    """``snapshot`` of many saved objects of one model, one query per many-to-many field."""
    if not objs:
        return []
    links = m2m_links([obj for obj in objs if obj.pk is not None]) if links is None else links
    data = []
    for obj in objs:
        item = {
            field.attname: _jsonable(getattr(obj, field.attname))
            for field in obj._meta.concrete_fields
            if field.name not in ("created_at", "updated_at")
        }
        if obj.pk is not None:
            for name, keys in links.items():
                item[name] = [code for _key, code in keys[obj.pk]]
        data.append(item)
    return data


def _recorded(objs: Sequence[models.Model]) -> tuple[list[dict[str, Any]], list[str]]:
    """The payload snapshot and the state digest of each saved object, from one read of its links."""
    links = m2m_links(objs)
    return _snapshots(objs, links), states_of(objs, links)


def _through(m2m: Any) -> tuple[type[models.Model], str, str]:
    """The through-model of a many-to-many field and the columns naming its two ends."""
    through = m2m.remote_field.through
    source = through._meta.get_field(m2m.m2m_field_name()).attname
    target = through._meta.get_field(m2m.m2m_reverse_field_name()).attname
    return through, source, target


def _chunks(values: Sequence[Any]) -> Iterator[Sequence[Any]]:
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


def _set_m2m(obj: models.Model, m2m: Mapping[str, Iterable[Any]]) -> None:
    for name, values in m2m.items():
        getattr(obj, name).set(list(values))


def create_record(
    model: type[M], *, actor: Actor, m2m: Mapping[str, Iterable[Any]] | None = None, **fields: Any
) -> M:
    """Validate, insert and record one object."""
    with transaction.atomic():
        obj = model(**fields)
        obj.full_clean()
        obj.save()
        _set_m2m(obj, m2m or {})
        (payload,), (state,) = _recorded([obj])
        append_events(
            [
                NewEvent(
                    action="create",
                    object_type=object_type(obj),
                    object_id=obj.pk,
                    payload=payload,
                    code=code_of(obj),
                    state=state,
                )
            ],
            actor=actor,
        )
    return obj


def version_conflict_message(obj: models.Model, version: int, edited: int) -> str:
    """What a person is told whose save comes after someone else's: the two versions, and what to do."""
    return _(
        "%(kind)s %(record)s was changed by someone else (version %(version)s, "
        "you edited version %(edited)s); reload and try again"
    ) % {"kind": obj._meta.verbose_name, "record": obj, "version": version, "edited": edited}


def update_record(
    obj: M,
    *,
    actor: Actor,
    expected_version: int | None = None,
    m2m: Mapping[str, Iterable[Any]] | None = None,
    action: str = "update",
    **changes: Any,
) -> M:
    """Apply ``changes`` and record what changed. Refuses a stale ``expected_version``."""
    with transaction.atomic():
        model = type(obj)
        current = model._default_manager.select_for_update().get(pk=obj.pk)
        if (
            isinstance(current, TrackedModel)
            and expected_version is not None
            and current.version != expected_version
        ):
            raise ConflictError(version_conflict_message(obj, current.version, expected_version))
        before = snapshot(current)
        for name, value in changes.items():
            setattr(current, name, value)
        if isinstance(current, TrackedModel):
            current.version += 1
        current.full_clean()
        current.save()
        _set_m2m(current, m2m or {})
        (after,), (state,) = _recorded([current])
        diff = {k: [before.get(k), v] for k, v in after.items() if before.get(k) != v and k != "version"}
        append_events(
            [
                NewEvent(
                    action=action,
                    object_type=object_type(current),
                    object_id=current.pk,
                    payload={"changes": diff, "version": getattr(current, "version", None)},
                    code=code_of(current),
                    state=state,
                )
            ],
            actor=actor,
        )
    return current


def create_records(model: type[M], rows: Sequence[Mapping[str, Any]], *, actor: Actor) -> list[M]:
    """Validate, insert and record many objects of one model, in a fixed number of queries.

    Each row maps field names to values; a many-to-many field takes an iterable
    of objects or keys. Every row is validated as ``full_clean()`` would before
    anything is written (the first invalid row's error is raised), and each
    object gets the create event ``create_record`` would write.
    """
    m2m_names = {m2m.name for m2m in model._meta.many_to_many}
    objs = [model(**{k: v for k, v in row.items() if k not in m2m_names}) for row in rows]
    if not objs:
        return []
    with transaction.atomic():
        validate_records(objs)
        model._default_manager.bulk_create(objs)
        if any(obj.pk is None for obj in objs):
            raise RuntimeError(f"the database did not return the keys of the new {model._meta.verbose_name}")
        for m2m in model._meta.many_to_many:
            through, source, target = _through(m2m)
            links: list[models.Model] = []
            for obj, row in zip(objs, rows, strict=True):
                related = {_related_key(m2m, value) for value in row.get(m2m.name, ())}
                links.extend(through(**{source: obj.pk, target: key}) for key in related)
            through._default_manager.bulk_create(links)
        kind = object_type(model)
        payloads, states = _recorded(objs)
        append_events(
            [
                NewEvent(
                    action="create",
                    object_type=kind,
                    object_id=obj.pk,
                    payload=payload,
                    code=code_of(obj),
                    state=state,
                )
                for obj, payload, state in zip(objs, payloads, states, strict=True)
            ],
            actor=actor,
        )
    return objs


def _related_key(m2m: Any, value: Any) -> Any:
    if isinstance(value, models.Model):
        return value.pk
    return m2m.target_field.to_python(value)


def update_records(
    updates: Sequence[tuple[M, Mapping[str, Any]]], *, actor: Actor, action: str = "update"
) -> list[M]:
    """Apply each object's changes and record what changed, in a fixed number of queries.

    ``updates`` pairs objects of one model with the field values to set on
    them. The rows are locked in key order, validated as ``full_clean()`` would,
    written by one UPDATE per 500 objects, and each gets the event
    ``update_record`` would write (its changes and new version), in the order given.
    """
    if not updates:
        return []
    model = type(updates[0][0])
    pks = [obj.pk for obj, _changes in updates]
    if any(type(obj) is not model for obj, _changes in updates):
        raise ValueError("update_records changes objects of one model at a time")
    if len(set(pks)) != len(pks):
        raise ValueError("update_records changes each object once")
    names = _concrete_names(model, {name for _obj, changes in updates for name in changes})
    with transaction.atomic():
        locked: dict[Any, M] = {}
        for chunk in _chunks(sorted(pks)):
            locked.update(
                (obj.pk, obj)
                for obj in model._default_manager.select_for_update().filter(pk__in=chunk).order_by("pk")
            )
        missing = [pk for pk in pks if pk not in locked]
        if missing:
            raise model.DoesNotExist(f"no {model._meta.verbose_name} with key {missing[0]}")  # type: ignore[attr-defined]
        current = [locked[pk] for pk in pks]
        before = _snapshots(current)
        for obj, (_given, changes) in zip(current, updates, strict=True):
            for name, value in changes.items():
                setattr(obj, name, value)
            if isinstance(obj, TrackedModel):
                obj.version += 1
        validate_records(current)
        written = set(names)
        if issubclass(model, TrackedModel):
            written.add("version")
        for field in model._meta.concrete_fields:
            if getattr(field, "auto_now", False):
                written.add(field.name)
                stamp = field.pre_save(current[0], False)  # one stamp for the batch, as save() would set
                for obj in current:
                    setattr(obj, field.attname, stamp)
        _write_fields(model, current, sorted(written))
        after, states = _recorded(current)
        kind = object_type(model)
        events = []
        for obj, old, new, state in zip(current, before, after, states, strict=True):
            diff = {k: [old.get(k), v] for k, v in new.items() if old.get(k) != v and k != "version"}
            events.append(
                NewEvent(
                    action=action,
                    object_type=kind,
                    object_id=obj.pk,
                    payload={"changes": diff, "version": getattr(obj, "version", None)},
                    code=code_of(obj),
                    state=state,
                )
            )
        append_events(events, actor=actor)
    return current


def _write_fields(model: type[models.Model], objs: Sequence[models.Model], names: Sequence[str]) -> None:
    """UPDATE ``names`` of the objects from their attributes, one statement per chunk of objects.

    A value the objects share is set as is; values that differ become a CASE
    over the keys holding each value, so the statement grows with the distinct
    values, not with the objects (``bulk_update`` builds one WHEN per object).
    """
    fields = [model._meta.get_field(name) for name in names]
    for chunk in _chunks(objs):
        assignments: dict[str, Any] = {}
        for field in fields:
            assert isinstance(field, models.Field)
            groups = _grouped(chunk, field.attname)
            if len(groups) == 1:
                assignments[field.name] = Value(groups[0][0], output_field=field)
                continue
            case: Any = Case(
                *(When(pk__in=pks, then=Value(value, output_field=field)) for value, pks in groups),
                output_field=field,
            )
            if connection.features.requires_casted_case_in_updates:
                case = Cast(case, output_field=field)
            assignments[field.name] = case
        model._default_manager.filter(pk__in=[obj.pk for obj in chunk]).update(**assignments)


def _grouped(objs: Sequence[models.Model], attname: str) -> list[tuple[Any, list[Any]]]:
    """The distinct values of one attribute with the keys of the objects holding each."""
    groups: list[tuple[Any, list[Any]]] = []
    index: dict[Any, int] = {}
    for obj in objs:
        value = getattr(obj, attname)
        key = (type(value), value)
        try:
            position = index.setdefault(key, len(groups))
        except TypeError:  # an unhashable value (a JSON document): a group of its own
            groups.append((value, [obj.pk]))
            continue
        if position == len(groups):
            groups.append((value, []))
        groups[position][1].append(obj.pk)
    return groups


def _concrete_names(model: type[models.Model], names: Iterable[str]) -> list[str]:
    """The names of the concrete fields to write; refuses many-to-many, key and unknown names."""
    result = []
    for name in names:
        field = model._meta.get_field(name)
        if (
            not isinstance(field, models.Field)
            or not field.concrete
            or field.many_to_many
            or field.primary_key
        ):
            raise ValueError(f"update_records cannot set {model._meta.label}.{name}")
        result.append(field.name)
    return result


# --- validation of many objects ------------------------------------------------------------------
#
# ``full_clean()`` costs queries per object: one per foreign key, per unique
# field and per check constraint. ``validate_records`` asks the same questions
# of a whole batch at once: one query per foreign key and per unique field set,
# check constraints evaluated in Python. Whenever it suspects a violation, or
# meets a condition it cannot evaluate, it asks Django's own validator for that
# object, so errors read exactly as ``full_clean()`` words them.

ErrorDict = dict[str, list[ValidationError]]


def validate_records(objs: Sequence[models.Model]) -> None:
    """Run what ``full_clean()`` checks on every object, in queries that do not grow with their number.

    Raises the first invalid object's ``ValidationError``, keyed by field as
    ``full_clean()`` keys it. Like ``full_clean()``, it stores each field's
    cleaned value on its object.
    """
    if not objs:
        return
    errors: list[ErrorDict] = [{} for _ in objs]
    _clean_fields(objs, errors)
    for obj, found in zip(objs, errors, strict=True):
        try:
            obj.clean()
        except ValidationError as exc:
            exc.update_error_dict(found)
    _check_unique(objs, errors)
    _check_constraints(objs, errors)
    for found in errors:
        if found:
            raise ValidationError(found)


def _failed(found: ErrorDict) -> set[str]:
    """Fields that failed so far: later checks skip them, as full_clean() does."""
    return {name for name in found if name != NON_FIELD_ERRORS}


def _clean_fields(objs: Sequence[models.Model], errors: list[ErrorDict]) -> None:
    """``clean_fields()`` per object, with each foreign key's targets looked up once for all."""
    targets: dict[models.ForeignKey[Any, Any], list[tuple[int, Any]]] = {}
    for i, obj in enumerate(objs):
        for field in obj._meta.fields:
            if field.generated:
                continue
            raw = getattr(obj, field.attname)
            if (field.blank and raw in field.empty_values) or isinstance(raw, DatabaseDefault):
                continue
            try:
                if isinstance(field, models.ForeignKey):
                    value = field.to_python(raw)
                    # Field.validate: the checks of ForeignKey.validate less its query.
                    models.Field.validate(field, value, obj)
                    field.run_validators(value)
                    if value is not None and not field.remote_field.parent_link:
                        targets.setdefault(field, []).append((i, value))
                else:
                    value = field.clean(raw, obj)
                setattr(obj, field.attname, value)
            except ValidationError as exc:
                errors[i][field.name] = exc.error_list
    for field, uses in targets.items():
        remote = field.remote_field
        wanted = list({value for _i, value in uses})
        found: set[Any] = set()
        for chunk in _chunks(wanted):
            rows = (
                remote.model._base_manager.filter(**{f"{remote.field_name}__in": chunk})
                .complex_filter(field.get_limit_choices_to())
                .values_list(str(remote.field_name), flat=True)
            )
            found.update(rows)
        for i, value in uses:
            if value not in found:
                try:
                    field.validate(value, objs[i])
                except ValidationError as exc:
                    errors[i][field.name] = exc.error_list


def _check_unique(objs: Sequence[models.Model], errors: list[ErrorDict]) -> None:
    """``validate_unique()`` for all objects: one query per unique field set; duplicates in the batch too."""
    groups: dict[tuple[type[models.Model], tuple[str, ...]], list[int]] = {}
    for i, obj in enumerate(objs):
        checks, date_checks = obj._get_unique_checks(exclude=_failed(errors[i]))  # type: ignore[attr-defined]
        for model_class, fields in checks:
            groups.setdefault((model_class, tuple(fields)), []).append(i)
        for key, found in obj._perform_date_checks(date_checks).items():  # type: ignore[attr-defined]
            errors[i].setdefault(key, []).extend(found)
    for (model_class, fields), indexes in groups.items():
        for i in _duplicates(objs, indexes, model_class, fields):
            key = fields[0] if len(fields) == 1 else NON_FIELD_ERRORS
            errors[i].setdefault(key, []).append(objs[i].unique_error_message(model_class, fields))


def _duplicates(
    objs: Sequence[models.Model], indexes: list[int], model_class: type[models.Model], fields: tuple[str, ...]
) -> list[int]:
    """The objects that would share their values of ``fields`` with another row, stored or in the batch."""
    keys: dict[int, tuple[Any, ...]] = {}
    for i in indexes:
        obj = objs[i]
        values = []
        for name in fields:
            field = obj._meta.get_field(name)
            assert isinstance(field, models.Field)
            value = getattr(obj, field.attname)
            skip_null = value is None or (
                value == "" and connection.features.interprets_empty_strings_as_nulls
            )
            if skip_null or (field in model_class._meta.pk_fields and not obj._state.adding):
                break  # a NULL never collides; an edited object keeps its own key
            values.append(value)
        else:
            keys[i] = tuple(values)
    if not keys:
        return []
    bad: set[int] = set()
    first: dict[tuple[Any, ...], int] = {}
    for i, key in keys.items():
        if key in first:
            bad.add(i)
        else:
            first[key] = i
    stored: dict[tuple[Any, ...], set[Any]] = {}
    leading = list({key[0] for key in keys.values()})
    for chunk in _chunks(leading):
        rows = model_class._default_manager.filter(**{f"{fields[0]}__in": chunk}).values_list(*fields, "pk")
        for row in rows:
            stored.setdefault(tuple(row[:-1]), set()).add(row[-1])
    for i, key in keys.items():
        obj = objs[i]
        own = None if obj._state.adding else obj._get_pk_val(model_class._meta)
        if stored.get(key, set()) - {own}:
            bad.add(i)
    return sorted(bad)


def _check_constraints(objs: Sequence[models.Model], errors: list[ErrorDict]) -> None:
    """``validate_constraints()`` for all objects: checks in Python, plain unique ones by one query each."""
    unique: dict[tuple[type[models.Model], str], tuple[models.UniqueConstraint, list[int]]] = {}
    found: list[ErrorDict] = [{} for _ in objs]
    for i, obj in enumerate(objs):
        exclude = _failed(errors[i])
        for model_class, constraints in obj.get_constraints():
            for constraint in constraints:
                if isinstance(constraint, models.UniqueConstraint) and _plain_unique(constraint, model_class):
                    if not exclude.intersection(constraint.fields):
                        unique.setdefault((model_class, constraint.name), (constraint, []))[1].append(i)
                    continue
                if isinstance(constraint, models.CheckConstraint) and _check_holds(
                    constraint.condition, obj, model_class, exclude
                ):
                    continue
                # Violated, or not decidable here: let Django's validator decide and word it.
                try:
                    constraint.validate(model_class, obj, exclude=exclude)  # type: ignore[attr-defined]
                except ValidationError as exc:
                    _add_constraint_error(found[i], constraint, exc)
    for (model_class, _name), (constraint, indexes) in unique.items():
        for i in _duplicates(objs, indexes, model_class, tuple(constraint.fields)):
            _add_constraint_error(found[i], constraint, _unique_violation(constraint, model_class, objs[i]))
    for target, extra in zip(errors, found, strict=True):
        if extra:
            ValidationError(extra).update_error_dict(target)


def _plain_unique(constraint: models.UniqueConstraint, model_class: type[models.Model]) -> bool:
    """A unique constraint over stored fields, unconditional, NULLs distinct: decidable by lookup."""
    return (
        bool(constraint.fields)
        and not constraint.condition
        and not constraint.expressions
        and constraint.nulls_distinct is not False
        and not any(
            getattr(model_class._meta.get_field(name), "generated", False) for name in constraint.fields
        )
    )


def _unique_violation(
    constraint: models.UniqueConstraint, model_class: type[models.Model], obj: models.Model
) -> ValidationError:
    """The error UniqueConstraint.validate raises on a duplicate."""
    if constraint.violation_error_message == constraint.default_violation_error_message:
        message = obj.unique_error_message(model_class, tuple(constraint.fields))
        return ValidationError(message, code=message.code)
    return ValidationError(constraint.get_violation_error_message(), code=constraint.violation_error_code)


def _add_constraint_error(found: ErrorDict, constraint: models.BaseConstraint, exc: ValidationError) -> None:
    """File a constraint's error as validate_constraints() files it."""
    fields: tuple[str, ...] = tuple(getattr(constraint, "fields", ()))
    if getattr(exc, "code", None) == "unique" and len(fields) == 1:
        found.setdefault(fields[0], []).append(exc)
    else:
        exc.update_error_dict(found)


class _Undecided(Exception):
    """A check condition this module does not evaluate in Python."""


_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "exact": operator.eq,
    "gt": operator.gt,
    "gte": operator.ge,
    "lt": operator.lt,
    "lte": operator.le,
}


def _check_holds(
    condition: Any, obj: models.Model, model_class: type[models.Model], exclude: set[str]
) -> bool:
    """True when the check surely holds (as in SQL, unknown passes); False if violated or unsure."""
    if not isinstance(condition, models.Q):
        return False
    values: dict[str, Any] = {}
    for field in model_class._meta.local_concrete_fields:
        if field.name in exclude:
            continue
        if field.generated:
            return False
        value = getattr(obj, field.attname)
        if hasattr(value, "resolve_expression"):
            return False
        values[field.name] = value
    if "pk" not in exclude:
        values["pk"] = obj.pk
    try:
        return _truth(condition, values) is not False
    except (_Undecided, TypeError, ValueError, re.error):
        return False


def _truth(q: models.Q, values: Mapping[str, Any]) -> bool | None:
    """Three-valued (True, False, None for SQL NULL) value of a Q over field values."""
    results = [
        _truth(child, values) if isinstance(child, models.Q) else _lookup(child, values)
        for child in q.children
    ]
    if q.connector == models.Q.AND:
        result = False if False in results else (None if None in results else True)
    elif q.connector == models.Q.OR:
        result = True if True in results else (None if None in results else False)
    else:
        raise _Undecided(q.connector)
    return (None if result is None else not result) if q.negated else result


def _lookup(child: Any, values: Mapping[str, Any]) -> bool | None:
    if not isinstance(child, tuple) or len(child) != 2:
        raise _Undecided(child)
    path, rhs = child
    name, _, op = path.partition("__")
    op = op or "exact"
    if name not in values or "__" in op:
        raise _Undecided(path)
    lhs = values[name]
    if isinstance(rhs, models.F):
        if rhs.name not in values:
            raise _Undecided(rhs)
        rhs = values[rhs.name]
    elif hasattr(rhs, "resolve_expression"):
        raise _Undecided(rhs)
    if op == "isnull":
        return (lhs is None) == bool(rhs)
    if op == "exact" and rhs is None:
        return lhs is None  # Django reads field=None as IS NULL
    if op == "in":
        options = list(rhs)
        if lhs is None:
            return None
        if lhs in [v for v in options if v is not None]:
            return True
        return None if None in options else False
    if op == "regex":
        if lhs is None:
            return None
        if not isinstance(lhs, str) or not isinstance(rhs, str):
            raise _Undecided(path)
        return re.search(rhs, lhs) is not None
    compare = _COMPARE.get(op)
    if compare is None:
        raise _Undecided(path)
    if lhs is None or rhs is None:
        return None
    return bool(compare(lhs, rhs))


def delete_record(obj: models.Model, *, actor: Actor) -> None:
    """Delete one object, recording what it held."""
    with transaction.atomic():
        payload = snapshot(obj)
        kind, pk, code = object_type(obj), obj.pk, code_of(obj)
        events = [
            NewEvent(
                action="delete", object_type=kind, object_id=pk, payload=payload, code=code, state=DELETED
            )
        ]
        # What the delete takes with it (aliases of a family, routes of a hub) is recorded too,
        # so the chain never names a state for a row that is gone.
        collector = Collector(using=obj._state.db or "default")
        collector.collect([obj])
        for model, instances in collector.data.items():
            if object_type(model) not in PROVED:
                continue
            for other in sorted(instances, key=lambda o: o.pk):
                if type(other) is type(obj) and other.pk == pk:
                    continue
                events.append(
                    NewEvent(
                        action="delete",
                        object_type=object_type(other),
                        object_id=other.pk,
                        payload={"with": code or pk},
                        code=code_of(other),
                        state=DELETED,
                    )
                )
        obj.delete()
        append_events(events, actor=actor)


def raise_for_fields(errors: Mapping[str, str]) -> None:
    """Raise a ValidationError keyed by field when ``errors`` is not empty."""
    if errors:
        raise ValidationError(dict(errors))
