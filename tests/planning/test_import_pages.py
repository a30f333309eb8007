"""A coordinator imports a scenario workbook in the browser: preview, errors, confirm; and the template."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from nsatu.offers.models import Offer
from nsatu.planner.io import read_scenario, write_scenario
from nsatu.planner.synth import generate

pytestmark = pytest.mark.django_db


def coordinator(world: Any) -> Client:
    client = Client()
    client.force_login(world.users["coordinator"])
    return client


def workbook_bytes(tmp_path: Path) -> bytes:
    path = tmp_path / "scenario.xlsx"
    write_scenario(generate("small", 5), path, xlsx=True)
    return path.read_bytes()


def test_template_has_every_sheet_an_example_and_notes(world: Any, tmp_path: Path) -> None:
    response = coordinator(world).get("/plans/template.xlsx")
    assert response.status_code == 200
    path = tmp_path / "template.xlsx"
    path.write_bytes(response.content)
    book = openpyxl.load_workbook(path)
    for sheet in [
        "notes",
        "scenario",
        "nations",
        "families",
        "item_types",
        "requirements",
        "offers",
        "hubs",
        "routes",
        "courses",
    ]:
        assert sheet in book.sheetnames, sheet
    assert read_scenario(path).offers.ids == ["O-POL-001"]


def test_upload_preview_then_confirm(world: Any, tmp_path: Path) -> None:
    client = coordinator(world)
    content = workbook_bytes(tmp_path)
    preview = client.post("/plans/import/", {"file": SimpleUploadedFile("s.xlsx", content)}).content.decode()
    assert "What the import will do" in preview
    assert not Offer.objects.filter(code__in=read_scenario(tmp_path / "scenario.xlsx").offers.ids).exists()
    token = client.session["scenario_upload"]["token"]
    done = client.post("/plans/import/", {"confirm": token})
    assert done.status_code == 302
    assert Offer.objects.filter(code__in=read_scenario(tmp_path / "scenario.xlsx").offers.ids).count() > 0


def test_upload_with_errors_shows_sheet_row_column(world: Any, tmp_path: Path) -> None:
    content = workbook_bytes(tmp_path)
    book = openpyxl.load_workbook(io.BytesIO(content))
    sheet = book["requirements"]
    header = [c.value for c in sheet[1]]
    sheet.cell(row=2, column=header.index("priority") + 1, value=9)
    buffer = io.BytesIO()
    book.save(buffer)
    html = (
        coordinator(world)
        .post("/plans/import/", {"file": SimpleUploadedFile("s.xlsx", buffer.getvalue())})
        .content.decode()
    )
    assert "nothing was imported" in html
    assert "<td>requirements</td><td>2</td><td>priority</td>" in html


def test_only_coordinators_import(world: Any) -> None:
    client = Client()
    client.force_login(world.users["DEU"])
    assert client.get("/plans/import/").status_code == 403
