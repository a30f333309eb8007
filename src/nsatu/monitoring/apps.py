from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    name = "nsatu.monitoring"
    label = "monitoring"
