"""Ingest: validate submissions, write events idempotently with their entity states, and run the
event processors (notification rules, delivery fan-out) inside the same transaction. When the events'
one INSERT statement (with its companions) is all there is to write, it runs alone in autocommit: one
statement is atomic on its own, and BEGIN/COMMIT would be two more round trips.

Guarantees: a rejected submission writes nothing but its `ingest.validation_failure` event; a batch is
all-or-nothing; the same idempotency key for the same account always yields the original event.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from eventhub import hotcache, metrics, tokens
from eventhub.bulk import bulk_insert
from eventhub.errors import InvalidInput, PayloadTooLarge
from eventhub.models import Account, Event, EventCategory, EventType
from eventhub.selectors import event_types_named
from eventhub.services.entities import prepare_entity_states, save_entity_states
from eventhub.services.processors import Companions, insert_companions, nothing_after_insert, run_processors
from eventhub.services.validation import entity_parts, validate_submission

logger = logging.getLogger(__name__)
VALIDATION_FAILURE_TYPE = "ingest.validation_failure"
_MAX_FAILURE_EVENTS_PER_SUBMISSION = 10


@dataclass
class Submission:
    event_type: Any
    payload: Any
    idempotency_key: Any = None
    occurred_at: datetime | None = None


@dataclass
class EventSpec:
    """A trusted event to record (already validated, or emitted by the hub itself)."""

    event_type: EventType
    payload: dict
    idempotency_key: str | None = None
    occurred_at: datetime | None = None
    caused_by: Event | None = None
    schema_errors: list | None = None
    is_example: bool = False
    extra: dict = field(default_factory=dict)


@dataclass
class PublishResult:
    event: Event
    created: bool


class IngestRejected(InvalidInput):
    """A 400 (or 413) whose `errors` name each failing field, e.g. `events[3].payload.amount`."""


def publish(
    account: Account,
    event_type: str,
    payload: Any,
    *,
    idempotency_key: str | None = None,
    occurred_at: datetime | None = None,
) -> PublishResult:
    """Validate and record one event; an idempotent repeat returns the original with created=False."""
    return publish_batch(
        account, [Submission(event_type, payload, idempotency_key, occurred_at)], single=True
    )[0]


def publish_batch(
    account: Account, submissions: list[Submission], *, single: bool = False
) -> list[PublishResult]:
    # Global types and the account's own: another account's notification./scheduled. names are unknown here.
    types = _event_types(account, {s.event_type for s in submissions if isinstance(s.event_type, str)})
    specs, errors, rejected, too_large = [], {}, [], False
    for index, sub in enumerate(submissions):
        event_type = types.get(sub.event_type) if isinstance(sub.event_type, str) else None
        verdict = validate_submission(sub.event_type, sub.payload, event_type, sub.idempotency_key)
        if verdict.errors:
            prefix = "" if single else f"events[{index}]."
            for path, messages in verdict.errors.items():
                errors[prefix + path] = messages
            rejected.append((sub, verdict.errors))
            too_large = too_large or verdict.too_large
            continue
        specs.append(
            EventSpec(
                event_type,
                verdict.payload,
                sub.idempotency_key,
                sub.occurred_at,
                schema_errors=verdict.schema_warnings,
            )
        )
    if rejected:
        _emit_validation_failures(account, rejected)
        first = next(iter(errors))
        message = f"{first}: {errors[first][0]}"
        if not single:
            message = f"{len(rejected)} of {len(submissions)} events rejected; nothing was recorded. First: {message}"
        raise (PayloadTooLarge if too_large else IngestRejected)(message, errors)
    return record_events(account, specs)


def _event_types(account: Account, names: set[str]) -> dict[str, EventType]:
    """event_types_named, memoised per process for at most 1 s for a one-type submission (the hot path:
    eventhub/hotcache.py): a new, changed or archived type applies to every event published 1 s after."""
    if len(names) != 1:
        return event_types_named(account, names)
    return hotcache.get(("event_types", account.pk, *names), lambda: event_types_named(account, names))


hotcache.clear_on_change(EventType)


def record_events(account: Account, specs: list[EventSpec], *, depth: int = 0) -> list[PublishResult]:
    """Write events (idempotently), update entities, run processors; one transaction, retried once on a
    key race. When the events' one INSERT is all there is to write, it runs alone, without BEGIN/COMMIT."""
    for attempt in range(2):
        try:
            return _record(account, specs, depth)
        except IntegrityError:
            if attempt == 1:  # a concurrent writer took the key or the entity first; the retry sees it
                raise
    raise AssertionError("unreachable")


def _record(account: Account, specs: list[EventSpec], depth: int) -> list[PublishResult]:
    results, fresh = _new_events(account, specs)
    if not fresh:
        return results
    processed = [e for e in fresh if not e.is_example]
    companions = insert_companions(processed, depth=depth)  # e.g. the messages: same statement
    if _one_statement_is_all(specs, processed, companions, depth):
        bulk_insert(Event, fresh, companions.sql)  # autocommit: the statement commits on its own
        companions.done()  # their on_commit work runs at once: the rows are committed
        metrics.events_ingested(fresh)
        return results
    with transaction.atomic():
        entities = prepare_entity_states(account, fresh)
        bulk_insert(Event, fresh, companions.sql)
        save_entity_states(entities)
        run_processors(processed, depth=depth, companions=companions)
        transaction.on_commit(partial(metrics.events_ingested, fresh))
    return results


def _one_statement_is_all(
    specs: list[EventSpec], processed: list[Event], companions: Companions, depth: int
) -> bool:
    """Whether the events' INSERT (with its companions) may run without a transaction of its own: no
    caller's transaction to join, no idempotency key (read before the insert), no entity event (locked
    and written after it), not a caused event, and every processor rode on the insert or is idle."""
    connection = transaction.get_connection()
    if connection.in_atomic_block or not connection.get_autocommit() or depth:
        return False
    if any(spec.idempotency_key or entity_parts(spec.event_type) for spec in specs):
        return False
    return nothing_after_insert(processed, companions, depth=depth)


_ACCOUNT, _EVENT_TYPE, _CAUSED_BY = (
    Event._meta.get_field(name) for name in ("account", "event_type", "caused_by")
)
# Every column of a new event in the model's order (Event(*values)), at its default until set. The row is
# copied for every new event, so a default left in place is shared: it must be a constant. A callable default
# (a fresh value per instance) is allowed only on the columns _new_events always sets.
_SET_FOR_EACH_EVENT = frozenset({"token", "payload"})
_EVENT_ROW = {
    f.attname: None if f.primary_key or f.attname in _SET_FOR_EACH_EVENT else f.get_default()
    for f in Event._meta.concrete_fields
}


def _check_event_row() -> None:
    for column in Event._meta.concrete_fields:
        if column.primary_key or column.attname in _SET_FOR_EACH_EVENT:
            continue
        shared = _EVENT_ROW[column.attname]
        if (column.has_default() and callable(column.default)) or not isinstance(
            shared, str | bool | int | None
        ):
            raise TypeError(f"Event.{column.attname}'s default is not a constant; _new_events would share it")


_check_event_row()


def _new_events(account: Account, specs: list[EventSpec]) -> tuple[list[PublishResult], list[Event]]:
    """The results in order and the unsaved events to insert; a stored idempotency key (or a repeat
    inside the batch) yields its event with created=False."""
    keys = {s.idempotency_key for s in specs if s.idempotency_key}
    existing = (
        {e.idempotency_key: e for e in Event.objects.filter(account=account, idempotency_key__in=keys)}
        if keys
        else {}
    )
    now = timezone.now()
    results: list[PublishResult] = []
    fresh: list[Event] = []
    event_tokens = iter(tokens.new_tokens("evt", len(specs)))  # one batch draw, not one per event
    for spec in specs:
        if spec.idempotency_key and spec.idempotency_key in existing:
            results.append(PublishResult(existing[spec.idempotency_key], created=False))
            continue
        # Keys by their columns, positionally, and the related rows put in the cache, as the descriptors would
        # do: Model.__init__'s keyword path (a default and a descriptor per field) was half of building
        # an event, and its descriptors' checks a third before that, in a batch of 500 (docs/performance.md).
        row = _EVENT_ROW.copy()
        row.update(
            token=next(event_tokens),
            account_id=account.id,
            event_type_id=spec.event_type.key,
            payload=spec.payload,
            created=now,
            occurred_at=spec.occurred_at or now,
            processed_at=now,
            idempotency_key=spec.idempotency_key,
            caused_by_id=spec.caused_by.id if spec.caused_by is not None else None,
            schema_errors=spec.schema_errors,
            is_example=spec.is_example,
            awaiting_action=spec.event_type.category == EventCategory.ERROR and not spec.is_example,
        )
        event = Event(*row.values())
        _ACCOUNT.set_cached_value(event, account)
        _EVENT_TYPE.set_cached_value(event, spec.event_type)
        _CAUSED_BY.set_cached_value(event, spec.caused_by)
        if spec.idempotency_key:
            existing[spec.idempotency_key] = event  # a repeat inside the same batch maps to this one
        fresh.append(event)
        results.append(PublishResult(event, created=True))
    return results, fresh


def _emit_validation_failures(account: Account, rejected: list[tuple[Submission, dict]]) -> None:
    """Tell the account (as an event of its own) what was rejected; never let this mask the 400."""
    failure_type = EventType.objects.filter(
        key=EventType.key_for(VALIDATION_FAILURE_TYPE, None), archived=False
    ).first()
    if failure_type is None:
        return
    specs = []
    for sub, errs in rejected[:_MAX_FAILURE_EVENTS_PER_SUBMISSION]:
        excerpt = repr(sub.payload)[:500]
        specs.append(
            EventSpec(
                failure_type,
                {
                    "event_type": VALIDATION_FAILURE_TYPE,
                    "rejected_event_type": sub.event_type if isinstance(sub.event_type, str) else None,
                    "errors": [{"path": p, "message": m} for p, ms in errs.items() for m in ms][:20],
                    "idempotency_key": sub.idempotency_key if isinstance(sub.idempotency_key, str) else None,
                    "submitted_payload_excerpt": excerpt,
                },
            )
        )
    try:
        record_events(account, specs)
    except Exception:  # the rejection itself must still reach the caller
        logger.exception("could not record ingest.validation_failure for %s", account.token)
