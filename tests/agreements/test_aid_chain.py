"""Agreements: pledged -> committed -> shipped -> received, each counted once; the IATI export."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import typer
from django.db.models import Sum
from django.utils import timezone
from typer.testing import CliRunner

from nsatu.catalog.services import create_item_type
from nsatu.commands.aid import register
from nsatu.core.actors import CLI
from nsatu.nations.iati import iati_xml, validate_iati
from nsatu.nations.models import Pledge
from nsatu.nations.services import create_agreement, create_pledge
from nsatu.offers.services import create_offer
from nsatu.planning.models import Allocation
from nsatu.shipments import services
from nsatu.shipments.aidchain import aid_chains
from nsatu.shipments.models import ItemValue, Shipment
from tests.shipments.builders import approved_run, client_for, handed_over, run_shipments

pytestmark = pytest.mark.django_db

REPO_ROOT = Path(__file__).resolve().parents[2]
IATI_SCHEMA = REPO_ROOT.parent / "shared" / "data" / "iati"
UNIT = Decimal("10000000")


def schema_dir() -> Path:
    if not (IATI_SCHEMA / "iati-activities-schema.xsd").exists():
        pytest.skip(f"the official IATI 2.03 schema is not at {IATI_SCHEMA} (shared data folder absent)")
    return IATI_SCHEMA


@pytest.fixture
def chain_world(world: Any) -> dict[str, Any]:
    """POL pledges two years; two of its offers are committed, one split across lines and shipments."""
    pol = create_agreement(
        actor=CLI, code="POL-UKR", donor=world.nations["POL"], signed=dt.date(2024, 7, 8), duration_years=10
    )
    create_pledge(actor=CLI, agreement=pol, year=2026, amount=Decimal("30000000"), currency="EUR")
    create_pledge(actor=CLI, agreement=pol, year=2027, amount=Decimal("40000000.50"), currency="EUR")
    deu = create_agreement(actor=CLI, code="DEU-UKR", donor=world.nations["DEU"], signed=dt.date(2024, 2, 16))
    create_pledge(actor=CLI, agreement=deu, year=2026, amount=Decimal("7000000000"), currency="EUR")
    services.set_item_value(world.item, actor=CLI, unit_value=UNIT, currency="EUR")
    trucks = create_item_type(actor=CLI, code="TRUCK", name="Truck", family=world.family)
    unvalued = create_offer(
        actor=CLI, code="O-truck", donor=world.nations["POL"], item_type=trucks, quantity=5,
        available_from=dt.date(2027, 1, 4),
    )  # fmt: skip
    run = approved_run(
        world,
        [
            (world.offers["public"], 2, 3),  # the public offer, split across two lines...
            (world.offers["public"], 1, 5),
            (world.offers["coalition"], 2, 3),
            (unvalued, 5, 4),
        ],
    )
    services.create_shipments_for_run(run, actor=CLI)
    first, second, coalition, truck = run_shipments(run)
    part = services.split_shipment(first, 1, actor=CLI)  # ...and one line across two shipments
    day = dt.date(2027, 1, 6)
    for shipment in (first, part, coalition, truck):
        handed_over(shipment, on=day)
    services.receive_shipment(first, actor=CLI, quantity_received=1, on=day)
    services.receive_shipment(part, actor=CLI, quantity_received=1, on=day)
    services.receive_shipment(coalition, actor=CLI, quantity_received=1, on=day)  # one short
    services.receive_shipment(truck, actor=CLI, quantity_received=5, on=day)
    return {"pol": pol, "deu": deu, "run": run, "second": second}


def test_stages_are_kept_apart_and_counted_once(world: Any, chain_world: dict[str, Any]) -> None:
    pol = next(c for c in aid_chains(everything=True) if c.agreement.code == "POL-UKR")
    totals = pol.totals()
    assert totals["pledged"].value == {"EUR": Decimal("70000000.50")}
    # committed: the public offer once (3 units over two lines), the coalition offer, the trucks unvalued
    assert totals["committed"].units == 10 and totals["committed"].offers == {
        "O-public",
        "O-coalition",
        "O-truck",
    }
    assert totals["committed"].value == {"EUR": 5 * UNIT} and totals["committed"].unvalued_units == 5
    assert len([e for e in pol.entries if e.stage == "committed"]) == 3
    # shipped: the split shipment's two parts add up to their line; the unshipped line is not shipped
    assert totals["shipped"].units == 2 + 2 + 5 and totals["shipped"].value == {"EUR": 4 * UNIT}
    assert totals["received"].units == 1 + 1 + 1 + 5 and totals["received"].value == {"EUR": 3 * UNIT}
    assert totals["received"].offers == {"O-public", "O-coalition", "O-truck"}
    years = dict(pol.rows())
    assert years[2027]["received"].value == {"EUR": 3 * UNIT} and years[2026]["pledged"].value == {
        "EUR": Decimal("30000000")
    }


def _db_sums() -> dict[str, dict[str, Decimal]]:
    """Each stage summed straight from the database, per currency."""
    sums: dict[str, dict[str, Decimal]] = defaultdict(dict)
    for row in Pledge.objects.values("currency").annotate(total=Sum("amount")):
        sums["12"][row["currency"]] = row["total"]
    values = {v.item_type_id: v for v in ItemValue.objects.all()}
    for line in Allocation.objects.filter(run__approved_at__isnull=False).select_related("offer"):
        value = values.get(line.offer.item_type_id)
        if value:
            sums["2"][value.currency] = (
                sums["2"].get(value.currency, Decimal(0)) + Decimal(str(line.quantity)) * value.unit_value
            )
    for shipment in Shipment.objects.filter(state="received"):
        value = values.get(shipment.item_type_id)
        if value:
            sums["3"][value.currency] = (
                sums["3"].get(value.currency, Decimal(0))
                + Decimal(str(shipment.quantity_received)) * value.unit_value
            )
    return sums


def _xml_sums(document: bytes) -> dict[str, dict[str, Decimal]]:
    from lxml import etree

    sums: dict[str, dict[str, Decimal]] = defaultdict(dict)
    for transaction in etree.fromstring(document).iter("transaction"):
        kind = transaction.find("transaction-type").get("code")
        value = transaction.find("value")
        currency = value.get("currency")
        sums[kind][currency] = sums[kind].get(currency, Decimal(0)) + Decimal(value.text)
    return sums


def test_iati_export_is_valid_and_sums_equal_the_database(world: Any, chain_world: dict[str, Any]) -> None:
    document = iati_xml(aid_chains(everything=True), recipient=world.nations["UKR"], generated=timezone.now())
    assert validate_iati(document, schema_dir()) == []
    assert _xml_sums(document) == _db_sums()
    text = document.decode()
    assert text.count("<iati-activity ") == 2 and 'recipient-country code="UA"' in text
    assert text.count('<transaction-type code="2"') == 2  # one per valued offer, not per line


def test_invalid_document_is_reported(world: Any) -> None:
    errors = validate_iati(
        b'<iati-activities version="2.03"><iati-activity/></iati-activities>', schema_dir()
    )
    assert errors and "iati-identifier" in " ".join(errors)


def test_cli_writes_a_valid_file(world: Any, chain_world: dict[str, Any], tmp_path: Path) -> None:
    app = typer.Typer()
    register(app)
    app.command("noop")(lambda: None)  # a group of two, so `aid` stays a subcommand
    out = tmp_path / "aid.xml"
    result = CliRunner().invoke(app, ["aid", "iati", str(out), "--schema", str(schema_dir())])
    assert result.exit_code == 0, result.output
    assert "2 agreements, 14 entries" in " ".join(result.output.split())
    assert _xml_sums(out.read_bytes()) == _db_sums()


def test_agreement_pages_show_the_chain_of_what_the_reader_may_see(
    world: Any, chain_world: dict[str, Any]
) -> None:
    coord = client_for(world.users["coordinator"])
    listed = coord.get("/agreements/").content.decode()
    assert "POL-UKR" in listed and "DEU-UKR" in listed and "70,000,000.50 EUR" in listed
    detail = coord.get("/agreements/POL-UKR/").content.decode()
    assert "40,000,000.00 EUR" in detail and "5 unvalued" in detail and "no known value" in detail
    # Norway sees only the public offer's steps: 2 units committed, 1 received
    nor = client_for(world.users["NOR"]).get("/agreements/POL-UKR/").content.decode()
    assert "20,000,000.00 EUR" in nor and "40,000,000.00 EUR" not in nor
    exported = client_for(world.users["NOR"]).get("/agreements/iati.xml")
    assert exported["Content-Type"] == "application/xml"
    assert validate_iati(exported.content, schema_dir()) == []
    assert client_for(world.users["NOR"]).get("/agreements/NOPE/").status_code == 404
