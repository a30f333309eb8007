"""No answer names a record its reader may not open: every API operation and every page, as every role.

The releasability matrix world is set moving (approved runs, shipments on the way, serials,
an agreement, a stress run), then crossed: public offers earmarked for each requirement, an
approved run sending those public offers to requirements of every marking (so public shipments
serve hidden requirements), and a finished run with a line for every offer and requirement and
per-requirement figures in its metrics. Then, as each role:

- every operation of ``/api/v1/openapi.json``, with each path parameter aimed at every record of
  its kind (visible or not) and the list filters that take a code given each hidden code; writes
  run in a transaction that is rolled back, so each starts from the same world;
- every page the URL configuration has (each parameter filled the same way), and every page,
  export and link reachable from those by following links.

No answer may name the code of a requirement, offer or shipment (nor a serial of a shipment)
the role may not open, unless the request itself carried it; no answer may be a 5xx.
"""

from __future__ import annotations

import html
import io
import json
import re
import zipfile
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urljoin, urlsplit

import pytest
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from tests.api.conftest import ApiClient, issue_tokens
from tests.core.test_releasability import ALL, EXPECTED, Moving, build_moving

pytestmark = pytest.mark.django_db

COMMAND = {"coordinator", "leadership", "auditor"}
# Command roles may open every record: nothing to hide from them (checked below), nothing to walk.
ROLES = sorted(set(EXPECTED) - COMMAND)
# Query parameters naming a record of one kind (or, for `q`, any text).
REFERENCE_PARAMS = {
    "q": "any",
    "earmark": "requirement",
    "requirement": "requirement",
    "offer": "offer",
    "shipment": "shipment",
    "code": "any",
}
PAGE_LIMIT = 900  # pages fetched per role by the crawl (the world has a few hundred)
# Links followed per path with different query strings (sort orders, pages, filters): the same
# template with other rows; beyond these the crawl spends its pages on other paths.
VARIANTS_PER_PATH = 12


@dataclass
class Crossed:
    """The moving world crossed with public records that point at hidden ones."""

    moving: Moving
    cross_run: Any  # approved: public offers O-E-m -> R-m, each a shipment
    open_run: Any  # finished: a line for every offer and requirement, metrics per requirement
    shipment_offer: dict[str, str] = field(default_factory=dict)  # shipment code -> offer code
    serial_shipment: dict[str, str] = field(default_factory=dict)  # serial -> shipment code
    requirement_codes: list[str] = field(default_factory=list)
    offer_codes: list[str] = field(default_factory=list)


@pytest.fixture
def crossed(world: Any) -> Crossed:
    from nsatu.catalog.services import update_family
    from nsatu.core.actors import CLI
    from nsatu.offers.services import create_offer
    from nsatu.planning.models import Allocation, PlanRun, RunStatus
    from nsatu.planning.services import approve_plan_run
    from nsatu.shipments.models import SerialNumber, Shipment
    from nsatu.shipments.services import receive_shipment

    moving = build_moving(world)
    hub = moving.run.allocations.first().hub
    earmarked = {
        marking: create_offer(
            actor=CLI,
            code=f"O-E-{marking}",
            donor=world.nations["DEU"],
            item_type=world.item,
            quantity=2,
            available_from=world.offers["public"].available_from,
            earmark=world.requirements[marking],
        )
        for marking in sorted(ALL)
    }
    # crews for the units this approval sends; taken away again so readiness still flags
    update_family(world.family, actor=CLI, existing_crews=16 * world.family.crew_per_unit)
    cross_run = PlanRun.objects.create(
        method="greedy", status=RunStatus.DONE, created_by="coord", plan_status="feasible"
    )
    for marking, offer in earmarked.items():
        Allocation.objects.create(
            run=cross_run,
            offer=offer,
            requirement=world.requirements[marking],
            hub=hub,
            quantity=1,
            arrival_week=3,
        )
    cross_run = approve_plan_run(cross_run, actor=world.users["coordinator"])
    update_family(world.family, actor=CLI, existing_crews=0)
    # a serial swap: the public shipment handed over arrives with the command-only one's serial,
    # so its discrepancies name a shipment most readers may not open
    handed_over = Shipment.objects.filter(offer=world.offers["public"]).order_by("pk").first()
    receive_shipment(handed_over, actor=CLI, quantity_received=1, serials=["SN-COMMAND-1"])
    offers = [*world.offers.values(), *earmarked.values()]
    requirement_codes = sorted(r.code for r in world.requirements.values())
    fulfilled = {code: 0.25 * len(offers) for code in requirement_codes}
    open_run = PlanRun.objects.create(
        method="optimal",
        status=RunStatus.DONE,
        created_by="coord",
        plan_status="optimal",
        metrics={
            "objective": 1.0,
            "pwf": 0.5,
            "fulfilled": fulfilled,
            "baselines": {"greedy": {"pwf": 0.25, "fulfilled": fulfilled}},
        },
    )
    for offer in offers:
        for week, requirement in enumerate(world.requirements.values(), start=1):
            Allocation.objects.create(
                run=open_run, offer=offer, requirement=requirement, hub=hub, quantity=0.25, arrival_week=week
            )
    return Crossed(
        moving=moving,
        cross_run=cross_run,
        open_run=open_run,
        shipment_offer=dict(Shipment.objects.values_list("code", "offer__code")),
        serial_shipment=dict(SerialNumber.objects.values_list("serial", "shipment__code")),
        requirement_codes=requirement_codes,
        offer_codes=sorted(o.code for o in offers),
    )


def hidden_codes(crossed: Crossed, who: str) -> dict[str, set[str]]:
    """Per kind, the codes ``who`` may not open (from the matrix, not from the filter under test)."""
    seen_requirements, seen_offers = EXPECTED[who]
    requirements = {f"R-{m}" for m in ALL - seen_requirements}
    offers = {f"O-{m}" for m in ALL - seen_offers}  # the O-E-m offers are public
    shipments = {code for code, offer in crossed.shipment_offer.items() if offer in offers and who != "UKR"}
    serials = {serial for serial, code in crossed.serial_shipment.items() if code in shipments}
    return {"requirement": requirements, "offer": offers, "shipment": shipments, "serial": serials}


def _pattern(codes: set[str]) -> re.Pattern[str] | None:
    if not codes:
        return None
    alternatives = "|".join(re.escape(c) for c in sorted(codes, key=len, reverse=True))
    return re.compile(rf"(?<![\w-])({alternatives})(?![\w-])", re.IGNORECASE)


@dataclass
class Leaks:
    """What the walk found: answers naming hidden codes, server errors, and how much it walked."""

    hidden: dict[str, set[str]]
    found: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    answers: int = 0

    def __post_init__(self) -> None:
        self.pattern = _pattern(set().union(*self.hidden.values()))

    def check(self, label: str, request_text: str, response: Any) -> str:
        """Record what ``response`` reveals; returns its text."""
        self.answers += 1
        if response.status_code >= 500:
            self.errors.append(f"{label}: {response.status_code}")
        text = body_text(response)
        if self.pattern is None:
            return text
        asked = {m.group(1).upper() for m in self.pattern.finditer(request_text)}
        for match in self.pattern.finditer(text):
            code = match.group(1)
            if code.upper() not in asked:
                start = max(match.start() - 60, 0)
                self.found.append(f"{label} names {code}: ...{text[start : match.end() + 40]!r}")
                break
        return text


def body_text(response: Any) -> str:
    """The text of an answer: HTML, JSON, CSV, XML, or every part of an Excel workbook."""
    body = b"".join(response.streaming_content) if response.streaming else response.content
    kind = response.get("Content-Type", "")
    if "spreadsheetml" in kind or body[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(body)) as book:
            return "\n".join(book.read(name).decode("utf-8", "replace") for name in book.namelist())
    if kind.startswith("image/"):
        return ""
    return body.decode("utf-8", "replace")


# --- the API ---------------------------------------------------------------------------------------


def _path_values(crossed: Crossed, path: str, parameter: str) -> list[str]:
    """Every record of the kind a path parameter names (visible or not), or one known record."""
    resource = path.split("/")[3]
    world = crossed.moving.world
    if parameter == "step":
        return ["dispatch", "at-hub", "hand-over"]
    if resource == "requirements":
        return crossed.requirement_codes
    if resource == "offers":
        return crossed.offer_codes
    if resource == "shipments":
        return sorted(crossed.shipment_offer)
    if resource == "plan-runs":
        return [str(crossed.moving.run.pk), str(crossed.cross_run.pk), str(crossed.open_run.pk)]
    known = {
        "nations": "POL",
        "coalitions": "ART",
        "agreements": "POL-UKR",
        "aid-chains": "POL-UKR",
        "capabilities": world.capability.code,
        "families": world.family.code,
        "item-types": world.item.code,
        "hubs": "RZE",
        "readiness": world.family.code,
        "stress-runs": str(_first_pk("stress.StressRun")),
        "pledges": str(_first_pk("nations.Pledge")),
        "routes": "1",
        "family-aliases": "1",
        "courses": "NONE",
        "cohorts": "NONE",
        "tokens": "nsatu_00000000",
    }
    return [known.get(resource, "1")]


def _first_pk(label: str) -> int:
    from django.apps import apps

    obj = apps.get_model(label).objects.order_by("pk").first()
    return obj.pk if obj is not None else 1


def _expand(path: str, values: dict[str, list[str]]) -> Iterator[str]:
    """``path`` with its parameters filled, each combination once."""
    names = re.findall(r"{(\w+)}", path)
    if not names:
        yield path
        return
    first, rest = names[0], {k: v for k, v in values.items() if k != names[0]}
    for value in values[first]:
        yield from _expand(path.replace("{" + first + "}", value), rest)


def _queries(operation: dict[str, Any], hidden: dict[str, set[str]]) -> list[dict[str, str]]:
    """No filter at all, then each reference filter given each hidden code of its kind."""
    queries: list[dict[str, str]] = [{}]
    for parameter in operation.get("parameters", []):
        if parameter.get("in") != "query" or parameter["name"] not in REFERENCE_PARAMS:
            continue
        kind = REFERENCE_PARAMS[parameter["name"]]
        codes = set().union(*hidden.values()) if kind == "any" else hidden.get(kind, set())
        queries.extend({parameter["name"]: code} for code in sorted(codes))
    return queries


def walk_api(crossed: Crossed, who: str, client: ApiClient, leaks: Leaks) -> None:
    schema = client.get("/openapi.json").json()
    for path, operations in sorted(schema["paths"].items()):
        relative = path.removeprefix("/api/v1")
        names = re.findall(r"{(\w+)}", relative)
        values = {name: _path_values(crossed, path, name) for name in names}
        for method, operation in sorted(operations.items()):
            for url in _expand(relative, values):
                if method == "get":
                    for query in _queries(operation, leaks.hidden):
                        answer = client.get(url, **query)
                        leaks.check(f"GET {url}?{urlencode(query)} as {who}", url + urlencode(query), answer)
                    continue
                # a write: answered, then undone, so every write meets the same world
                body = {"version": 1} if method == "patch" else {}
                with transaction.atomic():
                    answer = client.request(method, url, body)
                    transaction.set_rollback(True)
                leaks.check(f"{method.upper()} {url} as {who}", url + json.dumps(body), answer)


@pytest.mark.parametrize("who", ROLES)
def test_no_api_answer_names_what_the_role_may_not_open(crossed: Crossed, who: str) -> None:
    token = issue_tokens(crossed.moving.world)[who]
    leaks = Leaks(hidden_codes(crossed, who))
    walk_api(crossed, who, ApiClient(token), leaks)
    assert leaks.answers > 150
    assert not leaks.errors, "\n".join(leaks.errors)
    assert not leaks.found, "\n".join(leaks.found[:40])


# --- the pages ---------------------------------------------------------------------------------------

SKIP_PREFIXES = ("/admin/", "/api/", "/static/", "/assets/", "/i18n/", "/logout/", "/login/")


def _patterns(resolver: URLResolver | None = None, prefix: str = "") -> Iterator[str]:
    """Every route of the URL configuration as a path with ``<name>`` placeholders."""
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from _patterns(entry, route)
        elif isinstance(entry, URLPattern):
            yield "/" + route


def _page_values(crossed: Crossed, route: str, name: str) -> list[str]:
    world = crossed.moving.world
    if name == "code":
        if route.startswith("/requirements/"):
            return crossed.requirement_codes
        if route.startswith("/offers/"):
            return crossed.offer_codes
        if route.startswith("/shipments/"):
            return sorted(crossed.shipment_offer)
        if route.startswith("/agreements/"):
            return ["POL-UKR"]
        if route.startswith("/training/readiness/"):
            return [world.family.code]
        return ["NONE"]
    if name == "run_id":
        if route.startswith("/stress/"):
            return [str(_first_pk("stress.StressRun"))]
        return [str(crossed.moving.run.pk), str(crossed.cross_run.pk), str(crossed.open_run.pk)]
    if name == "name":
        from nsatu.dashboards.lists import SPECS

        return sorted(SPECS)
    if name == "fmt":
        return ["csv", "xlsx"]
    if name == "step":
        return ["dispatch", "at-hub", "hand-over"]
    return ["x"]


def page_seeds(crossed: Crossed, hidden: dict[str, set[str]]) -> list[str]:
    """Every route filled with every record of its kind, and the list pages searched for hidden codes."""
    seeds: list[str] = []
    for route in _patterns():
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route)
        if path.startswith(SKIP_PREFIXES) or "{digest}" in path or not path.startswith("/"):
            continue
        values = {name: _page_values(crossed, route, name) for name in re.findall(r"{(\w+)}", path)}
        seeds.extend(_expand(path, values))
    codes = sorted(set().union(*hidden.values()))
    for page in ("/requirements/", "/offers/", "/offers/mine/", "/shipments/", "/lists/offers/"):
        seeds.extend(f"{page}?{urlencode({'q': code})}" for code in codes)
    seeds.extend(f"/lists/offers/?{urlencode({'earmark': code})}" for code in sorted(hidden["requirement"]))
    return seeds


HREF = re.compile(r"""(?:href|hx-get|action)=["']([^"']+)["']""")


def walk_pages(crossed: Crossed, who: str, leaks: Leaks) -> None:
    client = Client()
    client.force_login(crossed.moving.world.users[who])
    queue = deque(page_seeds(crossed, leaks.hidden))
    seen = set(queue)
    variants: dict[str, int] = {}
    while queue and leaks.answers < PAGE_LIMIT:
        url = queue.popleft()
        answer = client.get(url)
        text = leaks.check(f"GET {url} as {who}", url, answer)
        if answer.status_code != 200 or "text/html" not in answer.get("Content-Type", ""):
            continue
        for link in HREF.findall(text):
            target = urljoin(url, html.unescape(link))
            parts = urlsplit(target)
            if parts.netloc or not parts.path.startswith("/") or parts.path.startswith(SKIP_PREFIXES):
                continue
            local = parts.path + (f"?{parts.query}" if parts.query else "")
            if local in seen:
                continue
            seen.add(local)
            if parts.query:
                variants[parts.path] = variants.get(parts.path, 0) + 1
                if variants[parts.path] > VARIANTS_PER_PATH:
                    continue
            queue.append(local)


@pytest.mark.parametrize("who", ROLES)
def test_no_page_or_export_names_what_the_role_may_not_open(crossed: Crossed, who: str) -> None:
    leaks = Leaks(hidden_codes(crossed, who))
    walk_pages(crossed, who, leaks)
    assert leaks.answers > 100
    assert not leaks.errors, "\n".join(leaks.errors)
    assert not leaks.found, "\n".join(leaks.found[:40])


def test_the_walk_would_see_a_leak(crossed: Crossed) -> None:
    """The check itself: a command role's answers do name the records a donor may not open."""
    for who in COMMAND:
        assert not set().union(*hidden_codes(crossed, who).values()), who
    hidden = hidden_codes(crossed, "NOR")
    assert hidden["requirement"] and hidden["offer"] and hidden["shipment"] and hidden["serial"]
    leaks = Leaks(hidden)
    walk_pages(crossed, "coordinator", leaks)
    named = {line.split(" names ")[1].split(":")[0] for line in leaks.found}
    assert {"R-command", "O-command"} <= {code for code in named}
