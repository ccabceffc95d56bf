"""Claiming due messages in one statement: PostgreSQL `UPDATE ... WHERE id IN (SELECT ... FOR UPDATE
SKIP LOCKED) RETURNING`; SQLite runs the same single statement, which its one-writer lock makes atomic.

A claimed message is SENDING with a lease; a worker that dies loses it when the lease runs out and the
next claim takes it again (at-least-once). The per-subscription concurrency cap is applied in the same
statement: subscriptions already at their cap are skipped before rows are locked, so a slow endpoint's
backlog never fills a batch that healthy endpoints' messages are waiting behind.

Leases are dated by the database's clock (`statement_timestamp()` in the claim statement), not the worker's: workers
whose clocks disagree still agree on when a lease ends. Only tests pin `now` (to drive retries); SQLite
runs on one host, whose clock every process shares.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import connection
from django.db.models.functions import Now
from django.utils import timezone

from deliveries.models import Message, MessageStatus
from deliveries.services import claimed_rows
from deliveries.services.dispatch import ANY, FIRST, RETRY
from eventhub.prepared import prepared_cursor
from subscriptions.models import EventSubscription

_LANE_FILTER = {FIRST: "AND m.schedule_step = 0", RETRY: "AND m.schedule_step > 0", ANY: ""}

_CLAIM_CTES = """
WITH inflight AS (
    SELECT f.subscription_id, COUNT(*) AS n FROM {message} f
    WHERE f.status = 'SENDING' AND f.lease_expires_at > {now}
    GROUP BY f.subscription_id
),
capped AS (
    SELECT i.subscription_id FROM inflight i JOIN {subscription} s ON s.id = i.subscription_id
    WHERE i.n >= COALESCE(s.max_concurrency, %(default_cap)s)
),
candidates AS (
    SELECT m.id, m.subscription_id, m.next_attempt_at FROM {message} m
    WHERE m.next_attempt_at <= {now}
      AND (m.status = 'PENDING' OR (m.status = 'SENDING' AND m.lease_expires_at <= {now}))
      {lane}
      AND m.subscription_id NOT IN (SELECT subscription_id FROM capped)
    ORDER BY m.next_attempt_at, m.id
    LIMIT %(scan)s
    {lock}
),
ranked AS (
    SELECT c.id, c.next_attempt_at,
           ROW_NUMBER() OVER (PARTITION BY c.subscription_id ORDER BY c.next_attempt_at, c.id) AS position,
           COALESCE(s.max_concurrency, %(default_cap)s) - COALESCE(i.n, 0) AS room
    FROM candidates c
    JOIN {subscription} s ON s.id = c.subscription_id
    LEFT JOIN inflight i ON i.subscription_id = c.subscription_id
)"""
_CLAIM_UPDATE = """
UPDATE {message} SET status = 'SENDING', lease_expires_at = {lease}
WHERE id IN (SELECT id FROM ranked WHERE position <= room ORDER BY next_attempt_at, id LIMIT %(limit)s)
"""
# PostgreSQL: claim and load in one statement (the claimed rows, as updated, joined to what a send needs).
_CLAIM_AND_LOAD = """{ctes}, m AS ({update} RETURNING *)
SELECT {columns} FROM m {joins} ORDER BY m.next_attempt_at, m.id"""
# SQLite cannot update in a WITH, nor return joined columns: it loads the claimed ids in a second statement.
_LOAD = "SELECT {columns} FROM {message} m {joins} WHERE m.id IN ({ids}) ORDER BY m.next_attempt_at, m.id"
# The statement's start (now() would be the transaction's, stale inside a long one): one value for every row.
_DATABASE_CLOCK = (
    "statement_timestamp()",
    "statement_timestamp() + make_interval(secs => %(lease_seconds)s)",
)
_PINNED_CLOCK = ("%(now)s", "%(lease)s")


def claim_due(lane: str, now: datetime | None, limit: int) -> tuple[list[int], datetime | None]:
    """Ids of up to `limit` due messages now leased to the caller, and the lease's expiry (the caller
    records its results only while it still holds that lease; None when nothing was claimed). With
    `now` None the database's clock decides what is due and when the lease ends."""
    ctes, update, params = _claim_statement(lane, now, limit)
    with connection.cursor() as cursor:
        cursor.execute(ctes + update + "RETURNING id, lease_expires_at", params)
        rows = cursor.fetchall()
    seconds = settings.EVENTHUB_LEASE_SECONDS
    if not rows:
        return [], None if now is None else now + timedelta(seconds=seconds)
    return [row[0] for row in rows], _aware(rows[0][1])


def claim_messages(lane: str, now: datetime | None, limit: int) -> tuple[list[Message], datetime | None]:
    """`claim_due`, returning the claimed messages with their event, subscription and failure streak
    loaded (in claim order): one statement on PostgreSQL, two on SQLite."""
    columns, joins = claimed_rows.select_list()
    if connection.vendor != "postgresql":
        ids, lease = claim_due(lane, now, limit)
        if not ids:
            return [], lease
        sql = _LOAD.format(
            columns=columns, message=Message._meta.db_table, joins=joins, ids=", ".join(["%s"] * len(ids))
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, ids)
            return claimed_rows.messages_from_rows(cursor.fetchall()), lease
    ctes, update, params = _claim_statement(lane, now, limit)
    sql = _CLAIM_AND_LOAD.format(ctes=ctes, update=update, columns=columns, joins=joins)
    with prepared_cursor() as cursor:  # planning it cost more than running it
        cursor.execute(sql, params)
        messages = claimed_rows.messages_from_rows(cursor.fetchall())
    if not messages:
        seconds = settings.EVENTHUB_LEASE_SECONDS
        return [], None if now is None else now + timedelta(seconds=seconds)
    return messages, _aware(messages[0].lease_expires_at)


def _claim_statement(lane: str, now: datetime | None, limit: int) -> tuple[str, str, dict]:
    """The claim's WITH part, its UPDATE (no RETURNING) and their parameters."""
    seconds = settings.EVENTHUB_LEASE_SECONDS
    postgres = connection.vendor == "postgresql"
    if now is None and not postgres:
        now = timezone.now()
    now_sql, lease_sql = _DATABASE_CLOCK if now is None else _PINNED_CLOCK
    names = {
        "message": Message._meta.db_table,
        "subscription": EventSubscription._meta.db_table,
        "lane": _LANE_FILTER[lane],
        "lock": "FOR UPDATE SKIP LOCKED" if postgres else "",
        "now": now_sql,
        "lease": lease_sql,
    }
    ctes, update = _CLAIM_CTES.format(**names), _CLAIM_UPDATE.format(**names)
    adapt = connection.ops.adapt_datetimefield_value
    params = {
        "limit": int(limit),
        "scan": max(4 * int(limit), 200),
        "lease_seconds": float(seconds),
        "default_cap": int(settings.EVENTHUB_SUBSCRIPTION_CONCURRENCY),  # for subscriptions without their own
    }
    if now is not None:
        params |= {"now": adapt(now), "lease": adapt(now + timedelta(seconds=seconds))}
    return ctes, update, params


def _aware(lease) -> datetime:
    if not isinstance(lease, datetime):  # SQLite hands back its text
        lease = Message._meta.get_field("lease_expires_at").to_python(lease)
    if timezone.is_naive(lease):
        lease = timezone.make_aware(lease, UTC)
    return lease


def release_expired_leases(now: datetime | None = None) -> int:
    """Hand messages of dead or stalled workers back (status PENDING); a claim would take them anyway,
    this keeps what the API and admin show truthful. By the database's clock unless `now` is pinned."""
    return Message.objects.filter(status=MessageStatus.SENDING, lease_expires_at__lte=now or Now()).update(
        status=MessageStatus.PENDING, lease_expires_at=None
    )
