"""The agreements' aid chain through the API: pledged against committed, shipped and received,
counted from what is releasable to the caller, as on the agreement pages; the IATI export."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from nsatu.core.actors import CLI
from nsatu.nations.iati import default_recipient, iati_xml
from nsatu.nations.services import create_agreement, create_pledge
from nsatu.shipments import services
from nsatu.shipments.aidchain import aid_chains
from tests.api.conftest import ROLES, ApiClient
from tests.shipments.builders import client_for, handed_over, shipments_for

pytestmark = pytest.mark.django_db

DAY = dt.date(2027, 1, 6)
# Offers (and so shipments) each role may see; see test_releasability.
SEEN = {
    "DEU": {"public", "coalition"},
    "FRA": {"public", "listed"},
    "NOR": {"public"},
    "POL": {"public", "coalition", "listed", "command"},
    "UKR": {"public"},
    "coordinator": {"public", "coalition", "listed", "command"},
    "leadership": {"public", "coalition", "listed", "command"},
    "auditor": {"public", "coalition", "listed", "command"},
}
assert set(SEEN) == set(ROLES)
# Shipments follow their offers, but the recipient sees every shipment sent to it.
SHIPMENTS_SEEN = {**SEEN, "UKR": SEEN["POL"]}


@pytest.fixture
def chain(world: Any) -> dict[str, Any]:
    """POL pledges 30 M EUR for 2027; each of its four offers is committed, shipped and received."""
    agreement = create_agreement(
        actor=CLI, code="POL-UKR", donor=world.nations["POL"], signed=dt.date(2024, 7, 8)
    )
    pledge = create_pledge(
        actor=CLI, agreement=agreement, year=2027, amount=Decimal("30000000"), currency="EUR"
    )
    create_agreement(actor=CLI, code="DEU-UKR", donor=world.nations["DEU"], signed=dt.date(2024, 2, 16))
    services.set_item_value(world.item, actor=CLI, unit_value=Decimal("1000000.50"), currency="EUR")
    made = shipments_for(world, [(offer, 2, 3) for offer in world.offers.values()])
    for shipment in made:
        handed_over(shipment, on=DAY)
        services.receive_shipment(shipment, actor=CLI, quantity_received=2, on=DAY)
    return {"pledge": pledge, "shipments": {s.offer.code.split("-", 1)[1]: s.code for s in made}}


@pytest.mark.parametrize("who", ROLES)
def test_the_chain_counts_what_the_caller_may_see(
    world: Any, api: dict[str, ApiClient], chain: dict[str, Any], who: str
) -> None:
    seen, shipped = SEEN[who], SHIPMENTS_SEEN[who]
    listed = api[who].get("/aid-chains").json()
    assert listed["count"] == 2 and [c["agreement"] for c in listed["items"]] == ["DEU-UKR", "POL-UKR"]
    pol = api[who].get("/aid-chains/POL-UKR").json()
    assert pol["agreement"] == "POL-UKR" and pol["donor"] == "POL" and pol["signed"] == "2024-07-08"
    assert pol["totals"]["pledged"] == {
        "units": 0.0,
        "offers": 0,
        "value": {"EUR": "30000000.00"},
        "unvalued_units": 0.0,
    }
    for stage, visible in (("committed", seen), ("shipped", shipped), ("received", shipped)):
        assert pol["totals"][stage] == {
            "units": 2.0 * len(visible),
            "offers": len(visible),
            "value": {"EUR": f"{Decimal('2000001.00') * len(visible):.2f}"},
            "unvalued_units": 0.0,
        }, stage
    assert listed["items"][1]["totals"] == pol["totals"]
    # Only the caller's visible offers and shipments appear among the entries.
    refs = {e["ref"] for e in pol["entries"]}
    assert refs == (
        {f"pledge-{chain['pledge'].pk}"}
        | {f"offer-O-{marking}" for marking in seen}
        | {
            ref
            for marking in shipped
            for ref in (f"shipment-{chain['shipments'][marking]}", f"receipt-{chain['shipments'][marking]}")
        }
    )
    # The same figures as the pages' aid chain for this user.
    (expected,) = [c for c in aid_chains(world.users[who]) if c.agreement.code == "POL-UKR"]
    assert [row["year"] for row in pol["years"]] == expected.years()
    # The IATI export leaves out what the caller may not see.
    iati = api[who].get("/iati-activities")
    assert iati.status_code == 200 and iati["Content-Type"] == "application/xml"
    root = ET.fromstring(iati.content)
    transactions = {t.get("ref") for t in root.iter("transaction")}
    assert transactions == {
        r for r in refs if not r.startswith("shipment-")
    }  # shipped is no IATI transaction
    assert api[who].get("/aid-chains/NOPE").json() == {"detail": "no agreement 'NOPE'"}


def test_filters_and_the_export_match_the_page(world: Any, api: dict[str, ApiClient], chain: Any) -> None:
    coord = api["coordinator"]
    assert [c["agreement"] for c in coord.get("/aid-chains", donor="pol").json()["items"]] == ["POL-UKR"]
    assert coord.get("/aid-chains", donor="NOR").json() == {"items": [], "count": 0}
    years = coord.get("/aid-chains/POL-UKR").json()["years"]
    # Committed the day the plan was approved (today); pledged, shipped and received in 2027.
    assert [row["year"] for row in years] == sorted({timezone.localdate().year, 2027})
    (year_2027,) = [row for row in years if row["year"] == 2027]
    assert year_2027["received"]["units"] == 8.0 and year_2027["pledged"]["value"] == {"EUR": "30000000.00"}
    deu = coord.get("/aid-chains/DEU-UKR").json()
    assert deu["entries"] == [] and deu["years"] == []
    only_pol = ET.fromstring(coord.get("/iati-activities", donor="POL").content)
    assert [a.findtext("iati-identifier") for a in only_pol.iter("iati-activity")] == ["XM-NSATU-POL-POL-UKR"]
    # The page's document and the API's carry the same activities and transactions.
    page = client_document(world)
    api_document = ET.fromstring(coord.get("/iati-activities").content)
    assert _transactions(api_document) == _transactions(page)


def client_document(world: Any) -> ET.Element:
    response = client_for(world.users["coordinator"]).get("/agreements/iati.xml")
    assert response.status_code == 200
    return ET.fromstring(response.content)


def _transactions(root: ET.Element) -> list[tuple[str | None, str | None]]:
    return sorted(
        (activity.findtext("iati-identifier"), transaction.get("ref"))
        for activity in root.iter("iati-activity")
        for transaction in activity.iter("transaction")
    )


def test_the_export_is_the_documents_builder(world: Any, api: dict[str, ApiClient], chain: Any) -> None:
    """No second implementation: the API serves `iati_xml` over `aid_chains` for the caller."""
    expected = ET.fromstring(iati_xml(aid_chains(world.users["NOR"]), recipient=default_recipient()))
    assert _transactions(ET.fromstring(api["NOR"].get("/iati-activities").content)) == _transactions(expected)
