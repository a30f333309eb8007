from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "nsatu.catalog"
    label = "catalog"
