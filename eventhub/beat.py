"""Periodic tasks of the core app, upserted into django-celery-beat by `manage.py setup_beat`."""

PERIODIC_TASKS = [
    {"name": "eventhub: apply retention", "task": "eventhub.apply_retention", "every_seconds": 3600},
]
