"""Requirement pages: the prioritised list, filters, sorting and inline edits."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from nsatu.catalog.models import Capability
from nsatu.core.actors import request_actor
from nsatu.core.choices import Role
from nsatu.core.ownership import ensure_owner, may_change
from nsatu.core.releasability import releasable
from nsatu.core.services import ConflictError
from nsatu.needs.forms import RequirementInlineForm
from nsatu.needs.models import Requirement, RequirementStatus
from nsatu.needs.services import update_requirement

SORTS = {
    "priority": ("priority", "needed_by", "code"),
    "needed_by": ("needed_by", "priority", "code"),
    "capability": ("capability__code", "priority", "code"),
    "quantity": ("-quantity", "code"),
    "id": ("code",),
}
SORT_LABELS = {
    "priority": _("priority"),
    "needed_by": _("needed by"),
    "capability": _("capability"),
    "quantity": _("quantity (largest first)"),
    "id": _("id"),
}
EDIT_ROLES = {Role.RECIPIENT, Role.COORDINATOR}


def _may_edit(request: HttpRequest) -> bool:
    return getattr(request.user, "role", None) in EDIT_ROLES


@login_required
def requirement_list(request: HttpRequest) -> HttpResponse:
    """The prioritised requirements releasable to the user, filtered and sorted."""
    queryset = releasable(Requirement.objects.select_related("capability"), request.user)
    capability = request.GET.get("capability", "")
    priority = request.GET.get("priority", "")
    status = request.GET.get("status", "")
    search = request.GET.get("q", "").strip()
    if capability:
        queryset = queryset.filter(capability__code=capability)
    if priority.isdigit():
        queryset = queryset.filter(priority=int(priority))
    if status:
        queryset = queryset.filter(status=status)
    if search:
        queryset = queryset.filter(title__icontains=search) | queryset.filter(code__icontains=search)
    sort = request.GET.get("sort", "priority")
    queryset = queryset.order_by(*SORTS.get(sort, SORTS["priority"]))
    page = Paginator(queryset, 50).get_page(request.GET.get("page"))
    for requirement in page:
        # the edit button only where the ownership policy lets this user change the row
        editable = _may_edit(request) and may_change(
            request.user, requirement, owner_field="recipient", role=Role.RECIPIENT
        )
        requirement.editable = editable  # type: ignore[attr-defined]
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "page": page,
        "may_edit": _may_edit(request),
        "capabilities": Capability.objects.order_by("code"),
        "statuses": RequirementStatus.choices,
        "filters": {
            "capability": capability,
            "priority": priority,
            "status": status,
            "q": search,
            "sort": sort,
        },
        "query": query.urlencode(),
        "sorts": [(key, SORT_LABELS[key]) for key in SORTS],
    }
    return render(request, "needs/list.html", context)


def _editable(request: HttpRequest, code: str) -> Requirement:
    """A requirement the user may change: 403 for other roles, 404 when unseen, and the services'
    ownership policy for the rest (a recipient changes only its own nation's requirements)."""
    if not _may_edit(request):
        raise PermissionDenied
    requirement = (
        releasable(Requirement.objects.select_related("capability"), request.user).filter(code=code).first()
    )
    if requirement is None:
        raise Http404
    ensure_owner(
        request_actor(request),
        requirement,
        owner_field="recipient",
        role=Role.RECIPIENT,
        doing=str(_("change it")),
    )
    return requirement


@login_required
def requirement_row(request: HttpRequest, code: str) -> HttpResponse:
    """One table row: shown, or (``?edit=1``) as an inline form; POST saves it."""
    requirement = _editable(request, code)
    if request.method == "POST":
        form = RequirementInlineForm(request.POST)
        if form.is_valid():
            try:
                requirement = update_requirement(
                    requirement,
                    actor=request_actor(request),
                    expected_version=form.cleaned_data["version"],
                    priority=form.cleaned_data["priority"],
                    needed_by=form.cleaned_data["needed_by"],
                )
            except ConflictError as exc:
                form.add_error(None, str(exc))
            else:
                return render(request, "needs/_row.html", {"r": requirement, "may_edit": True, "saved": True})
        return render(request, "needs/_row_form.html", {"r": requirement, "form": form})
    if request.GET.get("edit"):
        form = RequirementInlineForm(
            initial={
                "priority": requirement.priority,
                "needed_by": requirement.needed_by,
                "version": requirement.version,
            }
        )
        return render(request, "needs/_row_form.html", {"r": requirement, "form": form})
    return render(request, "needs/_row.html", {"r": requirement, "may_edit": True})
