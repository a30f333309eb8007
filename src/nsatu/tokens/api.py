"""Your own API tokens: list, create (the plaintext is answered once) and revoke."""

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Router, Status
from ninja.errors import HttpError
from ninja.pagination import paginate

from nsatu.core.api import CREATE_ERRORS, LIST_ERRORS, WRITE_ERRORS, Pagination, current_user
from nsatu.tokens.models import ApiToken
from nsatu.tokens.schemas import ApiTokenCreated, ApiTokenIn, ApiTokenOut, Prefix
from nsatu.tokens.services import TokenError, create_api_token, find_token, revoke_api_token

router = Router(tags=["tokens"])


@router.get("/tokens", response={200: list[ApiTokenOut], **LIST_ERRORS}, summary="List your API tokens")
@paginate(Pagination)
def list_tokens(request: HttpRequest, active: bool | None = None) -> QuerySet[ApiToken]:
    """The tokens issued to you (never their plaintext), newest first."""
    queryset = ApiToken.objects.select_related("user").filter(user=current_user(request))
    if active is not None:
        queryset = queryset.filter(revoked_at__isnull=active)
    return queryset


@router.post("/tokens", response={201: ApiTokenCreated, **CREATE_ERRORS}, summary="Create an API token")
def create_token(request: HttpRequest, payload: ApiTokenIn) -> Status[ApiToken]:
    """Issue a token acting as you; the answer holds its plaintext, which is never shown again."""
    user = current_user(request)
    token, plaintext = create_api_token(actor=user, user=user, name=payload.name)
    token.plaintext = plaintext  # type: ignore[attr-defined]  # answered once, never stored
    return Status(201, token)


@router.post(
    "/tokens/{prefix}/revoke", response={200: ApiTokenOut, **WRITE_ERRORS}, summary="Revoke an API token"
)
def revoke_token(request: HttpRequest, prefix: Prefix) -> ApiToken:
    """Revoke one of your tokens (coordinators: anyone's); from now on it authenticates nobody."""
    user = current_user(request)
    token = find_token(prefix)
    if token is None or (token.user_id != user.pk and user.role != "coordinator"):
        raise HttpError(404, f"no token {prefix!r} of yours")
    try:
        return revoke_api_token(token, actor=user)
    except TokenError as exc:
        raise HttpError(409, str(exc)) from exc
