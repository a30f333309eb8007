"""Read-only pages: the leadership dashboard, fleet diversity, list pages with exports, the audit ledger."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from nsatu.core.exports import FORMATS, export_response
from nsatu.core.plotly_assets import assets, bundle_bytes, bundle_gzip, plotly_context
from nsatu.dashboards import audit, charts
from nsatu.dashboards.lists import SPECS, ListSpec, apply, export_filename, export_table, table_page
from nsatu.monitoring.overdue import overdue_summary
from nsatu.planning.models import PlanRun

PAGE_SIZE = 50
ASSET_CACHE = "public, max-age=31536000, immutable"  # the URL carries the content digest


def _role(request: HttpRequest) -> str | None:
    return getattr(request.user, "role", None)


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """Leadership's charts of what is true: the aid approved plans commit now, shipped and received;
    the latest unapproved run only as a proposal. Each reader sums only what it may see."""
    user = request.user
    proposed = charts.latest_proposed_run()
    start = charts.scenario_start()
    committed = charts.committed_allocations(user)
    fulfilment = charts.fulfilment_by_capability(committed, user)
    families = charts.families_per_capability(committed, user)
    donors = charts.contributions_by_donor(committed, user)
    agreements = charts.agreement_fulfilment(committed, user, start)
    hubs = charts.arrivals_by_hub_week(committed, user)
    figures = {
        "fulfilment": charts.fulfilment_figure(fulfilment, start),
        "families": charts.families_figure(families),
        "donors": charts.contributions_figure(donors),
        "agreements": charts.agreements_figure(agreements),
        "arrivals": charts.arrivals_figure(hubs, start),
    }
    hub_rows = [
        (h.code, h.capacity, sum(h.tonnes.values()), max(h.tonnes.values(), default=0.0)) for h in hubs
    ]
    context = {
        "proposed": proposed,
        "approved_runs": [
            str(pk)
            for pk in PlanRun.objects.filter(approved_at__isnull=False)
            .values_list("pk", flat=True)
            .order_by("pk")
        ],
        "start": start,
        "figures": figures,
        "standing": charts.standing_by_capability(user, proposed),
        "families": families,
        "donors": donors,
        "agreements": agreements,
        "hub_rows": hub_rows,
        "eum": overdue_summary(user),
        **plotly_context(),
    }
    return render(request, "dashboards/dashboard.html", context)


@login_required
def fleet(request: HttpRequest) -> HttpResponse:
    """How many platform families the recipient operates per capability, and which."""
    rows_ = charts.fleet_diversity()
    context = {
        "rows": rows_,
        "total": sum(r.count for r in rows_),
        "figures": {"fleet": charts.fleet_figure(rows_)},
        **plotly_context(),
    }
    return render(request, "dashboards/fleet.html", context)


def _spec(request: HttpRequest, name: str) -> ListSpec:
    spec = SPECS.get(name)
    if spec is None:
        raise Http404
    if spec.roles is not None and _role(request) not in spec.roles:
        raise PermissionDenied
    return spec


def render_list(request: HttpRequest, spec: ListSpec) -> HttpResponse:
    """The generic list page of ``spec``: filters, search, sortable headers, pages, export links."""
    table = table_page(request, spec, size=PAGE_SIZE)
    context = {
        "spec": spec,
        "table": table,
        "headers": table.headers,
        "page": table.page,
        "rows": table.rows,
        "filters": table.filters,
        "q": table.q,
        "sort": table.sort,
        "query": table.query,
        "formats": FORMATS,
        "all_lists": [(other.name, other.heading) for other in SPECS.values()],
    }
    return render(request, "dashboards/list.html", context)


@login_required
@require_GET
def list_page(request: HttpRequest, name: str) -> HttpResponse:
    """One list: filters and search from the query string, sortable headers, pages, export links."""
    return render_list(request, _spec(request, name))


@login_required
@require_GET
def list_export(request: HttpRequest, name: str, fmt: str) -> HttpResponse | StreamingHttpResponse:
    """Every row of the list the query string selects (all pages), as CSV or Excel."""
    if fmt not in FORMATS:
        raise Http404
    spec = _spec(request, name)
    return export_table(spec, apply(spec, request.user, request.GET).queryset, fmt)


def _require_ledger_role(request: HttpRequest) -> None:
    if _role(request) not in audit.LEDGER_ROLES:
        raise PermissionDenied


@login_required
@require_GET
def audit_ledger(request: HttpRequest) -> HttpResponse:
    """The ledger for auditors: verification first, then a searchable, paged list of events."""
    _require_ledger_role(request)
    search = audit.search_ledger(request.GET)
    page = Paginator(search.events, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("verify", None)
    context = {
        "status": (status := audit.ledger_status(whole=request.GET.get("verify") == "whole")),
        "verification": status.verification,
        "page": page,
        "search": search,
        "actions": audit.distinct_values("action"),
        "object_types": audit.distinct_values("object_type"),
        "query": query.urlencode(),
        "formats": FORMATS,
    }
    return render(request, "dashboards/ledger.html", context)


@login_required
@require_GET
def audit_ledger_export(request: HttpRequest, fmt: str) -> HttpResponse | StreamingHttpResponse:
    """The events the search selects, every hashed field included, as CSV or Excel."""
    _require_ledger_role(request)
    if fmt not in FORMATS:
        raise Http404
    search = audit.search_ledger(request.GET)
    return export_response(
        audit.export_rows(search.events.iterator(chunk_size=2000)),
        [str(c) for c in audit.COLUMNS],
        export_filename("ledger"),
        fmt,
    )


@require_GET
def plotly_js(request: HttpRequest, digest: str) -> HttpResponse:
    """plotly.min.js from the installed plotly package (air-gapped: never a CDN)."""
    if digest != assets().digest:
        raise Http404
    if "gzip" in request.headers.get("Accept-Encoding", ""):
        response = HttpResponse(bundle_gzip(), content_type="text/javascript; charset=utf-8")
        response["Content-Encoding"] = "gzip"
    else:
        response = HttpResponse(bundle_bytes(), content_type="text/javascript; charset=utf-8")
    response["Cache-Control"] = ASSET_CACHE
    response["Vary"] = "Accept-Encoding"
    return response


@require_GET
def plotly_css(request: HttpRequest, digest: str) -> HttpResponse:
    """Plotly's own style rules as a stylesheet, so plotly.js need not inject a <style> element."""
    if digest != assets().digest:
        raise Http404
    response = HttpResponse(assets().css, content_type="text/css; charset=utf-8")
    response["Cache-Control"] = ASSET_CACHE
    return response
