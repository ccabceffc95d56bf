"""Claiming due messages in one statement: PostgreSQL `UPDATE ... WHERE id IN (SELECT ... FOR UPDATE
SKIP LOCKED) RETURNING`; SQLite runs the same single statement, which its one-writer lock makes atomic.

A claimed message is SENDING with a lease; a worker that dies loses it when the lease runs out and the
next claim takes it again (at-least-once). The per-subscription concurrency cap is applied in the same
statement: subscriptions already at their cap are skipped before rows are locked, so a slow endpoint's
backlog never fills a batch that healthy endpoints' messages are waiting behind.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection

from deliveries.models import Message, MessageStatus
from deliveries.services.dispatch import ANY, FIRST, RETRY
from subscriptions.models import EventSubscription

_LANE_FILTER = {FIRST: "AND m.schedule_step = 0", RETRY: "AND m.schedule_step > 0", ANY: ""}

_CLAIM_SQL = """
WITH inflight AS (
    SELECT f.subscription_id, COUNT(*) AS n FROM {message} f
    WHERE f.status = 'SENDING' AND f.lease_expires_at > %(now)s
    GROUP BY f.subscription_id
),
capped AS (
    SELECT i.subscription_id FROM inflight i JOIN {subscription} s ON s.id = i.subscription_id
    WHERE i.n >= s.max_concurrency
),
candidates AS (
    SELECT m.id, m.subscription_id, m.next_attempt_at FROM {message} m
    WHERE m.next_attempt_at <= %(now)s
      AND (m.status = 'PENDING' OR (m.status = 'SENDING' AND m.lease_expires_at <= %(now)s))
      {lane}
      AND m.subscription_id NOT IN (SELECT subscription_id FROM capped)
    ORDER BY m.next_attempt_at, m.id
    LIMIT %(scan)s
    {lock}
),
ranked AS (
    SELECT c.id, c.next_attempt_at,
           ROW_NUMBER() OVER (PARTITION BY c.subscription_id ORDER BY c.next_attempt_at, c.id) AS position,
           s.max_concurrency - COALESCE(i.n, 0) AS room
    FROM candidates c
    JOIN {subscription} s ON s.id = c.subscription_id
    LEFT JOIN inflight i ON i.subscription_id = c.subscription_id
)
UPDATE {message} SET status = 'SENDING', lease_expires_at = %(lease)s
WHERE id IN (SELECT id FROM ranked WHERE position <= room ORDER BY next_attempt_at, id LIMIT %(limit)s)
RETURNING id
"""


def claim_due(lane: str, now: datetime, limit: int) -> tuple[list[int], datetime]:
    """Ids of up to `limit` due messages now leased to the caller, and the lease's expiry (the caller
    records its results only while it still holds that lease)."""
    lease = now + timedelta(seconds=settings.EVENTHUB_LEASE_SECONDS)
    sql = _CLAIM_SQL.format(
        message=Message._meta.db_table,
        subscription=EventSubscription._meta.db_table,
        lane=_LANE_FILTER[lane],
        lock="FOR UPDATE SKIP LOCKED" if connection.vendor == "postgresql" else "",
    )
    adapt = connection.ops.adapt_datetimefield_value
    params = {"now": adapt(now), "lease": adapt(lease), "limit": int(limit), "scan": max(4 * int(limit), 200)}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()], lease


def release_expired_leases(now: datetime) -> int:
    """Hand messages of dead or stalled workers back (status PENDING); a claim would take them anyway,
    this keeps what the API and admin show truthful."""
    return Message.objects.filter(status=MessageStatus.SENDING, lease_expires_at__lte=now).update(
        status=MessageStatus.PENDING, lease_expires_at=None
    )
