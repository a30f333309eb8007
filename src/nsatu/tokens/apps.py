from django.apps import AppConfig


class TokensConfig(AppConfig):
    name = "nsatu.tokens"
    label = "tokens"
    verbose_name = "API tokens"
