"""Top-level URLs."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView

from nsatu.site.api import api
from nsatu.site.views import healthz, home

urlpatterns = [
    path("", home, name="home"),
    path("healthz", healthz, name="healthz"),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("requirements/", include("nsatu.needs.urls")),
    path("offers/", include("nsatu.offers.urls")),
    # The ledger moved to the auditor's searchable page; old links still work.
    path("ledger/", RedirectView.as_view(pattern_name="audit-ledger", query_string=True)),
    path("favicon.ico", RedirectView.as_view(url="/static/nsatu/favicon.svg", permanent=True)),
    path("plans/", include("nsatu.planning.urls")),
    path("stress/", include("nsatu.stress.urls")),
    path("shipments/", include("nsatu.shipments.urls")),
    path("commitments/", include("nsatu.commitments.urls")),
    path("training/", include("nsatu.training.urls")),
    path("agreements/", include("nsatu.nations.urls")),
    path("monitoring/", include("nsatu.monitoring.urls")),
    path("inbox/", include("nsatu.notifications.urls")),
    path("", include("nsatu.dashboards.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
]
