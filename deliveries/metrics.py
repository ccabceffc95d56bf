"""Delivery figures for /readyz and /metrics, read from the database when asked (cheap, indexed):
the due backlog, the age of the oldest due message, disabled subscriptions, the last attempt's age."""

from __future__ import annotations

from django.db.models import Max
from django.utils import timezone

from deliveries.models import Message, MessageAttempt, MessageStatus
from eventhub import ops
from subscriptions.models import EventSubscription

BACKLOG_CAP = 100_000  # counting stops here: the gauge says "at least" beyond it, the query stays bounded


def _due():
    return Message.objects.filter(
        status__in=[MessageStatus.PENDING, MessageStatus.SENDING], next_attempt_at__lte=timezone.now()
    )


def due_backlog() -> float:
    return float(_due().values("id")[:BACKLOG_CAP].count())


def oldest_due_age_seconds() -> float:
    oldest = _due().order_by("next_attempt_at", "id").values_list("next_attempt_at", flat=True).first()
    return 0.0 if oldest is None else max(0.0, (timezone.now() - oldest).total_seconds())


def subscriptions_disabled() -> float:
    return float(EventSubscription.objects.filter(disabled=True).count())


def last_attempt_age_seconds() -> float:
    """How long ago any worker last recorded an attempt (the workers' pulse; large while messages are due
    means no worker is delivering)."""
    last = MessageAttempt.objects.aggregate(last=Max("created"))["last"]
    return -1.0 if last is None else (timezone.now() - last).total_seconds()


def register() -> None:
    ops.register_figure("due_backlog", due_backlog)
    ops.register_figure("oldest_due_age_seconds", oldest_due_age_seconds)
    ops.register_figure("subscriptions_disabled_now", subscriptions_disabled)
    ops.register_figure("last_attempt_age_seconds", last_attempt_age_seconds)
