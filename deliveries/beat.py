"""Periodic tasks of the delivery engine, upserted into django-celery-beat by `manage.py setup_beat`."""

from __future__ import annotations

from django.conf import settings

PERIODIC_TASKS = [
    {
        "name": "deliveries: sweep",
        "task": "deliveries.sweep",
        "every_seconds": max(1, round(settings.EVENTHUB_SWEEP_SECONDS)),
        "expire_seconds": max(
            1, round(settings.EVENTHUB_SWEEP_SECONDS)
        ),  # a late tick is superseded by the next
        "description": "Wakes workers for due messages whose kick was lost and hands expired leases back.",
    },
]
