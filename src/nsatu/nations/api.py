"""Nations, coalitions, agreements and pledges API, and the agreements' aid chain.

None of these records carries a releasability marking: every signed-in user
reads them; only coordinators change them. The aid chain (pledged, committed,
shipped, received) and its IATI export count only the offers and shipments
releasable to the caller, exactly as the agreement pages do.
"""

from collections.abc import Iterable
from typing import Any

from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Router, Status
from ninja.pagination import paginate

from nsatu.catalog.models import Capability
from nsatu.core.api import (
    CREATE_ERRORS,
    LIST_ERRORS,
    READ_ERRORS,
    WRITE_ERRORS,
    Pagination,
    coordinator,
    current_user,
    get_or_404,
    lookup,
    lookup_many,
    patch_fields,
)
from nsatu.core.schemas import Code, Id, Iso3, Search
from nsatu.core.services import update_record
from nsatu.nations import services
from nsatu.nations.iati import default_recipient, iati_xml
from nsatu.nations.models import Agreement, Coalition, Nation, Pledge
from nsatu.nations.schemas import (
    AgreementIn,
    AgreementOut,
    AgreementPatch,
    AidChainOut,
    AidChainSummaryOut,
    CoalitionIn,
    CoalitionOut,
    CoalitionPatch,
    NationIn,
    NationOut,
    NationPatch,
    PledgeIn,
    PledgeOut,
    PledgePatch,
    Year,
)
from nsatu.shipments.aidchain import AgreementChain, aid_chains

router = Router()


def _nation(iso3: str) -> Nation:
    return get_or_404(Nation.objects.all(), "nation", iso3=iso3.upper())


# --- nations -------------------------------------------------------------------------------------


@router.get(
    "/nations", response={200: list[NationOut], **LIST_ERRORS}, tags=["nations"], summary="List nations"
)
@paginate(Pagination)
def list_nations(
    request: HttpRequest, nato: bool | None = None, eu: bool | None = None, q: Search | None = None
) -> QuerySet[Nation]:
    """Participating nations; optionally only NATO or EU members, or those matching `q`."""
    queryset = Nation.objects.all()
    if nato is not None:
        queryset = queryset.filter(nato=nato)
    if eu is not None:
        queryset = queryset.filter(eu=eu)
    if q:
        queryset = queryset.filter(Q(name__icontains=q) | Q(iso3__iexact=q))
    return queryset


@router.get(
    "/nations/{iso3}", response={200: NationOut, **READ_ERRORS}, tags=["nations"], summary="Get a nation"
)
def get_nation(request: HttpRequest, iso3: Iso3) -> Nation:
    """One nation by its ISO 3166-1 alpha-3 code."""
    return _nation(iso3)


@router.post(
    "/nations", response={201: NationOut, **CREATE_ERRORS}, tags=["nations"], summary="Register a nation"
)
def create_nation(request: HttpRequest, payload: NationIn) -> Status[Nation]:
    """Register a participating nation (coordinators)."""
    actor = coordinator(request, "register nations")
    return Status(201, services.create_nation(actor=actor, **payload.dict()))


@router.patch(
    "/nations/{iso3}", response={200: NationOut, **WRITE_ERRORS}, tags=["nations"], summary="Change a nation"
)
def update_nation(request: HttpRequest, iso3: Iso3, payload: NationPatch) -> Nation:
    """Change a nation's name or memberships (coordinators); 409 when `version` is stale."""
    actor = coordinator(request, "change nations")
    nation = _nation(iso3)
    return update_record(nation, actor=actor, expected_version=payload.version, **patch_fields(payload))


@router.delete(
    "/nations/{iso3}", response={204: None, **WRITE_ERRORS}, tags=["nations"], summary="Remove a nation"
)
def delete_nation(request: HttpRequest, iso3: Iso3) -> Status[None]:
    """Remove a nation nothing refers to (coordinators); 409 while records still refer to it."""
    actor = coordinator(request, "remove nations")
    services.delete_nation(_nation(iso3), actor=actor)
    return Status(204, None)


# --- coalitions ----------------------------------------------------------------------------------


def _coalitions() -> QuerySet[Coalition]:
    return Coalition.objects.prefetch_related("capabilities", "leads", "members")


def _coalition_m2m(
    capabilities: list[str] | None, leads: list[str] | None, members: list[str] | None
) -> dict[str, list[Any]]:
    m2m: dict[str, list[Any]] = {}
    if capabilities is not None:
        m2m["capabilities"] = lookup_many(Capability, "capabilities", capabilities, key="code")
    lead_nations = lookup_many(Nation, "leads", [c.upper() for c in leads], key="iso3") if leads else []
    if leads is not None:
        m2m["leads"] = lead_nations
    if members is not None or leads:
        # A lead nation is a member too.
        member_nations = lookup_many(Nation, "members", [c.upper() for c in members or []], key="iso3")
        m2m["members"] = list({n.pk: n for n in [*member_nations, *lead_nations]}.values())
    return m2m


@router.get(
    "/coalitions",
    response={200: list[CoalitionOut], **LIST_ERRORS},
    tags=["coalitions"],
    summary="List capability coalitions",
)
@paginate(Pagination)
def list_coalitions(
    request: HttpRequest, capability: Code | None = None, nation: Iso3 | None = None
) -> QuerySet[Coalition]:
    """Coalitions, optionally those covering a capability or having a nation as lead or member."""
    queryset = _coalitions()
    if capability:
        queryset = queryset.filter(capabilities__code=capability)
    if nation:
        queryset = queryset.filter(Q(members__iso3=nation.upper()) | Q(leads__iso3=nation.upper()))
    return queryset.distinct()


@router.get(
    "/coalitions/{code}",
    response={200: CoalitionOut, **READ_ERRORS},
    tags=["coalitions"],
    summary="Get a coalition",
)
def get_coalition(request: HttpRequest, code: Code) -> Coalition:
    """One coalition by its code."""
    return get_or_404(_coalitions(), "coalition", code=code)


@router.post(
    "/coalitions",
    response={201: CoalitionOut, **CREATE_ERRORS},
    tags=["coalitions"],
    summary="Create a coalition",
)
def create_coalition(request: HttpRequest, payload: CoalitionIn) -> Status[Coalition]:
    """Create a capability coalition with its capabilities, leads and members (coordinators)."""
    actor = coordinator(request, "create coalitions")
    m2m = _coalition_m2m(payload.capabilities, payload.leads, payload.members)
    coalition = services.create_coalition(
        actor=actor,
        code=payload.code,
        name=payload.name,
        capabilities=m2m.get("capabilities", []),
        leads=m2m.get("leads", []),
        members=m2m.get("members", []),
    )
    return Status(201, get_or_404(_coalitions(), "coalition", pk=coalition.pk))


@router.patch(
    "/coalitions/{code}",
    response={200: CoalitionOut, **WRITE_ERRORS},
    tags=["coalitions"],
    summary="Change a coalition",
)
def update_coalition(request: HttpRequest, code: Code, payload: CoalitionPatch) -> Coalition:
    """Change a coalition's name, capabilities, leads or members (coordinators)."""
    actor = coordinator(request, "change coalitions")
    coalition = get_or_404(_coalitions(), "coalition", code=code)
    changes = patch_fields(payload, exclude={"capabilities", "leads", "members"})
    m2m = _coalition_m2m(payload.capabilities, payload.leads, payload.members)
    if payload.leads is not None and payload.members is None:
        # Keep the current members, adding any new lead.
        m2m["members"] = list({n.pk: n for n in [*coalition.members.all(), *m2m["leads"]]}.values())
    services.update_coalition(
        coalition, actor=actor, expected_version=payload.version, m2m=dict[str, Iterable[Any]](m2m), **changes
    )
    return get_or_404(_coalitions(), "coalition", pk=coalition.pk)


@router.delete(
    "/coalitions/{code}",
    response={204: None, **WRITE_ERRORS},
    tags=["coalitions"],
    summary="Remove a coalition",
)
def delete_coalition(request: HttpRequest, code: Code) -> Status[None]:
    """Remove a coalition (coordinators)."""
    actor = coordinator(request, "remove coalitions")
    services.delete_coalition(get_or_404(Coalition.objects.all(), "coalition", code=code), actor=actor)
    return Status(204, None)


# --- agreements and pledges ----------------------------------------------------------------------


def _agreements() -> QuerySet[Agreement]:
    return Agreement.objects.select_related("donor")


@router.get(
    "/agreements",
    response={200: list[AgreementOut], **LIST_ERRORS},
    tags=["agreements"],
    summary="List bilateral agreements",
)
@paginate(Pagination)
def list_agreements(request: HttpRequest, donor: Iso3 | None = None) -> QuerySet[Agreement]:
    """Bilateral security agreements, optionally one donor's."""
    queryset = _agreements()
    if donor:
        queryset = queryset.filter(donor__iso3=donor.upper())
    return queryset


@router.get(
    "/agreements/{code}",
    response={200: AgreementOut, **READ_ERRORS},
    tags=["agreements"],
    summary="Get an agreement",
)
def get_agreement(request: HttpRequest, code: Code) -> Agreement:
    """One agreement by its code."""
    return get_or_404(_agreements(), "agreement", code=code)


@router.post(
    "/agreements",
    response={201: AgreementOut, **CREATE_ERRORS},
    tags=["agreements"],
    summary="Record an agreement",
)
def create_agreement(request: HttpRequest, payload: AgreementIn) -> Status[Agreement]:
    """Record a bilateral security agreement (coordinators)."""
    actor = coordinator(request, "record agreements")
    fields = payload.dict()
    fields["donor"] = lookup(Nation, "donor", payload.donor.upper(), key="iso3")
    return Status(201, services.create_agreement(actor=actor, **fields))


@router.patch(
    "/agreements/{code}",
    response={200: AgreementOut, **WRITE_ERRORS},
    tags=["agreements"],
    summary="Change an agreement",
)
def update_agreement(request: HttpRequest, code: Code, payload: AgreementPatch) -> Agreement:
    """Change an agreement (coordinators); 409 when `version` is stale."""
    actor = coordinator(request, "change agreements")
    agreement = get_or_404(_agreements(), "agreement", code=code)
    changes = patch_fields(payload, nullable={"duration_years"})
    if payload.donor is not None:
        changes["donor"] = lookup(Nation, "donor", payload.donor.upper(), key="iso3")
    return update_record(agreement, actor=actor, expected_version=payload.version, **changes)


@router.delete(
    "/agreements/{code}",
    response={204: None, **WRITE_ERRORS},
    tags=["agreements"],
    summary="Remove an agreement",
)
def delete_agreement(request: HttpRequest, code: Code) -> Status[None]:
    """Remove an agreement and its pledges (coordinators)."""
    actor = coordinator(request, "remove agreements")
    services.delete_agreement(get_or_404(Agreement.objects.all(), "agreement", code=code), actor=actor)
    return Status(204, None)


def _pledges() -> QuerySet[Pledge]:
    return Pledge.objects.select_related("agreement")


@router.get(
    "/agreements/{code}/pledges",
    response={200: list[PledgeOut], **READ_ERRORS},
    tags=["agreements"],
    summary="List an agreement's pledges",
)
@paginate(Pagination)
def list_pledges(request: HttpRequest, code: Code, year: Year | None = None) -> QuerySet[Pledge]:
    """The yearly pledges of one agreement, optionally one year's."""
    agreement = get_or_404(Agreement.objects.all(), "agreement", code=code)
    queryset = _pledges().filter(agreement=agreement)
    if year is not None:
        queryset = queryset.filter(year=year)
    return queryset


@router.post(
    "/agreements/{code}/pledges",
    response={201: PledgeOut, **WRITE_ERRORS},
    tags=["agreements"],
    summary="Add a pledge",
)
def create_pledge(request: HttpRequest, code: Code, payload: PledgeIn) -> Status[Pledge]:
    """Add one year's pledge to an agreement (coordinators)."""
    actor = coordinator(request, "add pledges")
    agreement = get_or_404(Agreement.objects.all(), "agreement", code=code)
    return Status(201, services.create_pledge(actor=actor, agreement=agreement, **payload.dict()))


@router.get(
    "/pledges/{pledge_id}",
    response={200: PledgeOut, **READ_ERRORS},
    tags=["agreements"],
    summary="Get a pledge",
)
def get_pledge(request: HttpRequest, pledge_id: Id) -> Pledge:
    """One pledge by its id."""
    return get_or_404(_pledges(), "pledge", pk=pledge_id)


@router.patch(
    "/pledges/{pledge_id}",
    response={200: PledgeOut, **WRITE_ERRORS},
    tags=["agreements"],
    summary="Change a pledge",
)
def update_pledge(request: HttpRequest, pledge_id: Id, payload: PledgePatch) -> Pledge:
    """Change a pledge (coordinators); 409 when `version` is stale."""
    actor = coordinator(request, "change pledges")
    pledge = get_or_404(_pledges(), "pledge", pk=pledge_id)
    changes = patch_fields(payload)
    if payload.currency:
        changes["currency"] = payload.currency.upper()
    # nations.services has no update_pledge: the generic audited update writes the event.
    return update_record(pledge, actor=actor, expected_version=payload.version, **changes)


@router.delete(
    "/pledges/{pledge_id}",
    response={204: None, **WRITE_ERRORS},
    tags=["agreements"],
    summary="Remove a pledge",
)
def delete_pledge(request: HttpRequest, pledge_id: Id) -> Status[None]:
    """Remove a pledge (coordinators)."""
    actor = coordinator(request, "remove pledges")
    services.delete_pledge(get_or_404(Pledge.objects.all(), "pledge", pk=pledge_id), actor=actor)
    return Status(204, None)


# --- the aid chain -------------------------------------------------------------------------------


@router.get(
    "/aid-chains",
    response={200: list[AidChainSummaryOut], **LIST_ERRORS},
    tags=["agreements"],
    summary="List the agreements' aid chains",
)
@paginate(Pagination)
def list_aid_chains(request: HttpRequest, donor: Iso3 | None = None) -> list[AgreementChain]:
    """Every agreement (optionally one donor's) with its totals per stage, by code.

    Committed, shipped and received count only the offers and shipments releasable to you.
    """
    return aid_chains(current_user(request), agreements=_chosen_agreements(donor))


@router.get(
    "/aid-chains/{code}",
    response={200: AidChainOut, **READ_ERRORS},
    tags=["agreements"],
    summary="Get an agreement's aid chain",
)
def get_aid_chain(request: HttpRequest, code: Code) -> AgreementChain:
    """One agreement year by year, pledged against committed, shipped and received, with every entry."""
    get_or_404(Agreement.objects.all(), "agreement", code=code)
    (chain,) = aid_chains(current_user(request), agreements=Agreement.objects.filter(code=code))
    return chain


@router.get(
    "/iati-activities",
    response={200: None, **LIST_ERRORS},
    tags=["agreements"],
    summary="Export the aid chain as IATI XML",
    openapi_extra={
        "responses": {
            200: {
                "description": "IATI 2.03 activities: one per agreement, a transaction per counted entry",
                "content": {"application/xml": {"schema": {"type": "string"}}},
            }
        }
    },
)
def export_iati(request: HttpRequest, donor: Iso3 | None = None) -> HttpResponse:
    """The agreements' pledges, commitments and receipts as an IATI 2.03 activities document.

    The same document as the agreements page's export, of what is releasable to you.
    """
    chains = aid_chains(current_user(request), agreements=_chosen_agreements(donor))
    document = iati_xml(chains, recipient=default_recipient(), generated=timezone.now())
    response = HttpResponse(document, content_type="application/xml")
    response["Content-Disposition"] = 'attachment; filename="nsatu-agreements-iati.xml"'
    return response


def _chosen_agreements(donor: str | None) -> QuerySet[Agreement]:
    queryset = Agreement.objects.order_by("code")
    return queryset.filter(donor__iso3=donor.upper()) if donor else queryset
