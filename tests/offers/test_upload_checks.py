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


# --- the API's rules: releasability of earmarks, markings, limits ---------------------------------


def _csv(*rows: str, header: str = "id,item_type,quantity,available_from,earmark") -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode()


def test_a_hidden_earmark_is_answered_exactly_like_an_unknown_one(world: Any) -> None:
    """POL sees only R-public: R-command (hidden) and R-nowhere (missing) read the same, as in the API."""
    from tests.api.conftest import token_clients

    content = _csv("O-POL-7,PZH2000-A,1,2027-03-01,R-command", "O-POL-8,PZH2000-A,1,2027-03-01,R-nowhere")
    result = read_offer_upload("offers.csv", content, donor_iso3="POL", reader=world.users["POL"])
    assert result.rows == []
    assert result.errors == [
        "offers.csv, row 2, column earmark: no requirement 'R-command'",
        "offers.csv, row 3, column earmark: no requirement 'R-nowhere'",
    ]
    api = token_clients(world)["POL"]
    for code in ("R-command", "R-nowhere"):
        body = {"id": "O-POL-9", "item_type": "PZH2000-A", "quantity": 1, "available_from": "2027-03-01"}
        answer = api.post("/offers", {**body, "earmark": code})
        assert answer.json()["errors"] == {"earmark": [f"no requirement '{code}'"]}
    # what the uploader may see is taken
    seen = read_offer_upload(
        "offers.csv",
        _csv("O-POL-7,PZH2000-A,1,2027-03-01,R-public"),
        donor_iso3="POL",
        reader=world.users["POL"],
    )
    assert seen.errors == [] and seen.rows[0].earmark == world.requirements["public"]


def test_an_upload_earmarked_for_a_command_only_requirement_creates_nothing(world: Any) -> None:
    client = Client()
    client.force_login(world.users["DEU"])
    upload = SimpleUploadedFile("offers.csv", _csv("O-DEU-1,PZH2000-A,1,2027-03-01,R-command"))
    html = client.post("/offers/upload/", {"file": upload}).content.decode()
    assert "column earmark: no requirement &#x27;R-command&#x27;" in html and "nothing was saved" in html
    assert "offer_upload" not in client.session
    assert not Offer.objects.filter(code="O-DEU-1").exists()


def test_the_releasability_column_marks_each_offer(world: Any) -> None:
    from nsatu.offers.services import update_offer

    update_offer(world.offers["listed"], actor=world.users["POL"], note="kept")  # listed for FRA
    client = Client()
    client.force_login(world.users["POL"])
    rows = [
        "O-POL-1,PZH2000-A,1,2027-03-01,,public",
        "O-POL-2,PZH2000-A,1,2027-03-01,,coalition",
        "O-POL-3,PZH2000-A,1,2027-03-01,,nations:fra;NOR",
        "O-POL-4,PZH2000-A,1,2027-03-01,,command-only",
        "O-POL-5,PZH2000-A,1,2027-03-01,,",
        "O-listed,PZH2000-A,2,2027-01-04,,",
    ]
    upload = SimpleUploadedFile(
        "offers.csv", _csv(*rows, header="id,item_type,quantity,available_from,earmark,releasability")
    )
    preview = client.post("/offers/upload/", {"file": upload}).content.decode()
    assert "<td>nations:FRA;NOR</td>" in preview and "<td>command-only</td>" in preview
    assert (
        client.post("/offers/upload/", {"confirm": client.session["offer_upload"]["token"]}).status_code
        == 302
    )
    offers = {o.code: o for o in Offer.objects.filter(donor__iso3="POL").prefetch_related("releasable_to")}
    marked = {
        code: (o.releasability, sorted(n.iso3 for n in o.releasable_to.all())) for code, o in offers.items()
    }
    assert marked["O-POL-1"] == ("public", [])
    assert marked["O-POL-2"] == ("coalition", [])
    assert marked["O-POL-3"] == ("nations", ["FRA", "NOR"])
    assert marked["O-POL-4"] == ("command-only", [])
    assert marked["O-POL-5"] == ("public", [])  # an empty cell: a new offer is public
    assert marked["O-listed"] == ("nations", ["FRA"])  # and an existing one keeps its marking


def test_a_bad_marking_is_named_with_its_row(world: Any) -> None:
    header = "id,item_type,quantity,available_from,releasability"
    content = _csv(
        "O-POL-1,PZH2000-A,1,2027-03-01,secret",
        "O-POL-2,PZH2000-A,1,2027-03-01,nations:XXX;FRA",
        "O-POL-3,PZH2000-A,1,2027-03-01,nations:",
        header=header,
    )
    result = read_offer_upload("offers.csv", content, donor_iso3="POL", reader=world.users["POL"])
    assert result.errors == [
        "offers.csv, row 2, column releasability: 'secret' is not public, coalition, "
        "nations:AAA;BBB or command-only",
        "offers.csv, row 3, column releasability: no nation 'XXX'",
        "offers.csv, row 4, column releasability: name the nations after nations: (nations:POL;DEU)",
    ]


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_a_file_of_too_many_rows_is_refused_before_its_rows_are_read(
    world: Any, settings: Any, kind: str
) -> None:
    import openpyxl

    settings.NSATU_UPLOAD_MAX_ROWS = 5
    rows = [f"O-POL-{i},PZH2000-A,1,2027-03-01," for i in range(6)]
    content = _csv(*rows)
    if kind == "xlsx":
        book = openpyxl.Workbook()
        sheet = book.active
        assert sheet is not None
        sheet.title = "offers"
        for line in content.decode().splitlines():
            sheet.append(line.split(","))
        buffer = io.BytesIO()
        book.save(buffer)
        content = buffer.getvalue()
    result = read_offer_upload(f"offers.{kind}", content, donor_iso3="POL", reader=world.users["POL"])
    sheet_name = "offers" if kind == "xlsx" else "offers.csv"
    assert result.errors == [f"{sheet_name}: about 6 rows; at most 5 offers per upload: split the file"]
    settings.NSATU_UPLOAD_MAX_ROWS = 6
    assert read_offer_upload(f"offers.{kind}", content, donor_iso3="POL").errors == []


def test_the_preview_shows_the_first_rows_and_the_confirmation_takes_all(world: Any) -> None:
    client = Client()
    client.force_login(world.users["POL"])
    rows = [f"O-POL-{i:03},PZH2000-A,1,2027-03-01," for i in range(250)]
    html = client.post(
        "/offers/upload/", {"file": SimpleUploadedFile("offers.csv", _csv(*rows))}
    ).content.decode()
    assert html.count("<td>O-POL-") == 200 and "… and 50 more rows" in html and "Confirm 250 offers" in html
    client.post("/offers/upload/", {"confirm": client.session["offer_upload"]["token"]})
    assert Offer.objects.filter(code__startswith="O-POL-").count() == 250


def test_an_unconfirmed_preview_expires(world: Any, settings: Any, tmp_path: Any) -> None:
    import os
    import time

    from nsatu.core.previews import preview_dir

    settings.VAR_DIR = tmp_path
    settings.NSATU_UPLOAD_PREVIEW_SECONDS = 60
    client = Client()
    client.force_login(world.users["POL"])
    upload = SimpleUploadedFile("offers.csv", _csv("O-POL-1,PZH2000-A,1,2027-03-01,"))
    client.post("/offers/upload/", {"file": upload})
    token = client.session["offer_upload"]["token"]
    (kept,) = preview_dir().iterdir()
    old = time.time() - 61
    os.utime(kept, (old, old))
    answer = client.post("/offers/upload/", {"confirm": token}, follow=True)
    assert "That upload has expired" in answer.content.decode()
    assert not kept.exists() and "offer_upload" not in client.session
    assert not Offer.objects.filter(code="O-POL-1").exists()
    # and a preview nobody comes back for is swept by the next upload
    client.post(
        "/offers/upload/", {"file": SimpleUploadedFile("offers.csv", _csv("O-POL-2,PZH2000-A,1,2027-03-01,"))}
    )
    abandoned = preview_dir() / ("0" * 32)
    abandoned.write_bytes(b"x")
    os.utime(abandoned, (old, old))
    client.post(
        "/offers/upload/", {"file": SimpleUploadedFile("offers.csv", _csv("O-POL-3,PZH2000-A,1,2027-03-01,"))}
    )
    assert not abandoned.exists() and len(list(preview_dir().iterdir())) == 2
