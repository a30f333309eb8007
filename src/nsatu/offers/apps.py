from django.apps import AppConfig


class OffersConfig(AppConfig):
    name = "nsatu.offers"
    label = "offers"
