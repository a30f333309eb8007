"""Bearer-token authentication for the API (machine clients)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.security import HttpBearer


class ApiTokenAuth(HttpBearer):
    """`Authorization: Bearer nsatu_…`: the request acts as the token's user."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        # Imported here so the API module loads even where the tokens app is absent.
        from nsatu.tokens.services import authenticate_token

        user = authenticate_token(token)
        if user is not None:
            request.user = user
        return user


token_auth = ApiTokenAuth()
