"""Celery entry points of the scheduler (thin: they call services)."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from scheduled_events.services import run_scheduler


@shared_task(name="scheduled_events.tasks.fire_due_occurrences", ignore_result=True)
def fire_due_occurrences() -> dict:
    """Run by beat every minute; overlapping runs are safe (see scheduled_events.firing)."""
    report = run_scheduler(timezone.now())
    return {"fired": report.fired, "planned": report.planning.created if report.planning else None}
