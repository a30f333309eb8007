"""Backup and restore round-trip on both databases; the ledger verifies after restore."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from nsatu.cli import app
from nsatu.core.ledger import verify_ledger
from nsatu.core.models import Event
from nsatu.nations.models import Nation
from nsatu.nations.services import create_nation

pytestmark = pytest.mark.django_db(transaction=True)


def test_backup_and_restore_round_trip(world: Any, tmp_path: Path) -> None:
    runner = CliRunner()
    events_before = list(Event.objects.order_by("seq").values_list("seq", "hash"))
    target = tmp_path / "nsatu.backup"
    result = runner.invoke(app, ["backup", str(target)])
    assert result.exit_code == 0, result.output
    assert target.stat().st_size > 0

    create_nation(actor=world.users["coordinator"], iso3="ITA", name="Italy")  # after the backup
    assert Nation.objects.filter(iso3="ITA").exists()

    result = runner.invoke(app, ["restore", str(target), "--yes"])
    assert result.exit_code == 0, result.output
    assert "ledger verified" in result.output
    assert not Nation.objects.filter(iso3="ITA").exists()
    assert list(Event.objects.order_by("seq").values_list("seq", "hash")) == events_before
    assert verify_ledger().ok


def test_restore_of_a_missing_or_foreign_file_fails_cleanly(db: Any, tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["restore", str(tmp_path / "nope"), "--yes"])
    assert result.exit_code == 1 and "no such backup file" in " ".join(result.output.split())
    junk = tmp_path / "junk.backup"
    junk.write_bytes(b"not a database at all" * 100)
    result = runner.invoke(app, ["restore", str(junk), "--yes"])
    assert result.exit_code == 1 and "restore failed" in " ".join(result.output.split())
