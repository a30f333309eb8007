"""Small real files of each evidence type."""

from __future__ import annotations

import io
import zlib

from openpyxl import Workbook


def png_bytes(width: int = 4, height: int = 3) -> bytes:
    """A valid PNG picture (grey pixels), written by hand: no imaging library needed."""
    import struct

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    raw = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def pdf_bytes() -> bytes:
    """A one-page PDF."""
    return (
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj "
        b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj "
        b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
    )


def xlsx_bytes() -> bytes:
    """An inventory sheet."""
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["serial", "sighted"])
    sheet.append(["PZH-001", "yes"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
