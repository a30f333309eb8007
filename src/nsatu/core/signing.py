"""Signed checkpoints of the ledger: Ed25519 over (seq, head hash), by a key kept outside the database.

Whoever can write the database can recompute the whole chain after a rewrite,
or delete the last events and move the head back; they cannot sign the result
without the key file. A checkpoint is stored in the database and can be
exported (``nsatu ledger checkpoint --out``) for an auditor to keep; a later
verify checks that the chain still holds each checkpoint's event with its hash
and that each signature holds under the trusted public key.
"""

from __future__ import annotations

import base64
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from nsatu.core.models import Checkpoint, Event, LedgerHead

FORMAT = "nsatu-ledger-checkpoint/1"


class SigningError(Exception):
    """A key or checkpoint that cannot be used, with the reason."""


def key_path() -> Path:
    """Where the private key lives (``NSATU_LEDGER_KEY``; by default under NSATU_VAR_DIR)."""
    return Path(settings.NSATU_LEDGER_KEY)


def public_key_path() -> Path:
    return key_path().with_name(key_path().name + ".pub")


def signing_key() -> Ed25519PrivateKey:
    """The private key, created on first use (mode 0600, its public half written beside it)."""
    path = key_path()
    if not path.exists():
        _create(path)
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError) as exc:
        raise SigningError(f"{path}: not a readable Ed25519 private key ({exc})") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise SigningError(f"{path}: not an Ed25519 private key")
    if not public_key_path().exists():
        _write_public(key.public_key())
    return key


def _create(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    # Written to a private temporary file and linked into place: two first uses at once
    # keep one key, and the key is never readable by others, not even for a moment.
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".ledger-key-")
    try:
        os.fchmod(handle, 0o600)
        os.write(handle, pem)
        os.close(handle)
        try:
            os.link(temporary, path)
        except FileExistsError:
            return
    finally:
        Path(temporary).unlink(missing_ok=True)
    _write_public(key.public_key())


def _write_public(public: Ed25519PublicKey) -> None:
    pem = public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    public_key_path().write_bytes(pem)


def public_text(public: Ed25519PublicKey) -> str:
    """The public key as base64 of its 32 raw bytes: what the docs and the ledger page show."""
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode()


def published_key() -> str:
    """The public key of this installation's signing key, or empty when none was made yet."""
    path = public_key_path()
    if not path.is_file():
        return ""
    try:
        return public_text(load_public_key(path))
    except SigningError:
        return ""


def load_public_key(source: Path | str) -> Ed25519PublicKey:
    """A public key from a PEM file, or from base64 of its raw bytes (a file or the text itself)."""
    text = source.read_text().strip() if isinstance(source, Path) else source.strip()
    try:
        if text.startswith("-----BEGIN"):
            key = serialization.load_pem_public_key(text.encode())
            if not isinstance(key, Ed25519PublicKey):
                raise SigningError(f"{source}: not an Ed25519 public key")
            return key
        return Ed25519PublicKey.from_public_bytes(base64.b64decode(text, validate=True))
    except (ValueError, TypeError) as exc:
        raise SigningError(f"{source}: not an Ed25519 public key ({exc})") from exc


def message(seq: int, digest: str) -> bytes:
    """The bytes a checkpoint signs."""
    return f"{FORMAT}:{seq}:{digest}".encode()


def sign_head() -> Checkpoint:
    """Sign the chain's current head and store the checkpoint."""
    key = signing_key()
    with transaction.atomic():
        head, _created = LedgerHead.objects.select_for_update().get_or_create(singleton=1)
        signature = base64.b64encode(key.sign(message(head.seq, head.hash))).decode()
        return Checkpoint.objects.create(
            seq=head.seq,
            hash=head.hash,
            time=timezone.now(),
            public_key=public_text(key.public_key()),
            signature=signature,
        )


def document(checkpoint: Checkpoint) -> dict[str, Any]:
    """The checkpoint as the file an auditor keeps."""
    return {
        "format": FORMAT,
        "seq": checkpoint.seq,
        "hash": checkpoint.hash,
        "time": checkpoint.time.isoformat(),
        "public_key": checkpoint.public_key,
        "signature": checkpoint.signature,
    }


@dataclass(frozen=True)
class Signed:
    """A checkpoint read from a file or the database."""

    seq: int
    hash: str
    public_key: str
    signature: str
    source: str


def read_document(path: Path) -> Signed:
    """A checkpoint file written by ``nsatu ledger checkpoint --out``."""
    try:
        data = json.loads(path.read_text())
        if data.get("format") != FORMAT:
            raise SigningError(f"{path}: not a ledger checkpoint (format {data.get('format')!r})")
        return Signed(
            int(data["seq"]), str(data["hash"]), str(data["public_key"]), str(data["signature"]), str(path)
        )
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise SigningError(f"{path}: not a readable ledger checkpoint ({exc})") from exc


def check(signed: Signed, trusted: Ed25519PublicKey | None, *, using: str = "default") -> str:
    """Why ``signed`` does not hold for this chain, or empty when it does.

    The signature is checked with ``trusted`` (the auditor's copy of the public
    key) or, without one, with the key the checkpoint names.
    """
    if trusted is not None and signed.public_key != public_text(trusted):
        return _("%(source)s was signed by another key than the trusted one") % {"source": signed.source}
    try:
        key = trusted or load_public_key(signed.public_key)
        key.verify(base64.b64decode(signed.signature), message(signed.seq, signed.hash))
    except (InvalidSignature, SigningError, ValueError):
        return _("%(source)s: its signature does not hold (the checkpoint was altered or forged)") % {
            "source": signed.source
        }
    if signed.seq == 0:
        return ""
    stored = Event.objects.using(using).filter(seq=signed.seq).values_list("hash", flat=True).first()
    if stored is None:
        return _("%(source)s names event #%(seq)s, which the chain no longer holds (removed)") % {
            "source": signed.source,
            "seq": signed.seq,
        }
    if stored != signed.hash:
        return _("%(source)s names event #%(seq)s with another hash: the chain was rewritten") % {
            "source": signed.source,
            "seq": signed.seq,
        }
    head = LedgerHead.objects.using(using).filter(singleton=1).values_list("seq", flat=True).first() or 0
    if head < signed.seq:
        return _("%(source)s names event #%(seq)s but the head was moved back to #%(head)s") % {
            "source": signed.source,
            "seq": signed.seq,
            "head": head,
        }
    return ""


def check_stored(trusted: Ed25519PublicKey | None, *, using: str = "default") -> tuple[int, list[str]]:
    """Check every checkpoint stored in the database; (how many, the problems found)."""
    problems = []
    rows = Checkpoint.objects.using(using).order_by("seq", "pk")
    count = 0
    for row in rows.iterator():
        count += 1
        found = check(
            Signed(
                row.seq, row.hash, row.public_key, row.signature, _("checkpoint #%(seq)s") % {"seq": row.seq}
            ),
            trusted,
            using=using,
        )
        if found:
            problems.append(found)
    return count, problems


def local_public_key() -> Ed25519PublicKey | None:
    """This installation's public key, if its key exists (never creates one)."""
    path = public_key_path()
    if path.is_file():
        return load_public_key(path)
    if key_path().is_file():
        return signing_key().public_key()
    return None
