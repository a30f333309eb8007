"""Readiness counts received items out of service while damaged, away for repair, or gone."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from nsatu.monitoring import services
from nsatu.monitoring.choices import RepairState
from nsatu.training.readiness import family_readiness
from tests.monitoring.builders import received

pytestmark = pytest.mark.django_db

START = dt.date(2026, 12, 7)  # week 0 of the default planning settings


def week_of(readiness: Any, day: dt.date) -> Any:
    return readiness.weeks[(day - START).days // 7]


def test_a_damaged_item_is_out_of_service_until_it_returns_from_repair(world: Any) -> None:
    got = START + dt.timedelta(days=14)
    _shipment, (item, lost, _kept) = received(world, on=got)
    ukr = world.users["UKR"]
    damaged_on, back_on = got + dt.timedelta(days=7), got + dt.timedelta(days=28)
    services.report_incident(item, actor=ukr, kind="damaged", reason="combat", on=damaged_on)
    services.report_incident(lost, actor=ukr, kind="lost", reason="combat", on=damaged_on)
    order = services.open_repair(
        item, actor=ukr, facility_kind="donor", on=damaged_on, planned_departure=damaged_on,
        planned_arrival=damaged_on, planned_return_departure=back_on, planned_return=back_on,
    )  # fmt: skip
    for step in (RepairState.SENT, RepairState.AT_FACILITY, RepairState.REPAIRED, RepairState.RETURNING):
        order = services.advance_repair(order, step, actor=ukr, on=damaged_on + dt.timedelta(days=1))
    services.advance_repair(order, RepairState.RETURNED, actor=ukr, on=back_on)

    readiness = family_readiness(world.family, world.users["coordinator"], today=START)
    before, during, after = (
        week_of(readiness, got),
        week_of(readiness, damaged_on),
        week_of(readiness, back_on),
    )
    assert (before.units, before.out_of_service) == (3, 0)
    assert (during.units, during.out_of_service) == (1, 2)
    assert during.crews_needed == 1 * world.family.crew_per_unit
    assert (after.units, after.out_of_service) == (2, 1)  # back from repair; the lost one stays out
    # a nation that may not see the items counts neither them nor their repairs
    hidden = family_readiness(world.family, world.users["DEU"], today=START)
    assert all(w.out_of_service == 0 for w in hidden.weeks)
