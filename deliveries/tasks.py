"""Celery entry points (thin): wake-ups for the two delivery lanes, the beat sweeper, recovery jobs.

Every task is safe to run twice or concurrently: the database claim decides who sends what.
"""

from __future__ import annotations

from celery import shared_task
from celery.signals import worker_ready
from django.conf import settings

from deliveries.services import engine, recovery, sweeper
from deliveries.services.dispatch import FIRST, RETRY


@shared_task(name="deliveries.deliver_due", ignore_result=True)
def deliver_due() -> int:
    """First tries, resends and recovered messages (queue `deliveries`)."""
    return engine.deliver_due(FIRST, detach_after=settings.EVENTHUB_DETACH_SLOW_SENDS_SECONDS)


@shared_task(name="deliveries.deliver_retries", ignore_result=True)
def deliver_retries() -> int:
    """Scheduled retries (queue `retries`), so failing endpoints never hold up first tries."""
    return engine.deliver_due(RETRY, detach_after=settings.EVENTHUB_DETACH_SLOW_SENDS_SECONDS)


@shared_task(name="deliveries.sweep", ignore_result=True)
def sweep() -> dict:
    return sweeper.sweep()


@shared_task(name="deliveries.run_recovery_job", ignore_result=True)
def run_recovery_job(job_id: int) -> int | None:
    job = recovery.run_job(int(job_id))
    return job.messages if job is not None else None


@worker_ready.connect
def _sweep_when_a_worker_starts(sender=None, **kwargs) -> None:
    """A restarted worker picks up what is already due without waiting for beat."""
    sweep.apply_async(retry=False)
