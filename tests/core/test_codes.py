"""Codes people can read and link to: no space, slash, control or invisible character,
refused with the same reason by the file reader, the records and the API."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from nsatu.core.validation import validate_code
from nsatu.planner.io import ScenarioError, read_scenario, write_scenario
from nsatu.planner.io.cells import code_problem
from nsatu.planner.synth import generate

BAD = ["R 1", " ", "R\u202e100-R", "R\u200b1", "a/b", "R\t1", "X\ue000", ""]
GOOD = ["R-001", "O-POL-008", "Ж-12", "RZE", "A_B.c"]


@pytest.mark.parametrize("code", BAD)
def test_a_code_with_a_character_nobody_sees_or_links_is_refused(code: str) -> None:
    assert code_problem(code) is not None
    with pytest.raises(ValidationError):
        validate_code(code)


@pytest.mark.parametrize("code", GOOD)
def test_ordinary_codes_pass(code: str) -> None:
    assert code_problem(code) is None
    validate_code(code)


def test_the_reader_names_the_file_row_and_column(tmp_path: Path) -> None:
    folder = tmp_path / "s"
    write_scenario(generate("small", 1), folder)
    offers = folder / "offers.csv"
    lines = offers.read_text(encoding="utf-8").splitlines()
    first = lines[1].split(",")
    first[0] = "O\u202e-1"
    lines[1] = ",".join(first)
    offers.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(ScenarioError) as caught:
        read_scenario(folder)
    errors = [e for e in caught.value.errors if e.file == "offers.csv"]
    assert errors and errors[0].row == 2 and errors[0].column == "id", caught.value.errors
    assert "U+202E" in errors[0].message


@pytest.mark.django_db
def test_the_api_refuses_such_a_code_with_422(world: Any) -> None:
    from tests.api.conftest import ApiClient, issue_tokens

    client = ApiClient(issue_tokens(world)["coordinator"])
    answer = client.request(
        "post",
        "/requirements",
        {
            "id": "R\u202e9",
            "capability": world.capability.code,
            "quantity": 1,
            "priority": 1,
            "needed_by": "2027-01-01",
        },
    )
    assert answer.status_code == 422, answer.content
