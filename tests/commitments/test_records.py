"""Plans are records: a finished run's lines and figures never change; what they name is retired,
not deleted; a run planned on inputs that changed since says it is stale."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from nsatu.commitments.services import decommit_offer
from nsatu.core.models import Event
from nsatu.core.services import RecordInUseError
from nsatu.needs.models import Requirement, RequirementStatus
from nsatu.needs.services import create_requirement, delete_requirement, update_requirement
from nsatu.offers.models import Offer, OfferStatus
from nsatu.offers.services import delete_offer
from nsatu.planning.adapters import scenario_from_db
from nsatu.planning.models import PlanRun
from tests.commitments.conftest import planned

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def record(run: PlanRun) -> tuple[list[tuple[str, str, str, float, int]], dict[str, Any]]:
    run.refresh_from_db()
    lines = sorted(
        (a.offer.code, a.requirement.code, a.hub.code, a.quantity, a.arrival_week)
        for a in run.allocations.select_related("offer", "requirement", "hub")
    )
    return lines, run.metrics


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_finished_runs_lines_and_figures_outlive_withdrawals_and_deletes(
    small: dict[str, Any], approved: PlanRun
) -> None:
    proposal = planned()  # a second, unapproved run: R2 and O-DEU's rest, planned again
    before_approved, before_proposal = record(approved), record(proposal)
    decommit_offer(
        Offer.objects.get(code="O-POL"), actor=small["POL"], kind="withdraw", reason="x", effective_on=TODAY
    )
    client = client_for(small["coordinator"])
    answer = client.delete("/api/v1/requirements/R1")
    assert answer.status_code == 409 and "approved plans commit 40 to it" in answer.json()["detail"]
    assert record(approved) == before_approved and record(proposal) == before_proposal


def test_a_delete_of_what_a_run_names_becomes_a_retire(small: dict[str, Any]) -> None:
    proposal = planned()
    before = record(proposal)
    client = client_for(small["coordinator"])
    answer = client.delete("/api/v1/requirements/R2")
    assert answer.status_code == 200, answer.content
    assert answer.json()["status"] == "retired"
    assert Event.objects.filter(action="retire", object_type="needs.requirement").count() == 1
    assert not Event.objects.filter(action="delete", object_type="needs.requirement").exists()
    assert record(proposal) == before  # the run's lines to R2 are still its record
    assert "R2" not in scenario_from_db().requirements.ids  # but the next plan leaves it out
    assert client.delete("/api/v1/offers/O-DEU").json()["status"] == "retired"
    assert "O-DEU" not in scenario_from_db().offers.ids
    # a record nothing names is deleted as before
    fresh = create_requirement(
        actor=small["coordinator"],
        code="R9",
        recipient=small["nations"]["UKR"],
        capability=Requirement.objects.get(code="R1").capability,
        quantity=5,
        priority=3,
        needed_by=TODAY,
    )
    assert client.delete("/api/v1/requirements/R9").status_code == 204
    assert not Requirement.objects.filter(pk=fresh.pk).exists()


def test_committed_offers_and_requirements_cannot_be_retired(
    small: dict[str, Any], approved: PlanRun
) -> None:
    with pytest.raises(RecordInUseError, match="approved plans commit or hold 60 of it"):
        delete_offer(Offer.objects.get(code="O-POL"), actor=small["coordinator"])
    with pytest.raises(RecordInUseError, match="approved plans commit 100 to it"):
        delete_requirement(Requirement.objects.get(code="R1"), actor=small["coordinator"])
    # once its aid is withdrawn (nothing on its way), the offer can be retired
    decommit_offer(
        Offer.objects.get(code="O-POL"), actor=small["POL"], kind="withdraw", reason="x", effective_on=TODAY
    )
    retired = delete_offer(Offer.objects.get(code="O-POL"), actor=small["coordinator"])
    assert retired is not None and retired.status == OfferStatus.RETIRED


def test_a_run_is_stale_once_its_inputs_change(small: dict[str, Any]) -> None:
    run = planned()
    client = client_for(small["coordinator"])
    assert client.get(f"/api/v1/plan-runs/{run.pk}").json()["stale"] is False
    assert "Stale:" not in client.get(f"/plans/{run.pk}/").content.decode()
    update_requirement(Requirement.objects.get(code="R2"), actor=small["coordinator"], priority=1)
    assert client.get(f"/api/v1/plan-runs/{run.pk}").json()["stale"] is True
    assert "Stale:" in client.get(f"/plans/{run.pk}/").content.decode()
    assert "stale" in client.get("/plans/").content.decode()
    second = planned()
    assert not second.stale and run.stale  # the new run reads today's data
    # approving another run changes what is committed: the first proposal is stale, the approved one never
    from nsatu.planning.services import approve_plan_run

    approve_plan_run(second, actor=small["coordinator"])
    second.refresh_from_db()
    assert not second.stale and Requirement.objects.get(code="R2").status == RequirementStatus.MET
