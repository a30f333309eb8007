from django.apps import AppConfig


class CommitmentsConfig(AppConfig):
    name = "nsatu.commitments"
    label = "commitments"
