"""API shapes of the inbox."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from ninja import Schema
from pydantic import Field

from nsatu.notifications.models import Notification
from nsatu.notifications.texts import notification_text


class NotificationOut(Schema):
    """Something you were told: what, when, where to look, and whether you read it."""

    id: int
    kind: str
    text: str = Field(description="the sentence, in the request's language")
    link: str
    created_at: dt.datetime
    read_at: dt.datetime | None
    emailed_at: dt.datetime | None
    params: dict[str, Any]

    @staticmethod
    def resolve_text(obj: Notification) -> str:
        return notification_text(obj.kind, obj.params)


class ReadIn(Schema):
    ids: Annotated[list[Annotated[int, Field(ge=1, le=2**62)]], Field(max_length=1000)] | None = Field(
        None, description="the notifications to mark read; null marks all"
    )


class ReadOut(Schema):
    marked: int


class PreferenceOut(Schema):
    kind: str
    label: str
    inbox: bool
    email: bool


class PreferenceIn(Schema):
    kind: str = Field(pattern=r"^[a-z_]{1,32}$")
    inbox: bool
    email: bool
