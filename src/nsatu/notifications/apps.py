from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "nsatu.notifications"
    label = "notifications"
