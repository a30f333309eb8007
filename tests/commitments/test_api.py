"""Committed aid through the API: list, preview, suspend, withdraw, political shift, resume, backfill."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from nsatu.commitments.models import Decommitment
from nsatu.core.models import Event
from nsatu.planning.models import PlanRun
from nsatu.planning.tasks import execute_plan_run
from tests.commitments.conftest import pol_shipment

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate().isoformat()


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def post(client: Client, path: str, body: dict[str, Any]) -> Any:
    return client.post(f"/api/v1{path}", json.dumps(body), content_type="application/json")


def test_commitments_list_what_each_approved_line_still_commits(
    small: dict[str, Any], approved: PlanRun
) -> None:
    client = client_for(small["coordinator"])
    body = client.get("/api/v1/commitments?donor=POL").json()
    assert body["count"] == 1
    (line,) = body["items"]
    assert (line["offer"], line["requirement"], line["approved"], line["committed"]) == (
        "O-POL",
        "R1",
        60,
        60,
    )
    assert line["unit"] == "rounds" and line["whole"] is True and line["shipped"] == 0
    post(
        client, "/offers/O-POL/commitments/withdraw", {"quantity": 25, "reason": "cut", "effective_on": TODAY}
    )
    (line,) = client.get("/api/v1/commitments?donor=POL").json()["items"]
    assert (line["committed"], line["withdrawn"], line["suspended"]) == (35, 25, 0)
    assert client.get("/api/v1/commitments?active=false").json()["count"] == 0


def test_preview_writes_nothing_and_the_action_does_what_it_said(
    small: dict[str, Any], approved: PlanRun
) -> None:
    client = client_for(small["POL"])
    code = pol_shipment()
    before = Event.objects.count()
    body = {"kind": "suspend", "quantity": 20, "reason": "licence review", "effective_on": TODAY}
    preview = post(client, "/offers/O-POL/commitments/preview", body)
    assert preview.status_code == 200, preview.content
    shown = preview.json()
    assert Event.objects.count() == before and not Decommitment.objects.exists()
    assert shown["quantity"] == 20 and shown["available"] == 60
    assert shown["cancelled"] == [{"shipment": code, "quantity": 20, "whole": False}]
    assert shown["requirements"][0]["status_after"] == "partial"
    del body["kind"]
    done = post(client, "/offers/O-POL/commitments/suspend", body)
    assert done.status_code == 201, done.content
    decommitment = done.json()
    assert (decommitment["kind"], decommitment["state"], decommitment["quantity"]) == (
        "suspend",
        "suspended",
        20,
    )
    assert decommitment["lines"] == [{"line": shown["lines"][0]["line"], "run": approved.pk, "offer": "O-POL",
                                      "requirement": "R1", "quantity": 20}]  # fmt: skip
    shipments = {s["code"]: s for s in client.get("/api/v1/shipments?donor=POL").json()["items"]}
    assert shipments[code]["quantity"] == 40 and shipments[f"{code}-2"]["state"] == "cancelled"
    resumed = client.post(f"/api/v1/decommitments/{decommitment['id']}/resume")
    assert resumed.status_code == 200 and resumed.json()["state"] == "resumed"
    assert client.post(f"/api/v1/decommitments/{decommitment['id']}/resume").status_code == 409


def test_bad_input_answers_422_naming_the_field(small: dict[str, Any], approved: PlanRun) -> None:
    client = client_for(small["POL"])
    cases = [
        ({"quantity": 1.5, "reason": "x", "effective_on": TODAY}, "quantity", "whole units"),
        ({"quantity": 61, "reason": "x", "effective_on": TODAY}, "quantity", "only 60 can be taken back"),
        ({"reason": "x", "effective_on": "2031-01-01"}, "effective_on", "after the plan's horizon"),
        ({"reason": "x", "effective_on": "2020-01-01"}, "effective_on", "before the aid was committed"),
        ({"reason": "", "effective_on": TODAY}, "reason", ""),
    ]
    for body, field, words in cases:
        answer = post(client, "/offers/O-POL/commitments/withdraw", body)
        assert answer.status_code == 422, (body, answer.content)
        assert words in " ".join(answer.json()["errors"][field]), answer.json()
    assert not Decommitment.objects.exists()


def test_other_nations_are_refused_and_hidden_records_are_404(
    small: dict[str, Any], approved: PlanRun
) -> None:
    body = {"reason": "x", "effective_on": TODAY}
    assert post(client_for(small["DEU"]), "/offers/O-POL/commitments/withdraw", body).status_code == 403
    assert post(client_for(small["UKR"]), "/donors/POL/political-shift", body).status_code == 403
    assert (
        post(client_for(small["coordinator"]), "/offers/NOPE/commitments/withdraw", body).status_code == 404
    )
    assert client_for(small["DEU"]).get("/api/v1/decommitments/1/backfill").status_code in (403, 404)


def test_a_political_shift_previewed_then_recorded_then_backfilled_and_approved(
    small: dict[str, Any], approved: PlanRun
) -> None:
    client = client_for(small["coordinator"])
    preview = client.get(f"/api/v1/donors/POL/political-shift?effective_on={TODAY}")
    assert preview.status_code == 200, preview.content
    assert preview.json()["quantity"] == 60 and preview.json()["scope"] == "donor"
    done = post(
        client, "/donors/pol/political-shift", {"reason": "coalition collapsed", "effective_on": TODAY}
    )
    assert done.status_code == 201, done.content
    decommitment = done.json()["id"]
    figures = client.get(f"/api/v1/decommitments/{decommitment}/backfill").json()
    assert figures["pwf_before"] == pytest.approx(1.0) and figures["pwf_backfilled"] is None
    assert [r["requirement"] for r in figures["requirements"]] == ["R1"]
    started = post(client, f"/decommitments/{decommitment}/backfill", {"method": "greedy", "time_limit": 10})
    assert started.status_code == 202, started.content
    execute_plan_run(started.json()["id"])
    figures = client.get(f"/api/v1/decommitments/{decommitment}/backfill").json()
    assert figures["ready_to_approve"] and figures["requirements"][0]["covered"] is True
    approved_backfill = client.post(f"/api/v1/plan-runs/{started.json()['id']}/approve")
    assert approved_backfill.status_code == 200, approved_backfill.content
    assert client.get("/api/v1/requirements/R1").json()["status"] == "met"
    assert (
        client.get("/api/v1/decommitments?donor=POL").json()["items"][0]["backfill_run"]
        == started.json()["id"]
    )


def test_the_old_withdraw_of_a_committed_offer_says_what_to_do(
    small: dict[str, Any], approved: PlanRun
) -> None:
    answer = client_for(small["POL"]).post("/api/v1/offers/O-POL/withdraw")
    assert answer.status_code == 409
    assert "/offers/O-POL/commitments/withdraw" in answer.json()["detail"]
    assert not Event.objects.filter(action="withdraw", object_type="offers.offer").exists()
