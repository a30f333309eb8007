"""List pages, filters and sorting; CSV/Excel exports holding exactly the rows the reader may see."""

from __future__ import annotations

import csv
import io
from typing import Any

import openpyxl
import pytest

from nsatu.core.exports import export_response
from tests.dashboards.conftest import client_for

pytestmark = pytest.mark.django_db


def read_csv(response: Any) -> list[list[str]]:
    body = b"".join(response.streaming_content)
    assert body.startswith(b"\xef\xbb\xbf"), "Excel needs the UTF-8 BOM to read Cyrillic"
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def read_xlsx(response: Any) -> list[list[Any]]:
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    workbook = openpyxl.load_workbook(io.BytesIO(response.content), read_only=True)
    return [list(row) for row in workbook.active.iter_rows(values_only=True)]


def first_column(table: list[list[Any]]) -> list[Any]:
    return sorted(row[0] for row in table[1:])


@pytest.mark.parametrize(
    ("user", "offers"),
    [
        ("coordinator", ["O-ad", "O-coalition", "O-command", "O-listed", "O-public"]),
        ("DEU", ["O-ad", "O-coalition", "O-public"]),
        ("FRA", ["O-ad", "O-listed", "O-public"]),
        ("NOR", ["O-ad", "O-public"]),
    ],
)
def test_offer_exports_hold_exactly_the_visible_rows(planned: Any, user: str, offers: list[str]) -> None:
    client = client_for(planned.world.users[user])
    assert first_column(read_csv(client.get("/lists/offers/export.csv"))) == offers
    assert first_column(read_xlsx(client.get("/lists/offers/export.xlsx"))) == offers
    page = client.get("/lists/offers/").content.decode()
    assert all(code in page for code in offers)
    assert all(f">{code}<" not in page for code in {"O-command", "O-listed", "O-coalition"} - set(offers))


@pytest.mark.parametrize(
    ("user", "requirements"),
    [
        ("leadership", ["R-ad", "R-coalition", "R-command", "R-listed", "R-public"]),
        ("DEU", ["R-ad", "R-coalition", "R-public"]),
        ("POL", ["R-ad", "R-public"]),
    ],
)
def test_requirement_exports_hold_exactly_the_visible_rows(
    planned: Any, user: str, requirements: list[str]
) -> None:
    client = client_for(planned.world.users[user])
    assert first_column(read_csv(client.get("/lists/requirements/export.csv"))) == requirements
    assert first_column(read_xlsx(client.get("/lists/requirements/export.xlsx"))) == requirements


def test_export_follows_the_page_filters_across_all_pages(planned: Any) -> None:
    client = client_for(planned.world.users["coordinator"])
    table = read_csv(client.get("/lists/requirements/export.csv?capability=artillery_sp&q=lis"))
    assert first_column(table) == ["R-listed"]
    table = read_xlsx(client.get("/lists/requirements/export.xlsx?priority=1"))
    assert first_column(table) == ["R-ad"]
    header = table[0]
    assert header[:3] == ["Id", "Title", "Recipient"]
    row = dict(zip(header, table[1], strict=True))
    assert row["Quantity"] == 3 and str(row["Needed by"]).startswith("2027-02-01")


def test_filters_and_sorting_on_the_offer_page(planned: Any) -> None:
    client = client_for(planned.world.users["coordinator"])
    assert first_column(read_csv(client.get("/lists/offers/export.csv?donor=DEU"))) == ["O-ad"]
    assert first_column(read_csv(client.get("/lists/offers/export.csv?capability=air_defence_medium"))) == [
        "O-ad"
    ]
    descending = read_csv(client.get("/lists/offers/export.csv?sort=-id"))
    assert [r[0] for r in descending[1:]] == ["O-public", "O-listed", "O-command", "O-coalition", "O-ad"]
    page = client.get("/lists/offers/?sort=id").content.decode()
    assert 'aria-sort="ascending"' in page and "sort=-id" in page
    assert "/lists/offers/export.xlsx?sort=id" in page


def test_an_earmark_to_a_hidden_requirement_is_not_named(planned: Any) -> None:
    from nsatu.core.actors import CLI
    from nsatu.offers.services import create_offer

    world = planned.world
    create_offer(
        actor=CLI,
        code="O-earmarked",
        donor=world.nations["POL"],
        item_type=world.item,
        quantity=1,
        available_from=world.offers["public"].available_from,
        earmark=world.requirements["command"],
    )
    as_coordinator = read_csv(
        client_for(world.users["coordinator"]).get("/lists/offers/export.csv?q=earmarked")
    )
    as_donor = read_csv(client_for(world.users["DEU"]).get("/lists/offers/export.csv?q=earmarked"))
    column = as_coordinator[0].index("Earmark")
    assert as_coordinator[1][column] == "R-command"
    assert as_donor[1][0] == "O-earmarked" and as_donor[1][column] == ""


@pytest.mark.parametrize("name", ["nations", "families", "item-types", "hubs", "courses"])
def test_reference_lists_render_and_export(planned: Any, name: str) -> None:
    client = client_for(planned.world.users["DEU"])
    assert client.get(f"/lists/{name}/").status_code == 200
    assert len(read_csv(client.get(f"/lists/{name}/export.csv"))) >= 1
    assert len(read_xlsx(client.get(f"/lists/{name}/export.xlsx"))) >= 1


def test_reference_list_filters(planned: Any) -> None:
    client = client_for(planned.world.users["UKR"])
    assert first_column(read_csv(client.get("/lists/nations/export.csv?nato=no"))) == ["UKR"]
    assert first_column(read_csv(client.get("/lists/nations/export.csv?eu=yes&q=an"))) == [
        "DEU",
        "FRA",
        "POL",
    ]
    assert first_column(read_csv(client.get("/lists/families/export.csv?in_service=no"))) == ["IRIST"]
    hubs = read_xlsx(client.get("/lists/hubs/export.xlsx?sort=-capacity"))
    assert [r[0] for r in hubs[1:]] == ["RZE", "CTA"]
    assert hubs[1][1] == "Rzeszów"  # not mangled


def test_unknown_list_or_format_is_404(planned: Any) -> None:
    client = client_for(planned.world.users["coordinator"])
    assert client.get("/lists/secrets/").status_code == 404
    assert client.get("/lists/offers/export.pdf").status_code == 404


def test_anonymous_cannot_export(planned: Any) -> None:
    from django.test import Client

    assert Client().get("/lists/offers/export.csv").status_code == 302


def test_export_response_writes_cyrillic_dates_and_defuses_formulas() -> None:
    import datetime as dt

    rows = [["Київ", dt.date(2027, 1, 4), 2.5, True, '=HYPERLINK("x")'], ["-1+1", None, 3, False, "@SUM"]]
    columns = ["Місто", "Дата", "Кількість", "Так", "Текст"]
    text = read_csv(export_response(rows, columns, "тест", "csv"))
    assert text[0] == columns
    assert text[1] == ["Київ", "2027-01-04", "2.5", "TRUE", '\'=HYPERLINK("x")']
    assert text[2][0] == "'-1+1" and text[2][4] == "'@SUM"
    response = export_response(rows, columns, "тест", "xlsx")
    sheet = read_xlsx(response)
    assert sheet[0] == columns
    cell = openpyxl.load_workbook(io.BytesIO(response.content)).active["E2"]
    assert cell.data_type == "s"  # a string cell: Excel shows the text and runs nothing
    assert sheet[1][:4] == ["Київ", dt.datetime(2027, 1, 4), 2.5, True]
    assert sheet[1][4] == '=HYPERLINK("x")'  # kept as text, never a formula
    assert sheet[2][0] == "-1+1"
    with pytest.raises(ValueError, match="unknown export format"):
        export_response(rows, columns, "x", "pdf")
