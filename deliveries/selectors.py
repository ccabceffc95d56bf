"""Reads for the API and admin: attempts of an event or of a subscription, newest first."""

from __future__ import annotations

from datetime import datetime

from django.db.models import QuerySet

from deliveries.models import AttemptStatus, MessageAttempt
from eventhub.errors import InvalidInput
from eventhub.models import Event
from subscriptions.models import EventSubscription


def _attempts(
    queryset: QuerySet[MessageAttempt], begin: datetime | None, end: datetime | None, status: str | None
) -> QuerySet[MessageAttempt]:
    if status:
        if status not in AttemptStatus.values:
            raise InvalidInput(
                f"status must be one of {', '.join(AttemptStatus.values)}.",
                {"status": [f"Must be one of {', '.join(AttemptStatus.values)}."]},
            )
        queryset = queryset.filter(status=status)
    if begin is not None:
        queryset = queryset.filter(created__gte=begin)
    if end is not None:
        queryset = queryset.filter(created__lt=end)
    return queryset.select_related("event", "subscription").only(
        "token",
        "created",
        "status",
        "url",
        "response_status_code",
        "response_body",
        "error",
        "duration_ms",
        "event__token",
        "subscription__token",
    )


def attempts_for_event(
    event: Event, *, begin: datetime | None = None, end: datetime | None = None, status: str | None = None
) -> QuerySet[MessageAttempt]:
    """Every attempt to deliver `event`, to any subscription, created in [begin, end)."""
    return _attempts(MessageAttempt.objects.filter(event=event), begin, end, status)


def attempts_for_subscription(
    subscription: EventSubscription,
    *,
    begin: datetime | None = None,
    end: datetime | None = None,
    status: str | None = None,
) -> QuerySet[MessageAttempt]:
    """Every attempt made to `subscription`'s endpoint, created in [begin, end)."""
    return _attempts(MessageAttempt.objects.filter(subscription=subscription), begin, end, status)
