"""The only bridge between the ORM and the planner, which stays free of Django.

- :func:`scenario_from_db` turns the database into a planner ``Scenario``:
  by default what a new plan may still use once the approved runs' lines are
  subtracted; with ``remaining=False`` the records as stored (the export).
- :func:`import_scenario` writes a ``Scenario`` into the database: all or
  nothing, idempotent (keyed by ids and codes), one ledger event per row
  created or changed and none for rows already as the file says. What a file
  does not give (an extension file, a platform column) leaves the stored
  values alone; columns the platform does not model go to each row's ``extra``.
  It refuses a quantity below what approved runs committed.
- :func:`save_plan` stores a planner ``Plan`` as a run's allocation rows.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import numpy as np
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.utils.translation import gettext as _

from nsatu.catalog.models import Capability, Family, FamilyAlias, ItemType
from nsatu.core.actors import Actor
from nsatu.core.releasability import format_marking, parse_marking
from nsatu.core.services import create_records, update_record, update_records
from nsatu.logistics.models import Hub, Route
from nsatu.nations.models import Agreement, Coalition, Nation, Pledge
from nsatu.needs.models import Requirement, RequirementStatus
from nsatu.offers.models import Offer, OfferStatus
from nsatu.planner.io import EXTENSION_COLUMNS, KNOWN_EXTRA_COLUMNS, CellError, ScenarioError, format_number
from nsatu.planner.plan import Plan
from nsatu.planner.scenario import (
    Courses,
    Families,
    FloatArray,
    Hubs,
    Items,
    Nations,
    Offers,
    Requirements,
    Routes,
    Scenario,
)
from nsatu.planning.models import (
    Allocation,
    PlanningSettings,
    PlanRun,
    SeatUse,
    active_line_quantities,
    committed_by_code,
    committed_by_requirement,
    quantity_tolerance,
    taken_by_offer,
    taken_by_offer_code,
    uncommitted,
)
from nsatu.training.models import Course

ImportProgress = Callable[[str, int, int], None]  # (table, rows done, rows in table)

# Extra columns that are fields of the platform's records, not text kept in `extra`:
# the reader's known columns, and `countable` (ItemType.countable; the planner reads it too).
PLATFORM_COLUMNS: dict[str, tuple[str, ...]] = {
    **KNOWN_EXTRA_COLUMNS,
    "item_types": (*KNOWN_EXTRA_COLUMNS.get("item_types", ()), "countable"),
}


@dataclass
class ImportReport:
    """How many rows of each table were created, changed or already as given."""

    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    unchanged: dict[str, int] = field(default_factory=dict)

    def count(self, table: str, outcome: str) -> None:
        bucket = getattr(self, outcome)
        bucket[table] = bucket.get(table, 0) + 1

    @property
    def changed_rows(self) -> int:
        return sum(self.created.values()) + sum(self.updated.values())


def _comparable(value: Any) -> Any:
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, float) and value.is_integer():
        return value
    return value


@dataclass
class _Row:
    """One row of a table to upsert: its key, its values, its many-to-many links and extra columns."""

    key: dict[str, Any]
    values: dict[str, Any]
    m2m: dict[str, list[Any]] = field(default_factory=dict)
    extra: dict[str, str] | None = None


# Rows written per batch: one ledger lock, a few queries, and a progress tick each.
IMPORT_BATCH = 1000


class _Upserter:
    """Creates or updates the rows of a table in batches, recording only real changes.

    Each batch costs a fixed number of queries (existing rows in one, new ones by
    ``create_records``, changed ones by ``update_records``), so an import grows
    with the number of tables, not of rows, and writes the events
    ``create_record``/``update_record`` would, one per row created or changed.
    """

    def __init__(self, actor: Actor, report: ImportReport, tick: ImportProgress) -> None:
        self.actor, self.report, self.tick = actor, report, tick

    def __call__(
        self,
        table: str,
        model: type[models.Model],
        key: dict[str, Any],
        values: dict[str, Any],
        m2m: dict[str, Iterable[Any]] | None = None,
        extra: dict[str, str] | None = None,
    ) -> Any:
        """Upsert one row (a table of one)."""
        row = _Row(key, values, {name: list(items) for name, items in (m2m or {}).items()}, extra)
        return self.many(table, model, [row], progress=False)[0]

    def many(
        self, table: str, model: type[models.Model], rows: list[_Row], *, progress: bool = True
    ) -> list[Any]:
        """Upsert the rows, in order; returns the stored objects in the same order."""
        stored: list[Any] = []
        for start in range(0, len(rows), IMPORT_BATCH):
            stored.extend(self._batch(table, model, rows[start : start + IMPORT_BATCH]))
            if progress:
                self.tick(table, len(stored), len(rows))
        return stored

    def _batch(self, table: str, model: type[models.Model], rows: list[_Row]) -> list[Any]:
        existing = _existing(model, rows)
        result: list[Any] = [None] * len(rows)
        new: list[tuple[int, dict[str, Any]]] = []
        changed: list[tuple[int, Any, dict[str, Any]]] = []
        relinked: list[tuple[int, Any, dict[str, Any], dict[str, list[Any]]]] = []
        for i, row in enumerate(rows):
            current = existing.get(_key_of(model, row.key))
            values = row.values
            if row.extra is not None:
                stored = getattr(current, "extra", None) or {}
                values = {**values, "extra": {**stored, **row.extra}}
            if current is None:
                new.append((i, {**row.key, **values, **row.m2m}))
                continue
            changes = {k: v for k, v in values.items() if _stored(current, k) != _comparable(v)}
            m2m_changes = {
                name: items
                for name, items in row.m2m.items()
                if {o.pk for o in getattr(current, name).all()} != {o.pk for o in items}
            }
            result[i] = current
            if m2m_changes:
                relinked.append((i, current, changes, m2m_changes))
            elif changes:
                changed.append((i, current, changes))
            else:
                self.report.count(table, "unchanged")
        created = create_records(model, [fields for _i, fields in new], actor=self.actor)
        for (i, _fields), obj in zip(new, created, strict=True):
            result[i] = obj
            self.report.count(table, "created")
        updated = update_records(
            [(obj, changes) for _i, obj, changes in changed], actor=self.actor, action="import-update"
        )
        for (i, _obj, _changes), obj in zip(changed, updated, strict=True):
            result[i] = obj
            self.report.count(table, "updated")
        # rare (a requirement accepting other families): one record at a time, as before
        for i, obj, changes, m2m_changes in relinked:
            result[i] = update_record(
                obj, actor=self.actor, action="import-update", m2m=m2m_changes, **changes
            )
            self.report.count(table, "updated")
        return result


def _stored(obj: models.Model, name: str) -> Any:
    """A field's stored value as ``_comparable`` gives it; a related record by its key, unread."""
    field = obj._meta.get_field(name)
    if getattr(field, "many_to_one", False):
        return getattr(obj, field.attname)  # type: ignore[union-attr]
    return _comparable(getattr(obj, name))


def _key_of(model: type[models.Model], key: Mapping[str, Any]) -> tuple[Any, ...]:
    """A row's key as comparable values (related objects by their keys), in field order."""
    return tuple(_comparable(key[name]) for name in sorted(key))


def _existing(model: type[models.Model], rows: list[_Row]) -> dict[tuple[Any, ...], Any]:
    """The stored rows of the batch, by key, in one query (with their many-to-many links)."""
    names = sorted(rows[0].key)
    first = names[0]
    wanted = {_comparable(row.key[first]) for row in rows}
    m2m = sorted({name for row in rows for name in row.m2m})
    queryset = model._default_manager.filter(**{f"{first}__in": wanted}).prefetch_related(*m2m)
    found: dict[tuple[Any, ...], Any] = {}
    for obj in queryset:
        found[tuple(_stored(obj, name) for name in names)] = obj
    return found


def _given(scenario: Scenario, table: str, row: int, column: str) -> str | None:
    """A platform column's cell as text, or None when the file has no such column."""
    rows = scenario.extra_columns.get(table) or []
    if row >= len(rows) or column not in rows[row]:
        return None
    return str(rows[row][column] or "")


def _unmodelled(scenario: Scenario, table: str, row: int) -> dict[str, str]:
    """The row's extra columns the platform has no field for (`note`, `source`, ...), as text."""
    rows = scenario.extra_columns.get(table) or []
    known = PLATFORM_COLUMNS.get(table, ())
    if row >= len(rows):
        return {}
    return {k: str(v or "") for k, v in rows[row].items() if k not in known}


def _extension_extra(table: str, record: dict[str, object]) -> dict[str, str]:
    """An extension row's columns beyond the ones docs/format.md defines, as text."""
    fixed = EXTENSION_COLUMNS[table]
    return {k: "" if v is None else str(v) for k, v in record.items() if k not in fixed}


def _with_given(values: dict[str, Any], **given: Any) -> dict[str, Any]:
    """``values`` plus each given value that is not None (None = the file does not say)."""
    return {**values, **{k: v for k, v in given.items() if v is not None}}


def _is_true(text: str) -> bool:
    return text.strip().lower() in {"true", "1", "yes"}


def import_scenario(
    scenario: Scenario, *, actor: Actor, progress: ImportProgress | None = None, dry_run: bool = False
) -> ImportReport:
    """Write ``scenario`` into the database in one transaction.

    Raises ``ScenarioError`` (and writes nothing) when a row contradicts the
    database, e.g. an item type whose code exists with another family. With
    ``dry_run`` everything is done and then rolled back: the report says
    exactly what a real import would create and change.
    """
    report = ImportReport()
    tick = progress or (lambda table, done, total: None)
    try:
        with transaction.atomic():
            _import_all(scenario, _Upserter(actor, report, tick))
            if dry_run:
                transaction.set_rollback(True)
    except (ValidationError, IntegrityError) as exc:
        raise ScenarioError(
            [CellError("(database)", 0, "", f"the database refused the import: {exc}")]
        ) from exc
    return report


def _below_commitments(s: Scenario) -> list[CellError]:
    """A file may not set an offer or a requirement below what approved runs committed of it."""
    errors = []
    for table, committed, ids, quantities in (
        ("requirements", committed_by_code("requirement"), s.requirements.ids, s.requirements.quantity),
        ("offers", taken_by_offer_code(), s.offers.ids, s.offers.quantity),
    ):
        for code, quantity in zip(ids, quantities, strict=True):
            done = committed.get(code, 0.0)
            if done > float(quantity) + quantity_tolerance(float(quantity)):
                message = _(
                    "%(id)s: approved plans have committed %(committed)s of it; "
                    "the quantity cannot be %(quantity)s"
                ) % {"id": code, "committed": format_number(done), "quantity": format_number(quantity)}
                errors.append(CellError(f"{table}.csv", 0, "quantity", message))
    return errors


def _import_all(scenario: Scenario, upsert: _Upserter) -> None:
    s = scenario
    refused = _below_commitments(s)
    if refused:
        raise ScenarioError(refused)
    stored_nations = upsert.many(
        "nations",
        Nation,
        [
            _Row(
                {"iso3": code},
                _with_given(
                    {
                        "name": s.nations.names[i],
                        "nato": bool(s.nations.nato[i]),
                        "eu": bool(s.nations.eu[i]),
                    },
                    codification_bureau=_given(s, "nations", i, "codification_bureau"),
                ),
                extra=_unmodelled(s, "nations", i),
            )
            for i, code in enumerate(s.nations.codes)
        ],
    )
    nations: dict[str, Nation] = dict(zip(s.nations.codes, stored_nations, strict=True))
    meta = (s.extensions.get("_meta") or [{}])[0]
    upsert(
        "scenario",
        PlanningSettings,
        {"singleton": 1},
        _with_given(
            {
                "start_date": s.start_date,
                "horizon_weeks": s.horizon_weeks,
                "recipient": nations.get(s.recipient) or Nation.objects.get(iso3=s.recipient),
                "lateness_half_life_weeks": s.lateness_half_life_weeks,
                "default_family_cost": s.default_family_cost,
            },
            name=None if "name" not in meta else str(meta["name"]),
            description=None if "description" not in meta else str(meta["description"]),
        ),
    )
    # Without capabilities.csv the file says nothing about names: stored names stay.
    listed = {str(r["code"]): r for r in s.extensions.get("capabilities", [])}
    capability_codes = sorted(set(s.capability_codes) | set(listed))
    stored_capabilities = upsert.many(
        "capabilities",
        Capability,
        [
            _Row(
                {"code": code},
                {} if listed.get(code) is None else {"name": str(listed[code].get("name", "") or "")},
                extra=None if listed.get(code) is None else _extension_extra("capabilities", listed[code]),
            )
            for code in capability_codes
        ],
    )
    capabilities: dict[str, Capability] = dict(zip(capability_codes, stored_capabilities, strict=True))
    stored_families = upsert.many(
        "families",
        Family,
        [
            _Row(
                {"code": code},
                {
                    "name": s.families.names[i],
                    "capability": capabilities[s.capability_codes[int(s.families.capability[i])]],
                    "in_service": bool(s.families.in_service[i]),
                    "introduction_cost": float(s.families.cost[i]) if s.families.cost_given[i] else None,
                    "crew_per_unit": float(s.families.crew_per_unit[i]),
                    "existing_crews": float(s.families.existing_crews[i]),
                },
                extra=_unmodelled(s, "families", i),
            )
            for i, code in enumerate(s.families.codes)
        ],
    )
    families: dict[str, Family] = dict(zip(s.families.codes, stored_families, strict=True))
    upsert.many(
        "family_aliases",
        FamilyAlias,
        [
            _Row(
                {"alias": str(row["alias"])},
                {"family": families[str(row["family"])], "source": str(row.get("source", "") or "")},
                extra=_extension_extra("family_aliases", row),
            )
            for row in s.extensions.get("family_aliases", [])
        ],
    )
    stored_items = upsert.many(
        "item_types", ItemType, [_item_row(s, i, code, families) for i, code in enumerate(s.items.codes)]
    )
    items: dict[str, ItemType] = dict(zip(s.items.codes, stored_items, strict=True))
    recipient = nations.get(s.recipient) or Nation.objects.get(iso3=s.recipient)
    stored_requirements = upsert.many(
        "requirements",
        Requirement,
        [
            _requirement_row(s, i, code, recipient, capabilities, families, nations)
            for i, code in enumerate(s.requirements.ids)
        ],
    )
    requirements: dict[str, Requirement] = dict(zip(s.requirements.ids, stored_requirements, strict=True))
    allocated_codes = set(Offer.objects.filter(status=OfferStatus.ALLOCATED).values_list("code", flat=True))
    upsert.many(
        "offers",
        Offer,
        [
            _offer_row(s, i, code, nations, items, requirements, allocated_codes)
            for i, code in enumerate(s.offers.ids)
        ],
    )
    stored_hubs = upsert.many(
        "hubs",
        Hub,
        [
            _Row(
                {"code": code},
                {
                    "name": s.hubs.names[i],
                    "nation": nations[s.hubs.iso3[i]],
                    "capacity_t_per_week": float(s.hubs.capacity_t[i]),
                },
                extra=_unmodelled(s, "hubs", i),
            )
            for i, code in enumerate(s.hubs.codes)
        ],
    )
    hubs: dict[str, Hub] = dict(zip(s.hubs.codes, stored_hubs, strict=True))
    upsert.many(
        "routes",
        Route,
        [
            _Row(
                {
                    "donor": nations[s.nations.codes[int(s.routes.donor[k])]],
                    "hub": hubs[s.hubs.codes[int(s.routes.hub[k])]],
                },
                {"lead_time_days": int(s.routes.lead_days[k])},
                extra=_unmodelled(s, "routes", k),
            )
            for k in range(len(s.routes.donor))
        ],
    )
    upsert.many(
        "courses",
        Course,
        [
            _Row(
                {"code": code},
                {
                    "family": families[s.families.codes[int(s.courses.family[i])]],
                    "host": nations[s.courses.host[i]],
                    "seats": float(s.courses.seats[i]),
                    "start": s.courses.start[i],
                    "duration_weeks": int(s.courses.duration_weeks[i]),
                },
                extra=_unmodelled(s, "courses", i),
            )
            for i, code in enumerate(s.courses.ids)
        ],
    )
    upsert.many(
        "coalitions",
        Coalition,
        [
            _Row(
                {"code": str(row["code"])},
                {"name": str(row.get("name", ""))},
                m2m={
                    "capabilities": [capabilities[c] for c in _as_list(row.get("capabilities"))],
                    "leads": [nations[c] for c in _as_list(row.get("leads"))],
                    "members": [nations[c] for c in _as_list(row.get("members"))],
                },
                extra=_extension_extra("coalitions", row),
            )
            for row in s.extensions.get("coalitions", [])
        ],
    )
    agreement_rows = s.extensions.get("agreements", [])
    stored_agreements = upsert.many(
        "agreements",
        Agreement,
        [
            _Row(
                {"code": str(row["id"])},
                {
                    "donor": nations[str(row["donor"])],
                    "signed": row["signed"],
                    "duration_years": row.get("duration_years") or None,
                    "place": str(row.get("place", "") or ""),
                    "note": str(row.get("note", "") or ""),
                },
                extra=_extension_extra("agreements", row),
            )
            for row in agreement_rows
        ],
    )
    agreements: dict[str, Agreement] = {
        str(row["id"]): agreement for row, agreement in zip(agreement_rows, stored_agreements, strict=True)
    }
    upsert.many(
        "pledges",
        Pledge,
        [
            _Row(
                {
                    "agreement": agreements[str(row["agreement"])],
                    "year": int(row["year"]),  # type: ignore[call-overload]
                    "currency": str(row["currency"]),
                    "purpose": str(row.get("purpose", "") or ""),
                },
                {"amount": Decimal(str(row["amount"]))},
                extra=_extension_extra("pledges", row),
            )
            for row in s.extensions.get("pledges", [])
        ],
    )


def _item_row(s: Scenario, i: int, code: str, families: Mapping[str, Family]) -> _Row:
    serialised = _given(s, "item_types", i, "serialised")
    countable = _given(s, "item_types", i, "countable")
    return _Row(
        {"code": code},
        _with_given(
            {
                "name": s.items.names[i],
                "family": families[s.families.codes[int(s.items.family[i])]],
                "unit": s.items.unit[i],
                "mass_t": float(s.items.mass_t[i]),
                "nsn": s.items.nsn[i],
            },
            serialised=None if serialised is None else _is_true(serialised),
        )
        # an empty `countable` cell says "by the unit" (None); no column says nothing
        | ({} if countable is None else {"countable": _is_true(countable) if countable else None}),
        extra=_unmodelled(s, "item_types", i),
    )


def _requirement_row(
    s: Scenario,
    i: int,
    code: str,
    recipient: Nation,
    capabilities: Mapping[str, Capability],
    families: Mapping[str, Family],
    nations: Mapping[str, Nation],
) -> _Row:
    marking = _given(s, "requirements", i, "releasability")
    releasability, listed_nations = parse_marking(marking) if marking is not None else (None, [])
    m2m: dict[str, list[Any]] = {"accepts": [families[f] for f in s.requirements.accepts[i]]}
    if marking is not None:
        m2m["releasable_to"] = [nations[c] for c in listed_nations]
    return _Row(
        {"code": code},
        _with_given(
            {
                "recipient": recipient,
                "capability": capabilities[s.capability_codes[int(s.requirements.capability[i])]],
                "quantity": float(s.requirements.quantity[i]),
                "priority": int(s.requirements.priority[i]),
                "needed_by": s.requirements.needed_by[i],
            },
            title=_given(s, "requirements", i, "title"),
            releasability=releasability,
        ),
        m2m=m2m,
        extra=_unmodelled(s, "requirements", i),
    )


def _offer_row(
    s: Scenario,
    i: int,
    code: str,
    nations: Mapping[str, Nation],
    items: Mapping[str, ItemType],
    requirements: Mapping[str, Requirement],
    allocated_codes: set[str],
) -> _Row:
    marking = _given(s, "offers", i, "releasability")
    releasability, listed_nations = parse_marking(marking) if marking is not None else (None, [])
    earmark = int(s.offers.earmark[i])
    return _Row(
        {"code": code},
        _with_given(
            {
                "donor": nations[s.nations.codes[int(s.offers.donor[i])]],
                "item_type": items[s.items.codes[int(s.offers.item[i])]],
                "quantity": float(s.offers.quantity[i]),
                "available_from": s.offers.available_from[i],
                "earmark": requirements[s.requirements.ids[earmark]] if earmark >= 0 else None,
                "status": _offer_status(s, i, code, allocated_codes),
            },
            note=_given(s, "offers", i, "note"),
            releasability=releasability,
        ),
        m2m={} if marking is None else {"releasable_to": [nations[c] for c in listed_nations]},
        extra=_unmodelled(s, "offers", i),
    )


def _offer_status(s: Scenario, i: int, code: str, allocated_codes: set[str]) -> str:
    """The stored status of offer ``i``: the file's `status`, and `platform_status` = allocated.

    An offer the command has allocated (``allocated_codes``) stays allocated unless the file withdraws it.
    """
    if s.offers.withdrawn[i]:  # the reader refuses `withdrawn` with `platform_status` = allocated
        return OfferStatus.WITHDRAWN
    allocated = _given(s, "offers", i, "platform_status") == "allocated"
    if allocated or code in allocated_codes:
        return OfferStatus.ALLOCATED
    return OfferStatus.OFFERED


def _as_list(value: Any) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return [v.strip() for v in value.split(";") if v.strip()]
    return [str(v) for v in value]


def _by(key: Callable[[Any], Any], rows: Iterable[Any]) -> list[Any]:
    """Rows sorted in Python (code point order), so exports do not depend on the database's collation."""
    return sorted(rows, key=key)


def scenario_from_db(*, remaining: bool = True, taken_back: Mapping[int, float] | None = None) -> Scenario:
    """The database's scenario, in planner arrays, rows ordered by code.

    ``remaining=True`` (plan runs, stress tests): what a new plan may still do
    after the approved runs. An offer's quantity is what their lines have not
    committed; an offer that is allocated, fully committed, or earmarked for a
    requirement that is no longer planned is left out. A requirement's quantity
    is what their lines have not yet sent to it; one they fully serve is left
    out, as cancelled ones are. Withdrawn offers stay, withdrawn.

    ``remaining=False`` (``nsatu scenario export``): the records as stored, with
    their own quantities; allocated offers are ordinary offers with
    ``platform_status`` = allocated (docs/format.md).

    ``taken_back`` (approved line key -> quantity), with ``remaining``: the scenario
    as if that much more of those lines had been withdrawn (what a backfill run
    would plan after it; the stress test's committed-aid cases): the requirements
    they serve get it back, the hub weeks and crews it held are free. The offers'
    room does not grow: withdrawn aid is not on offer again.
    """
    settings = PlanningSettings.objects.filter(singleton=1).select_related("recipient").first()
    if settings is None or settings.recipient is None:
        raise ScenarioError([CellError("scenario", 0, "", "no scenario is loaded: import one first")])
    nations = _by(lambda n: n.iso3, Nation.objects.all())
    nation_index = {n.pk: i for i, n in enumerate(nations)}
    families = _by(lambda f: f.code, Family.objects.select_related("capability"))
    requirements = _by(
        lambda r: r.code,
        Requirement.objects.exclude(status__in=[RequirementStatus.CANCELLED, RequirementStatus.RETIRED])
        .select_related("capability")
        .prefetch_related("accepts", "releasable_to"),
    )
    offers = _by(
        lambda o: o.code, Offer.objects.exclude(status=OfferStatus.RETIRED).prefetch_related("releasable_to")
    )
    requirement_quantity = {r.pk: r.quantity for r in requirements}
    offer_quantity = {o.pk: o.quantity for o in offers}
    if remaining:
        requirements, offers = _still_open(
            requirements, offers, requirement_quantity, offer_quantity, taken_back or {}
        )
    capability_codes = sorted(
        {f.capability.code for f in families} | {r.capability.code for r in requirements}
    )
    cap_index = {c: i for i, c in enumerate(capability_codes)}
    family_index = {f.pk: i for i, f in enumerate(families)}
    items = _by(lambda t: t.code, ItemType.objects.all())
    item_index = {t.pk: i for i, t in enumerate(items)}
    requirement_index = {r.pk: i for i, r in enumerate(requirements)}
    hubs = _by(lambda h: h.code, Hub.objects.select_related("nation"))
    hub_index = {h.pk: i for i, h in enumerate(hubs)}
    routes = _by(lambda r: (r.donor.iso3, r.hub.code), Route.objects.select_related("donor", "hub"))
    courses = _by(lambda c: c.code, Course.objects.select_related("host"))

    family_ok = np.zeros((len(requirements), len(families)), dtype=bool)
    family_cap = np.array([cap_index[f.capability.code] for f in families], dtype=np.int64)
    for r, req in enumerate(requirements):
        # FORMAT.md rule 3: the family has the capability and, when a list is given, is on it.
        family_ok[r] = family_cap == cap_index[req.capability.code]
        accepted = [family_index[f.pk] for f in req.accepts.all()]
        if accepted:
            listed = np.zeros(len(families), dtype=bool)
            listed[accepted] = True
            family_ok[r] &= listed

    meta = {"name": settings.name, "description": settings.description}
    commitments = (
        _commitments(settings.start_date, settings.horizon_weeks, families, hubs, courses, taken_back or {})
        if remaining
        else Commitments.none(courses)
    )
    return Scenario(
        start_date=settings.start_date,
        horizon_weeks=settings.horizon_weeks,
        recipient=settings.recipient.iso3,
        lateness_half_life_weeks=settings.lateness_half_life_weeks,
        default_family_cost=settings.default_family_cost,
        capability_codes=capability_codes,
        extra_columns={
            "nations": [{**n.extra, "codification_bureau": n.codification_bureau} for n in nations],
            "families": [dict(f.extra) for f in families],
            "item_types": [_item_columns(t) for t in items],
            "requirements": [
                {
                    **r.extra,
                    "title": r.title,
                    "releasability": format_marking(r.releasability, [n.iso3 for n in r.releasable_to.all()]),
                }
                for r in requirements
            ],
            "offers": [_offer_columns(o) for o in offers],
            "hubs": [dict(h.extra) for h in hubs],
            "routes": [dict(r.extra) for r in routes],
            "courses": [dict(c.extra) for c in courses],
        },
        extensions=_extensions_from_db(meta),
        nations=Nations(
            codes=[n.iso3 for n in nations],
            names=[n.name for n in nations],
            nato=np.array([n.nato for n in nations], dtype=bool),
            eu=np.array([n.eu for n in nations], dtype=bool),
        ),
        families=Families(
            codes=[f.code for f in families],
            names=[f.name for f in families],
            capability=family_cap,
            in_service=np.array([f.in_service for f in families], dtype=bool),
            cost=np.array(
                [
                    settings.default_family_cost if f.introduction_cost is None else f.introduction_cost
                    for f in families
                ]
            ),
            cost_given=np.array([f.introduction_cost is not None for f in families], dtype=bool),
            crew_per_unit=np.array([f.crew_per_unit for f in families], dtype=float),
            existing_crews=np.array([f.existing_crews for f in families], dtype=float),
            committed_crews=commitments.crews,
        ),
        items=Items(
            codes=[t.code for t in items],
            names=[t.name for t in items],
            family=np.array([family_index[t.family_id] for t in items], dtype=np.int64),
            unit=[t.unit for t in items],
            is_each=np.array([t.unit.lower() == "each" for t in items], dtype=bool),
            mass_t=np.array([t.mass_t for t in items], dtype=float),
            nsn=[t.nsn for t in items],
            is_whole=np.array([t.is_whole for t in items], dtype=bool),
        ),
        requirements=Requirements(
            ids=[r.code for r in requirements],
            capability=np.array([cap_index[r.capability.code] for r in requirements], dtype=np.int64),
            quantity=np.array([requirement_quantity[r.pk] for r in requirements], dtype=float),
            priority=np.array([r.priority for r in requirements], dtype=np.int64),
            needed_by=[r.needed_by for r in requirements],
            accepts=[sorted(f.code for f in r.accepts.all()) for r in requirements],
            family_ok=family_ok,
        ),
        offers=Offers(
            ids=[o.code for o in offers],
            donor=np.array([nation_index[o.donor_id] for o in offers], dtype=np.int64),
            item=np.array([item_index[o.item_type_id] for o in offers], dtype=np.int64),
            quantity=np.array([offer_quantity[o.pk] for o in offers], dtype=float),
            available_from=[o.available_from for o in offers],
            earmark=np.array(
                [requirement_index.get(o.earmark_id, -1) if o.earmark_id else -1 for o in offers],
                dtype=np.int64,
            ),
            withdrawn=np.array([o.status == OfferStatus.WITHDRAWN for o in offers], dtype=bool),
        ),
        hubs=Hubs(
            codes=[h.code for h in hubs],
            names=[h.name for h in hubs],
            iso3=[h.nation.iso3 for h in hubs],
            capacity_t=np.array([h.capacity_t_per_week for h in hubs], dtype=float),
            committed_t=commitments.hub_tonnes,
        ),
        routes=Routes(
            donor=np.array([nation_index[r.donor_id] for r in routes], dtype=np.int64),
            hub=np.array([hub_index[r.hub_id] for r in routes], dtype=np.int64),
            lead_days=np.array([r.lead_time_days for r in routes], dtype=np.int64),
        ),
        courses=Courses(
            ids=[c.code for c in courses],
            family=np.array([family_index[c.family_id] for c in courses], dtype=np.int64),
            host=[c.host.iso3 for c in courses],
            seats=commitments.seats_left,
            start=[c.start for c in courses],
            duration_weeks=np.array([c.duration_weeks for c in courses], dtype=np.int64),
        ),
    )


@dataclass
class Commitments:
    """What the lines and seat uses of approved runs already take of hubs, crews and courses."""

    hub_tonnes: FloatArray  # hubs x weeks, or 0 x 0 when nothing is committed
    crews: FloatArray  # families x weeks: crews committed units need by then, less committed graduates
    seats_left: FloatArray  # per course: its seats less those approved runs use

    @classmethod
    def none(cls, courses: list[Course]) -> Commitments:
        return cls(np.zeros((0, 0)), np.zeros((0, 0)), np.array([c.seats for c in courses], dtype=float))


def _commitments(
    start: dt.date,
    horizon: int,
    families: list[Family],
    hubs: list[Hub],
    courses: list[Course],
    taken_back: Mapping[int, float],
) -> Commitments:
    """Hub tonnage, crews and seats that approved runs committed, in the scenario's weeks.

    An approved line's ``arrival_week`` counts from the planning start date; the
    start date is assumed unchanged since the approval.
    """
    approved = list(
        Allocation.objects.filter(run__approved_at__isnull=False)
        .only(
            "pk",
            "hub_id",
            "arrival_week",
            "quantity",
            "offer__item_type__mass_t",
            "offer__item_type__family_id",
        )
        .select_related("offer__item_type")
    )
    # what suspensions and withdrawals took back no longer arrives: it frees hub weeks and crews
    active = active_line_quantities(approved)
    for key, quantity in taken_back.items():
        if key in active:
            active[key] = uncommitted(active[key], quantity)
    lines = [
        (
            line.hub_id,
            line.arrival_week,
            active[line.pk],
            line.offer.item_type.mass_t,
            line.offer.item_type.family_id,
        )
        for line in approved
        if active[line.pk] > 0
    ]
    uses: dict[int, float] = defaultdict(float)
    for course_id, used in SeatUse.objects.filter(run__approved_at__isnull=False).values_list(
        "course_id", "seats_used"
    ):
        uses[course_id] += used
    seats_left = np.array([max(c.seats - uses.get(c.pk, 0.0), 0.0) for c in courses], dtype=float)
    if not lines and not uses:
        return Commitments(np.zeros((0, 0)), np.zeros((0, 0)), seats_left)
    hub_index = {h.pk: i for i, h in enumerate(hubs)}
    family_index = {f.pk: i for i, f in enumerate(families)}
    tonnes = np.zeros((len(hubs), horizon))
    units = np.zeros((len(families), horizon + 1))
    for hub_id, week, quantity, mass, family_id in lines:
        if week < horizon:  # later lines arrive after this horizon: they take nothing of it
            tonnes[hub_index[hub_id], week] += quantity * mass
            units[family_index[family_id], week] += quantity
    graduates = np.zeros((len(families), horizon + 1))
    for c in courses:
        ready = max(0, (c.start - start).days // 7) + c.duration_weeks
        if uses.get(c.pk) and ready < horizon:
            # never more graduates than the course has seats (runs approved from the same
            # state may each have counted on all of them; a course may have been cut since)
            graduates[family_index[c.family_id], ready] += min(uses[c.pk], c.seats)
    crew_per_unit = np.array([f.crew_per_unit for f in families], dtype=float)[:, None]
    crews = crew_per_unit * np.cumsum(units[:, :horizon], axis=1) - np.cumsum(graduates[:, :horizon], axis=1)
    return Commitments(tonnes, np.where(crew_per_unit > 0, crews, 0.0), seats_left)


def _still_open(
    requirements: list[Requirement],
    offers: list[Offer],
    requirement_quantity: dict[int, float],
    offer_quantity: dict[int, float],
    taken_back: Mapping[int, float],
) -> tuple[list[Requirement], list[Offer]]:
    """The requirements and offers a new plan may still use; their quantities set to what is left
    (``taken_back``: see `scenario_from_db`)."""
    served, taken = committed_by_requirement(), taken_by_offer()
    if taken_back:
        lines = Allocation.objects.filter(pk__in=list(taken_back), run__approved_at__isnull=False)
        for key, requirement_id in lines.values_list("pk", "requirement_id"):
            served[requirement_id] = uncommitted(served.get(requirement_id, 0.0), taken_back[key])
    open_requirements = []
    for r in requirements:
        requirement_quantity[r.pk] = uncommitted(r.quantity, served.get(r.pk, 0.0))
        if requirement_quantity[r.pk] > 0:
            open_requirements.append(r)
    planned = {r.pk for r in open_requirements}
    open_offers = []
    for o in offers:
        if o.status == OfferStatus.WITHDRAWN:
            open_offers.append(o)  # FORMAT.md has withdrawn offers: kept as they are
            continue
        offer_quantity[o.pk] = uncommitted(o.quantity, taken.get(o.pk, 0.0))
        earmark_open = o.earmark_id is None or o.earmark_id in planned
        if o.status == OfferStatus.OFFERED and offer_quantity[o.pk] > 0 and earmark_open:
            open_offers.append(o)
    return open_requirements, open_offers


def _item_columns(item: ItemType) -> dict[str, str]:
    """An item type's platform columns: `serialised`, and `countable` when the catalog says it."""
    columns = {**item.extra, "serialised": "true" if item.serialised else "false"}
    if item.countable is not None:
        columns["countable"] = "true" if item.countable else "false"
    return columns


def _offer_columns(offer: Offer) -> dict[str, str]:
    """An offer's platform columns; `platform_status` only on allocated offers (docs/format.md)."""
    columns = {
        **offer.extra,
        "releasability": format_marking(offer.releasability, [n.iso3 for n in offer.releasable_to.all()]),
        "note": offer.note,
    }
    if offer.status == OfferStatus.ALLOCATED:
        columns["platform_status"] = "allocated"
    return columns


def _extensions_from_db(meta: dict[str, str]) -> dict[str, list[dict[str, object]]]:
    coalitions = _by(lambda c: c.code, Coalition.objects.prefetch_related("capabilities", "leads", "members"))
    pledges = _by(
        lambda p: (p.agreement.code, p.year, p.currency, p.purpose),
        Pledge.objects.select_related("agreement"),
    )
    # Aliases are unique ignoring case: listed in case-insensitive order, as the demo writes them.
    aliases = _by(lambda a: (a.alias.casefold(), a.alias), FamilyAlias.objects.select_related("family"))
    return {
        "_meta": [dict(meta)],
        "capabilities": [
            {**c.extra, "code": c.code, "name": c.name}
            for c in _by(lambda c: c.code, Capability.objects.all())
        ],
        "family_aliases": [
            {**a.extra, "alias": a.alias, "family": a.family.code, "source": a.source} for a in aliases
        ],
        "coalitions": [
            {
                **c.extra,
                "code": c.code,
                "name": c.name,
                "capabilities": sorted(x.code for x in c.capabilities.all()),
                "leads": sorted(x.iso3 for x in c.leads.all()),
                "members": sorted(x.iso3 for x in c.members.all()),
            }
            for c in coalitions
        ],
        "agreements": [
            {
                **a.extra,
                "id": a.code,
                "donor": a.donor.iso3,
                "signed": a.signed,
                "duration_years": a.duration_years,
                "place": a.place,
                "note": a.note,
            }
            for a in _by(lambda a: a.code, Agreement.objects.select_related("donor"))
        ],
        "pledges": [
            {
                **p.extra,
                "agreement": p.agreement.code,
                "year": p.year,
                "amount": float(p.amount),
                "currency": p.currency,
                "purpose": p.purpose,
            }
            for p in pledges
        ],
    }


def save_plan(run: PlanRun, scenario: Scenario, plan: Plan) -> int:
    """Store ``plan``'s lines and seat use as rows of ``run``; returns the number of lines."""
    offers = {o.code: o.pk for o in Offer.objects.filter(code__in=scenario.offers.ids)}
    requirements = {r.code: r.pk for r in Requirement.objects.filter(code__in=scenario.requirements.ids)}
    hubs = {h.code: h.pk for h in Hub.objects.all()}
    rows = [
        Allocation(
            run=run,
            offer_id=offers[scenario.offers.ids[int(plan.alloc_offer[k])]],
            requirement_id=requirements[scenario.requirements.ids[int(plan.alloc_requirement[k])]],
            hub_id=hubs[scenario.hubs.codes[int(plan.alloc_hub[k])]],
            quantity=float(plan.alloc_quantity[k]),
            arrival_week=int(plan.alloc_week[k]),
        )
        for k in range(plan.n_lines)
        if plan.alloc_quantity[k] > 0
    ]
    Allocation.objects.bulk_create(rows, batch_size=2000)
    # FORMAT.md: no training.csv means every seat of every course is used; store
    # that explicitly so a run's rows always say which seats it relies on.
    seats = scenario.courses.seats if plan.seats_used is None else plan.seats_used
    courses = {c.code: c.pk for c in Course.objects.all()}
    SeatUse.objects.bulk_create(
        [
            SeatUse(run=run, course_id=courses[code], seats_used=float(seats[i]))
            for i, code in enumerate(scenario.courses.ids)
            if seats[i] > 0
        ]
    )
    return len(rows)
