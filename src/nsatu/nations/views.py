"""Agreement pages: each bilateral agreement's aid chain, and the IATI export."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from nsatu.nations.iati import default_recipient, iati_xml
from nsatu.nations.models import Agreement
from nsatu.shipments.aidchain import STAGES, aid_chains


@login_required
def agreement_list(request: HttpRequest) -> HttpResponse:
    """Every agreement with its totals per stage (of what the user may see)."""
    chains = aid_chains(request.user)
    rows = [(chain, chain.totals()) for chain in chains]
    return render(request, "nations/agreements.html", {"rows": rows, "stages": STAGES})


@login_required
def agreement_detail(request: HttpRequest, code: str) -> HttpResponse:
    """One agreement year by year: pledged, committed, shipped, received."""
    chosen = Agreement.objects.filter(code=code)
    if not chosen.exists():
        raise Http404
    chain = aid_chains(request.user, agreements=chosen)[0]
    context = {
        "chain": chain,
        "agreement": chain.agreement,
        "rows": chain.rows(),
        "totals": chain.totals(),
        "pledges": chain.agreement.pledges.all(),
        "entries": sorted(chain.entries, key=lambda e: (e.date, e.stage, e.ref)),
    }
    return render(request, "nations/agreement.html", context)


@login_required
def agreements_iati(request: HttpRequest) -> HttpResponse:
    """The agreements' transactions as IATI 2.03 activity XML (of what the user may see)."""
    document = iati_xml(aid_chains(request.user), recipient=default_recipient(), generated=timezone.now())
    response = HttpResponse(document, content_type="application/xml")
    response["Content-Disposition"] = 'attachment; filename="nsatu-agreements-iati.xml"'
    return response
