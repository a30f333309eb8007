"""The app pages' lists: each filters, searches, pages and exports (CSV, Excel) the rows its filters select.

The releasability of every one of these exports is in tests/core/test_releasability.py;
here, what the filters, pages and columns do.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from nsatu.core.actors import CLI
from tests.core.test_releasability import Moving, build_moving, csv_rows
from tests.dashboards.conftest import client_for
from tests.dashboards.test_lists_exports import read_csv, read_xlsx

pytestmark = pytest.mark.django_db


@pytest.fixture
def moving(world: Any) -> Moving:
    return build_moving(world)


def codes(rows: list[dict[str, str]], column: str) -> list[str]:
    return sorted(row[column] for row in rows)


def test_my_offers_and_where_they_go_filter_page_and_export_apart(moving: Moving, monkeypatch: Any) -> None:
    client = client_for(moving.world.users["POL"])
    allocated = csv_rows(client.get("/offers/mine/?status=allocated&export=csv&table=my-offers"))
    assert codes(allocated, "Id") == ["O-coalition", "O-command", "O-listed", "O-public"]
    assert allocated[0]["Family"] == "PZH2000" and "Releasability" in allocated[0]
    assert csv_rows(client.get("/offers/mine/?status=offered&export=csv")) == []
    # POL may see only the public requirement: its other lines are not listed, not even as a code.
    lines = csv_rows(client.get("/offers/mine/?export=csv&table=offer-destinations"))
    assert codes(lines, "Requirement") == ["R-public", "R-public"]
    start = timezone.localdate() - dt.timedelta(weeks=10)
    assert {row["Arrives"] for row in lines} == {start.isoformat()}
    assert {row["Plan run"] for row in lines} == {str(moving.run.pk)}
    # One table's filter leaves the other alone.
    html = client.get("/offers/mine/?lines-offer=O-command").content.decode()
    offers_part, lines_part = html.split('id="offer-destinations"')
    assert ">O-command<" in offers_part and ">O-public<" in offers_part
    assert ">O-public<" not in lines_part
    monkeypatch.setattr("nsatu.dashboards.lists.PAGE_SIZE", 1)
    html = client.get("/offers/mine/?page=2").content.decode()
    assert "Page 2 of 4" in html and "Page 1 of 2" in html  # the offers on page 2; the lines on their page 1
    assert "?page=2&amp;lines-page=2" in html


def test_shipments_filter_search_page_and_export(moving: Moving, monkeypatch: Any) -> None:
    client = client_for(moving.world.users["coordinator"])
    dispatched = csv_rows(client.get("/shipments/?state=dispatched&export=csv"))
    assert len(dispatched) == 4 and {row["State"] for row in dispatched} == {"dispatched"}
    assert {row["Days late"] for row in dispatched} == {"70"}  # planned ten weeks ago, not received
    assert {row["Recipient"] for row in dispatched} == {"UKR"}
    late = read_xlsx(client.get("/shipments/?late=on&export=xlsx"))
    assert len(late) == 9 and late[0][0] == "Code"
    assert codes(csv_rows(client.get("/shipments/?q=O-listed&export=csv")), "Offer") == [
        "O-listed",
        "O-listed",
    ]
    monkeypatch.setattr("nsatu.dashboards.lists.PAGE_SIZE", 3)
    html = client.get("/shipments/?state=handed_over").content.decode()
    assert "Page 1 of 2" in html and "state=handed_over&amp;page=2" in html
    assert "state=handed_over&amp;export=csv&amp;table=shipments" in html


def test_slipped_overdue_and_receipts_filter_and_export(moving: Moving) -> None:
    client = client_for(moving.world.users["coordinator"])
    slipped = csv_rows(client.get(f"/shipments/slipped/?run={moving.run.pk}&export=csv"))
    assert len(slipped) == 8 and {row["Plan run"] for row in slipped} == {str(moving.run.pk)}
    assert csv_rows(client.get("/shipments/slipped/?donor=DEU&export=csv")) == []
    overdue = csv_rows(client.get("/shipments/inventory-overdue/?days=30&export=csv"))
    assert sorted(row["Serial"] for row in overdue)[:2] == ["SN-COALITION-1", "SN-COALITION-2"]
    # the plan wanted them ten weeks ago (they left 40 days ago): overdue counts from the plan
    assert {row["Days past planned arrival"] for row in overdue} == {"70"}
    assert csv_rows(client.get("/shipments/inventory-overdue/?days=71&export=csv")) == []
    assert len(read_xlsx(client.get("/shipments/inventory-overdue/?days=30&donor=POL&export=xlsx"))) == 9
    confirm = csv_rows(client.get("/shipments/receipts/?export=csv&table=receipts-to-confirm"))
    way = csv_rows(client.get("/shipments/receipts/?export=csv&table=receipts-on-the-way"))
    assert {row["State"] for row in confirm} == {"handed_over"} and len(confirm) == 4
    assert {row["State"] for row in way} == {"dispatched"} and len(way) == 4
    # The code finder's text is not carried into the tables' links.
    html = client.get("/shipments/receipts/?code=NOPE").content.decode()
    assert "No shipment NOPE for you." in html and "code=NOPE&amp;export" not in html


def test_training_cohorts_and_readiness_filter_and_export(moving: Moving) -> None:
    from nsatu.training.services import create_cohort, create_course

    world = moving.world
    course = create_course(
        actor=CLI,
        code="PZH-CREW",
        family=world.family,
        host=world.nations["DEU"],
        seats=20,
        start=dt.date(2027, 1, 4),
        duration_weeks=8,
    )
    create_cohort(course, actor=CLI)
    create_course(
        actor=CLI,
        code="PZH-LATER",
        family=world.family,
        host=world.nations["POL"],
        seats=10,
        start=dt.date(2027, 6, 7),
        duration_weeks=8,
    )
    client = client_for(world.users["NOR"])
    cohorts = csv_rows(client.get("/training/?export=csv"))
    assert [(row["Course"], row["Host"], row["Seats offered"]) for row in cohorts] == [
        ("PZH-CREW", "DEU", "20.0")
    ]
    assert csv_rows(client.get("/training/?graduated=yes&export=csv")) == []
    assert csv_rows(client.get("/training/?host=POL&export=csv")) == []
    waiting = csv_rows(client.get("/training/?export=csv&table=courses-without-cohort"))
    assert [row["Course"] for row in waiting] == ["PZH-LATER"]
    html = client.get("/training/").content.decode()
    assert "Courses with no cohort yet" in html and "PZH-LATER" in html
    assert "export=xlsx&amp;table=cohorts" in html
    # 2 units of a 5-person crew per visible shipment, no crew trained: flagged.
    (flagged,) = csv_rows(client.get("/training/readiness/?flagged=yes&export=csv"))
    assert flagged["Family"] == "PZH2000" and int(flagged["Weeks with units and no crew"]) > 0
    assert csv_rows(client.get("/training/readiness/?flagged=no&export=csv")) == []
    assert csv_rows(client.get("/training/readiness/?q=nasams&export=csv")) == []


def test_agreements_and_their_entries_export(moving: Moving) -> None:
    client = client_for(moving.world.users["coordinator"])
    (agreement,) = csv_rows(client.get("/agreements/?donor=POL&export=csv"))
    assert agreement["Donor"] == "POL" and agreement["Signed"] == "2024-07-08"
    assert csv_rows(client.get("/agreements/?donor=DEU&export=csv")) == []
    assert csv_rows(client.get("/agreements/?q=ukr&export=csv"))[0]["Agreement"] == "POL-UKR"
    entries = csv_rows(client.get("/agreements/POL-UKR/?export=csv"))
    stages = sorted(row["Stage"] for row in entries)
    assert stages.count("pledged") == 1 and stages.count("committed") == 4 and stages.count("shipped") == 8
    pledge = next(row for row in entries if row["Stage"] == "pledged")
    assert (pledge["Value"], pledge["Currency"]) == ("100.0", "EUR")


def test_stress_runs_filter_and_export(moving: Moving) -> None:
    from nsatu.stress.models import StressRun

    StressRun.objects.create(kind="delays", created_by="coord", status="done")
    client = client_for(moving.world.users["leadership"])
    assert [row["Test"] for row in csv_rows(client.get("/stress/?export=csv"))] == ["delays", "withdrawal"]
    assert [row["Status"] for row in csv_rows(client.get("/stress/?kind=delays&export=csv"))] == ["done"]
    table = read_csv(client.get("/stress/?status=queued&export=csv"))
    assert table[0][:2] == ["Run", "Test"] and [row[1] for row in table[1:]] == ["withdrawal"]
