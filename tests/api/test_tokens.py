"""Bearer tokens: issued once, stored as a hash, used, revoked; session auth keeps its CSRF check."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
import typer
from django.test import Client
from typer.testing import CliRunner

from nsatu.core.actors import CLI
from nsatu.core.ledger import verify_ledger
from nsatu.core.models import Event
from nsatu.tokens.models import ApiToken
from nsatu.tokens.services import create_api_token, revoke_api_token
from tests.api.conftest import ApiClient

pytestmark = pytest.mark.django_db


def test_token_is_stored_only_as_its_hash(world: Any) -> None:
    token, plaintext = create_api_token(actor=CLI, user=world.users["POL"], name="export job")
    stored = ApiToken.objects.values().get(pk=token.pk)
    assert stored["token_hash"] == hashlib.sha256(plaintext.encode()).hexdigest()
    secret = plaintext.split("_", 2)[2]
    assert all(secret not in str(value) for value in stored.values())
    assert plaintext.startswith(f"nsatu_{token.prefix}_")
    event = Event.objects.get(object_type="tokens.apitoken", action="create")
    assert event.payload == {"user": "pol", "name": "export job", "prefix": token.prefix}
    assert secret not in str(event.payload)


def test_token_authenticates_then_revoked_gets_401(world: Any) -> None:
    token, plaintext = create_api_token(actor=CLI, user=world.users["POL"], name="export job")
    client = ApiClient(plaintext)
    answer = client.get("/offers")
    assert answer.status_code == 200
    assert answer.json()["count"] == 4  # POL sees all its own offers
    token.refresh_from_db()
    assert token.last_used_at is not None
    revoke_api_token(token, actor=world.users["POL"])
    assert client.get("/offers").status_code == 401
    assert Event.objects.filter(object_type="tokens.apitoken", action="revoke").count() == 1
    assert verify_ledger().ok


@pytest.mark.parametrize(
    "header",
    ["Bearer nsatu_00000000_wrong", "Bearer garbage", "Bearer ", "Basic dXNlcjpwYXNz", "Token abc"],
)
def test_bad_tokens_get_401(world: Any, tokens: dict[str, str], header: str) -> None:
    answer = Client().get("/api/v1/offers", headers={"Authorization": header})
    assert answer.status_code == 401
    assert answer.json() == {"detail": "Unauthorized"}


def test_a_tampered_token_is_refused(world: Any, tokens: dict[str, str]) -> None:
    tampered = tokens["coordinator"][:-2] + ("AA" if not tokens["coordinator"].endswith("AA") else "BB")
    assert ApiClient(tampered).get("/offers").status_code == 401


def test_token_of_inactive_user_is_refused(world: Any, tokens: dict[str, str]) -> None:
    user = world.users["FRA"]
    user.is_active = False
    user.save()
    assert ApiClient(tokens["FRA"]).get("/offers").status_code == 401


def test_tokens_through_the_api(world: Any, api: dict[str, ApiClient]) -> None:
    created = api["DEU"].post("/tokens", {"name": "dashboard feed"})
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["token"].startswith(body["prefix"] + "_")
    assert ApiClient(body["token"]).get("/requirements").status_code == 200
    listed = api["DEU"].get("/tokens").json()["items"]
    assert {t["name"] for t in listed} == {"tests", "dashboard feed"}
    assert all("token" not in t for t in listed)
    # Someone else's token is not found; your own is revoked.
    assert api["FRA"].post(f"/tokens/{body['prefix']}/revoke").status_code == 404
    assert api["DEU"].post(f"/tokens/{body['prefix']}/revoke").status_code == 200
    assert api["DEU"].post(f"/tokens/{body['prefix']}/revoke").status_code == 409
    assert ApiClient(body["token"]).get("/requirements").status_code == 401


def test_cli_creates_and_revokes(world: Any) -> None:
    from nsatu.commands.tokens import register

    app = typer.Typer()
    app.command("noop")(lambda: None)
    register(app)
    runner = CliRunner()
    created = runner.invoke(app, ["token", "create", "pol", "--name", "nightly export"])
    assert created.exit_code == 0, created.output
    plaintext = created.stdout.strip().splitlines()[-1]
    assert plaintext.startswith("nsatu_")
    assert ApiClient(plaintext).get("/offers").status_code == 200
    prefix = "_".join(plaintext.split("_", 2)[:2])
    revoked = runner.invoke(app, ["token", "revoke", prefix])
    assert revoked.exit_code == 0, revoked.output
    assert ApiClient(plaintext).get("/offers").status_code == 401
    assert runner.invoke(app, ["token", "revoke", prefix]).exit_code == 1
    assert runner.invoke(app, ["token", "create", "nobody", "--name", "x"]).exit_code == 2


def test_session_auth_checks_csrf_on_writes(world: Any) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.users["POL"])
    assert client.get("/api/v1/offers").status_code == 200
    body = {"id": "O-csrf", "item_type": "PZH2000-A", "quantity": 1, "available_from": "2027-02-01"}
    refused = client.post("/api/v1/offers", body, content_type="application/json")
    assert refused.status_code == 403
    client.get("/offers/")  # a page sets the CSRF cookie
    csrf = client.cookies["csrftoken"].value
    accepted = client.post(
        "/api/v1/offers", body, content_type="application/json", headers={"X-CSRFToken": csrf}
    )
    assert accepted.status_code == 201, accepted.content


def test_anonymous_gets_401_everywhere(world: Any) -> None:
    for path in ("/nations", "/requirements", "/offers", "/plan-runs", "/hubs", "/courses", "/tokens"):
        assert Client().get("/api/v1" + path).status_code == 401, path
