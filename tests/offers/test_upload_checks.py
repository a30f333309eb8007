"""An offers upload: a workbook is checked against zip bombs before it is opened; commitments bind."""

from __future__ import annotations

import io
import zipfile
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from nsatu.offers.models import Offer, OfferStatus
from nsatu.offers.upload import read_offer_upload
from tests.shipments.builders import approved_run

pytestmark = pytest.mark.django_db


def zip_bomb() -> bytes:
    """50 MB of zeros deflated to about 50 kB: far above the 100 to 1 ratio a workbook may have."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/worksheets/sheet1.xml", bytes(50_000_000))
    return buffer.getvalue()


@pytest.fixture
def calamine_must_not_open(monkeypatch: pytest.MonkeyPatch) -> None:
    from python_calamine import CalamineWorkbook

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("the workbook was opened")

    monkeypatch.setattr(CalamineWorkbook, "from_filelike", refuse)


def test_a_zip_bomb_is_refused_before_calamine_opens_it(world: Any, calamine_must_not_open: None) -> None:
    result = read_offer_upload("bomb.xlsx", zip_bomb(), donor_iso3="POL")
    assert not result.rows
    (error,) = result.errors
    assert (
        error.startswith("bomb.xlsx: the workbook is compressed ")
        and "refused as a possible zip bomb" in error
    )


def test_bytes_that_are_no_zip_archive_are_refused_before_calamine(
    world: Any, calamine_must_not_open: None
) -> None:
    (error,) = read_offer_upload("offers.xlsx", b"not a workbook", donor_iso3="POL").errors
    assert error.startswith("offers.xlsx: not a readable .xlsx workbook (not a valid zip archive")


def test_a_csv_upload_is_not_taken_for_a_workbook(world: Any, calamine_must_not_open: None) -> None:
    text = "id,item_type,quantity,available_from\nO-POL-1,PZH2000-A,1,2027-03-01\n"
    result = read_offer_upload("offers.csv", text.encode(), donor_iso3="POL")
    assert result.errors == [] and [row.code for row in result.rows] == ["O-POL-1"]


def test_the_upload_page_shows_the_refusal_and_saves_nothing(world: Any) -> None:
    client = Client()
    client.force_login(world.users["DEU"])
    upload = SimpleUploadedFile("bomb.xlsx", zip_bomb())
    html = client.post("/offers/upload/", {"file": upload}).content.decode()
    assert "refused as a possible zip bomb" in html
    assert "offer_upload" not in client.session
    assert not Offer.objects.filter(donor__iso3="DEU").exists()


def test_an_upload_may_not_set_an_offer_below_what_is_committed(world: Any) -> None:
    approved_run(world, [(world.offers["public"], 2, 3)])
    text = "id,item_type,quantity,available_from\nO-public,PZH2000-A,1,2027-03-01\n"
    (error,) = read_offer_upload("offers.csv", text.encode(), donor_iso3="POL").errors
    assert error == (
        "offers.csv, row 2, column quantity: approved plans have committed 2 of O-public; "
        "the quantity cannot be less"
    )


def test_an_upload_of_a_committed_offer_keeps_it_allocated(world: Any) -> None:
    approved_run(world, [(world.offers["public"], 2, 3)])
    client = Client()
    client.force_login(world.users["POL"])
    text = "id,item_type,quantity,available_from,status\nO-public,PZH2000-A,2,2027-03-01,offered\n"
    client.post("/offers/upload/", {"file": SimpleUploadedFile("offers.csv", text.encode())})
    done = client.post("/offers/upload/", {"confirm": client.session["offer_upload"]["token"]})
    assert done.status_code == 302
    offer = Offer.objects.get(code="O-public")
    assert offer.status == OfferStatus.ALLOCATED and offer.available_from.isoformat() == "2027-03-01"
