"""The auditor's ledger page: verification shown first, search filters, exports that re-verify."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.utils import timezone

from nsatu.core.ledger import Verification
from nsatu.core.models import Event
from tests.dashboards.conftest import client_for
from tests.dashboards.test_lists_exports import read_csv, read_xlsx

pytestmark = pytest.mark.django_db


def listed_seqs(response: Any) -> list[int]:
    rows = read_csv(response)
    return [int(r[0]) for r in rows[1:]]


def test_auditor_sees_the_verification_first(world: Any) -> None:
    response = client_for(world.users["auditor"]).get("/audit/ledger/")
    page = response.content.decode()
    assert response.status_code == 200
    assert 'class="verification verified"' in page
    assert f"{Event.objects.count()} events checked" in page
    assert page.index("Chain verified") < page.index('<table id="ledger">')


def test_a_broken_chain_is_shown_as_broken(world: Any, monkeypatch: Any) -> None:
    broken = Verification(False, 3, 4, "event #4 was altered: its hash does not match")
    monkeypatch.setattr("nsatu.dashboards.audit.verify_ledger", lambda **_: broken)
    page = client_for(world.users["auditor"]).get("/audit/ledger/").content.decode()
    assert 'class="verification broken"' in page
    assert "event #4 was altered" in page and "First bad event: #4" in page


@pytest.mark.parametrize("role", ["DEU", "UKR"])
def test_nation_roles_may_not_read_the_ledger(world: Any, role: str) -> None:
    client = client_for(world.users[role])
    assert client.get("/audit/ledger/").status_code == 403
    assert client.get("/audit/ledger/export.csv").status_code == 403


def test_search_by_object_action_actor_and_nation(world: Any) -> None:
    client = client_for(world.users["auditor"])
    offer = world.offers["listed"]
    events = Event.objects.filter(object_type="offers.offer", object_id=str(offer.pk))
    expected = list(events.values_list("seq", flat=True))
    assert expected
    found = listed_seqs(client.get(f"/audit/ledger/export.csv?object_type=offers.offer&object_id={offer.pk}"))
    assert found == sorted(expected, reverse=True)
    actions = client.get("/audit/ledger/export.csv?action=create&object_type=accounts.user")
    users = Event.objects.filter(action="create", object_type="accounts.user")
    assert len(listed_seqs(actions)) == users.count() > 0
    actor = Event.objects.first()
    assert actor is not None
    by_actor = listed_seqs(client.get(f"/audit/ledger/export.csv?actor={actor.actor[:4].upper()}"))
    assert len(by_actor) == Event.objects.filter(actor__icontains=actor.actor[:4]).count()
    assert listed_seqs(client.get("/audit/ledger/export.csv?nation=zzz")) == []


def test_search_by_date_range(world: Any) -> None:
    client = client_for(world.users["auditor"])
    today = timezone.now().astimezone(dt.UTC).date()
    tomorrow, yesterday = today + dt.timedelta(days=1), today - dt.timedelta(days=1)
    everything = Event.objects.count()
    assert len(listed_seqs(client.get(f"/audit/ledger/export.csv?since={today}&until={today}"))) == everything
    assert listed_seqs(client.get(f"/audit/ledger/export.csv?since={tomorrow}")) == []
    assert listed_seqs(client.get(f"/audit/ledger/export.csv?until={yesterday}")) == []
    page = client.get("/audit/ledger/?since=31.12.2026").content.decode()
    assert "Enter a date as YYYY-MM-DD." in page and 'aria-invalid="true"' in page


def test_page_paginates_and_keeps_the_search(world: Any, monkeypatch: Any) -> None:
    monkeypatch.setattr("nsatu.dashboards.views.PAGE_SIZE", 10)
    client = client_for(world.users["auditor"])
    matching = Event.objects.filter(actor__icontains="cli").count()
    assert matching > 10
    page = client.get("/audit/ledger/?actor=cli").content.decode()
    assert "actor=cli&amp;page=2" in page
    assert page.count('<tr id="e') == 10
    last = client.get("/audit/ledger/?actor=cli&page=99").content.decode()
    assert last.count('<tr id="e') == matching - 10 * ((matching - 1) // 10)


def test_export_rows_recompute_their_hashes(world: Any) -> None:
    """An auditor can re-verify the chain from the exported file alone."""
    from nsatu.core.ledger import event_hash

    table = read_xlsx(client_for(world.users["auditor"]).get("/audit/ledger/export.xlsx"))
    header, rows = table[0], table[1:]
    assert header[0] == "Sequence" and header[-2:] == ["Previous hash", "Hash"]
    assert len(rows) == Event.objects.count()
    previous = None
    for (
        seq,
        time,
        actor,
        nation,
        action,
        object_type,
        object_id,
        code,
        payload,
        state,
        prev_hash,
        digest,
    ) in reversed(rows):
        recomputed = event_hash(
            prev_hash=prev_hash,
            seq=seq,
            time=dt.datetime.fromisoformat(time),
            actor=actor,
            nation=nation or "",
            action=action,
            object_type=object_type,
            object_id=str(object_id or ""),
            payload=json.loads(payload),
            code=code or "",
            state=state or "",
        )
        assert recomputed == digest
        assert previous is None or prev_hash == previous
        previous = digest


def test_the_page_walks_the_whole_chain_then_only_what_came_after(world: Any) -> None:
    from django.core.cache import cache

    from nsatu.nations.services import update_nation
    from tests.core.test_ledger import tamper

    cache.clear()
    auditor = client_for(world.users["auditor"])
    first = auditor.get("/audit/ledger/").content.decode()
    assert "The whole ledger was checked just now" in first
    update_nation(world.nations["NOR"], actor=world.users["coordinator"], name="Norway (changed)")
    second = auditor.get("/audit/ledger/").content.decode()
    assert "1 newer event was checked just now" in second and 'class="verification verified"' in second
    # an old event changed behind the triggers: the next whole walk names it
    tamper("UPDATE core_event SET actor = 'intruder' WHERE seq = 2")
    assert 'class="verification verified"' in auditor.get("/audit/ledger/").content.decode()
    whole = auditor.get("/audit/ledger/?verify=whole").content.decode()
    assert 'class="verification broken"' in whole and "event #2 was altered" in whole


def test_a_change_to_the_last_verified_event_is_caught_without_a_whole_walk(world: Any) -> None:
    from django.core.cache import cache

    from tests.core.test_ledger import tamper

    cache.clear()
    auditor = client_for(world.users["auditor"])
    auditor.get("/audit/ledger/")
    last = Event.objects.order_by("-seq").first()
    assert last is not None
    tamper("UPDATE core_event SET hash = %s WHERE seq = %s", ["0" * 64, last.seq])
    page = auditor.get("/audit/ledger/").content.decode()
    assert 'class="verification broken"' in page and f"event #{last.seq} was altered" in page
    assert "The whole ledger was checked just now" in page
