"""Evidence: checked as it is uploaded, stored outside the database by its hash, shown only to those who
may see its record."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from nsatu.core.actors import CLI
from nsatu.core.models import Event
from nsatu.monitoring import evidence
from nsatu.monitoring.models import Evidence
from tests.monitoring.builders import received
from tests.monitoring.files import pdf_bytes, png_bytes, xlsx_bytes
from tests.shipments.builders import client_for

pytestmark = pytest.mark.django_db


def _upload(client: Any, record: str, key: str, name: str, content: bytes, kind: str = "photo") -> Any:
    return client.post(
        f"/monitoring/evidence/add/{record}/{key}/",
        {"kind": kind, "note": "at the gate", "file": SimpleUploadedFile(name, content)},
    )


def test_a_waybill_photo_is_kept_by_its_hash_and_shown_only_to_who_may_see_the_shipment(
    world: Any, evidence_dir: Path
) -> None:
    shipment, _items = received(world)
    picture = png_bytes()
    response = _upload(
        client_for(world.users["UKR"]), "shipment", shipment.code, "waybill.png", picture, "waybill"
    )
    assert response.status_code == 302
    kept = Evidence.objects.get()
    digest = hashlib.sha256(picture).hexdigest()
    assert kept.sha256 == digest and kept.size == len(picture) and kept.content_type == "image/png"
    assert (evidence_dir / digest[:2] / digest).read_bytes() == picture
    event = Event.objects.get(action="attach_evidence")
    assert event.payload["sha256"] == digest and event.object_id == str(shipment.pk)
    # the command-only shipment: its donor, its recipient and the command see the file; DEU does not
    for who in ("POL", "UKR", "coordinator", "auditor"):
        shown = client_for(world.users[who]).get(f"/monitoring/evidence/{kept.pk}/")
        assert shown.status_code == 200, who
        assert shown.content == picture
        assert shown["Content-Type"] == "image/png" and shown["X-Content-Type-Options"] == "nosniff"
    assert client_for(world.users["DEU"]).get(f"/monitoring/evidence/{kept.pk}/").status_code == 404
    page = client_for(world.users["POL"]).get(f"/shipments/{shipment.code}/").content.decode()
    assert "waybill.png" in page


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("photo.pdf", png_bytes(), "is not a PDF file"),
        ("photo.png", b"GIF89a" + b"\0" * 20, "is not a PNG file"),
        ("photo.gif", b"GIF89a", "only .pdf, .png, .jpg, .jpeg, .xlsx files"),
        ("sheet.xlsx", b"not a zip", "is not an Excel workbook"),
    ],
)
def test_a_file_whose_type_or_content_is_wrong_is_refused_before_anything_is_kept(
    world: Any, evidence_dir: Path, name: str, content: bytes, message: str
) -> None:
    shipment, _items = received(world)
    response = _upload(client_for(world.users["UKR"]), "shipment", shipment.code, name, content)
    assert response.status_code == 415
    assert message in response.content.decode()
    assert not Evidence.objects.exists()
    assert not [p for p in evidence_dir.rglob("*") if p.is_file()]


def test_a_file_over_the_limit_is_refused(world: Any, settings: Any) -> None:
    settings.NSATU_EVIDENCE_MAX_BYTES = 1024 * 1024
    shipment, _items = received(world)
    big = pdf_bytes() + b"0" * (1024 * 1024)
    response = _upload(client_for(world.users["UKR"]), "shipment", shipment.code, "scan.pdf", big)
    assert response.status_code == 413
    assert not Evidence.objects.exists()


def test_who_may_attach(world: Any) -> None:
    shipment, _items = received(world, offer="public")
    # a public shipment: DEU sees it but is no party to it; leadership only reads
    for who in ("DEU", "leadership"):
        response = _upload(client_for(world.users[who]), "shipment", shipment.code, "w.png", png_bytes())
        assert response.status_code == 403, who
    assert (
        _upload(client_for(world.users["POL"]), "shipment", shipment.code, "w.png", png_bytes()).status_code
        == 302
    )


def test_an_inventory_sheet_is_served_as_a_download_and_an_altered_file_is_refused(
    world: Any, evidence_dir: Path
) -> None:
    from nsatu.monitoring.services import record_inventory

    _shipment, items = received(world)
    (inventory,) = record_inventory(items, actor=world.users["UKR"])
    sheet = xlsx_bytes()
    response = _upload(
        client_for(world.users["UKR"]), "inventory", inventory.code, "sheet.xlsx", sheet, "inventory_sheet"
    )
    assert response.status_code == 302
    kept = Evidence.objects.get()
    shown = client_for(world.users["POL"]).get(f"/monitoring/evidence/{kept.pk}/")
    assert shown.status_code == 200 and "attachment" in shown["Content-Disposition"]
    assert shown.content == sheet
    path = evidence.stored_path(kept.sha256)
    path.chmod(0o640)
    path.write_bytes(sheet + b"tampered")
    altered = client_for(world.users["POL"]).get(f"/monitoring/evidence/{kept.pk}/")
    assert altered.status_code == 409 and "altered" in altered.content.decode()
    assert client_for(world.users["DEU"]).get(f"/monitoring/inventories/{inventory.code}/").status_code == 404


def test_the_same_content_is_stored_once_and_each_attachment_is_audited(
    world: Any, evidence_dir: Path
) -> None:
    shipment, _items = received(world)
    picture = png_bytes()
    for _ in range(2):
        evidence.attach_evidence(
            shipment, SimpleUploadedFile("a.png", picture), filename="a.png", kind="photo", actor=CLI
        )
    assert Evidence.objects.count() == 2
    assert len([p for p in evidence_dir.rglob("*") if p.is_file()]) == 1
    assert Event.objects.filter(action="attach_evidence").count() == 2
