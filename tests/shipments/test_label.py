"""Each shipment's label PNG carries a QR code that decodes back to its code; receipts take scanned codes."""

from __future__ import annotations

import struct
import zlib
from typing import Any

import numpy as np
import pytest

from nsatu.shipments.choices import ShipmentState
from tests.shipments.builders import client_for, handed_over, shipments_for

pytestmark = pytest.mark.django_db


def read_png(data: bytes) -> np.ndarray:
    """A greyscale PNG (bit depth 1 or 8, not interlaced) as an 8-bit array: enough for the labels."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, header = 8, b"", b""
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    width, height, depth, colour, _c, _f, interlace = struct.unpack(">IIBBBBB", header)
    assert colour == 0 and depth in (1, 8) and interlace == 0, "only plain greyscale is read here"
    stride = (width * depth + 7) // 8
    raw = zlib.decompress(idat)
    rows, previous = [], bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        for i in range(stride):
            left = line[i - 1] if i else 0
            up, corner = previous[i], previous[i - 1] if i else 0
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                predictor = left if pa <= pb and pa <= pc else up if pb <= pc else corner
                line[i] = (line[i] + predictor) & 0xFF
        rows.append(bytes(line))
        previous = line
    packed = np.frombuffer(b"".join(rows), dtype=np.uint8).reshape(height, stride)
    if depth == 8:
        return packed[:, :width].copy()
    bits = np.unpackbits(packed, axis=1)[:, :width]
    return (bits * 255).astype(np.uint8)


def test_label_png_decodes_to_the_shipment_code(world: Any) -> None:
    import zxingcpp

    (shipment,) = shipments_for(world, [(world.offers["public"], 2, 3)])
    response = client_for(world.users["coordinator"]).get(f"/shipments/{shipment.code}/label.png")
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    image = read_png(response.content)
    found = zxingcpp.read_barcodes(image)
    assert [r.text for r in found] == [shipment.code]
    assert found[0].format == zxingcpp.BarcodeFormat.QRCode


def test_label_is_releasable_like_its_shipment(world: Any) -> None:
    (shipment,) = shipments_for(world, [(world.offers["command"], 2, 3)])
    assert client_for(world.users["FRA"]).get(f"/shipments/{shipment.code}/label.png").status_code == 404


@pytest.mark.parametrize("typed", ["{code}", "  {lower}  ", "https://nsatu.example/shipments/{code}/"])
def test_receipts_page_takes_a_scanned_or_typed_code(world: Any, typed: str) -> None:
    (shipment,) = shipments_for(world, [(world.offers["public"], 2, 3)])
    handed_over(shipment)
    text = typed.format(code=shipment.code, lower=shipment.code.lower())
    response = client_for(world.users["UKR"]).get("/shipments/receipts/", {"code": text})
    assert response.status_code == 302 and response["Location"] == f"/shipments/{shipment.code}/receive/"


def test_receipts_page_says_why_a_code_does_not_open(world: Any) -> None:
    (shipment,) = shipments_for(world, [(world.offers["public"], 2, 3)])
    client = client_for(world.users["UKR"])
    html = client.get("/shipments/receipts/", {"code": shipment.code}).content.decode()
    assert "is planned: there is no receipt to confirm" in html
    html = client.get("/shipments/receipts/", {"code": "SHP-999999"}).content.decode()
    assert "No shipment SHP-999999 for you." in html
    assert shipment.state == ShipmentState.PLANNED
