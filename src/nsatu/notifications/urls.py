"""Inbox URLs, included under ``inbox/``."""

from django.urls import path

from nsatu.notifications import views

urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("read/", views.mark_read, name="inbox-read"),
    path("preferences/", views.preferences, name="inbox-preferences"),
]
