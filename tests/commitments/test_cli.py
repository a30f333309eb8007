"""`nsatu commitments`: approve, list, withdraw in part, political shift, backfill, from the command line."""

from __future__ import annotations

from typing import Any

import pytest
from typer.testing import CliRunner

from nsatu.cli import app
from nsatu.commitments.models import Decommitment
from nsatu.core.models import Event
from nsatu.planning.models import PlanRun
from nsatu.shipments.models import Shipment
from tests.commitments.conftest import planned, pol_shipment

pytestmark = pytest.mark.django_db


def run(*args: str, input: str | None = None) -> Any:
    return CliRunner().invoke(app, ["commitments", *args], input=input, env={"COLUMNS": "200"})


def test_approve_then_withdraw_part_then_shift_then_backfill(small: dict[str, Any]) -> None:
    plan = planned()
    result = run("approve", str(plan.pk))
    assert result.exit_code == 0, result.output
    assert "3 lines committed" in result.output
    result = run("list", "--donor", "POL")
    assert result.exit_code == 0 and "O-POL" in result.output and "60" in result.output

    # shown first; answering no writes nothing
    code = pol_shipment()
    before = Event.objects.count()
    result = run("withdraw", "O-POL", "--reason", "budget", "--quantity", "20", input="n\n")
    assert result.exit_code == 1 and f"{code} (20 split off)" in result.output
    assert Event.objects.count() == before
    result = run("withdraw", "O-POL", "--reason", "budget", "--quantity", "20", "--yes")
    assert result.exit_code == 0, result.output
    assert Shipment.objects.get(code=code).quantity == 40

    result = run("withdraw", "O-POL", "--reason", "budget", "--quantity", "0.5", "--yes")
    assert result.exit_code == 2 and "quantity: " in result.output and "whole units" in result.output
    result = run("withdraw", "O-POL", "--reason", "x", "--effective", "2031-01-01", "--yes")
    assert (
        result.exit_code == 2
        and "effective_on: effective on 2031-01-01 is after the plan's horizon" in result.output
    )

    result = run("shift", "POL", "--reason", "coalition collapsed", "--yes")
    assert result.exit_code == 0, result.output
    shift = Decommitment.objects.get(scope="donor")
    result = run("backfill", str(shift.pk), "--method", "greedy", "--time-limit", "10", "--in-process")
    assert result.exit_code == 0, result.output
    assert "with backfill" in result.output and "ready to approve" in result.output
    shift.refresh_from_db()
    assert shift.backfill_run is not None
    result = run("approve", str(shift.backfill_run.pk))
    assert result.exit_code == 0, result.output
    assert PlanRun.objects.get(pk=shift.backfill_run.pk).approved_at is not None
