"""Releasability matrix: each role and nation sees exactly what is releasable to it,
in querysets, pages, page searches, CSV and Excel exports, API lists and details (404 for the rest)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import openpyxl
import pytest
from django.test import Client
from django.utils import timezone

from nsatu.core.releasability import releasable
from nsatu.needs.models import Requirement
from nsatu.offers.models import Offer

pytestmark = pytest.mark.django_db

ALL = {"public", "coalition", "listed", "command"}
# (user) -> (visible requirement markings, visible offer markings). Offers are POL's,
# requirements UKR's; DEU leads the artillery coalition; FRA is listed by name.
EXPECTED = {
    "DEU": ({"public", "coalition"}, {"public", "coalition"}),
    "FRA": ({"public", "listed"}, {"public", "listed"}),
    "NOR": ({"public"}, {"public"}),
    "POL": ({"public"}, ALL),
    "UKR": (ALL, {"public"}),
    "coordinator": (ALL, ALL),
    "leadership": (ALL, ALL),
    "auditor": (ALL, ALL),
}


def markings(objects: Any) -> set[str]:
    return {o.code.split("-", 1)[1] for o in objects}


@pytest.mark.parametrize("who", sorted(EXPECTED))
def test_queryset_filter(world: Any, who: str) -> None:
    user = world.users[who]
    want_requirements, want_offers = EXPECTED[who]
    assert markings(releasable(Requirement.objects.all(), user)) == want_requirements
    assert markings(releasable(Offer.objects.all(), user)) == want_offers


def test_anonymous_sees_nothing(world: Any) -> None:
    from django.contrib.auth.models import AnonymousUser

    assert not releasable(Offer.objects.all(), AnonymousUser()).exists()


@pytest.mark.parametrize("who", sorted(EXPECTED))
def test_pages_and_api(world: Any, who: str) -> None:
    client = Client()
    client.force_login(world.users[who])
    want_requirements, want_offers = EXPECTED[who]
    for kind, want, page in (
        ("requirements", want_requirements, "/requirements/"),
        ("offers", want_offers, "/offers/"),
    ):
        prefix = "R" if kind == "requirements" else "O"
        listed = client.get(f"/api/v1/{kind}?limit=100").json()["items"]
        assert {row["id"].split("-", 1)[1] for row in listed} == want, kind
        html = client.get(page).content.decode()
        for marking in ALL:
            code = f"{prefix}-{marking}"
            detail = client.get(f"/api/v1/{kind}/{code}")
            assert detail.status_code == (200 if marking in want else 404), (kind, code)
            assert (f">{code}<" in html) == (marking in want), (page, code)


def test_api_requires_authentication(world: Any) -> None:
    assert Client().get("/api/v1/offers").status_code == 401


# --- exports, page search and detail pages over the same matrix -------------------------------------


NATION_ROLES = {"DEU", "FRA", "NOR", "POL", "UKR"}


@dataclass
class Moving:
    """The matrix world with an approved run moving it: per marking m, offer O-m serves R-m in two lines.

    Each line became a shipment carrying its offer's marking: the first handed over
    (a receipt to confirm), the second dispatched (on the way); both late (the plan
    wanted them ten weeks ago), each with one serial dispatched forty days ago and
    never confirmed (inventory overdue). POL has an agreement; a stress run exists.
    """

    world: Any
    run: Any
    shipment_marking: dict[str, str]  # shipment code -> its marking


@pytest.fixture
def moving(world: Any) -> Moving:
    return build_moving(world)


def build_moving(world: Any) -> Moving:
    """The matrix world set moving (see :class:`Moving`); tests elsewhere build it too."""
    from nsatu.catalog.services import update_family, update_item_type
    from nsatu.core.actors import CLI
    from nsatu.logistics.services import create_hub
    from nsatu.nations.services import create_agreement, create_pledge
    from nsatu.planning.models import Allocation, PlanRun, RunStatus
    from nsatu.planning.services import approve_plan_run, set_planning_settings
    from nsatu.shipments import services as shipping
    from nsatu.shipments.models import Shipment
    from nsatu.stress.models import StressRun

    today = timezone.localdate()
    set_planning_settings(
        actor=CLI,
        name="matrix",
        start_date=today - dt.timedelta(weeks=10),
        horizon_weeks=20,
        recipient=world.nations["UKR"],
    )
    update_item_type(world.item, actor=CLI, serialised=True)
    # crews for the 8 units the run below sends (an approval checks rule 7 too); they are
    # posted elsewhere after the approval, so readiness has units with no crew to flag
    update_family(world.family, actor=CLI, existing_crews=8 * world.family.crew_per_unit)
    hub = create_hub(
        actor=CLI, code="RZE", name="Rzeszów", nation=world.nations["POL"], capacity_t_per_week=500
    )
    run = PlanRun.objects.create(
        method="optimal", status=RunStatus.DONE, created_by="coord", plan_status="optimal"
    )
    for marking in sorted(ALL):
        for _line in range(2):
            Allocation.objects.create(
                run=run,
                offer=world.offers[marking],
                requirement=world.requirements[marking],
                hub=hub,
                quantity=1,
                arrival_week=0,
            )
    run = approve_plan_run(run, actor=world.users["coordinator"])
    # approved before the steps below, which are dated 40 days back
    PlanRun.objects.filter(pk=run.pk).update(approved_at=timezone.now() - dt.timedelta(days=50))
    update_family(world.family, actor=CLI, existing_crews=0)
    shipping.create_shipments_for_run(run, actor=CLI)
    shipment_marking = {}
    for marking in sorted(ALL):
        first, second = Shipment.objects.filter(offer=world.offers[marking]).order_by("pk")
        day = today - dt.timedelta(days=40)
        first = shipping.dispatch_shipment(first, actor=CLI, on=day, serials=[f"SN-{marking}-1"])
        first = shipping.arrive_at_hub(first, actor=CLI, on=day)
        shipping.hand_over_shipment(first, actor=CLI, on=day)
        shipping.dispatch_shipment(second, actor=CLI, on=day, serials=[f"SN-{marking}-2"])
        shipment_marking[first.code] = shipment_marking[second.code] = marking
    agreement = create_agreement(
        actor=CLI, code="POL-UKR", donor=world.nations["POL"], signed=dt.date(2024, 7, 8)
    )
    create_pledge(actor=CLI, agreement=agreement, year=2027, amount=100, currency="EUR")
    StressRun.objects.create(kind="withdrawal", created_by="coord")
    return Moving(world, run, shipment_marking)


# Serials are kept upper-case (SN-PUBLIC-1); offer and requirement codes as created.
TOKEN = re.compile(r"\b(?:[OR]-|SN-)(public|coalition|listed|command)\b|\b(SHP-\d{6})\b", re.IGNORECASE)


def found_markings(text: str, moving: Moving) -> set[str]:
    """The markings of the records a page or an export names (offers, requirements, serials, shipments)."""
    found = set()
    for marking, shipment in TOKEN.findall(text):
        found.add(marking.lower() or moving.shipment_marking[shipment.upper()])
    return found


def csv_text(response: Any) -> str:
    assert response.status_code == 200, response.status_code
    body = b"".join(response.streaming_content)
    assert body.startswith(b"\xef\xbb\xbf")
    return body.decode("utf-8-sig")


def xlsx_text(response: Any) -> str:
    assert response.status_code == 200, response.status_code
    sheet = openpyxl.load_workbook(io.BytesIO(response.content), read_only=True).active
    return "\n".join(
        ",".join("" if v is None else str(v) for v in row) for row in sheet.iter_rows(values_only=True)
    )


def csv_rows(response: Any) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(csv_text(response))))


Want = Callable[[str], set[str] | None]  # None: the role may not open the page at all (403)


def requirements(who: str) -> set[str]:
    return EXPECTED[who][0]


def offers(who: str) -> set[str]:
    return EXPECTED[who][1]


def shipments(who: str) -> set[str]:
    """Shipments carry their offer's marking; the recipient is a party to every shipment sent to it."""
    return ALL if who == "UKR" else EXPECTED[who][1]


def lines(who: str) -> set[str]:
    return EXPECTED[who][0] & EXPECTED[who][1]


def mine(who: str) -> set[str] | None:
    if who == "coordinator":
        return ALL
    if who in {"DEU", "FRA", "NOR", "POL"}:
        return ALL if who == "POL" else set()  # every offer is POL's
    return None


def destinations(who: str) -> set[str] | None:
    own = mine(who)
    return None if own is None else own & EXPECTED[who][0]


def receivable(who: str) -> set[str] | None:
    return shipments(who) if who in {"UKR", "coordinator"} else None


# (name, path with {run}, the markings that page's export must hold)
EXPORTS: list[tuple[str, str, Want]] = [
    ("requirement list", "/lists/requirements/export.{fmt}", requirements),
    ("offer list", "/lists/offers/export.{fmt}", offers),
    ("my offers", "/offers/mine/?export={fmt}&table=my-offers", mine),
    ("where my offers go", "/offers/mine/?export={fmt}&table=offer-destinations", destinations),
    ("plan lines", "/plans/{run}/?export={fmt}&table=plan-lines", lines),
    ("shipments", "/shipments/?export={fmt}", shipments),
    ("slipped", "/shipments/slipped/?export={fmt}", shipments),
    ("inventory overdue", "/shipments/inventory-overdue/?days=30&export={fmt}", shipments),
    ("receipts to confirm", "/shipments/receipts/?export={fmt}&table=receipts-to-confirm", receivable),
    ("receipts on the way", "/shipments/receipts/?export={fmt}&table=receipts-on-the-way", receivable),
]


@pytest.mark.parametrize("who", sorted(EXPECTED))
def test_every_export_holds_exactly_what_the_page_may_show(moving: Moving, who: str) -> None:
    client = Client()
    client.force_login(moving.world.users[who])
    for name, path, want in EXPORTS:
        expected = want(who)
        for fmt, read in (("csv", csv_text), ("xlsx", xlsx_text)):
            response = client.get(path.format(run=moving.run.pk, fmt=fmt))
            if expected is None:
                assert response.status_code == 403, (name, fmt)
                continue
            assert found_markings(read(response), moving) == expected, (name, fmt)


@pytest.mark.parametrize("who", sorted(EXPECTED))
def test_aggregate_exports_count_only_what_is_releasable(moving: Moving, who: str) -> None:
    client = Client()
    client.force_login(moving.world.users[who])
    committed, shipped = len(offers(who)), len(shipments(who))
    (agreement,) = csv_rows(client.get("/agreements/?export=csv"))
    # two approved units per visible offer; two units shipped per visible marking, none received
    assert agreement["Agreement"] == "POL-UKR"
    assert float(agreement["Committed units"]) == 2 * committed
    assert float(agreement["Shipped units"]) == 2 * shipped
    assert float(agreement["Received units"]) == 0
    assert agreement["Pledged"] == "100.00 EUR"
    # every approved line is shipped, so readiness counts the visible shipments' units
    (family,) = csv_rows(client.get("/training/readiness/?export=csv"))
    assert family["Family"] == "PZH2000" and float(family["Units delivered and planned"]) == 2 * shipped
    weeks = csv_rows(client.get("/training/readiness/PZH2000/?all=1&export=csv"))
    assert sum(float(w["Planned"]) for w in weeks) == 2 * shipped
    runs = csv_rows(client.get("/plans/?export=csv"))
    assert [r["#"] for r in runs] == [str(moving.run.pk)]
    stress = client.get("/stress/?export=csv")
    if who in {"coordinator", "leadership", "auditor"}:
        assert [r["Test"] for r in csv_rows(stress)] == ["withdrawal"]
    else:
        assert stress.status_code == 403


# (name, page path with {run}, the search parameter, the export of that page, who sees what)
SEARCHES: list[tuple[str, str, str, str, Want]] = [
    ("requirements", "/requirements/", "q", "/lists/requirements/export.csv", requirements),
    ("requirement list", "/lists/requirements/", "q", "/lists/requirements/export.csv", requirements),
    ("offers", "/offers/", "q", "/lists/offers/export.csv", offers),
    ("offer list", "/lists/offers/", "q", "/lists/offers/export.csv", offers),
    ("my offers", "/offers/mine/", "q", "/offers/mine/?export=csv&table=my-offers", mine),
    (
        "where my offers go",
        "/offers/mine/",
        "lines-q",
        "/offers/mine/?export=csv&table=offer-destinations",
        destinations,
    ),
    ("plan lines", "/plans/{run}/", "q", "/plans/{run}/?export=csv", lines),
    ("shipments", "/shipments/", "q", "/shipments/?export=csv", shipments),
    ("slipped", "/shipments/slipped/", "q", "/shipments/slipped/?export=csv", shipments),
    (
        "inventory overdue",
        "/shipments/inventory-overdue/?days=30",
        "q",
        "/shipments/inventory-overdue/?days=30&export=csv",
        shipments,
    ),
    (
        "receipts to confirm",
        "/shipments/receipts/",
        "confirm-q",
        "/shipments/receipts/?export=csv&table=receipts-to-confirm",
        receivable,
    ),
    (
        "receipts on the way",
        "/shipments/receipts/",
        "way-q",
        "/shipments/receipts/?export=csv&table=receipts-on-the-way",
        receivable,
    ),
]
# The codes the searches look for: every record of the page matches its prefix. Shipments are
# searched by their own codes: one names its offer only to those who may open the offer.
PREFIX = {
    "shipments": "SHP-",
    "slipped": "SHP-",
    "receipts to confirm": "SHP-",
    "receipts on the way": "SHP-",
    "inventory overdue": "SN-",
    "requirements": "R-",
    "requirement list": "R-",
    "where my offers go": "R-",
}


def _with(path: str, **params: str) -> str:
    from urllib.parse import urlencode

    return f"{path}{'&' if '?' in path else '?'}{urlencode(params)}"


def _table(html: str, name: str) -> str:
    """The part of a two-table page that holds the named table (and its count line)."""
    cut = {
        "my offers": ('id="my-offers"', 'id="offer-destinations"'),
        "where my offers go": ('id="offer-destinations"', None),
        "receipts to confirm": ('id="receipts-to-confirm"', 'id="receipts-on-the-way"'),
        "receipts on the way": ('id="receipts-on-the-way"', None),
    }.get(name)
    if cut is None:
        return html
    start, end = cut
    part = html.split(start, 1)[1]
    return part.split(end, 1)[0] if end else part


@pytest.mark.parametrize("who", sorted(EXPECTED))
def test_page_search_finds_only_what_is_releasable(moving: Moving, who: str) -> None:
    client = Client()
    client.force_login(moving.world.users[who])
    for name, path, param, export, want in SEARCHES:
        expected = want(who)
        page = path.format(run=moving.run.pk)
        response = client.get(_with(page, **{param: PREFIX.get(name, "O-")}))
        if expected is None:
            assert response.status_code == 403, name
            continue
        assert response.status_code == 200, name
        assert found_markings(_table(response.content.decode(), name), moving) == expected, name
        download = _with(export.format(run=moving.run.pk), **{param: PREFIX.get(name, "O-")})
        assert found_markings(csv_text(client.get(download)), moving) == expected, (name, "export")
        # Searching for a record the user may not see finds nothing: no row, no code, in page or export.
        for marking in ALL - expected:
            hidden = client.get(_with(page, **{param: marking})).content.decode()
            assert found_markings(_table(hidden, name), moving) == set(), (name, marking)
            download = _with(export.format(run=moving.run.pk), **{param: marking})
            assert found_markings(csv_text(client.get(download)), moving) == set(), (name, marking, "export")


def shows(response: Any, path: str, *codes: str) -> bool:
    """Whether the response names any of ``codes`` beyond the address the user typed (the switcher's next)."""
    body = response.content.decode(errors="replace").replace(path, "")
    return any(code in body for code in codes)


@pytest.mark.parametrize("who", sorted(EXPECTED))
def test_detail_pages_of_what_is_not_releasable_are_404(moving: Moving, who: str) -> None:
    client = Client()
    client.force_login(moving.world.users[who])
    visible = shipments(who)
    for code, marking in moving.shipment_marking.items():
        for path in (f"/shipments/{code}/", f"/shipments/{code}/label.png"):
            response = client.get(path)
            assert response.status_code == (200 if marking in visible else 404), (path, marking)
            if marking not in visible:
                assert not shows(response, path, code, f"O-{marking}")
        path = f"/shipments/{code}/receive/"
        receive = client.get(path)
        if who not in {"UKR", "coordinator"}:
            assert receive.status_code == 403 and not shows(receive, path, code, f"O-{marking}")
        elif marking not in visible:
            assert receive.status_code == 404 and not shows(receive, path, code, f"O-{marking}")
    for marking in ALL:
        path = f"/requirements/R-{marking}/row/"
        row = client.get(path)
        if who in {"UKR", "coordinator"}:
            assert row.status_code == (200 if marking in requirements(who) else 404), marking
        else:
            assert row.status_code == 403
        if row.status_code != 200:
            assert not shows(row, path, f"R-{marking}")
        path = f"/offers/O-{marking}/edit/"
        edit = client.get(path)
        if who in {"POL", "coordinator"}:
            assert edit.status_code == 200
        elif who in NATION_ROLES - {"UKR"}:
            assert edit.status_code == 404 and not shows(edit, path, f"O-{marking}")
        else:
            assert edit.status_code == 403 and not shows(edit, path, f"O-{marking}")
