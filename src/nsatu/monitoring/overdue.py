"""The share of required serial inventories that are overdue, overall and by donor, family and unit.

An inventory is required of every item the recipient holds (in service,
damaged or unserviceable); it is overdue once its due day has passed. The
share is reported by count and, where the items' values are known, by value,
as the US DoD Inspector General's audit of enhanced end-use monitoring in
Ukraine (DODIG-2024-043) reported it: 59 % by value overdue on 2 June 2023.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from nsatu.monitoring.choices import IN_CUSTODY
from nsatu.monitoring.models import MonitoredItem
from nsatu.monitoring.visibility import visible_items
from nsatu.shipments.models import ItemValue

AUDIT_SHARE = 0.59  # DODIG-2024-043: $1.005 bn of $1.699 bn of EEUM articles overdue (by value), 2 June 2023
AUDIT_DATE = dt.date(2023, 6, 2)


@dataclass
class OverdueGroup:
    """Required and overdue inventories of one donor, family or unit."""

    key: str
    label: str
    required: int = 0
    overdue: int = 0

    @property
    def share(self) -> float:
        return self.overdue / self.required if self.required else 0.0


@dataclass
class OverdueSummary:
    """The headline share and its breakdowns, as of ``today``, over what the reader may see."""

    today: dt.date
    required: int = 0
    overdue: int = 0
    value_required: Decimal = Decimal(0)
    value_overdue: Decimal = Decimal(0)
    unvalued: int = 0
    by_donor: list[OverdueGroup] = field(default_factory=list)
    by_family: list[OverdueGroup] = field(default_factory=list)
    by_unit: list[OverdueGroup] = field(default_factory=list)
    states: dict[str, int] = field(default_factory=dict)
    audit_share: float = AUDIT_SHARE
    audit_date: dt.date = AUDIT_DATE

    @property
    def share(self) -> float:
        """Overdue required inventories ÷ required inventories, by count."""
        return self.overdue / self.required if self.required else 0.0

    @property
    def value_share(self) -> float | None:
        """The same by value, over items whose value is known; None when none is."""
        if not self.value_required:
            return None
        return float(self.value_overdue / self.value_required)


def _groups(counts: dict[tuple[str, str], list[int]]) -> list[OverdueGroup]:
    groups = [
        OverdueGroup(key, label, required, overdue) for (key, label), (required, overdue) in counts.items()
    ]
    return sorted(groups, key=lambda g: (-g.share, -g.overdue, g.key))


def overdue_summary(
    user: Any, *, today: dt.date | None = None, items: QuerySet[MonitoredItem] | None = None
) -> OverdueSummary:
    """Required and overdue inventories of the items the user may see, as of ``today``."""
    day = today or timezone.localdate()
    source = items if items is not None else visible_items(user)
    rows = source.values_list(
        "state",
        "inventory_due",
        "donor__iso3",
        "item_type__family__code",
        "item_type__family__name",
        "unit",
        "item_type_id",
    )
    values = {v.item_type_id: v.unit_value for v in ItemValue.objects.all()}
    summary = OverdueSummary(day)
    donors: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    families: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    units: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for state, due, donor, family_code, family_name, unit, item_type in rows:
        summary.states[state] = summary.states.get(state, 0) + 1
        if state not in IN_CUSTODY:
            continue
        late = due < day
        value = values.get(item_type)
        summary.required += 1
        summary.overdue += int(late)
        if value is None:
            summary.unvalued += 1
        else:
            summary.value_required += value
            summary.value_overdue += value if late else 0
        for table, key in (
            (donors, (donor, donor)),
            (families, (family_code, family_name)),
            (units, (unit, unit)),
        ):
            table[key][0] += 1
            table[key][1] += int(late)
    summary.by_donor, summary.by_family, summary.by_unit = _groups(donors), _groups(families), _groups(units)
    return summary
