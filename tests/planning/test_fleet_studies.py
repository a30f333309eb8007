"""Fleet studies on the task queue: the frontier of a run's scenario and each family's worth,
stored (plan runs per point, ledger events), on the plan page and in the API."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest
from django.test import Client

from nsatu.accounts.services import create_user
from nsatu.core.actors import CLI
from nsatu.core.ledger import verify_ledger
from nsatu.core.models import Event
from nsatu.nations.models import Nation
from nsatu.offers.models import Offer
from nsatu.planner.check import check_plan
from nsatu.planner.metrics import compute_metrics
from nsatu.planner.synth import generate
from nsatu.planning.adapters import import_scenario, scenario_from_db
from nsatu.planning.models import FleetStudy, PlanRun, RunStatus
from nsatu.planning.services import PlanningError, start_fleet_study, start_plan_run
from nsatu.planning.studies import plan_of_run
from nsatu.tokens.services import create_api_token

pytestmark = pytest.mark.django_db


@pytest.fixture
def immediate_tasks(settings: Any) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def planned(db: Any, immediate_tasks: None, django_capture_on_commit_callbacks: Any) -> PlanRun:
    import_scenario(generate("small", 2), actor=CLI)
    with django_capture_on_commit_callbacks(execute=True):
        run = start_plan_run(actor=CLI, method="optimal", time_limit=15)
    run.refresh_from_db()
    assert run.status == RunStatus.DONE, run.message
    return run


def _study(run: PlanRun, kind: str, capture: Any, **options: Any) -> FleetStudy:
    with capture(execute=True):
        study = start_fleet_study(run, kind=kind, actor=CLI, **options)
    study.refresh_from_db()
    assert study.status == RunStatus.DONE, study.message
    return study


def test_the_frontier_is_stored_as_plan_runs_valid_with_at_most_k_new_families(
    planned: PlanRun, django_capture_on_commit_callbacks: Any
) -> None:
    study = _study(planned, "frontier", django_capture_on_commit_callbacks, time_limit=15, max_families=3)
    points = study.result["points"]
    assert [p["limit"] for p in points] == [0, 1, 2, 3]
    assert [p["pwf"] for p in points] == sorted(p["pwf"] for p in points)  # never falls with K
    s = scenario_from_db()
    for p in points:
        run = PlanRun.objects.get(pk=p["run"])
        assert run.method == "frontier" and run.status == RunStatus.DONE
        plan = plan_of_run(run, s)
        assert plan is not None and check_plan(s, plan) == []  # the stored lines are a valid plan
        metrics = compute_metrics(s, plan)
        assert len(metrics["new_families"]) <= p["limit"]  # type: ignore[arg-type]
        assert metrics["pwf"] == pytest.approx(p["pwf"], abs=1e-9)
        assert p["bound"] is None or p["bound"] >= p["objective"] - 1e-6
        assert Event.objects.filter(object_type="planning.planrun", object_id=str(run.pk), action="plan-done")
    done = Event.objects.get(object_type="planning.fleetstudy", object_id=str(study.pk), action="study-done")
    assert [p["run"] for p in done.payload["points"]] == [p["run"] for p in points]
    assert verify_ledger().ok


def test_each_family_introduced_by_the_run_has_its_worth(
    planned: PlanRun, django_capture_on_commit_callbacks: Any
) -> None:
    study = _study(planned, "worth", django_capture_on_commit_callbacks, time_limit=15)
    assert study.result["base"] == "run"
    rows = {f["code"]: f for f in study.result["families"]}
    introduced = {code for code, f in rows.items() if f["introduced"]}
    assert introduced == set(planned.metrics["new_families"])
    s = scenario_from_db()
    units = np.zeros(len(s.families.codes))
    for line in planned.allocations.select_related("offer__item_type__family"):
        units[s.families.index[line.offer.item_type.family.code]] += line.quantity
    for code in introduced:
        f = s.families.index[code]
        assert rows[code]["units"] == pytest.approx(units[f])
        assert rows[code]["crews"] == pytest.approx(units[f] * s.families.crew_per_unit[f])
    for code, row in rows.items():
        if not row["introduced"]:
            assert not s.families.in_service[s.families.index[code]] and units[s.families.index[code]] == 0


def test_a_study_needs_a_finished_run_and_a_known_kind(db: Any) -> None:
    run = PlanRun.objects.create(method="optimal", created_by="test")
    with pytest.raises(PlanningError, match="only a finished run"):
        start_fleet_study(run, kind="frontier", actor=CLI)
    run.status = RunStatus.DONE
    run.save()
    with pytest.raises(PlanningError, match="unknown study"):
        start_fleet_study(run, kind="fleet", actor=CLI)


def test_the_plan_page_and_the_api_show_the_studies(
    planned: PlanRun, django_capture_on_commit_callbacks: Any
) -> None:
    coordinator = create_user(actor=CLI, username="coord", password="x-Secret-123456", role="coordinator")
    client = Client()
    client.force_login(coordinator)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/plans/{planned.pk}/studies/", {"kind": "frontier", "time_limit": 12, "max_families": 2}
        )
    assert response.status_code == 302
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/plans/{planned.pk}/studies/", {"kind": "worth", "time_limit": 12})
    page = client.get(f"/plans/{planned.pk}/").content.decode()
    figures = json.loads(
        page.split('id="dashboard-figures" type="application/json">')[1].split("</script>")[0]
    )
    frontier = FleetStudy.objects.get(kind="frontier")
    assert figures["frontier"]["data"][0]["x"] == [0, 1, 2]
    assert figures["frontier"]["data"][0]["customdata"] == [
        f"/plans/{p['run']}/" for p in frontier.result["points"]
    ]
    assert figures["frontier"]["data"][-1]["name"] == "This run"
    worth = FleetStudy.objects.get(kind="worth")
    for family in worth.result["families"]:
        assert f'data-family="{family["code"]}"' in page
    # the API: coordinators start studies, every reader polls them
    token = create_api_token(actor=CLI, user=coordinator, name="t")[1]
    headers = {"Authorization": f"Bearer {token}"}
    listed = client.get(f"/api/v1/plan-runs/{planned.pk}/studies", headers=headers).json()
    assert [s["kind"] for s in listed["items"]] == ["worth", "frontier"]
    one = client.get(f"/api/v1/fleet-studies/{frontier.pk}", headers=headers).json()
    assert one["result"]["points"] == frontier.result["points"]


def test_a_donor_reads_the_worth_only_of_families_it_may_see(
    planned: PlanRun, django_capture_on_commit_callbacks: Any
) -> None:
    worth = _study(planned, "worth", django_capture_on_commit_callbacks, time_limit=10)
    hidden = worth.result["families"][0]["code"]
    Offer.objects.filter(item_type__family__code=hidden).update(releasability="command-only")
    donor_nation = Nation.objects.exclude(iso3="UKR").order_by("iso3").first()
    donor = create_user(
        actor=CLI, username="d", password="x-Secret-123456", role="donor", nation=donor_nation
    )
    token = create_api_token(actor=CLI, user=donor, name="t")[1]
    client = Client()
    seen = client.get(
        f"/api/v1/fleet-studies/{worth.pk}", headers={"Authorization": f"Bearer {token}"}
    ).json()
    assert hidden not in {f["code"] for f in seen["result"]["families"]}
    client.force_login(donor)
    assert f'data-family="{hidden}"' not in client.get(f"/plans/{planned.pk}/").content.decode()
