"""Uploaded files kept between their preview and the user's confirmation, and only that long.

An upload is checked and previewed first; the file waits under
``$NSATU_VAR_DIR/uploads`` for the confirmation, named by a random token the
user's session holds. A preview nobody confirms expires after
``NSATU_UPLOAD_PREVIEW_SECONDS`` (default an hour): every new upload and every
confirmation first deletes the files older than that, and an expired token is
refused as if it had never been issued.
"""

from __future__ import annotations

import time
import uuid
from pathlib import Path

from django.conf import settings

DEFAULT_PREVIEW_SECONDS = 3600


def preview_seconds() -> float:
    """How long an unconfirmed upload is kept."""
    return float(getattr(settings, "NSATU_UPLOAD_PREVIEW_SECONDS", DEFAULT_PREVIEW_SECONDS))


def preview_dir() -> Path:
    path = Path(settings.VAR_DIR) / "uploads"
    path.mkdir(parents=True, exist_ok=True)
    return path


def expire_previews(*, now: float | None = None) -> int:
    """Delete the uploads older than the preview time; returns how many."""
    cutoff = (time.time() if now is None else now) - preview_seconds()
    removed = 0
    for path in preview_dir().iterdir():
        try:
            if path.is_file() and path.stat().st_mtime < cutoff:
                path.unlink()
                removed += 1
        except FileNotFoundError:  # another worker swept it first
            continue
    return removed


def save_preview(content: bytes, *, suffix: str = "") -> str:
    """Keep an uploaded file for its confirmation; returns the token that names it."""
    expire_previews()
    token = uuid.uuid4().hex
    (preview_dir() / f"{token}{suffix}").write_bytes(content)
    return token


def preview_path(token: str, *, suffix: str = "") -> Path | None:
    """The file a token names, or None when it is unknown, malformed or expired."""
    expire_previews()
    if len(token) != 32 or any(c not in "0123456789abcdef" for c in token):
        return None
    path = preview_dir() / f"{token}{suffix}"
    return path if path.is_file() else None
