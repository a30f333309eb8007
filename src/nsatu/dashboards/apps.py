from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DashboardsConfig(AppConfig):
    """Charts, list pages and exports; no models of its own."""

    name = "nsatu.dashboards"
    label = "dashboards"
    verbose_name = _("Dashboards")
