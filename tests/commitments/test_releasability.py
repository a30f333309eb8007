"""Committed aid never names a record its reader may not open: lists, details, previews, pages.

The releasability matrix world (POL's offers O-m serve UKR's requirements R-m, m in every
marking), an approved run of them, then a political shift for POL. Every commitments answer
and page, read as every nation role, names only offers, requirements and shipments that role
may open.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from nsatu.catalog.services import update_family
from nsatu.commitments.services import withdraw_donor
from nsatu.core.actors import CLI
from nsatu.logistics.models import Hub
from nsatu.planning.models import Allocation, PlanRun, RunStatus
from nsatu.planning.services import approve_plan_run
from nsatu.shipments.models import Shipment
from tests.core.test_releasability import ALL, EXPECTED

pytestmark = pytest.mark.django_db

NATIONS = ["DEU", "FRA", "NOR", "POL", "UKR"]
CODE = re.compile(r"\b([OR])-(public|coalition|listed|command)\b|\b(SHP-\d{6}(?:-\d+)?)\b")


@pytest.fixture
def shifted(world: Any) -> dict[str, str]:
    """POL's offers committed to every requirement, then POL leaves; shipment code -> marking."""
    update_family(world.family, actor=CLI, existing_crews=100)  # crews for what the run sends
    hub = Hub.objects.create(code="RZE", name="Rzeszow", nation=world.nations["POL"], capacity_t_per_week=500)
    run = PlanRun.objects.create(method="greedy", status=RunStatus.DONE, created_by="coord")
    for marking in sorted(ALL):
        Allocation.objects.create(
            run=run,
            offer=world.offers[marking],
            requirement=world.requirements[marking],
            hub=hub,
            quantity=2,
            arrival_week=3,
        )
    approve_plan_run(run, actor=world.users["coordinator"])
    withdraw_donor(world.nations["POL"], actor=CLI, reason="leaves", effective_on=timezone.localdate())
    return {s.code: s.offer.code.split("-", 1)[1] for s in Shipment.objects.select_related("offer")}


def named(text: str, shipment_marking: dict[str, str]) -> tuple[set[str], set[str], set[str]]:
    """The markings of the requirements, offers and shipments a text names."""
    requirements, offers, shipments = set(), set(), set()
    for kind, marking, shipment in CODE.findall(text):
        if shipment:
            shipments.add(shipment_marking.get(shipment.split("-")[0] + "-" + shipment.split("-")[1], "?"))
        elif kind == "R":
            requirements.add(marking)
        else:
            offers.add(marking)
    return requirements, offers, shipments


@pytest.mark.parametrize("who", NATIONS)
def test_no_answer_or_page_names_a_hidden_record(world: Any, shifted: dict[str, str], who: str) -> None:
    client = Client()
    client.force_login(world.users[who])
    want_requirements, want_offers = EXPECTED[who]
    want_shipments = ALL if who == "UKR" else want_offers
    today = timezone.localdate().isoformat()
    answers = [
        client.get("/api/v1/commitments?limit=100"),
        client.get("/api/v1/decommitments"),
        client.get("/commitments/"),
        client.get("/commitments/?export=csv&table=commitments"),
        client.get("/api/v1/donors/POL/political-shift"),
        client.post(
            "/api/v1/offers/O-public/commitments/preview",
            {"kind": "withdraw", "reason": "x", "effective_on": today},
            content_type="application/json",
        ),
    ]
    for decommitment in client.get("/api/v1/decommitments").json()["items"]:
        answers.append(client.get(f"/api/v1/decommitments/{decommitment['id']}"))
        answers.append(client.get(f"/commitments/{decommitment['id']}/"))
    seen = 0
    for answer in answers:
        assert answer.status_code < 500
        text = b"".join(answer.streaming_content).decode() if answer.streaming else answer.content.decode()
        requirements, offers, shipments = named(text, shifted)
        assert requirements <= want_requirements, (who, answer.request["PATH_INFO"], requirements)
        assert offers <= want_offers, (who, answer.request["PATH_INFO"], offers)
        assert shipments <= want_shipments, (who, answer.request["PATH_INFO"], shipments)
        seen += len(requirements) + len(offers)
    assert seen > 0  # the answers did name what the role may see
