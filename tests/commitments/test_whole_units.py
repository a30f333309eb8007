"""Whole units: the catalog says what is countable; fractions of it are never committed, offered,
split, shipped or received; quantities read in one format per unit; dates of steps make sense."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from nsatu.catalog.models import ItemType
from nsatu.catalog.services import create_item_type, update_item_type
from nsatu.core.actors import CLI
from nsatu.offers.models import Offer
from nsatu.planner.io import read_scenario, write_scenario
from nsatu.planning.adapters import import_scenario, scenario_from_db
from nsatu.planning.models import Allocation, PlanRun, RunStatus
from nsatu.planning.services import PlanningError, approve_plan_run
from nsatu.shipments import services as shipping
from nsatu.shipments.models import Shipment
from tests.commitments.conftest import pol_shipment

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def whole(code: str) -> bool:
    s = scenario_from_db(remaining=False)
    return bool(s.items.is_whole[s.items.index[code]])


def test_the_catalog_says_what_is_counted_whole_and_the_files_carry_it(
    small: dict[str, Any], tmp_path: Path
) -> None:
    family = ItemType.objects.get(code="SHELL").family
    create_item_type(actor=CLI, code="FUEL", name="Diesel", family=family, unit="t", mass_t=1)
    create_item_type(actor=CLI, code="KIT", name="Repair kit", family=family, unit="kits", countable=True)
    assert whole("SHELL") and not whole("FUEL") and whole("KIT")  # rounds by the unit; kits by the catalog
    update_item_type(ItemType.objects.get(code="SHELL"), actor=CLI, countable=False)
    assert not whole("SHELL")
    write_scenario(scenario_from_db(remaining=False), tmp_path / "out")
    text = (tmp_path / "out" / "item_types.csv").read_text(encoding="utf-8")
    header, *rows = text.splitlines()
    assert "countable" in header.split(",")
    column = header.split(",").index("countable")
    values = {row.split(",")[0]: row.split(",")[column] for row in rows}
    assert values == {"FUEL": "", "KIT": "true", "SHELL": "false"}
    # the file read back into another database says the same
    ItemType.objects.filter(code="SHELL").update(countable=None)
    import_scenario(read_scenario(tmp_path / "out"), actor=CLI)
    assert (
        ItemType.objects.get(code="SHELL").countable is False
        and ItemType.objects.get(code="FUEL").countable is None
    )
    assert "countable" not in ItemType.objects.get(code="KIT").extra  # a field, not text kept aside


def test_a_run_with_a_fraction_of_a_countable_unit_is_not_approved(small: dict[str, Any]) -> None:
    from nsatu.logistics.models import Hub
    from nsatu.needs.models import Requirement

    run = PlanRun.objects.create(method="greedy", status=RunStatus.DONE, created_by="test")
    Allocation.objects.create(
        run=run,
        offer=Offer.objects.get(code="O-DEU"),
        requirement=Requirement.objects.get(code="R1"),
        hub=Hub.objects.get(code="RZE"),
        quantity=14285.714,
        arrival_week=2,
    )
    with pytest.raises(PlanningError, match=r"fractions of countable units \(O-DEU: 14,285\.714 rounds\)"):
        approve_plan_run(run, actor=small["coordinator"])


def test_offers_and_receipts_of_countable_items_are_whole_and_dated_sensibly(
    small: dict[str, Any], approved: PlanRun
) -> None:
    pol, ukr = client_for(small["POL"]), client_for(small["UKR"])
    answer = pol.post(
        "/api/v1/offers",
        json.dumps({"id": "O-POL-2", "item_type": "SHELL", "quantity": 2.5, "available_from": "2027-01-04"}),
        content_type="application/json",
    )
    assert answer.status_code == 422 and "2.5 is not a whole number" in answer.json()["errors"]["quantity"][0]
    code = pol_shipment()
    shipment = Shipment.objects.get(code=code)
    for day, words in (("2020-01-01", "before plan run"), ("2031-01-01", "after the plan's horizon")):
        answer = pol.post(f"/api/v1/shipments/{code}/dispatch", {"on": day}, content_type="application/json")
        assert answer.status_code == 422 and words in answer.json()["errors"]["on"][0], answer.content
    shipping.dispatch_shipment(shipment, actor=CLI, on=TODAY)
    shipping.arrive_at_hub(shipment, actor=CLI, on=TODAY)
    shipping.hand_over_shipment(shipment, actor=CLI, on=TODAY)
    receipt = {"quantity_received": 59.86, "on": TODAY.isoformat()}
    answer = ukr.post(f"/api/v1/shipments/{code}/receipt", receipt, content_type="application/json")
    assert answer.status_code == 422
    assert answer.json()["errors"]["quantity_received"] == [
        "155 mm HE is counted in whole units: 59.86 is not a whole number"
    ]
    answer = ukr.post(
        f"/api/v1/shipments/{code}/receipt", {"quantity_received": 61}, content_type="application/json"
    )
    assert (
        answer.status_code == 409 and "61 units received but only 60 were shipped" in answer.json()["detail"]
    )
    early = {"quantity_received": 59, "on": (TODAY - dt.timedelta(days=1)).isoformat()}
    answer = ukr.post(f"/api/v1/shipments/{code}/receipt", early, content_type="application/json")
    assert answer.status_code == 422 and "received on" in answer.json()["errors"]["on"][0]
    answer = ukr.post(
        f"/api/v1/shipments/{code}/receipt", {"quantity_received": 59}, content_type="application/json"
    )
    assert answer.status_code == 200, answer.content
    html = client_for(small["coordinator"]).get(f"/shipments/{code}/").content.decode()
    assert ">60<" in html and "60.00" not in html  # rounds read as whole numbers


def test_the_pages_show_fractions_and_dates_refused_on_their_fields(
    small: dict[str, Any], approved: PlanRun
) -> None:
    code = pol_shipment()
    pol = client_for(small["POL"])
    page = pol.post(f"/shipments/{code}/dispatch/", {"on": "2031-01-01", "serials": ""}, follow=True)
    assert "dispatched on 2031-01-01 is after the plan&#x27;s horizon" in page.content.decode()
    shipment = Shipment.objects.get(code=code)
    shipping.dispatch_shipment(shipment, actor=CLI, on=TODAY)
    shipping.arrive_at_hub(shipment, actor=CLI, on=TODAY)
    shipping.hand_over_shipment(shipment, actor=CLI, on=TODAY)
    shipment.refresh_from_db()
    form = {"quantity_received": "59.86", "damaged": "0", "wrong_item": "0", "version": shipment.version}
    html = client_for(small["UKR"]).post(f"/shipments/{code}/receive/", form).content.decode()
    assert "59.86 is not a whole number" in html
    assert Shipment.objects.get(code=code).state == "handed_over"
