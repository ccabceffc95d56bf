from django.apps import AppConfig


class DeliveriesConfig(AppConfig):
    name = "deliveries"

    def ready(self) -> None:
        from deliveries import checks, metrics  # noqa: F401  (checks: registers the configuration checks)
        from deliveries.retention import DEPENDENT
        from eventhub.services.retention import register_dependent

        register_dependent(DEPENDENT)
        metrics.register()
