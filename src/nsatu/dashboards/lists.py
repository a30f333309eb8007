"""List pages described as data: one spec per table, one view renders, filters, sorts, pages and exports.

A :class:`ListSpec` names the queryset (already narrowed by the releasability
filter for the user), the query-string filters, the free-text search fields,
the sortable columns and the cells. The page and its CSV/Excel export read the
same query string, so an export holds exactly the rows the page would list,
across all its pages.

The app pages use the same machinery through :func:`table_page` and
:func:`table_export`: the view builds the rows the user may see once, pages
them for the page and, when the query string says ``export=csv`` (or
``xlsx``) and ``table=<spec name>``, writes all of them instead. A page with two
tables gives the second a ``prefix`` for its query parameters.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, QueryDict, StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from nsatu.catalog.models import Capability, Family, ItemType
from nsatu.core.exports import FORMATS, export_response
from nsatu.core.releasability import releasable, with_visible_codes
from nsatu.core.tables import display_value
from nsatu.logistics.models import Hub
from nsatu.nations.models import Nation
from nsatu.needs.models import Requirement, RequirementStatus
from nsatu.offers.models import Offer, OfferStatus
from nsatu.training.models import Course

Choices = Callable[[], Sequence[tuple[str, str]]]


PAGE_SIZE = 50
EXPORT_PARAM = "export"  # ?export=csv|xlsx on an app page: its table, every page of it
TABLE_PARAM = "table"  # which table of the page to export


@dataclass(frozen=True)
class Filter:
    """One query-string filter: ``param=value`` becomes ``lookup=value``.

    Shown as a select of ``choices``, or as a text box when there are none to
    offer (a code typed or followed from a link).
    """

    param: str
    label: Any
    lookup: str
    choices: Choices | None
    # Turns the raw parameter into the lookup value; None drops a value that does not parse.
    convert: Callable[[str], Any] = str


@dataclass(frozen=True)
class Column:
    """A table column: its label, how to read the cell from a row object, and its sort key."""

    label: Any
    cell: Callable[[Any], Any]
    sort: Sequence[str] = ()  # order_by fields; empty = not sortable
    key: str = ""
    # How the page shows the cell, when not as the export writes it (a marking's words, not its code).
    show: Callable[[Any], Any] | None = None


@dataclass(frozen=True)
class ListSpec:
    """Everything a list page needs to know about one table."""

    name: str
    heading: Any
    queryset: Callable[[Any], QuerySet[Any]]  # user -> rows the user may see
    columns: Sequence[Column]
    filters: Sequence[Filter] = ()
    search: Sequence[str] = ()
    default_sort: str = ""
    roles: frozenset[str] | None = None  # None = every signed-in user

    def column(self, key: str) -> Column | None:
        return next((c for c in self.columns if c.key == key and c.sort), None)


@dataclass
class AppliedList:
    """A spec applied to a request's query string."""

    spec: ListSpec
    queryset: QuerySet[Any]
    values: dict[str, str]
    sort: str


def _yes_no() -> list[tuple[str, str]]:
    return [("yes", str(_("yes"))), ("no", str(_("no")))]


def _bool(value: str) -> bool | None:
    return {"yes": True, "no": False, "true": True, "false": False, "1": True, "0": False}.get(value.lower())


def _int(value: str) -> int | None:
    return int(value) if value.isdigit() else None


def apply(spec: ListSpec, user: Any, query: QueryDict, queryset: QuerySet[Any] | None = None) -> AppliedList:
    """Filter, search and sort ``spec``'s rows (or ``queryset``, narrowed already) as the query says."""
    queryset = spec.queryset(user) if queryset is None else queryset
    values: dict[str, str] = {}
    for f in spec.filters:
        raw = query.get(f.param, "").strip()
        if not raw:
            continue
        converted = f.convert(raw)
        if converted is None:
            continue
        values[f.param] = raw
        queryset = queryset.filter(**{f.lookup: converted})
    text = query.get("q", "").strip()
    if text and spec.search:
        condition = Q()
        for path in spec.search:
            condition |= Q(**{f"{path}__icontains": text})
        queryset = queryset.filter(condition)
        values["q"] = text
    sort = query.get("sort", "").strip() or spec.default_sort
    column = spec.column(sort.lstrip("-"))
    if column is None:
        sort = spec.default_sort
        column = spec.column(sort.lstrip("-"))
    if column is not None:
        fields = list(column.sort)
        if sort.startswith("-"):
            fields = [f[1:] if f.startswith("-") else f"-{f}" for f in fields]
        queryset = queryset.order_by(*fields, "pk")
    return AppliedList(spec, queryset.distinct() if text else queryset, values, sort)


def rows(spec: ListSpec, objects: Iterable[Any], *, for_page: bool = False) -> Iterator[list[Any]]:
    """The cells of ``objects`` (a page, or the whole queryset for an export)."""
    for obj in objects:
        yield [(column.show if for_page and column.show else column.cell)(obj) for column in spec.columns]


def export_filename(stem: str) -> str:
    """``nsatu-<stem>-<date-time>``: exports of the same list sort by when they were taken."""
    return f"nsatu-{stem}-{timezone.now():%Y%m%d-%H%M}"


def export_table(spec: ListSpec, objects: Iterable[Any], fmt: str) -> HttpResponse | StreamingHttpResponse:
    """Every row of ``objects`` under ``spec``'s column labels, as CSV or Excel."""
    if isinstance(objects, QuerySet):
        objects = objects.iterator(chunk_size=2000)
    return export_response(
        rows(spec, objects), [str(c.label) for c in spec.columns], export_filename(spec.name), fmt
    )


# --- tables on app pages ---------------------------------------------------------


@dataclass
class Table:
    """One table of a page: a page of its rows and what its filters, headers and links need."""

    spec: ListSpec
    page: Page  # type: ignore[type-arg]
    prefix: str
    values: dict[str, str]
    sort: str
    query: str  # the page's query string without this table's page number (pager and export links)
    headers: list[dict[str, Any]] = field(default_factory=list)
    filters: list[dict[str, Any]] = field(default_factory=list)
    keep: list[tuple[str, str]] = field(default_factory=list)  # other tables' parameters, kept by the form

    @property
    def page_param(self) -> str:
        return f"{self.prefix}page"

    @property
    def q(self) -> str:
        return self.values.get("q", "")

    @property
    def q_param(self) -> str:
        return f"{self.prefix}q"

    @property
    def sort_param(self) -> str:
        return f"{self.prefix}sort"

    @property
    def rows(self) -> list[list[Any]]:
        """The page's cells as a generic table shows them, in the reader's locale."""
        return [[display_value(v) for v in row] for row in rows(self.spec, self.page, for_page=True)]

    @property
    def rows_with_objects(self) -> list[tuple[list[Any], Any]]:
        """Each row's cells beside its object, for a table whose rows carry links or actions."""
        return list(zip(self.rows, self.page, strict=True))


def _unprefixed(query: QueryDict, prefix: str) -> QueryDict:
    if not prefix:
        return query
    own = QueryDict(mutable=True)
    for key, values in query.lists():
        if key.startswith(prefix):
            own.setlist(key[len(prefix) :], values)
    return own


Then = Callable[[QuerySet[Any]], Iterable[Any]]


def _narrowed(
    request: HttpRequest, spec: ListSpec, objects: Iterable[Any] | None, prefix: str, then: Then | None
) -> tuple[Iterable[Any], dict[str, str], str]:
    """The rows the table holds: the spec's own or the view's, filtered, searched and sorted.

    Rows given as a list (computed, not queried) are taken as they are; ``then``
    turns the filtered queryset into the rows (an agreement into its aid chain).
    """
    if objects is None or isinstance(objects, QuerySet):
        applied = apply(spec, request.user, _unprefixed(request.GET, prefix), objects)
        narrowed = applied.queryset if then is None else then(applied.queryset)
        return narrowed, applied.values, applied.sort
    return objects, {}, ""


def table_export(
    request: HttpRequest,
    spec: ListSpec,
    objects: Iterable[Any] | None = None,
    *,
    prefix: str = "",
    then: Then | None = None,
) -> HttpResponse | StreamingHttpResponse | None:
    """The export the query string asks of this table, or None when it asks for none.

    ``objects`` are the rows the page itself would list (already narrowed to
    what the user may see); without them the spec's queryset is used.
    """
    fmt = request.GET.get(EXPORT_PARAM)
    if not fmt or request.GET.get(TABLE_PARAM, spec.name) != spec.name:
        return None
    if fmt not in FORMATS:
        raise Http404
    narrowed, _values, _sort = _narrowed(request, spec, objects, prefix, then)
    return export_table(spec, narrowed, fmt)


def table_page(
    request: HttpRequest,
    spec: ListSpec,
    objects: Iterable[Any] | None = None,
    *,
    prefix: str = "",
    size: int | None = None,
    drop: Sequence[str] = (),
    then: Then | None = None,
) -> Table:
    """One page of the table's rows, with its sortable headers, filters and link query.

    ``drop`` names parameters of the page its links and forms should not carry on
    (a one-off form's, such as the receipt page's shipment code).
    """
    narrowed, values, sort = _narrowed(request, spec, objects, prefix, then)
    sortable = objects is None or isinstance(objects, QuerySet)
    if not isinstance(narrowed, QuerySet):
        narrowed = list(narrowed)
    page = Paginator(narrowed, size or PAGE_SIZE).get_page(request.GET.get(f"{prefix}page"))
    query = request.GET.copy()
    for key in (f"{prefix}page", EXPORT_PARAM, TABLE_PARAM, *drop):
        query.pop(key, None)
    table = Table(spec, page, prefix, values, sort, query.urlencode())
    for column in spec.columns:
        header: dict[str, Any] = {"label": column.label, "url": None, "state": "none"}
        if column.sort and sortable:
            sort_query = query.copy()
            ascending = sort == column.key
            sort_query[f"{prefix}sort"] = f"-{column.key}" if ascending else column.key
            header["url"] = "?" + sort_query.urlencode()
            if ascending:
                header["state"] = "ascending"
            elif sort == f"-{column.key}":
                header["state"] = "descending"
        table.headers.append(header)
    table.filters = [
        {
            "filter": f,
            "param": f"{prefix}{f.param}",
            "choices": f.choices() if f.choices is not None else None,
            "value": values.get(f.param, ""),
        }
        for f in spec.filters
    ]
    own = {table.page_param, table.q_param, table.sort_param, *(f["param"] for f in table.filters)}
    table.keep = [(key, value) for key, values in query.lists() if key not in own for value in values]
    return table


# --- choices ------------------------------------------------------------------


def _capabilities() -> list[tuple[str, str]]:
    return [(c.code, str(c)) for c in Capability.objects.order_by("code")]


def _nations() -> list[tuple[str, str]]:
    return [(n.iso3, f"{n.iso3} {n.name}") for n in Nation.objects.order_by("iso3")]


def _families() -> list[tuple[str, str]]:
    return [(f.code, f.name) for f in Family.objects.order_by("code")]


def _priorities() -> list[tuple[str, str]]:
    return [(str(p), str(p)) for p in range(1, 6)]


def _requirement_statuses() -> list[tuple[str, str]]:
    return [(str(v), str(label)) for v, label in RequirementStatus.choices]


def _offer_statuses() -> list[tuple[str, str]]:
    return [(str(v), str(label)) for v, label in OfferStatus.choices]


# --- the lists ----------------------------------------------------------------


def _offers(user: Any) -> QuerySet[Offer]:
    """Offers the user may see, each with its earmark's code only if that requirement is visible too.

    An earmark names a requirement; a donor who may not see the requirement
    learns nothing from the offer, not even its code.
    """
    offers = releasable(Offer.objects.select_related("donor", "item_type__family__capability"), user)
    return with_visible_codes(offers, user, earmark_code="earmark")


REQUIREMENTS = ListSpec(
    name="requirements",
    heading=_("Requirements"),
    queryset=lambda user: releasable(Requirement.objects.select_related("capability", "recipient"), user),
    columns=[
        Column(_("Id"), lambda r: r.code, ("code",), "id"),
        Column(_("Title"), lambda r: r.title, ("title", "code"), "title"),
        Column(_("Recipient"), lambda r: r.recipient.iso3),
        Column(
            _("Capability"),
            lambda r: r.capability.code,
            ("capability__code", "priority", "code"),
            "capability",
        ),
        Column(_("Quantity"), lambda r: r.quantity, ("quantity", "code"), "quantity"),
        Column(_("Priority"), lambda r: r.priority, ("priority", "needed_by", "code"), "priority"),
        Column(_("Needed by"), lambda r: r.needed_by, ("needed_by", "priority", "code"), "needed_by"),
        Column(_("Status"), lambda r: r.get_status_display(), ("status", "code"), "status"),
        Column(_("Releasability"), lambda r: r.releasability, show=lambda r: r.releasability_label),
    ],
    filters=[
        Filter("capability", _("Capability"), "capability__code", _capabilities),
        Filter("priority", _("Priority"), "priority", _priorities, _int),
        Filter("status", _("Status"), "status", _requirement_statuses),
    ],
    search=("code", "title"),
    default_sort="priority",
)

OFFERS = ListSpec(
    name="offers",
    heading=_("Offers"),
    queryset=_offers,
    columns=[
        Column(_("Id"), lambda o: o.code, ("code",), "id"),
        Column(_("Donor"), lambda o: o.donor.iso3, ("donor__iso3", "code"), "donor"),
        Column(_("Item"), lambda o: o.item_type.name, ("item_type__name", "code"), "item"),
        Column(_("Family"), lambda o: o.item_type.family.code),
        Column(
            _("Capability"),
            lambda o: o.item_type.family.capability.code,
            ("item_type__family__capability__code", "code"),
            "capability",
        ),
        Column(_("Quantity"), lambda o: o.quantity, ("quantity", "code"), "quantity"),
        Column(_("Available from"), lambda o: o.available_from, ("available_from", "code"), "available_from"),
        Column(_("Status"), lambda o: o.get_status_display(), ("status", "code"), "status"),
        Column(_("Earmark"), lambda o: o.earmark_code or ""),
        Column(_("Releasability"), lambda o: o.releasability, show=lambda o: o.releasability_label),
    ],
    filters=[
        Filter("capability", _("Capability"), "item_type__family__capability__code", _capabilities),
        Filter("donor", _("Donor"), "donor__iso3", _nations),
        Filter("status", _("Status"), "status", _offer_statuses),
    ],
    search=("code", "item_type__name", "note"),
    default_sort="id",
)

NATIONS = ListSpec(
    name="nations",
    heading=_("Nations"),
    queryset=lambda user: Nation.objects.all(),
    columns=[
        Column(_("ISO3 code"), lambda n: n.iso3, ("iso3",), "iso3"),
        Column(_("Name"), lambda n: n.name, ("name",), "name"),
        Column(_("NATO member"), lambda n: n.nato, ("-nato", "iso3"), "nato"),
        Column(_("EU member"), lambda n: n.eu, ("-eu", "iso3"), "eu"),
        Column(_("NATO codification bureau"), lambda n: n.codification_bureau),
    ],
    filters=[
        Filter("nato", _("NATO member"), "nato", _yes_no, _bool),
        Filter("eu", _("EU member"), "eu", _yes_no, _bool),
    ],
    search=("iso3", "name"),
    default_sort="iso3",
)

FAMILIES = ListSpec(
    name="families",
    heading=_("Platform families"),
    queryset=lambda user: Family.objects.select_related("capability"),
    columns=[
        Column(_("Code"), lambda f: f.code, ("code",), "code"),
        Column(_("Name"), lambda f: f.name, ("name",), "name"),
        Column(_("Capability"), lambda f: f.capability.code, ("capability__code", "code"), "capability"),
        Column(_("In service"), lambda f: f.in_service, ("-in_service", "code"), "in_service"),
        Column(_("Crew per unit"), lambda f: f.crew_per_unit),
        Column(_("Existing crews"), lambda f: f.existing_crews),
        Column(_("Introduction cost"), lambda f: f.introduction_cost),
    ],
    filters=[
        Filter("capability", _("Capability"), "capability__code", _capabilities),
        Filter("in_service", _("In service"), "in_service", _yes_no, _bool),
    ],
    search=("code", "name", "aliases__alias"),
    default_sort="code",
)

ITEM_TYPES = ListSpec(
    name="item-types",
    heading=_("Item types"),
    queryset=lambda user: ItemType.objects.select_related("family__capability"),
    columns=[
        Column(_("Code"), lambda i: i.code, ("code",), "code"),
        Column(_("Name"), lambda i: i.name, ("name",), "name"),
        Column(_("Family"), lambda i: i.family.code, ("family__code", "code"), "family"),
        Column(
            _("Capability"),
            lambda i: i.family.capability.code,
            ("family__capability__code", "code"),
            "capability",
        ),
        Column(_("Unit"), lambda i: i.unit),
        Column(_("Mass per unit (t)"), lambda i: i.mass_t, ("mass_t", "code"), "mass"),
        Column(_("NATO stock number"), lambda i: i.nsn),
        Column(_("Serialised"), lambda i: i.serialised),
    ],
    filters=[
        Filter("capability", _("Capability"), "family__capability__code", _capabilities),
        Filter("family", _("Family"), "family__code", _families),
    ],
    search=("code", "name", "nsn"),
    default_sort="code",
)

HUBS = ListSpec(
    name="hubs",
    heading=_("Hubs"),
    queryset=lambda user: Hub.objects.select_related("nation"),
    columns=[
        Column(_("Code"), lambda h: h.code, ("code",), "code"),
        Column(_("Name"), lambda h: h.name, ("name",), "name"),
        Column(_("Nation"), lambda h: h.nation.iso3, ("nation__iso3", "code"), "nation"),
        Column(
            _("Capacity (t per week)"),
            lambda h: h.capacity_t_per_week,
            ("capacity_t_per_week", "code"),
            "capacity",
        ),
    ],
    filters=[Filter("nation", _("Nation"), "nation__iso3", _nations)],
    search=("code", "name"),
    default_sort="code",
)

COURSES = ListSpec(
    name="courses",
    heading=_("Training courses"),
    queryset=lambda user: Course.objects.select_related("family", "host"),
    columns=[
        Column(_("Id"), lambda c: c.code, ("code",), "id"),
        Column(_("Family"), lambda c: c.family.code, ("family__code", "start"), "family"),
        Column(_("Host"), lambda c: c.host.iso3, ("host__iso3", "start"), "host"),
        Column(_("Seats"), lambda c: c.seats, ("seats", "code"), "seats"),
        Column(_("Start"), lambda c: c.start, ("start", "code"), "start"),
        Column(_("Weeks"), lambda c: c.duration_weeks, ("duration_weeks", "code"), "weeks"),
    ],
    filters=[
        Filter("family", _("Family"), "family__code", _families),
        Filter("host", _("Host"), "host__iso3", _nations),
    ],
    search=("code",),
    default_sort="start",
)

SPECS: dict[str, ListSpec] = {
    spec.name: spec for spec in (REQUIREMENTS, OFFERS, NATIONS, FAMILIES, ITEM_TYPES, HUBS, COURSES)
}
