"""Property-based tests of the scenario reader: round trips, and no input makes it fail unlocated."""

from __future__ import annotations

import csv
import dataclasses
import io
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nsatu.planner.io import ScenarioError, read_scenario, write_scenario
from nsatu.planner.scenario import Scenario
from nsatu.planner.synth import generate
from tests.planner.strategies import scenarios

TABLES = ["nations", "families", "item_types", "requirements", "offers", "hubs", "routes", "courses"]
FUZZ = settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def folder_bytes(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_a_huge_whole_number_is_a_located_error(tmp_path: Path) -> None:
    folder = _valid_folder(tmp_path)
    routes = folder / "routes.csv"
    lines = routes.read_text(encoding="utf-8").splitlines()
    donor, hub, _days = lines[1].split(",")
    lines[1] = f"{donor},{hub},99999999999999999999"
    routes.write_text("\n".join(lines) + "\n", encoding="utf-8")
    try:
        read_scenario(folder)
    except ScenarioError as exc:
        assert any(e.file == "routes.csv" and e.row == 2 and e.column == "lead_time_days" for e in exc.errors)
    else:
        raise AssertionError("a lead time of 1e20 days was accepted")


def fractional_each_cells(s: Scenario) -> set[tuple[str, int, str]]:
    """Where a written ``s`` has a non-whole quantity of something counted in `each`.

    An offer's item type is `each`; a requirement is `each` when the item types
    whose family may serve it (``requirement_family_ok``) exist and are all `each`.
    """
    cells = {
        ("offers.csv", i + 2, "quantity")
        for i in range(len(s.offers.ids))
        if s.items.is_each[s.offers.item[i]] and not float(s.offers.quantity[i]).is_integer()
    }
    for r in range(len(s.requirements.ids)):
        serving = s.requirements.family_ok[r][s.items.family]
        each = serving.any() and s.items.is_each[serving].all()
        if each and not float(s.requirements.quantity[r]).is_integer():
            cells.add(("requirements.csv", r + 2, "quantity"))
    return cells


@FUZZ
@given(scenarios())
def test_write_read_write_is_identical(scenario: Scenario) -> None:
    """Round trips are byte-identical; fractional `each` quantities are refused, each one located."""
    with tempfile.TemporaryDirectory() as tmp:
        first, second = Path(tmp) / "a", Path(tmp) / "b"
        write_scenario(scenario, first)
        fractional = fractional_each_cells(scenario)
        if fractional:
            with pytest.raises(ScenarioError) as refused:
                read_scenario(first)
            assert {(e.file, e.row, e.column) for e in refused.value.errors} == fractional
            return
        back = read_scenario(first)
        write_scenario(back, second)
        assert folder_bytes(first) == folder_bytes(second)
        assert back.offers.ids == scenario.offers.ids
        assert np.allclose(back.offers.quantity, scenario.offers.quantity)
        assert np.array_equal(back.requirements.family_ok, scenario.requirements.family_ok)


@FUZZ
@given(scenarios())
def test_whole_each_quantities_always_read(scenario: Scenario) -> None:
    """Rounding every `each` quantity up makes any generated scenario readable."""
    each = scenario.items.is_each[scenario.offers.item]
    s = dataclasses.replace(
        scenario,
        requirements=dataclasses.replace(
            scenario.requirements, quantity=np.ceil(scenario.requirements.quantity)
        ),
        offers=dataclasses.replace(
            scenario.offers,
            quantity=np.where(each, np.ceil(scenario.offers.quantity), scenario.offers.quantity),
        ),
    )
    with tempfile.TemporaryDirectory() as tmp:
        write_scenario(s, Path(tmp) / "a")
        back = read_scenario(Path(tmp) / "a")
        assert np.array_equal(back.offers.quantity, s.offers.quantity)


_VALID: dict[str, bytes] = {}


def _valid_folder(tmp: Path) -> Path:
    """A valid small scenario folder (generated once, copied per example)."""
    if not _VALID:
        source = tmp / "source"
        write_scenario(generate("small", 11), source)
        _VALID.update(folder_bytes(source))
    folder = tmp / "valid"
    folder.mkdir()
    for name, content in _VALID.items():
        (folder / name).write_bytes(content)
    return folder


CELL_VALUES = st.one_of(
    st.text(max_size=12),
    st.sampled_from(
        ["", "-1", "0", "1e309", "nan", "2027-02-30", "true", "maybe", "UKR", "nations:", ";;", "\u0000"]
    ),
    st.integers(-(10**6), 10**6).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
)


@FUZZ
@given(table=st.sampled_from(TABLES), row=st.integers(1, 40), column=st.integers(0, 12), value=CELL_VALUES)
def test_any_one_changed_cell_reads_or_is_refused_with_located_errors(
    table: str, row: int, column: int, value: str
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = _valid_folder(Path(tmp))
        path = folder / f"{table}.csv"
        rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
        r = min(row, len(rows) - 1)
        c = min(column, len(rows[r]) - 1)
        rows[r][c] = value
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\n").writerows(rows)
        path.write_text(buffer.getvalue(), encoding="utf-8")
        try:
            read_scenario(folder)
        except ScenarioError as exc:
            assert exc.errors
            for error in exc.errors:  # located, possibly in another file the change broke
                assert error.file and error.message and error.row >= 0


@FUZZ
@given(table=st.sampled_from(TABLES), content=st.binary(max_size=300))
def test_arbitrary_bytes_in_a_file_are_refused_not_crashed(table: str, content: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = _valid_folder(Path(tmp))
        (folder / f"{table}.csv").write_bytes(content)
        try:
            read_scenario(folder)
        except ScenarioError as exc:
            assert any(e.file.startswith(table) for e in exc.errors) or exc.errors
