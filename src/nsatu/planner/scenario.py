"""The scenario: FORMAT.md tables as typed numpy arrays with label indexes.

Every entity table is held column-wise; rows are addressed by position
(0-based) and labels map back with the ``*_index`` dicts. References between
tables are positions (``-1`` = none). Dates become integer day offsets from
``start_date`` so week arithmetic stays vectorised.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

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

    # Platform extensions (docs/format.md): extra columns of the tables above, by
    # table name then row position, and the extension tables (capabilities,
    # family_aliases, coalitions, agreements, pledges) as lists of typed dicts.
    extra_columns: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    extensions: dict[str, list[dict[str, object]]] = field(default_factory=dict)

    # ----- week arithmetic (FORMAT.md "Weeks") -----

    def week_of(self, day: dt.date) -> int:
        """FORMAT.md week(d): whole weeks since start_date, never below 0."""
        return max(0, (day - self.start_date).days // 7)

    @property
    def requirement_due_week(self) -> IntArray:
        return np.array([self.week_of(d) for d in self.requirement_needed_by], dtype=np.int64)

    @property
    def offer_available_day(self) -> IntArray:
        """Days from start_date to each offer's available_from (may be negative)."""
        return np.array([(d - self.start_date).days for d in self.offer_available_from], dtype=np.int64)

    @property
    def course_ready_week(self) -> IntArray:
        start = np.array([self.week_of(d) for d in self.course_start], dtype=np.int64)
        return start + self.course_duration_weeks

    @property
    def requirement_weight(self) -> FloatArray:
        """w = 2^(5 - priority)."""
        return np.power(2.0, 5 - self.requirement_priority.astype(np.float64))

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
