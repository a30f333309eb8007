"""Crew readiness per family: crews trained against units delivered and planned, week by week.

A family's units need ``crew_per_unit`` trained people each. People count from
the family's existing crews, plus each graduated cohort from its graduation
date, plus each cohort still due (not graduated, ending today or later) from
its end date. A week in which units arrive while more units are on hand than
the crews can man is flagged: those units arrive with no crew. Units on hand
leave out received items out of service that week (damaged, away for repair,
lost, destroyed, written off or transferred: ``nsatu.monitoring``).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from nsatu.catalog.models import Family
from nsatu.core.releasability import releasable
from nsatu.offers.models import Offer
from nsatu.planning.models import Allocation, PlanningSettings
from nsatu.shipments.choices import ShipmentState
from nsatu.shipments.models import Shipment
from nsatu.training.models import Cohort

EPSILON = 1e-9


@dataclass
class ReadinessWeek:
    """One week of one family's readiness (cumulative figures at the week's end)."""

    week: int
    date: dt.date
    delivered_this_week: float = 0.0
    planned_this_week: float = 0.0
    units: float = 0.0
    crews_trained: float = 0.0
    crews_available: float = 0.0
    crews_needed: float = 0.0
    uncrewed_units: float = 0.0
    out_of_service: float = 0.0

    @property
    def arriving(self) -> float:
        return self.delivered_this_week + self.planned_this_week

    @property
    def flagged(self) -> bool:
        """Units arrive this week and some units on hand have no crew."""
        return self.arriving > EPSILON and self.uncrewed_units > EPSILON


@dataclass
class FamilyReadiness:
    """A family's weeks, and whether any of them sees units arrive with no crew."""

    family: Family
    weeks: list[ReadinessWeek] = field(default_factory=list)

    @property
    def flagged_weeks(self) -> list[ReadinessWeek]:
        return [w for w in self.weeks if w.flagged]

    @property
    def flagged(self) -> bool:
        return bool(self.flagged_weeks)

    @property
    def units(self) -> float:
        return self.weeks[-1].units if self.weeks else 0.0

    @property
    def crews_available(self) -> float:
        return self.weeks[-1].crews_available if self.weeks else self.family.existing_crews


def _week_of(day: dt.date, start: dt.date) -> int:
    return max(0, (day - start).days // 7)


@dataclass
class _Inputs:
    """One family's readiness inputs, read for many families at once."""

    delivered: dict[int, float] = field(default_factory=dict)
    planned: dict[int, float] = field(default_factory=dict)
    service_steps: list[tuple[dt.date, int]] = field(default_factory=list)
    cohorts: list[Cohort] = field(default_factory=list)


def _add(weeks: dict[int, float], week: int, units: float) -> None:
    weeks[week] = weeks.get(week, 0.0) + units


def _inputs(family_ids: list[int], user: Any, start: dt.date) -> dict[int, _Inputs]:
    """Per family: units delivered and still planned per week (shipments, and approved lines not
    yet shipped), its service steps and its cohorts; five queries whatever the number of families."""
    from nsatu.monitoring.choices import OUT_OF_SERVICE
    from nsatu.monitoring.models import ItemStateChange
    from nsatu.monitoring.visibility import visible_items

    found = {pk: _Inputs() for pk in family_ids}
    shipments: QuerySet[Shipment] = releasable(
        Shipment.objects.filter(item_type__family_id__in=family_ids), user
    )
    kept = shipments.exclude(state=ShipmentState.CANCELLED)  # taken back: it will not arrive
    for family_id, state, quantity, received, received_on, arrival in kept.values_list(
        "item_type__family_id", "state", "quantity", "quantity_received", "received_on", "planned_arrival"
    ):
        if state == ShipmentState.RECEIVED and received_on is not None:
            _add(found[family_id].delivered, _week_of(received_on, start), received or 0.0)
        else:
            _add(found[family_id].planned, _week_of(arrival, start), quantity)
    offers = releasable(Offer.objects.filter(item_type__family_id__in=family_ids), user)
    lines = Allocation.objects.filter(
        offer__in=offers, run__approved_at__isnull=False, shipments__isnull=True
    )
    for family_id, quantity, week in lines.values_list(
        "offer__item_type__family_id", "quantity", "arrival_week"
    ):
        _add(found[family_id].planned, week, quantity)
    # Dated steps (+1 out, -1 back) of received items leaving and re-entering service: a damaged
    # item, one away for repair, lost, destroyed, written off or transferred counts out of service
    # from the day of its change until it returns to service.
    items = visible_items(user).filter(item_type__family_id__in=family_ids)
    changes = ItemStateChange.objects.filter(item__in=items).values_list(
        "item__item_type__family_id", "on", "from_state", "to_state"
    )
    for family_id, on, before, after in changes:
        was, now = before in OUT_OF_SERVICE, after in OUT_OF_SERVICE
        if was != now:
            found[family_id].service_steps.append((on, 1 if now else -1))
    for cohort in Cohort.objects.filter(course__family_id__in=family_ids).select_related("course"):
        found[cohort.course.family_id].cohorts.append(cohort)
    return found


def _readiness(
    family: Family, inputs: _Inputs, *, start: dt.date, horizon: int, today: dt.date
) -> FamilyReadiness:
    delivered, planned, service_steps, cohorts = (
        inputs.delivered,
        inputs.planned,
        inputs.service_steps,
        inputs.cohorts,
    )
    last = max([horizon - 1, *delivered, *planned])
    result = FamilyReadiness(family)
    units = 0.0
    for week in range(last + 1):
        day = start + dt.timedelta(days=7 * week)
        week_end = day + dt.timedelta(days=6)
        units += delivered.get(week, 0.0) + planned.get(week, 0.0)
        out = float(sum(step for on, step in service_steps if on <= week_end))
        serviceable = max(0.0, units - out)
        trained = family.existing_crews + sum(
            c.graduates or 0.0
            for c in cohorts
            if c.graduated and c.graduated_on is not None and c.graduated_on <= week_end
        )
        due = sum(c.expected_graduates for c in cohorts if not c.graduated and today <= c.end <= week_end)
        available = trained + due
        per_unit = family.crew_per_unit
        manned = math.inf if per_unit <= 0 else available / per_unit
        result.weeks.append(
            ReadinessWeek(
                week=week,
                date=day,
                delivered_this_week=delivered.get(week, 0.0),
                planned_this_week=planned.get(week, 0.0),
                units=serviceable,
                crews_trained=trained,
                crews_available=available,
                crews_needed=serviceable * per_unit,
                uncrewed_units=max(0.0, serviceable - manned) if per_unit > 0 else 0.0,
                out_of_service=out,
            )
        )
    return result


def _window() -> tuple[dt.date, int]:
    settings = PlanningSettings.objects.first()
    return (settings.start_date, settings.horizon_weeks) if settings else (dt.date(2026, 12, 7), 52)


def family_readiness(family: Family, user: Any, *, today: dt.date | None = None) -> FamilyReadiness:
    """Week-by-week readiness of one family, over the plan horizon and any later arrival."""
    start, horizon = _window()
    inputs = _inputs([family.pk], user, start)[family.pk]
    return _readiness(family, inputs, start=start, horizon=horizon, today=today or timezone.localdate())


def readiness_overview(user: Any, *, today: dt.date | None = None) -> list[FamilyReadiness]:
    """Readiness of every crewed family that has units coming or cohorts training.

    The same few queries whatever the number of families: each input is read for
    all families at once and split by family here.
    """
    today = today or timezone.localdate()
    start, horizon = _window()
    families = list(Family.objects.filter(crew_per_unit__gt=0).order_by("code"))
    inputs = _inputs([f.pk for f in families], user, start)
    overview = []
    for family in families:
        readiness = _readiness(family, inputs[family.pk], start=start, horizon=horizon, today=today)
        if readiness.units > 0 or inputs[family.pk].cohorts:
            overview.append(readiness)
    return overview
