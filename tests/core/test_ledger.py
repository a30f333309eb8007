"""The ledger: every change leaves an event, the chain verifies, tampering is named."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction
from typer.testing import CliRunner

from nsatu.cli import app
from nsatu.core import triggers
from nsatu.core.actors import CLI
from nsatu.core.ledger import verify_ledger
from nsatu.core.models import Event
from nsatu.nations.services import create_nation, update_nation

pytestmark = pytest.mark.django_db


def make_events(n: int = 5) -> None:
    nation = create_nation(actor=CLI, iso3="POL", name="Poland")
    for i in range(n - 1):
        update_nation(nation, actor=CLI, name=f"Poland {i}")


def tamper(sql: str, params: list[Any] | None = None) -> None:
    """Change the table as an intruder with database rights would: around the triggers."""
    triggers.remove(connection)
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql, params or [])
    finally:
        triggers.install(connection)


def test_every_change_writes_one_event_and_the_chain_verifies() -> None:
    make_events(5)
    events = list(Event.objects.order_by("seq"))
    assert [e.seq for e in events] == [1, 2, 3, 4, 5]
    assert events[0].action == "create" and events[0].object_type == "nations.nation"
    assert events[1].payload["changes"]["name"] == ["Poland", "Poland 0"]
    assert all(e.prev_hash == p.hash for p, e in itertools.pairwise(events))
    result = verify_ledger()
    assert result.ok and result.checked == 5


def test_empty_ledger_verifies() -> None:
    assert verify_ledger().ok


def test_changed_payload_is_named() -> None:
    make_events(5)
    tamper("UPDATE core_event SET payload = %s WHERE seq = 3", ['{"changes": {"name": ["x", "y"]}}'])
    result = verify_ledger()
    assert not result.ok and result.bad_seq == 3 and "altered" in result.reason


def test_deleted_event_is_named() -> None:
    make_events(5)
    tamper("DELETE FROM core_event WHERE seq = 2")
    result = verify_ledger()
    assert not result.ok and result.bad_seq == 2 and "missing" in result.reason


def test_deleted_last_event_is_named() -> None:
    make_events(5)
    tamper("DELETE FROM core_event WHERE seq = 5")
    result = verify_ledger()
    assert not result.ok and result.bad_seq == 5


def test_swapped_order_is_named() -> None:
    make_events(5)
    tamper("UPDATE core_event SET seq = 1000 WHERE seq = 2")
    tamper("UPDATE core_event SET seq = 2 WHERE seq = 3")
    tamper("UPDATE core_event SET seq = 3 WHERE seq = 1000")
    result = verify_ledger()
    assert not result.ok and result.bad_seq == 2


def test_database_refuses_update_and_delete_of_events() -> None:
    make_events(2)
    for sql in (
        "UPDATE core_event SET actor = 'intruder' WHERE seq = 1",
        "DELETE FROM core_event WHERE seq = 1",
    ):
        with (
            pytest.raises((IntegrityError, DatabaseError)),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql)
    assert Event.objects.get(seq=1).actor == "system:cli"
    assert verify_ledger().ok


def test_change_and_event_roll_back_together() -> None:
    with pytest.raises(RuntimeError), transaction.atomic():
        create_nation(actor=CLI, iso3="DEU", name="Germany")
        raise RuntimeError("something later in the same transaction failed")
    assert not Event.objects.exists()
    from nsatu.nations.models import Nation

    assert not Nation.objects.filter(iso3="DEU").exists()


@pytest.mark.django_db(transaction=True)
def test_event_outside_a_transaction_is_refused() -> None:
    from nsatu.core.ledger import append_event

    with pytest.raises(RuntimeError, match="inside the transaction"):
        append_event(actor=CLI, action="x", object_type="y")
    make_events(2)  # and the flush after this transactional test copes with the triggers


def test_cli_verify_reports_ok_and_names_the_broken_event() -> None:
    make_events(3)
    runner = CliRunner()
    ok = runner.invoke(app, ["ledger", "verify"])
    assert ok.exit_code == 0, ok.output
    assert "3 events" in ok.output
    tamper("UPDATE core_event SET actor = 'someone-else' WHERE seq = 2")
    broken = runner.invoke(app, ["ledger", "verify"])
    assert broken.exit_code == 1
    assert "#2" in broken.output


def test_event_time_survives_the_database_round_trip() -> None:
    make_events(1)
    event = Event.objects.get(seq=1)
    assert event.time.tzinfo is not None and event.time <= dt.datetime.now(dt.UTC)
