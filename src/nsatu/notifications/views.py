"""The inbox: each person's notifications, marked read; and their choice of what to be told, and how."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from nsatu.core.actors import request_actor
from nsatu.notifications import services
from nsatu.notifications.choices import NotificationKind
from nsatu.notifications.models import Notification
from nsatu.notifications.texts import notification_text

PAGE_SIZE = 50


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    """The user's notifications, newest first; unread ones stand out."""
    user = request_actor(request)
    notifications = Notification.objects.filter(user=user, in_inbox=True)
    if request.GET.get("unread") == "yes":
        notifications = notifications.filter(read_at__isnull=True)
    page = Paginator(notifications, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [(n, notification_text(n.kind, n.params), n.get_kind_display()) for n in page]
    return render(
        request,
        "notifications/inbox.html",
        {"page": page, "rows": rows, "unread_only": request.GET.get("unread") == "yes"},
    )


@login_required
@require_POST
def mark_read(request: HttpRequest) -> HttpResponse:
    """Mark one notification (``id``) or all of them read."""
    user = request_actor(request)
    raw = request.POST.get("id", "")
    ids = [int(raw)] if raw.isdigit() else None
    count = services.mark_read(user, actor=user, ids=ids)
    messages.success(request, _("%(n)s marked read.") % {"n": count})
    target = request.POST.get("next", "")
    if target.startswith("/") and not target.startswith("//"):
        return redirect(target)
    return redirect("inbox")


@login_required
def preferences(request: HttpRequest) -> HttpResponse:
    """Which events reach the inbox and which the e-mail."""
    user = request_actor(request)
    if request.method == "POST":
        choices = {
            kind: (request.POST.get(f"{kind}-inbox") == "on", request.POST.get(f"{kind}-email") == "on")
            for kind in NotificationKind.values
        }
        services.set_preferences(user, choices, actor=user)
        messages.success(request, _("Your choices are saved."))
        return redirect("inbox-preferences")
    chosen = services.preferences(user)
    rows = [(kind, label, *chosen[kind]) for kind, label in NotificationKind.choices]
    return render(request, "notifications/preferences.html", {"rows": rows, "email": user.email})
