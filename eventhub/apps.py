from django.apps import AppConfig


class EventhubConfig(AppConfig):
    name = "eventhub"
    verbose_name = "EventHub core"

    def ready(self) -> None:
        from eventhub import sqlcount
        from eventhub.api import schema  # noqa: F401  (registers the OpenAPI auth extension)

        sqlcount.install_from_environment()
