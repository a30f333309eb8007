"""The unread count beside the inbox link on every page."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from nsatu.notifications.services import unread_count


def inbox(request: HttpRequest) -> dict[str, Any]:
    """``inbox_unread``: the signed-in user's unread notifications."""
    return {"inbox_unread": unread_count(getattr(request, "user", None))}
