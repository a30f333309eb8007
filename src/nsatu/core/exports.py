"""Tables to CSV and Excel downloads, the one way every list page exports.

CSV is UTF-8 with a byte-order mark: without it Excel reads the file in the
machine's ANSI code page and Cyrillic names turn to mojibake. Excel files are
real .xlsx workbooks written by openpyxl in write-only (streaming) mode.

Both formats defuse spreadsheet formula injection: a text cell starting with
``=``, ``+``, ``-``, ``@`` (or a tab/CR) would run as a formula when opened.
In CSV such text gets a leading apostrophe (the OWASP advice; one function,
`nsatu.planner.io.cells.defuse_formula`, shared with `nsatu scenario export`);
in .xlsx the cell is typed as a string, so the text stays exactly as stored.
"""

from __future__ import annotations

import csv
import datetime as dt
import decimal
import io
import json
import re
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, Literal

from django.http import HttpResponse, StreamingHttpResponse
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from nsatu.planner.io.cells import defuse_formula

ExportFormat = Literal["csv", "xlsx"]
FORMATS: tuple[ExportFormat, ...] = ("csv", "xlsx")
BOM = "\ufeff"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# openpyxl refuses the control characters XML 1.0 cannot hold; drop them rather than fail.
_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


class _Echo:
    """A file-like object whose write returns the line, for streaming csv.writer output."""

    def write(self, value: str) -> str:
        return value


def _plain(value: Any) -> Any:
    """A value a spreadsheet cell can hold: dates stay dates, the rest becomes text or a number."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        # Excel has no time zones: write UTC wall time, as the ledger stores it.
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        return value
    if isinstance(value, (bool, int, float, dt.date)):
        return value
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def _csv_cell(value: Any) -> Any:
    value = _plain(value)
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str):
        return defuse_formula(value)
    return value


def _csv_lines(rows: Iterable[Sequence[Any]], columns: Sequence[str]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield BOM + writer.writerow([str(c) for c in columns])
    for row in rows:
        yield writer.writerow([_csv_cell(v) for v in row])


def _xlsx_bytes(rows: Iterable[Sequence[Any]], columns: Sequence[str], title: str) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31] or "Sheet1")
    bold = Font(bold=True)
    header = []
    for label in columns:
        cell = WriteOnlyCell(sheet, value=str(label))
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    for row in rows:
        cells = []
        for value in row:
            plain = _plain(value)
            if isinstance(plain, str):
                cell = WriteOnlyCell(sheet, value=_ILLEGAL_XML.sub("", plain))
                cell.data_type = "s"  # never a formula, whatever the text starts with
            else:
                cell = WriteOnlyCell(sheet, value=plain)
            cells.append(cell)
        sheet.append(cells)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _safe_filename(filename: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", filename).strip("-") or "export"


def export_response(
    rows: Iterable[Sequence[Any]], columns: Sequence[str], filename: str, fmt: str
) -> HttpResponse | StreamingHttpResponse:
    """A download of ``rows`` under the header ``columns``: ``fmt`` is ``csv`` or ``xlsx``.

    ``filename`` is given without extension. CSV streams row by row, so a long
    ledger never sits in memory; a workbook has to be built whole.
    """
    base = _safe_filename(filename)
    if fmt == "csv":
        response: HttpResponse | StreamingHttpResponse = StreamingHttpResponse(
            _csv_lines(rows, columns), content_type="text/csv; charset=utf-8"
        )
    elif fmt == "xlsx":
        response = HttpResponse(_xlsx_bytes(rows, columns, base), content_type=XLSX_CONTENT_TYPE)
    else:
        raise ValueError(f"unknown export format {fmt!r}: choose one of {', '.join(FORMATS)}")
    response["Content-Disposition"] = f'attachment; filename="{base}.{fmt}"'
    return response
