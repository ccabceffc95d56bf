"""Recording what sending did, in bulk: the attempts' INSERT and the messages' UPDATE (one statement on
PostgreSQL), then the rare consequences (a failure streak starts, a 410 or a long streak disables the
subscription).

Message updates are guarded by the lease they were claimed with: a worker that stalled past its lease
records its attempt (it happened) but no longer moves a message another worker has taken over.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction

from deliveries import oplog, retry
from deliveries.http import SendResult
from deliveries.models import AttemptStatus, FailureStreak, Message, MessageAttempt, MessageStatus
from deliveries.services import integration_outcomes
from deliveries.services.dispatch import FIRST, RETRY
from deliveries.services.integration_outcomes import RoutedOutcome
from eventhub import metrics
from eventhub.bulk import bulk_insert, insert_statement
from subscriptions.models import DisabledReason, EventSubscription, IntegrationConfiguration
from subscriptions.services import set_disabled

logger = logging.getLogger(__name__)
_MESSAGE_FIELDS = (
    "status",
    "attempt_count",
    "schedule_step",
    "next_attempt_at",
    "last_attempt_at",
    "succeeded_at",
)
# PostgreSQL needs the VALUES columns typed (NULLs would be text); SQLite must not cast (text datetimes).
_PG_ROW = (
    "(%s::bigint, %s, %s::integer, %s::integer, %s::timestamptz, %s::timestamptz, %s::timestamptz,"
    " %s::timestamptz)"
)
# Each row carries the lease its message was claimed with: only a message still under that lease moves.
_UPDATE_SQL = """
WITH v (id, {fields}, lease) AS (VALUES {rows}){attempts}
UPDATE {table} SET {assignments}, lease_expires_at = NULL
FROM v WHERE {table}.id = v.id AND {table}.status = 'SENDING' AND {table}.lease_expires_at = v.lease
RETURNING {table}.id
"""


@dataclass
class Outcome:
    """One claimed message and what happened to it; `result` None means it was not sent (subscription, or
    the integration configuration that routed it, disabled since the message was created)."""

    message: Message
    lease: datetime
    url: str
    started_at: datetime
    result: SendResult | None
    route: IntegrationConfiguration | None = None  # billing destinations: the configuration that routed it


@dataclass
class Recorded:
    attempts: int = 0
    soonest_retry: float | None = None  # seconds until the earliest retry scheduled by this flush
    given_back: set[str] = field(default_factory=set)  # lanes of messages handed back unsent


def record_outcomes(outcomes: list[Outcome], now: datetime) -> Recorded:
    """Write the attempts and move each message (SUCCESS, PENDING for a retry at now + delay, FAILED)
    in one transaction; then the subscription-level consequences, which never undo the recording."""
    recorded = Recorded()
    attempts: list[MessageAttempt] = []
    succeeded: dict[int, EventSubscription] = {}
    failed: dict[int, tuple[EventSubscription, datetime]] = {}
    gone: dict[int, EventSubscription] = {}
    for outcome in outcomes:
        message, result = outcome.message, outcome.result
        message.lease_expires_at = None
        if result is None:
            message.status, message.next_attempt_at = MessageStatus.FAILED, None
            continue
        if not result.sent:  # never started before its lease's deadline: due again at once, no attempt
            message.status = MessageStatus.PENDING
            recorded.given_back.add(RETRY if message.schedule_step else FIRST)
            continue
        attempts.append(_attempt(outcome))
        message.attempt_count += 1
        message.last_attempt_at = outcome.started_at
        subscription = message.subscription
        if result.success:
            message.status, message.succeeded_at, message.next_attempt_at = (
                MessageStatus.SUCCESS,
                outcome.started_at,
                None,
            )
            succeeded[subscription.id] = subscription
            continue
        failed.setdefault(subscription.id, (subscription, outcome.started_at))
        delay = (
            None
            if result.status_code == 410
            else retry.next_delay(
                message.schedule_step, result.status_code, retry.parse_retry_after(result.retry_after, now)
            )
        )
        if result.status_code == 410:
            gone[subscription.id] = subscription
        if delay is None:
            message.status, message.next_attempt_at = MessageStatus.FAILED, None
        else:
            message.status, message.next_attempt_at = MessageStatus.PENDING, now + timedelta(seconds=delay)
            message.schedule_step += 1
            if recorded.soonest_retry is None or delay < recorded.soonest_retry:
                recorded.soonest_retry = delay
    applied = _write(attempts, [(o.message, o.lease) for o in outcomes])
    recorded.attempts = len(attempts)
    metrics.outcomes_recorded(outcomes, applied)
    oplog.outcomes(outcomes)
    routed = [
        RoutedOutcome(o.message, o.route, o.started_at, o.result)
        for o in outcomes
        if o.route is not None and o.message.id in applied and (o.result is None or o.result.sent)
    ]
    if routed:
        try:
            integration_outcomes.apply(routed, now)
        except Exception:  # recorded all the same; a lost error event must not stop the worker
            logger.exception("could not update integration statuses or raise integration error events")
    try:
        _update_streaks(succeeded, {k: v for k, v in failed.items() if k not in succeeded}, gone, now)
    except Exception:  # the attempts are recorded; a streak or disable problem must not stop the worker
        logger.exception("could not update failure streaks or disable subscriptions")
    return recorded


def _write(attempts: list[MessageAttempt], moved: list[tuple[Message, datetime]]) -> set[int]:
    """Insert the attempts and move the messages, atomically; returns the ids of the messages moved (one
    whose lease ran out belongs to another claim now). PostgreSQL: one statement, the attempts' INSERT a
    data-modifying CTE of the messages' UPDATE, so it commits on its own (no BEGIN/COMMIT round trips).
    SQLite: the two statements in a transaction."""
    if connection.vendor == "postgresql":
        insert = insert_statement(MessageAttempt, attempts) if attempts else None
        return _update_messages(moved, insert)
    with transaction.atomic():
        bulk_insert(MessageAttempt, attempts)
        return _update_messages(moved, None)


def _update_messages(moved: list[tuple[Message, datetime]], insert: tuple[str, list] | None) -> set[int]:
    """One UPDATE ... FROM (VALUES ...) for the messages, each guarded by its claim's lease (Django's
    bulk_update builds a CASE per field and row: most of a flush's CPU at a few hundred/s), with
    `insert` riding on it as a CTE."""
    postgres = connection.vendor == "postgresql"
    adapt = connection.ops.adapt_datetimefield_value
    row = _PG_ROW if postgres else "(" + ", ".join(["%s"] * (len(_MESSAGE_FIELDS) + 2)) + ")"
    params: list = []
    for m, lease in moved:
        params += [
            m.id,
            m.status,
            m.attempt_count,
            m.schedule_step,
            adapt(m.next_attempt_at),
            adapt(m.last_attempt_at),
            adapt(m.succeeded_at),
            adapt(lease),
        ]
    table = Message._meta.db_table
    sql = _UPDATE_SQL.format(
        fields=", ".join(_MESSAGE_FIELDS),
        rows=", ".join([row] * len(moved)),
        attempts=f", attempts AS ({insert[0]})" if insert else "",
        table=table,
        assignments=", ".join(f"{f} = v.{f}" for f in _MESSAGE_FIELDS),
    )
    if insert:
        params += insert[1]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {row[0] for row in cursor.fetchall()}


def _attempt(outcome: Outcome) -> MessageAttempt:
    message, result = outcome.message, outcome.result
    return MessageAttempt(
        account_id=message.account_id,
        message_id=message.id,
        event_id=message.event_id,
        subscription_id=message.subscription_id,
        status=AttemptStatus.SUCCESS if result.success else AttemptStatus.FAILED,
        url=outcome.url,
        response_status_code=result.status_code,
        response_body=result.body,
        error=result.error[:500],
        duration_ms=result.duration_ms,
        created=outcome.started_at,
    )


def _streak_start(subscription: EventSubscription) -> datetime | None:
    streak = getattr(subscription, "failure_streak", None)  # loaded with the claim (select_related)
    return streak.failing_since if streak is not None else None


def _update_streaks(
    succeeded: dict[int, EventSubscription],
    failed: dict[int, tuple[EventSubscription, datetime]],
    gone: dict,
    now: datetime,
) -> None:
    """Only transitions write (a success ends a streak: its row goes; a first failure starts one), so a
    subscription that stays healthy, or keeps failing, costs no statement here."""
    ended = [pk for pk, sub in succeeded.items() if _streak_start(sub) is not None]
    if ended:
        FailureStreak.objects.filter(subscription_id__in=ended).delete()
    starting = [
        FailureStreak(subscription_id=pk, failing_since=first)
        for pk, (sub, first) in failed.items()
        if _streak_start(sub) is None
    ]
    if starting:
        FailureStreak.objects.bulk_create(starting, ignore_conflicts=True)
    limit = now - timedelta(days=settings.EVENTHUB_AUTO_DISABLE_DAYS)
    for subscription in gone.values():
        disable_subscription(subscription, DisabledReason.GONE, "The endpoint answered 410 Gone.")
    for pk, (subscription, _) in failed.items():
        since = _streak_start(subscription)
        if pk not in gone and since is not None and since <= limit:
            disable_subscription(
                subscription, DisabledReason.FAILING, f"Every attempt failed since {since.isoformat()}."
            )


def disable_subscription(subscription: EventSubscription, reason: str, detail: str) -> bool:
    """Disable (once) through the one disable service, which tells the account with an
    `event_subscription.disabled` event; here only the engine's own logs and metrics are added."""
    if not set_disabled(subscription, True, reason, detail=detail):
        return False
    logger.warning("disabled subscription %s (%s): %s", subscription.token, reason, detail)
    metrics.subscription_disabled(reason)
    oplog.disabled(subscription, reason)
    return True
