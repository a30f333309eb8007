"""English and Ukrainian: every page in the reader's language, numbers and dates in its locale.

The catalog tests need no GNU gettext: Babel reads the .po, compiles it and
extracts the messages from the Python sources and (through Django's own
``templatize``) from the templates.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from babel.messages.extract import extract
from django.conf import settings
from django.test import Client
from django.utils.translation.template import templatize

from nsatu.core.actors import CLI
from nsatu.site import compile_messages
from tests.shipments.builders import shipments_for

PACKAGE = Path(compile_messages.__file__).resolve().parent.parent
PO = compile_messages.LOCALE_DIR / "uk" / "LC_MESSAGES" / "django.po"
SWITCHER = 'action="/i18n/setlang/"'
NBSP = "\xa0"  # Django's Ukrainian thousands separator


# --- the catalog --------------------------------------------------------------


def test_the_ukrainian_catalog_is_complete_and_its_mo_is_current() -> None:
    report = compile_messages.check(PO)
    assert report.problems == [], "\n".join(report.problems)
    assert report.mo_current, "django.mo is stale: run `python -m nsatu.site.compile_messages`"


def test_the_committed_mo_is_what_babel_compiles_and_django_reads_it() -> None:
    from django.utils import translation

    compiled = compile_messages.compile_catalog(compile_messages.read_catalog(PO))
    committed = PO.with_suffix(".mo").read_bytes()
    assert compile_messages.mo_messages(committed) == compile_messages.mo_messages(compiled)
    with translation.override("uk"):
        assert translation.gettext("Requirements") == "Потреби"
        assert translation.pgettext("action", "Start") == "Запустити"
        forms = [translation.ngettext("%(n)s event", "%(n)s events", n) % {"n": n} for n in (1, 3, 5, 21)]
        assert forms == ["1 подія", "3 події", "5 подій", "21 подія"]


def test_compile_messages_refuses_an_untranslated_or_fuzzy_catalog(tmp_path: Path) -> None:
    from babel.messages.catalog import Catalog

    catalog = Catalog(locale="uk")
    catalog.add("Requirements", "Потреби")
    catalog.add("Offers", "")
    catalog.add("Hub", "Хаб", flags=["fuzzy"])
    catalog.add("Offer %(code)s added.", "Пропозицію додано.", flags=["python-format"])
    problems = compile_messages.catalog_problems(catalog)
    assert any(p.startswith("untranslated: 'Offers'") for p in problems)
    assert any(p.startswith("fuzzy: 'Hub'") for p in problems)
    assert any(p.startswith("placeholders [] instead of ['code']: 'Offer %(code)s added.'") for p in problems)
    assert not any("Requirements" in p for p in problems)


def _python_messages() -> set[tuple[str | None, str | tuple[str, ...]]]:
    keywords = {
        "_": None,
        "gettext": None,
        "gettext_lazy": None,
        "gettext_noop": None,
        "ngettext": (1, 2),
        "ngettext_lazy": (1, 2),
        "pgettext": ((1, "c"), 2),
        "pgettext_lazy": ((1, "c"), 2),
        "npgettext": ((1, "c"), 2, 3),
    }
    found = set()
    for path in PACKAGE.rglob("*.py"):
        relative = path.relative_to(PACKAGE).as_posix()
        if relative.startswith("planner/") or "/migrations/" in relative:
            continue
        with path.open("rb") as handle:
            for _line, message, _comments, context in extract("python", handle, keywords=keywords):
                found.add((context, message))
    return found


def _template_messages() -> set[tuple[str | None, str | tuple[str, ...]]]:
    keywords = {"gettext": None, "ngettext": (1, 2), "pgettext": ((1, "c"), 2), "npgettext": ((1, "c"), 2, 3)}
    found = set()
    for path in PACKAGE.glob("**/templates/**/*.html"):
        # What makemessages hands xgettext; flush left so Python's tokenizer accepts it.
        source = templatize(path.read_text(encoding="utf-8"), origin=str(path))
        source = "\n".join(line.lstrip() for line in source.splitlines())
        for _line, message, _comments, context in extract(
            "python", io.BytesIO(source.encode()), keywords=keywords
        ):
            found.add((context, message))
    return found


def test_every_message_of_the_code_and_templates_is_in_the_catalog() -> None:
    catalog = compile_messages.read_catalog(PO)
    known = {(m.context, m.id if isinstance(m.id, str) else tuple(m.id)) for m in catalog if m.id}
    used = _python_messages() | _template_messages()
    assert len(used) > 500
    missing = sorted(str(m) for m in used - known)
    assert missing == [], (
        "messages missing from the Ukrainian catalog: run `python -m nsatu.site.compile_messages --extract`, "
        f"translate, then compile: {missing}"
    )


# --- pages ----------------------------------------------------------------------


class _Text(HTMLParser):
    """The text a reader sees: text nodes and the labels of aria-label, title, alt and placeholder."""

    ATTRIBUTES = ("aria-label", "title", "alt", "placeholder")

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._hidden += 1
        self.parts.extend(value for name, value in attrs if name in self.ATTRIBUTES and value)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden and data.strip():
            self.parts.append(" ".join(data.split()))


def visible_text(html: str) -> list[str]:
    parser = _Text()
    parser.feed(html)
    return parser.parts


def english_msgids() -> set[str]:
    """Catalog messages without placeholders whose Ukrainian differs: none may show on a Ukrainian page."""
    catalog = compile_messages.read_catalog(PO)
    return {
        m.id
        for m in catalog
        if isinstance(m.id, str) and m.id and "%" not in m.id and m.string and m.string != m.id
    }


@pytest.fixture(scope="module")
def english() -> set[str]:
    return english_msgids()


@dataclass
class Busy:
    """The small world with a bit of everything: an approved run and its shipment, an agreement, a cohort."""

    world: Any
    run_id: int
    shipment: str


@pytest.fixture
def busy(world: Any) -> Busy:
    from nsatu.nations.services import create_agreement, create_pledge
    from nsatu.needs.services import create_requirement
    from nsatu.planning.models import PlanRun
    from nsatu.training.services import create_cohort, create_course

    (shipment,) = shipments_for(world, [(world.offers["public"], 2, 3)])
    agreement = create_agreement(
        actor=CLI, code="POL-UKR", donor=world.nations["POL"], signed=dt.date(2024, 7, 8), duration_years=10
    )
    create_pledge(actor=CLI, agreement=agreement, year=2027, amount=Decimal("40000000.50"), currency="EUR")
    course = create_course(
        actor=CLI,
        code="PZH-CREW",
        family=world.family,
        host=world.nations["DEU"],
        seats=20,
        start=dt.date(2026, 12, 7),
        duration_weeks=8,
    )
    create_cohort(course, actor=CLI)
    create_requirement(
        actor=CLI,
        code="R-shells",
        recipient=world.nations["UKR"],
        capability=world.capability,
        quantity=12345.5,
        priority=1,
        needed_by=dt.date(2027, 3, 1),
        releasability="public",
    )
    assert shipment.allocation is not None
    PlanRun.objects.filter(pk=shipment.allocation.run_id).update(
        metrics={
            "objective": 2.5,
            "pwf": 0.25,
            "on_time_share": 1.0,
            "new_families": [],
            "baselines": {
                "country": {"objective": 1.0, "pwf": 0.1, "on_time_share": 0.5, "new_families": ["X"]}
            },
        }
    )
    return Busy(world, shipment.allocation.run_id, shipment.code)


def in_ukrainian(user: Any | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "uk"
    return client


@dataclass(frozen=True)
class Page:
    name: str
    path: Callable[[Busy], str]
    user: str | None
    ukrainian: tuple[str, ...]
    english: tuple[str, ...]


PAGES = [
    Page(
        "overview",
        lambda b: "/",
        "UKR",
        ("Огляд", "Ви увійшли з роллю «Представник отримувача».", "5 потреб, доступних вам", "Вийти"),
        ("Overview", "You are signed in as", "visible to you", "Sign out", "Requirements", "Readiness"),
    ),
    Page(
        "requirements",
        lambda b: "/requirements/",
        "UKR",
        ("Потреби", "Спроможність", "Потрібно до", "Сортувати за", "Застосувати", "загальний"),
        ("Requirements", "Capability", "Needed by", "Sort by", "Apply", "Releasability", "Edit"),
    ),
    Page(
        "offers",
        lambda b: "/offers/",
        "POL",
        ("Пропозиції", "Донор", "Доступно з", "Доступність"),
        ("Offers", "Donor", "Available from", "Releasability", "records"),
    ),
    Page(
        "my offers",
        lambda b: "/offers/mine/",
        "POL",
        ("Мої пропозиції", "Додати пропозицію", "Відкликати", "Куди спрямовано мої пропозиції"),
        ("My offers", "Add an offer", "Upload a workbook", "Withdraw", "Where my offers go"),
    ),
    Page(
        "planning",
        lambda b: "/plans/",
        "coordinator",
        ("Планування", "Розрахувати план", "Запустити", "Обмеження часу (секунди)", "оптимальний"),
        ("Planning", "Run a plan", "Start", "Time limit", "Compare two runs", "Started by"),
    ),
    Page(
        "plan run",
        lambda b: f"/plans/{b.run_id}/",
        "coordinator",
        (
            "Розрахунок плану",
            "Розподіл",
            "Цільова функція",
            "Частка вчасних надходжень",
            "окремо за країнами",
        ),
        ("Plan run", "Allocations", "Objective", "On-time share", "Arrival week", "Figure"),
    ),
    Page(
        "dashboard",
        lambda b: "/dashboard/",
        "leadership",
        ("Панель керівництва", "Внески за донорами", "Виконання угод", "Показники"),
        ("Leadership dashboard", "Contributions by donor", "Agreement fulfilment", "Figures", "Capability"),
    ),
    Page(
        "fleet",
        lambda b: "/fleet/",
        "leadership",
        ("Різнорідність парку", "Сімейства на озброєнні", "Усі сімейства платформ"),
        ("Fleet diversity", "Families in service", "All platform families", "Which"),
    ),
    Page(
        "reference lists",
        lambda b: "/lists/nations/",
        "POL",
        ("Країни", "Член НАТО", "так", "Експортувати ці рядки:"),
        ("Nations", "NATO member", "EU member", "Export these rows", "Apply", "Clear"),
    ),
    Page(
        "ledger",
        lambda b: "/audit/ledger/",
        "auditor",
        ("Журнал аудиту", "Ланцюг перевірено", "Виконавець", "Експортувати ці події:"),
        ("Audit ledger", "Chain verified", "events checked", "Actor", "Object type", "Search"),
    ),
    Page(
        "shipments",
        lambda b: "/shipments/",
        "coordinator",
        ("Поставки", "Планове надходження", "Що запізнюється", "Заплановано"),
        ("Shipments", "Planned arrival", "What slipped", "Inventory overdue", "Filter", "State"),
    ),
    Page(
        "shipment",
        lambda b: f"/shipments/{b.shipment}/",
        "coordinator",
        ("Поставка", "Етапи перевезення", "Наступний крок: відвантажено", "Усі поставки"),
        ("Shipment", "Legs", "Next step", "Planned departure", "All shipments", "Label (PNG)"),
    ),
    Page(
        "receipts",
        lambda b: "/shipments/receipts/",
        "UKR",
        ("Приймання до підтвердження", "Код поставки", "У дорозі"),
        ("Receipts to confirm", "Shipment code", "On the way", "Open receipt"),
    ),
    Page(
        "training",
        lambda b: "/training/",
        "coordinator",
        ("Підготовка: курси та навчальні групи", "Запропоновано місць", "Відкрити навчальну групу"),
        ("Training", "Seats offered", "Open a cohort", "Graduates", "Course"),
    ),
    Page(
        "readiness",
        lambda b: "/training/readiness/",
        "coordinator",
        ("Готовність екіпажів за сімействами", "Екіпаж на одиницю"),
        ("Crew readiness", "Crew per unit", "Units with no crew", "Family"),
    ),
    Page(
        "agreements",
        lambda b: "/agreements/",
        "coordinator",
        ("Двосторонні угоди та ланцюг допомоги", "Задекларовано", "Закріплено", "Експорт IATI XML"),
        ("Bilateral agreements", "Pledged", "Committed", "Shipped", "Received", "Export IATI XML"),
    ),
    Page(
        "agreement",
        lambda b: "/agreements/POL-UKR/",
        "coordinator",
        ("Угода POL-UKR", "За роками", "Записи", "10 років", "задекларовано"),
        ("Year by year", "Entries", "Stage", "years", "All agreements", "pledged"),
    ),
    Page(
        "stress tests",
        lambda b: "/stress/",
        "coordinator",
        ("Стрес-тести", "Стрес-тест", "Вихід донора", "Запустити"),
        ("Stress tests", "Donor withdrawal", "Seconds per plan", "Start", "No stress run yet."),
    ),
    Page(
        "end-use monitoring",
        lambda b: "/monitoring/",
        "coordinator",
        ("Контроль кінцевого використання", "Прострочення за донорами", "Потрібно інвентаризацій"),
        ("End-use monitoring", "Overdue by donor", "Inventories required", "Record an inventory"),
    ),
    Page(
        "inbox",
        lambda b: "/inbox/",
        "POL",
        ("Вхідні", "Затверджений план закріплює ваші пропозиції", "Позначити прочитаним"),
        ("Inbox", "An approved plan commits your offers", "Mark read", "Unread only"),
    ),
    Page(
        "login",
        lambda b: "/login/",
        None,
        ("Увійти", "Ім’я користувача", "Пароль", "Мова"),
        ("Sign in", "Username", "Password", "Skip to content"),
    ),
]


@pytest.mark.parametrize("page", PAGES, ids=[p.name for p in PAGES])
def test_page_is_in_ukrainian(busy: Busy, english: set[str], page: Page) -> None:
    user = busy.world.users[page.user] if page.user else None
    response = in_ukrainian(user).get(page.path(busy))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'lang="uk"' in html and SWITCHER in html
    parts = visible_text(html)
    text = " ".join(parts)
    for phrase in page.ukrainian:
        assert phrase in text, f"{page.name}: {phrase!r} is missing"
    for heading in page.english:
        assert heading not in text, f"{page.name}: English {heading!r} is shown"
    leftovers = sorted({part for part in parts if part in english})
    assert leftovers == [], f"{page.name}: untranslated text {leftovers}"
    # The same page in English does show those headings: the check above is not vacuous.
    client = Client()
    if user is not None:
        client.force_login(user)
    english_text = " ".join(visible_text(client.get(page.path(busy)).content.decode()))
    for heading in page.english:
        assert heading in english_text, f"{page.name}: {heading!r} is not on the English page either"


def test_pages_stay_in_english_by_default(busy: Busy) -> None:
    client = Client()
    client.force_login(busy.world.users["UKR"])
    html = client.get("/requirements/").content.decode()
    assert 'lang="en"' in html and "Needed by" in html and "Потреби" not in html


def test_the_browser_language_is_followed_until_the_switcher_is_used(busy: Busy) -> None:
    client = Client()
    client.force_login(busy.world.users["UKR"])
    assert "Потреби" in client.get("/requirements/", HTTP_ACCEPT_LANGUAGE="uk,en;q=0.5").content.decode()


# --- numbers and dates ------------------------------------------------------------


def test_numbers_and_dates_follow_the_locale(busy: Busy) -> None:
    english = Client()
    english.force_login(busy.world.users["UKR"])
    ukrainian = in_ukrainian(busy.world.users["UKR"])

    en = english.get("/requirements/?q=R-shells").content.decode()
    uk = ukrainian.get("/requirements/?q=R-shells").content.decode()
    assert "12,345.5" in en and "03/01/2027" in en
    assert f"12{NBSP}345,5" in uk and "01.03.2027" in uk

    en = english.get("/lists/requirements/?q=R-shells").content.decode()
    uk = ukrainian.get("/lists/requirements/?q=R-shells").content.decode()
    assert "12,345.5" in en and "March 1, 2027" in en
    assert f"12{NBSP}345,5" in uk and "1 березня 2027" in uk

    en = english.get("/agreements/POL-UKR/").content.decode()
    uk = ukrainian.get("/agreements/POL-UKR/").content.decode()
    assert "40,000,000.50 EUR" in en
    assert f"40{NBSP}000{NBSP}000,50 EUR" in uk


def test_plan_figures_are_localised(busy: Busy) -> None:
    from nsatu.planning.models import PlanRun

    PlanRun.objects.filter(pk=busy.run_id).update(
        metrics={"objective": 1234.5678, "pwf": 0.25, "on_time_share": 1.0, "new_families": []}
    )
    en = Client()
    en.force_login(busy.world.users["coordinator"])
    uk = in_ukrainian(busy.world.users["coordinator"])
    en_html = en.get(f"/plans/{busy.run_id}/").content.decode()
    uk_html = uk.get(f"/plans/{busy.run_id}/").content.decode()
    assert "25.00%" in en_html and "1,235" in en_html
    assert "25,00 %" in uk_html and f"1{NBSP}235" in uk_html


# --- the switcher ---------------------------------------------------------------------


def _csrf(client: Client, path: str) -> str:
    client.get(path)
    return client.cookies[settings.CSRF_COOKIE_NAME].value


def test_the_switcher_changes_the_language_of_every_page_and_back(busy: Busy) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(busy.world.users["UKR"])
    page = client.get("/requirements/?priority=1").content.decode()
    assert SWITCHER in page and '<option value="uk" lang="uk">Українська</option>' in page
    assert '<input name="next" type="hidden" value="/requirements/?priority=1">' in page

    token = _csrf(client, "/requirements/")
    response = client.post(
        "/i18n/setlang/",
        {"language": "uk", "next": "/requirements/?priority=1", "csrfmiddlewaretoken": token},
    )
    assert response.status_code == 302 and response["Location"] == "/requirements/?priority=1"
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "uk"
    page = client.get("/requirements/?priority=1").content.decode()
    assert 'lang="uk"' in page and "<h1>Потреби</h1>" in page
    assert '<option value="uk" lang="uk" selected>Українська</option>' in page
    # The choice holds on the other pages, not only the one it was made on.
    assert "<h1>Поставки</h1>" in client.get("/shipments/").content.decode()

    response = client.post(
        "/i18n/setlang/", {"language": "en", "next": "/shipments/", "csrfmiddlewaretoken": token}
    )
    assert response.status_code == 302
    assert "<h1>Shipments</h1>" in client.get("/shipments/").content.decode()


def test_the_switcher_works_before_signing_in(world: Any) -> None:
    client = Client(enforce_csrf_checks=True)
    token = _csrf(client, "/login/")
    response = client.post(
        "/i18n/setlang/", {"language": "uk", "next": "/login/", "csrfmiddlewaretoken": token}, follow=True
    )
    html = response.content.decode()
    assert response.status_code == 200 and "<h1>Увійти</h1>" in html
    assert 'value="uk" lang="uk" selected' in html


def test_the_switcher_refuses_an_outside_next(world: Any) -> None:
    response = Client().post("/i18n/setlang/", {"language": "uk", "next": "https://example.org/"})
    assert response.status_code == 302 and response["Location"] == "/"


def test_language_names_are_their_own_on_a_ukrainian_page(world: Any) -> None:
    html = in_ukrainian(None).get("/login/").content.decode()
    assert '<option value="en" lang="en">English</option>' in html


def test_refusals_and_missing_pages_are_in_ukrainian(busy: Busy) -> None:
    client = in_ukrainian(busy.world.users["DEU"])
    refused = client.get("/audit/ledger/")
    assert refused.status_code == 403 and "Доступ заборонено" in refused.content.decode()
    missing = client.get("/agreements/NO-SUCH/")
    assert missing.status_code == 404 and "Не знайдено" in missing.content.decode()


def test_the_lockout_page_is_in_ukrainian(world: Any) -> None:
    client = in_ukrainian(None)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/login/", {"username": "deu", "password": "wrong-password"})
    locked = client.post("/login/", {"username": "deu", "password": "x-Secret-123456"})
    assert locked.status_code == 429
    html = locked.content.decode()
    assert "Вхід заблоковано" in html and "невдалих спроб" in html and SWITCHER in html


def test_chart_texts_are_in_ukrainian(busy: Busy) -> None:
    import json

    html = in_ukrainian(busy.world.users["leadership"]).get("/dashboard/").content.decode()
    start = html.index('<script id="dashboard-figures" type="application/json">')
    data = json.loads(html[html.index(">", start) + 1 : html.index("</script>", start)])
    layout = data["fulfilment"]["layout"]
    assert layout["xaxis"]["title"]["text"] == "Тиждень надходження"
    assert layout["xaxis"]["tickformat"] == "%d.%m.%Y"
    assert [t["name"] for t in data["families"]["data"]] == [
        "На озброєнні",
        "Запроваджені затвердженими планами",
    ]


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_reader_switches_to_ukrainian_in_a_real_browser(live_server: Any, world: Any, page: Any) -> None:
    from tests.conftest import screenshot

    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Language").select_option("uk")
    page.get_by_role("button", name="Switch").click()
    page.get_by_role("heading", name="Увійти").wait_for()
    page.get_by_label("Ім’я користувача").fill("ukr")
    page.get_by_label("Пароль").fill("x-Secret-123456")
    page.get_by_role("button", name="Увійти").click()
    page.get_by_role("heading", name="Огляд").wait_for()
    page.get_by_role("link", name="Потреби", exact=True).click()
    page.get_by_role("heading", name="Потреби").wait_for()
    assert page.locator("html").get_attribute("lang") == "uk"
    screenshot(page, "requirements-ukrainian")
    page.get_by_label("Мова").select_option("en")
    page.get_by_role("button", name="Змінити").click()
    page.get_by_role("heading", name="Requirements").wait_for()
    assert page.url.endswith("/requirements/")
