"""CRUD through the API for every resource, as a coordinator; each write leaves its ledger event."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from nsatu.core.ledger import verify_ledger
from nsatu.core.models import Event
from tests.api.conftest import ApiClient

pytestmark = pytest.mark.django_db


@dataclass
class Resource:
    """How to create, find, change and remove one kind of record through the API."""

    path: str
    object_type: str
    create: dict[str, Any]
    key: str  # the field of the answer naming the record in its path
    patch: dict[str, Any]
    deletable: bool = True
    parent: str = ""  # a collection to create in, when not `path`
    expect: dict[str, Any] = field(default_factory=dict)


RESOURCES = [
    Resource(
        "/nations",
        "nations.nation",
        {"iso3": "ITA", "name": "Italy", "nato": True, "eu": True, "codification_bureau": "15"},
        "iso3",
        {"name": "Italian Republic"},
    ),
    Resource(
        "/coalitions",
        "nations.coalition",
        {"code": "AIR", "name": "Air defence", "capabilities": ["artillery_sp"], "leads": ["NOR"]},
        "code",
        {"members": ["FRA"]},
        expect={"members": ["NOR"], "leads": ["NOR"]},
    ),
    Resource(
        "/agreements",
        "nations.agreement",
        {"code": "POL-UKR-2024", "donor": "POL", "signed": "2024-07-08", "duration_years": 10},
        "code",
        {"place": "Washington"},
    ),
    Resource(
        "/capabilities",
        "catalog.capability",
        {"code": "air_defence", "name": "Air defence"},
        "code",
        {"name": "Ground-based air defence"},
    ),
    Resource(
        "/families",
        "catalog.family",
        {"code": "M109", "name": "M109", "capability": "artillery_sp", "crew_per_unit": 4},
        "code",
        {"in_service": True, "introduction_cost": 2.5},
    ),
    Resource(
        "/family-aliases",
        "catalog.familyalias",
        {"alias": "Panzerhaubitze 2000", "family": "PZH2000", "source": "press"},
        "id",
        {"source": "Bundeswehr"},
    ),
    Resource(
        "/item-types",
        "catalog.itemtype",
        {
            "code": "PZH2000-B",
            "name": "PzH 2000 A2",
            "family": "PZH2000",
            "mass_t": 58,
            "nsn": "1025-12-345-6789",
        },
        "code",
        {"mass_t": 59.5},
        expect={"capability": "artillery_sp"},
    ),
    Resource(
        "/requirements",
        "needs.requirement",
        {
            "id": "R-new",
            "recipient": "UKR",
            "capability": "artillery_sp",
            "quantity": 12,
            "priority": 1,
            "needed_by": "2027-06-01",
            "accepts": ["PZH2000"],
            "releasability": "nations",
            "releasable_to": ["NOR"],
        },
        "id",
        {"priority": 3, "accepts": []},
    ),
    Resource(
        "/offers",
        "offers.offer",
        {
            "id": "O-new",
            "donor": "NOR",
            "item_type": "PZH2000-A",
            "quantity": 3,
            "available_from": "2027-02-01",
            "earmark": "R-public",
        },
        "id",
        {"quantity": 4, "earmark": None},
        expect={"status": "offered", "capability": "artillery_sp"},
    ),
    Resource(
        "/hubs",
        "logistics.hub",
        {"code": "RZE", "name": "Rzeszów", "nation": "POL", "capacity_t_per_week": 800},
        "code",
        {"capacity_t_per_week": 650},
    ),
    Resource(
        "/courses",
        "training.course",
        {
            "code": "PZH-1",
            "family": "PZH2000",
            "host": "DEU",
            "seats": 30,
            "start": "2027-01-11",
            "duration_weeks": 8,
        },
        "code",
        {"seats": 24},
    ),
]


def _events(object_type: str, action: str, object_id: str) -> int:
    return Event.objects.filter(object_type=object_type, action=action, object_id=object_id).count()


@pytest.mark.parametrize("resource", RESOURCES, ids=[r.path.strip("/") for r in RESOURCES])
def test_crud(world: Any, api: dict[str, ApiClient], resource: Resource) -> None:
    coordinator = api["coordinator"]
    created = coordinator.post(resource.parent or resource.path, resource.create)
    assert created.status_code == 201, created.content
    body = created.json()
    for name, value in {**resource.create, **resource.expect}.items():
        if name in body:
            assert body[name] == value or (isinstance(value, str) and body[name] == value.upper()), name
    assert body["version"] == 1
    url = f"{resource.path}/{body[resource.key]}"
    pk = Event.objects.filter(object_type=resource.object_type, action="create").latest("seq").object_id
    assert _events(resource.object_type, "create", pk) == 1

    assert coordinator.get(url).json() == body
    listed = coordinator.get(resource.path, limit=1000).json()
    assert body in listed["items"] and listed["count"] == len(listed["items"])

    changed = coordinator.patch(url, {"version": 1, **resource.patch})
    assert changed.status_code == 200, changed.content
    assert changed.json()["version"] == 2
    for name, value in resource.patch.items():
        assert changed.json()[name] == value or set(changed.json()[name]) >= set(value), name
    assert _events(resource.object_type, "update", pk) == 1

    stale = coordinator.patch(url, {"version": 1, **resource.patch})
    assert stale.status_code == 409
    assert "changed by someone else" in stale.json()["detail"]
    assert _events(resource.object_type, "update", pk) == 1

    if resource.deletable:
        assert coordinator.delete(url).status_code == 204
        assert coordinator.get(url).status_code == 404
        assert _events(resource.object_type, "delete", pk) == 1
    assert verify_ledger().ok


def test_routes_and_pledges(world: Any, api: dict[str, ApiClient]) -> None:
    coordinator = api["coordinator"]
    assert coordinator.post(
        "/hubs", {"code": "RZE", "name": "Rzeszów", "nation": "POL", "capacity_t_per_week": 800}
    )
    route = coordinator.post("/routes", {"donor": "NOR", "hub": "RZE", "lead_time_days": 9})
    assert route.status_code == 201, route.content
    rid = route.json()["id"]
    assert coordinator.get("/routes", donor="nor").json()["items"] == [route.json()]
    assert (
        coordinator.patch(f"/routes/{rid}", {"version": 1, "lead_time_days": 7}).json()["lead_time_days"] == 7
    )
    duplicate = coordinator.post("/routes", {"donor": "NOR", "hub": "RZE", "lead_time_days": 3})
    assert duplicate.status_code == 422
    assert coordinator.delete(f"/routes/{rid}").status_code == 204
    assert _events("logistics.route", "delete", str(rid)) == 1

    coordinator.post("/agreements", {"code": "NOR-UKR", "donor": "NOR", "signed": "2024-07-11"})
    pledge = coordinator.post(
        "/agreements/NOR-UKR/pledges", {"year": 2025, "amount": "1234.50", "currency": "nok"}
    )
    assert pledge.status_code == 201, pledge.content
    assert pledge.json()["amount"] == "1234.50" and pledge.json()["currency"] == "NOK"
    pid = pledge.json()["id"]
    assert coordinator.get("/agreements/NOR-UKR/pledges", year=2025).json()["count"] == 1
    assert coordinator.get("/agreements/NOR-UKR/pledges", year=2026).json()["count"] == 0
    changed = coordinator.patch(f"/pledges/{pid}", {"version": 1, "amount": 2000})
    assert changed.json()["amount"] == "2000.00"
    assert _events("nations.pledge", "update", str(pid)) == 1
    assert coordinator.delete(f"/pledges/{pid}").status_code == 204
    assert _events("nations.pledge", "delete", str(pid)) == 1


def test_requirement_cancel_and_offer_withdraw(world: Any, api: dict[str, ApiClient]) -> None:
    cancelled = api["UKR"].post("/requirements/R-public/cancel")
    assert cancelled.status_code == 200
    assert cancelled.json()["status"] == "cancelled"
    assert Event.objects.filter(object_type="needs.requirement", action="cancel").count() == 1
    withdrawn = api["POL"].post("/offers/O-public/withdraw?version=1")
    assert withdrawn.status_code == 200
    assert withdrawn.json()["status"] == "withdrawn"
    assert Event.objects.filter(object_type="offers.offer", action="withdraw").count() == 1
    assert api["POL"].post("/offers/O-public/withdraw").status_code == 409
    stale = api["POL"].post("/offers/O-coalition/withdraw?version=7")
    assert stale.status_code == 409


def test_validation_errors_name_the_field(world: Any, api: dict[str, ApiClient]) -> None:
    coordinator = api["coordinator"]
    bad = coordinator.post(
        "/offers",
        {"id": "O-x", "donor": "POL", "item_type": "NOPE", "quantity": 1, "available_from": "2027-01-01"},
    )
    assert bad.status_code == 422
    assert bad.json()["errors"] == {"item_type": ["no item type 'NOPE'"]}
    negative = coordinator.post(
        "/offers",
        {
            "id": "O-x",
            "donor": "POL",
            "item_type": "PZH2000-A",
            "quantity": -1,
            "available_from": "2027-01-01",
        },
    )
    assert negative.status_code == 422
    assert list(negative.json()["errors"]) == ["quantity"]
    duplicate = coordinator.post(
        "/offers",
        {
            "id": "O-public",
            "donor": "POL",
            "item_type": "PZH2000-A",
            "quantity": 1,
            "available_from": "2027-01-01",
        },
    )
    assert duplicate.status_code == 422
    assert "code" in duplicate.json()["errors"]
    wrong_family = api["UKR"].patch("/requirements/R-public", {"version": 1, "accepts": ["NOPE"]})
    assert wrong_family.status_code == 422 and "accepts" in wrong_family.json()["errors"]
    query = coordinator.get("/requirements", priority=9)
    assert query.status_code == 422 and "query.priority" in query.json()["errors"]
    assert coordinator.get("/offers", limit=0).status_code == 422


def test_deleting_a_referenced_record_is_a_conflict(world: Any, api: dict[str, ApiClient]) -> None:
    refused = api["coordinator"].delete("/nations/POL")
    assert refused.status_code == 409
    assert "refer" in refused.json()["detail"]
    assert api["coordinator"].get("/nations/POL").status_code == 200


def test_filters_and_pagination(world: Any, api: dict[str, ApiClient]) -> None:
    coordinator = api["coordinator"]
    page = coordinator.get("/offers", limit=2, offset=1).json()
    assert page["count"] == 4
    assert [o["id"] for o in page["items"]] == ["O-command", "O-listed"]  # by code
    assert coordinator.get("/nations", nato=False).json()["items"][0]["iso3"] == "UKR"
    assert coordinator.get("/nations", eu=True).json()["count"] == 3
    assert coordinator.get("/requirements", q="listed").json()["count"] == 1
    assert coordinator.get("/requirements", status="met").json()["count"] == 0
    assert coordinator.get("/offers", donor="pol", capability="artillery_sp").json()["count"] == 4
    assert coordinator.get("/families", capability="artillery_sp").json()["items"][0]["code"] == "PZH2000"
    assert coordinator.get("/item-types", family="PZH2000").json()["count"] == 1
    assert coordinator.get("/coalitions", nation="deu").json()["items"][0]["leads"] == ["DEU"]


def test_null_clears_only_nullable_fields(world: Any, api: dict[str, ApiClient]) -> None:
    coordinator = api["coordinator"]
    for path, name in [
        ("/requirements/R-public", "capability"),
        ("/offers/O-public", "item_type"),
        ("/offers/O-public", "quantity"),
        ("/item-types/PZH2000-A", "family"),
        ("/families/PZH2000", "capability"),
        ("/nations/POL", "name"),
    ]:
        answer = coordinator.patch(path, {"version": 1, name: None})
        assert answer.status_code == 422, (path, name, answer.content)
        assert list(answer.json()["errors"]) == [name]
    coordinator.patch("/offers/O-public", {"version": 1, "earmark": "R-public"})
    cleared = coordinator.patch("/offers/O-public", {"version": 2, "earmark": None})
    assert cleared.status_code == 200 and cleared.json()["earmark"] is None
    cost = coordinator.patch("/families/PZH2000", {"version": 1, "introduction_cost": None})
    assert cost.status_code == 200 and cost.json()["introduction_cost"] is None
