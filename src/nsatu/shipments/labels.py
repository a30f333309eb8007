"""Shipment labels: a PNG with a QR code carrying the shipment's code."""

from __future__ import annotations

import io

import segno

from nsatu.shipments.models import Shipment


def label_png(shipment: Shipment, *, scale: int = 8) -> bytes:
    """A PNG QR code of the shipment's code, with the quiet zone scanners need."""
    code = segno.make_qr(shipment.code, error="m")
    buffer = io.BytesIO()
    code.save(buffer, kind="png", scale=scale, border=4)
    return buffer.getvalue()
