"""The scenario: FORMAT.md tables as typed numpy arrays with label indexes.

Every entity table is held column-wise; rows are addressed by position
(0-based) and labels map back with the ``*_index`` dicts. References between
tables are positions (``-1`` = none). Dates become integer day offsets from
``start_date`` so week arithmetic stays vectorised.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
import os
import re
import shutil
import struct
import tempfile
import tomllib
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class CellError:
    """One problem in an input file, located for a person to fix it."""

    file: str  # file name (`offers.csv`) or sheet name of a workbook
    row: int  # 1-based row as a spreadsheet shows it (header = row 1); 0 = whole file
    column: str  # column name, or "" for a whole row / file
    message: str

    def __str__(self) -> str:
        where = self.file
        if self.row:
            where += f", row {self.row}"
        if self.column:
            where += f", column {self.column}"
        return f"{where}: {self.message}"


class ScenarioError(ValueError):
    """Raised with every error found in a scenario, not just the first."""

    def __init__(self, errors: list[CellError]) -> None:
        self.errors = errors
        super().__init__("\n".join(str(e) for e in errors))


@dataclass
class Scenario:
    """A planning scenario, as FORMAT.md defines it, in arrays.

    Shapes: N nations, C capabilities, F families, I item types,
    R requirements, O offers, H hubs, K routes, S courses.
    """

    # scenario.toml
    start_date: dt.date
    horizon_weeks: int
    recipient: str
    lateness_half_life_weeks: float = 8.0
    default_family_cost: float = 4.0

    # nations.csv
    nation_codes: list[str] = field(default_factory=list)
    nation_names: list[str] = field(default_factory=list)
    nation_nato: BoolArray = field(default_factory=lambda: np.zeros(0, bool))
    nation_eu: BoolArray = field(default_factory=lambda: np.zeros(0, bool))

    # capabilities: the distinct capability codes of families and requirements, sorted
    capability_codes: list[str] = field(default_factory=list)

    # families.csv
    family_codes: list[str] = field(default_factory=list)
    family_names: list[str] = field(default_factory=list)
    family_capability: IntArray = field(default_factory=lambda: np.zeros(0, np.int64))  # -> capability
    family_in_service: BoolArray = field(default_factory=lambda: np.zeros(0, bool))
    family_cost: FloatArray = field(default_factory=lambda: np.zeros(0))  # default already applied
    family_cost_given: BoolArray = field(default_factory=lambda: np.zeros(0, bool))  # cell was not empty
    family_crew_per_unit: FloatArray = field(default_factory=lambda: np.zeros(0))
    family_existing_crews: FloatArray = field(default_factory=lambda: np.zeros(0))

    # item_types.csv
    item_codes: list[str] = field(default_factory=list)
    item_names: list[str] = field(default_factory=list)
    item_family: IntArray = field(default_factory=lambda: np.zeros(0, np.int64))  # -> family
    item_unit: list[str] = field(default_factory=list)
    item_is_each: BoolArray = field(default_factory=lambda: np.zeros(0, bool))
    item_mass_t: FloatArray = field(default_factory=lambda: np.zeros(0))
    item_nsn: list[str] = field(default_factory=list)  # "" when not given; as written in the file

    # requirements.csv
    requirement_ids: list[str] = field(default_factory=list)
    requirement_capability: IntArray = field(default_factory=lambda: np.zeros(0, np.int64))
    requirement_quantity: FloatArray = field(default_factory=lambda: np.zeros(0))
    requirement_priority: IntArray = field(default_factory=lambda: np.zeros(0, np.int64))
    requirement_needed_by: list[dt.date] = field(default_factory=list)
    requirement_accepts: list[list[str]] = field(default_factory=list)  # family codes as given; [] = any
    # R x F: family f may serve requirement r (capability matches and, if given, f in accepts)
    requirement_family_ok: BoolArray = field(default_factory=lambda: np.zeros((0, 0), bool))

    # offers.csv
    offer_ids: list[str] = field(default_factory=list)
    offer_donor: IntArray = field(default_factory=lambda: np.zeros(0, np.int64))  # -> nation
    offer_item: IntArray = field(default_factory=lambda: np.zeros(0, np.int64))  # -> item type
    offer_quantity: FloatArray = field(default_factory=lambda: np.zeros(0))
    offer_available_from: list[dt.date] = field(default_factory=list)
    offer_earmark: IntArray = field(default_factory=lambda: np.zeros(0, np.int64))  # -> requirement, -1 none
    offer_withdrawn: BoolArray = field(default_factory=lambda: np.zeros(0, bool))

    # hubs.csv
    hub_codes: list[str] = field(default_factory=list)
    hub_names: list[str] = field(default_factory=list)
    hub_iso3: list[str] = field(default_factory=list)
    hub_capacity_t: FloatArray = field(default_factory=lambda: np.zeros(0))

    # routes.csv
    route_donor: IntArray = field(default_factory=lambda: np.zeros(0, np.int64))  # -> nation
    route_hub: IntArray = field(default_factory=lambda: np.zeros(0, np.int64))  # -> hub
    route_lead_days: IntArray = field(default_factory=lambda: np.zeros(0, np.int64))

    # courses.csv
    course_ids: list[str] = field(default_factory=list)
    course_family: IntArray = field(default_factory=lambda: np.zeros(0, np.int64))  # -> family
    course_host: list[str] = field(default_factory=list)  # iso3
    course_seats: FloatArray = field(default_factory=lambda: np.zeros(0))
    course_start: list[dt.date] = field(default_factory=list)
    course_duration_weeks: IntArray = field(default_factory=lambda: np.zeros(0, np.int64))

    # What plans approved earlier already use (not in FORMAT.md files: only the
    # platform's re-plans set them, docs/planning.md "Re-planning after an
    # approval"). Empty (0 x 0) when nothing is committed.
    # hubs x weeks: tonnes that committed lines bring through each hub each week.
    hub_committed_t: FloatArray = field(default_factory=lambda: np.zeros((0, 0)))
    # families x weeks: crews the committed units of each family need by each week,
    # less the graduates of the seats committed plans use (negative: spare crews).
    family_committed_crews: FloatArray = field(default_factory=lambda: np.zeros((0, 0)))

    # Platform extensions (docs/format.md): extra columns of the tables above, by
    # table name then row position, and the extension tables (capabilities,
    # family_aliases, coalitions, agreements, pledges) as lists of typed dicts.
    extra_columns: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    extensions: dict[str, list[dict[str, object]]] = field(default_factory=dict)

    # ----- week arithmetic (FORMAT.md "Weeks") -----

    def week_of(self, day: dt.date) -> int:
        """FORMAT.md week(d): whole weeks since start_date, never below 0."""
        return max(0, (day - self.start_date).days // 7)

    def days_since_start(self, days: list[dt.date]) -> IntArray:
        """Days from start_date to each date (negative before it), for a whole column at once."""
        return np.array([d.toordinal() for d in days], dtype=np.int64) - self.start_date.toordinal()

    @property
    def requirement_due_week(self) -> IntArray:
        return np.maximum(self.days_since_start(self.requirement_needed_by) // 7, 0)

    @property
    def offer_available_day(self) -> IntArray:
        """Days from start_date to each offer's available_from (may be negative)."""
        return self.days_since_start(self.offer_available_from)

    @property
    def course_ready_week(self) -> IntArray:
        start = np.maximum(self.days_since_start(self.course_start) // 7, 0)
        return start + self.course_duration_weeks

    def hub_week_capacity(self) -> FloatArray:
        """Hubs x weeks: tonnes a plan may still bring through each hub each week (rule 6
        less what committed plans use)."""
        capacity = np.repeat(self.hub_capacity_t.astype(np.float64)[:, None], self.horizon_weeks, axis=1)
        if self.hub_committed_t.size:
            capacity = np.maximum(capacity - self.hub_committed_t, 0.0)
        return capacity

    def crews_committed(self) -> FloatArray:
        """Families x weeks: crews committed plans take by each week (zeros when none).

        Never more than the existing crews and every seat of the courses ready by
        then: committed plans were valid when approved, so more can only come of data
        changed since (a course moved or cut). The cap keeps rule 7 satisfiable (no
        new units, every seat used) and still leaves the new plan no crews that
        committed units need."""
        if not self.family_committed_crews.size:
            return np.zeros((len(self.family_codes), self.horizon_weeks))
        horizon = self.horizon_weeks
        seats = np.zeros((len(self.family_codes), horizon + 1))
        if len(self.course_ids):
            ready = np.minimum(self.course_ready_week, horizon)
            np.add.at(seats, (self.course_family, ready), self.course_seats.astype(np.float64))
        cap = self.family_existing_crews.astype(np.float64)[:, None] + np.cumsum(seats[:, :horizon], axis=1)
        return np.minimum(self.family_committed_crews.astype(np.float64), cap)

    @property
    def requirement_weight(self) -> FloatArray:
        """w = 2^(5 - priority)."""
        return np.power(2.0, 5 - self.requirement_priority.astype(np.float64))

    def check_shapes(self) -> None:
        """Raise ValueError when the parallel arrays disagree in length (a scenario
        built by hand or changed in place, not one read from files)."""
        tables = {
            "nation": (len(self.nation_codes), ("nation_names", "nation_nato", "nation_eu")),
            "family": (
                len(self.family_codes),
                (
                    "family_names",
                    "family_capability",
                    "family_in_service",
                    "family_cost",
                    "family_crew_per_unit",
                    "family_existing_crews",
                ),
            ),
            "item": (len(self.item_codes), ("item_family", "item_unit", "item_is_each", "item_mass_t")),
            "requirement": (
                len(self.requirement_ids),
                (
                    "requirement_capability",
                    "requirement_quantity",
                    "requirement_priority",
                    "requirement_needed_by",
                ),
            ),
            "offer": (
                len(self.offer_ids),
                (
                    "offer_donor",
                    "offer_item",
                    "offer_quantity",
                    "offer_available_from",
                    "offer_earmark",
                    "offer_withdrawn",
                ),
            ),
            "hub": (len(self.hub_codes), ("hub_capacity_t",)),
            "route": (len(self.route_donor), ("route_hub", "route_lead_days")),
            "course": (
                len(self.course_ids),
                ("course_family", "course_seats", "course_start", "course_duration_weeks"),
            ),
        }
        wrong = [
            f"{name} has {len(getattr(self, name))} entries for {size} {table}s"
            for table, (size, names) in tables.items()
            for name in names
            if len(getattr(self, name)) != size
        ]
        expected = (len(self.requirement_ids), len(self.family_codes))
        if self.requirement_family_ok.shape != expected:
            wrong.append(f"requirement_family_ok is {self.requirement_family_ok.shape}, not {expected}")
        for name, rows in (
            ("hub_committed_t", len(self.hub_codes)),
            ("family_committed_crews", len(self.family_codes)),
        ):
            shape = getattr(self, name).shape
            if shape != (0, 0) and shape != (rows, self.horizon_weeks):
                wrong.append(f"{name} is {shape}, not {(rows, self.horizon_weeks)} or empty")
        if wrong:
            raise ValueError("inconsistent scenario: " + "; ".join(wrong))

    # ----- label look-ups -----

    @property
    def nation_index(self) -> dict[str, int]:
        return {c: i for i, c in enumerate(self.nation_codes)}

    @property
    def family_index(self) -> dict[str, int]:
        return {c: i for i, c in enumerate(self.family_codes)}

    @property
    def item_index(self) -> dict[str, int]:
        return {c: i for i, c in enumerate(self.item_codes)}

    @property
    def requirement_index(self) -> dict[str, int]:
        return {c: i for i, c in enumerate(self.requirement_ids)}

    @property
    def offer_index(self) -> dict[str, int]:
        return {c: i for i, c in enumerate(self.offer_ids)}

    @property
    def hub_index(self) -> dict[str, int]:
        return {c: i for i, c in enumerate(self.hub_codes)}

    @property
    def course_index(self) -> dict[str, int]:
        return {c: i for i, c in enumerate(self.course_ids)}


# ======================================================================
# Reading and writing FORMAT.md folders and workbooks
# ======================================================================

# FORMAT.md columns, in FORMAT.md order (the order files are written in).
TABLE_COLUMNS: dict[str, tuple[str, ...]] = {
    "nations": ("iso3", "name", "nato", "eu"),
    "families": (
        "code",
        "name",
        "capability",
        "in_service",
        "introduction_cost",
        "crew_per_unit",
        "existing_crews",
    ),
    "item_types": ("code", "name", "family", "unit", "mass_t", "nsn"),
    "requirements": ("id", "capability", "quantity", "priority", "needed_by", "accepts"),
    "offers": ("id", "donor", "item_type", "quantity", "available_from", "earmark", "status"),
    "hubs": ("code", "name", "iso3", "capacity_t_per_week"),
    "routes": ("donor", "hub", "lead_time_days"),
    "courses": ("id", "family", "host", "seats", "start", "duration_weeks"),
}
# Columns whose every cell may be empty: a file may leave the column out altogether.
OPTIONAL_COLUMNS: dict[str, frozenset[str]] = {
    "families": frozenset({"introduction_cost"}),
    "item_types": frozenset({"nsn"}),
    "requirements": frozenset({"accepts"}),
    "offers": frozenset({"earmark", "status"}),
}
# Platform extra columns the reader validates (docs/format.md); kept in extra_columns.
KNOWN_EXTRA_COLUMNS: dict[str, tuple[str, ...]] = {
    "nations": ("codification_bureau",),
    "item_types": ("serialised",),
    "requirements": ("title", "releasability"),
    "offers": ("releasability", "note", "platform_status"),
}
# Platform extension tables (docs/format.md), all optional.
EXTENSION_COLUMNS: dict[str, tuple[str, ...]] = {
    "capabilities": ("code", "name"),
    "family_aliases": ("alias", "family", "source"),
    "coalitions": ("code", "name", "capabilities", "leads", "members"),
    "agreements": ("id", "donor", "signed", "duration_years", "place", "note"),
    "pledges": ("agreement", "year", "amount", "currency", "purpose"),
}
EXTENSION_REQUIRED: dict[str, frozenset[str]] = {
    "capabilities": frozenset({"code"}),
    "family_aliases": frozenset({"alias", "family"}),
    "coalitions": frozenset({"code"}),
    "agreements": frozenset({"id", "donor", "signed"}),
    "pledges": frozenset({"agreement", "year", "amount", "currency"}),
}
SCENARIO_KEYS: tuple[str, ...] = (
    "start_date",
    "horizon_weeks",
    "recipient",
    "lateness_half_life_weeks",
    "default_family_cost",
    "name",
    "description",
)
IGNORED_SHEETS = frozenset({"notes", "readme"})
RELEASABILITY_WORDS = ("public", "coalition", "command-only")

Cell = object  # a raw cell: str from CSV; str/float/bool/date/datetime from a workbook

_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
# Whole numbers (days, weeks, years) beyond this are typing slips; they would also
# overflow the 64-bit arrays and the calendar.
MAX_WHOLE = 1_000_000
_DATE = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:[T ]00:00(?::00(?:\.0+)?)?)?$")
_ISO3 = re.compile(r"^[A-Z]{3}$")

# Zip-bomb guard for workbooks (checked before any xlsx library opens the file).
MAX_WORKBOOK_UNPACKED = 200_000_000  # bytes, all entries together
MAX_WORKBOOK_ENTRIES = 10_000
MAX_COMPRESSION_RATIO = 100.0
RATIO_CHECKED_ABOVE = 10_000_000  # bytes unpacked; smaller workbooks cannot hurt whatever their ratio
# Fixed time of a written workbook's zip entries and document properties, so its bytes are reproducible.
WORKBOOK_TIME = dt.datetime(1980, 1, 1)


def format_number(value: float) -> str:
    """Minimal text for a number: 6 not 6.0, 2.5, 1e-07."""
    x = float(value)
    if x.is_integer() and abs(x) < 1e16:
        return str(int(x))
    return repr(x)


def cell_text(value: Cell) -> str:
    """A cell as text: Excel's 12.0 becomes "12", a date its ISO form."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return format_number(value) if math.isfinite(value) else str(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


def parse_list(text: str) -> list[str]:
    """A `;`-separated cell as a list, blanks dropped."""
    return [part.strip() for part in text.split(";") if part.strip()]


@dataclass
class _Table:
    """A table as read: header names and (spreadsheet row number, cells) pairs."""

    name: str  # table name, e.g. "offers"
    label: str  # how errors name it: "offers.csv" or sheet "offers"
    header: list[str]
    rows: list[tuple[int, list[Cell]]]


class _Row:
    """One data row, with typed getters that record errors instead of raising."""

    def __init__(self, reader: _TableReader, number: int, cells: list[Cell]) -> None:
        self.reader = reader
        self.line = number
        self.cells = cells

    def raw(self, column: str) -> Cell:
        pos = self.reader.positions.get(column)
        if pos is None or pos >= len(self.cells):
            return None
        value = self.cells[pos]
        return None if isinstance(value, str) and not value.strip() else value

    def error(self, column: str, message: str) -> None:
        self.reader.errors.append(CellError(self.reader.table.label, self.line, column, message))

    def present(self, column: str) -> bool:
        return column in self.reader.positions

    def text(self, column: str, *, required: bool = False) -> str:
        value = cell_text(self.raw(column))
        if required and not value and self.present(column):
            self.error(column, "is empty; a value is required")
        return value

    def number(
        self,
        column: str,
        *,
        required: bool = True,
        minimum: float | None = None,
        positive: bool = False,
        integer: bool = False,
    ) -> float | None:
        value = self.raw(column)
        if value is None:
            if required and self.present(column):
                self.error(column, "is empty; a number is required")
            return None
        x: float
        if isinstance(value, bool | dt.date):
            self.error(column, f"{cell_text(value)!r} is not a number")
            return None
        if isinstance(value, int | float):
            x = float(value)
        else:
            text = str(value).strip()
            if not _NUMBER.match(text):
                self.error(column, f"{text!r} is not a number")
                return None
            x = float(text)
        if not math.isfinite(x):
            self.error(column, f"{cell_text(value)!r} is not a finite number")
            return None
        if integer and not x.is_integer():
            self.error(column, f"{format_number(x)} is not a whole number")
            return None
        if integer and abs(x) > MAX_WHOLE:
            self.error(column, f"{format_number(x)} is too large (at most {MAX_WHOLE})")
            return None
        if positive and x <= 0:
            self.error(column, f"must be greater than 0, got {format_number(x)}")
            return None
        if minimum is not None and x < minimum:
            self.error(column, f"must be at least {format_number(minimum)}, got {format_number(x)}")
            return None
        return x

    def date(self, column: str, *, required: bool = True) -> dt.date | None:
        value = self.raw(column)
        if value is None:
            if required and self.present(column):
                self.error(column, "is empty; a date (YYYY-MM-DD) is required")
            return None
        return _parse_date(value, lambda message: self.error(column, message))

    def boolean(self, column: str, *, default: bool = False) -> bool:
        value = self.raw(column)
        if value is None:
            return default
        parsed = _parse_bool(value)
        if parsed is None:
            self.error(column, f"{cell_text(value)!r} is not a boolean (true/false, yes/no, 1/0)")
            return default
        return parsed


def _parse_date(value: Cell, error: Callable[[str], None]) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = cell_text(value)
    match = _DATE.match(text) if isinstance(value, str) else None
    if match:
        try:
            return dt.date.fromisoformat(match.group(1))
        except ValueError:
            pass
    error(f"{text!r} is not a date (YYYY-MM-DD)")
    return None


def _parse_bool(value: Cell) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    text = cell_text(value).lower()
    if text in ("true", "1", "yes"):
        return True
    if text in ("false", "0", "no"):
        return False
    return None


class _TableReader:
    """Checks a table's header and hands out its rows."""

    def __init__(
        self,
        table: _Table,
        columns: tuple[str, ...],
        required: frozenset[str] | set[str],
        errors: list[CellError],
    ) -> None:
        self.table = table
        self.errors = errors
        self.positions: dict[str, int] = {}
        self.extra: list[str] = []  # header names that are not FORMAT.md columns, in file order
        for pos, name in enumerate(table.header):
            key = name.strip()
            lowered = key.lower()
            if not key:
                if any(pos < len(c) and cell_text(c[pos]) for _, c in table.rows):
                    errors.append(CellError(table.label, 1, f"#{pos + 1}", "a column with data has no name"))
                continue
            name_used = lowered if lowered in columns else key
            if name_used in self.positions:
                errors.append(CellError(table.label, 1, key, "duplicate column"))
                continue
            self.positions[name_used] = pos
            if name_used not in columns:
                self.extra.append(name_used)
        for column in columns:
            if column in required and column not in self.positions:
                errors.append(CellError(table.label, 1, column, "missing column"))

    def __iter__(self) -> Iterator[_Row]:
        for number, cells in self.table.rows:
            yield _Row(self, number, cells)

    def extras_of(self, row: _Row, known: tuple[str, ...] = ()) -> dict[str, str]:
        """The row's extra columns as text (known ones are validated by the caller)."""
        return {name: row.text(name) for name in self.extra if name not in known}


# ----- raw input: folders and workbooks -----


def _csv_table(path: Path, name: str, errors: list[CellError]) -> _Table | None:
    label = path.name
    try:
        data = path.read_bytes()
    except OSError as exc:
        errors.append(CellError(label, 0, "", f"cannot read the file: {exc.strerror}"))
        return None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        errors.append(CellError(label, 0, "", f"not UTF-8 text (byte {exc.start}); save it as UTF-8 CSV"))
        return None
    if not text.strip():
        errors.append(CellError(label, 0, "", "the file is empty; it needs at least a header row"))
        return None
    try:
        records = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        errors.append(CellError(label, 0, "", f"not a valid CSV file: {exc}"))
        return None
    return _table_of_records(name, label, [list(r) for r in records], errors)


def _table_of_records(
    name: str, label: str, records: list[list[Cell]], errors: list[CellError]
) -> _Table | None:
    if not records or not any(cell_text(c) for c in records[0]):
        if not any(any(cell_text(c) for c in r) for r in records):
            errors.append(CellError(label, 0, "", "the file is empty; it needs at least a header row"))
        else:
            errors.append(CellError(label, 1, "", "the first row must be the header row"))
        return None
    header = [cell_text(c) for c in records[0]]
    while header and not header[-1]:
        header.pop()
    rows: list[tuple[int, list[Cell]]] = []
    for number, record in enumerate(records[1:], start=2):
        if not any(cell_text(c) for c in record):
            continue  # blank lines are not rows
        if len(record) > len(header) and any(cell_text(c) for c in record[len(header) :]):
            errors.append(
                CellError(
                    label, number, "", f"the row has {len(record)} cells but the header only {len(header)}"
                )
            )
        rows.append((number, record))
    return _Table(name, label, header, rows)


def _read_folder(
    path: Path, errors: list[CellError]
) -> tuple[dict[str, tuple[Cell, int]], dict[str, _Table]]:
    settings: dict[str, tuple[Cell, int]] = {}
    toml_path = path / "scenario.toml"
    if not toml_path.is_file():
        errors.append(CellError("scenario.toml", 0, "", "missing file"))
    else:
        settings = _read_toml(toml_path, errors)
    tables: dict[str, _Table] = {}
    for name in (*TABLE_COLUMNS, *EXTENSION_COLUMNS):
        file = path / f"{name}.csv"
        if not file.is_file():
            if name in TABLE_COLUMNS:
                errors.append(CellError(file.name, 0, "", "missing file"))
            continue
        table = _csv_table(file, name, errors)
        if table is not None:
            tables[name] = table
    return settings, tables


def _read_toml(path: Path, errors: list[CellError]) -> dict[str, tuple[Cell, int]]:
    label = path.name
    try:
        text = path.read_bytes().decode("utf-8-sig")
        data = tomllib.loads(text)
    except UnicodeDecodeError:
        errors.append(CellError(label, 0, "", "not UTF-8 text"))
        return {}
    except tomllib.TOMLDecodeError as exc:
        errors.append(CellError(label, 0, "", f"not valid TOML: {exc}"))
        return {}
    lines = text.splitlines()
    result: dict[str, tuple[Cell, int]] = {}
    for key, value in data.items():
        line = next(
            (n for n, ln in enumerate(lines, start=1) if re.match(rf"^\s*\"?{re.escape(key)}\"?\s*=", ln)), 0
        )
        if isinstance(value, dict | list):
            errors.append(CellError(label, line, key, "must be a single value"))
            continue
        result[key] = (value, line)
    return result


def workbook_archive_errors(source: Path | bytes, label: str) -> list[CellError]:
    """Why a workbook must not be opened (a zip bomb, not a zip), or [] when it is safe.

    An ``.xlsx`` file is a zip archive. Before openpyxl or python-calamine
    unpack it, the zip directory is checked (entry count, declared sizes and
    compression ratio), then every entry is inflated once without keeping it,
    to at most the limit, since a directory can lie about sizes.
    """

    def refuse(message: str) -> list[CellError]:
        return [CellError(label, 0, "", message)]

    try:
        handle = io.BytesIO(source) if isinstance(source, bytes) else open(source, "rb")  # noqa: SIM115
        with handle, zipfile.ZipFile(handle) as archive:
            entries = archive.infolist()
            if len(entries) > MAX_WORKBOOK_ENTRIES:
                return refuse(
                    f"the workbook archive has {len(entries)} entries (at most {MAX_WORKBOOK_ENTRIES}); "
                    "refused as a possible zip bomb"
                )
            declared = sum(e.file_size for e in entries)
            packed = sum(e.compress_size for e in entries)
            problem = _unpacked_problem(declared, packed)
            if problem:
                return refuse(problem)
            unpacked = 0
            for entry in entries:
                if entry.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                    return refuse(
                        f"entry {entry.filename!r} uses zip compression method {entry.compress_type}; "
                        "a workbook uses only stored or deflated entries"
                    )
                size = _inflated_size(handle, entry, MAX_WORKBOOK_UNPACKED - unpacked)
                if size > entry.file_size:
                    return refuse(
                        f"entry {entry.filename!r} unpacks to more than the {entry.file_size} bytes "
                        "its zip directory declares; refused as a possible zip bomb"
                    )
                unpacked += size
            problem = _unpacked_problem(unpacked, packed)
            return refuse(problem) if problem else []
    except (zipfile.BadZipFile, zlib.error, struct.error, EOFError, OSError, ValueError) as exc:
        return refuse(f"not a readable .xlsx workbook (not a valid zip archive: {exc})")


def _unpacked_problem(unpacked: int, packed: int) -> str:
    if unpacked > MAX_WORKBOOK_UNPACKED:
        return (
            f"the workbook would unpack to {unpacked / 1e6:.0f} MB "
            f"(at most {MAX_WORKBOOK_UNPACKED / 1e6:.0f} MB); refused as a possible zip bomb"
        )
    ratio = unpacked / max(packed, 1)
    if unpacked > RATIO_CHECKED_ABOVE and ratio > MAX_COMPRESSION_RATIO:
        return (
            f"the workbook is compressed {ratio:.0f} to 1 (at most {MAX_COMPRESSION_RATIO:.0f} to 1 "
            f"above {RATIO_CHECKED_ABOVE / 1e6:.0f} MB); refused as a possible zip bomb"
        )
    return ""


def _inflated_size(handle: Any, entry: zipfile.ZipInfo, budget: int) -> int:
    """The bytes an entry really unpacks to, counted up to ``budget`` + 1 and not kept."""
    handle.seek(entry.header_offset)
    local = handle.read(30)
    if len(local) != 30 or local[:4] != b"PK\x03\x04":
        raise zipfile.BadZipFile(f"bad local header of {entry.filename!r}")
    name_length, extra_length = struct.unpack("<HH", local[26:30])
    handle.seek(entry.header_offset + 30 + name_length + extra_length)
    if entry.compress_type == zipfile.ZIP_STORED:
        return entry.compress_size
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    left, size = entry.compress_size, 0
    while left > 0 and size <= budget:
        data = handle.read(min(left, 1 << 16))
        if not data:
            raise EOFError(f"entry {entry.filename!r} is truncated")
        left -= len(data)
        while data and size <= budget:
            size += len(inflater.decompress(data, 1 << 20))
            data = inflater.unconsumed_tail
    return size


def _read_workbook(
    path: Path, errors: list[CellError]
) -> tuple[dict[str, tuple[Cell, int]], dict[str, _Table]]:
    from python_calamine import CalamineWorkbook

    label = path.name
    refused = workbook_archive_errors(path, label)
    if refused:
        errors.extend(refused)
        return {}, {}
    try:
        book = CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine raises several error types for unreadable files
        errors.append(CellError(label, 0, "", f"not a readable .xlsx workbook: {exc}"))
        return {}, {}
    known = {name: name for name in (*TABLE_COLUMNS, *EXTENSION_COLUMNS, "scenario")}
    sheets: dict[str, str] = {}
    for sheet in book.sheet_names:
        key = sheet.strip().lower()
        if key in known and key not in sheets:
            sheets[key] = sheet
        elif key in known:
            errors.append(CellError(sheet, 0, "", f"a second sheet named {key!r}"))
        elif key not in IGNORED_SHEETS:
            errors.append(
                CellError(sheet, 0, "", "unknown sheet; expected the FORMAT.md sheets (and notes/README)")
            )
    for name in ("scenario", *TABLE_COLUMNS):
        if name not in sheets:
            errors.append(CellError(name, 0, "", "missing sheet"))
    tables: dict[str, _Table] = {}
    settings: dict[str, tuple[Cell, int]] = {}
    for key, sheet in sheets.items():
        records: list[list[Cell]] = [
            list(r) for r in book.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
        ]
        if key == "scenario":
            settings = _settings_of_sheet(sheet, records, errors)
            continue
        table = _table_of_records(key, sheet, records, errors)
        if table is not None:
            tables[key] = table
    return settings, tables


def _settings_of_sheet(
    label: str, records: list[list[Cell]], errors: list[CellError]
) -> dict[str, tuple[Cell, int]]:
    table = _table_of_records("scenario", label, records, errors)
    if table is None:
        return {}
    reader = _TableReader(table, ("key", "value"), {"key", "value"}, errors)
    result: dict[str, tuple[Cell, int]] = {}
    if "key" not in reader.positions or "value" not in reader.positions:
        return result
    for row in reader:
        key = row.text("key")
        if not key:
            row.error("key", "is empty")
            continue
        if key in result:
            row.error("key", f"duplicate key {key!r}")
            continue
        result[key] = (row.raw("value"), row.line)
    return result


# ----- typed parsing -----


class _Refs:
    """Label -> position look-ups; None when the table could not be read (no reference errors then)."""

    def __init__(self) -> None:
        self.maps: dict[str, dict[str, int] | None] = {}

    def check(self, row: _Row, column: str, table: str, code: str, what: str) -> int:
        lookup = self.maps.get(table)
        if not code or lookup is None:
            return -1
        pos = lookup.get(code)
        if pos is None:
            row.error(column, f"unknown {what} {code!r}")
            return -1
        return pos


def _unique(row: _Row, column: str, code: str, seen: dict[str, int], what: str = "") -> bool:
    """Record the first row of each code; a later one is an error."""
    if not code:
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
        settings, tables = _read_folder(path, errors)
    elif path.suffix.lower() in (".xlsx", ".xlsm") and path.is_file():
        settings, tables = _read_workbook(path, errors)
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
        values["start_date"] = _parse_date(settings["start_date"][0], lambda m: err("start_date", m))
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
        if isinstance(raw, bool) or not (isinstance(raw, int | float) or _NUMBER.match(text)):
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


def _build(
    raw_settings: dict[str, tuple[Cell, int]],
    tables: dict[str, _Table],
    settings_label: str,
    errors: list[CellError],
) -> Scenario | None:
    settings, meta = _settings(settings_label, raw_settings, errors)
    refs = _Refs()
    extra_columns: dict[str, list[dict[str, str]]] = {}

    def reader(name: str) -> _TableReader | None:
        table = tables.get(name)
        if table is None:
            return None
        columns = TABLE_COLUMNS[name]
        required = set(columns) - OPTIONAL_COLUMNS.get(name, frozenset())
        return _TableReader(table, columns, required, errors)

    # nations
    nation_codes: list[str] = []
    nation_names: list[str] = []
    nato: list[bool] = []
    eu: list[bool] = []
    nation_rows: list[_Row] = []
    seen: dict[str, int] = {}
    nations = reader("nations")
    if nations is not None:
        for row in nations:
            code = row.text("iso3", required=True)
            if code and not _ISO3.match(code):
                row.error("iso3", f"{code!r} is not an ISO 3166-1 alpha-3 code (three capital letters)")
            if not _unique(row, "iso3", code, seen):
                continue
            nation_codes.append(code)
            nation_names.append(row.text("name"))
            nato.append(row.boolean("nato"))
            eu.append(row.boolean("eu"))
            nation_rows.append(row)
        refs.maps["nations"] = {c: i for i, c in enumerate(nation_codes)}
        extras = [nations.extras_of(r) for r in nation_rows]
        for row, extra in zip(nation_rows, extras, strict=True):
            if "codification_bureau" in extra:
                extra["codification_bureau"] = _codification_bureau(row)
        _keep_extras(extra_columns, "nations", nations, extras)
    else:
        refs.maps["nations"] = None

    recipient = str(settings.get("recipient", ""))
    if recipient and refs.maps["nations"] is not None and recipient not in nation_codes:
        errors.append(
            CellError(
                settings_label, raw_settings["recipient"][1], "recipient", f"unknown nation {recipient!r}"
            )
        )

    # capabilities extension first: when given, it lists the valid capability codes
    capability_table = _extension(tables, "capabilities", errors, refs, set(), nation_codes)
    listed_capabilities = {str(r["code"]) for r in capability_table} if capability_table is not None else None

    def capability_ok(row: _Row, code: str) -> None:
        if code and listed_capabilities is not None and code not in listed_capabilities:
            row.error("capability", f"unknown capability {code!r} (not in capabilities)")

    # families
    family_codes: list[str] = []
    family_names: list[str] = []
    family_cap_code: list[str] = []
    in_service: list[bool] = []
    cost: list[float] = []
    cost_given: list[bool] = []
    crew: list[float] = []
    existing: list[float] = []
    default_cost = float(cast(float, settings.get("default_family_cost", 4.0)))
    seen = {}
    families = reader("families")
    if families is not None:
        kept: list[_Row] = []
        for row in families:
            code = row.text("code", required=True)
            capability = row.text("capability", required=True)
            capability_ok(row, capability)
            service = row.boolean("in_service")
            intro = row.number("introduction_cost", required=False, minimum=0.0)
            per_unit = row.number("crew_per_unit", required=False, minimum=0.0)
            crews = row.number("existing_crews", required=False, minimum=0.0)
            if not _unique(row, "code", code, seen):
                continue
            family_codes.append(code)
            family_names.append(row.text("name"))
            family_cap_code.append(capability)
            in_service.append(service)
            cost.append(default_cost if intro is None else intro)
            cost_given.append(intro is not None)
            crew.append(per_unit or 0.0)
            existing.append(crews or 0.0)
            kept.append(row)
        refs.maps["families"] = {c: i for i, c in enumerate(family_codes)}
        _keep_extras(extra_columns, "families", families, [families.extras_of(r) for r in kept])
    else:
        refs.maps["families"] = None

    # item types
    item_codes: list[str] = []
    item_names: list[str] = []
    item_family: list[int] = []
    item_unit: list[str] = []
    item_mass: list[float] = []
    item_nsn: list[str] = []
    seen = {}
    items = reader("item_types")
    if items is not None:
        kept = []
        extras = []
        for row in items:
            code = row.text("code", required=True)
            family = refs.check(row, "family", "families", row.text("family", required=True), "family")
            unit = row.text("unit", required=True)
            mass = row.number("mass_t", minimum=0.0)
            nsn = row.text("nsn")
            if nsn and not re.fullmatch(r"\d{13}", nsn.replace("-", "")):
                row.error("nsn", f"{nsn!r} is not a NATO Stock Number (13 digits, dashes allowed)")
            extra = items.extras_of(row)
            if "serialised" in extra:
                value = row.raw("serialised")
                parsed = None if value is None else _parse_bool(value)
                if value is not None and parsed is None:
                    row.error("serialised", f"{cell_text(value)!r} is not a boolean (true/false)")
                extra["serialised"] = "" if parsed is None else ("true" if parsed else "false")
            if not _unique(row, "code", code, seen):
                continue
            item_codes.append(code)
            item_names.append(row.text("name"))
            item_family.append(family)
            item_unit.append(unit)
            item_mass.append(mass or 0.0)
            item_nsn.append(nsn)
            kept.append(row)
            extras.append(extra)
        refs.maps["item_types"] = {c: i for i, c in enumerate(item_codes)}
        _keep_extras(extra_columns, "item_types", items, extras)
    else:
        refs.maps["item_types"] = None

    # FORMAT.md: `each` means whole quantities. Per family, whether its item types are `each`.
    units_known = refs.maps["families"] is not None and refs.maps["item_types"] is not None
    family_each: dict[int, set[bool]] = {}
    for family_pos, unit in zip(item_family, item_unit, strict=True):
        family_each.setdefault(family_pos, set()).add(unit.lower() == "each")

    def counted_each(capability: str, accepts: list[str]) -> bool:
        """A requirement is counted in `each` when item types can serve it (FORMAT.md rule 3)
        and every one of them is `each`."""
        serving = {
            each
            for f, code in enumerate(family_codes)
            if family_cap_code[f] == capability and (not accepts or code in accepts)
            for each in family_each.get(f, set())
        }
        return serving == {True}

    # requirements
    req_ids: list[str] = []
    req_cap_code: list[str] = []
    req_quantity: list[float] = []
    req_priority: list[int] = []
    req_needed: list[dt.date] = []
    req_accepts: list[list[str]] = []
    seen = {}
    requirements = reader("requirements")
    if requirements is not None:
        extras = []
        for row in requirements:
            rid = row.text("id", required=True)
            capability = row.text("capability", required=True)
            capability_ok(row, capability)
            quantity = row.number("quantity", positive=True)
            priority = row.number("priority", integer=True)
            if priority is not None and not 1 <= priority <= 5:
                row.error("priority", f"must be 1 (most urgent) to 5, got {format_number(priority)}")
                priority = None
            needed = row.date("needed_by")
            accepts = parse_list(row.text("accepts"))
            for code in accepts:
                refs.check(row, "accepts", "families", code, "family")
            whole = quantity is None or quantity.is_integer()
            if not whole and units_known and counted_each(capability, accepts):
                row.error(
                    "quantity",
                    f"{format_number(cast(float, quantity))} is not a whole number; every item type "
                    "that can serve this requirement is counted in `each`",
                )
            extra = requirements.extras_of(row)
            if "releasability" in extra:
                extra["releasability"] = _releasability(row, extra["releasability"], refs)
            if not _unique(row, "id", rid, seen):
                continue
            req_ids.append(rid)
            req_cap_code.append(capability)
            req_quantity.append(quantity or 1.0)
            req_priority.append(int(priority or 3))
            req_needed.append(needed or dt.date(2000, 1, 1))
            req_accepts.append(accepts)
            extras.append(extra)
        refs.maps["requirements"] = {c: i for i, c in enumerate(req_ids)}
        _keep_extras(extra_columns, "requirements", requirements, extras)
    else:
        refs.maps["requirements"] = None

    # offers
    offer_ids: list[str] = []
    offer_donor: list[int] = []
    offer_item: list[int] = []
    offer_quantity: list[float] = []
    offer_from: list[dt.date] = []
    offer_earmark: list[int] = []
    offer_withdrawn: list[bool] = []
    seen = {}
    offers = reader("offers")
    if offers is not None:
        extras = []
        for row in offers:
            oid = row.text("id", required=True)
            donor = refs.check(row, "donor", "nations", row.text("donor", required=True), "nation")
            item = refs.check(
                row, "item_type", "item_types", row.text("item_type", required=True), "item type"
            )
            quantity = row.number("quantity", positive=True)
            whole = quantity is None or quantity.is_integer()
            if not whole and item >= 0 and item_unit[item].lower() == "each":
                row.error(
                    "quantity",
                    f"{format_number(cast(float, quantity))} is not a whole number; "
                    f"item type {item_codes[item]!r} is counted in `each`",
                )
            available = row.date("available_from")
            earmark_code = row.text("earmark")
            earmark = refs.check(
                row, "earmark", "requirements", earmark_code, "requirement (dangling earmark)"
            )
            status = row.text("status").lower() or "offered"
            if status not in ("offered", "withdrawn"):
                row.error("status", f"{row.text('status')!r} is not a status (offered or withdrawn)")
            extra = offers.extras_of(row)
            if "releasability" in extra:
                extra["releasability"] = _releasability(row, extra["releasability"], refs)
            if "platform_status" in extra:
                allocated = _platform_status(row, extra["platform_status"], status)
                extra["platform_status"] = "allocated" if allocated else ""
            if not _unique(row, "id", oid, seen):
                continue
            offer_ids.append(oid)
            offer_donor.append(donor)
            offer_item.append(item)
            offer_quantity.append(quantity or 1.0)
            offer_from.append(available or dt.date(2000, 1, 1))
            offer_earmark.append(earmark)
            # `platform_status` does not change what FORMAT.md's columns mean: an allocated
            # offer is an offered one here (the database's planning picture leaves it out).
            offer_withdrawn.append(status == "withdrawn")
            extras.append(extra)
        _keep_extras(extra_columns, "offers", offers, extras)

    # hubs
    hub_codes: list[str] = []
    hub_names: list[str] = []
    hub_iso3: list[str] = []
    hub_capacity: list[float] = []
    seen = {}
    hubs = reader("hubs")
    if hubs is not None:
        kept = []
        for row in hubs:
            code = row.text("code", required=True)
            iso3 = row.text("iso3", required=True)
            refs.check(row, "iso3", "nations", iso3, "nation")
            capacity = row.number("capacity_t_per_week", minimum=0.0)
            if not _unique(row, "code", code, seen):
                continue
            hub_codes.append(code)
            hub_names.append(row.text("name"))
            hub_iso3.append(iso3)
            hub_capacity.append(capacity or 0.0)
            kept.append(row)
        refs.maps["hubs"] = {c: i for i, c in enumerate(hub_codes)}
        _keep_extras(extra_columns, "hubs", hubs, [hubs.extras_of(r) for r in kept])
    else:
        refs.maps["hubs"] = None

    # routes
    route_donor: list[int] = []
    route_hub: list[int] = []
    route_days: list[int] = []
    seen = {}
    routes = reader("routes")
    if routes is not None:
        kept = []
        for row in routes:
            donor_code = row.text("donor", required=True)
            hub_code = row.text("hub", required=True)
            donor = refs.check(row, "donor", "nations", donor_code, "nation")
            hub = refs.check(row, "hub", "hubs", hub_code, "hub")
            days = row.number("lead_time_days", minimum=0.0, integer=True)
            if donor_code and hub_code:
                pair = f"{donor_code}/{hub_code}"
                if pair in seen:
                    row.error("hub", f"duplicate route {pair} (first on row {seen[pair]})")
                    continue
                seen[pair] = row.line
            route_donor.append(donor)
            route_hub.append(hub)
            route_days.append(int(days or 0))
            kept.append(row)
        _keep_extras(extra_columns, "routes", routes, [routes.extras_of(r) for r in kept])

    # courses
    course_ids: list[str] = []
    course_family: list[int] = []
    course_host: list[str] = []
    course_seats: list[float] = []
    course_start: list[dt.date] = []
    course_weeks: list[int] = []
    seen = {}
    courses = reader("courses")
    if courses is not None:
        kept = []
        for row in courses:
            cid = row.text("id", required=True)
            family = refs.check(row, "family", "families", row.text("family", required=True), "family")
            host = row.text("host", required=True)
            refs.check(row, "host", "nations", host, "nation")
            seats = row.number("seats", minimum=0.0)
            start = row.date("start")
            weeks = row.number("duration_weeks", minimum=0.0, integer=True)
            if not _unique(row, "id", cid, seen):
                continue
            course_ids.append(cid)
            course_family.append(family)
            course_host.append(host)
            course_seats.append(seats or 0.0)
            course_start.append(start or dt.date(2000, 1, 1))
            course_weeks.append(int(weeks or 0))
            kept.append(row)
        _keep_extras(extra_columns, "courses", courses, [courses.extras_of(r) for r in kept])

    # extensions
    extensions: dict[str, list[dict[str, object]]] = {}
    if meta:
        extensions["_meta"] = [dict(meta)]
    capability_codes = sorted(set(family_cap_code) | set(req_cap_code))
    if capability_table is not None:
        extensions["capabilities"] = capability_table
    all_capabilities = set(capability_codes) | (listed_capabilities or set())
    for name in ("family_aliases", "coalitions", "agreements", "pledges"):
        if name == "pledges":
            refs.maps["agreements"] = (
                {str(r["id"]): i for i, r in enumerate(extensions["agreements"])}
                if "agreements" in extensions
                else ({} if "agreements" not in tables else None)
            )
        ext_rows = _extension(tables, name, errors, refs, all_capabilities, nation_codes)
        if ext_rows is not None:
            extensions[name] = ext_rows

    if errors or "start_date" not in settings or settings["start_date"] is None:
        return None

    cap_index = {c: i for i, c in enumerate(capability_codes)}
    family_capability = np.array([cap_index[c] for c in family_cap_code], dtype=np.int64)
    requirement_capability = np.array([cap_index[c] for c in req_cap_code], dtype=np.int64)
    family_index = {c: i for i, c in enumerate(family_codes)}
    family_ok = requirement_capability[:, None] == family_capability[None, :]
    for r, accepts in enumerate(req_accepts):
        if accepts:
            allowed = np.zeros(len(family_codes), dtype=bool)
            allowed[[family_index[c] for c in accepts]] = True
            family_ok[r] &= allowed
    return Scenario(
        start_date=cast(dt.date, settings["start_date"]),
        horizon_weeks=int(cast(float, settings["horizon_weeks"])),
        recipient=recipient,
        lateness_half_life_weeks=float(cast(float, settings.get("lateness_half_life_weeks", 8.0))),
        default_family_cost=default_cost,
        nation_codes=nation_codes,
        nation_names=nation_names,
        nation_nato=np.array(nato, dtype=bool),
        nation_eu=np.array(eu, dtype=bool),
        capability_codes=capability_codes,
        family_codes=family_codes,
        family_names=family_names,
        family_capability=family_capability,
        family_in_service=np.array(in_service, dtype=bool),
        family_cost=np.array(cost, dtype=np.float64),
        family_cost_given=np.array(cost_given, dtype=bool),
        family_crew_per_unit=np.array(crew, dtype=np.float64),
        family_existing_crews=np.array(existing, dtype=np.float64),
        item_codes=item_codes,
        item_names=item_names,
        item_family=np.array(item_family, dtype=np.int64),
        item_unit=item_unit,
        item_is_each=np.array([u.lower() == "each" for u in item_unit], dtype=bool),
        item_mass_t=np.array(item_mass, dtype=np.float64),
        item_nsn=item_nsn,
        requirement_ids=req_ids,
        requirement_capability=requirement_capability,
        requirement_quantity=np.array(req_quantity, dtype=np.float64),
        requirement_priority=np.array(req_priority, dtype=np.int64),
        requirement_needed_by=req_needed,
        requirement_accepts=req_accepts,
        requirement_family_ok=family_ok.reshape(len(req_ids), len(family_codes)),
        offer_ids=offer_ids,
        offer_donor=np.array(offer_donor, dtype=np.int64),
        offer_item=np.array(offer_item, dtype=np.int64),
        offer_quantity=np.array(offer_quantity, dtype=np.float64),
        offer_available_from=offer_from,
        offer_earmark=np.array(offer_earmark, dtype=np.int64),
        offer_withdrawn=np.array(offer_withdrawn, dtype=bool),
        hub_codes=hub_codes,
        hub_names=hub_names,
        hub_iso3=hub_iso3,
        hub_capacity_t=np.array(hub_capacity, dtype=np.float64),
        route_donor=np.array(route_donor, dtype=np.int64),
        route_hub=np.array(route_hub, dtype=np.int64),
        route_lead_days=np.array(route_days, dtype=np.int64),
        course_ids=course_ids,
        course_family=np.array(course_family, dtype=np.int64),
        course_host=course_host,
        course_seats=np.array(course_seats, dtype=np.float64),
        course_start=course_start,
        course_duration_weeks=np.array(course_weeks, dtype=np.int64),
        extra_columns=extra_columns,
        extensions=extensions,
    )


def _keep_extras(
    store: dict[str, list[dict[str, str]]], table: str, reader: _TableReader, rows: list[dict[str, str]]
) -> None:
    if reader.extra:
        store[table] = rows


def _codification_bureau(row: _Row) -> str:
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


def _releasability(row: _Row, text: str, refs: _Refs) -> str:
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


def _platform_status(row: _Row, text: str, status: str) -> bool:
    """Validate an offer's `platform_status` (empty or `allocated`); True when allocated."""
    value = text.strip().lower()
    if value not in ("", "allocated"):
        row.error("platform_status", f"{text!r} is not a platform status (empty or allocated)")
        return False
    if value == "allocated" and status == "withdrawn":
        row.error("platform_status", "a withdrawn offer cannot be allocated (status is withdrawn)")
    return value == "allocated"


def _extension(
    tables: dict[str, _Table],
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
    reader = _TableReader(table, columns, EXTENSION_REQUIRED[name], errors)
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
            if not _unique(row, "alias", str(item["alias"]), seen, "case-insensitive"):
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
            if not _unique(row, "purpose", pledge_key, seen):
                continue
        if key and not _unique(row, columns[0], key, seen):
            continue
        for extra in reader.extra:
            item[extra] = row.text(extra)
        result.append(item)
    del nation_codes  # nations are resolved through refs
    return result


# ----- writing -----


def _scenario_tables(s: Scenario) -> dict[str, tuple[list[str], list[list[object]]]]:
    """Every table to write: column names and typed cell values, rows in the scenario's order."""
    nations: list[list[object]] = [
        [c, s.nation_names[i], bool(s.nation_nato[i]), bool(s.nation_eu[i])]
        for i, c in enumerate(s.nation_codes)
    ]
    families: list[list[object]] = [
        [
            c,
            s.family_names[i],
            s.capability_codes[int(s.family_capability[i])],
            bool(s.family_in_service[i]),
            float(s.family_cost[i]) if s.family_cost_given[i] else None,
            float(s.family_crew_per_unit[i]),
            float(s.family_existing_crews[i]),
        ]
        for i, c in enumerate(s.family_codes)
    ]
    items: list[list[object]] = [
        [
            c,
            s.item_names[i],
            s.family_codes[int(s.item_family[i])],
            s.item_unit[i],
            float(s.item_mass_t[i]),
            s.item_nsn[i],
        ]
        for i, c in enumerate(s.item_codes)
    ]
    requirements: list[list[object]] = [
        [
            c,
            s.capability_codes[int(s.requirement_capability[i])],
            float(s.requirement_quantity[i]),
            int(s.requirement_priority[i]),
            s.requirement_needed_by[i],
            list(s.requirement_accepts[i]),
        ]
        for i, c in enumerate(s.requirement_ids)
    ]
    offer_extras = s.extra_columns.get("offers") or []

    def offer_status(i: int) -> str:
        # An allocated offer is not withdrawn: FORMAT.md reads it `offered`; the platform's
        # allocation is in the `platform_status` column (docs/format.md).
        allocated = i < len(offer_extras) and offer_extras[i].get("platform_status") == "allocated"
        return "withdrawn" if s.offer_withdrawn[i] and not allocated else "offered"

    offers: list[list[object]] = [
        [
            c,
            s.nation_codes[int(s.offer_donor[i])],
            s.item_codes[int(s.offer_item[i])],
            float(s.offer_quantity[i]),
            s.offer_available_from[i],
            s.requirement_ids[int(s.offer_earmark[i])] if s.offer_earmark[i] >= 0 else None,
            offer_status(i),
        ]
        for i, c in enumerate(s.offer_ids)
    ]
    hubs: list[list[object]] = [
        [c, s.hub_names[i], s.hub_iso3[i], float(s.hub_capacity_t[i])] for i, c in enumerate(s.hub_codes)
    ]
    routes: list[list[object]] = [
        [s.nation_codes[int(d)], s.hub_codes[int(h)], int(k)]
        for d, h, k in zip(s.route_donor, s.route_hub, s.route_lead_days, strict=True)
    ]
    courses: list[list[object]] = [
        [
            c,
            s.family_codes[int(s.course_family[i])],
            s.course_host[i],
            float(s.course_seats[i]),
            s.course_start[i],
            int(s.course_duration_weeks[i]),
        ]
        for i, c in enumerate(s.course_ids)
    ]
    base: dict[str, list[list[object]]] = {
        "nations": nations,
        "families": families,
        "item_types": items,
        "requirements": requirements,
        "offers": offers,
        "hubs": hubs,
        "routes": routes,
        "courses": courses,
    }
    result: dict[str, tuple[list[str], list[list[object]]]] = {}
    for name, rows in base.items():
        extras = s.extra_columns.get(name) or []
        extra_names = _extra_names(extras, KNOWN_EXTRA_COLUMNS.get(name, ()), TABLE_COLUMNS[name])
        columns = [*TABLE_COLUMNS[name], *extra_names]
        for i, row in enumerate(rows):
            values = extras[i] if i < len(extras) else {}
            row.extend(values.get(e, "") for e in extra_names)
        result[name] = (columns, rows)
    for name, fixed in EXTENSION_COLUMNS.items():
        if name not in s.extensions:
            continue
        records = s.extensions[name]
        extra_names = _extra_names(records, (), fixed)
        columns = [*fixed, *extra_names]
        result[name] = (columns, [[record.get(c) for c in columns] for record in records])
    return result


def _extra_names(
    rows: list[dict[str, str]] | list[dict[str, object]], known: tuple[str, ...], fixed: tuple[str, ...]
) -> list[str]:
    present = {k for row in rows for k in row if k not in fixed}
    return [k for k in known if k in present] + sorted(present - set(known))


def _csv_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | np.integer | np.floating):
        return format_number(float(value))
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return ";".join(str(v) for v in value)
    return str(value)


def _toml_text(s: Scenario) -> str:
    def string(text: str) -> str:
        return json.dumps(text, ensure_ascii=False)

    lines = [
        f"start_date = {s.start_date.isoformat()}",
        f"horizon_weeks = {int(s.horizon_weeks)}",
        f"recipient = {string(s.recipient)}",
        f"lateness_half_life_weeks = {_toml_number(s.lateness_half_life_weeks)}",
        f"default_family_cost = {_toml_number(s.default_family_cost)}",
    ]
    meta = (s.extensions.get("_meta") or [{}])[0]
    for key in ("name", "description"):
        if key in meta:
            lines.append(f"{key} = {string(str(meta[key]))}")
    return "\n".join(lines) + "\n"


def _toml_number(x: float) -> str:
    text = format_number(x)
    return text if _NUMBER.match(text) else "nan"


def _settings_rows(s: Scenario) -> list[list[object]]:
    rows: list[list[object]] = [
        ["start_date", s.start_date],
        ["horizon_weeks", int(s.horizon_weeks)],
        ["recipient", s.recipient],
        ["lateness_half_life_weeks", float(s.lateness_half_life_weeks)],
        ["default_family_cost", float(s.default_family_cost)],
    ]
    meta = (s.extensions.get("_meta") or [{}])[0]
    rows.extend([key, str(meta[key])] for key in ("name", "description") if key in meta)
    return rows


def csv_bytes(columns: list[str], rows: list[list[object]]) -> bytes:
    """A canonical CSV file: UTF-8 without BOM, `\\n` line ends, minimal quoting."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows([_csv_text(v) for v in row] for row in rows)
    return buffer.getvalue().encode("utf-8")


def write_files_atomically(folder: Path, files: dict[str, bytes], owned: set[str]) -> None:
    """Write ``files`` into ``folder`` without leaving anything half written.

    A new folder appears complete in one rename. In an existing folder each
    file is replaced in one rename, and stale files among ``owned`` (names this
    writer produces) that are not written now are removed.
    """
    folder = Path(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
    try:
        for name, data in files.items():
            with open(tmp / name, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
        if not folder.exists():
            os.replace(tmp, folder)
            return
        for name in files:
            os.replace(tmp / name, folder / name)
        for name in owned - set(files):
            (folder / name).unlink(missing_ok=True)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def write_scenario(s: Scenario, path: Path, *, xlsx: bool = False) -> None:
    """Write ``s`` as a canonical FORMAT.md folder, or one workbook with ``xlsx``.

    Folders are deterministic: reading and writing again gives the same bytes.
    """
    path = Path(path)
    tables = _scenario_tables(s)
    if not xlsx:
        files = {"scenario.toml": _toml_text(s).encode("utf-8")}
        for name, (columns, rows) in tables.items():
            files[f"{name}.csv"] = csv_bytes(columns, rows)
        owned = {"scenario.toml"} | {f"{n}.csv" for n in (*TABLE_COLUMNS, *EXTENSION_COLUMNS)}
        write_files_atomically(path, files, owned)
        return
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "scenario"
    _append_rows(sheet, ["key", "value"], _settings_rows(s))
    for name, (columns, rows) in tables.items():
        _append_rows(book.create_sheet(name), columns, rows)
    data = _reproducible_xlsx(book)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".xlsx", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp_name, path)
    finally:
        Path(tmp_name).unlink(missing_ok=True)


def _reproducible_xlsx(book: Any) -> bytes:
    """The workbook's bytes, the same for the same content: fixed document properties
    (creator, created, modified) and zip entries with a fixed time, in a fixed order."""
    from openpyxl.xml.functions import tostring

    book.properties.creator = "nsatu"
    book.properties.lastModifiedBy = None
    book.properties.created = WORKBOOK_TIME
    saved = io.BytesIO()
    book.save(saved)  # sets `modified` to now, in docProps/core.xml
    book.properties.modified = WORKBOOK_TIME
    core = tostring(book.properties.to_tree())
    out = io.BytesIO()
    with zipfile.ZipFile(saved) as source, zipfile.ZipFile(out, "w") as target:
        names = source.namelist()
        # [Content_Types].xml first, as Office writes it; then every part by name.
        ordered = sorted(names, key=lambda n: (n != "[Content_Types].xml", n))
        for name in ordered:
            info = zipfile.ZipInfo(name, date_time=WORKBOOK_TIME.timetuple()[:6])
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 0
            info.external_attr = 0
            target.writestr(info, core if name == "docProps/core.xml" else source.read(name), compresslevel=6)
    return out.getvalue()


def _append_rows(sheet: Any, columns: list[str], rows: list[list[object]]) -> None:
    sheet.append(columns)
    for row in rows:
        sheet.append([_xlsx_value(v) for v in row])
    for cells in sheet.iter_rows(min_row=2):
        for cell in cells:
            if isinstance(cell.value, dt.datetime | dt.date):
                cell.number_format = "yyyy-mm-dd"


def _xlsx_value(value: object) -> object:
    if value is None or value == "":
        return None
    if isinstance(value, bool | str | dt.date):
        return value
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        x = float(value)
        return int(x) if x.is_integer() and abs(x) < 1e15 else x
    if isinstance(value, list | tuple):
        return ";".join(str(v) for v in value)
    return str(value)
