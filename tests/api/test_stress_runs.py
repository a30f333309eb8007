"""Stress runs through the API: coordinators start them, command staff poll them and read their
cases and report; nation roles get 403 for every run. Tasks run inline (immediate backend)."""

from __future__ import annotations

from typing import Any

import pytest

from nsatu.core.actors import CLI
from nsatu.core.ledger import verify_ledger
from nsatu.core.models import Event
from nsatu.planner.synth import generate
from nsatu.planning.adapters import import_scenario
from nsatu.stress.models import StressCase, StressRun
from nsatu.tokens.services import create_api_token
from tests.api.conftest import ApiClient, last_event

pytestmark = pytest.mark.django_db

DELAYS = {
    "kind": "delays",
    "method": "greedy",
    "time_limit": 5,
    "samples": 3,
    "seed": 3,
    "mean_delay_days": 7,
}


def _clients() -> dict[str, ApiClient]:
    """A token for one user of each role; the nations are the scenario's when one is imported."""
    from nsatu.accounts.services import create_user
    from nsatu.nations.models import Nation
    from nsatu.nations.services import create_nation

    def nation(iso3: str) -> Nation:
        return Nation.objects.filter(iso3=iso3).first() or create_nation(actor=CLI, iso3=iso3, name=iso3)

    roles = {
        "coordinator": ("coord", "coordinator", None),
        "leadership": ("lead", "leadership", None),
        "auditor": ("audit", "auditor", None),
        "donor": ("deu", "donor", nation("DEU")),
        "recipient": ("ukr", "recipient", nation("UKR")),
    }
    clients = {}
    for key, (username, role, member_of) in roles.items():
        user = create_user(
            actor=CLI, username=username, password="x-Secret-123456", role=role, nation=member_of
        )
        clients[key] = ApiClient(create_api_token(actor=CLI, user=user, name="tests")[1])
    return clients


@pytest.fixture
def api(db: Any) -> dict[str, ApiClient]:
    """Clients of every role, no scenario: for what never reaches a planner."""
    return _clients()


@pytest.fixture
def planned(db: Any, settings: Any) -> dict[str, ApiClient]:
    """A small synthetic scenario, tasks run inline, and clients of every role."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    import_scenario(generate("small", 2), actor=CLI)
    return _clients()


def _start(api: dict[str, ApiClient], body: dict[str, Any], capture: Any) -> dict[str, Any]:
    with capture(execute=True):
        answer = api["coordinator"].post("/stress-runs", body)
    assert answer.status_code == 202, answer.json()
    started: dict[str, Any] = answer.json()
    return started


def test_a_delay_run_is_started_polled_and_reported(
    planned: dict[str, ApiClient], django_capture_on_commit_callbacks: Any
) -> None:
    api = planned
    from nsatu.planner.stress import delays, plan_of_lines
    from nsatu.planning.adapters import scenario_from_db

    started = _start(api, DELAYS, django_capture_on_commit_callbacks)
    assert started["status"] == "queued" and started["kind"] == "delays" and started["created_by"] == "coord"
    assert started["base"] is None and started["cases_total"] == 0
    event = last_event("stress.stressrun")
    assert Event.objects.filter(action="create", object_type="stress.stressrun", actor="coord").exists()
    assert event.action == "stress-done"

    polled = api["leadership"].get(f"/stress-runs/{started['id']}").json()
    assert polled["status"] == "done", polled["message"]
    assert polled["cases_total"] == polled["cases_done"] == 3 and polled["fraction"] == 1.0
    assert polled["base"]["method"] == "greedy" and 0 <= polled["base"]["pwf"] <= 1

    cases = api["auditor"].get(f"/stress-runs/{started['id']}/cases").json()
    assert cases["count"] == 3 and [c["key"] for c in cases["items"]] == ["0", "1", "2"]
    run = StressRun.objects.get()
    s = scenario_from_db()
    expected = delays(s, plan_of_lines(s, run.base_lines), 3, 3, mean_days=7)
    assert [c["delay"]["pwf"] for c in cases["items"]] == pytest.approx([x.pwf for x in expected.samples])
    assert all(c["withdrawal"] is None and c["status"] == "done" for c in cases["items"])

    report = api["coordinator"].get(f"/stress-runs/{started['id']}/report").json()
    assert report["kind"] == "delays" and report["impacts"] == [] and report["cases_failed"] == []
    assert report["pwf"] == pytest.approx(expected.pwf) and report["on_time_share"] == pytest.approx(
        expected.on_time_share
    )
    assert api["coordinator"].get("/stress-runs", kind="delays", status="done").json()["count"] == 1
    assert api["coordinator"].get("/stress-runs", kind="withdrawal").json()["count"] == 0
    assert verify_ledger().ok


def test_a_withdrawal_report_lists_donors_worst_first(
    planned: dict[str, ApiClient], django_capture_on_commit_callbacks: Any
) -> None:
    api = planned
    started = _start(
        api, {"kind": "withdrawal", "method": "greedy", "time_limit": 5}, django_capture_on_commit_callbacks
    )
    report = api["coordinator"].get(f"/stress-runs/{started['id']}/report").json()
    donors = sorted(StressCase.objects.filter(run_id=started["id"]).values_list("key", flat=True))
    assert sorted(i["donor"] for i in report["impacts"]) == donors and len(donors) > 1
    losses = [(-i["pwf_loss"], i["donor"]) for i in report["impacts"]]
    assert losses == sorted(losses)
    assert report["worst_fixed_loss"] == max(report["base"]["fixed_losses"].values(), default=0.0)
    assert report["pwf"] is None
    case = api["coordinator"].get(f"/stress-runs/{started['id']}/cases", status="done").json()["items"][0]
    assert case["delay"] is None and case["withdrawal"]["donor"] == case["key"]


def test_nation_roles_may_not_read_stress_runs(api: dict[str, ApiClient]) -> None:
    run_id = StressRun.objects.create(kind="delays", samples=2, created_by="coord").pk
    for who in ("donor", "recipient"):
        client = api[who]
        for path in (
            "/stress-runs",
            *(f"/stress-runs/{i}{tail}" for i in (run_id, 999) for tail in ("", "/cases", "/report")),
        ):
            answer = client.get(path)
            assert answer.status_code == 403, (who, path)
            assert answer.json()["detail"].startswith("only a coordinator or leadership or auditor may read")
    assert api["auditor"].get("/stress-runs/999").json() == {"detail": "no stress run 999"}


@pytest.mark.parametrize("who", ["leadership", "auditor", "donor", "recipient"])
def test_only_coordinators_start_stress_runs(api: dict[str, ApiClient], who: str) -> None:
    before = Event.objects.count()
    answer = api[who].post("/stress-runs", DELAYS)
    assert answer.status_code == 403 and "only a coordinator may start stress runs" in answer.json()["detail"]
    assert Event.objects.count() == before and not StressRun.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "delays", "samples": 0}, "samples"),
        ({"kind": "flood"}, "kind"),
        ({"kind": "withdrawal", "method": "country"}, "method"),
        ({"kind": "withdrawal", "time_limit": 0}, "time_limit"),
        ({"kind": "delays", "samples": 2, "mean_delay_days": -1}, "mean_delay_days"),
    ],
)
def test_bad_parameters_answer_422_naming_the_field(
    api: dict[str, ApiClient], body: dict[str, Any], field: str
) -> None:
    answer = api["coordinator"].post("/stress-runs", body)
    assert answer.status_code == 422 and field in answer.json()["errors"], answer.json()
    assert not StressRun.objects.exists()
