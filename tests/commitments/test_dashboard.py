"""The leadership dashboard shows what is true: commitments as they stand, shipped and received;
a later unapproved run only as proposed."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from nsatu.commitments.services import decommit_offer
from nsatu.core.actors import CLI
from nsatu.dashboards import charts
from nsatu.offers.models import Offer
from nsatu.planning.models import PlanRun
from nsatu.shipments import services as shipping
from nsatu.shipments.models import Shipment
from tests.commitments.conftest import planned

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def page(user: Any) -> tuple[str, dict[str, Any]]:
    client = Client()
    client.force_login(user)
    html = client.get("/dashboard/").content.decode()
    start = html.index('<script id="dashboard-figures" type="application/json">')
    return html, json.loads(html[start:].split(">", 1)[1].split("</script>", 1)[0])


def standing(user: Any) -> tuple[float, float, float, float, float]:
    (row,) = charts.standing_by_capability(user, charts.latest_proposed_run())
    return row.required, row.committed, row.shipped, row.received, row.proposed


def test_commitments_not_the_latest_run(small: dict[str, Any], approved: PlanRun) -> None:
    lead = small["leadership"]
    assert standing(lead) == (150, 150, 0, 0, 0)
    second = planned()  # what is left: nothing open; a proposal with no lines
    html, data = page(lead)
    assert f"Plan run #{second.pk}" in html and "is proposed, not approved" in html
    (trace,) = data["fulfilment"]["data"]
    assert trace["name"] == "ammo_155" and trace["y"][-1] == 1.0  # still all committed, not 0 %
    decommit_offer(
        Offer.objects.get(code="O-POL"),
        actor=CLI,
        kind="withdraw",
        quantity=20,
        reason="x",
        effective_on=TODAY,
    )
    assert standing(lead)[1] == 130
    deu = Shipment.objects.filter(offer__code="O-DEU").order_by("code").first()
    assert deu is not None
    shipping.dispatch_shipment(deu, actor=CLI, on=TODAY)
    shipping.arrive_at_hub(deu, actor=CLI, on=TODAY)
    shipping.hand_over_shipment(deu, actor=CLI, on=TODAY)
    shipping.receive_shipment(deu, actor=CLI, quantity_received=deu.quantity - 1, on=TODAY)
    _required, committed, shipped, received, _proposed = standing(lead)
    assert (committed, shipped, received) == (130, deu.quantity, deu.quantity - 1)
    third = planned()  # now R1 asks for 20 again: the proposal offers them, but only as proposed
    assert standing(lead)[4] == 20 and standing(lead)[1] == 130
    html, data = page(lead)
    assert f"Plan run #{third.pk}" in html and ">+20<" in html
