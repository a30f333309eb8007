"""Scenario files into the database and back: all or nothing, idempotent, byte-identical round trip."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from typer.testing import CliRunner

from nsatu.cli import app
from nsatu.core.actors import CLI
from nsatu.core.ledger import verify_ledger
from nsatu.core.models import Event
from nsatu.offers.models import Offer
from nsatu.planner.scenario import ScenarioError, read_scenario, write_scenario
from nsatu.planner.synth import generate
from nsatu.planning.adapters import import_scenario, scenario_from_db

pytestmark = pytest.mark.django_db


@pytest.fixture
def small_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "small"
    write_scenario(generate("small", 3), folder)
    return folder


def folder_bytes(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def test_import_then_reimport_changes_nothing(small_folder: Path) -> None:
    scenario = read_scenario(small_folder)
    first = import_scenario(scenario, actor=CLI)
    assert first.created["offers"] == len(scenario.offer_ids)
    assert first.created["requirements"] == len(scenario.requirement_ids)
    events = Event.objects.count()
    second = import_scenario(read_scenario(small_folder), actor=CLI)
    assert second.changed_rows == 0
    assert Event.objects.count() == events
    assert verify_ledger().ok


def test_every_imported_row_writes_its_event(small_folder: Path) -> None:
    scenario = read_scenario(small_folder)
    report = import_scenario(scenario, actor=CLI)
    assert Event.objects.filter(action="create").count() >= sum(report.created.values())
    assert Event.objects.filter(object_type="offers.offer", action="create").count() == len(
        scenario.offer_ids
    )


def test_changed_row_is_updated_and_recorded(small_folder: Path) -> None:
    import_scenario(read_scenario(small_folder), actor=CLI)
    offers = small_folder / "offers.csv"
    lines = offers.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    first = lines[1].split(",")
    first[header.index("quantity")] = "999"
    lines[1] = ",".join(first)
    offers.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = import_scenario(read_scenario(small_folder), actor=CLI)
    assert report.updated == {"offers": 1}
    assert Offer.objects.get(code=first[header.index("id")]).quantity == 999
    assert Event.objects.filter(action="import-update", object_type="offers.offer").count() == 1


def test_dry_run_reports_and_writes_nothing(small_folder: Path) -> None:
    report = import_scenario(read_scenario(small_folder), actor=CLI, dry_run=True)
    assert report.created["offers"] > 0
    assert not Offer.objects.exists() and not Event.objects.exists()


@pytest.mark.django_db(transaction=True)  # flush cannot run inside the test's transaction on PostgreSQL
def test_round_trip_is_byte_identical(small_folder: Path, tmp_path: Path) -> None:
    import_scenario(read_scenario(small_folder), actor=CLI)
    first = tmp_path / "first"
    write_scenario(scenario_from_db(), first)
    call_command("flush", interactive=False, verbosity=0)
    assert not Offer.objects.exists()
    import_scenario(read_scenario(first), actor=CLI)
    second = tmp_path / "second"
    write_scenario(scenario_from_db(), second)
    assert folder_bytes(first) == folder_bytes(second)


def test_bad_file_is_refused_whole_with_located_errors(small_folder: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad"
    shutil.copytree(small_folder, bad)
    offers = bad / "offers.csv"
    lines = offers.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    row = lines[2].split(",")
    row[header.index("quantity")] = "-4"
    lines[2] = ",".join(row)
    offers.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        read_scenario(bad)
    errors = info.value.errors
    assert any(e.file == "offers.csv" and e.row == 3 and e.column == "quantity" for e in errors), errors
    runner = CliRunner()
    result = runner.invoke(app, ["scenario", "import", str(bad)])
    assert result.exit_code == 2
    text = " ".join(result.output.split())
    assert "offers.csv, row 3, column quantity" in text and "nothing was imported" in text
    assert not Offer.objects.exists() and not Event.objects.exists()


def test_cli_export_writes_a_folder_and_a_workbook(small_folder: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(app, ["scenario", "import", str(small_folder)]).exit_code == 0
    folder, book = tmp_path / "out", tmp_path / "out.xlsx"
    assert runner.invoke(app, ["scenario", "export", str(folder)]).exit_code == 0
    assert runner.invoke(app, ["scenario", "export", str(book), "--xlsx"]).exit_code == 0
    assert read_scenario(book).offer_ids == read_scenario(folder).offer_ids


def test_demo_scenario_loads(db: Any) -> None:
    from nsatu.commands.scenario import DEMO_SCENARIO

    if not DEMO_SCENARIO.exists():
        pytest.fail(f"the demo scenario is missing at {DEMO_SCENARIO}")
    report = import_scenario(read_scenario(DEMO_SCENARIO), actor=CLI)
    assert report.created["nations"] >= 40 and report.created["offers"] > 0
