"""`nsatu user create | update | deactivate`: accounts from the command line, each change audited."""

from __future__ import annotations

from typing import Any

import pytest
from typer.testing import CliRunner

from nsatu.accounts.models import User
from nsatu.cli import app
from nsatu.core.actors import CLI
from nsatu.core.ledger import verify_ledger
from nsatu.core.models import Event
from nsatu.nations.services import create_nation

pytestmark = pytest.mark.django_db


@pytest.fixture
def nations(db: Any) -> None:
    create_nation(actor=CLI, iso3="POL", name="Poland", nato=True, eu=True)
    create_nation(actor=CLI, iso3="DEU", name="Germany", nato=True, eu=True)


def run(*args: str, input: str | None = None) -> Any:
    return CliRunner().invoke(app, ["user", *args], input=input)


def test_create_update_and_deactivate_a_user(nations: None) -> None:
    result = run("create", "anna", "--role", "donor", "--nation", "POL", input="x-Secret-123456\n")
    assert result.exit_code == 0, result.output
    anna = User.objects.get(username="anna")
    assert (anna.role, anna.nation.iso3, anna.is_staff) == ("donor", "POL", False)  # type: ignore[union-attr]

    result = run("update", "anna", "--nation", "DEU", "--password", input="n3w-Secret-98765\n")
    assert result.exit_code == 0, result.output
    anna.refresh_from_db()
    assert anna.nation.iso3 == "DEU" and anna.check_password("n3w-Secret-98765")  # type: ignore[union-attr]

    assert run("deactivate", "anna", "--reason", "left the mission").exit_code == 0
    anna.refresh_from_db()
    assert not anna.is_active
    actions = list(Event.objects.filter(object_type="accounts.user").values_list("action", flat=True))
    assert actions[-3:] == ["create", "update", "deactivate"]
    assert "n3w-Secret" not in str(list(Event.objects.values_list("payload", flat=True)))
    assert verify_ledger().ok


def test_a_coordinator_gets_the_back_office_unless_told_otherwise(nations: None) -> None:
    assert run("create", "cora", "--role", "coordinator", input="x-Secret-123456\n").exit_code == 0
    assert User.objects.get(username="cora").is_staff
    assert (
        run("create", "cliff", "--role", "coordinator", "--no-staff", input="x-Secret-123456\n").exit_code
        == 0
    )
    assert not User.objects.get(username="cliff").is_staff


def test_unknown_user_or_nation_is_refused_with_exit_2(nations: None) -> None:
    assert run("update", "nobody", "--role", "auditor").exit_code == 2
    assert (
        run("create", "bob", "--role", "donor", "--nation", "XXX", input="x-Secret-123456\n").exit_code == 2
    )
    assert run("deactivate", "nobody").exit_code == 2


def test_a_password_is_never_an_argument_and_must_pass_the_validators(nations: None) -> None:
    # an argument is refused outright (it would show in the process list)
    assert run("create", "eve", "--role", "donor", "--password", "x-Secret-123456").exit_code == 2
    for weak in ("short", "password1234"):
        result = run("create", "eve", "--role", "donor", "--nation", "POL", input=weak + "\n")
        assert result.exit_code == 2 and "refused" in result.output, (weak, result.output)
    assert not User.objects.filter(username="eve").exists()
    assert (
        run("create", "eve", "--role", "donor", "--nation", "POL", input="x-Secret-123456\n").exit_code == 0
    )
    result = run("update", "eve", "--password", input="short\n")
    assert result.exit_code == 2 and "refused" in result.output
    assert User.objects.get(username="eve").check_password("x-Secret-123456")
