"""The aid chain of each bilateral agreement: pledged -> committed -> shipped -> received.

The stages are kept apart and never double counted:

- pledged: the agreement's yearly pledges (money, in the pledge's currency);
- committed: approved allocations of the donor's offers, one entry per offer
  (all its approved lines together), dated the day the plan was approved;
- shipped: shipments that left the donor, dated their dispatch;
- received: shipments the recipient confirmed, the units received, dated the receipt.

An offer split across several lines or shipments is one commitment; its
shipments divide its quantity, so they add up to it and never past it. Units
are valued with the item type's known unit value (``ItemValue``); units of an
item type without one are counted but not valued.

Each entry goes to one agreement: the donor's latest agreement signed on or
before the entry's date (else the donor's first).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import F, QuerySet
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _

from nsatu.core.releasability import releasable, with_visible_codes
from nsatu.nations.models import Agreement
from nsatu.offers.models import Offer
from nsatu.planner.io import format_number
from nsatu.planning.models import Allocation, active_line_quantities, run_heavy_fields
from nsatu.shipments.choices import SHIPPED_STATES, ShipmentState
from nsatu.shipments.models import ItemValue, Shipment

CENT = Decimal("0.01")
STAGES = ("pledged", "committed", "shipped", "received")
STAGE_LABELS = {
    "pledged": _("pledged"),
    "committed": _("committed"),
    "shipped": _("shipped"),
    "received": _("received"),
}


@dataclass(frozen=True)
class Entry:
    """One counted step of the chain: a pledge, an offer's commitment, a shipment shipped or received."""

    stage: str
    agreement_id: int
    date: dt.date
    ref: str
    description: str
    units: float
    value: Decimal | None
    currency: str
    offer: str = ""  # the offer's code, empty when the reader may not open the offer
    offer_key: int = 0  # the offer, for counting distinct offers whether or not its code is shown
    # For the page: the shipment's or offer's code and the item's name (the description is IATI's text).
    code: str = ""
    item: str = ""

    @property
    def stage_label(self) -> str:
        """The stage in the reader's language."""
        return str(STAGE_LABELS.get(self.stage, self.stage))


@dataclass
class StageSum:
    """Units, distinct offers, values per currency, and units without a known value."""

    units: float = 0.0
    offers: set[str] = field(default_factory=set)  # codes; "#<key>" for an offer not releasable to the reader
    value: dict[str, Decimal] = field(default_factory=dict)
    unvalued_units: float = 0.0

    def add(self, entry: Entry) -> None:
        self.units += entry.units
        if entry.offer:
            self.offers.add(entry.offer)
        elif entry.offer_key:  # an offer the reader may not open: counted, never named
            self.offers.add(f"#{entry.offer_key}")
        if entry.value is None:
            self.unvalued_units += entry.units
        else:
            self.value[entry.currency] = self.value.get(entry.currency, Decimal(0)) + entry.value

    @property
    def value_text(self) -> str:
        """The values per currency, in the reader's locale (1,234.50 EUR; 1 234,50 EUR)."""
        return "; ".join(
            f"{number_format(amount, 2, use_l10n=True, force_grouping=True)} {cur}"
            for cur, amount in sorted(self.value.items())
        )


@dataclass
class AgreementChain:
    """One agreement's entries, summed per year and stage."""

    agreement: Agreement
    entries: list[Entry] = field(default_factory=list)

    def years(self) -> list[int]:
        return sorted({e.date.year for e in self.entries})

    def sum(self, stage: str, year: int | None = None) -> StageSum:
        total = StageSum()
        for entry in self.entries:
            if entry.stage == stage and (year is None or entry.date.year == year):
                total.add(entry)
        return total

    def rows(self) -> list[tuple[int, dict[str, StageSum]]]:
        """Per year, the four stages."""
        return [(year, {stage: self.sum(stage, year) for stage in STAGES}) for year in self.years()]

    def totals(self) -> dict[str, StageSum]:
        return {stage: self.sum(stage) for stage in STAGES}


def _valued(units: float, unit_value: ItemValue | None) -> tuple[Decimal | None, str]:
    if unit_value is None:
        return None, ""
    return (Decimal(str(units)) * unit_value.unit_value).quantize(CENT), unit_value.currency


def _item_values() -> dict[int, ItemValue]:
    return {v.item_type_id: v for v in ItemValue.objects.all()}


class _Attribution:
    """Which agreement an entry of a donor on a date belongs to."""

    def __init__(self, agreements: list[Agreement]) -> None:
        self.by_donor: dict[int, list[Agreement]] = defaultdict(list)
        for agreement in sorted(agreements, key=lambda a: (a.signed, a.code)):
            self.by_donor[agreement.donor_id].append(agreement)

    def __call__(self, donor_id: int, day: dt.date) -> Agreement | None:
        candidates = self.by_donor.get(donor_id)
        if not candidates:
            return None
        signed = [a for a in candidates if a.signed <= day]
        return signed[-1] if signed else candidates[0]


def aid_chains(
    user: Any = None, *, agreements: QuerySet[Agreement] | None = None, everything: bool = False
) -> list[AgreementChain]:
    """The aid chain of each agreement, from what ``user`` may see (or everything, for exports)."""
    chosen = list(
        (agreements if agreements is not None else Agreement.objects.all())
        .select_related("donor")
        .prefetch_related("pledges")
    )
    chains = {a.pk: AgreementChain(a) for a in chosen}
    attribute = _Attribution(list(Agreement.objects.filter(donor__in=[a.donor_id for a in chosen])))
    values = _item_values()
    offers: QuerySet[Offer] = Offer.objects.all()
    shipments: QuerySet[Shipment] = Shipment.objects.all()
    if not everything:
        offers, shipments = releasable(offers, user), releasable(shipments, user)
        # a shipment the reader sees names its offer only if the reader may open that offer too
        shipments = with_visible_codes(shipments, user, visible_offer="offer")
    else:
        shipments = shipments.annotate(visible_offer=F("offer__code"))

    def place(entry_args: dict[str, Any], donor_id: int, offer: str, offer_key: int) -> None:
        agreement = attribute(donor_id, entry_args["date"])
        if agreement is not None and agreement.pk in chains:
            chains[agreement.pk].entries.append(
                Entry(agreement_id=agreement.pk, offer=offer, offer_key=offer_key, **entry_args)
            )

    for agreement in chosen:
        for pledge in agreement.pledges.all():
            chain = chains[agreement.pk]
            chain.entries.append(
                Entry(
                    stage="pledged",
                    agreement_id=agreement.pk,
                    date=dt.date(pledge.year, 1, 1),
                    ref=f"pledge-{pledge.pk}",
                    description=pledge.purpose or f"{agreement.code} {pledge.year}",
                    units=0.0,
                    value=pledge.amount.quantize(CENT),
                    currency=pledge.currency,
                )
            )

    committed: dict[int, list[Allocation]] = defaultdict(list)
    lines = (
        Allocation.objects.filter(run__approved_at__isnull=False, offer__in=offers)
        .select_related("offer__item_type", "run")
        .defer(*run_heavy_fields("run"))
    )
    for line in lines.order_by("offer_id", "pk"):
        committed[line.offer_id].append(line)
    # what approved lines still commit: suspended and withdrawn aid is no longer committed
    active = active_line_quantities([line for offer_lines in committed.values() for line in offer_lines])
    for offer_lines in committed.values():
        offer = offer_lines[0].offer
        units = sum(active[line.pk] for line in offer_lines)
        if units <= 0:
            continue
        approved = min(line.run.approved_at for line in offer_lines if line.run.approved_at)
        value, currency = _valued(units, values.get(offer.item_type_id))
        place(
            {
                "stage": "committed",
                "date": approved.date(),
                "ref": f"offer-{offer.code}",
                "description": f"{offer.code}: {format_number(units)} x {offer.item_type.name}",
                "code": offer.code,
                "item": offer.item_type.name,
                "units": units,
                "value": value,
                "currency": currency,
            },
            offer.donor_id,
            offer.code,
            offer.pk,
        )

    moved = shipments.filter(state__in=SHIPPED_STATES).select_related("item_type")
    for shipment in moved.order_by("pk"):
        unit_value = values.get(shipment.item_type_id)
        item = shipment.item_type.name
        assert shipment.dispatched_on is not None
        value, currency = _valued(shipment.quantity, unit_value)
        place(
            {
                "stage": "shipped",
                "date": shipment.dispatched_on,
                "ref": f"shipment-{shipment.code}",
                "description": f"{shipment.code}: {format_number(shipment.quantity)} x {item}",
                "code": shipment.code,
                "item": shipment.item_type.name,
                "units": shipment.quantity,
                "value": value,
                "currency": currency,
            },
            shipment.donor_id,
            getattr(shipment, "visible_offer", None) or "",
            shipment.offer_id,
        )
        if shipment.state == ShipmentState.RECEIVED and shipment.received_on is not None:
            units = shipment.quantity_received or 0.0
            value, currency = _valued(units, unit_value)
            place(
                {
                    "stage": "received",
                    "date": shipment.received_on,
                    "ref": f"receipt-{shipment.code}",
                    "description": f"{shipment.code} received: {format_number(units)} x {item}",
                    "code": shipment.code,
                    "item": shipment.item_type.name,
                    "units": units,
                    "value": value,
                    "currency": currency,
                },
                shipment.donor_id,
                getattr(shipment, "visible_offer", None) or "",
                shipment.offer_id,
            )
    return [chains[a.pk] for a in chosen]
