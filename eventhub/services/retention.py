"""Retention: remove events older than each account's retention together with what hangs off them, in
small batches so no statement holds locks for long. Children go through their parents (the attempts of
the messages of expired events), never by their own `created`: a late retry's attempt is younger than
its message. An event whose delivery is still under way (a PENDING or SENDING message) stays, with
everything attached to it, until a later run finds it settled.

Higher apps hold rows that point at events; the layer rule forbids importing them here, so each registers
a `RetentionDependent` in its AppConfig.ready() (deliveries: messages and attempts; scheduled_events:
fired occurrences)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q

from eventhub.models import Account, Entity, Event

logger = logging.getLogger(__name__)

DEFAULT_BATCH = 2000
Progress = Callable[[str], None]


@dataclass(frozen=True)
class RetentionDependent:
    """A higher app's rows that reference events.

    `held(event_ids)` returns the ids among them that must stay (still in use); `release(event_ids)` removes
    or detaches the app's rows for events that are about to be deleted and returns counts by label. Both run
    inside the batch's transaction, after the batch's events are locked."""

    name: str
    held: Callable[[list[int]], Iterable[int]]
    release: Callable[[list[int]], dict[str, int]]


_dependents: list[RetentionDependent] = []


def register_dependent(dependent: RetentionDependent) -> None:
    """Called from AppConfig.ready(); registering the same name twice replaces the first entry."""
    _dependents[:] = [d for d in _dependents if d.name != dependent.name] + [dependent]


def retention_days(account: Account) -> int:
    """The account's own retention, else the EVENTHUB_DEFAULT_RETENTION_DAYS setting read now."""
    days = getattr(account, "retention_days", None)
    return settings.EVENTHUB_DEFAULT_RETENTION_DAYS if days is None else days


def _purge_batch(
    account: Account,
    cutoff: datetime,
    after: tuple[datetime, int] | None,
    batch_size: int,
    counts: dict[str, int],
) -> tuple[datetime, int] | None:
    """One transaction: lock the next expired events in (created, id) order, let the dependents hold or
    release them, delete the rest. Returns the keyset position reached, None when nothing was left."""
    expired = Event.objects.filter(account=account, created__lt=cutoff)
    if after is not None:
        expired = expired.filter(Q(created__gt=after[0]) | Q(created=after[0], id__gt=after[1]))
    with transaction.atomic():
        rows = list(
            expired.select_for_update().order_by("created", "id").values_list("created", "id")[:batch_size]
        )
        if not rows:
            return None
        ids = [event_id for _, event_id in rows]
        held: set[int] = set()
        for dependent in _dependents:
            held.update(dependent.held(ids))
        doomed = [event_id for event_id in ids if event_id not in held]
        if doomed:
            for dependent in _dependents:
                for label, removed in dependent.release(doomed).items():
                    counts[label] = counts.get(label, 0) + removed
            # Nullable links from rows that stay (current entity states, events they caused) are detached.
            Entity.objects.filter(last_event_id__in=doomed).update(last_event=None)
            Event.objects.filter(caused_by_id__in=doomed).update(caused_by=None)
            counts["events"] += Event.objects.filter(id__in=doomed)._raw_delete(Event.objects.db)
        counts["held"] += len(held)
    return rows[-1]


def purge_account(
    account: Account, now: datetime, *, batch_size: int = DEFAULT_BATCH, progress: Progress | None = None
) -> dict[str, int]:
    """Remove `account`'s events created before now - retention and their dependents; entity states stay
    (they are current). `held` counts expired events kept because a delivery is still under way."""
    cutoff = now - timedelta(days=retention_days(account))
    counts = {"events": 0, "held": 0}
    position = None
    while True:
        position = _purge_batch(account, cutoff, position, batch_size, counts)
        if position is None:
            return counts
        if progress:
            progress(f"events: {counts['events']} removed")


def purge_expired(
    now: datetime, *, batch_size: int = DEFAULT_BATCH, progress: Progress | None = None
) -> dict[str, int]:
    """Every account in turn; one account's failure is logged and counted in `failed_accounts`, and the
    others are still purged (its committed batches stay done; the next run retries the rest)."""
    totals: dict[str, int] = {"events": 0, "held": 0, "failed_accounts": 0}
    for account in Account.objects.order_by("id").iterator():
        try:
            counts = purge_account(account, now, batch_size=batch_size, progress=progress)
        except Exception:  # a failed account must not stop retention for all the others; logged, counted
            logger.exception("retention failed for account %s", account.token)
            totals["failed_accounts"] += 1
            continue
        for label, value in counts.items():
            totals[label] = totals.get(label, 0) + value
    return totals
