"""Committed aid on the pages: the list, take-back with its preview, the political shift, backfill."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from nsatu.commitments.models import Decommitment, DecommitmentState
from nsatu.needs.models import Requirement
from nsatu.planning.models import PlanRun
from nsatu.planning.tasks import execute_plan_run
from nsatu.shipments.models import Shipment
from tests.commitments.conftest import pol_shipment

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate().isoformat()


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_list_shows_each_line_as_it_stands(small: dict[str, Any], approved: PlanRun) -> None:
    html = client_for(small["POL"]).get("/commitments/").content.decode()
    assert "O-POL" in html and "Suspend or withdraw" in html and "Political shift" in html
    recipient = client_for(small["UKR"]).get("/commitments/").content.decode()
    assert "O-POL" in recipient and "Suspend or withdraw" not in recipient
    export = client_for(small["coordinator"]).get("/commitments/?export=csv&table=commitments")
    text = b"".join(export.streaming_content).decode() if export.streaming else export.content.decode()
    assert "O-POL" in text and "O-DEU" in text


def test_take_back_previews_then_confirms(small: dict[str, Any], approved: PlanRun) -> None:
    client = client_for(small["POL"])
    code = pol_shipment()
    form = {"kind": "withdraw", "quantity": "20", "reason": "budget cut", "effective_on": TODAY}
    preview = client.post("/commitments/offer/O-POL/", {**form, "preview": "1"}).content.decode()
    assert "What this will undo" in preview and code in preview and "Partly met" in preview
    assert not Decommitment.objects.exists()
    done = client.post("/commitments/offer/O-POL/", {**form, "confirm": "1"}, follow=True)
    html = done.content.decode()
    decommitment = Decommitment.objects.get()
    assert done.redirect_chain[-1][0] == f"/commitments/{decommitment.pk}/"
    assert "withdraw 20 of POL" in html and f"{code}-2" in html
    assert Shipment.objects.get(code=f"{code}-2").state == "cancelled"
    assert Requirement.objects.get(code="R1").status == "partial"


def test_take_back_shows_the_errors_on_their_fields(small: dict[str, Any], approved: PlanRun) -> None:
    client = client_for(small["POL"])
    form = {
        "kind": "withdraw",
        "quantity": "2.5",
        "reason": "x",
        "effective_on": "2031-01-01",
        "preview": "1",
    }
    html = client.post("/commitments/offer/O-POL/", form).content.decode()
    assert "after the plan&#x27;s horizon" in html
    form["effective_on"] = TODAY
    html = client.post("/commitments/offer/O-POL/", form).content.decode()
    assert "2.5 is not a whole number" in html and "What this will undo" not in html
    assert client_for(small["DEU"]).get("/commitments/offer/O-POL/").status_code == 403


def test_a_political_shift_then_its_backfill_approved_from_the_page(
    small: dict[str, Any], approved: PlanRun
) -> None:
    client = client_for(small["coordinator"])
    form = {"donor": "POL", "reason": "new government", "effective_on": TODAY}
    preview = client.post("/commitments/political-shift/", {**form, "preview": "1"}).content.decode()
    assert "What this will undo" in preview and "Withdraw everything listed" in preview
    done = client.post("/commitments/political-shift/", {**form, "confirm": "1"}, follow=True)
    decommitment = Decommitment.objects.get()
    html = done.content.decode()
    assert "Backfill: before and after" in html and "Plan the backfill" in html and "R1" in html
    client.post(f"/commitments/{decommitment.pk}/backfill/", {"method": "greedy", "time_limit": "10"})
    decommitment.refresh_from_db()
    assert decommitment.backfill_run is not None
    execute_plan_run(decommitment.backfill_run.pk)
    html = client.get(f"/commitments/{decommitment.pk}/").content.decode()
    assert "Approve the backfill" in html and "covered" in html
    client.post(f"/commitments/{decommitment.pk}/backfill/approve/")
    assert PlanRun.objects.get(pk=decommitment.backfill_run.pk).approved_at is not None
    assert Requirement.objects.get(code="R1").status == "met"


def test_a_suspension_is_resumed_from_its_page(small: dict[str, Any], approved: PlanRun) -> None:
    client = client_for(small["POL"])
    form = {"kind": "suspend", "quantity": "", "reason": "review", "effective_on": TODAY, "confirm": "1"}
    client.post("/commitments/offer/O-POL/", form)
    decommitment = Decommitment.objects.get()
    html = client.get(f"/commitments/{decommitment.pk}/").content.decode()
    assert "Resume: back on the table" in html and "Backfill" not in html  # figures are for command roles
    client.post(f"/commitments/{decommitment.pk}/resume/")
    decommitment.refresh_from_db()
    assert decommitment.state == DecommitmentState.RESUMED
    assert client_for(small["DEU"]).post(f"/commitments/{decommitment.pk}/withdraw/").status_code == 403
