"""Periodic tasks of the scheduler, upserted into django-celery-beat by `manage.py setup_beat`
(the registry is `eventhub.periodic_tasks`)."""

from __future__ import annotations

PERIODIC_TASKS = [
    {
        "name": "scheduled_events: fire due occurrences",
        "task": "scheduled_events.tasks.fire_due_occurrences",
        "every_seconds": 60,
        "expire_seconds": 55,  # a tick nobody ran in time is dropped: the next one does the same work
        "description": "Plans scheduled event occurrences from entity changes and fires the due ones.",
    },
]
