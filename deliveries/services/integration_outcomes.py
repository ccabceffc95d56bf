"""What billing-dialect integrations make of delivery outcomes: which integration configuration routed a
claimed message, the `error.integration.*` events the hub raises when such a delivery fails (once per
message and kind), and the configuration's routing status.

Card-issuing deliveries pay one attribute check per claimed message here and nothing else; billing
failures cost a few statements per flush (no per-message query). The error events go through ingest like
any other event (rules, fan-out); an idempotency key per message and kind makes a retry, a second worker
or a re-recorded outcome find the first one instead of raising another.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings

from deliveries.http import SendResult
from deliveries.models import Message, MessageAttempt, MessageStatus
from eventhub.models import Account, Event, EventCategory, EventType
from eventhub.services.ingest import EventSpec, record_events
from eventhub.services.rules import NOTIFICATION_PREFIX
from subscriptions.integrations import (
    NOTIFICATION,
    STATUS_AUTH_FAILED,
    STATUS_AWAITING_RETRY,
    STATUS_COMPLETE,
    STATUS_ERROR,
    WEBHOOK,
)
from subscriptions.models import Dialect, IntegrationConfiguration

logger = logging.getLogger(__name__)

AUTHENTICATION, VALIDATION, PERFORM, DISABLED = "authentication", "validation", "perform", "disabled"
ERROR_CODES = {
    AUTHENTICATION: "AUTH_FAILED",
    VALIDATION: "VALIDATION_FAILED",
    PERFORM: "PERFORM_FAILED",
    DISABLED: "INTEGRATION_DISABLED",
}
AUTHENTICATION_STATUSES = frozenset({401, 403})
VALIDATION_STATUSES = frozenset({400, 422})


def error_type_name(kind: str) -> str:
    return f"error.integration.{kind}"


def routes_for(messages: list[Message]) -> dict[int, IntegrationConfiguration]:
    """Message id -> the configuration that routed it to its billing destination: an enabled one before a
    disabled one, one naming the message's notification rule before a catch-all, the newest first. One
    query for the claim's billing destinations; none when it holds none. Examples (send_example) are no
    integration run: they raise nothing and move no status."""
    routed = [
        m
        for m in messages
        if m.subscription.dialect == Dialect.BILLING
        and not m.is_example
        and m.event.event_type_name.startswith(NOTIFICATION_PREFIX)
    ]
    if not routed:
        return {}
    by_destination: dict[int, list[IntegrationConfiguration]] = defaultdict(list)
    for config in IntegrationConfiguration.objects.filter(
        subscription_id__in={m.subscription_id for m in routed}, entity_type=NOTIFICATION
    ):
        by_destination[config.subscription_id].append(config)
    routes = {}
    for message in routed:
        rule = message.event.payload.get("rule") if isinstance(message.event.payload, dict) else None
        rule_id = rule.get("id") if isinstance(rule, dict) else None
        candidates = [c for c in by_destination[message.subscription_id] if c.entity_id in ("", rule_id)]
        if candidates:
            routes[message.id] = min(candidates, key=lambda c: (not c.enabled, c.entity_id == "", -c.pk))
    return routes


@dataclass(frozen=True)
class RoutedOutcome:
    """One recorded outcome of a routed message: `result` None means it was not sent because its
    destination or configuration was disabled."""

    message: Message
    config: IntegrationConfiguration
    started_at: datetime
    result: SendResult | None


def error_kind(outcome: RoutedOutcome) -> str | None:
    """The mapping table of docs/webhooks.md: a 401/403 or 400/422 on any attempt is known at once; other
    failures only when the message finally fails (its retries exhausted)."""
    result = outcome.result
    if result is None:
        return DISABLED
    if result.success:
        return None
    if result.status_code in AUTHENTICATION_STATUSES:
        return AUTHENTICATION
    if result.status_code in VALIDATION_STATUSES:
        return VALIDATION
    return PERFORM if outcome.message.status == MessageStatus.FAILED else None


def routing_status(outcome: RoutedOutcome) -> str | None:
    result = outcome.result
    if result is None:
        return None  # integration_status answers DISABLED from the flags themselves
    if result.success:
        return STATUS_COMPLETE
    if result.status_code in AUTHENTICATION_STATUSES:
        return STATUS_AUTH_FAILED
    if outcome.message.status == MessageStatus.FAILED or result.status_code in VALIDATION_STATUSES:
        return STATUS_ERROR
    return STATUS_AWAITING_RETRY


def apply(outcomes: list[RoutedOutcome], now: datetime) -> None:
    """After the outcomes are recorded: move the configurations' statuses, then raise the error events."""
    _update_statuses(outcomes, now)
    failures = [(o, kind) for o in outcomes if (kind := error_kind(o)) is not None]
    if failures:
        raise_error_events(failures)


def _update_statuses(outcomes: list[RoutedOutcome], now: datetime) -> None:
    """One UPDATE per new status, and only for configurations whose status changes."""
    latest: dict[int, tuple[IntegrationConfiguration, str]] = {}
    for outcome in outcomes:
        status = routing_status(outcome)
        if status is not None:
            latest[outcome.config.pk] = (outcome.config, status)
    changed: dict[str, list[IntegrationConfiguration]] = defaultdict(list)
    for config, status in latest.values():
        if config.routing_status != status:
            changed[status].append(config)
    for status, configs in changed.items():
        IntegrationConfiguration.objects.filter(pk__in=[c.pk for c in configs]).update(
            routing_status=status, routing_status_at=now
        )
        for config in configs:
            config.routing_status, config.routing_status_at = status, now


def raise_error_events(failures: list[tuple[RoutedOutcome, str]]) -> list[Event]:
    """Record one error event per (message, kind) through ingest, per account; an event whose delivery
    failed because of an earlier error event raises none (no error about an error, so rules cannot loop)."""
    looping = _caused_by_errors(failures)
    failures = [(o, k) for o, k in failures if o.message.event_id not in looping]
    types = {
        t.name: t
        for t in EventType.objects.filter(
            key__in={error_type_name(k) for _, k in failures}, account__isnull=True, archived=False
        )
    }
    last_attempts = _last_attempts(
        [o.message for o, k in failures if k == DISABLED and o.message.attempt_count]
    )
    accounts = Account.objects.in_bulk({o.message.account_id for o, _ in failures})
    specs: dict[int, list[EventSpec]] = defaultdict(list)
    for outcome, kind in failures:
        event_type = types.get(error_type_name(kind))
        if event_type is None:
            logger.warning("catalog type %s is missing or archived: not raised", error_type_name(kind))
            continue
        message = outcome.message
        specs[message.account_id].append(
            EventSpec(
                event_type,
                error_payload(outcome, kind, last_attempts.get(message.id)),
                idempotency_key=f"hub:{event_type.name}:{message.token}",
                occurred_at=outcome.started_at,
                caused_by=message.event,
            )
        )
    raised = []
    for account_id, account_specs in specs.items():
        raised += [r.event for r in record_events(accounts[account_id], account_specs) if r.created]
    return raised


def _caused_by_errors(failures: list[tuple[RoutedOutcome, str]]) -> set[int]:
    """Ids of the failed messages' events that an error event caused, at any depth: one query per
    level of causes, at most EVENTHUB_MAX_CAUSAL_DEPTH + 1 (rules stop there)."""
    pending: dict[int, set[int]] = defaultdict(set)  # a cause to look at -> the events it led to
    for outcome, _ in failures:
        if outcome.message.event.caused_by_id:
            pending[outcome.message.event.caused_by_id].add(outcome.message.event_id)
    tainted: set[int] = set()
    for _ in range(settings.EVENTHUB_MAX_CAUSAL_DEPTH + 1):
        if not pending:
            break
        rows = Event.objects.filter(pk__in=pending).values_list("pk", "caused_by_id", "event_type__category")
        causes: dict[int, set[int]] = defaultdict(set)
        for pk, caused_by_id, category in rows:
            if category == EventCategory.ERROR:
                tainted |= pending[pk]
            elif caused_by_id:
                causes[caused_by_id] |= pending[pk]
        pending = causes
    return tainted


def _last_attempts(messages: list[Message]) -> dict[int, MessageAttempt]:
    """The latest attempt of each message (one query), for those failed unsent that had been tried."""
    if not messages:
        return {}
    latest: dict[int, MessageAttempt] = {}
    for attempt in MessageAttempt.objects.filter(message_id__in=[m.id for m in messages]).order_by(
        "message_id", "-created", "-id"
    ):
        latest.setdefault(attempt.message_id, attempt)
    return latest


def error_payload(outcome: RoutedOutcome, kind: str, earlier: MessageAttempt | None = None) -> dict:
    """The catalog type's fields (see the billing pack's schema) plus the hub's own: the destination,
    the message and its last attempt's status."""
    message, config, result = outcome.message, outcome.config, outcome.result
    notification = message.event.payload if isinstance(message.event.payload, dict) else {}
    new = notification.get("new")
    if result is not None:
        last = {
            "statusCode": result.status_code or None,
            "error": result.error[:500] or None,
            "dtAttempted": outcome.started_at.isoformat(),
        }
    elif earlier is not None:
        last = {
            "statusCode": earlier.response_status_code or None,
            "error": earlier.error or None,
            "dtAttempted": earlier.created.isoformat(),
        }
    else:
        last = None
    return {
        "event_type": error_type_name(kind),
        "id": message.token,
        "integrationConfigurationId": config.token,
        "destination": WEBHOOK,
        "destinationId": message.subscription.token,
        "destinationUrl": message.subscription.url,
        "entityType": NOTIFICATION,
        "entityId": (notification.get("rule") or {}).get("id") or config.entity_id or None,
        "accountId": new.get("accountId")
        if isinstance(new, dict) and isinstance(new.get("accountId"), str)
        else None,
        "errorCode": ERROR_CODES[kind],
        "message": _describe(kind, message, last),
        "dtOccurred": outcome.started_at.isoformat(),
        "messageId": message.token,
        "eventId": message.event.token,
        "attempts": message.attempt_count,
        "lastAttempt": last,
    }


def _describe(kind: str, message: Message, last: dict | None) -> str:
    answered = f"answered {last['statusCode']}" if last and last["statusCode"] else "could not be reached"
    if kind == AUTHENTICATION:
        return f"The destination {answered}: it refused the request's credentials."
    if kind == VALIDATION:
        return f"The destination {answered}: it rejected the notification as invalid."
    if kind == PERFORM:
        return f"The destination {answered} on the last of {message.attempt_count} attempts; delivery failed."
    return "The destination or its integration configuration is disabled: the notification was not sent."
