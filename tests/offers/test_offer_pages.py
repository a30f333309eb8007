"""A donor manages its offers in the browser's forms (driven here by Django's client)."""

from __future__ import annotations

import io
from typing import Any

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from nsatu.core.models import Event
from nsatu.offers.models import Offer, OfferStatus

pytestmark = pytest.mark.django_db


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def offer_form(world: Any, **overrides: Any) -> dict[str, Any]:
    data = {
        "code": "O-DEU-1",
        "item_type": world.item.pk,
        "quantity": "3",
        "available_from": "2027-02-01",
        "earmark": "",
        "releasability": "public",
        "note": "",
    }
    data.update(overrides)
    return data


def test_donor_adds_an_offer_for_its_nation(world: Any) -> None:
    client = client_for(world.users["DEU"])
    response = client.post("/offers/new/", offer_form(world))
    assert response.status_code == 302
    offer = Offer.objects.get(code="O-DEU-1")
    assert offer.donor.iso3 == "DEU" and offer.quantity == 3
    assert Event.objects.filter(object_type="offers.offer", object_id=str(offer.pk), action="create").exists()


def test_errors_are_shown_beside_the_field(world: Any) -> None:
    client = client_for(world.users["DEU"])
    response = client.post("/offers/new/", offer_form(world, quantity="2.5"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "counted in whole units" in html and 'class="field has-error"' in html
    response = client.post("/offers/new/", offer_form(world, releasability="nations"))
    assert "Name at least one nation" in response.content.decode()
    assert not Offer.objects.filter(code="O-DEU-1").exists()


def test_second_save_of_a_stale_form_is_refused(world: Any) -> None:
    offer = world.offers["public"]
    seen = offer.version
    pol = client_for(world.users["POL"])
    first = pol.post(
        f"/offers/{offer.code}/edit/", offer_form(world, code=offer.code, quantity="5", version=seen)
    )
    assert first.status_code == 302
    second = pol.post(
        f"/offers/{offer.code}/edit/", offer_form(world, code=offer.code, quantity="7", version=seen)
    )
    assert second.status_code == 200
    assert "changed by someone else" in second.content.decode()
    offer.refresh_from_db()
    assert offer.quantity == 5


def test_a_donor_cannot_touch_another_nations_offer(world: Any) -> None:
    deu = client_for(world.users["DEU"])
    assert deu.get(f"/offers/{world.offers['public'].code}/edit/").status_code == 404
    assert deu.post(f"/offers/{world.offers['public'].code}/withdraw/").status_code == 404


def test_withdraw(world: Any) -> None:
    pol = client_for(world.users["POL"])
    pol.post(f"/offers/{world.offers['public'].code}/withdraw/")
    world.offers["public"].refresh_from_db()
    assert world.offers["public"].status == OfferStatus.WITHDRAWN


def workbook(rows: list[list[Any]]) -> SimpleUploadedFile:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "offers"
    sheet.append(["id", "item_type", "quantity", "available_from", "earmark", "status"])
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return SimpleUploadedFile("offers.xlsx", buffer.getvalue())


def test_workbook_upload_previews_then_imports(world: Any) -> None:
    import datetime as dt

    client = client_for(world.users["DEU"])
    upload = workbook(
        [
            ["O-DEU-10", "PZH2000-A", 2.0, dt.datetime(2027, 3, 1), None, "offered"],
            ["O-DEU-11", "PZH2000-A", 1.0, "2027-04-01", "R-public", None],
        ]
    )
    preview = client.post("/offers/upload/", {"file": upload})
    html = preview.content.decode()
    assert "Confirm 2 offers" in html and not Offer.objects.filter(code__startswith="O-DEU-1").exists()
    token = client.session["offer_upload"]["token"]
    done = client.post("/offers/upload/", {"confirm": token})
    assert done.status_code == 302
    imported = {o.code: o for o in Offer.objects.filter(donor__iso3="DEU")}
    assert set(imported) == {"O-DEU-10", "O-DEU-11"}
    assert imported["O-DEU-11"].earmark is not None and imported["O-DEU-11"].earmark.code == "R-public"


def test_workbook_with_one_bad_row_imports_nothing_and_names_each_error(world: Any) -> None:
    client = client_for(world.users["DEU"])
    upload = workbook(
        [
            ["O-DEU-20", "PZH2000-A", 2, "2027-03-01", None, None],
            ["O-DEU-21", "NOPE", 0, "not a date", "R-missing", "maybe"],
            ["O-public", "PZH2000-A", 1.5, "2027-03-01", None, None],
        ]
    )
    html = client.post("/offers/upload/", {"file": upload}).content.decode()
    for expected in [
        "offers, row 3, column item_type",
        "offers, row 3, column quantity",
        "offers, row 3, column available_from",
        "offers, row 3, column earmark",
        "offers, row 3, column status",
        "offers, row 4, column id: O-public is another nation",
    ]:
        assert expected in html, expected
    assert "nothing was saved" in html
    assert "offer_upload" not in client.session
    assert not Offer.objects.filter(donor__iso3="DEU").exists()


def test_upload_refuses_other_file_types(world: Any) -> None:
    client = client_for(world.users["DEU"])
    html = client.post("/offers/upload/", {"file": SimpleUploadedFile("x.exe", b"MZ")}).content.decode()
    assert "upload a .xlsx workbook or a .csv file" in html
