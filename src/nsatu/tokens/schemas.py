"""API shapes for API tokens: the plaintext appears once, in the answer to its creation."""

import datetime as dt
from typing import Annotated

from ninja import Schema
from pydantic import Field, StringConstraints

from nsatu.core.schemas import NO_NUL
from nsatu.tokens.models import ApiToken

TokenName = Annotated[str, StringConstraints(min_length=1, max_length=100, pattern=NO_NUL)]
Prefix = Annotated[str, StringConstraints(pattern=r"^(nsatu_)?[0-9a-f]{8}$")]


class ApiTokenIn(Schema):
    name: TokenName = Field(description="what uses the token, e.g. `nightly export`")


class ApiTokenOut(Schema):
    prefix: str = Field(description="how the token starts; names it for revocation")
    name: str
    user: str
    created_at: dt.datetime
    last_used_at: dt.datetime | None
    revoked_at: dt.datetime | None

    @staticmethod
    def resolve_prefix(obj: ApiToken) -> str:
        return f"nsatu_{obj.prefix}"

    @staticmethod
    def resolve_user(obj: ApiToken) -> str:
        return obj.user.username


class ApiTokenCreated(ApiTokenOut):
    token: str = Field(description="the token itself: shown this once, store it now")

    @staticmethod
    def resolve_token(obj: ApiToken) -> str:
        return str(getattr(obj, "plaintext", ""))
