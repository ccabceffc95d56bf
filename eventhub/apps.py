from django.apps import AppConfig


class EventhubConfig(AppConfig):
    name = "eventhub"
    verbose_name = "EventHub core"

    def ready(self) -> None:
        from eventhub import deploy_checks, sqlcount  # noqa: F401  (deploy_checks: registers check --deploy)
        from eventhub.api import schema  # noqa: F401  (registers the OpenAPI auth extension)

        sqlcount.install_from_environment()
