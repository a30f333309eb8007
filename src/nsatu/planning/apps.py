from django.apps import AppConfig


class PlanningConfig(AppConfig):
    name = "nsatu.planning"
    label = "planning"
