"""Scenario files in and out: FORMAT.md folders (CSV and TOML) and workbooks (xlsx).

- `reader`: `read_scenario`, every rule checked, every error located (`errors`).
- `writer`: `write_scenario`, canonical and atomic.
- `sources` reads raw tables from folders and workbooks, `cells` types their
  cells, `zipguard` refuses zip bombs before a workbook is opened, `columns`
  lists the columns of FORMAT.md and of the platform's extensions.
"""

from nsatu.planner.io.cells import format_number
from nsatu.planner.io.columns import EXTENSION_COLUMNS, KNOWN_EXTRA_COLUMNS, TABLE_COLUMNS
from nsatu.planner.io.errors import CellError, ScenarioError
from nsatu.planner.io.reader import read_scenario
from nsatu.planner.io.writer import csv_bytes, write_files_atomically, write_scenario
from nsatu.planner.io.zipguard import workbook_archive_errors

__all__ = [
    "EXTENSION_COLUMNS",
    "KNOWN_EXTRA_COLUMNS",
    "TABLE_COLUMNS",
    "CellError",
    "ScenarioError",
    "csv_bytes",
    "format_number",
    "read_scenario",
    "workbook_archive_errors",
    "write_files_atomically",
    "write_scenario",
]
