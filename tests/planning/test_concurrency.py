"""Two people at once: exactly one approval wins; a second save of the same version is refused."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection

from nsatu.core.ledger import verify_ledger
from nsatu.core.services import ConflictError
from nsatu.logistics.models import Hub
from nsatu.offers.services import update_offer
from nsatu.planning.models import Allocation, PlanRun, RunStatus
from nsatu.planning.services import PlanningError, approve_plan_run

pytestmark = pytest.mark.django_db(transaction=True)


def race(*actions: Callable[[], Any]) -> list[str]:
    """Run the actions in threads started together; return each outcome's name."""
    barrier = threading.Barrier(len(actions))
    outcomes: list[str] = [""] * len(actions)

    def run(i: int, action: Callable[[], Any]) -> None:
        barrier.wait()
        try:
            action()
            outcomes[i] = "ok"
        except (PlanningError, ConflictError) as exc:
            outcomes[i] = type(exc).__name__
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, a)) for i, a in enumerate(actions)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return outcomes


def test_two_approvals_at_once_exactly_one_wins(world: Any) -> None:
    hub = Hub.objects.create(code="RZE", name="Rzeszow", nation=world.nations["POL"], capacity_t_per_week=500)
    runs = []
    for method in ("optimal", "greedy"):
        run = PlanRun.objects.create(method=method, status=RunStatus.DONE, created_by="coord")
        Allocation.objects.create(
            run=run,
            offer=world.offers["public"],
            requirement=world.requirements["public"],
            hub=hub,
            quantity=2,
            arrival_week=3,
        )
        runs.append(run)
    coordinator = world.users["coordinator"]
    outcomes = race(*(lambda r=r: approve_plan_run(r, actor=coordinator) for r in runs))
    assert sorted(outcomes) == ["PlanningError", "ok"]
    assert PlanRun.objects.filter(approved_at__isnull=False).count() == 1
    assert verify_ledger().ok


def test_two_saves_of_the_same_version_exactly_one_wins(world: Any) -> None:
    offer = world.offers["public"]
    seen = offer.version
    pol = world.users["POL"]
    outcomes = race(
        lambda: update_offer(offer, actor=pol, expected_version=seen, quantity=5),
        lambda: update_offer(offer, actor=pol, expected_version=seen, quantity=7),
    )
    assert sorted(outcomes) == ["ConflictError", "ok"]
    offer.refresh_from_db()
    assert offer.version == seen + 1 and offer.quantity in (5, 7)
    assert verify_ledger().ok
