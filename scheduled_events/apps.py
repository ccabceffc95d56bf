from django.apps import AppConfig


class ScheduledEventsConfig(AppConfig):
    name = "scheduled_events"
    verbose_name = "Scheduled events"
