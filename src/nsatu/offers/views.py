"""Offer pages: the list, a donor's own offers, add/edit/withdraw, workbook upload, where each went."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from nsatu.core.actors import request_actor
from nsatu.core.choices import Role
from nsatu.core.releasability import releasable
from nsatu.core.services import ConflictError
from nsatu.core.tables import render_table
from nsatu.needs.models import Requirement
from nsatu.offers.forms import OfferForm, OfferUploadForm
from nsatu.offers.models import Offer, OfferStatus
from nsatu.offers.services import create_offer, update_offer, withdraw_offer
from nsatu.offers.upload import read_offer_upload
from nsatu.planning.models import Allocation


@login_required
def offer_list(request: HttpRequest) -> HttpResponse:
    """The offers releasable to the user."""
    queryset = releasable(Offer.objects.select_related("donor", "item_type"), request.user)
    return render_table(
        request,
        heading=_("Offers"),
        queryset=queryset,
        columns=[
            (_("Id"), lambda o: o.code),
            (_("Donor"), lambda o: o.donor.iso3),
            (_("Item"), lambda o: o.item_type.name),
            (_("Quantity"), lambda o: o.quantity),
            (_("Available from"), lambda o: o.available_from),
            (_("Status"), lambda o: o.get_status_display()),
            (_("Releasability"), lambda o: o.releasability_label),
        ],
    )


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


@login_required
def my_offers(request: HttpRequest) -> HttpResponse:
    """A donor's own offers, with where each went in approved plans."""
    _may_manage(request)
    offers = Offer.objects.select_related("item_type", "earmark").order_by("code")
    if getattr(request.user, "role", None) == Role.DONOR:
        offers = offers.filter(donor_id=request.user.nation_id)  # type: ignore[union-attr]
    lines = (
        Allocation.objects.filter(offer__in=offers, run__approved_at__isnull=False)
        .select_related("offer", "requirement", "hub", "run")
        .order_by("offer__code", "arrival_week")
    )
    return render(request, "offers/mine.html", {"offers": offers, "lines": lines})


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
    else:
        withdraw_offer(offer, actor=request_actor(request))
        messages.success(request, _("Offer %(code)s withdrawn.") % {"code": code})
    return redirect("my-offers")


def _upload_dir() -> Any:
    path = settings.VAR_DIR / "uploads"
    path.mkdir(parents=True, exist_ok=True)
    return path


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
        result = read_offer_upload(upload.name, content, donor_iso3=nation.iso3)
        context["result"] = result
        if not result.errors:
            token = uuid.uuid4().hex
            (_upload_dir() / token).write_bytes(content)
            request.session["offer_upload"] = {"token": token, "name": upload.name}
            context["token"] = token
    return render(request, "offers/upload.html", context)


def _confirm_upload(request: HttpRequest, nation: Any) -> HttpResponse:
    pending = request.session.get("offer_upload") or {}
    if pending.get("token") != request.POST.get("confirm"):
        messages.error(request, _("That upload has expired; upload the file again."))
        return redirect("offer-upload")
    path = _upload_dir() / pending["token"]
    result = read_offer_upload(pending["name"], path.read_bytes(), donor_iso3=nation.iso3)
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
            if row.exists:
                update_offer(Offer.objects.get(code=row.code), actor=request_actor(request), **fields)
            else:
                create_offer(actor=request_actor(request), code=row.code, donor=nation, **fields)
    path.unlink(missing_ok=True)
    del request.session["offer_upload"]
    imported = len(result.rows)
    messages.success(
        request,
        ngettext("%(n)s offer imported.", "%(n)s offers imported.", imported) % {"n": imported},
    )
    return redirect("my-offers")
