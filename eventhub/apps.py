from django.apps import AppConfig


class EventhubConfig(AppConfig):
    name = "eventhub"
    verbose_name = "EventHub core"
