"""Retention: remove events, messages and attempts older than each account's retention, in small
batches (children first) so no statement holds locks for long."""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from django.db import transaction

from eventhub.models import Account, Entity, Event

DEFAULT_BATCH = 2000


def _purge(queryset, batch_size: int, progress: Callable[[str], None] | None, label: str) -> int:
    removed = 0
    while True:
        ids = list(queryset.order_by("id").values_list("id", flat=True)[:batch_size])
        if not ids:
            return removed
        with transaction.atomic():
            removed += queryset.model.objects.filter(id__in=ids)._raw_delete(queryset.db)
        if progress:
            progress(f"{label}: {removed} removed")


def purge_account(account: Account, now: datetime, *, batch_size: int = DEFAULT_BATCH, progress=None) -> dict[str, int]:
    """Everything of `account` created before now - retention_days; entity states stay (they are current)."""
    from deliveries.models import Message, MessageAttempt
    from scheduled_events.models import ScheduledOccurrence

    cutoff = now - timedelta(days=account.retention_days)
    old_events = Event.objects.filter(account=account, created__lt=cutoff)
    counts = {
        "attempts": _purge(MessageAttempt.objects.filter(account=account, created__lt=cutoff), batch_size, progress, "attempts"),
        "messages": _purge(Message.objects.filter(account=account, created__lt=cutoff), batch_size, progress, "messages"),
    }
    # Rows that point at old events by nullable links are detached before the events go.
    Entity.objects.filter(account=account, last_event__in=old_events).update(last_event=None)
    Event.objects.filter(account=account, caused_by__in=old_events).update(caused_by=None)
    ScheduledOccurrence.objects.filter(account=account, fired_event__in=old_events).update(fired_event=None)
    # Messages and attempts of newer rows never reference old events except through resend of old
    # events; remove those too so the event delete cannot hit a foreign key.
    MessageAttempt.objects.filter(event__in=old_events).delete()
    Message.objects.filter(event__in=old_events).delete()
    counts["events"] = _purge(old_events, batch_size, progress, "events")
    return counts


def purge_expired(now: datetime, *, batch_size: int = DEFAULT_BATCH, progress=None) -> dict[str, int]:
    totals = {"attempts": 0, "messages": 0, "events": 0}
    for account in Account.objects.all().iterator():
        for key, value in purge_account(account, now, batch_size=batch_size, progress=progress).items():
            totals[key] += value
    return totals
