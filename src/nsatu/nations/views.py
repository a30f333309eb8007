"""Agreement pages: each bilateral agreement's aid chain, and the IATI export."""

from __future__ import annotations

from typing import Any, NamedTuple

from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy

from nsatu.dashboards.lists import Column, Filter, ListSpec, table_export, table_page
from nsatu.nations.iati import default_recipient, iati_xml
from nsatu.nations.models import Agreement, Nation
from nsatu.shipments.aidchain import STAGES, AgreementChain, StageSum, aid_chains


class AgreementRow(NamedTuple):
    """An agreement's aid chain with its totals per stage, summed once."""

    chain: AgreementChain
    totals: dict[str, StageSum]

    @property
    def agreement(self) -> Agreement:
        return self.chain.agreement


def _value(total: StageSum) -> str:
    """Values per currency without the locale's separators, as exports keep raw numbers."""
    return "; ".join(f"{amount:.2f} {currency}" for currency, amount in sorted(total.value.items()))


def _stage_columns(stage: str, units: Any, value: Any) -> list[Column]:
    return [
        Column(units, lambda r: r.totals[stage].units),
        Column(value, lambda r: _value(r.totals[stage])),
    ]


AGREEMENTS = ListSpec(
    name="agreements",
    heading=gettext_lazy("Agreements"),
    queryset=lambda user: Agreement.objects.select_related("donor"),
    columns=[
        Column(gettext_lazy("Agreement"), lambda r: r.agreement.code, ("code",), "code"),
        Column(gettext_lazy("Donor"), lambda r: r.agreement.donor.iso3, ("donor__iso3", "signed"), "donor"),
        Column(gettext_lazy("Name"), lambda r: r.agreement.donor.name),
        Column(gettext_lazy("Signed"), lambda r: r.agreement.signed, ("signed", "code"), "signed"),
        Column(gettext_lazy("Years"), lambda r: r.agreement.duration_years),
        Column(gettext_lazy("Pledged"), lambda r: _value(r.totals["pledged"])),
        *_stage_columns("committed", gettext_lazy("Committed units"), gettext_lazy("Committed value")),
        *_stage_columns("shipped", gettext_lazy("Shipped units"), gettext_lazy("Shipped value")),
        *_stage_columns("received", gettext_lazy("Received units"), gettext_lazy("Received value")),
    ],
    filters=[
        Filter(
            "donor",
            gettext_lazy("Donor"),
            "donor__iso3",
            lambda: [
                (n.iso3, f"{n.iso3} {n.name}")
                for n in Nation.objects.filter(agreements__isnull=False).distinct().order_by("iso3")
            ],
        )
    ],
    search=("code", "donor__name", "place"),
    default_sort="signed",
)

ENTRIES = ListSpec(
    name="agreement-entries",
    heading=gettext_lazy("Entries"),
    queryset=lambda user: Agreement.objects.none(),  # computed: see aid_chains
    columns=[
        Column(gettext_lazy("Date"), lambda e: e.date),
        Column(gettext_lazy("Stage"), lambda e: e.stage, show=lambda e: e.stage_label),
        Column(gettext_lazy("Code"), lambda e: e.code),
        Column(gettext_lazy("Item"), lambda e: e.item),
        Column(gettext_lazy("Units"), lambda e: e.units),
        Column(gettext_lazy("Value"), lambda e: e.value),
        Column(gettext_lazy("Currency"), lambda e: e.currency if e.value is not None else ""),
        Column(gettext_lazy("Entry"), lambda e: e.description),
    ],
)


@login_required
def agreement_list(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    """Every agreement with its totals per stage (of what the user may see); filters, pages, exports."""

    def chains(agreements: QuerySet[Agreement]) -> list[AgreementRow]:
        return [
            AgreementRow(chain, chain.totals()) for chain in aid_chains(request.user, agreements=agreements)
        ]

    export = table_export(request, AGREEMENTS, then=chains)
    if export is not None:
        return export
    table = table_page(request, AGREEMENTS, then=chains)
    return render(request, "nations/agreements.html", {"table": table, "stages": STAGES})


@login_required
def agreement_detail(request: HttpRequest, code: str) -> HttpResponse | StreamingHttpResponse:
    """One agreement year by year: pledged, committed, shipped, received; its entries export."""
    chosen = Agreement.objects.filter(code=code)
    if not chosen.exists():
        raise Http404
    chain = aid_chains(request.user, agreements=chosen)[0]
    entries = sorted(chain.entries, key=lambda e: (e.date, e.stage, e.ref))
    export = table_export(request, ENTRIES, entries)
    if export is not None:
        return export
    context = {
        "chain": chain,
        "agreement": chain.agreement,
        "rows": chain.rows(),
        "totals": chain.totals(),
        "pledges": chain.agreement.pledges.all(),
        "entries": entries,
    }
    return render(request, "nations/agreement.html", context)


@login_required
def agreements_iati(request: HttpRequest) -> HttpResponse:
    """The agreements' transactions as IATI 2.03 activity XML (of what the user may see)."""
    document = iati_xml(aid_chains(request.user), recipient=default_recipient(), generated=timezone.now())
    response = HttpResponse(document, content_type="application/xml")
    response["Content-Disposition"] = 'attachment; filename="nsatu-agreements-iati.xml"'
    return response
