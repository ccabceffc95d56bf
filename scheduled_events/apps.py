from django.apps import AppConfig


class ScheduledEventsConfig(AppConfig):
    name = "scheduled_events"
    verbose_name = "Scheduled events"

    def ready(self) -> None:
        from eventhub.services.retention import register_dependent
        from scheduled_events.retention import DEPENDENT

        register_dependent(DEPENDENT)
