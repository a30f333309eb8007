"""The ledger proves the data: SQL edits around the application, chain rewrites and moved heads are named.

Each case plays an intruder with database rights on the test database: it
changes rows in SQL (around the triggers where it must), and ``nsatu ledger
verify`` has to fail and name the record; the untouched database verifies.
"""

from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import Any

import pytest
from django.db import DatabaseError, connection, transaction
from typer.testing import CliRunner

from nsatu.cli import app
from nsatu.core import triggers
from nsatu.core.actors import CLI
from nsatu.core.ledger import event_hash
from nsatu.core.models import Event, LedgerHead
from nsatu.core.signing import document, sign_head
from nsatu.core.verification import verify_everything
from nsatu.needs.models import Requirement
from nsatu.needs.services import update_requirement
from nsatu.offers.models import Offer
from nsatu.planning.models import Allocation, PlanRun
from nsatu.planning.services import approve_plan_run
from tests.commitments.conftest import SMALL, load, planned

pytestmark = pytest.mark.django_db


@pytest.fixture
def key(settings: Any, tmp_path: Path) -> Path:
    """A signing key of this test's own, outside the repository."""
    settings.NSATU_LEDGER_KEY = tmp_path / "keys" / "ledger-signing.key"
    return Path(settings.NSATU_LEDGER_KEY)


@pytest.fixture
def scenario(db: Any, tmp_path: Path, key: Path) -> PlanRun:
    """The small scenario imported, planned by the worker's code, approved, one requirement edited."""
    from nsatu.accounts.services import create_user

    load(tmp_path / "small", SMALL)
    coordinator = create_user(actor=CLI, username="coord", password="x-Secret-123456", role="coordinator")
    run = approve_plan_run(planned(), actor=coordinator)
    update_requirement(Requirement.objects.get(code="R2"), actor=coordinator, priority=3)
    return run


def sql(statement: str, params: list[Any] | None = None) -> None:
    """Run SQL as an intruder would: around the application and the ledger's triggers."""
    triggers.remove(connection)
    try:
        with connection.cursor() as cursor:
            cursor.execute(statement, params or [])
    finally:
        triggers.install(connection)


def recompute_chain_from(seq: int) -> None:
    """Rehash every event from ``seq`` on and move the stored head: a rewrite that keeps the chain whole."""
    triggers.remove(connection)
    try:
        prev = Event.objects.get(seq=seq - 1).hash if seq > 1 else "0" * 64
        for event in Event.objects.filter(seq__gte=seq).order_by("seq"):
            digest = event_hash(
                prev_hash=prev,
                seq=event.seq,
                time=event.time,
                actor=event.actor,
                nation=event.nation,
                action=event.action,
                object_type=event.object_type,
                object_id=event.object_id,
                payload=event.payload,
                code=event.code,
                state=event.state,
            )
            Event.objects.filter(pk=event.pk).update(prev_hash=prev, hash=digest)
            prev = digest
        LedgerHead.objects.filter(singleton=1).update(hash=prev)
    finally:
        triggers.install(connection)


def failures(**kwargs: Any) -> str:
    report = verify_everything(**kwargs)
    assert not report.ok, "the tampered database verified"
    return "\n".join(report.failures())


def test_the_untouched_database_verifies_records_lines_and_checkpoints(scenario: PlanRun, key: Path) -> None:
    sign_head()
    report = verify_everything()
    assert report.ok, report.failures()
    assert (
        report.data.checked
        >= Offer.objects.count() + Requirement.objects.count() + Allocation.objects.count()
    )
    assert report.checkpoints == 1
    # every event that changed a proved row says which record by its code
    assert Event.objects.filter(object_type="needs.requirement", code="R2").exclude(state="").count() >= 2
    assert stat.S_IMODE(key.stat().st_mode) == 0o600


def test_an_offer_changed_in_sql_is_named_with_its_field(scenario: PlanRun) -> None:
    sql("UPDATE offers_offer SET quantity = quantity * 10 WHERE code = 'O-POL'")
    found = failures()
    assert "offers.offer O-POL" in found and "quantity" in found


def test_a_requirement_priority_changed_in_sql_is_named(scenario: PlanRun) -> None:
    sql("UPDATE needs_requirement SET priority = 1 WHERE code = 'R2'")
    found = failures()
    assert "needs.requirement R2" in found and "priority" in found


def test_a_committed_plan_line_changed_in_sql_is_named(scenario: PlanRun) -> None:
    line = Allocation.objects.filter(run=scenario).order_by("pk").first()
    assert line is not None
    sql("UPDATE planning_allocation SET quantity = quantity + 5 WHERE id = %s", [line.pk])
    found = failures()
    assert f"planning.allocation #{line.pk}" in found and "quantity" in found
    assert f"planning.planrun #{scenario.pk}" in found  # the run's lines as a whole differ too


def test_an_uncommitted_plan_changed_in_sql_is_named_by_its_run(scenario: PlanRun) -> None:
    other = planned()  # after the approval, a run whose lines nobody committed
    sql(
        "INSERT INTO planning_allocation (run_id, offer_id, requirement_id, hub_id, quantity, arrival_week)"
        " SELECT %s, offer_id, requirement_id, hub_id, 1000, arrival_week FROM planning_allocation LIMIT 1",
        [other.pk],
    )
    assert f"planning.planrun #{other.pk}" in failures()


def test_a_row_inserted_or_deleted_in_sql_is_named(scenario: PlanRun) -> None:
    sql(
        "INSERT INTO logistics_hub"
        " (code, name, nation_id, capacity_t_per_week, extra, created_at, updated_at, version)"
        " SELECT 'GHOST', 'Ghost', nation_id, 1, extra, created_at, updated_at, 1 FROM logistics_hub LIMIT 1"
    )
    assert "logistics.hub GHOST" in failures()
    sql("DELETE FROM logistics_hub WHERE code = 'GHOST'")
    sql("DELETE FROM logistics_route WHERE lead_time_days = 9")
    found = failures()
    assert "logistics.route" in found and "gone" in found


def test_an_altered_event_is_named(scenario: PlanRun) -> None:
    event = Event.objects.filter(object_type="offers.offer", action="create").order_by("seq").first()
    assert event is not None
    sql("UPDATE core_event SET payload = %s WHERE seq = %s", ['{"quantity": 1}', event.seq])
    assert f"event #{event.seq}" in failures()


def test_a_recomputed_chain_fails_on_the_data_and_on_the_signed_checkpoint(
    scenario: PlanRun, tmp_path: Path
) -> None:
    checkpoint = tmp_path / "head.json"
    checkpoint.write_text(json.dumps(document(sign_head())))
    # the intruder raises an offer and rewrites its event to match, then rehashes the chain after it
    sql("UPDATE offers_offer SET quantity = 600 WHERE code = 'O-POL'")
    event = Event.objects.filter(object_type="offers.offer", code="O-POL").order_by("-seq").first()
    assert event is not None
    sql("UPDATE core_event SET payload = %s WHERE seq = %s", ['{"quantity": 600}', event.seq])
    recompute_chain_from(event.seq)
    found = failures(checkpoint=checkpoint)
    assert "chain broken" not in found  # the chain alone is whole again
    assert "offers.offer O-POL" in found  # its row no longer matches the state the event records
    assert "rewritten" in found  # the signed head is no longer in the chain
    assert "checkpoint #" in found  # nor is the stored checkpoint's


def test_the_head_moved_back_fails_against_the_checkpoint(
    scenario: PlanRun, tmp_path: Path, key: Path
) -> None:
    checkpoint = tmp_path / "head.json"
    checkpoint.write_text(json.dumps(document(sign_head())))
    head = LedgerHead.objects.get()
    keep = head.seq - 3
    sql("DELETE FROM core_event WHERE seq > %s", [keep])
    sql(
        "UPDATE core_ledgerhead SET seq = %s, hash = (SELECT hash FROM core_event WHERE seq = %s)",
        [keep, keep],
    )
    sql("DELETE FROM core_checkpoint")  # the intruder removes the stored checkpoint too
    public = key.with_name(key.name + ".pub")
    found = failures(checkpoint=checkpoint, public_key=public)
    assert "chain broken" not in found
    assert f"event #{head.seq}" in found and "removed" in found


def test_a_forged_checkpoint_does_not_hold(scenario: PlanRun, tmp_path: Path, key: Path) -> None:
    signed = document(sign_head())
    forged = tmp_path / "forged.json"
    forged.write_text(json.dumps({**signed, "seq": signed["seq"] - 1}))
    assert "signature does not hold" in failures(checkpoint=forged)


def test_cli_checkpoint_and_verify_with_the_public_key_alone(
    scenario: PlanRun, tmp_path: Path, key: Path
) -> None:
    runner = CliRunner()
    out = tmp_path / "head.json"
    result = runner.invoke(app, ["ledger", "checkpoint", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text())["seq"] == LedgerHead.objects.get().seq
    public = key.with_name(key.name + ".pub")
    key.unlink()  # an auditor has the public key and the checkpoint, not the private key
    result = runner.invoke(app, ["ledger", "verify", "--checkpoint", str(out), "--public-key", str(public)])
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    assert "records match the chain" in said and "2 signed checkpoints hold" in said
    sql("UPDATE needs_requirement SET quantity = 1 WHERE code = 'R1'")
    result = runner.invoke(app, ["ledger", "verify", "--checkpoint", str(out), "--public-key", str(public)])
    assert result.exit_code == 1
    assert "needs.requirement R1" in " ".join(result.output.split())


def test_a_replacing_insert_and_truncate_of_events_are_refused(scenario: PlanRun) -> None:
    event = Event.objects.order_by("seq").first()
    assert event is not None
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        if connection.vendor == "sqlite":
            cursor.execute(
                "INSERT OR REPLACE INTO core_event (id, seq, time, actor, nation, action, object_type,"
                " object_id, code, payload, state, prev_hash, hash) SELECT id, seq, time, 'intruder', nation,"
                " action,"
                " object_type, object_id, code, payload, state, prev_hash, hash FROM core_event WHERE seq = 1"
            )
        else:
            cursor.execute("TRUNCATE core_event CASCADE")
    assert Event.objects.get(seq=1).actor == event.actor
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        if connection.vendor == "sqlite":
            cursor.execute(
                "REPLACE INTO core_checkpoint (id, seq, hash, time, public_key, signature)"
                " VALUES (1, 0, '', '2027-01-01', '', '')"
            )
            cursor.execute(
                "REPLACE INTO core_checkpoint (id, seq, hash, time, public_key, signature)"
                " VALUES (1, 9, '', '2027-01-01', '', '')"
            )
        else:
            cursor.execute("TRUNCATE core_checkpoint")
