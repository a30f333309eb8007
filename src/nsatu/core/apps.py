from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "nsatu.core"
    label = "core"
    verbose_name = "Core and ledger"
