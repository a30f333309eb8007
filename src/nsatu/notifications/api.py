"""Inbox API: your notifications, marking them read, and your choice of what reaches inbox and e-mail."""

from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Router
from ninja.errors import HttpError
from ninja.pagination import paginate

from nsatu.core.api import LIST_ERRORS, WRITE_ERRORS, Pagination, current_user
from nsatu.notifications import services
from nsatu.notifications.choices import NotificationKind
from nsatu.notifications.models import Notification
from nsatu.notifications.schemas import NotificationOut, PreferenceIn, PreferenceOut, ReadIn, ReadOut

router = Router(tags=["notifications"])


@router.get(
    "/notifications", response={200: list[NotificationOut], **LIST_ERRORS}, summary="List your notifications"
)
@paginate(Pagination)
def list_notifications(request: HttpRequest, unread: bool | None = None) -> QuerySet[Notification]:
    """Your inbox, newest first; `unread=true` keeps the unread ones."""
    queryset = Notification.objects.filter(user=current_user(request), in_inbox=True)
    if unread is not None:
        queryset = queryset.filter(read_at__isnull=unread)
    return queryset.order_by("-created_at", "-pk")


@router.post(
    "/notifications/read", response={200: ReadOut, **WRITE_ERRORS}, summary="Mark notifications read"
)
def mark_read(request: HttpRequest, payload: ReadIn) -> dict[str, int]:
    """These `ids` (yours), or all when `ids` is null."""
    user = current_user(request)
    return {"marked": services.mark_read(user, actor=user, ids=payload.ids)}


def _preferences(user: Any) -> list[dict[str, Any]]:
    chosen = services.preferences(user)
    return [
        {"kind": kind, "label": str(label), "inbox": chosen[kind][0], "email": chosen[kind][1]}
        for kind, label in NotificationKind.choices
    ]


@router.get(
    "/notification-preferences",
    response={200: list[PreferenceOut], **LIST_ERRORS},
    summary="Your notification choices",
)
def get_preferences(request: HttpRequest) -> list[dict[str, Any]]:
    """Per kind of event: in the inbox, by e-mail (both unless you chose otherwise)."""
    return _preferences(current_user(request))


@router.put(
    "/notification-preferences",
    response={200: list[PreferenceOut], **WRITE_ERRORS},
    summary="Choose your notifications",
)
def set_preferences(request: HttpRequest, payload: list[PreferenceIn]) -> list[dict[str, Any]]:
    """The kinds given are set; the others keep their choice. 409 for an unknown kind."""
    user = current_user(request)
    unknown = sorted({p.kind for p in payload} - set(NotificationKind.values))
    if unknown:
        raise HttpError(
            409, f"unknown kinds: {', '.join(unknown)}; known: {', '.join(NotificationKind.values)}"
        )
    services.set_preferences(user, {p.kind: (p.inbox, p.email) for p in payload}, actor=user)
    return _preferences(user)
