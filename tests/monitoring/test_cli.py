"""`nsatu monitoring`, `nsatu evidence` and `nsatu notifications` on the database."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from nsatu.cli import app
from nsatu.monitoring import evidence
from nsatu.monitoring.models import Evidence, MonitoredItem
from tests.monitoring.builders import received
from tests.monitoring.files import png_bytes

pytestmark = pytest.mark.django_db


def run(*args: str) -> Any:
    return CliRunner().invoke(app, list(args))


def test_overdue_prints_the_share_and_exports_the_rows(world: Any, tmp_path: Path) -> None:
    received(world, ["O-1", "O-2"], on=dt.date.today() - dt.timedelta(days=120))
    result = run("monitoring", "overdue", "--out", str(tmp_path / "overdue.xlsx"))
    assert result.exit_code == 0, result.output
    assert "100% of required inventories overdue (2 of 2)" in " ".join(result.output.split())
    assert "the DoD IG audit found 59% by value" in " ".join(result.output.split())
    sheet = load_workbook(tmp_path / "overdue.xlsx").active
    assert sheet is not None
    assert [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)] == ["O-1", "O-2"]
    csv = run("monitoring", "overdue", "--donor", "DEU", "--out", str(tmp_path / "none.csv"))
    assert csv.exit_code == 0 and "(0 of 0)" in csv.output
    assert (tmp_path / "none.csv").read_text(encoding="utf-8-sig").splitlines()[0].startswith("Serial,")
    assert run("monitoring", "overdue", "--out", str(tmp_path / "x.txt")).exit_code == 2


def test_inventory_and_report_from_the_command_line(world: Any) -> None:
    _shipment, items = received(world, ["K-1", "K-2"])
    result = run("monitoring", "inventory", "K-1", "K-2", "--unit", "Depot 4")
    assert result.exit_code == 0, result.output
    assert "(Initial): 2 items" in result.output
    assert MonitoredItem.objects.filter(unit="Depot 4", initial_inventory_on__isnull=False).count() == 2
    assert run("monitoring", "report", "K-1", "--kind", "destroyed", "--reason", "combat").exit_code == 0
    assert MonitoredItem.objects.get(pk=items[0].pk).state == "destroyed"
    refused = run("monitoring", "report", "K-1", "--kind", "damaged", "--reason", "combat")
    assert refused.exit_code == 1 and "refused" in refused.output


def test_evidence_add_and_verify(world: Any, tmp_path: Path) -> None:
    shipment, _items = received(world)
    photo = tmp_path / "waybill.png"
    photo.write_bytes(png_bytes())
    added = run(
        "evidence", "add", str(photo), "--record", "shipment", "--key", shipment.code, "--kind", "waybill"
    )
    assert added.exit_code == 0, added.output
    assert run("evidence", "verify").exit_code == 0
    wrong = tmp_path / "fake.pdf"
    wrong.write_bytes(png_bytes())
    assert run("evidence", "add", str(wrong), "--record", "shipment", "--key", shipment.code).exit_code == 1
    stored = evidence.stored_path(Evidence.objects.get().sha256)
    stored.chmod(0o640)
    stored.write_bytes(b"\x89PNG\r\n\x1a\naltered")
    broken = run("evidence", "verify")
    assert broken.exit_code == 1 and "waybill.png" in broken.output


def test_notifications_sweep(world: Any) -> None:
    received(world, ["S-1"], on=dt.date.today() - dt.timedelta(days=100))
    result = run("notifications", "sweep")
    assert result.exit_code == 0 and "1 notifications created" in result.output
    assert "0 notifications created" in run("notifications", "sweep").output
