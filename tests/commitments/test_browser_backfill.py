"""Withdraw committed aid, plan the backfill and approve it, in a real browser against a live server.

The small scenario (tests/commitments/conftest.py), its greedy plan approved: the coordinator
withdraws 20 of POL's 60 committed rounds, then the rest, from the offer's page (preview,
then confirm); the backfill fills R1 from DEU's 60 uncommitted rounds and is approved.
"""

from __future__ import annotations

from typing import Any

import pytest

from nsatu.commitments.models import Decommitment
from nsatu.needs.models import Requirement
from nsatu.planning.models import PlanRun
from nsatu.shipments.models import Shipment
from tests.conftest import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def take_back(page: Any, base_url: str, quantity: str) -> None:
    page.goto(f"{base_url}/commitments/offer/O-POL/")
    page.get_by_label("Withdraw (for good)").check()
    page.get_by_label("Quantity").fill(quantity)
    page.get_by_label("Reason").fill("budget cut")
    page.get_by_role("button", name="Preview").click()
    page.get_by_text("What this will undo").wait_for()
    page.get_by_role("button", name="Confirm").click()
    page.get_by_role("heading", name="Backfill: before and after").wait_for()


def test_withdraw_then_backfill_then_approve(
    live_server: Any, small: dict[str, Any], approved: PlanRun, page: Any, settings: Any
) -> None:
    # the backfill run is planned as it is queued, so the page finds it done
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Username").fill("coord")
    page.get_by_label("Password").fill("x-Secret-123456")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Overview").wait_for()

    take_back(page, live_server.url, "20")
    assert Requirement.objects.get(code="R1").status == "partial"
    assert Shipment.objects.filter(offer__code="O-POL", state="cancelled").count() == 1
    take_back(page, live_server.url, "")  # the rest: everything that can be taken back
    screenshot(page, "withdrawn")
    assert Requirement.objects.get(code="R1").status == "partial"  # DEU's 40 still serve it
    assert sorted(Decommitment.objects.values_list("quantity", flat=True)) == [20.0, 40.0]

    page.get_by_label("Method").select_option("greedy")
    page.get_by_label("Time limit (seconds)").fill("10")
    page.get_by_role("button", name="Plan the backfill").click()
    page.get_by_role("button", name="Approve the backfill").wait_for()
    # after: R1 has lost POL's 60 of 100 at weight 16; with the backfill DEU's 60 fill it again
    assert page.get_by_test_id("pwf-before").inner_text() == "0.8667"  # POL's other 40 still there
    assert page.get_by_test_id("pwf-after").inner_text() == "0.6000"
    assert page.get_by_test_id("pwf-backfilled").inner_text() == "1.0000"
    screenshot(page, "backfill-planned")
    page.get_by_role("button", name="Approve the backfill").click()
    page.get_by_text("approved").first.wait_for()
    latest = Decommitment.objects.order_by("-pk").first()
    assert latest is not None and latest.backfill_run is not None
    assert PlanRun.objects.get(pk=latest.backfill_run.pk).approved_at is not None
    assert Requirement.objects.get(code="R1").status == "met"
    assert sorted(
        (s.offer.code, s.state) for s in Shipment.objects.filter(allocation__run=latest.backfill_run)
    ) == [("O-DEU", "planned")]
