from django.apps import AppConfig


class TrainingConfig(AppConfig):
    name = "nsatu.training"
    label = "training"
