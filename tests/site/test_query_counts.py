"""Pages that join plan runs cost the same queries whatever the data, and never load a run's metrics
per row: a synthetic scenario imported, planned and approved, measured, then a larger one on top."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from nsatu.accounts.services import create_user
from nsatu.core.actors import CLI
from nsatu.nations.models import Nation
from nsatu.nations.services import create_agreement, create_pledge
from nsatu.planner.methods import run_method
from nsatu.planner.synth import generate
from nsatu.planning.adapters import import_scenario, save_plan, scenario_from_db
from nsatu.planning.models import PlanRun, RunStatus
from nsatu.planning.services import approve_plan_run

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

PAGES = ["/agreements/", "/training/readiness/", "/training/", "/shipments/slipped/", "/offers/mine/"]
# a query that reads a run's metrics beside the rows of another table
JOINED_METRICS = re.compile(
    r'JOIN "planning_planrun".*"planning_planrun"\."metrics"|'
    r'"planning_planrun"\."metrics".*JOIN "planning_planrun"',
    re.S,
)


def _grow(scale: str, seed: int, tag: str) -> None:
    """Import a synthetic scenario, plan it greedily, approve the plan; agreements and pledges
    for every donor."""
    scenario = generate(scale, seed)
    # codes of their own, so the second scenario adds to the first instead of changing it
    scenario.requirements.ids = [f"{tag}{code}" for code in scenario.requirements.ids]
    scenario.offers.ids = [f"{tag}{code}" for code in scenario.offers.ids]
    import_scenario(scenario, actor=CLI)
    scenario = scenario_from_db()
    run = PlanRun.objects.create(method="greedy", status=RunStatus.DONE, created_by="test")
    plan = run_method(scenario, "greedy", time_limit=30)
    save_plan(run, scenario, plan)
    run.metrics = {"objective": 1.0, "per_requirement": {f"R{i}": i for i in range(2000)}}
    run.save(update_fields=["metrics"])
    approve_plan_run(run, actor=CLI)
    for nation in Nation.objects.exclude(offers=None):
        agreement = create_agreement(
            actor=CLI, code=f"A-{tag}-{nation.iso3}", donor=nation, signed=dt.date(2024, 1, 1)
        )
        for year in (2025, 2026):
            create_pledge(actor=CLI, agreement=agreement, year=year, amount=1000, currency="EUR")


def _counts(clients: dict[str, Client]) -> dict[str, int]:
    counts = {}
    for role, client in clients.items():
        for page in PAGES:
            with CaptureQueriesContext(connection) as queries:
                response = client.get(page)
            assert response.status_code == 200, (role, page, response.status_code)
            joined = [q["sql"] for q in queries.captured_queries if JOINED_METRICS.search(q["sql"])]
            assert not joined, (role, page, joined[:1])
            counts[f"{role} {page}"] = len(queries.captured_queries)
    return counts


def test_pages_cost_the_same_queries_at_two_sizes() -> None:
    _grow("small", 1, "s")
    donor = Nation.objects.exclude(offers=None).order_by("iso3").first()
    assert donor is not None
    clients = {}
    for role, nation in (("coordinator", None), ("donor", donor)):
        user = create_user(actor=CLI, username=role, password=None, role=role, nation=nation)
        clients[role] = Client()
        clients[role].force_login(user)
    small = _counts(clients)
    # more requirements, offers, lines, shipments, agreements and pledges than before
    _grow("medium", 1, "m")
    assert _counts(clients) == small
