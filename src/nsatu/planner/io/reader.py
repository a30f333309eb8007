"""Reading FORMAT.md scenario folders and workbooks into a `Scenario`, every error located.

`read_scenario` gets the raw tables (`nsatu.planner.io.sources`), then reads
each table in turn (`_read_nations` ... `_read_courses`), checking every rule
of FORMAT.md and of the platform extensions (docs/format.md), and raises all
errors together as `ScenarioError`.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

import numpy as np

from nsatu.planner.io.cells import (
    ISO3,
    MAX_WHOLE,
    NUMBER,
    Cell,
    Row,
    Table,
    TableReader,
    cell_text,
    code_problem,
    format_number,
    parse_bool,
    parse_date,
    parse_list,
)
from nsatu.planner.io.columns import (
    EXTENSION_COLUMNS,
    EXTENSION_REQUIRED,
    OPTIONAL_COLUMNS,
    RELEASABILITY_WORDS,
    SCENARIO_KEYS,
    TABLE_COLUMNS,
)
from nsatu.planner.io.errors import CellError, ScenarioError
from nsatu.planner.io.sources import read_folder, read_workbook
from nsatu.planner.scenario import (
    COUNTABLE_UNITS,
    BoolArray,
    Courses,
    Families,
    Hubs,
    Items,
    Nations,
    Offers,
    Requirements,
    Routes,
    Scenario,
)


class _Refs:
    """Label -> position look-ups; None when the table could not be read (no reference errors then)."""

    def __init__(self) -> None:
        self.maps: dict[str, dict[str, int] | None] = {}

    def check(self, row: Row, column: str, table: str, code: str, what: str) -> int:
        lookup = self.maps.get(table)
        if not code or lookup is None:
            return -1
        pos = lookup.get(code)
        if pos is None:
            row.error(column, f"unknown {what} {code!r}")
            return -1
        return pos


def _unique(
    row: Row, column: str, code: str, seen: dict[str, int], what: str = "", *, is_code: bool = True
) -> bool:
    """Record the first row of each code; a later one is an error, as is a code with characters
    no code may hold (``is_code=False`` for keys that are names, such as aliases)."""
    if not code:
        return False
    problem = code_problem(code) if is_code else None
    if problem is not None:
        row.error(column, f"{code!r} cannot be a {column}: {problem}")
        return False
    key = code.lower() if what == "case-insensitive" else code
    if key in seen:
        row.error(column, f"duplicate {column} {code!r} (first on row {seen[key]})")
        return False
    seen[key] = row.line
    return True


def read_scenario(path: Path) -> Scenario:
    """Read a FORMAT.md scenario folder or ``.xlsx`` workbook.

    Every rule of FORMAT.md (and of the platform extensions, docs/format.md)
    is checked; all errors are collected and raised together as `ScenarioError`.
    """
    path = Path(path)
    errors: list[CellError] = []
    if path.is_dir():
        settings, tables = read_folder(path, errors)
    elif path.suffix.lower() in (".xlsx", ".xlsm") and path.is_file():
        settings, tables = read_workbook(path, errors)
        if errors and not settings and not tables:  # not opened at all: nothing else to say
            raise ScenarioError(errors)
    elif not path.exists():
        raise ScenarioError([CellError(str(path), 0, "", "no such folder or file")])
    else:
        raise ScenarioError([CellError(path.name, 0, "", "expected a scenario folder or an .xlsx workbook")])
    scenario = _build(settings, tables, "scenario.toml" if path.is_dir() else "scenario", errors)
    if errors or scenario is None:
        raise ScenarioError(errors)
    return scenario


def _settings(
    label: str, settings: dict[str, tuple[Cell, int]], errors: list[CellError]
) -> tuple[dict[str, object], dict[str, str]]:
    values: dict[str, object] = {}
    meta: dict[str, str] = {}

    def err(key: str, message: str) -> None:
        errors.append(CellError(label, settings.get(key, (None, 0))[1], key, message))

    for key in settings:
        if key not in SCENARIO_KEYS:
            err(key, f"unknown key; expected one of {', '.join(SCENARIO_KEYS)}")
    for key in ("start_date", "horizon_weeks", "recipient"):
        if key not in settings or cell_text(settings[key][0]) == "":
            errors.append(CellError(label, 0, key, "missing; a value is required"))
    if "start_date" in settings and cell_text(settings["start_date"][0]):
        values["start_date"] = parse_date(settings["start_date"][0], lambda m: err("start_date", m))
    numeric = {
        "horizon_weeks": (True, 1.0, False),
        "lateness_half_life_weeks": (False, None, True),
        "default_family_cost": (False, 0.0, False),
    }
    for key, (integer, minimum, positive) in numeric.items():
        if key not in settings or cell_text(settings[key][0]) == "":
            continue
        raw = settings[key][0]
        text = cell_text(raw)
        if isinstance(raw, bool) or not (isinstance(raw, int | float) or NUMBER.match(text)):
            err(key, f"{text!r} is not a number")
            continue
        x = float(raw) if isinstance(raw, int | float) else float(text)
        if integer and not x.is_integer():
            err(key, f"{text} is not a whole number")
        elif integer and abs(x) > MAX_WHOLE:
            err(key, f"{text} is too large (at most {MAX_WHOLE})")
        elif positive and x <= 0:
            err(key, f"must be greater than 0, got {text}")
        elif minimum is not None and x < minimum:
            err(key, f"must be at least {format_number(minimum)}, got {text}")
        else:
            values[key] = x
    if "recipient" in settings:
        values["recipient"] = cell_text(settings["recipient"][0])
    for key in ("name", "description"):
        if key in settings:
            meta[key] = cell_text(settings[key][0])
    return values, meta


@dataclass
class _Reading:
    """What the table readers share: the tables as read, the errors, the look-ups, the extras."""

    tables: dict[str, Table]
    errors: list[CellError]
    refs: _Refs = field(default_factory=lambda: _Refs())
    extra_columns: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    # capability codes the `capabilities` extension lists (None: any code is accepted)
    listed_capabilities: set[str] | None = None

    def reader(self, name: str) -> TableReader | None:
        table = self.tables.get(name)
        if table is None:
            return None
        columns = TABLE_COLUMNS[name]
        required = set(columns) - OPTIONAL_COLUMNS.get(name, frozenset())
        return TableReader(table, columns, required, self.errors)

    def capability_ok(self, row: Row, code: str) -> None:
        if code and self.listed_capabilities is not None and code not in self.listed_capabilities:
            row.error("capability", f"unknown capability {code!r} (not in capabilities)")

    def keep(self, table: str, reader: TableReader, extras: list[dict[str, str]]) -> None:
        if reader.extra:
            self.extra_columns[table] = extras


def _read_nations(reading: _Reading) -> Nations:
    codes: list[str] = []
    names: list[str] = []
    nato: list[bool] = []
    eu: list[bool] = []
    kept: list[Row] = []
    seen: dict[str, int] = {}
    table = reading.reader("nations")
    if table is None:
        reading.refs.maps["nations"] = None
        return Nations()
    for row in table:
        code = row.text("iso3", required=True)
        if code and not ISO3.match(code):
            row.error("iso3", f"{code!r} is not an ISO 3166-1 alpha-3 code (three capital letters)")
        if not _unique(row, "iso3", code, seen):
            continue
        codes.append(code)
        names.append(row.text("name"))
        nato.append(row.boolean("nato"))
        eu.append(row.boolean("eu"))
        kept.append(row)
    reading.refs.maps["nations"] = {c: i for i, c in enumerate(codes)}
    extras = [table.extras_of(r) for r in kept]
    for row, extra in zip(kept, extras, strict=True):
        if "codification_bureau" in extra:
            extra["codification_bureau"] = _codification_bureau(row)
    reading.keep("nations", table, extras)
    return Nations(codes, names, np.array(nato, dtype=bool), np.array(eu, dtype=bool))


def _read_families(reading: _Reading, default_cost: float) -> tuple[Families, list[str]]:
    """The families, and each one's capability code (positions come once all codes are known)."""
    codes: list[str] = []
    names: list[str] = []
    capability: list[str] = []
    in_service: list[bool] = []
    cost: list[float] = []
    cost_given: list[bool] = []
    crew: list[float] = []
    existing: list[float] = []
    seen: dict[str, int] = {}
    table = reading.reader("families")
    if table is None:
        reading.refs.maps["families"] = None
        return Families(), []
    kept: list[Row] = []
    for row in table:
        code = row.text("code", required=True)
        cap = row.text("capability", required=True)
        reading.capability_ok(row, cap)
        service = row.boolean("in_service")
        intro = row.number("introduction_cost", required=False, minimum=0.0)
        per_unit = row.number("crew_per_unit", required=False, minimum=0.0)
        crews = row.number("existing_crews", required=False, minimum=0.0)
        if not _unique(row, "code", code, seen):
            continue
        codes.append(code)
        names.append(row.text("name"))
        capability.append(cap)
        in_service.append(service)
        cost.append(default_cost if intro is None else intro)
        cost_given.append(intro is not None)
        crew.append(per_unit or 0.0)
        existing.append(crews or 0.0)
        kept.append(row)
    reading.refs.maps["families"] = {c: i for i, c in enumerate(codes)}
    reading.keep("families", table, [table.extras_of(r) for r in kept])
    families = Families(
        codes=codes,
        names=names,
        in_service=np.array(in_service, dtype=bool),
        cost=np.array(cost, dtype=np.float64),
        cost_given=np.array(cost_given, dtype=bool),
        crew_per_unit=np.array(crew, dtype=np.float64),
        existing_crews=np.array(existing, dtype=np.float64),
    )
    return families, capability


def _read_items(reading: _Reading) -> Items:
    codes: list[str] = []
    names: list[str] = []
    family: list[int] = []
    unit: list[str] = []
    mass: list[float] = []
    nsn: list[str] = []
    countable: list[bool | None] = []
    seen: dict[str, int] = {}
    table = reading.reader("item_types")
    if table is None:
        reading.refs.maps["item_types"] = None
        return Items()
    kept: list[Row] = []
    extras: list[dict[str, str]] = []
    for row in table:
        code = row.text("code", required=True)
        fam = reading.refs.check(row, "family", "families", row.text("family", required=True), "family")
        unit_text = row.text("unit", required=True)
        mass_t = row.number("mass_t", minimum=0.0)
        nsn_text = row.text("nsn")
        if nsn_text and not re.fullmatch(r"\d{13}", nsn_text.replace("-", "")):
            row.error("nsn", f"{nsn_text!r} is not a NATO Stock Number (13 digits, dashes allowed)")
        extra = table.extras_of(row)
        for flag in ("serialised", "countable"):
            if flag in extra:
                value = row.raw(flag)
                parsed = None if value is None else parse_bool(value)
                if value is not None and parsed is None:
                    row.error(flag, f"{cell_text(value)!r} is not a boolean (true/false)")
                extra[flag] = "" if parsed is None else ("true" if parsed else "false")
        if not _unique(row, "code", code, seen):
            continue
        codes.append(code)
        names.append(row.text("name"))
        family.append(fam)
        unit.append(unit_text)
        mass.append(mass_t or 0.0)
        nsn.append(nsn_text)
        countable.append({"true": True, "false": False}.get(extra.get("countable", "")))
        kept.append(row)
        extras.append(extra)
    reading.refs.maps["item_types"] = {c: i for i, c in enumerate(codes)}
    reading.keep("item_types", table, extras)
    is_each = np.array([u.lower() == "each" for u in unit], dtype=bool)
    whole = [
        bool(each) or (u.lower() in COUNTABLE_UNITS if flag is None else flag)
        for each, u, flag in zip(is_each, unit, countable, strict=True)
    ]
    return Items(
        codes=codes,
        names=names,
        family=np.array(family, dtype=np.int64),
        unit=unit,
        is_each=is_each,
        mass_t=np.array(mass, dtype=np.float64),
        nsn=nsn,
        is_whole=np.array(whole, dtype=bool),
    )


def _read_requirements(
    reading: _Reading, families: Families, family_capability: list[str], items: Items
) -> tuple[Requirements, list[str]]:
    """The requirements, and each one's capability code."""
    # FORMAT.md: `each` means whole quantities. Per family, whether its item types are `each`.
    units_known = reading.refs.maps["families"] is not None and reading.refs.maps["item_types"] is not None
    family_each: dict[int, set[bool]] = {}
    for family_pos, unit in zip(items.family, items.unit, strict=True):
        family_each.setdefault(int(family_pos), set()).add(unit.lower() == "each")

    def counted_each(capability: str, accepts: list[str]) -> bool:
        """A requirement is counted in `each` when item types can serve it (FORMAT.md rule 3)
        and every one of them is `each`."""
        serving = {
            each
            for f, code in enumerate(families.codes)
            if family_capability[f] == capability and (not accepts or code in accepts)
            for each in family_each.get(f, set())
        }
        return serving == {True}

    ids: list[str] = []
    capability_codes: list[str] = []
    quantity: list[float] = []
    priority: list[int] = []
    needed: list[dt.date] = []
    accepted: list[list[str]] = []
    seen: dict[str, int] = {}
    table = reading.reader("requirements")
    if table is None:
        reading.refs.maps["requirements"] = None
        return Requirements(), []
    extras: list[dict[str, str]] = []
    for row in table:
        rid = row.text("id", required=True)
        capability = row.text("capability", required=True)
        reading.capability_ok(row, capability)
        amount = row.number("quantity", positive=True)
        rank = row.number("priority", integer=True)
        if rank is not None and not 1 <= rank <= 5:
            row.error("priority", f"must be 1 (most urgent) to 5, got {format_number(rank)}")
            rank = None
        needed_by = row.date("needed_by")
        accepts = parse_list(row.text("accepts"))
        for code in accepts:
            reading.refs.check(row, "accepts", "families", code, "family")
        whole = amount is None or amount.is_integer()
        if not whole and units_known and counted_each(capability, accepts):
            row.error(
                "quantity",
                f"{format_number(cast(float, amount))} is not a whole number; every item type "
                "that can serve this requirement is counted in `each`",
            )
        extra = table.extras_of(row)
        if "releasability" in extra:
            extra["releasability"] = _releasability(row, extra["releasability"], reading.refs)
        if not _unique(row, "id", rid, seen):
            continue
        ids.append(rid)
        capability_codes.append(capability)
        quantity.append(amount or 1.0)
        priority.append(int(rank or 3))
        needed.append(needed_by or dt.date(2000, 1, 1))
        accepted.append(accepts)
        extras.append(extra)
    reading.refs.maps["requirements"] = {c: i for i, c in enumerate(ids)}
    reading.keep("requirements", table, extras)
    requirements = Requirements(
        ids=ids,
        quantity=np.array(quantity, dtype=np.float64),
        priority=np.array(priority, dtype=np.int64),
        needed_by=needed,
        accepts=accepted,
    )
    return requirements, capability_codes


def _read_offers(reading: _Reading, items: Items) -> Offers:
    ids: list[str] = []
    donor: list[int] = []
    item: list[int] = []
    quantity: list[float] = []
    available: list[dt.date] = []
    earmark: list[int] = []
    withdrawn: list[bool] = []
    seen: dict[str, int] = {}
    table = reading.reader("offers")
    if table is None:
        return Offers()
    refs = reading.refs
    extras: list[dict[str, str]] = []
    for row in table:
        oid = row.text("id", required=True)
        nation = refs.check(row, "donor", "nations", row.text("donor", required=True), "nation")
        item_type = refs.check(
            row, "item_type", "item_types", row.text("item_type", required=True), "item type"
        )
        amount = row.number("quantity", positive=True)
        whole = amount is None or amount.is_integer()
        if not whole and item_type >= 0 and items.unit[item_type].lower() == "each":
            row.error(
                "quantity",
                f"{format_number(cast(float, amount))} is not a whole number; "
                f"item type {items.codes[item_type]!r} is counted in `each`",
            )
        available_from = row.date("available_from")
        target = refs.check(
            row, "earmark", "requirements", row.text("earmark"), "requirement (dangling earmark)"
        )
        status = row.text("status").lower() or "offered"
        if status not in ("offered", "withdrawn"):
            row.error("status", f"{row.text('status')!r} is not a status (offered or withdrawn)")
        extra = table.extras_of(row)
        if "releasability" in extra:
            extra["releasability"] = _releasability(row, extra["releasability"], refs)
        if "platform_status" in extra:
            allocated = _platform_status(row, extra["platform_status"], status)
            extra["platform_status"] = "allocated" if allocated else ""
        if not _unique(row, "id", oid, seen):
            continue
        ids.append(oid)
        donor.append(nation)
        item.append(item_type)
        quantity.append(amount or 1.0)
        available.append(available_from or dt.date(2000, 1, 1))
        earmark.append(target)
        # `platform_status` does not change what FORMAT.md's columns mean: an allocated
        # offer is an offered one here (the database's planning picture leaves it out).
        withdrawn.append(status == "withdrawn")
        extras.append(extra)
    reading.keep("offers", table, extras)
    return Offers(
        ids=ids,
        donor=np.array(donor, dtype=np.int64),
        item=np.array(item, dtype=np.int64),
        quantity=np.array(quantity, dtype=np.float64),
        available_from=available,
        earmark=np.array(earmark, dtype=np.int64),
        withdrawn=np.array(withdrawn, dtype=bool),
    )


def _read_hubs(reading: _Reading) -> Hubs:
    codes: list[str] = []
    names: list[str] = []
    iso3: list[str] = []
    capacity: list[float] = []
    seen: dict[str, int] = {}
    table = reading.reader("hubs")
    if table is None:
        reading.refs.maps["hubs"] = None
        return Hubs()
    kept: list[Row] = []
    for row in table:
        code = row.text("code", required=True)
        nation = row.text("iso3", required=True)
        reading.refs.check(row, "iso3", "nations", nation, "nation")
        tonnes = row.number("capacity_t_per_week", minimum=0.0)
        if not _unique(row, "code", code, seen):
            continue
        codes.append(code)
        names.append(row.text("name"))
        iso3.append(nation)
        capacity.append(tonnes or 0.0)
        kept.append(row)
    reading.refs.maps["hubs"] = {c: i for i, c in enumerate(codes)}
    reading.keep("hubs", table, [table.extras_of(r) for r in kept])
    return Hubs(codes, names, iso3, np.array(capacity, dtype=np.float64))


def _read_routes(reading: _Reading) -> Routes:
    donor: list[int] = []
    hub: list[int] = []
    days: list[int] = []
    seen: dict[str, int] = {}
    table = reading.reader("routes")
    if table is None:
        return Routes()
    kept: list[Row] = []
    for row in table:
        donor_code = row.text("donor", required=True)
        hub_code = row.text("hub", required=True)
        nation = reading.refs.check(row, "donor", "nations", donor_code, "nation")
        through = reading.refs.check(row, "hub", "hubs", hub_code, "hub")
        lead = row.number("lead_time_days", minimum=0.0, integer=True)
        if donor_code and hub_code:
            pair = f"{donor_code}/{hub_code}"
            if pair in seen:
                row.error("hub", f"duplicate route {pair} (first on row {seen[pair]})")
                continue
            seen[pair] = row.line
        donor.append(nation)
        hub.append(through)
        days.append(int(lead or 0))
        kept.append(row)
    reading.keep("routes", table, [table.extras_of(r) for r in kept])
    return Routes(
        np.array(donor, dtype=np.int64), np.array(hub, dtype=np.int64), np.array(days, dtype=np.int64)
    )


def _read_courses(reading: _Reading) -> Courses:
    ids: list[str] = []
    family: list[int] = []
    host: list[str] = []
    seats: list[float] = []
    start: list[dt.date] = []
    weeks: list[int] = []
    seen: dict[str, int] = {}
    table = reading.reader("courses")
    if table is None:
        return Courses()
    kept: list[Row] = []
    for row in table:
        cid = row.text("id", required=True)
        fam = reading.refs.check(row, "family", "families", row.text("family", required=True), "family")
        nation = row.text("host", required=True)
        reading.refs.check(row, "host", "nations", nation, "nation")
        count = row.number("seats", minimum=0.0)
        begins = row.date("start")
        duration = row.number("duration_weeks", minimum=0.0, integer=True)
        if not _unique(row, "id", cid, seen):
            continue
        ids.append(cid)
        family.append(fam)
        host.append(nation)
        seats.append(count or 0.0)
        start.append(begins or dt.date(2000, 1, 1))
        weeks.append(int(duration or 0))
        kept.append(row)
    reading.keep("courses", table, [table.extras_of(r) for r in kept])
    return Courses(
        ids=ids,
        family=np.array(family, dtype=np.int64),
        host=host,
        seats=np.array(seats, dtype=np.float64),
        start=start,
        duration_weeks=np.array(weeks, dtype=np.int64),
    )


def _build(
    raw_settings: dict[str, tuple[Cell, int]],
    tables: dict[str, Table],
    settings_label: str,
    errors: list[CellError],
) -> Scenario | None:
    """The scenario of tables as read; None when any error was found (they are all in `errors`)."""
    settings, meta = _settings(settings_label, raw_settings, errors)
    reading = _Reading(tables, errors)
    nations = _read_nations(reading)
    recipient = str(settings.get("recipient", ""))
    if recipient and reading.refs.maps["nations"] is not None and recipient not in nations.codes:
        errors.append(
            CellError(
                settings_label, raw_settings["recipient"][1], "recipient", f"unknown nation {recipient!r}"
            )
        )
    # the capabilities extension first: when given, it lists the valid capability codes
    capability_table = _extension(tables, "capabilities", errors, reading.refs, set(), nations.codes)
    if capability_table is not None:
        reading.listed_capabilities = {str(r["code"]) for r in capability_table}
    default_cost = float(cast(float, settings.get("default_family_cost", 4.0)))
    families, family_capability = _read_families(reading, default_cost)
    items = _read_items(reading)
    requirements, requirement_capability = _read_requirements(reading, families, family_capability, items)
    offers = _read_offers(reading, items)
    hubs = _read_hubs(reading)
    routes = _read_routes(reading)
    courses = _read_courses(reading)

    extensions: dict[str, list[dict[str, object]]] = {}
    if meta:
        extensions["_meta"] = [dict(meta)]
    capability_codes = sorted(set(family_capability) | set(requirement_capability))
    if capability_table is not None:
        extensions["capabilities"] = capability_table
    all_capabilities = set(capability_codes) | (reading.listed_capabilities or set())
    for name in ("family_aliases", "coalitions", "agreements", "pledges"):
        if name == "pledges":
            reading.refs.maps["agreements"] = (
                {str(r["id"]): i for i, r in enumerate(extensions["agreements"])}
                if "agreements" in extensions
                else ({} if "agreements" not in tables else None)
            )
        ext_rows = _extension(tables, name, errors, reading.refs, all_capabilities, nations.codes)
        if ext_rows is not None:
            extensions[name] = ext_rows

    if errors or "start_date" not in settings or settings["start_date"] is None:
        return None

    cap_index = {c: i for i, c in enumerate(capability_codes)}
    families.capability = np.array([cap_index[c] for c in family_capability], dtype=np.int64)
    requirements.capability = np.array([cap_index[c] for c in requirement_capability], dtype=np.int64)
    requirements.family_ok = _family_ok(requirements, families)
    return Scenario(
        start_date=cast(dt.date, settings["start_date"]),
        horizon_weeks=int(cast(float, settings["horizon_weeks"])),
        recipient=recipient,
        lateness_half_life_weeks=float(cast(float, settings.get("lateness_half_life_weeks", 8.0))),
        default_family_cost=default_cost,
        capability_codes=capability_codes,
        nations=nations,
        families=families,
        items=items,
        requirements=requirements,
        offers=offers,
        hubs=hubs,
        routes=routes,
        courses=courses,
        extra_columns=reading.extra_columns,
        extensions=extensions,
    )


def _family_ok(requirements: Requirements, families: Families) -> BoolArray:
    """Requirements x families: rule 3 (the family's capability, and `accepts` when given)."""
    family_index = families.index
    ok = requirements.capability[:, None] == families.capability[None, :]
    for r, accepts in enumerate(requirements.accepts):
        if accepts:
            allowed = np.zeros(len(families), dtype=bool)
            allowed[[family_index[c] for c in accepts]] = True
            ok[r] &= allowed
    return np.asarray(ok.reshape(len(requirements), len(families)), dtype=bool)


def _codification_bureau(row: Row) -> str:
    value = row.raw("codification_bureau")
    if value is None:
        return ""
    if isinstance(value, float | int) and not isinstance(value, bool) and float(value).is_integer():
        text = f"{int(value):02d}"  # Excel drops the leading zero of "05"
    else:
        text = cell_text(value)
    if not re.fullmatch(r"\d{2}", text):
        row.error("codification_bureau", f"{text!r} is not a 2-digit codification bureau code")
    return text


def _releasability(row: Row, text: str, refs: _Refs) -> str:
    """Validate a releasability marking and return it in canonical form."""
    marking = text.strip()
    lowered = marking.lower()
    if not marking or lowered in RELEASABILITY_WORDS:
        return lowered
    if lowered.startswith("nations:"):
        codes = parse_list(marking.split(":", 1)[1])
        if not codes:
            row.error("releasability", "nations: needs at least one nation code, e.g. nations:POL;DEU")
        for code in codes:
            refs.check(row, "releasability", "nations", code, "nation")
        return "nations:" + ";".join(codes)
    row.error(
        "releasability",
        f"{marking!r} is not a marking (public, coalition, command-only or nations:POL;DEU)",
    )
    return marking


def _platform_status(row: Row, text: str, status: str) -> bool:
    """Validate an offer's `platform_status` (empty or `allocated`); True when allocated."""
    value = text.strip().lower()
    if value not in ("", "allocated"):
        row.error("platform_status", f"{text!r} is not a platform status (empty or allocated)")
        return False
    if value == "allocated" and status == "withdrawn":
        row.error("platform_status", "a withdrawn offer cannot be allocated (status is withdrawn)")
    return value == "allocated"


def _extension(
    tables: dict[str, Table],
    name: str,
    errors: list[CellError],
    refs: _Refs,
    capabilities: set[str],
    nation_codes: list[str],
) -> list[dict[str, object]] | None:
    """Parse one platform extension table into typed dicts (None when the file is absent)."""
    table = tables.get(name)
    if table is None:
        return None
    columns = EXTENSION_COLUMNS[name]
    reader = TableReader(table, columns, EXTENSION_REQUIRED[name], errors)
    result: list[dict[str, object]] = []
    seen: dict[str, int] = {}
    for row in reader:
        item: dict[str, object] = {}
        key = ""
        if name == "capabilities":
            item = {"code": row.text("code", required=True), "name": row.text("name")}
            key = str(item["code"])
        elif name == "family_aliases":
            family = row.text("family", required=True)
            refs.check(row, "family", "families", family, "family")
            item = {"alias": row.text("alias", required=True), "family": family, "source": row.text("source")}
            if not _unique(row, "alias", str(item["alias"]), seen, "case-insensitive", is_code=False):
                continue
        elif name == "coalitions":
            item = {"code": row.text("code", required=True), "name": row.text("name")}
            for column in ("capabilities", "leads", "members"):
                codes = parse_list(row.text(column))
                for code in codes:
                    if column == "capabilities":
                        if code not in capabilities:
                            row.error(column, f"unknown capability {code!r}")
                    else:
                        refs.check(row, column, "nations", code, "nation")
                item[column] = codes
            key = str(item["code"])
        elif name == "agreements":
            donor = row.text("donor", required=True)
            refs.check(row, "donor", "nations", donor, "nation")
            years = row.number("duration_years", required=False, integer=True, positive=True)
            item = {
                "id": row.text("id", required=True),
                "donor": donor,
                "signed": row.date("signed"),
                "duration_years": None if years is None else int(years),
                "place": row.text("place"),
                "note": row.text("note"),
            }
            key = str(item["id"])
        elif name == "pledges":
            agreement = row.text("agreement", required=True)
            refs.check(row, "agreement", "agreements", agreement, "agreement")
            year = row.number("year", integer=True, minimum=1900.0)
            currency = row.text("currency", required=True).upper()
            if currency and not re.fullmatch(r"[A-Z]{3}", currency):
                row.error("currency", f"{currency!r} is not a 3-letter currency code (EUR, USD)")
            item = {
                "agreement": agreement,
                "year": None if year is None else int(year),
                "amount": row.number("amount", minimum=0.0),
                "currency": currency,
                "purpose": row.text("purpose"),
            }
            pledge_key = f"{agreement}/{item['year']}/{currency}/{item['purpose']}"
            if not _unique(row, "purpose", pledge_key, seen, is_code=False):
                continue
        if key and not _unique(row, columns[0], key, seen):
            continue
        for extra in reader.extra:
            item[extra] = row.text(extra)
        result.append(item)
    del nation_codes  # nations are resolved through refs
    return result
