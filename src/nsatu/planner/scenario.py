"""The scenario: FORMAT.md tables as typed numpy columns, one structure per table.

Each table (`Nations`, `Families`, `Items`, `Requirements`, `Offers`, `Hubs`,
`Routes`, `Courses`) holds its columns side by side; rows are addressed by
position (0-based) and ``index`` maps labels back to positions. References
between tables are positions (``-1`` = none). `Scenario` holds the settings of
scenario.toml, one of each table, and the week arithmetic of FORMAT.md.

Reading and writing files is `nsatu.planner.io`'s business.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

# Units counted in whole numbers. FORMAT.md makes only `each` integral (rule 8);
# the planner also plans these in whole units (a plan of whole numbers is valid
# for any unit), so no line ships a fraction of a shell.
COUNTABLE_UNITS = frozenset({"each", "rounds", "round", "pieces", "pcs", "units", "sets"})

T = TypeVar("T", bound="Table")


def _empty_ints() -> IntArray:
    return np.zeros(0, np.int64)


def _empty_floats() -> FloatArray:
    return np.zeros(0)


def _empty_bools() -> BoolArray:
    return np.zeros(0, bool)


class Table:
    """Columns of one table: lists and arrays of equal length, one entry per row."""

    def __len__(self) -> int:
        first = dataclasses.fields(self)[0]  # type: ignore[arg-type]
        return len(getattr(self, first.name))

    def row_columns(self) -> dict[str, Any]:
        """The per-row columns (name -> list or array), in declaration order."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}  # type: ignore[arg-type]

    def take(self: T, positions: IntArray) -> T:
        """The rows at ``positions``, in that order (references to other tables unchanged)."""
        changes: dict[str, Any] = {}
        for name, values in self.row_columns().items():
            if isinstance(values, np.ndarray):
                changes[name] = values[positions] if values.size or values.ndim == 1 else values
            else:
                changes[name] = [values[int(i)] for i in positions]
        return dataclasses.replace(self, **changes)  # type: ignore[type-var]

    def wrong_lengths(self, table: str) -> list[str]:
        """Columns whose length disagrees with the first one's."""
        size = len(self)
        return [
            f"{table}.{name} has {len(values)} entries for {size} rows"
            for name, values in self.row_columns().items()
            # matrices (family_ok, committed tonnes and crews) are checked by Scenario.check_shapes
            if len(values) != size and not (isinstance(values, np.ndarray) and values.ndim == 2)
        ]


def _index(labels: list[str]) -> dict[str, int]:
    return {c: i for i, c in enumerate(labels)}


@dataclass
class Nations(Table):
    """nations.csv."""

    codes: list[str] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    nato: BoolArray = field(default_factory=_empty_bools)
    eu: BoolArray = field(default_factory=_empty_bools)

    @property
    def index(self) -> dict[str, int]:
        return _index(self.codes)


@dataclass
class Families(Table):
    """families.csv, and the crews committed plans take (not in FORMAT.md files)."""

    codes: list[str] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    capability: IntArray = field(default_factory=_empty_ints)  # -> Scenario.capability_codes
    in_service: BoolArray = field(default_factory=_empty_bools)
    cost: FloatArray = field(default_factory=_empty_floats)  # default already applied
    cost_given: BoolArray = field(default_factory=_empty_bools)  # the cell was not empty
    crew_per_unit: FloatArray = field(default_factory=_empty_floats)
    existing_crews: FloatArray = field(default_factory=_empty_floats)
    # families x weeks: crews the committed units of each family need by each week,
    # less the graduates of the seats committed plans use (negative: spare crews).
    # Empty (0 x 0) when nothing is committed (docs/planning.md, "Re-planning after an approval").
    committed_crews: FloatArray = field(default_factory=lambda: np.zeros((0, 0)))

    @property
    def index(self) -> dict[str, int]:
        return _index(self.codes)


@dataclass
class Items(Table):
    """item_types.csv."""

    codes: list[str] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    family: IntArray = field(default_factory=_empty_ints)  # -> Families
    unit: list[str] = field(default_factory=list)
    is_each: BoolArray = field(default_factory=_empty_bools)  # FORMAT.md rule 8: integral quantities
    mass_t: FloatArray = field(default_factory=_empty_floats)
    nsn: list[str] = field(default_factory=list)  # "" when not given; as written in the file
    # planned in whole units: `each` and the other countable units (by default COUNTABLE_UNITS)
    is_whole: BoolArray = field(default_factory=_empty_bools)

    def __post_init__(self) -> None:
        if len(self.is_whole) != len(self.unit):
            self.is_whole = np.array([u.lower() in COUNTABLE_UNITS for u in self.unit], dtype=bool) | (
                np.asarray(self.is_each, dtype=bool) if len(self.is_each) == len(self.unit) else False
            )

    @property
    def index(self) -> dict[str, int]:
        return _index(self.codes)


@dataclass
class Requirements(Table):
    """requirements.csv."""

    ids: list[str] = field(default_factory=list)
    capability: IntArray = field(default_factory=_empty_ints)  # -> Scenario.capability_codes
    quantity: FloatArray = field(default_factory=_empty_floats)
    priority: IntArray = field(default_factory=_empty_ints)
    needed_by: list[dt.date] = field(default_factory=list)
    accepts: list[list[str]] = field(default_factory=list)  # family codes as given; [] = any
    # R x F: family f may serve requirement r (capability matches and, if given, f in accepts)
    family_ok: BoolArray = field(default_factory=lambda: np.zeros((0, 0), bool))

    @property
    def index(self) -> dict[str, int]:
        return _index(self.ids)

    @property
    def weight(self) -> FloatArray:
        """w = 2^(5 - priority)."""
        return np.power(2.0, 5 - self.priority.astype(np.float64))


@dataclass
class Offers(Table):
    """offers.csv."""

    ids: list[str] = field(default_factory=list)
    donor: IntArray = field(default_factory=_empty_ints)  # -> Nations
    item: IntArray = field(default_factory=_empty_ints)  # -> Items
    quantity: FloatArray = field(default_factory=_empty_floats)
    available_from: list[dt.date] = field(default_factory=list)
    earmark: IntArray = field(default_factory=_empty_ints)  # -> Requirements, -1 none
    withdrawn: BoolArray = field(default_factory=_empty_bools)

    @property
    def index(self) -> dict[str, int]:
        return _index(self.ids)


@dataclass
class Hubs(Table):
    """hubs.csv, and the tonnes committed plans bring through them (not in FORMAT.md files)."""

    codes: list[str] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    iso3: list[str] = field(default_factory=list)
    capacity_t: FloatArray = field(default_factory=_empty_floats)
    # hubs x weeks: tonnes that committed lines bring through each hub each week; (0 x 0) when none
    committed_t: FloatArray = field(default_factory=lambda: np.zeros((0, 0)))

    @property
    def index(self) -> dict[str, int]:
        return _index(self.codes)


@dataclass
class Routes(Table):
    """routes.csv."""

    donor: IntArray = field(default_factory=_empty_ints)  # -> Nations
    hub: IntArray = field(default_factory=_empty_ints)  # -> Hubs
    lead_days: IntArray = field(default_factory=_empty_ints)


@dataclass
class Courses(Table):
    """courses.csv."""

    ids: list[str] = field(default_factory=list)
    family: IntArray = field(default_factory=_empty_ints)  # -> Families
    host: list[str] = field(default_factory=list)  # iso3
    seats: FloatArray = field(default_factory=_empty_floats)
    start: list[dt.date] = field(default_factory=list)
    duration_weeks: IntArray = field(default_factory=_empty_ints)

    @property
    def index(self) -> dict[str, int]:
        return _index(self.ids)


@dataclass
class Scenario:
    """A planning scenario, as FORMAT.md defines it: settings and one structure per table."""

    # scenario.toml
    start_date: dt.date
    horizon_weeks: int
    recipient: str
    lateness_half_life_weeks: float = 8.0
    default_family_cost: float = 4.0

    # the distinct capability codes of families and requirements, sorted
    capability_codes: list[str] = field(default_factory=list)

    nations: Nations = field(default_factory=Nations)
    families: Families = field(default_factory=Families)
    items: Items = field(default_factory=Items)
    requirements: Requirements = field(default_factory=Requirements)
    offers: Offers = field(default_factory=Offers)
    hubs: Hubs = field(default_factory=Hubs)
    routes: Routes = field(default_factory=Routes)
    courses: Courses = field(default_factory=Courses)

    # Platform extensions (docs/format.md): extra columns of the tables above, by
    # table name then row position, and the extension tables (capabilities,
    # family_aliases, coalitions, agreements, pledges) as lists of typed dicts.
    extra_columns: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    extensions: dict[str, list[dict[str, object]]] = field(default_factory=dict)

    def tables(self) -> dict[str, Table]:
        """The eight tables by their FORMAT.md file names (without .csv)."""
        return {
            "nations": self.nations,
            "families": self.families,
            "item_types": self.items,
            "requirements": self.requirements,
            "offers": self.offers,
            "hubs": self.hubs,
            "routes": self.routes,
            "courses": self.courses,
        }

    # ----- week arithmetic (FORMAT.md "Weeks") -----

    def week_of(self, day: dt.date) -> int:
        """FORMAT.md week(d): whole weeks since start_date, never below 0."""
        return max(0, (day - self.start_date).days // 7)

    def days_since_start(self, days: list[dt.date]) -> IntArray:
        """Days from start_date to each date (negative before it), for a whole column at once."""
        return np.array([d.toordinal() for d in days], dtype=np.int64) - self.start_date.toordinal()

    @property
    def requirement_due_week(self) -> IntArray:
        """Per requirement: week(needed_by)."""
        return np.maximum(self.days_since_start(self.requirements.needed_by) // 7, 0)

    @property
    def offer_available_day(self) -> IntArray:
        """Days from start_date to each offer's available_from (may be negative)."""
        return self.days_since_start(self.offers.available_from)

    @property
    def course_ready_week(self) -> IntArray:
        """Per course: week(start) + duration_weeks, when its crews are ready."""
        start = np.maximum(self.days_since_start(self.courses.start) // 7, 0)
        return start + self.courses.duration_weeks

    def hub_week_capacity(self) -> FloatArray:
        """Hubs x weeks: tonnes a plan may still bring through each hub each week (rule 6
        less what committed plans use)."""
        hubs = self.hubs
        capacity = np.repeat(hubs.capacity_t.astype(np.float64)[:, None], self.horizon_weeks, axis=1)
        if hubs.committed_t.size:
            capacity = np.maximum(capacity - hubs.committed_t, 0.0)
        return capacity

    def crews_committed(self) -> FloatArray:
        """Families x weeks: crews committed plans take by each week (zeros when none).

        Never more than the existing crews and every seat of the courses ready by
        then: committed plans were valid when approved, so more can only come of data
        changed since (a course moved or cut). The cap keeps rule 7 satisfiable (no
        new units, every seat used) and still leaves the new plan no crews that
        committed units need."""
        families, courses = self.families, self.courses
        if not families.committed_crews.size:
            return np.zeros((len(families), self.horizon_weeks))
        horizon = self.horizon_weeks
        seats = np.zeros((len(families), horizon + 1))
        if len(courses):
            ready = np.minimum(self.course_ready_week, horizon)
            np.add.at(seats, (courses.family, ready), courses.seats.astype(np.float64))
        cap = families.existing_crews.astype(np.float64)[:, None] + np.cumsum(seats[:, :horizon], axis=1)
        return np.minimum(families.committed_crews.astype(np.float64), cap)

    def check_shapes(self) -> None:
        """Raise ValueError when the parallel columns disagree in length (a scenario
        built by hand or changed in place, not one read from files)."""
        wrong = [problem for name, table in self.tables().items() for problem in table.wrong_lengths(name)]
        expected = (len(self.requirements), len(self.families))
        if self.requirements.family_ok.shape != expected:
            wrong.append(f"requirements.family_ok is {self.requirements.family_ok.shape}, not {expected}")
        for name, matrix, rows in (
            ("hubs.committed_t", self.hubs.committed_t, len(self.hubs)),
            ("families.committed_crews", self.families.committed_crews, len(self.families)),
        ):
            if matrix.shape != (0, 0) and matrix.shape != (rows, self.horizon_weeks):
                wrong.append(f"{name} is {matrix.shape}, not {(rows, self.horizon_weeks)} or empty")
        if wrong:
            raise ValueError("inconsistent scenario: " + "; ".join(wrong))
