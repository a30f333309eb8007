"""Who may change what: donors their nation's offers, recipients their requirements,
coordinators everything, leadership and auditors nothing."""

from __future__ import annotations

from typing import Any

import pytest

from nsatu.core.models import Event
from tests.api.conftest import ROLES, ApiClient

pytestmark = pytest.mark.django_db

OFFER = {"item_type": "PZH2000-A", "quantity": 1, "available_from": "2027-02-01"}
REQUIREMENT = {"capability": "artillery_sp", "quantity": 2, "priority": 2, "needed_by": "2027-05-01"}

# (method, path, body) of writes only a coordinator may make.
COORDINATOR_ONLY = [
    ("post", "/nations", {"iso3": "ITA", "name": "Italy"}),
    ("patch", "/nations/NOR", {"version": 1, "name": "Norge"}),
    ("post", "/coalitions", {"code": "X", "name": "X"}),
    ("post", "/agreements", {"code": "A", "donor": "POL", "signed": "2024-01-01"}),
    ("post", "/capabilities", {"code": "x"}),
    ("post", "/families", {"code": "F", "name": "F", "capability": "artillery_sp"}),
    ("post", "/family-aliases", {"alias": "x", "family": "PZH2000"}),
    ("post", "/item-types", {"code": "I", "name": "I", "family": "PZH2000"}),
    ("patch", "/item-types/PZH2000-A", {"version": 1, "mass_t": 1}),
    ("post", "/hubs", {"code": "H", "name": "H", "nation": "POL", "capacity_t_per_week": 1}),
    ("post", "/routes", {"donor": "POL", "hub": "H", "lead_time_days": 1}),
    (
        "post",
        "/courses",
        {
            "code": "C",
            "family": "PZH2000",
            "host": "DEU",
            "seats": 1,
            "start": "2027-01-01",
            "duration_weeks": 1,
        },
    ),
    ("post", "/courses/PZH-1/cohorts", {}),
    ("patch", "/cohorts/PZH-1-C1", {"version": 1, "seats_filled": 1}),
    ("post", "/cohorts/PZH-1-C1/graduate", {"graduates": 1}),
    ("post", "/stress-runs", {"kind": "withdrawal", "method": "greedy"}),
    ("post", "/plan-runs", {"method": "greedy", "time_limit": 5}),
    ("post", "/plan-runs/1/approve", None),
    ("delete", "/offers/O-public", None),
    ("delete", "/requirements/R-public", None),
]


def _call(client: ApiClient, method: str, path: str, body: Any) -> Any:
    if method == "delete":
        return client.delete(path)
    return getattr(client, method)(path, body if body is not None else {})


@pytest.mark.parametrize("who", [r for r in ROLES if r != "coordinator"])
def test_only_coordinators_change_reference_data_and_plans(
    world: Any, api: dict[str, ApiClient], who: str
) -> None:
    before = Event.objects.count()
    for method, path, body in COORDINATOR_ONLY:
        answer = _call(api[who], method, path, body)
        assert answer.status_code == 403, (who, method, path, answer.content)
        assert "only a coordinator may" in answer.json()["detail"]
    assert Event.objects.count() == before


@pytest.mark.parametrize("who", ["leadership", "auditor"])
def test_command_readers_change_nothing(world: Any, api: dict[str, ApiClient], who: str) -> None:
    before = Event.objects.count()
    for method, path, body in [
        ("post", "/offers", {"id": "O-x", "donor": "POL", **OFFER}),
        ("patch", "/offers/O-public", {"version": 1, "quantity": 9}),
        ("post", "/offers/O-public/withdraw", None),
        ("post", "/requirements", {"id": "R-x", "recipient": "UKR", **REQUIREMENT}),
        ("patch", "/requirements/R-public", {"version": 1, "priority": 1}),
        ("post", "/requirements/R-public/cancel", None),
    ]:
        assert _call(api[who], method, path, body).status_code == 403, (who, path)
    assert Event.objects.count() == before
    # ...but read everything.
    assert api[who].get("/offers").json()["count"] == 4
    assert api[who].get("/requirements").json()["count"] == 4


def test_donor_manages_only_its_own_offers(world: Any, api: dict[str, ApiClient]) -> None:
    made = api["NOR"].post("/offers", {"id": "O-nor", **OFFER})
    assert made.status_code == 201, made.content
    assert made.json()["donor"] == "NOR"
    assert api["NOR"].post("/offers", {"id": "O-nor2", "donor": "POL", **OFFER}).status_code == 403
    # POL's public offer: visible to NOR, but not NOR's to change.
    assert api["NOR"].patch("/offers/O-public", {"version": 1, "quantity": 9}).status_code == 403
    assert api["NOR"].post("/offers/O-public/withdraw").status_code == 403
    # POL's command-only offer: not even visible to NOR, so it does not exist for NOR.
    assert api["NOR"].patch("/offers/O-command", {"version": 1, "quantity": 9}).status_code == 404
    assert api["POL"].patch("/offers/O-command", {"version": 1, "quantity": 9}).status_code == 200
    # Recipients make no offers; donors state no requirements.
    assert api["UKR"].post("/offers", {"id": "O-ukr", **OFFER}).status_code == 403
    assert api["POL"].post("/requirements", {"id": "R-pol", **REQUIREMENT}).status_code == 403
    assert api["POL"].patch("/requirements/R-public", {"version": 1, "priority": 1}).status_code == 403


def test_recipient_manages_its_requirements(world: Any, api: dict[str, ApiClient]) -> None:
    made = api["UKR"].post("/requirements", {"id": "R-ukr", **REQUIREMENT})
    assert made.status_code == 201, made.content
    assert made.json()["recipient"] == "UKR"
    assert (
        api["UKR"].post("/requirements", {"id": "R-x", "recipient": "POL", **REQUIREMENT}).status_code == 403
    )
    changed = api["UKR"].patch(
        "/requirements/R-ukr", {"version": 1, "priority": 5, "needed_by": "2027-09-01"}
    )
    assert changed.status_code == 200 and changed.json()["priority"] == 5
    event = Event.objects.filter(object_type="needs.requirement", action="update").latest("seq")
    assert event.actor == "ukr" and event.nation == "UKR"
    assert event.payload["changes"]["priority"] == [2, 5]
    # Only a coordinator deletes; a recipient cancels.
    assert api["UKR"].delete("/requirements/R-ukr").status_code == 403
    assert api["coordinator"].delete("/requirements/R-ukr").status_code == 204


def test_coordinator_acts_for_any_nation(world: Any, api: dict[str, ApiClient]) -> None:
    assert api["coordinator"].post("/offers", {"id": "O-c", **OFFER}).status_code == 422  # which donor?
    assert api["coordinator"].post("/offers", {"id": "O-c", "donor": "FRA", **OFFER}).status_code == 201
    assert api["coordinator"].patch("/offers/O-public", {"version": 1, "quantity": 9}).status_code == 200
    assert (
        api["coordinator"].post("/requirements", {"id": "R-c", "recipient": "UKR", **REQUIREMENT}).status_code
        == 201
    )
