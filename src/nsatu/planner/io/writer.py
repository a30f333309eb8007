"""Writing a `Scenario` as a canonical FORMAT.md folder or workbook, never half written."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import shutil
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from nsatu.planner.io.cells import NUMBER, defuse_formula, format_number
from nsatu.planner.io.columns import EXTENSION_COLUMNS, KNOWN_EXTRA_COLUMNS, TABLE_COLUMNS
from nsatu.planner.scenario import Scenario

# Fixed time of a written workbook's zip entries and document properties, so its bytes are reproducible.
WORKBOOK_TIME = dt.datetime(1980, 1, 1)


def _scenario_tables(s: Scenario) -> dict[str, tuple[list[str], list[list[object]]]]:
    """Every table to write: column names and typed cell values, rows in the scenario's order."""
    n, f, i_, r, o, h, c = s.nations, s.families, s.items, s.requirements, s.offers, s.hubs, s.courses
    nations: list[list[object]] = [
        [code, n.names[i], bool(n.nato[i]), bool(n.eu[i])] for i, code in enumerate(n.codes)
    ]
    families: list[list[object]] = [
        [
            code,
            f.names[i],
            s.capability_codes[int(f.capability[i])],
            bool(f.in_service[i]),
            float(f.cost[i]) if f.cost_given[i] else None,
            float(f.crew_per_unit[i]),
            float(f.existing_crews[i]),
        ]
        for i, code in enumerate(f.codes)
    ]
    items: list[list[object]] = [
        [code, i_.names[i], f.codes[int(i_.family[i])], i_.unit[i], float(i_.mass_t[i]), i_.nsn[i]]
        for i, code in enumerate(i_.codes)
    ]
    requirements: list[list[object]] = [
        [
            code,
            s.capability_codes[int(r.capability[i])],
            float(r.quantity[i]),
            int(r.priority[i]),
            r.needed_by[i],
            list(r.accepts[i]),
        ]
        for i, code in enumerate(r.ids)
    ]
    offer_extras = s.extra_columns.get("offers") or []

    def offer_status(i: int) -> str:
        # An allocated offer is not withdrawn: FORMAT.md reads it `offered`; the platform's
        # allocation is in the `platform_status` column (docs/format.md).
        allocated = i < len(offer_extras) and offer_extras[i].get("platform_status") == "allocated"
        return "withdrawn" if o.withdrawn[i] and not allocated else "offered"

    offers: list[list[object]] = [
        [
            code,
            n.codes[int(o.donor[i])],
            i_.codes[int(o.item[i])],
            float(o.quantity[i]),
            o.available_from[i],
            r.ids[int(o.earmark[i])] if o.earmark[i] >= 0 else None,
            offer_status(i),
        ]
        for i, code in enumerate(o.ids)
    ]
    hubs: list[list[object]] = [
        [code, h.names[i], h.iso3[i], float(h.capacity_t[i])] for i, code in enumerate(h.codes)
    ]
    routes: list[list[object]] = [
        [n.codes[int(d)], h.codes[int(k)], int(days)]
        for d, k, days in zip(s.routes.donor, s.routes.hub, s.routes.lead_days, strict=True)
    ]
    courses: list[list[object]] = [
        [
            code,
            f.codes[int(c.family[i])],
            c.host[i],
            float(c.seats[i]),
            c.start[i],
            int(c.duration_weeks[i]),
        ]
        for i, code in enumerate(c.ids)
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
        return defuse_formula(";".join(str(v) for v in value))
    return defuse_formula(str(value))


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
    return text if NUMBER.match(text) else "nan"


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
            elif isinstance(cell.value, str):
                cell.data_type = "s"  # text as text: openpyxl would store "=..." as a live formula


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
