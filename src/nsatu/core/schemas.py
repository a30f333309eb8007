"""API shapes shared by every router: error bodies and constrained input types."""

from __future__ import annotations

from typing import Annotated, Any, Literal, get_args

from ninja import Schema
from pydantic import AfterValidator, Field, StringConstraints

from nsatu.core.choices import Releasability
from nsatu.core.models import ReleasableModel
from nsatu.core.releasability import annotated_code, sees_everything
from nsatu.planner.io.cells import code_problem

# PostgreSQL refuses NUL characters in text; the API refuses them first, with a 422.
NO_NUL = r"^[^\x00]*$"
# Codes name records in paths and people read them: no slash, no space, control or invisible
# (format) character, as ``nsatu.planner.io.cells.code_problem`` says; the pattern spells the
# common ones out for the API's description, the validator checks every category.
CODE_PATTERN = (
    r"^[^\x00-\x20\x7f-\xa0\xad\u061c\u1680\u180e\u2000-\u200f\u2028-\u202f\u205f-\u206f"
    r"\u3000\ufeff\ufff9-\ufffb/]+$"
)


def _code_holds(value: str) -> str:
    problem = code_problem(value)
    if problem is not None:
        raise ValueError(f"{value!r} cannot be a code: {problem}")
    return value


CODE_HOLDS = AfterValidator(_code_holds)
Code = Annotated[str, StringConstraints(min_length=1, max_length=40, pattern=CODE_PATTERN), CODE_HOLDS]
Iso3 = Annotated[str, StringConstraints(pattern=r"^[A-Za-z]{3}$")]
Search = Annotated[str, StringConstraints(max_length=200, pattern=NO_NUL)]
# Free text, as long as the column it goes to.
Name = Annotated[str, StringConstraints(min_length=1, max_length=120, pattern=NO_NUL)]
Title = Annotated[str, StringConstraints(max_length=200, pattern=NO_NUL)]
Text300 = Annotated[str, StringConstraints(max_length=300, pattern=NO_NUL)]
Note = Annotated[str, StringConstraints(max_length=10_000, pattern=NO_NUL)]
# Surrogate keys: bounded so no database sees an integer it cannot hold.
Id = Annotated[int, Field(ge=1, le=2**62)]
Version = Annotated[int, Field(ge=1, le=2**31 - 1, description="the version you read (optimistic check)")]
Quantity = Annotated[float, Field(gt=0, le=1e12, allow_inf_nan=False)]
NonNegative = Annotated[float, Field(ge=0, le=1e12, allow_inf_nan=False)]

Marking = Literal["public", "coalition", "nations", "command-only"]
assert set(get_args(Marking)) == set(Releasability.values)


class ErrorOut(Schema):
    """Every error: a sentence saying what went wrong."""

    detail: str


class ValidationErrorOut(Schema):
    """Invalid input: the sentence, and the messages per field (`quantity`, `query.limit`...)."""

    detail: str
    errors: dict[str, list[str]]


def context_user(context: dict[str, Any] | None) -> Any:
    """The user a schema's answer is for (None outside a request)."""
    return getattr((context or {}).get("request", None), "user", None)


def reference(obj: Any, field_name: str, context: dict[str, Any] | None) -> str | None:
    """The code of the releasable record ``obj.<field_name>`` names, for the reader only if they may
    open it (None otherwise); read from the ``visible_<field_name>`` annotation when the queryset has it."""
    return annotated_code(obj, f"visible_{field_name}", field_name, context_user(context))


def listed_nations(obj: ReleasableModel, context: dict[str, Any] | None) -> list[str]:
    """The nations a record is released to by name, as far as the viewer may know them.

    Command staff and the owner nation see the whole list; anyone else sees
    only whether their own nation is on it.
    """
    codes = sorted(n.iso3 for n in obj.releasable_to.all())
    user = (context or {}).get("request", None)
    user = getattr(user, "user", None)
    owner_id = getattr(obj, f"{obj.RELEASE_OWNER_FIELD}_id", None)
    nation_id = getattr(user, "nation_id", None)
    if sees_everything(user) or (nation_id is not None and owner_id == nation_id):
        return codes
    own = getattr(getattr(user, "nation", None), "iso3", None)
    return [c for c in codes if c == own]
