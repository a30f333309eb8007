"""Scenario files into the database and back: all or nothing, idempotent, byte-identical round trip."""

from __future__ import annotations

import csv
import io
import shutil
import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from typer.testing import CliRunner

from nsatu.catalog.models import Capability, Family
from nsatu.cli import app
from nsatu.core.actors import CLI
from nsatu.core.ledger import verify_ledger
from nsatu.core.models import Event
from nsatu.core.services import update_record
from nsatu.logistics.models import Route
from nsatu.needs.models import Requirement
from nsatu.offers.models import Offer, OfferStatus
from nsatu.planner.io import TABLE_COLUMNS, ScenarioError, read_scenario, write_scenario
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
    assert first.created["offers"] == len(scenario.offers.ids)
    assert first.created["requirements"] == len(scenario.requirements.ids)
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
        scenario.offers.ids
    )


def test_import_writes_in_batches_not_row_by_row() -> None:
    """Bulk writes: queries grow with tables and batches (statements of hundreds of rows), not with rows."""

    def queries(scenario: Any, *, dry_run: bool) -> int:
        with CaptureQueriesContext(connection) as captured:
            import_scenario(scenario, actor=CLI, dry_run=dry_run)
        return len(captured.captured_queries)

    small, medium = generate("small", 3), generate("medium", 3)
    assert len(medium.offers.ids) >= 4 * len(small.offers.ids)
    rows = len(medium.offers.ids) + len(medium.requirements.ids) + len(medium.items.codes)
    small_queries, medium_queries = queries(small, dry_run=True), queries(medium, dry_run=True)
    assert small_queries < 150
    # row by row costs several queries a row; in batches SQLite's 999 parameters a statement
    # still split inserts into statements of some 70-80 rows
    assert medium_queries < small_queries + rows / 20, (small_queries, medium_queries, rows)
    assert Offer.objects.count() == 0  # the dry runs wrote nothing
    import_scenario(medium, actor=CLI)
    assert queries(medium, dry_run=False) < 100  # as given: read in batches, nothing written
    assert Event.objects.filter(object_type="offers.offer").count() == len(medium.offers.ids)


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
    write_scenario(scenario_from_db(remaining=False), first)
    call_command("flush", interactive=False, verbosity=0)
    assert not Offer.objects.exists()
    import_scenario(read_scenario(first), actor=CLI)
    second = tmp_path / "second"
    write_scenario(scenario_from_db(remaining=False), second)
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
    assert read_scenario(book).offers.ids == read_scenario(folder).offers.ids


def test_demo_scenario_loads(db: Any) -> None:
    from nsatu.commands.scenario import DEMO_SCENARIO

    if not DEMO_SCENARIO.exists():
        pytest.fail(f"the demo scenario is missing at {DEMO_SCENARIO}")
    report = import_scenario(read_scenario(DEMO_SCENARIO), actor=CLI)
    assert report.created["nations"] >= 40 and report.created["offers"] > 0


@pytest.mark.django_db(transaction=True)  # flush cannot run inside the test's transaction on PostgreSQL
def test_demo_round_trips_through_the_database_as_folder_and_workbook(tmp_path: Path) -> None:
    """Every column of the demo, its assumption labels (`note`, `source`) too, survives the database;
    workbook exports are byte-identical, and so is workbook -> empty database -> workbook."""
    from nsatu.commands.scenario import DEMO_SCENARIO

    import_scenario(read_scenario(DEMO_SCENARIO), actor=CLI)
    out = tmp_path / "demo"
    write_scenario(scenario_from_db(remaining=False), out)
    assert folder_bytes(out) == folder_bytes(DEMO_SCENARIO)
    route = Route.objects.order_by("pk").first()
    assert route is not None and "assumption" in route.extra["note"]
    assert Family.objects.get(code="F16").extra.keys() == {"calibre_mm", "note"}
    assert Requirement.objects.filter(extra__source="assumption").exists()

    runner = CliRunner()
    first, again = tmp_path / "first.xlsx", tmp_path / "again.xlsx"
    assert runner.invoke(app, ["scenario", "export", str(first), "--xlsx"]).exit_code == 0
    assert runner.invoke(app, ["scenario", "export", str(again), "--xlsx"]).exit_code == 0
    assert first.read_bytes() == again.read_bytes()
    call_command("flush", interactive=False, verbosity=0)
    assert not Offer.objects.exists()
    assert runner.invoke(app, ["scenario", "import", str(first)]).exit_code == 0
    second = tmp_path / "second.xlsx"
    assert runner.invoke(app, ["scenario", "export", str(second), "--xlsx"]).exit_code == 0
    assert first.read_bytes() == second.read_bytes()
    folder = tmp_path / "from-workbook"
    write_scenario(scenario_from_db(remaining=False), folder)
    assert folder_bytes(folder) == folder_bytes(DEMO_SCENARIO)


@pytest.fixture
def tiny_folder(tmp_path: Path) -> Path:
    """The reader tests' small hand-written scenario, with the extension files."""
    from tests.planner.test_scenario_io import BASE, EXTENSIONS, write_folder

    return write_folder(tmp_path / "tiny", {**BASE, **EXTENSIONS})


def _strip_to_format_md(folder: Path) -> None:
    """Leave only FORMAT.md's files and columns: no extension file, no extra column."""
    for path in folder.iterdir():
        if path.name not in FORMAT_FILES:
            path.unlink()
    for name, columns in TABLE_COLUMNS.items():
        path = folder / f"{name}.csv"
        with path.open(encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle))
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        path.write_text(buffer.getvalue(), encoding="utf-8")


FORMAT_FILES = {"scenario.toml", *(f"{name}.csv" for name in TABLE_COLUMNS)}


def test_a_format_md_only_folder_leaves_what_it_does_not_say_alone(tmp_path: Path) -> None:
    from nsatu.commands.scenario import DEMO_SCENARIO

    import_scenario(read_scenario(DEMO_SCENARIO), actor=CLI)
    before = tmp_path / "before"
    write_scenario(scenario_from_db(remaining=False), before)
    events = Event.objects.count()
    plain = tmp_path / "plain"
    shutil.copytree(DEMO_SCENARIO, plain)
    _strip_to_format_md(plain)
    toml = plain / "scenario.toml"
    lines = toml.read_text(encoding="utf-8").splitlines(keepends=True)
    toml.write_text("".join(line for line in lines if not line.startswith(("name", "description"))))
    report = import_scenario(read_scenario(plain), actor=CLI)
    assert report.changed_rows == 0, report.updated
    assert Event.objects.count() == events  # no capability renamed to "", no marking reset, no note lost
    after = tmp_path / "after"
    write_scenario(scenario_from_db(remaining=False), after)
    assert folder_bytes(after) == folder_bytes(before)
    assert Capability.objects.get(code="fighter").name


def test_a_column_present_but_empty_is_imported_as_empty(tiny_folder: Path) -> None:
    import_scenario(read_scenario(tiny_folder), actor=CLI)
    offers = tiny_folder / "offers.csv"
    lines = offers.read_text(encoding="utf-8").splitlines()
    lines[0] += ",note,lot"
    lines[1:] = [line + ",first lot,L1" for line in lines[1:2]] + [line + ",," for line in lines[2:]]
    offers.write_text("\n".join(lines) + "\n", encoding="utf-8")
    import_scenario(read_scenario(tiny_folder), actor=CLI)
    first = Offer.objects.get(code=lines[1].split(",")[0])
    assert first.note == "first lot" and first.extra == {"lot": "L1"}
    lines[1:2] = [lines[1].replace(",first lot,L1", ",,")]
    offers.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = import_scenario(read_scenario(tiny_folder), actor=CLI)
    assert report.updated == {"offers": 1}
    first.refresh_from_db()
    assert first.note == "" and first.extra == {"lot": ""}


@pytest.mark.django_db(transaction=True)
def test_an_allocated_offer_exports_offered_and_comes_back_allocated(
    tiny_folder: Path, tmp_path: Path
) -> None:
    import_scenario(read_scenario(tiny_folder), actor=CLI)
    offer = Offer.objects.filter(status=OfferStatus.OFFERED).order_by("code").first()
    assert offer is not None
    update_record(offer, actor=CLI, status=OfferStatus.ALLOCATED)
    out = tmp_path / "out"
    write_scenario(scenario_from_db(remaining=False), out)
    with (out / "offers.csv").open(encoding="utf-8", newline="") as handle:
        rows = {row["id"]: row for row in csv.DictReader(handle)}
    assert rows[offer.code]["status"] == "offered" and rows[offer.code]["platform_status"] == "allocated"
    assert {r["platform_status"] for code, r in rows.items() if code != offer.code} == {""}
    # FORMAT.md's reading: an ordinary offer to any outside tool and to `nsatu plan check` ...
    assert not read_scenario(out).offers.withdrawn[read_scenario(out).offers.index[offer.code]]
    # ... while a new plan from the database does not see it
    assert offer.code not in scenario_from_db().offers.index
    call_command("flush", interactive=False, verbosity=0)
    import_scenario(read_scenario(out), actor=CLI)
    assert Offer.objects.get(code=offer.code).status == OfferStatus.ALLOCATED
    assert Offer.objects.filter(status=OfferStatus.ALLOCATED).count() == 1
    second = tmp_path / "second"
    write_scenario(scenario_from_db(remaining=False), second)
    assert folder_bytes(second) == folder_bytes(out)
    # a file without the column keeps the allocation; one that withdraws the offer withdraws it
    assert import_scenario(read_scenario(tiny_folder), actor=CLI).changed_rows == 0
    assert Offer.objects.get(code=offer.code).status == OfferStatus.ALLOCATED
    rows[offer.code].update(status="withdrawn", platform_status="")
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[offer.code]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows.values())
    (out / "offers.csv").write_text(buffer.getvalue(), encoding="utf-8")
    import_scenario(read_scenario(out), actor=CLI)
    assert Offer.objects.get(code=offer.code).status == OfferStatus.WITHDRAWN


def test_a_fractional_each_offer_is_refused_with_its_cell(small_folder: Path) -> None:
    scenario = read_scenario(small_folder)
    row = int(
        next(i for i in range(len(scenario.offers.ids)) if scenario.items.is_each[scenario.offers.item[i]])
    )
    offers = small_folder / "offers.csv"
    lines = offers.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    cells = lines[row + 1].split(",")
    cells[header.index("quantity")] = "2.5"
    lines[row + 1] = ",".join(cells)
    offers.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["scenario", "import", str(small_folder)])
    assert result.exit_code == 2
    text = " ".join(result.output.split())
    assert f"offers.csv, row {row + 2}, column quantity: 2.5 is not a whole number" in text
    assert not Offer.objects.exists() and not Event.objects.exists()


def test_a_zip_bomb_workbook_is_refused_before_it_is_opened(tmp_path: Path) -> None:
    book = tmp_path / "scenario.xlsx"
    with zipfile.ZipFile(book, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/worksheets/sheet1.xml", bytes(50_000_000))
    result = CliRunner().invoke(app, ["scenario", "import", str(book)])
    assert result.exit_code == 2
    text = " ".join(result.output.split())
    assert "scenario.xlsx: " in text and "zip bomb" in text and "nothing was imported" in text
    assert not Event.objects.exists()


FORMULA_TITLES = [
    '=HYPERLINK("http://evil.example","click")',
    "+1+1",
    "-2+3",
    "@SUM(A1:A2)",
    "'=quoted",
    "-7",
]


def test_cli_export_writes_no_live_formula_and_reads_back_the_same_text(
    small_folder: Path, tmp_path: Path
) -> None:
    """Titles that look like formulas are text in the workbook and defused in CSV (as the web exports
    do, through one function), and both files read back to the titles as stored."""
    import openpyxl

    from nsatu.planner.io.cells import defuse_formula

    runner = CliRunner()
    assert runner.invoke(app, ["scenario", "import", str(small_folder)]).exit_code == 0
    requirements = list(Requirement.objects.order_by("code")[: len(FORMULA_TITLES)])
    for requirement, title in zip(requirements, FORMULA_TITLES, strict=True):
        update_record(requirement, actor=CLI, title=title)
    titles = {r.code: t for r, t in zip(requirements, FORMULA_TITLES, strict=True)}
    folder, book = tmp_path / "out", tmp_path / "out.xlsx"
    assert runner.invoke(app, ["scenario", "export", str(folder)]).exit_code == 0
    assert runner.invoke(app, ["scenario", "export", str(book), "--xlsx"]).exit_code == 0

    sheet = openpyxl.load_workbook(book)["requirements"]
    header = [c.value for c in next(sheet.iter_rows(max_row=1))]
    written = {}
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            assert cell.data_type != "f", f"{cell.coordinate} holds a live formula: {cell.value!r}"
        written[row[header.index("id")].value] = row[header.index("title")].value
    assert {code: written[code] for code in titles} == titles  # text kept exactly

    with (folder / "requirements.csv").open(encoding="utf-8", newline="") as handle:
        rows = {r["id"]: r["title"] for r in csv.DictReader(handle)}
    for code, title in titles.items():
        assert rows[code] == defuse_formula(title)
        assert not rows[code].startswith(("=", "+", "@")) and not rows[code].startswith("-2")
    assert rows[requirements[-1].code] == "-7"  # a plain number is left alone

    for path in (folder, book):
        scenario = read_scenario(path)
        extras = scenario.extra_columns["requirements"]
        by_code = {
            code: extra.get("title") for code, extra in zip(scenario.requirements.ids, extras, strict=True)
        }
        assert {code: by_code[code] for code in titles} == titles, path
