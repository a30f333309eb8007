"""Two runs compared line by line: what moved, families appearing or vanishing, pwf per capability."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import pytest
from django.test import Client

from nsatu.accounts.services import create_user
from nsatu.core.actors import CLI
from nsatu.needs.models import Requirement
from nsatu.planner.synth import generate
from nsatu.planning.adapters import import_scenario
from nsatu.planning.models import PlanRun, RunStatus
from nsatu.planning.tasks import execute_plan_run

pytestmark = pytest.mark.django_db


def _run(method: str) -> PlanRun:
    run = PlanRun.objects.create(method=method, time_limit=10, created_by="test")
    execute_plan_run(run.pk)
    run.refresh_from_db()
    assert run.status == RunStatus.DONE, run.message
    return run


def _pairs(run: PlanRun) -> dict[tuple[str, str], float]:
    totals: dict[tuple[str, str], float] = defaultdict(float)
    for line in run.allocations.select_related("offer", "requirement"):
        totals[(line.requirement.code, line.offer.code)] += line.quantity
    return totals


def test_the_comparison_names_what_moved_and_agrees_with_each_runs_figures(db: Any) -> None:
    import_scenario(generate("small", 2), actor=CLI)
    country, greedy = _run("country"), _run("greedy")
    user = create_user(actor=CLI, username="c", password="x-Secret-123456", role="coordinator")
    client = Client()
    client.force_login(user)
    response = client.get("/plans/compare/", {"a": country.pk, "b": greedy.pk})
    assert response.status_code == 200
    comparison = response.context["comparison"]
    a, b = set(country.metrics["new_families"]), set(greedy.metrics["new_families"])
    assert comparison.families_appearing == sorted(b - a)
    assert comparison.families_vanishing == sorted(a - b)
    # pwf per capability, weighted by each capability's requirements, adds up to each run's pwf
    weight: dict[str, float] = defaultdict(float)
    for r in Requirement.objects.select_related("capability"):
        weight[r.capability.code] += 2.0 ** (5 - r.priority)
    total = sum(weight.values())
    for side, run in ((1, country), (2, greedy)):
        summed = sum(row[side] * weight[row[0]] for row in comparison.capabilities) / total
        assert summed == pytest.approx(run.metrics["pwf"], rel=1e-9)
    # the moved pairs are those whose quantity or hubs and weeks differ
    pa, pb = _pairs(country), _pairs(greedy)
    changed = {key for key in pa.keys() | pb.keys() if abs(pa.get(key, 0.0) - pb.get(key, 0.0)) > 1e-9}
    moved = {(m.requirement, m.offer) for m in comparison.moved}
    assert changed <= moved and moved
    for m in comparison.moved:
        assert m.a == pytest.approx(pa.get((m.requirement, m.offer), 0.0))
        assert m.b == pytest.approx(pb.get((m.requirement, m.offer), 0.0))
    page = response.content.decode()
    assert 'id="compare-lines"' in page and 'id="compare-capabilities"' in page
    # the run picker lists the finished runs
    assert f'<option value="{country.pk}"' in page and f'<option value="{greedy.pk}"' in page
