"""The releasability matrix through the API: lists, details, searches (`q`), shipments and plan
lines show exactly what each role and nation may see; the rest answers 404, never 403 with data."""

from __future__ import annotations

from typing import Any

import pytest

from nsatu.logistics.models import Hub
from nsatu.planning.models import Allocation, PlanRun, RunStatus
from tests.api.conftest import ROLES, ApiClient
from tests.shipments.builders import shipments_for

pytestmark = pytest.mark.django_db

ALL = {"public", "coalition", "listed", "command"}
# The world's record keys -> the marking they carry.
_MARKINGS = {"public": "public", "coalition": "coalition", "listed": "nations", "command": "command-only"}
# who -> (requirement markings seen, offer markings seen). Requirements are UKR's,
# offers POL's; DEU leads the artillery coalition; FRA is listed by name. A shipment
# carries its offer's marking and belongs to its donor, so shipments follow the offers,
# except that the recipient (UKR) sees every shipment sent to it: it confirms their receipt.
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


@pytest.mark.parametrize("who", sorted(EXPECTED))
def test_search_finds_exactly_what_may_be_seen(world: Any, api: dict[str, ApiClient], who: str) -> None:
    client = api[who]
    for kind, want in zip(("requirements", "offers"), EXPECTED[who], strict=True):
        prefix = kind[0].upper()
        found = client.get(f"/{kind}", q=f"{prefix}-", limit=100).json()
        assert {_marking(row["id"]) for row in found["items"]} == want, kind
        assert found["count"] == len(want)
        for marking in ALL:
            hits = client.get(f"/{kind}", q=f"{prefix}-{marking}").json()
            assert [row["id"] for row in hits["items"]] == (
                [f"{prefix}-{marking}"] if marking in want else []
            )
            assert hits["count"] == (1 if marking in want else 0), (kind, marking)


@pytest.fixture
def shipped(world: Any) -> dict[str, str]:
    """One shipment per offer marking: marking -> shipment code."""
    made = shipments_for(world, [(offer, 1, 3) for offer in world.offers.values()])
    return {_marking(s.offer.code): s.code for s in made}


@pytest.mark.parametrize("who", sorted(EXPECTED))
def test_shipments_lists_details_and_search(
    world: Any, api: dict[str, ApiClient], shipped: dict[str, str], who: str
) -> None:
    client = api[who]
    want = ALL if who == "UKR" else EXPECTED[who][1]
    offers_seen = EXPECTED[who][1]
    marking_of = {code: marking for marking, code in shipped.items()}
    listed = client.get("/shipments", limit=100).json()
    assert {marking_of[row["code"]] for row in listed["items"]} == want
    assert listed["count"] == len(want)
    # A shipment names its offer only to those who may open the offer: the recipient sees every
    # shipment sent to it, but not the code of an offer that is not releasable to it.
    for row in listed["items"]:
        marking = marking_of[row["code"]]
        assert row["offer"] == (f"O-{marking}" if marking in offers_seen else None), row["code"]
    assert {marking_of[row["code"]] for row in client.get("/shipments", q="SHP-").json()["items"]} == want
    missing = client.get("/shipments/SHP-999999")
    assert missing.status_code == 404
    for marking, code in shipped.items():
        detail = client.get(f"/shipments/{code}")
        by_code = client.get("/shipments", q=code).json()
        by_offer = client.get("/shipments", q=f"O-{marking}").json()
        if marking in want:
            assert detail.status_code == 200 and detail.json()["releasability"] == _MARKINGS[marking]
            assert [row["code"] for row in by_code["items"]] == [code]
            # searching by an offer's code finds its shipments only for those who may open the offer
            assert [row["code"] for row in by_offer["items"]] == ([code] if marking in offers_seen else [])
        else:
            # Exactly the answer for a shipment that does not exist: nothing leaks.
            assert detail.status_code == 404, marking
            assert detail.json() == {"detail": f"no shipment '{code}'"}
            assert by_code == by_offer == {"items": [], "count": 0}
            # Nor can a hidden shipment be moved or received: 404 before any role check.
            assert client.post(f"/shipments/{code}/dispatch", {}).status_code == 404
            assert client.post(f"/shipments/{code}/receipt", {"quantity_received": 1}).status_code == 404
