"""The overdue figure moves as days pass: a frozen clock walks past the initial and the annual due days."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
import time_machine

from nsatu.monitoring.overdue import overdue_summary
from nsatu.monitoring.services import record_inventory
from nsatu.shipments.models import ItemValue
from tests.monitoring.builders import received
from tests.shipments.builders import client_for

pytestmark = pytest.mark.django_db

RECEIVED = dt.date(2027, 3, 1)


def dashboard_share(user: Any) -> str:
    page = client_for(user).get("/dashboard/").content.decode()
    found = re.search(r'data-testid="eum-overdue-share">([^<]+)<', page)
    assert found, "the dashboard shows the overdue share"
    return found.group(1).strip()


def at(day: dt.date) -> Any:
    return time_machine.travel(dt.datetime.combine(day, dt.time(12), tzinfo=dt.UTC), tick=False)


def test_the_overdue_share_moves_as_the_due_days_pass(world: Any) -> None:
    with at(RECEIVED):
        _first, first_items = received(world, ["A-1", "A-2"], on=RECEIVED)
    with at(RECEIVED + dt.timedelta(days=30)):
        _second, second_items = received(
            world, ["B-1", "B-2"], offer="public", on=RECEIVED + dt.timedelta(days=30)
        )
    leadership = world.users["leadership"]

    with at(RECEIVED + dt.timedelta(days=90)):  # due today: not overdue yet
        assert overdue_summary(leadership).overdue == 0
        assert dashboard_share(leadership) == "0 %"
    with at(RECEIVED + dt.timedelta(days=91)):  # the first receipt's initial inventories are late
        summary = overdue_summary(leadership)
        assert (summary.required, summary.overdue) == (4, 2)
        assert dashboard_share(leadership) == "50 %"
        record_inventory(first_items[:1], actor=world.users["UKR"])
        assert overdue_summary(leadership).overdue == 1
        assert dashboard_share(leadership) == "25 %"
    with at(RECEIVED + dt.timedelta(days=121)):  # the second receipt's too
        assert overdue_summary(leadership).overdue == 3
        assert dashboard_share(leadership) == "75 %"
    with at(RECEIVED + dt.timedelta(days=91 + 365)):  # the inventoried item's annual one is due today
        assert overdue_summary(leadership).overdue == 3
    with at(RECEIVED + dt.timedelta(days=92 + 365)):
        assert overdue_summary(leadership).overdue == 4
        assert dashboard_share(leadership) == "100 %"
    assert {i.serial for i in second_items} == {"B-1", "B-2"}


def test_the_share_by_value_and_by_donor_family_unit(world: Any) -> None:
    from decimal import Decimal

    ItemValue.objects.create(item_type=world.item, unit_value=Decimal("1000"))
    with at(RECEIVED):
        _shipment, items = received(world, ["V-1", "V-2", "V-3", "V-4"], on=RECEIVED)
        record_inventory(items[:1], actor=world.users["UKR"], unit="Brigade 1")
    with at(RECEIVED + dt.timedelta(days=100)):
        summary = overdue_summary(world.users["coordinator"])
        assert (summary.required, summary.overdue) == (4, 3)
        assert summary.value_share == pytest.approx(0.75)
        assert [(g.key, g.overdue, g.required) for g in summary.by_donor] == [("POL", 3, 4)]
        assert [(g.key, g.overdue) for g in summary.by_unit] == [("", 3), ("Brigade 1", 0)]
        assert summary.by_family[0].label == "PzH 2000"
        # DEU may not see the command-only shipment's items: its figure counts nothing
        assert overdue_summary(world.users["DEU"]).required == 0
