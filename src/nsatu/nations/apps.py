from django.apps import AppConfig


class NationsConfig(AppConfig):
    name = "nsatu.nations"
    label = "nations"
