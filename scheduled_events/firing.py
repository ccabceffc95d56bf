"""Firing due occurrences exactly once, however many scheduler runs overlap.

Each batch is claimed inside one transaction: on PostgreSQL with `SELECT ... FOR UPDATE SKIP LOCKED`
(a second run takes the next rows, never the same ones), on SQLite by its single writer (IMMEDIATE
transactions). The event is recorded and the occurrence marked fired in that same transaction, and
the event's idempotency key names the occurrence, so even a replayed claim cannot fire twice.
"""

from __future__ import annotations

import logging
import time as clock
from collections import defaultdict
from datetime import datetime

from django.db import connection, transaction
from django.utils import timezone

from eventhub.models import Account, Entity, EventType
from eventhub.services.ingest import EventSpec, record_events
from scheduled_events.models import ScheduledOccurrence
from scheduled_events.planning import still_due
from scheduled_events.types import derive_scheduled_type

logger = logging.getLogger(__name__)
BATCH = 200
TIME_BUDGET_SECONDS = 50.0  # below the one-minute beat interval


def idempotency_key(occurrence: ScheduledOccurrence) -> str:
    return f"eventhub.scheduled-occurrence.{occurrence.pk}"


def scheduled_payload(occurrence: ScheduledOccurrence, entity: Entity) -> dict:
    """What subscribers and rules see: the entity's current state and the configuration that fired."""
    config = occurrence.configuration
    return {
        "event_type": config.name,
        "entity": entity.data,
        "configuration": {
            "id": config.token,
            "name": config.name,
            "entity": config.entity,
            "field": config.field,
            "offset": config.offset,
        },
        "fire_at": occurrence.fire_at.isoformat().replace("+00:00", "Z"),
    }


def fire_due(now: datetime, *, batch_size: int = BATCH, time_budget: float = TIME_BUDGET_SECONDS) -> int:
    """Fire every occurrence due at `now`; returns how many events were recorded. Safe to run twice at once."""
    fired, failed = 0, set()
    deadline = clock.monotonic() + time_budget
    while clock.monotonic() < deadline:
        claimed, count = _fire_batch(now, batch_size, failed)
        fired += count
        if claimed < batch_size:
            break
    return fired


def _fire_batch(now: datetime, batch_size: int, failed: set[int]) -> tuple[int, int]:
    with transaction.atomic():
        due = (
            ScheduledOccurrence.objects.filter(fired_at__isnull=True, cancelled=False, fire_at__lte=now)
            .exclude(id__in=failed)
            .select_related("configuration")
            .order_by("fire_at", "id")
        )
        if connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True, of=("self",))
        claimed = list(due[:batch_size])
        if not claimed:
            return 0, 0
        entities = _entities_for(claimed)
        live, gone = [], []
        for occurrence in claimed:
            entity = entities.get(
                (occurrence.account_id, occurrence.configuration.entity.lower(), occurrence.entity_id)
            )
            (live if still_due(occurrence, entity) else gone).append((occurrence, entity))
        if gone:  # moved or deleted since planning: the planner replaces it if needed
            ScheduledOccurrence.objects.filter(id__in=[o.pk for o, _ in gone]).update(cancelled=True)
        return len(claimed), _record(live, failed)


def _entities_for(occurrences: list[ScheduledOccurrence]) -> dict[tuple[int, str, str], Entity]:
    wanted: dict[tuple[int, str], set[str]] = defaultdict(set)
    for occurrence in occurrences:
        wanted[(occurrence.account_id, occurrence.configuration.entity.lower())].add(occurrence.entity_id)
    found = {}
    for (account_id, entity_type), ids in wanted.items():
        rows = (
            Entity.objects.filter(account_id=account_id, entity_type=entity_type, entity_id__in=ids)
            .select_related("last_event")
            .defer("last_event__payload", "last_event__previous_state", "last_event__schema_errors")
        )
        for entity in rows:
            found[(account_id, entity_type, entity.entity_id)] = entity
    return found


def _event_types(
    live: list[tuple[ScheduledOccurrence, Entity]], accounts: dict[int, Account]
) -> dict[str, EventType]:
    """Each configuration's own type, by key (the same name in two accounts is two types)."""
    configs = {
        EventType.key_for(o.configuration.name, accounts[o.account_id]): o.configuration for o, _ in live
    }
    types = {t.key: t for t in EventType.objects.filter(key__in=configs)}
    for key in (
        configs.keys() - types.keys()
    ):  # removed from the catalog by hand: the configuration still names it
        config = configs[key]
        types[key] = derive_scheduled_type(
            accounts[config.account_id], config.name, config.entity, config.field
        )
    return types


def _record(live: list[tuple[ScheduledOccurrence, Entity]], failed: set[int]) -> int:
    """Record the events per account (one fan-out each); an account whose recording fails is retried next run."""
    if not live:
        return 0
    accounts = Account.objects.in_bulk({o.account_id for o, _ in live})
    types = _event_types(live, accounts)
    by_account: dict[int, list[tuple[ScheduledOccurrence, Entity]]] = defaultdict(list)
    for occurrence, entity in live:
        by_account[occurrence.account_id].append((occurrence, entity))
    fired_at, done = timezone.now(), []
    for account_id, items in by_account.items():
        specs = [
            EventSpec(
                event_type=types[EventType.key_for(o.configuration.name, accounts[account_id])],
                payload=scheduled_payload(o, e),
                idempotency_key=idempotency_key(o),
                occurred_at=o.fire_at,
                caused_by=e.last_event,
            )
            for o, e in items
        ]
        try:
            results = record_events(accounts[account_id], specs)
        except Exception:  # one account's failure must not stop the others; logged and retried
            logger.exception("scheduled events for account %s could not be recorded", account_id)
            failed.update(o.pk for o, _ in items)
            continue
        for (occurrence, _), result in zip(items, results, strict=True):
            occurrence.fired_at, occurrence.fired_event = fired_at, result.event
            done.append(occurrence)
    ScheduledOccurrence.objects.bulk_update(done, ["fired_at", "fired_event"])
    return len(done)
