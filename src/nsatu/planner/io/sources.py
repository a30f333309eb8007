"""Raw input: the tables of a scenario folder (CSV and TOML) or workbook (xlsx), as cells."""

from __future__ import annotations

import csv
import io
import re
import tomllib
from pathlib import Path

from nsatu.planner.io.cells import Cell, Table, TableReader, cell_text, restore_formula
from nsatu.planner.io.columns import EXTENSION_COLUMNS, IGNORED_SHEETS, TABLE_COLUMNS
from nsatu.planner.io.errors import CellError
from nsatu.planner.io.zipguard import workbook_archive_errors


def csv_table(path: Path, name: str, errors: list[CellError]) -> Table | None:
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
    # cells our writer defused against formula injection read back as they were
    return table_of_records(name, label, [[restore_formula(c) for c in r] for r in records], errors)


def table_of_records(
    name: str, label: str, records: list[list[Cell]], errors: list[CellError]
) -> Table | None:
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
    return Table(name, label, header, rows)


def read_folder(path: Path, errors: list[CellError]) -> tuple[dict[str, tuple[Cell, int]], dict[str, Table]]:
    settings: dict[str, tuple[Cell, int]] = {}
    toml_path = path / "scenario.toml"
    if not toml_path.is_file():
        errors.append(CellError("scenario.toml", 0, "", "missing file"))
    else:
        settings = read_toml(toml_path, errors)
    tables: dict[str, Table] = {}
    for name in (*TABLE_COLUMNS, *EXTENSION_COLUMNS):
        file = path / f"{name}.csv"
        if not file.is_file():
            if name in TABLE_COLUMNS:
                errors.append(CellError(file.name, 0, "", "missing file"))
            continue
        table = csv_table(file, name, errors)
        if table is not None:
            tables[name] = table
    return settings, tables


def read_toml(path: Path, errors: list[CellError]) -> dict[str, tuple[Cell, int]]:
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


def read_workbook(
    path: Path, errors: list[CellError]
) -> tuple[dict[str, tuple[Cell, int]], dict[str, Table]]:
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
    tables: dict[str, Table] = {}
    settings: dict[str, tuple[Cell, int]] = {}
    for key, sheet in sheets.items():
        records: list[list[Cell]] = [
            list(r) for r in book.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
        ]
        if key == "scenario":
            settings = settings_of_sheet(sheet, records, errors)
            continue
        table = table_of_records(key, sheet, records, errors)
        if table is not None:
            tables[key] = table
    return settings, tables


def settings_of_sheet(
    label: str, records: list[list[Cell]], errors: list[CellError]
) -> dict[str, tuple[Cell, int]]:
    table = table_of_records("scenario", label, records, errors)
    if table is None:
        return {}
    reader = TableReader(table, ("key", "value"), {"key", "value"}, errors)
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
