"""A finished plan over the shared `world`, with known answers for every chart."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

START = dt.date(2027, 1, 4)  # a Monday: week w starts START + 7w


@dataclass
class Planned:
    world: Any
    run: Any
    air_defence: Any
    nasams: Any
    iris: Any
    hubs: dict[str, Any]
    offer_ad: Any
    requirement_ad: Any


@pytest.fixture
def planned(world: Any) -> Planned:
    """World + air defence (one family in service, one the plan introduces), two hubs, pledges,
    an older finished run, a newer running one, and the latest finished run with four lines:

    | line | offer     | requirement | hub | qty | week | tonnes |
    | a1   | O-public  | R-public    | RZE | 2   | 2    | 114    |
    | a2   | O-command | R-command   | RZE | 2   | 4    | 114    |
    | a3   | O-listed  | R-listed    | RZE | 1   | 4    | 57     |
    | a4   | O-ad(DEU) | R-ad        | CTA | 3   | 3    | 90     |
    """
    from nsatu.catalog.services import create_capability, create_family, create_item_type
    from nsatu.core.actors import CLI
    from nsatu.logistics.services import create_hub
    from nsatu.nations.services import create_agreement, create_pledge
    from nsatu.needs.services import create_requirement
    from nsatu.offers.services import create_offer
    from nsatu.planning.models import Allocation, PlanRun, RunStatus
    from nsatu.planning.services import set_planning_settings

    n = world.nations
    set_planning_settings(actor=CLI, name="test", start_date=START, horizon_weeks=20, recipient=n["UKR"])
    air_defence = create_capability(actor=CLI, code="air_defence_medium", name="Medium air defence")
    nasams = create_family(actor=CLI, code="NASAMS", name="NASAMS", capability=air_defence, in_service=True)
    iris = create_family(actor=CLI, code="IRIST", name="IRIS-T SLM", capability=air_defence, in_service=False)
    iris_item = create_item_type(
        actor=CLI, code="IRIST-FU", name="IRIS-T SLM fire unit", family=iris, mass_t=30
    )
    requirement_ad = create_requirement(
        actor=CLI,
        code="R-ad",
        recipient=n["UKR"],
        capability=air_defence,
        quantity=3,
        priority=1,
        needed_by=dt.date(2027, 2, 1),
    )
    offer_ad = create_offer(
        actor=CLI, code="O-ad", donor=n["DEU"], item_type=iris_item, quantity=3, available_from=START
    )
    hubs = {
        "RZE": create_hub(actor=CLI, code="RZE", name="Rzeszów", nation=n["POL"], capacity_t_per_week=200),
        "CTA": create_hub(actor=CLI, code="CTA", name="Constanța", nation=n["POL"], capacity_t_per_week=100),
    }
    pol = create_agreement(actor=CLI, code="POL-UKR", donor=n["POL"], signed=dt.date(2024, 7, 8))
    create_pledge(actor=CLI, agreement=pol, year=2027, amount=100_000_000, currency="EUR")
    deu = create_agreement(actor=CLI, code="DEU-UKR", donor=n["DEU"], signed=dt.date(2024, 2, 16))
    create_pledge(actor=CLI, agreement=deu, year=2027, amount=50_000_000, currency="EUR")
    create_pledge(actor=CLI, agreement=deu, year=2028, amount=20_000_000, currency="USD")

    now = timezone.now()
    older = PlanRun.objects.create(
        method="greedy", status=RunStatus.DONE, created_by="coord", finished_at=now - dt.timedelta(days=1)
    )
    Allocation.objects.create(
        run=older,
        offer=world.offers["public"],
        requirement=world.requirements["public"],
        hub=hubs["RZE"],
        quantity=1,
        arrival_week=9,
    )
    run = PlanRun.objects.create(method="optimal", status=RunStatus.DONE, created_by="coord", finished_at=now)
    PlanRun.objects.create(method="optimal", status=RunStatus.RUNNING, created_by="coord")
    o, r = world.offers, world.requirements
    for offer, requirement, hub, quantity, week in [
        (o["public"], r["public"], "RZE", 2, 2),
        (o["command"], r["command"], "RZE", 2, 4),
        (o["listed"], r["listed"], "RZE", 1, 4),
        (offer_ad, requirement_ad, "CTA", 3, 3),
    ]:
        Allocation.objects.create(
            run=run, offer=offer, requirement=requirement, hub=hubs[hub], quantity=quantity, arrival_week=week
        )
    return Planned(world, run, air_defence, nasams, iris, hubs, offer_ad, requirement_ad)


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def committed(planned: Planned) -> Planned:
    """``planned`` with its latest run approved (the run's row says so: the charts read commitments,
    and this is what an approval leaves behind for them), the older run left a proposal."""
    from nsatu.planning.models import PlanRun

    PlanRun.objects.filter(pk=planned.run.pk).update(approved_at=timezone.now(), approved_by="coord")
    planned.run.refresh_from_db()
    return planned
