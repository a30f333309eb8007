"""Who performs a change: a signed-in user or a named system process."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Union

if TYPE_CHECKING:
    from nsatu.accounts.models import User


@dataclass(frozen=True)
class SystemActor:
    """A non-human actor such as the command line or the task worker."""

    name: str
    nation: str = ""

    @property
    def username(self) -> str:
        return f"system:{self.name}"


Actor = Union["User", SystemActor]

CLI = SystemActor("cli")
WORKER = SystemActor("worker")


def actor_identity(actor: Actor) -> tuple[str, str]:
    """The (actor, nation) pair recorded in the ledger."""
    if isinstance(actor, SystemActor):
        return actor.username, actor.nation
    nation = actor.nation.iso3 if actor.nation_id else ""  # type: ignore[union-attr]
    return actor.username, nation


def request_actor(request: Any) -> User:
    """The signed-in user of a request, as the actor of the changes it makes."""
    from nsatu.accounts.models import User

    user = request.user
    if not isinstance(user, User):
        raise PermissionError("changes need a signed-in user")
    return user
