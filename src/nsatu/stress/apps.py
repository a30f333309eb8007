from django.apps import AppConfig


class StressConfig(AppConfig):
    name = "nsatu.stress"
    label = "stress"
