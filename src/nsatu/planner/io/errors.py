"""Errors of input files, located for a person to fix them."""

from __future__ import annotations

from dataclasses import dataclass


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
