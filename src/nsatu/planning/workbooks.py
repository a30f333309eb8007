"""Scenario workbooks for people: the empty template with notes, and upload handling."""

from __future__ import annotations

import datetime as dt
import io
import tempfile
from pathlib import Path

import numpy as np
import openpyxl
from openpyxl.styles import Font

from nsatu.planner.scenario import Scenario, write_scenario

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
        nation_codes=["POL", "UKR"],
        nation_names=["Poland", "Ukraine"],
        nation_nato=np.array([True, False]),
        nation_eu=np.array([True, False]),
        capability_codes=["artillery_sp"],
        family_codes=["PZH2000"],
        family_names=["PzH 2000"],
        family_capability=np.array([0], dtype=np.int64),
        family_in_service=np.array([True]),
        family_cost=np.array([4.0]),
        family_cost_given=np.array([False]),
        family_crew_per_unit=np.array([5.0]),
        family_existing_crews=np.array([100.0]),
        item_codes=["PZH2000-A1"],
        item_names=["PzH 2000 howitzer"],
        item_family=np.array([0], dtype=np.int64),
        item_unit=["each"],
        item_is_each=np.array([True]),
        item_mass_t=np.array([57.0]),
        item_nsn=["1025-12-345-6789"],
        requirement_ids=["R-001"],
        requirement_capability=np.array([0], dtype=np.int64),
        requirement_quantity=np.array([6.0]),
        requirement_priority=np.array([1], dtype=np.int64),
        requirement_needed_by=[dt.date(2027, 3, 1)],
        requirement_accepts=[[]],
        requirement_family_ok=np.array([[True]]),
        offer_ids=["O-POL-001"],
        offer_donor=np.array([0], dtype=np.int64),
        offer_item=np.array([0], dtype=np.int64),
        offer_quantity=np.array([4.0]),
        offer_available_from=[dt.date(2027, 1, 4)],
        offer_earmark=np.array([-1], dtype=np.int64),
        offer_withdrawn=np.array([False]),
        hub_codes=["RZE"],
        hub_names=["Rzeszów"],
        hub_iso3=["POL"],
        hub_capacity_t=np.array([800.0]),
        route_donor=np.array([0], dtype=np.int64),
        route_hub=np.array([0], dtype=np.int64),
        route_lead_days=np.array([10], dtype=np.int64),
        course_ids=["C-PZH-01"],
        course_family=np.array([0], dtype=np.int64),
        course_host=["POL"],
        course_seats=np.array([40.0]),
        course_start=[dt.date(2027, 1, 11)],
        course_duration_weeks=np.array([8], dtype=np.int64),
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
