"""Workbooks that LibreOffice Calc itself saved import as the files they were made from.

tests/fixtures/office/ holds two workbooks we wrote and LibreOffice opened and
saved again (scripts/office-fixtures.sh re-makes them): its own XML, shared
strings, styles, dates as day numbers with a date format, booleans as
TRUE/FALSE. If the demo or the synthetic generator changes, run the script.
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from typer.testing import CliRunner

from nsatu.cli import app
from nsatu.core.ledger import verify_ledger
from nsatu.offers.models import Offer
from nsatu.planner.io import read_scenario, write_scenario
from nsatu.planner.synth import generate
from nsatu.planning.adapters import scenario_from_db
from tests.planning.test_import import folder_bytes

pytestmark = pytest.mark.django_db

OFFICE = Path(__file__).resolve().parent.parent / "fixtures" / "office"


def saved_by_libreoffice(path: Path) -> bool:
    with zipfile.ZipFile(path) as archive:
        return b"<Application>LibreOffice" in archive.read("docProps/app.xml")


def test_the_fixtures_really_come_from_libreoffice() -> None:
    for name in ("demo.xlsx", "small.xlsx"):
        assert saved_by_libreoffice(OFFICE / name), name


def test_a_libreoffice_workbook_reads_as_the_scenario_it_was_made_from(tmp_path: Path) -> None:
    write_scenario(read_scenario(OFFICE / "small.xlsx"), tmp_path / "from-calc")
    write_scenario(generate("small", 11), tmp_path / "made")
    assert folder_bytes(tmp_path / "from-calc") == folder_bytes(tmp_path / "made")


def test_the_demo_saved_by_libreoffice_imports_and_exports_as_the_demo(tmp_path: Path) -> None:
    from nsatu.commands.scenario import DEMO_SCENARIO

    result = CliRunner().invoke(app, ["scenario", "import", str(OFFICE / "demo.xlsx")])
    assert result.exit_code == 0, result.output
    write_scenario(scenario_from_db(remaining=False), tmp_path / "demo")
    assert folder_bytes(tmp_path / "demo") == folder_bytes(DEMO_SCENARIO)
    assert verify_ledger().ok


def test_a_coordinator_uploads_a_libreoffice_workbook_in_the_browser(world: Any) -> None:
    client = Client()
    client.force_login(world.users["coordinator"])
    upload = SimpleUploadedFile("from-calc.xlsx", (OFFICE / "small.xlsx").read_bytes())
    preview = client.post("/plans/import/", {"file": upload}).content.decode()
    assert "What the import will do" in preview and "nothing was imported" not in preview
    done = client.post("/plans/import/", {"confirm": client.session["scenario_upload"]["token"]})
    assert done.status_code == 302
    offers = read_scenario(OFFICE / "small.xlsx").offers.ids
    assert Offer.objects.filter(code__in=offers).count() == len(offers)
