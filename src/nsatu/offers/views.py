"""Offer pages: the list, a donor's own offers, add/edit/withdraw, workbook upload, where each went."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import OuterRef, QuerySet, Subquery
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from nsatu.catalog.models import Capability
from nsatu.core.actors import request_actor
from nsatu.core.choices import Role
from nsatu.core.previews import preview_path, save_preview
from nsatu.core.releasability import releasable
from nsatu.core.services import ConflictError
from nsatu.core.tables import format_quantity
from nsatu.dashboards.lists import OFFERS, Column, Filter, ListSpec, table_export, table_page
from nsatu.dashboards.views import render_list
from nsatu.needs.models import Requirement
from nsatu.offers.forms import OfferForm, OfferUploadForm
from nsatu.offers.models import Offer, OfferStatus
from nsatu.offers.services import OfferError, create_offer, update_offer, withdraw_offer
from nsatu.offers.upload import read_offer_upload
from nsatu.planning.models import Allocation, run_heavy_fields
from nsatu.shipments.services import arrival_date, scenario_start

LINES = "lines-"  # the query-string prefix of the second table of "My offers"


@login_required
def offer_list(request: HttpRequest) -> HttpResponse:
    """The offers releasable to the user: filters, search, sorting, pages, CSV and Excel."""
    return render_list(request, OFFERS)


def _may_manage(request: HttpRequest) -> None:
    if getattr(request.user, "role", None) not in (Role.DONOR, Role.COORDINATOR):
        raise PermissionDenied


def _own_offer(request: HttpRequest, code: str) -> Offer:
    """An offer the user may change: its nation's, or any for a coordinator; 404 otherwise."""
    queryset = Offer.objects.select_related("donor", "item_type", "earmark")
    if getattr(request.user, "role", None) != Role.COORDINATOR:
        queryset = queryset.filter(donor_id=getattr(request.user, "nation_id", None))
    offer = queryset.filter(code=code).first()
    if offer is None:
        raise Http404
    return offer


def _mine(user: Any) -> QuerySet[Offer]:
    """The user's nation's offers (every offer for a coordinator), through the releasability filter."""
    offers = releasable(Offer.objects.select_related("item_type__family__capability"), user)
    if getattr(user, "role", None) != Role.COORDINATOR:
        offers = offers.filter(donor_id=getattr(user, "nation_id", None))
    earmark = releasable(Requirement.objects.filter(pk=OuterRef("earmark_id")), user).values("code")[:1]
    return offers.annotate(earmark_code=Subquery(earmark))


MY_OFFERS = ListSpec(
    name="my-offers",
    heading=gettext_lazy("My offers"),
    queryset=_mine,
    columns=[
        Column(gettext_lazy("Id"), lambda o: o.code, ("code",), "id"),
        Column(gettext_lazy("Item"), lambda o: o.item_type.name, ("item_type__name", "code"), "item"),
        Column(gettext_lazy("Family"), lambda o: o.item_type.family.code),
        Column(
            gettext_lazy("Quantity"),
            lambda o: o.quantity,
            ("quantity", "code"),
            "quantity",
            lambda o: format_quantity(o.quantity, o.item_type.is_whole),
        ),
        Column(
            gettext_lazy("Available from"),
            lambda o: o.available_from,
            ("available_from", "code"),
            "available_from",
        ),
        Column(gettext_lazy("Earmark"), lambda o: o.earmark_code or ""),
        Column(gettext_lazy("Status"), lambda o: o.get_status_display(), ("status", "code"), "status"),
        Column(
            gettext_lazy("Releasability"), lambda o: o.releasability, show=lambda o: o.releasability_label
        ),
    ],
    filters=[
        Filter(
            "status",
            gettext_lazy("Status"),
            "status",
            lambda: [(str(v), str(k)) for v, k in OfferStatus.choices],
        ),
        Filter(
            "capability",
            gettext_lazy("Capability"),
            "item_type__family__capability__code",
            lambda: [(c.code, str(c)) for c in Capability.objects.order_by("code")],
        ),
    ],
    search=("code", "item_type__name", "note"),
    default_sort="id",
)


def _destinations(user: Any) -> QuerySet[Allocation]:
    """Approved plans' lines of the user's offers whose requirement the user may see too."""
    return (
        Allocation.objects.filter(
            offer__in=_mine(user),
            requirement__in=releasable(Requirement.objects.all(), user),
            run__approved_at__isnull=False,
        )
        .select_related("offer__item_type", "requirement", "hub", "run")
        .defer(*run_heavy_fields("run"))
        .order_by("offer__code", "arrival_week", "pk")
    )


def destinations_spec(start: dt.date) -> ListSpec:
    """Where the offers go: one row per approved line, with its arrival date (week 0 is ``start``)."""
    return ListSpec(
        name="offer-destinations",
        heading=gettext_lazy("Where my offers go (approved plans)"),
        queryset=_destinations,
        columns=[
            Column(gettext_lazy("Offer"), lambda a: a.offer.code, ("offer__code", "arrival_week"), "offer"),
            Column(
                gettext_lazy("Requirement"),
                lambda a: a.requirement.code,
                ("requirement__code", "arrival_week"),
                "requirement",
            ),
            Column(gettext_lazy("Title"), lambda a: a.requirement.title),
            Column(
                gettext_lazy("Quantity"),
                lambda a: a.quantity,
                ("quantity", "offer__code"),
                "quantity",
                lambda a: format_quantity(a.quantity, a.offer.item_type.is_whole),
            ),
            Column(gettext_lazy("Hub"), lambda a: a.hub.code, ("hub__code", "offer__code"), "hub"),
            Column(
                gettext_lazy("Arrival week"),
                lambda a: a.arrival_week,
                ("arrival_week", "offer__code"),
                "week",
            ),
            Column(gettext_lazy("Arrives"), lambda a: arrival_date(a.arrival_week, start)),
            Column(gettext_lazy("Plan run"), lambda a: a.run_id, ("run_id", "offer__code"), "run"),
        ],
        filters=[Filter("offer", gettext_lazy("Offer"), "offer__code", None)],
        search=("offer__code", "requirement__code", "requirement__title"),
        default_sort="offer",
    )


@login_required
def my_offers(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    """A donor's own offers, with where each went in approved plans; both tables export."""
    _may_manage(request)
    start = scenario_start()
    destinations = destinations_spec(start)
    for spec, prefix in ((MY_OFFERS, ""), (destinations, LINES)):
        export = table_export(request, spec, prefix=prefix)
        if export is not None:
            return export
    lines = table_page(request, destinations, prefix=LINES)
    for line in lines.page:
        line.arrives = arrival_date(line.arrival_week, start)
    context = {"offers": table_page(request, MY_OFFERS), "lines": lines}
    return render(request, "offers/mine.html", context)


def _requirements_for(request: HttpRequest) -> Any:
    return releasable(Requirement.objects.order_by("code"), request.user)


def _save_form(request: HttpRequest, form: OfferForm, offer: Offer | None) -> Offer | None:
    data = form.cleaned_data
    fields = {
        "item_type": data["item_type"],
        "quantity": data["quantity"],
        "available_from": data["available_from"],
        "earmark": data["earmark"],
        "releasability": data["releasability"],
        "note": data["note"],
    }
    # an earmark for a requirement the user may not see is neither shown nor lost by a save
    hidden_earmark = (
        offer is not None
        and offer.earmark_id is not None
        and not _requirements_for(request).filter(pk=offer.earmark_id).exists()
    )
    if hidden_earmark and data["earmark"] is None:
        fields["earmark"] = offer.earmark  # type: ignore[union-attr]
    try:
        if offer is None:
            nation = request.user.nation  # type: ignore[union-attr]
            if nation is None:
                form.add_error(None, _("Only a nation's representative can put an offer on the table."))
                return None
            return create_offer(
                actor=request_actor(request),
                code=data["code"],
                donor=nation,
                releasable_to=data["releasable_to"],
                **fields,
            )
        return update_offer(
            offer,
            actor=request_actor(request),
            expected_version=data["version"],
            releasable_to=data["releasable_to"],
            **fields,
        )
    except ConflictError as exc:
        form.add_error(None, str(exc))
    except ValidationError as exc:
        for name, errors in exc.message_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    return None


@login_required
def offer_create(request: HttpRequest) -> HttpResponse:
    """Add an offer for the user's nation."""
    _may_manage(request)
    form = OfferForm(request.POST or None, requirements=_requirements_for(request))
    if request.method == "POST" and form.is_valid():
        offer = _save_form(request, form, None)
        if offer is not None:
            messages.success(request, _("Offer %(code)s added.") % {"code": offer.code})
            return redirect("my-offers")
    return render(request, "offers/form.html", {"form": form, "heading": _("Add an offer")})


@login_required
def offer_edit(request: HttpRequest, code: str) -> HttpResponse:
    """Edit an offer; a save over someone else's newer save is refused."""
    _may_manage(request)
    offer = _own_offer(request, code)
    initial = {
        "code": offer.code,
        "item_type": offer.item_type,
        "quantity": offer.quantity,
        "available_from": offer.available_from,
        "earmark": offer.earmark,
        "releasability": offer.releasability,
        "releasable_to": list(offer.releasable_to.all()),
        "note": offer.note,
        "version": offer.version,
    }
    form = OfferForm(request.POST or None, initial=initial, requirements=_requirements_for(request))
    form.fields["code"].disabled = True
    if request.method == "POST" and form.is_valid():
        saved = _save_form(request, form, offer)
        if saved is not None:
            messages.success(request, _("Offer %(code)s saved.") % {"code": saved.code})
            return redirect("my-offers")
    return render(
        request, "offers/form.html", {"form": form, "heading": _("Edit offer %(code)s") % {"code": code}}
    )


@login_required
@require_POST
def offer_withdraw(request: HttpRequest, code: str) -> HttpResponse:
    """Take an offer off the table."""
    _may_manage(request)
    offer = _own_offer(request, code)
    if offer.status == OfferStatus.ALLOCATED:
        messages.error(request, _("Offer %(code)s is committed by an approved plan.") % {"code": code})
        return redirect("commitment-take-back", code=offer.code)
    try:
        withdraw_offer(offer, actor=request_actor(request))
    except OfferError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Offer %(code)s withdrawn.") % {"code": code})
    return redirect("my-offers")


PREVIEW_ROWS = 200  # rows the preview table shows; the confirmation takes every row


@login_required
def offer_upload(request: HttpRequest) -> HttpResponse:
    """Upload a workbook of offers: preview with every row error, then confirm (all or nothing)."""
    _may_manage(request)
    nation = getattr(request.user, "nation", None)
    if nation is None:
        raise PermissionDenied
    if request.method == "POST" and "confirm" in request.POST:
        return _confirm_upload(request, nation)
    form = OfferUploadForm(request.POST or None, request.FILES or None)
    context: dict[str, Any] = {"form": form}
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        content = upload.read()
        result = read_offer_upload(upload.name, content, donor_iso3=nation.iso3, reader=request.user)
        context.update(result=result, shown=result.rows[:PREVIEW_ROWS])
        context["more"] = len(result.rows) - len(context["shown"])
        if not result.errors:
            token = save_preview(content)
            request.session["offer_upload"] = {"token": token, "name": upload.name}
            context["token"] = token
    return render(request, "offers/upload.html", context)


def _confirm_upload(request: HttpRequest, nation: Any) -> HttpResponse:
    pending = request.session.get("offer_upload") or {}
    path = preview_path(str(pending.get("token", "")))
    if pending.get("token") != request.POST.get("confirm") or path is None:
        request.session.pop("offer_upload", None)
        messages.error(request, _("That upload has expired; upload the file again."))
        return redirect("offer-upload")
    result = read_offer_upload(
        pending["name"], path.read_bytes(), donor_iso3=nation.iso3, reader=request.user
    )
    if result.errors:  # the database changed since the preview
        return render(request, "offers/upload.html", {"form": OfferUploadForm(), "result": result})
    with transaction.atomic():
        for row in result.rows:
            fields: dict[str, Any] = {
                "item_type": row.item_type,
                "quantity": row.quantity,
                "available_from": row.available_from,
                "earmark": row.earmark,
                "status": OfferStatus.WITHDRAWN if row.withdrawn else OfferStatus.OFFERED,
            }
            marking: dict[str, Any] = {}
            if row.releasability is not None:
                marking = {"releasability": row.releasability, "releasable_to": row.releasable_to}
            if row.exists:
                offer = Offer.objects.get(code=row.code)
                update_offer(offer, actor=request_actor(request), **fields, **marking)
            else:
                create_offer(actor=request_actor(request), code=row.code, donor=nation, **fields, **marking)
    path.unlink(missing_ok=True)
    del request.session["offer_upload"]
    imported = len(result.rows)
    messages.success(
        request,
        ngettext("%(n)s offer imported.", "%(n)s offers imported.", imported) % {"n": imported},
    )
    return redirect("my-offers")
