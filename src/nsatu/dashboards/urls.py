"""Dashboard, fleet, list, export and audit URLs; included at the site root."""

from django.urls import path

from nsatu.dashboards import views

urlpatterns = [
    path("dashboard/", views.dashboard, name="dashboard"),
    path("fleet/", views.fleet, name="fleet"),
    path("lists/<str:name>/", views.list_page, name="list"),
    path("lists/<str:name>/export.<str:fmt>", views.list_export, name="list-export"),
    path("audit/ledger/", views.audit_ledger, name="audit-ledger"),
    path("audit/ledger/export.<str:fmt>", views.audit_ledger_export, name="audit-ledger-export"),
    path("assets/plotly-<str:digest>.min.js", views.plotly_js, name="plotly-js"),
    path("assets/plotly-<str:digest>.css", views.plotly_css, name="plotly-css"),
]
