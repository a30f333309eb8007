"""Scenario workbooks for people: the empty template with notes, and upload handling."""

from __future__ import annotations

import datetime as dt
import io
import tempfile
from pathlib import Path

import numpy as np
import openpyxl
from openpyxl.styles import Font

from nsatu.planner.io import write_scenario
from nsatu.planner.scenario import (
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

MAX_UPLOAD_BYTES = 20 * 1024 * 1024

# What each column means, for the notes sheet (FORMAT.md, in words for a staff officer).
COLUMN_NOTES: list[tuple[str, str, str]] = [
    (
        "scenario",
        "key,value",
        "start_date (week 0 starts this day), horizon_weeks, recipient (ISO3), "
        "lateness_half_life_weeks (default 8), default_family_cost (default 4), name, description",
    ),
    ("nations", "iso3", "ISO 3166-1 alpha-3 code, e.g. POL"),
    ("nations", "name / nato / eu", "name; true/false for NATO and EU membership"),
    ("nations", "codification_bureau", "optional: the NATO codification bureau code (2 digits)"),
    (
        "families",
        "code, name, capability",
        "a platform family (equipment sharing training and spares) and the capability it provides",
    ),
    ("families", "in_service", "true when the recipient already operates it (no introduction cost)"),
    ("families", "introduction_cost", "cost of introducing a new family; empty = default_family_cost"),
    (
        "families",
        "crew_per_unit / existing_crews",
        "trained people each unit needs (0 for ammunition); trained people the recipient already has",
    ),
    ("item_types", "code, name, family", "something a donor can give, and its family"),
    ("item_types", "unit", "each = whole units; any other word (rounds, kg) = real quantities"),
    ("item_types", "mass_t / nsn", "tonnes per unit; optional NATO stock number, 13 digits, dashes allowed"),
    ("requirements", "id, capability, quantity", "a need of the recipient"),
    ("requirements", "priority / needed_by", "1 (most urgent) to 5; the date it is needed by"),
    ("requirements", "accepts", "optional list of family codes separated by ';' (empty = any family)"),
    (
        "requirements",
        "title / releasability",
        "optional text; public, coalition, command-only or nations:POL;DEU",
    ),
    ("offers", "id, donor, item_type, quantity, available_from", "what a donor can give, from when"),
    ("offers", "earmark / status", "optional requirement id the offer may only serve; offered or withdrawn"),
    ("hubs", "code, name, iso3, capacity_t_per_week", "a logistics hub and the tonnes it handles a week"),
    ("routes", "donor, hub, lead_time_days", "door-to-door days from the donor via the hub to the recipient"),
    (
        "courses",
        "id, family, host, seats, start, duration_weeks",
        "a training cohort; crews are ready when it ends",
    ),
]


def example_scenario() -> Scenario:
    """A one-row-per-table scenario, the example rows of the template."""
    return Scenario(
        start_date=dt.date(2026, 12, 7),
        horizon_weeks=52,
        recipient="UKR",
        capability_codes=["artillery_sp"],
        nations=Nations(
            codes=["POL", "UKR"],
            names=["Poland", "Ukraine"],
            nato=np.array([True, False]),
            eu=np.array([True, False]),
        ),
        families=Families(
            codes=["PZH2000"],
            names=["PzH 2000"],
            capability=np.array([0], dtype=np.int64),
            in_service=np.array([True]),
            cost=np.array([4.0]),
            cost_given=np.array([False]),
            crew_per_unit=np.array([5.0]),
            existing_crews=np.array([100.0]),
        ),
        items=Items(
            codes=["PZH2000-A1"],
            names=["PzH 2000 howitzer"],
            family=np.array([0], dtype=np.int64),
            unit=["each"],
            is_each=np.array([True]),
            mass_t=np.array([57.0]),
            nsn=["1025-12-345-6789"],
        ),
        requirements=Requirements(
            ids=["R-001"],
            capability=np.array([0], dtype=np.int64),
            quantity=np.array([6.0]),
            priority=np.array([1], dtype=np.int64),
            needed_by=[dt.date(2027, 3, 1)],
            accepts=[[]],
            family_ok=np.array([[True]]),
        ),
        offers=Offers(
            ids=["O-POL-001"],
            donor=np.array([0], dtype=np.int64),
            item=np.array([0], dtype=np.int64),
            quantity=np.array([4.0]),
            available_from=[dt.date(2027, 1, 4)],
            earmark=np.array([-1], dtype=np.int64),
            withdrawn=np.array([False]),
        ),
        hubs=Hubs(codes=["RZE"], names=["Rzeszów"], iso3=["POL"], capacity_t=np.array([800.0])),
        routes=Routes(
            donor=np.array([0], dtype=np.int64),
            hub=np.array([0], dtype=np.int64),
            lead_days=np.array([10], dtype=np.int64),
        ),
        courses=Courses(
            ids=["C-PZH-01"],
            family=np.array([0], dtype=np.int64),
            host=["POL"],
            seats=np.array([40.0]),
            start=[dt.date(2027, 1, 11)],
            duration_weeks=np.array([8], dtype=np.int64),
        ),
    )


def template_workbook() -> bytes:
    """The empty template: every sheet with its headers and one example row, and a notes sheet."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "template.xlsx"
        write_scenario(example_scenario(), path, xlsx=True)
        book = openpyxl.load_workbook(path)
    notes = book.create_sheet("notes", 0)
    notes.append(["sheet", "column", "meaning"])
    for cell in notes[1]:
        cell.font = Font(bold=True)
    for row in COLUMN_NOTES:
        notes.append(list(row))
    notes.append([])
    notes.append(
        ["", "", "Replace the example rows with yours. Dates as dates or YYYY-MM-DD; lists with ';'."]
    )
    notes.column_dimensions["A"].width = 14
    notes.column_dimensions["B"].width = 40
    notes.column_dimensions["C"].width = 100
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
