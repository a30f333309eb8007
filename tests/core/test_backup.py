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
    after = list(Event.objects.order_by("seq").values_list("seq", "hash"))
    assert after[:-1] == events_before  # the backup's chain, then the restore's own event
    assert Event.objects.get(seq=after[-1][0]).action == "restore"
    assert verify_ledger().ok


def test_restore_of_a_missing_or_foreign_file_fails_cleanly(db: Any, tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["restore", str(tmp_path / "nope"), "--yes"])
    assert result.exit_code == 1 and "no such backup file" in " ".join(result.output.split())
    junk = tmp_path / "junk.backup"
    junk.write_bytes(b"not a database at all" * 100)
    result = runner.invoke(app, ["restore", str(junk), "--yes"])
    assert result.exit_code == 1 and "restore failed" in " ".join(result.output.split())


def test_a_tampered_backup_leaves_the_live_data_untouched(world: Any, tmp_path: Path) -> None:
    from django.db import connection

    from nsatu.core import triggers
    from nsatu.offers.models import Offer

    runner = CliRunner()
    offer = Offer.objects.get(code="O-public")
    events_before = Event.objects.count()
    # the backup is taken of a database an intruder changed in SQL, triggers dropped
    triggers.remove(connection)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE offers_offer SET quantity = 999 WHERE code = 'O-public'")
    target = tmp_path / "tampered.backup"
    assert runner.invoke(app, ["backup", str(target)]).exit_code == 0
    with connection.cursor() as cursor:
        cursor.execute("UPDATE offers_offer SET quantity = %s WHERE code = 'O-public'", [offer.quantity])
    triggers.install(connection)
    create_nation(actor=world.users["coordinator"], iso3="ITA", name="Italy")  # live data after the backup

    result = runner.invoke(app, ["restore", str(target), "--yes"])
    said = " ".join(result.output.split())
    assert result.exit_code == 1 and "does not verify, nothing was restored" in said
    assert "offers.offer O-public" in said and "quantity" in said
    assert Nation.objects.filter(iso3="ITA").exists()
    assert Offer.objects.get(code="O-public").quantity == offer.quantity
    assert Event.objects.count() == events_before + 1
    assert verify_ledger().ok


def test_restore_records_an_event_and_keeps_the_triggers(world: Any, tmp_path: Path) -> None:
    from django.db import DatabaseError, connection

    from nsatu.core import triggers

    runner = CliRunner()
    target = tmp_path / "no-triggers.backup"
    triggers.remove(connection)  # a backup whose schema lost the triggers
    assert runner.invoke(app, ["backup", str(target)]).exit_code == 0
    triggers.install(connection)
    result = runner.invoke(app, ["restore", str(target), "--yes"])
    assert result.exit_code == 0, result.output
    last = Event.objects.order_by("-seq").first()
    assert last is not None and last.action == "restore" and last.payload["file"] == target.name
    with pytest.raises(DatabaseError, match="append-only"), connection.cursor() as cursor:
        cursor.execute("UPDATE core_event SET actor = 'x' WHERE seq = 1")
    assert verify_ledger().ok
