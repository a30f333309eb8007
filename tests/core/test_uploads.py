"""Uploads are limited while they stream in: size by page, and content that matches the file type."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, RequestFactory

from nsatu.core.models import Event
from nsatu.core.uploads import LimitedUploadHandler, UploadLimitMiddleware, refusal_of
from nsatu.offers.models import Offer
from nsatu.offers.upload import MAX_UPLOAD_BYTES as OFFER_LIMIT
from nsatu.planning.workbooks import MAX_UPLOAD_BYTES as SCENARIO_LIMIT

pytestmark = pytest.mark.django_db
MB = 1024 * 1024


@pytest.fixture(autouse=True)
def spool_dir(settings: Any, tmp_path: Path) -> Path:
    """Temporary files of uploads land here, so a test can see that none is left."""
    folder = tmp_path / "spool"
    folder.mkdir()
    settings.FILE_UPLOAD_TEMP_DIR = str(folder)
    return folder


def saved_uploads() -> list[str]:
    folder = Path(django_settings.VAR_DIR) / "uploads"
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def offers_csv(rows: int, pad: int = 0) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["id", "item_type", "quantity", "available_from", "note"])
    for k in range(rows):
        writer.writerow([f"O-DEU-{k:05d}", "PZH2000-A", 1, "2027-03-01", "x" * pad])
    return buffer.getvalue().encode()


def test_the_limits_are_the_views_own() -> None:
    from nsatu.core.uploads import page_limits

    limits = page_limits()
    assert limits["offer-upload"].max_bytes == OFFER_LIMIT == 5 * MB
    assert limits["scenario-import"].max_bytes == SCENARIO_LIMIT == 20 * MB
    assert limits["scenario-import"].extensions == (".xlsx",)


def test_a_request_declared_too_large_is_refused_before_its_body_is_read(world: Any) -> None:
    content = offers_csv(10, pad=OFFER_LIMIT // 5)  # 10 MB
    request = RequestFactory().post("/offers/upload/", {"file": SimpleUploadedFile("offers.csv", content)})
    stream = request.META["wsgi.input"]
    unread = len(stream)
    request.upload_handlers = [LimitedUploadHandler(request)]
    assert not request.FILES and not request.POST
    assert len(stream) == unread  # not one byte read
    refusal = refusal_of(request)
    assert refusal is not None and refusal.status == 413 and "larger than 5 MB" in refusal.message


def test_an_oversize_offer_upload_is_refused_with_a_clear_message_and_nothing_is_written(
    world: Any, spool_dir: Path
) -> None:
    client = signed_in(world.users["DEU"])
    offers, events, before = Offer.objects.count(), Event.objects.count(), saved_uploads()
    for content in (
        offers_csv(10, pad=OFFER_LIMIT // 5),  # declared length far above the limit
        offers_csv(1, pad=OFFER_LIMIT),  # just above it: found while the bytes stream in
    ):
        assert len(content) > OFFER_LIMIT
        response = client.post("/offers/upload/", {"file": SimpleUploadedFile("offers.csv", content)})
        html = response.content.decode()
        assert response.status_code == 413, html[:500]
        assert 'data-testid="upload-refused"' in html and "larger than 5 MB" in html
        assert "Nothing was saved" in html
    assert Offer.objects.count() == offers and Event.objects.count() == events
    assert saved_uploads() == before and "offer_upload" not in client.session
    assert list(spool_dir.iterdir()) == []  # the spooled part was removed too


def test_a_file_just_under_the_limit_goes_on_to_the_view(world: Any) -> None:
    client = signed_in(world.users["DEU"])
    content = offers_csv(2)
    response = client.post("/offers/upload/", {"file": SimpleUploadedFile("offers.csv", content)})
    assert response.status_code == 200 and "upload-refused" not in response.content.decode()
    assert "Confirm 2 offers" in response.content.decode()


def test_an_xlsx_that_is_not_a_zip_is_refused(world: Any) -> None:
    client = signed_in(world.users["coordinator"])
    before = saved_uploads()
    for content in (b"id,item_type\nO-1,X\n", b"PK", b""):
        response = client.post("/plans/import/", {"file": SimpleUploadedFile("scenario.xlsx", content)})
        html = response.content.decode()
        assert response.status_code == 415, html[:300]
        assert "scenario.xlsx is not an Excel workbook" in html
        assert "scenario_upload" not in client.session
    assert saved_uploads() == before


def test_an_oversize_scenario_workbook_is_refused(world: Any) -> None:
    client = signed_in(world.users["coordinator"])
    content = b"PK\x03\x04" + b"\0" * SCENARIO_LIMIT
    response = client.post("/plans/import/", {"file": SimpleUploadedFile("big.xlsx", content)})
    assert response.status_code == 413 and "larger than 20 MB" in response.content.decode()


@pytest.mark.parametrize("content", [b"id,quantity\nO-1,\x00\x00\n", b"id,quantity\nO-\xff\xfe,1\n"])
def test_a_csv_that_is_not_text_is_refused(world: Any, content: bytes) -> None:
    client = signed_in(world.users["DEU"])
    response = client.post("/offers/upload/", {"file": SimpleUploadedFile("offers.csv", content)})
    assert response.status_code == 415
    assert "offers.csv is not a CSV file" in response.content.decode()


def test_a_csv_with_a_bom_and_multibyte_text_across_chunks_is_text(world: Any) -> None:
    request = RequestFactory().post("/offers/upload/")
    handler = LimitedUploadHandler(request)
    handler.new_file("file", "offers.csv", "text/csv", None)
    text = "\ufeffid,name\nO-1,Україна\n".encode()
    split = text.index("Україна".encode()) + 1  # inside a two-byte letter
    handler.receive_data_chunk(text[:split], 0)
    handler.receive_data_chunk(text[split:], split)
    handler.file_complete(len(text))
    assert refusal_of(request) is None


def test_other_pages_take_only_workbooks_and_csv_and_the_api_answers_json(world: Any) -> None:
    client = signed_in(world.users["coordinator"])
    page = client.post("/stress/", {"file": SimpleUploadedFile("x.exe", b"MZ")})
    assert page.status_code == 415 and ".xlsx, .csv files can be uploaded here" in page.content.decode()
    api = client.post("/api/v1/offers", {"file": SimpleUploadedFile("x.csv", b"a" * (5 * MB + 1))})
    assert api.status_code == 413 and api.json()["detail"].startswith("x.csv: the file is larger")


def test_a_large_form_without_files_is_refused(world: Any) -> None:
    client = signed_in(world.users["coordinator"])
    response = client.post("/stress/", {"kind": "delays", "seed": "1" * (3 * MB)})
    assert response.status_code == 400


def test_the_middleware_leaves_other_requests_alone(rf: Any) -> None:
    seen: list[Any] = []
    middleware = UploadLimitMiddleware(lambda request: seen.append(request) or "ok")  # type: ignore[arg-type,func-returns-value]
    assert middleware(rf.get("/offers/")) == "ok"
    assert middleware(rf.post("/login/", {"username": "u"})) == "ok" and len(seen) == 2


def test_the_refusal_is_in_the_readers_language(world: Any) -> None:
    client = signed_in(world.users["coordinator"])
    response = client.post(
        "/plans/import/",
        {"file": SimpleUploadedFile("s.xlsx", b"not a zip")},
        HTTP_ACCEPT_LANGUAGE="uk",
    )
    html = response.content.decode()
    assert response.status_code == 415
    assert "Завантаження відхилено" in html and "s.xlsx не є книгою Excel" in html
    assert "Нічого не збережено" in html
