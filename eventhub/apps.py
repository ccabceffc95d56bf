from django.apps import AppConfig


class EventhubConfig(AppConfig):
    name = "eventhub"
    verbose_name = "EventHub core"

    def ready(self) -> None:
        from eventhub import deploy_checks  # noqa: F401  (registers check --deploy)
        from eventhub.api import schema  # noqa: F401  (registers the OpenAPI auth extension)
