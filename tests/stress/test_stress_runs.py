"""Stress runs through the task queue: one task per case, progress and report on the page."""

from __future__ import annotations

from typing import Any

import pytest

from nsatu.core.actors import CLI
from nsatu.core.ledger import verify_ledger
from nsatu.planner.synth import generate
from nsatu.planning.adapters import import_scenario
from nsatu.stress.models import StressCase, StressRun, StressStatus
from nsatu.stress.services import StressError, start_stress_run

pytestmark = pytest.mark.django_db


@pytest.fixture
def imported(db: Any, settings: Any) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    import_scenario(generate("small", 2), actor=CLI)


@pytest.fixture
def users(imported: None) -> dict[str, Any]:
    from nsatu.accounts.services import create_user
    from nsatu.nations.models import Nation

    return {
        "coordinator": create_user(
            actor=CLI, username="coord", password="x-Secret-123456", role="coordinator"
        ),
        "donor": create_user(
            actor=CLI,
            username="deu",
            password="x-Secret-123456",
            role="donor",
            nation=Nation.objects.get(iso3="DEU"),
        ),
    }


def _events(action_prefix: str) -> int:
    from nsatu.core.models import Event

    return Event.objects.filter(action__startswith=action_prefix, object_type="stress.stressrun").count()


def test_withdrawal_fans_out_one_task_per_donor_and_the_page_shows_the_report(
    users: dict[str, Any], client: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from nsatu.planner.stress import donors_with_offers
    from nsatu.planning.adapters import scenario_from_db

    with django_capture_on_commit_callbacks(execute=True):
        run = start_stress_run(actor=CLI, kind="withdrawal", method="greedy", time_limit=5)
    run.refresh_from_db()
    donors = donors_with_offers(scenario_from_db())
    assert run.status == StressStatus.DONE, run.message
    assert run.cases_total == run.cases_done == len(donors) > 1
    assert sorted(StressCase.objects.filter(run=run).values_list("key", flat=True)) == donors
    assert set(StressCase.objects.filter(run=run).values_list("status", flat=True)) == {"done"}
    # one ledger event per state change: started, cases queued, each case, done
    assert _events("stress-case-done") == len(donors)
    assert _events("stress-started") == _events("stress-cases-queued") == _events("stress-done") == 1
    assert verify_ledger().ok

    client.force_login(users["coordinator"])
    page = client.get(f"/stress/{run.pk}/").content.decode()
    assert 'data-testid="withdrawal"' in page
    worst = max(StressCase.objects.filter(run=run), key=lambda c: (c.result["pwf_loss"], c.key))
    table = page.split('data-testid="withdrawal"')[1]
    assert table.index(f'<th scope="row">{worst.key}</th>') < table.index("</tbody>")
    assert 'data-testid="cases"' in page and f"{len(donors)} of {len(donors)} cases" in page
    # the progress fragment tells htmx to reload once the run is over, and stops polling
    fragment = client.get(f"/stress/{run.pk}/progress/", HTTP_HX_REQUEST="true")
    assert fragment["HX-Refresh"] == "true" and "hx-get" not in fragment.content.decode()


def test_delay_samples_fan_out_and_match_the_pure_report(
    users: dict[str, Any], client: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from nsatu.planner.stress import delays, plan_of_lines
    from nsatu.planning.adapters import scenario_from_db

    with django_capture_on_commit_callbacks(execute=True):
        run = start_stress_run(actor=CLI, kind="delays", method="greedy", samples=6, seed=3)
    run.refresh_from_db()
    assert run.status == StressStatus.DONE and run.cases_done == 6
    s = scenario_from_db()
    expected = delays(s, plan_of_lines(s, run.base_lines), 6, 3)
    stored = sorted(StressCase.objects.filter(run=run), key=lambda c: int(c.key))
    assert [c.result["pwf"] for c in stored] == pytest.approx([x.pwf for x in expected.samples])

    client.force_login(users["coordinator"])
    page = client.get(f"/stress/{run.pk}/").content.decode()
    assert 'data-testid="delays"' in page and "median" in page
    assert "<script>" not in page  # strict CSP: no inline script


def test_the_index_starts_runs_for_coordinators_only(
    users: dict[str, Any], client: Any, django_capture_on_commit_callbacks: Any
) -> None:
    client.force_login(users["donor"])
    assert client.get("/stress/").status_code == 403
    client.force_login(users["coordinator"])
    assert client.get("/stress/").status_code == 200
    form = {
        "kind": "delays",
        "method": "greedy",
        "time_limit": 5,
        "samples": 2,
        "seed": 1,
        "mean_delay_days": 7,
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/stress/", form)
    run = StressRun.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/stress/{run.pk}/"
    run.refresh_from_db()
    assert run.status == StressStatus.DONE and run.created_by == "coord"


@pytest.mark.parametrize(
    "kwargs",
    [
        {"kind": "flood"},
        {"kind": "withdrawal", "method": "country"},
        {"kind": "withdrawal", "time_limit": 0},
        {"kind": "delays", "samples": 0},
    ],
)
def test_bad_parameters_are_refused(db: None, kwargs: dict[str, Any]) -> None:
    with pytest.raises(StressError):
        start_stress_run(actor=CLI, **kwargs)
    assert not StressRun.objects.exists()
