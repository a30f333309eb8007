"""Evidence beside the records: waybills, photos, inventory sheets, PDF/PNG/JPEG/XLSX.

Files are stored outside the database, under ``NSATU_EVIDENCE_DIR``, named by
the SHA-256 of their content (the same content is kept once); the database row
and the ledger event record the hash, so a file changed on disk is caught when
it is opened (``read_evidence``) or by ``nsatu evidence verify``. Size and type
are checked as the upload streams in (``nsatu.core.uploads``) and again here,
for uploads from the API and the command line.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.db import models, transaction
from django.db.models import Q, QuerySet
from django.http import HttpResponse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _

from nsatu.core.actors import Actor, actor_identity
from nsatu.core.ledger import append_event
from nsatu.core.releasability import releasable
from nsatu.core.services import create_record
from nsatu.core.uploads import CONTENT_SIGNATURES
from nsatu.monitoring.choices import EvidenceKind
from nsatu.monitoring.models import DiscrepancyCase, Evidence, IncidentReport, Inventory, RepairOrder
from nsatu.monitoring.visibility import (
    visible_cases,
    visible_incidents,
    visible_inventories,
    visible_repairs,
)
from nsatu.shipments.models import Shipment

# The file types evidence may be, by extension, with the type they are served as.
CONTENT_TYPES: dict[str, str] = {
    ".pdf": "application/pdf",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
EXTENSIONS = tuple(CONTENT_TYPES)
CHUNK = 64 * 1024

# The records evidence may be kept beside, by the name the URLs and the API use.
RECORD_MODELS: dict[str, type[models.Model]] = {
    "shipment": Shipment,
    "inventory": Inventory,
    "case": DiscrepancyCase,
    "repair": RepairOrder,
    "incident": IncidentReport,
}


class EvidenceError(Exception):
    """A refused file; the message names it and says why."""


class EvidenceTooLarge(EvidenceError):
    """A file over ``NSATU_EVIDENCE_MAX_BYTES``."""


def max_bytes() -> int:
    return int(getattr(settings, "NSATU_EVIDENCE_MAX_BYTES", 10 * 1024 * 1024))


def evidence_dir() -> Path:
    return Path(getattr(settings, "NSATU_EVIDENCE_DIR", settings.VAR_DIR / "evidence"))


def stored_path(sha256: str) -> Path:
    """Where the file with this content lives."""
    return evidence_dir() / sha256[:2] / sha256


def extension_of(filename: str) -> str:
    return os.path.splitext(filename.lower())[1]


def check_file(filename: str, head: bytes, size: int) -> str:
    """The content type of an acceptable file; ``EvidenceError`` naming the file otherwise."""
    extension = extension_of(filename)
    if extension not in CONTENT_TYPES:
        raise EvidenceError(
            _("%(file)s: only %(types)s files can be kept as evidence")
            % {"file": filename, "types": ", ".join(EXTENSIONS)}
        )
    if size > max_bytes():
        raise EvidenceTooLarge(
            _("%(file)s: the file is larger than %(mb)s MB")
            % {"file": filename, "mb": max_bytes() // (1024 * 1024)}
        )
    if size == 0 or not any(head.startswith(sig) for sig in CONTENT_SIGNATURES[extension]):
        raise EvidenceError(
            _("%(file)s is not a %(type)s file: its content does not match its name")
            % {"file": filename, "type": extension.lstrip(".").upper()}
        )
    return CONTENT_TYPES[extension]


def _chunks(source: Any) -> Iterator[bytes]:
    if hasattr(source, "chunks"):
        yield from source.chunks(CHUNK)
        return
    while True:
        data = source.read(CHUNK)
        if not data:
            return
        yield data


@dataclass(frozen=True)
class StoredFile:
    sha256: str
    size: int
    content_type: str


def store_file(source: IO[bytes] | Any, filename: str) -> StoredFile:
    """Check and store a file by its content hash; nothing is kept if it is refused."""
    directory = evidence_dir()
    directory.mkdir(parents=True, exist_ok=True)
    digest, size, head = hashlib.sha256(), 0, b""
    with tempfile.NamedTemporaryFile(dir=directory, prefix=".upload-", delete=False) as temporary:
        try:
            for data in _chunks(source):
                size += len(data)
                if size > max_bytes():
                    check_file(filename, head, size)
                if len(head) < 16:
                    head += data[: 16 - len(head)]
                digest.update(data)
                temporary.write(data)
            content_type = check_file(filename, head, size)
        except BaseException:
            os.unlink(temporary.name)
            raise
    sha = digest.hexdigest()
    target = stored_path(sha)
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists():
        os.unlink(temporary.name)
    else:
        os.replace(temporary.name, target)
        target.chmod(0o440)
    return StoredFile(sha, size, content_type)


def attach_evidence(
    record: models.Model,
    source: IO[bytes] | Any,
    *,
    filename: str,
    kind: str,
    actor: Actor,
    note: str = "",
) -> Evidence:
    """Keep a file beside a shipment, inventory, case, repair order or incident report.

    The ledger event records the file's name, size, type and SHA-256.
    """
    field = next((name for name, model in RECORD_MODELS.items() if isinstance(record, model)), None)
    if field is None:
        raise EvidenceError(_("Evidence is kept beside shipments, inventories, cases, repairs and reports."))
    if kind not in EvidenceKind.values:
        raise EvidenceError(_("Unknown kind of evidence %(value)s.") % {"value": kind})
    cleaned = "".join(c for c in filename if c.isprintable())
    name = os.path.basename(cleaned.replace("\\", "/")).strip()[:200] or "evidence"
    stored = store_file(source, name)
    with transaction.atomic():
        evidence = create_record(
            Evidence,
            actor=actor,
            kind=kind,
            filename=name,
            content_type=stored.content_type,
            size=stored.size,
            sha256=stored.sha256,
            note=note[:300],
            uploaded_by=actor_identity(actor)[0],
            **{field: record},  # type: ignore[arg-type]
        )
        append_event(
            actor=actor,
            action="attach_evidence",
            object_type=f"{record._meta.app_label}.{record._meta.model_name}",
            object_id=record.pk,
            payload={
                "evidence": evidence.pk,
                "file": name,
                "kind": kind,
                "size": stored.size,
                "content_type": stored.content_type,
                "sha256": stored.sha256,
            },
        )
    return evidence


def visible_evidence(user: Any) -> QuerySet[Evidence]:
    """The evidence beside records the user may see."""
    return Evidence.objects.filter(
        Q(shipment__in=releasable(Shipment.objects.all(), user))
        | Q(inventory__in=visible_inventories(user))
        | Q(case__in=visible_cases(user))
        | Q(repair__in=visible_repairs(user))
        | Q(incident__in=visible_incidents(user))
    )


def visible_record(user: Any, record: str, key: str) -> models.Model | None:
    """The record named in a URL or a request, if the user may see it."""
    if record == "shipment":
        return releasable(Shipment.objects.all(), user).filter(code=key).first()
    if record == "inventory":
        return visible_inventories(user).filter(code=key).first()
    if record == "case":
        return visible_cases(user).filter(code=key).first()
    if record == "repair":
        return visible_repairs(user).filter(code=key).first()
    if record == "incident" and key.isdigit():
        return visible_incidents(user).filter(pk=int(key)).first()
    return None


def evidence_of(record: models.Model) -> QuerySet[Evidence]:
    """The evidence kept beside one record."""
    field = next(name for name, model in RECORD_MODELS.items() if isinstance(record, model))
    return Evidence.objects.filter(**{field: record})


class EvidenceAltered(Exception):
    """The stored file is missing or no longer has the content its hash recorded."""


def _stored_bytes(evidence: Evidence) -> bytes | None:
    """The stored file's content if it still hashes to what was recorded; None if missing or altered."""
    path = stored_path(evidence.sha256)
    try:
        content = path.read_bytes()
    except FileNotFoundError:
        return None
    return content if hashlib.sha256(content).hexdigest() == evidence.sha256 else None


def file_matches(evidence: Evidence) -> bool:
    """The stored file exists and still hashes to what was recorded."""
    return _stored_bytes(evidence) is not None


def read_evidence(evidence: Evidence) -> bytes:
    """The stored file's content, served only once it hashes to the recorded SHA-256.

    The bytes checked are the bytes served (at most ``NSATU_EVIDENCE_MAX_BYTES``).
    """
    content = _stored_bytes(evidence)
    if content is None:
        raise EvidenceAltered(
            _(
                "The stored file of %(file)s is missing or was altered: its content no longer matches "
                "the SHA-256 the ledger recorded."
            )
            % {"file": evidence.filename}
        )
    return content


def evidence_response(evidence: Evidence) -> HttpResponse:
    """The checked file as an answer: pictures and PDFs shown in the browser, workbooks downloaded.

    Raises ``EvidenceAltered`` when the stored file no longer matches its hash.
    """
    content = read_evidence(evidence)
    response = HttpResponse(content, content_type=evidence.content_type)
    inline = evidence.content_type != CONTENT_TYPES[".xlsx"]
    response["Content-Disposition"] = content_disposition_header(not inline, evidence.filename) or ""
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


def record_parties(record: models.Model) -> tuple[int | None, int | None]:
    """The (donor, recipient) nations of a record evidence may be kept beside."""
    if isinstance(record, Shipment):
        return record.donor_id, record.recipient_id
    if isinstance(record, Inventory):
        return record.donor_id, record.recipient_id
    if isinstance(record, DiscrepancyCase):
        return record.shipment.donor_id, record.shipment.recipient_id
    if isinstance(record, (RepairOrder, IncidentReport)):
        return record.item.donor_id, record.item.recipient_id
    return None, None


def may_attach(user: Any, record: models.Model) -> bool:
    """Coordinators, and the representatives of the record's donor or recipient, keep files beside it."""
    from nsatu.core.choices import Role

    role = getattr(user, "role", None)
    if role == Role.COORDINATOR:
        return True
    nation = getattr(user, "nation_id", None)
    return role in (Role.DONOR, Role.RECIPIENT) and nation is not None and nation in record_parties(record)
