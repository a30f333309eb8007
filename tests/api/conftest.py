"""API test helpers: a JSON client authenticated by a bearer token, one per user of the world."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from django.test import Client

from nsatu.core.actors import CLI
from nsatu.core.models import Event
from nsatu.tokens.services import create_api_token

ROLES = ["coordinator", "DEU", "FRA", "POL", "NOR", "UKR", "leadership", "auditor"]


class ApiClient:
    """Calls /api/v1 with `Authorization: Bearer <token>`, sending and reading JSON."""

    def __init__(self, token: str | None) -> None:
        self.client = Client()
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    def request(self, method: str, path: str, body: Any = None, /, **query: Any) -> Any:
        url = "/api/v1" + path
        call = getattr(self.client, method)
        kwargs: dict[str, Any] = {"headers": self.headers}
        if body is not None:
            kwargs.update(data=json.dumps(body), content_type="application/json")
        elif query:
            kwargs["data"] = query
        return call(url, **kwargs)

    def get(self, path: str, /, **query: Any) -> Any:
        return self.request("get", path, **query)

    def post(self, path: str, body: Any = None) -> Any:
        return self.request("post", path, body if body is not None else {})

    def patch(self, path: str, body: Any) -> Any:
        return self.request("patch", path, body)

    def delete(self, path: str) -> Any:
        return self.request("delete", path)


@pytest.fixture(autouse=True)
def planning_queue(settings: Any) -> None:
    """Declare the `planning` queue that planning.tasks uses, if the settings do not yet.

    Without it, defining the task raises InvalidTaskError and starting a plan run fails
    (reported to the lead: TASKS["default"] needs "QUEUES": ["default", "planning"]).
    """
    tasks = copy.deepcopy(settings.TASKS)
    queues = tasks["default"].setdefault("QUEUES", ["default"])
    if "planning" not in queues:
        queues.append("planning")
        settings.TASKS = tasks


def issue_tokens(world: Any) -> dict[str, str]:
    """A bearer token per user of the world, keyed like ``world.users``."""
    return {key: create_api_token(actor=CLI, user=user, name="tests")[1] for key, user in world.users.items()}


def token_clients(world: Any) -> dict[str, ApiClient]:
    """An API client with a bearer token per user of the world (for tests outside tests/api)."""
    return {key: ApiClient(token) for key, token in issue_tokens(world).items()}


@pytest.fixture
def tokens(world: Any) -> dict[str, str]:
    """A token per user of the world, keyed like ``world.users``."""
    return issue_tokens(world)


@pytest.fixture
def api(tokens: dict[str, str]) -> dict[str, ApiClient]:
    """An API client per user of the world, keyed like ``world.users``."""
    return {key: ApiClient(token) for key, token in tokens.items()}


def last_event(object_type: str) -> Event:
    """The newest ledger event about a kind of object."""
    event = Event.objects.filter(object_type=object_type).order_by("-seq").first()
    assert event is not None, f"no ledger event for {object_type}"
    return event
