"""Cells and rows of a table as read, with typed getters that record errors instead of raising."""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from nsatu.planner.io.errors import CellError

Cell = object  # a raw cell: str from CSV; str/float/bool/date/datetime from a workbook

NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
# Whole numbers (days, weeks, years) beyond this are typing slips; they would also
# overflow the 64-bit arrays and the calendar.
MAX_WHOLE = 1_000_000
DATE = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:[T ]00:00(?::00(?:\.0+)?)?)?$")
ISO3 = re.compile(r"^[A-Z]{3}$")


# Characters a code may not hold: codes name records in paths, links and files, so no slash;
# and people read and type them, so nothing unseen: no space or other separator, no control
# character, no format character (the bidirectional overrides such as U+202E that make
# "R-001" display as another code, zero-width spaces), no private or unassigned code point.
CODE_FORBIDDEN_CATEGORIES = frozenset({"Zs", "Zl", "Zp", "Cc", "Cf", "Cs", "Co", "Cn"})


def code_problem(code: str) -> str | None:
    """Why ``code`` cannot be a record's id or code, or None when it can."""
    if not code:
        return "it is empty"
    for char in code:
        if char == "/":
            return "it holds a slash (codes name records in links)"
        category = unicodedata.category(char)
        if category in CODE_FORBIDDEN_CATEGORIES:
            name = unicodedata.name(char, "unnamed")
            return f"it holds U+{ord(char):04X} ({name.lower()}): no spaces, control or invisible characters"
    return None


# A text cell starting with =, +, -, @, tab or CR runs as a formula when a spreadsheet opens it.
# Text that needs the apostrophe on the way out: such a start, possibly behind apostrophes
# of its own (so that undoing one apostrophe on the way in gives back exactly what was written).
_DEFUSE = re.compile(r"^'*[=+\-@\t\r]")


def defuse_formula(text: str) -> str:
    """``text`` as a CSV cell no spreadsheet runs as a formula: a leading apostrophe (the OWASP
    advice) before a formula start; a plain number such as ``-3`` stays as it is.

    The one rule for every CSV this project writes (web exports, `nsatu scenario export`);
    `restore_formula` undoes it when our reader reads the file back.
    """
    if NUMBER.match(text) or not _DEFUSE.match(text):
        return text
    return "'" + text


def restore_formula(text: str) -> str:
    """The text `defuse_formula` was given: one leading apostrophe before a formula start dropped."""
    if text.startswith("'") and _DEFUSE.match(text[1:]) and not NUMBER.match(text[1:]):
        return text[1:]
    return text


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
class Table:
    """A table as read: header names and (spreadsheet row number, cells) pairs."""

    name: str  # table name, e.g. "offers"
    label: str  # how errors name it: "offers.csv" or sheet "offers"
    header: list[str]
    rows: list[tuple[int, list[Cell]]]


class Row:
    """One data row, with typed getters that record errors instead of raising."""

    def __init__(self, reader: TableReader, number: int, cells: list[Cell]) -> None:
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
            if not NUMBER.match(text):
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
        return parse_date(value, lambda message: self.error(column, message))

    def boolean(self, column: str, *, default: bool = False) -> bool:
        value = self.raw(column)
        if value is None:
            return default
        parsed = parse_bool(value)
        if parsed is None:
            self.error(column, f"{cell_text(value)!r} is not a boolean (true/false, yes/no, 1/0)")
            return default
        return parsed


def parse_date(value: Cell, error: Callable[[str], None]) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = cell_text(value)
    match = DATE.match(text) if isinstance(value, str) else None
    if match:
        try:
            return dt.date.fromisoformat(match.group(1))
        except ValueError:
            pass
    error(f"{text!r} is not a date (YYYY-MM-DD)")
    return None


def parse_bool(value: Cell) -> bool | None:
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


class TableReader:
    """Checks a table's header and hands out its rows."""

    def __init__(
        self,
        table: Table,
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

    def __iter__(self) -> Iterator[Row]:
        for number, cells in self.table.rows:
            yield Row(self, number, cells)

    def extras_of(self, row: Row, known: tuple[str, ...] = ()) -> dict[str, str]:
        """The row's extra columns as text (known ones are validated by the caller)."""
        return {name: row.text(name) for name in self.extra if name not in known}
