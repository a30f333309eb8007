from django.apps import AppConfig


class ShipmentsConfig(AppConfig):
    name = "nsatu.shipments"
    label = "shipments"
    verbose_name = "Shipments"
