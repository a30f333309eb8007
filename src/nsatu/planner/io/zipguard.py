"""Zip-bomb guard for workbooks, checked before any xlsx library opens the file."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from pathlib import Path
from typing import Any

from nsatu.planner.io.errors import CellError

MAX_WORKBOOK_UNPACKED = 200_000_000  # bytes, all entries together
MAX_WORKBOOK_ENTRIES = 10_000
MAX_COMPRESSION_RATIO = 100.0
RATIO_CHECKED_ABOVE = 10_000_000  # bytes unpacked; smaller workbooks cannot hurt whatever their ratio


def workbook_archive_errors(source: Path | bytes, label: str) -> list[CellError]:
    """Why a workbook must not be opened (a zip bomb, not a zip), or [] when it is safe.

    An ``.xlsx`` file is a zip archive. Before openpyxl or python-calamine
    unpack it, the zip directory is checked (entry count, declared sizes and
    compression ratio), then every entry is inflated once without keeping it,
    to at most the limit, since a directory can lie about sizes.
    """

    def refuse(message: str) -> list[CellError]:
        return [CellError(label, 0, "", message)]

    try:
        handle = io.BytesIO(source) if isinstance(source, bytes) else open(source, "rb")  # noqa: SIM115
        with handle, zipfile.ZipFile(handle) as archive:
            entries = archive.infolist()
            if len(entries) > MAX_WORKBOOK_ENTRIES:
                return refuse(
                    f"the workbook archive has {len(entries)} entries (at most {MAX_WORKBOOK_ENTRIES}); "
                    "refused as a possible zip bomb"
                )
            declared = sum(e.file_size for e in entries)
            packed = sum(e.compress_size for e in entries)
            problem = _unpacked_problem(declared, packed)
            if problem:
                return refuse(problem)
            unpacked = 0
            for entry in entries:
                if entry.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                    return refuse(
                        f"entry {entry.filename!r} uses zip compression method {entry.compress_type}; "
                        "a workbook uses only stored or deflated entries"
                    )
                size = _inflated_size(handle, entry, MAX_WORKBOOK_UNPACKED - unpacked)
                if size > entry.file_size:
                    return refuse(
                        f"entry {entry.filename!r} unpacks to more than the {entry.file_size} bytes "
                        "its zip directory declares; refused as a possible zip bomb"
                    )
                unpacked += size
            problem = _unpacked_problem(unpacked, packed)
            return refuse(problem) if problem else []
    except (zipfile.BadZipFile, zlib.error, struct.error, EOFError, OSError, ValueError) as exc:
        return refuse(f"not a readable .xlsx workbook (not a valid zip archive: {exc})")


def _unpacked_problem(unpacked: int, packed: int) -> str:
    if unpacked > MAX_WORKBOOK_UNPACKED:
        return (
            f"the workbook would unpack to {unpacked / 1e6:.0f} MB "
            f"(at most {MAX_WORKBOOK_UNPACKED / 1e6:.0f} MB); refused as a possible zip bomb"
        )
    ratio = unpacked / max(packed, 1)
    if unpacked > RATIO_CHECKED_ABOVE and ratio > MAX_COMPRESSION_RATIO:
        return (
            f"the workbook is compressed {ratio:.0f} to 1 (at most {MAX_COMPRESSION_RATIO:.0f} to 1 "
            f"above {RATIO_CHECKED_ABOVE / 1e6:.0f} MB); refused as a possible zip bomb"
        )
    return ""


def _inflated_size(handle: Any, entry: zipfile.ZipInfo, budget: int) -> int:
    """The bytes an entry really unpacks to, counted up to ``budget`` + 1 and not kept."""
    handle.seek(entry.header_offset)
    local = handle.read(30)
    if len(local) != 30 or local[:4] != b"PK\x03\x04":
        raise zipfile.BadZipFile(f"bad local header of {entry.filename!r}")
    name_length, extra_length = struct.unpack("<HH", local[26:30])
    handle.seek(entry.header_offset + 30 + name_length + extra_length)
    if entry.compress_type == zipfile.ZIP_STORED:
        return entry.compress_size
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    left, size = entry.compress_size, 0
    while left > 0 and size <= budget:
        data = handle.read(min(left, 1 << 16))
        if not data:
            raise EOFError(f"entry {entry.filename!r} is truncated")
        left -= len(data)
        while data and size <= budget:
            size += len(inflater.decompress(data, 1 << 20))
            data = inflater.unconsumed_tail
    return size
