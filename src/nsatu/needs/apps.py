from django.apps import AppConfig


class NeedsConfig(AppConfig):
    name = "nsatu.needs"
    label = "needs"
