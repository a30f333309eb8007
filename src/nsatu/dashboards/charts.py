"""The numbers behind the dashboard and fleet charts, and the Plotly figures drawn from them.

Every aggregate starts from querysets passed through the releasability filter,
so a command role (leadership) sums everything while a nation's representative
sums only the requirements, offers and plan lines it may see: an aggregate
never carries a record its reader could not open.

Figures are plain dicts in Plotly's JSON schema (``{"data": [...], "layout": {...}}``);
the page embeds them with ``json_script`` and ``dashboards/charts.js`` draws them.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, F, FloatField, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from nsatu.catalog.models import Capability, Family
from nsatu.commitments.models import DecommitmentLine
from nsatu.core.plotly_assets import chart_layout as _layout
from nsatu.core.releasability import releasable, sees_everything
from nsatu.logistics.models import Hub
from nsatu.nations.models import Pledge
from nsatu.needs.models import Requirement, RequirementStatus
from nsatu.offers.models import Offer, OfferStatus
from nsatu.planning.models import Allocation, PlanningSettings, PlanRun, RunStatus
from nsatu.shipments.choices import SHIPPED_STATES, ShipmentState
from nsatu.shipments.models import Shipment

Figure = dict[str, Any]


# --- inputs -----------------------------------------------------------------


def latest_finished_run() -> PlanRun | None:
    """The plan run that finished last (approved or not)."""
    return (
        PlanRun.objects.filter(status=RunStatus.DONE)
        .order_by(F("finished_at").desc(nulls_last=True), "-pk")
        .first()
    )


def latest_proposed_run() -> PlanRun | None:
    """The latest finished run nobody has approved: a proposal, shown as such and never as the plan."""
    return (
        PlanRun.objects.filter(status=RunStatus.DONE, approved_at__isnull=True)
        .order_by(F("finished_at").desc(nulls_last=True), "-pk")
        .first()
    )


def scenario_start() -> dt.date:
    """Week 0 of the scenario (FORMAT.md: ``week(d) = floor((d - start_date).days / 7)``)."""
    current = PlanningSettings.objects.filter(singleton=1).first()
    return current.start_date if current else PlanningSettings().start_date


def week_start(start: dt.date, week: int) -> dt.date:
    """The first day of scenario week ``week``."""
    return start + dt.timedelta(days=7 * week)


def visible_requirements(user: Any) -> QuerySet[Requirement]:
    """Requirements the user may see, cancelled ones left out (they no longer ask for anything)."""
    return releasable(
        Requirement.objects.exclude(status__in=[RequirementStatus.CANCELLED, RequirementStatus.RETIRED]), user
    )


def visible_allocations(run: PlanRun | None, user: Any) -> QuerySet[Allocation]:
    """The run's lines whose offer and requirement the user may both see, each with its ``amount``
    (its quantity)."""
    lines = Allocation.objects.none() if run is None else _visible(run.allocations.all(), user)
    return lines.annotate(amount=F("quantity"))


def committed_allocations(user: Any) -> QuerySet[Allocation]:
    """What approved plans commit now, as the user may see it: approved lines with ``amount`` = their
    quantity less what suspensions and withdrawals took back (lines wholly taken back left out)."""
    taken = (
        DecommitmentLine.objects.filter(allocation=OuterRef("pk"))
        .values("allocation")
        .annotate(total=Sum("quantity"))
        .values("total")[:1]
    )
    lines = _visible(Allocation.objects.filter(run__approved_at__isnull=False), user)
    return lines.annotate(
        amount=F("quantity") - Coalesce(Subquery(taken), Value(0.0), output_field=FloatField())
    ).filter(amount__gt=1e-9)


def _visible(lines: QuerySet[Allocation], user: Any) -> QuerySet[Allocation]:
    if sees_everything(user):
        return lines  # command roles: skip two subqueries over large tables
    return lines.filter(
        offer__in=releasable(Offer.objects.all(), user),
        requirement__in=releasable(Requirement.objects.all(), user),
    )


# --- aggregates -------------------------------------------------------------


@dataclass
class Fulfilment:
    """Cumulative share of each capability's required quantity that has arrived by each week."""

    weeks: list[int]
    required: dict[str, float]
    arrived: dict[str, list[float]]  # cumulative quantity by week, aligned with ``weeks``

    def share(self, capability: str) -> list[float]:
        total = self.required[capability]
        return [round(q / total, 6) if total else 0.0 for q in self.arrived[capability]]


def fulfilment_by_capability(lines: QuerySet[Allocation], user: Any) -> Fulfilment:
    """Quantity-weighted fulfilment over time: ``lines``' quantity arriving by week / required quantity."""
    requirements = visible_requirements(user)
    required = {
        code: float(total)
        for code, total in requirements.values_list("capability__code")
        .annotate(total=Sum("quantity"))
        .order_by("capability__code")
    }
    per_week: dict[str, dict[int, float]] = defaultdict(dict)
    totals = (
        lines.filter(requirement__in=requirements)
        .values_list("requirement__capability__code", "arrival_week")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    for code, week, total in totals:
        per_week[code][week] = float(total)
    weeks = sorted({w for by_week in per_week.values() for w in by_week})
    arrived: dict[str, list[float]] = {}
    for code in required:
        running, series = 0.0, []
        for week in weeks:
            running += per_week[code].get(week, 0.0)
            series.append(running)
        arrived[code] = series
    return Fulfilment(weeks=weeks, required=required, arrived=arrived)


@dataclass
class CapabilityStanding:
    """What is true of one capability: required, approved (committed now), shipped, received, and
    what the latest unapproved run proposes on top."""

    code: str
    required: float
    committed: float = 0.0
    shipped: float = 0.0
    received: float = 0.0
    proposed: float = 0.0

    def share(self, amount: float) -> float:
        return amount / self.required if self.required else 0.0

    @property
    def committed_share(self) -> float:
        return self.share(self.committed)

    @property
    def received_share(self) -> float:
        return self.share(self.received)


def standing_by_capability(user: Any, proposed: PlanRun | None) -> list[CapabilityStanding]:
    """Per capability: required quantity; committed by approved plans now; in shipments that left the
    donor; confirmed received; and what ``proposed`` (unapproved) would add. Cancelled and retired
    requirements ask for nothing; each reader counts only what it may see."""
    requirements = visible_requirements(user)
    rows = {
        code: CapabilityStanding(code, float(total))
        for code, total in requirements.values_list("capability__code")
        .annotate(total=Sum("quantity"))
        .order_by("capability__code")
    }

    def add(pairs: Any, field_name: str) -> None:
        for code, total in pairs:
            if code in rows:
                setattr(rows[code], field_name, getattr(rows[code], field_name) + float(total or 0.0))

    by_capability = ("requirement__capability__code",)
    add(
        committed_allocations(user).filter(requirement__in=requirements).values_list(*by_capability)
        .annotate(total=Sum("amount")).order_by(),
        "committed",
    )  # fmt: skip
    add(
        visible_allocations(proposed, user).filter(requirement__in=requirements).values_list(*by_capability)
        .annotate(total=Sum("amount")).order_by(),
        "proposed",
    )  # fmt: skip
    shipments = releasable(Shipment.objects.all(), user).filter(allocation__requirement__in=requirements)
    capability = "allocation__requirement__capability__code"
    add(
        shipments.filter(state__in=SHIPPED_STATES)
        .values_list(capability)
        .annotate(total=Sum("quantity"))
        .order_by(),
        "shipped",
    )
    add(
        shipments.filter(state=ShipmentState.RECEIVED)
        .values_list(capability)
        .annotate(total=Sum("quantity_received"))
        .order_by(),
        "received",
    )
    return list(rows.values())


@dataclass
class CapabilityFamilies:
    """The complexity picture of one capability."""

    code: str
    name: str
    in_service: list[str] = field(default_factory=list)
    introduced: list[str] = field(default_factory=list)


def families_per_capability(lines: QuerySet[Allocation], user: Any) -> list[CapabilityFamilies]:
    """Families in service per capability (from the catalog), and those ``lines`` introduce."""
    rows = {c.code: CapabilityFamilies(c.code, str(c)) for c in Capability.objects.order_by("code")}
    for capability, name in Family.objects.filter(in_service=True).values_list("capability__code", "name"):
        rows[capability].in_service.append(name)
    introduced = (
        Family.objects.filter(in_service=False, item_types__offers__allocations__in=lines.values("pk"))
        .distinct()
        .values_list("capability__code", "name")
        .order_by("capability__code", "name")
    )
    for capability, name in introduced:
        rows[capability].introduced.append(name)
    for row in rows.values():
        row.in_service.sort()
    return list(rows.values())


@dataclass
class DonorContribution:
    """What one donor offers and what the plan allocates of it (quantities, not values)."""

    iso3: str
    offered_count: int = 0
    offered_quantity: float = 0.0
    allocated_count: int = 0
    allocated_quantity: float = 0.0


def contributions_by_donor(lines: QuerySet[Allocation], user: Any) -> list[DonorContribution]:
    """Per donor: offers standing (not withdrawn or retired) and the part ``lines`` allocate."""
    rows: dict[str, DonorContribution] = {}
    offered = (
        releasable(Offer.objects.exclude(status__in=[OfferStatus.WITHDRAWN, OfferStatus.RETIRED]), user)
        .values_list("donor__iso3")
        .annotate(n=Count("pk"), total=Sum("quantity"))
        .order_by("donor__iso3")
    )
    for iso3, n, total in offered:
        rows[iso3] = DonorContribution(iso3, offered_count=n, offered_quantity=float(total))
    allocated = (
        lines.values_list("offer__donor__iso3")
        .annotate(n=Count("offer", distinct=True), total=Sum("amount"))
        .order_by()
    )
    for iso3, n, total in allocated:
        row = rows.setdefault(iso3, DonorContribution(iso3))
        row.allocated_count, row.allocated_quantity = n, float(total)
    return [rows[k] for k in sorted(rows)]


@dataclass
class AgreementYear:
    """One agreement's pledge for one year beside the donor's plan lines arriving that year."""

    agreement: str
    donor: str
    year: int
    pledged: float
    currency: str
    arriving_quantity: float = 0.0
    arriving_offers: int = 0


def agreement_fulfilment(lines: QuerySet[Allocation], user: Any, start: dt.date) -> list[AgreementYear]:
    """Pledges per agreement and year, and what the donor's ``lines`` deliver in that year.

    Pledges are money; plan lines are items that carry no value in the data.
    The two are shown side by side and never divided into a percentage.
    """
    pledges = (
        Pledge.objects.values_list("agreement__code", "agreement__donor__iso3", "year", "currency")
        .annotate(total=Sum("amount"))
        .order_by("agreement__code", "year", "currency")
    )
    # Arrival year of each line, from its week: group by donor and week, then fold weeks into years.
    by_donor_year: dict[tuple[str, int], list[float]] = defaultdict(lambda: [0.0, 0.0])
    offers_by_donor_year: dict[tuple[str, int], set[int]] = defaultdict(set)
    for iso3, week, offer_id, total in (
        lines.values_list("offer__donor__iso3", "arrival_week", "offer_id")
        .annotate(total=Sum("amount"))
        .order_by()
    ):
        key = (iso3, week_start(start, week).year)
        by_donor_year[key][0] += float(total)
        offers_by_donor_year[key].add(offer_id)
    rows = []
    for code, iso3, year, currency, total in pledges:
        key = (iso3, year)
        rows.append(
            AgreementYear(
                agreement=code,
                donor=iso3,
                year=year,
                pledged=float(total),
                currency=currency,
                arriving_quantity=by_donor_year[key][0] if key in by_donor_year else 0.0,
                arriving_offers=len(offers_by_donor_year.get(key, ())),
            )
        )
    return rows


@dataclass
class HubWeeks:
    """Planned tonnes arriving through one hub per week, and its weekly capacity."""

    code: str
    capacity: float
    tonnes: dict[int, float] = field(default_factory=dict)


def arrivals_by_hub_week(lines: QuerySet[Allocation], user: Any) -> list[HubWeeks]:
    """Tonnes (quantity x item mass) of ``lines`` arriving per hub and week, beside each hub's capacity."""
    hubs = {h.code: HubWeeks(h.code, h.capacity_t_per_week) for h in Hub.objects.order_by("code")}
    tonnes_by_week = (
        lines.values_list("hub__code", "arrival_week")
        .annotate(tonnes=Sum(F("amount") * F("offer__item_type__mass_t")))
        .order_by()
    )
    for code, week, tonnes in tonnes_by_week:
        hubs[code].tonnes[week] = float(tonnes or 0.0)
    return list(hubs.values())


@dataclass
class FleetRow:
    """How many families of one capability the recipient operates, and which."""

    code: str
    name: str
    families: list[str]
    catalog: int

    @property
    def count(self) -> int:
        return len(self.families)


def fleet_diversity() -> list[FleetRow]:
    """Families in service with the recipient, per capability (``Family.in_service``)."""
    capabilities = Capability.objects.annotate(
        catalog=Count("families"), operated=Count("families", filter=Q(families__in_service=True))
    ).order_by("-operated", "code")
    names: dict[int, list[str]] = defaultdict(list)
    for capability_id, name in (
        Family.objects.filter(in_service=True).order_by("name").values_list("capability_id", "name")
    ):
        names[capability_id].append(name)
    return [FleetRow(c.code, str(c), names[c.pk], c.catalog) for c in capabilities]


# --- figures ----------------------------------------------------------------


def _date_axis(title: str) -> dict[str, Any]:
    # plotly.js draws month names in English; Ukrainian readers get numeric dates (31.12.2027).
    axis: dict[str, Any] = {"title": {"text": title}, "type": "date"}
    if (get_language() or "en").startswith("uk"):
        axis.update(tickformat="%d.%m.%Y", hoverformat="%d.%m.%Y")
    return axis


def fulfilment_figure(data: Fulfilment, start: dt.date) -> Figure:
    x = [week_start(start, w).isoformat() for w in data.weeks]
    traces = [
        {
            "type": "scatter",
            "mode": "lines+markers",
            "name": code,
            "x": x,
            "y": data.share(code),
            "line": {"shape": "hv"},
        }
        for code in data.required
    ]
    return {
        "data": traces,
        "layout": _layout(
            xaxis=_date_axis(_("Week of arrival")),
            yaxis={
                "title": {"text": _("Share of required quantity")},
                "tickformat": ".0%",
                "range": [0, 1.05],
            },
        ),
    }


def families_figure(rows: list[CapabilityFamilies]) -> Figure:
    x = [r.code for r in rows]
    return {
        "data": [
            {
                "type": "bar",
                "name": _("In service"),
                "x": x,
                "y": [len(r.in_service) for r in rows],
                "hovertext": [", ".join(r.in_service) for r in rows],
            },
            {
                "type": "bar",
                "name": _("Introduced by approved plans"),
                "x": x,
                "y": [len(r.introduced) for r in rows],
                "hovertext": [", ".join(r.introduced) for r in rows],
            },
        ],
        "layout": _layout(
            barmode="stack",
            yaxis={"title": {"text": _("Platform families")}, "dtick": 1},
        ),
    }


def contributions_figure(rows: list[DonorContribution]) -> Figure:
    x = [r.iso3 for r in rows]
    return {
        "data": [
            {
                "type": "bar",
                "name": _("Offered quantity"),
                "x": x,
                "y": [r.offered_quantity for r in rows],
                "customdata": [r.offered_count for r in rows],
                "hovertemplate": "%{x}: %{y} (" + _("offers") + ": %{customdata})<extra></extra>",
            },
            {
                "type": "bar",
                "name": _("Committed quantity"),
                "x": x,
                "y": [r.allocated_quantity for r in rows],
                "customdata": [r.allocated_count for r in rows],
                "hovertemplate": "%{x}: %{y} (" + _("offers") + ": %{customdata})<extra></extra>",
            },
        ],
        "layout": _layout(
            barmode="group",
            yaxis={"title": {"text": _("Units, all item types (not valued)")}},
        ),
    }


def agreements_figure(rows: list[AgreementYear]) -> Figure:
    x = [f"{r.agreement} {r.year}" for r in rows]
    traces: list[dict[str, Any]] = []
    # One trace per currency: amounts in different currencies never share a bar scale unlabelled.
    for currency in sorted({r.currency for r in rows}):
        traces.append(
            {
                "type": "bar",
                "name": _("Pledged, millions %(currency)s") % {"currency": currency},
                "x": x,
                "y": [r.pledged / 1e6 if r.currency == currency else None for r in rows],
                "offsetgroup": "pledge",
            }
        )
    traces.append(
        {
            "type": "bar",
            "name": _("Committed units arriving that year (not valued)"),
            "x": x,
            "y": [r.arriving_quantity for r in rows],
            "yaxis": "y2",
            "offsetgroup": "units",
            "customdata": [r.arriving_offers for r in rows],
            "hovertemplate": "%{x}: %{y} (" + _("offers") + ": %{customdata})<extra></extra>",
        }
    )
    return {
        "data": traces,
        "layout": _layout(
            barmode="group",
            yaxis={"title": {"text": _("Pledged (millions)")}},
            yaxis2={"title": {"text": _("Units")}, "overlaying": "y", "side": "right", "showgrid": False},
            margin={"l": 60, "r": 60, "t": 10, "b": 90},
        ),
    }


def arrivals_figure(rows: list[HubWeeks], start: dt.date) -> Figure:
    weeks = sorted({w for r in rows for w in r.tonnes})
    x = [week_start(start, w).isoformat() for w in weeks]
    traces: list[dict[str, Any]] = []
    for index, hub in enumerate(rows):
        colour = PALETTE[index % len(PALETTE)]
        traces.append(
            {
                "type": "bar",
                "name": hub.code,
                "x": x,
                "y": [hub.tonnes.get(w, 0.0) for w in weeks],
                "marker": {"color": colour},
                "legendgroup": hub.code,
            }
        )
        traces.append(
            {
                "type": "scatter",
                "mode": "lines",
                "name": _("%(hub)s capacity") % {"hub": hub.code},
                "x": x,
                "y": [hub.capacity] * len(x),
                "line": {"dash": "dot", "color": colour},
                "legendgroup": hub.code,
            }
        )
    return {
        "data": traces,
        "layout": _layout(
            barmode="group",
            xaxis=_date_axis(_("Week of arrival")),
            yaxis={"title": {"text": _("Tonnes per week")}},
        ),
    }


def fleet_figure(rows: list[FleetRow]) -> Figure:
    shown = list(reversed(rows))  # horizontal bars draw bottom-up; keep the largest on top
    return {
        "data": [
            {
                "type": "bar",
                "orientation": "h",
                "name": _("Families in service"),
                "y": [r.code for r in shown],
                "x": [r.count for r in shown],
                "hovertext": [", ".join(r.families) for r in shown],
                "text": [r.count for r in shown],
                "textposition": "auto",
            }
        ],
        "layout": _layout(
            xaxis={"title": {"text": _("Families the recipient operates")}, "dtick": 1},
            margin={"l": 140, "r": 20, "t": 10, "b": 50},
            height=max(320, 28 * len(rows) + 90),
            showlegend=False,
        ),
    }


# Okabe-Ito: distinguishable with the common colour-vision deficiencies.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]
