from django.apps import AppConfig


class DeliveriesConfig(AppConfig):
    name = "deliveries"

    def ready(self) -> None:
        # checks: registers the configuration checks; tasks: registers the Celery entry points that
        # services enqueue by name (deliveries.services.dispatch), in web processes too.
        from deliveries import checks, metrics, tasks  # noqa: F401
        from deliveries.retention import DEPENDENT
        from eventhub.services.retention import register_dependent

        register_dependent(DEPENDENT)
        metrics.register()
