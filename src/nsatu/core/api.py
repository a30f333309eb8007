"""What every router shares: roles, lookups, pagination, error mapping and response sets."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.db.models import Model, ProtectedError, QuerySet, RestrictedError
from django.http import HttpRequest, HttpResponse
from ninja import Field, NinjaAPI, Schema
from ninja.errors import HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.pagination import LimitOffsetPagination

from nsatu.accounts.models import User
from nsatu.core.choices import Role
from nsatu.core.ownership import NotPermitted
from nsatu.core.schemas import ErrorOut, ValidationErrorOut
from nsatu.core.services import ConflictError

M = TypeVar("M", bound=Model)

# Response sets every operation declares, so clients and schemathesis know each shape
# (400: a body that is not JSON at all; 422: JSON that does not fit).
READ_ERRORS: dict[int, Any] = {401: ErrorOut, 404: ErrorOut, 422: ValidationErrorOut}
LIST_ERRORS: dict[int, Any] = {401: ErrorOut, 422: ValidationErrorOut}
WRITE_ERRORS: dict[int, Any] = {
    400: ErrorOut,
    401: ErrorOut,
    403: ErrorOut,
    404: ErrorOut,
    409: ErrorOut,
    422: ValidationErrorOut,
}
CREATE_ERRORS: dict[int, Any] = {
    400: ErrorOut,
    401: ErrorOut,
    403: ErrorOut,
    409: ErrorOut,
    422: ValidationErrorOut,
}

MAX_PAGE = 1000


class Pagination(LimitOffsetPagination):
    """`?limit=&offset=`; answers `{"items": [...], "count": N}`."""

    class Input(Schema):
        limit: int = Field(100, ge=1, le=MAX_PAGE, description=f"at most {MAX_PAGE} items per page")
        offset: int = Field(0, ge=0, le=2**31 - 1)


def current_user(request: HttpRequest) -> User:
    """The authenticated user (session or token) acting in this request."""
    user = request.user
    if not isinstance(user, User):
        raise HttpError(401, "sign in or send `Authorization: Bearer <token>`")
    return user


def require_role(request: HttpRequest, *roles: str, doing: str) -> User:
    """The acting user when their role may do ``doing``; 403 otherwise."""
    user = current_user(request)
    if user.role not in roles:
        allowed = " or ".join(str(Role(r).label).lower() for r in roles)
        raise HttpError(403, f"only a {allowed} may {doing}; you are signed in as {user.get_role_display()}")
    return user


def coordinator(request: HttpRequest, doing: str) -> User:
    """The acting user when they are a coordinator; 403 otherwise."""
    return require_role(request, Role.COORDINATOR, doing=doing)


def get_or_404(queryset: QuerySet[M], what: str, **lookup: Any) -> M:
    """One record of ``queryset``, or a 404 that says no more than that it is not there."""
    obj = queryset.filter(**lookup).first()
    if obj is None:
        key = next(iter(lookup.values()), "")
        raise HttpError(404, f"no {what} {key!r}")
    return obj


def lookup(model: type[M], field: str, value: Any, *, key: str, queryset: QuerySet[M] | None = None) -> M:
    """Resolve a reference in a request body; a 422 naming ``field`` when it does not exist."""
    source = queryset if queryset is not None else model._default_manager.all()
    obj = source.filter(**{key: value}).first()
    if obj is None:
        raise DjangoValidationError({field: f"no {model._meta.verbose_name} {value!r}"})
    return obj


def lookup_many(model: type[M], field: str, values: Iterable[Any], *, key: str) -> list[M]:
    """Resolve a list of references; a 422 naming the ones that do not exist."""
    wanted = list(dict.fromkeys(values))
    found = {getattr(o, key): o for o in model._default_manager.filter(**{f"{key}__in": wanted})}
    missing = [str(v) for v in wanted if v not in found]
    if missing:
        raise DjangoValidationError(
            {field: f"no {model._meta.verbose_name} {', '.join(repr(v) for v in missing)}"}
        )
    return [found[v] for v in wanted]


def _field_name(loc: Iterable[Any]) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in {"body", "query", "path", "header", "cookie", "form"}:
        source = parts.pop(0)
        if source == "body" and parts and parts[0] == "payload":
            parts.pop(0)
        elif source != "body":
            parts.insert(0, source)
    return ".".join(parts) or "__all__"


def _validation_error(request: HttpRequest, exc: Any, api: NinjaAPI) -> HttpResponse:
    errors: dict[str, list[str]] = {}
    for error in exc.errors:
        errors.setdefault(_field_name(error.get("loc", ())), []).append(str(error.get("msg", "invalid")))
    return api.create_response(request, {"detail": "invalid input", "errors": errors}, status=422)


def _django_validation_error(request: HttpRequest, exc: Any, api: NinjaAPI) -> HttpResponse:
    if hasattr(exc, "error_dict"):
        errors = {name: [str(m) for m in messages] for name, messages in exc.message_dict.items()}
    else:
        errors = {"__all__": [str(m) for m in exc.messages]}
    return api.create_response(request, {"detail": "invalid input", "errors": errors}, status=422)


def _conflict(request: HttpRequest, exc: Any, api: NinjaAPI) -> HttpResponse:
    return api.create_response(request, {"detail": str(exc)}, status=409)


def _protected(request: HttpRequest, exc: Any, api: NinjaAPI) -> HttpResponse:
    users = sorted({str(o) for o in list(exc.args[1])[:5]}) if len(exc.args) > 1 else []
    detail = "other records still refer to this one" + (f": {', '.join(users)}" if users else "")
    return api.create_response(request, {"detail": detail}, status=409)


def _not_permitted(request: HttpRequest, exc: Any, api: NinjaAPI) -> HttpResponse:
    return api.create_response(request, {"detail": str(exc)}, status=403)


def _integrity(request: HttpRequest, exc: Any, api: NinjaAPI) -> HttpResponse:
    return api.create_response(
        request, {"detail": f"the database refused the change (a record like it exists?): {exc}"}, status=409
    )


def install_error_handlers(api: NinjaAPI) -> None:
    """Map domain and database errors to the declared 409 and 422 shapes."""
    api.add_exception_handler(NinjaValidationError, lambda r, e: _validation_error(r, e, api))
    api.add_exception_handler(DjangoValidationError, lambda r, e: _django_validation_error(r, e, api))
    api.add_exception_handler(ConflictError, lambda r, e: _conflict(r, e, api))
    api.add_exception_handler(ProtectedError, lambda r, e: _protected(r, e, api))
    api.add_exception_handler(RestrictedError, lambda r, e: _protected(r, e, api))
    api.add_exception_handler(IntegrityError, lambda r, e: _integrity(r, e, api))
    api.add_exception_handler(NotPermitted, lambda r, e: _not_permitted(r, e, api))


def patch_fields(
    payload: Schema, *, exclude: Iterable[str] = (), nullable: Iterable[str] = ()
) -> dict[str, Any]:
    """The fields a PATCH body sets, without its version; a 422 for nulls where none is allowed.

    Fields absent from the body are left alone; `null` clears only the ``nullable`` ones.
    """
    skip, may_clear = {"version", *exclude}, set(nullable)
    changes = {k: v for k, v in payload.dict(exclude_unset=True).items() if k not in skip}
    nulls = {
        k: "may not be null: leave it out to keep it"
        for k, v in changes.items()
        if v is None and k not in may_clear
    }
    if nulls:
        raise DjangoValidationError(nulls)
    return changes
