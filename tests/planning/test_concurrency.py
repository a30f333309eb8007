"""Two people at once: of two approvals, the second is refused when what it allocates no longer
fits (named in the message) and accepted when it still does; a second save of the same version is
refused."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection

from nsatu.core.ledger import verify_ledger
from nsatu.core.services import ConflictError
from nsatu.logistics.models import Hub
from nsatu.needs.services import update_requirement
from nsatu.offers.models import OfferStatus
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


def test_the_loser_of_two_approvals_is_told_which_offer_is_used_up(world: Any) -> None:
    hub = Hub.objects.create(code="RZE", name="Rzeszow", nation=world.nations["POL"], capacity_t_per_week=500)
    runs = [one_line_run(world, hub, "public", "public"), one_line_run(world, hub, "public", "listed")]
    coordinator = world.users["coordinator"]
    assert sorted(race(*(lambda r=r: approve_plan_run(r, actor=coordinator) for r in runs))) == [
        "PlanningError",
        "ok",
    ]
    (loser,) = PlanRun.objects.filter(approved_at__isnull=True)
    with pytest.raises(PlanningError, match=r"no longer available \(O-public \(needs 2, 0 left\)\)"):
        approve_plan_run(loser, actor=coordinator)
    assert Allocation.objects.filter(run__approved_at__isnull=False).count() == 1


def test_two_approvals_that_both_fit_both_win(world: Any) -> None:
    """O-public offers 2: two runs taking 1 each fit together (the rule is the remaining quantity)."""
    hub = Hub.objects.create(code="RZE", name="Rzeszow", nation=world.nations["POL"], capacity_t_per_week=500)
    runs = [one_line_run(world, hub, "public", key, quantity=1) for key in ("public", "listed")]
    coordinator = world.users["coordinator"]
    assert race(*(lambda r=r: approve_plan_run(r, actor=coordinator) for r in runs)) == ["ok", "ok"]
    world.offers["public"].refresh_from_db()
    assert world.offers["public"].status == OfferStatus.ALLOCATED  # 1 + 1 of 2
    assert verify_ledger().ok


def test_two_approvals_sharing_only_a_requirement_exactly_one_wins(world: Any) -> None:
    """Different offers, one requirement that needs 2: the second approval would over-serve it."""
    hub = Hub.objects.create(code="RZE", name="Rzeszow", nation=world.nations["POL"], capacity_t_per_week=500)
    update_requirement(world.requirements["public"], actor=world.users["coordinator"], quantity=2)
    runs = [one_line_run(world, hub, key, "public") for key in ("public", "coalition")]
    coordinator = world.users["coordinator"]
    outcomes = race(*(lambda r=r: approve_plan_run(r, actor=coordinator) for r in runs))
    assert sorted(outcomes) == ["PlanningError", "ok"]
    (loser,) = PlanRun.objects.filter(approved_at__isnull=True)
    with pytest.raises(PlanningError, match=r"more than they still need \(R-public \(needs 2, 0 left\)\)"):
        approve_plan_run(loser, actor=coordinator)
    assert verify_ledger().ok


def one_line_run(world: Any, hub: Hub, offer: str, requirement: str, *, quantity: float = 2) -> PlanRun:
    """A finished run with one line: ``quantity`` of a world offer to a world requirement."""
    run = PlanRun.objects.create(method="greedy", status=RunStatus.DONE, created_by="coord")
    Allocation.objects.create(
        run=run,
        offer=world.offers[offer],
        requirement=world.requirements[requirement],
        hub=hub,
        quantity=quantity,
        arrival_week=3,
    )
    return run


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
