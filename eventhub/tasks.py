"""Celery entry points of the core app (thin: they call services)."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from eventhub.services.retention import purge_expired


@shared_task(name="eventhub.apply_retention", ignore_result=True)
def apply_retention() -> dict[str, int]:
    return purge_expired(timezone.now())
