"""The releasability matrix through the API: lists, details and plan lines show exactly
what each role and nation may see; the rest answers 404, never 403 with data."""

from __future__ import annotations

from typing import Any

import pytest

from nsatu.logistics.models import Hub
from nsatu.planning.models import Allocation, PlanRun, RunStatus
from tests.api.conftest import ROLES, ApiClient

pytestmark = pytest.mark.django_db

ALL = {"public", "coalition", "listed", "command"}
# who -> (requirement markings seen, offer markings seen). Requirements are UKR's,
# offers POL's; DEU leads the artillery coalition; FRA is listed by name.
EXPECTED = {
    "DEU": ({"public", "coalition"}, {"public", "coalition"}),
    "FRA": ({"public", "listed"}, {"public", "listed"}),
    "NOR": ({"public"}, {"public"}),
    "POL": ({"public"}, ALL),
    "UKR": (ALL, {"public"}),
    "coordinator": (ALL, ALL),
    "leadership": (ALL, ALL),
    "auditor": (ALL, ALL),
}
assert set(EXPECTED) == set(ROLES)


def _marking(code: str) -> str:
    return code.split("-", 1)[1]


@pytest.fixture
def run(world: Any) -> PlanRun:
    """A finished run with one line for every (offer marking, requirement marking) pair."""
    hub = Hub.objects.create(code="RZE", name="Rzeszów", nation=world.nations["POL"], capacity_t_per_week=500)
    run = PlanRun.objects.create(
        method="optimal", status=RunStatus.DONE, created_by="coord", metrics={"pwf": 0.5}
    )
    for offer in world.offers.values():
        for week, requirement in enumerate(world.requirements.values(), start=1):
            Allocation.objects.create(
                run=run, offer=offer, requirement=requirement, hub=hub, quantity=0.5, arrival_week=week
            )
    return run


@pytest.mark.parametrize("who", sorted(EXPECTED))
def test_lists_and_details(world: Any, api: dict[str, ApiClient], who: str) -> None:
    client = api[who]
    for kind, want in zip(("requirements", "offers"), EXPECTED[who], strict=True):
        prefix = kind[0].upper()
        listed = client.get(f"/{kind}", limit=100).json()
        assert {_marking(row["id"]) for row in listed["items"]} == want, kind
        assert listed["count"] == len(want)
        for marking in ALL:
            detail = client.get(f"/{kind}/{prefix}-{marking}")
            if marking in want:
                assert detail.status_code == 200
                assert detail.json()["id"] == f"{prefix}-{marking}"
            else:
                assert detail.status_code == 404, (kind, marking)
                assert detail.json() == {"detail": f"no {kind[:-1]} '{prefix}-{marking}'"}
                # Exactly the answer for a record that does not exist: nothing leaks.
                assert (
                    client.get(f"/{kind}/{prefix}-nonexistent").json()["detail"].startswith(f"no {kind[:-1]}")
                )


@pytest.mark.parametrize("who", sorted(EXPECTED))
def test_plan_lines(world: Any, api: dict[str, ApiClient], run: PlanRun, who: str) -> None:
    want_requirements, want_offers = EXPECTED[who]
    lines = api[who].get(f"/plan-runs/{run.pk}/allocations", limit=100).json()
    seen = {(_marking(line["offer"]), _marking(line["requirement"])) for line in lines["items"]}
    assert seen == {(o, r) for o in want_offers for r in want_requirements}
    assert lines["count"] == len(seen)
    # The run's aggregate figures are for everyone.
    assert api[who].get(f"/plan-runs/{run.pk}").json()["metrics"] == {"pwf": 0.5}


@pytest.mark.parametrize("who", ["DEU", "NOR", "POL"])
def test_filters_cannot_reach_hidden_records(world: Any, api: dict[str, ApiClient], who: str) -> None:
    client = api[who]
    want_requirements, want_offers = EXPECTED[who]
    for marking in ALL - want_offers:
        assert client.get("/offers", earmark=f"R-{marking}", q=f"O-{marking}").json()["count"] == 0
        assert client.get("/offers", donor="POL").json()["count"] == len(want_offers)
    for marking in ALL - want_requirements:
        assert client.get("/requirements", q=marking).json()["count"] == 0
        # An unseen requirement cannot be earmarked either: it does not exist for this caller.
        if who != "POL":
            continue
        answer = client.post(
            "/offers",
            {
                "id": f"O-{who}-{marking}",
                "item_type": "PZH2000-A",
                "quantity": 1,
                "available_from": "2027-01-04",
                "earmark": f"R-{marking}",
            },
        )
        assert answer.status_code == 422
        assert answer.json()["errors"] == {"earmark": [f"no requirement 'R-{marking}'"]}


def test_listed_nations_are_shown_only_to_those_who_may_know(world: Any, api: dict[str, ApiClient]) -> None:
    created = api["UKR"].post(
        "/requirements",
        {
            "id": "R-two",
            "capability": "artillery_sp",
            "quantity": 1,
            "priority": 1,
            "needed_by": "2027-01-01",
            "releasability": "nations",
            "releasable_to": ["FRA", "NOR"],
        },
    )
    assert created.json()["releasable_to"] == ["FRA", "NOR"]
    assert api["coordinator"].get("/requirements/R-two").json()["releasable_to"] == ["FRA", "NOR"]
    assert api["FRA"].get("/requirements/R-two").json()["releasable_to"] == ["FRA"]
    assert api["NOR"].get("/requirements/R-two").json()["releasable_to"] == ["NOR"]
    assert api["DEU"].get("/requirements/R-two").status_code == 404
