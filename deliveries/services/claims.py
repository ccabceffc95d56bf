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
from functools import cache
from typing import NamedTuple

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
# Whether due messages were left because their subscription is at its concurrency cap: only then must the
# loop claim again when its sends finish (any other message committed since its start comes with a kick).
_HELD_BACK = "(EXISTS (SELECT 1 FROM capped) OR EXISTS (SELECT 1 FROM ranked WHERE position > room))"
# PostgreSQL: claim and load in one statement (the claimed rows, as updated, joined to what a send needs).
_CLAIM_AND_LOAD = """{ctes}, m AS ({update} RETURNING *)
SELECT {columns}, {held_back} FROM m {joins} ORDER BY m.next_attempt_at, m.id"""
# SQLite cannot update in a WITH, nor return joined columns: it loads the claimed ids in a second statement.
_LOAD = "SELECT {columns} FROM {message} m {joins} WHERE m.id IN ({ids}) ORDER BY m.next_attempt_at, m.id"
# The statement's start (now() would be the transaction's, stale inside a long one): one value for every row.
_DATABASE_CLOCK = (
    "statement_timestamp()",
    "statement_timestamp() + make_interval(secs => %(lease_seconds)s)",
)
_PINNED_CLOCK = ("%(now)s", "%(lease)s")


class Claim(NamedTuple):
    messages: list[Message]  # claim order, with event, subscription and failure streak attached
    lease: datetime | None  # when the lease ends; None when nothing was claimed by the database's clock
    # Due messages were left for a subscription at its concurrency cap (assumed when nothing was claimed,
    # which the statement cannot tell apart): the caller claims again once its own sends free slots.
    held_back: bool


def claim_due(lane: str, now: datetime | None, limit: int) -> tuple[list[int], datetime | None]:
    """Ids of up to `limit` due messages now leased to the caller, and the lease's expiry (the caller
    records its results only while it still holds that lease; None when nothing was claimed). With
    `now` None the database's clock decides what is due and when the lease ends."""
    ids, lease, _held_back = _claim_ids(lane, now, limit)
    return ids, lease


def claim_messages(lane: str, now: datetime | None, limit: int) -> Claim:
    """`claim_due`, returning the claimed messages with their event, subscription and failure streak
    loaded (in claim order): one statement on PostgreSQL, two on SQLite."""
    if connection.vendor != "postgresql":
        ids, lease, held_back = _claim_ids(lane, now, limit)
        if not ids:
            return Claim([], lease, True)
        columns, joins = claimed_rows.select_list()
        sql = _LOAD.format(
            columns=columns, message=Message._meta.db_table, joins=joins, ids=", ".join(["%s"] * len(ids))
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, ids)
            return Claim(claimed_rows.messages_from_rows(cursor.fetchall()), lease, held_back)
    with prepared_cursor() as cursor:  # planning it cost more than running it
        cursor.execute(_claim_and_load_text(lane, pinned=now is not None), _claim_params(now, limit))
        rows = cursor.fetchall()
    if not rows:
        return Claim([], _empty_lease(now), True)
    messages = claimed_rows.messages_from_rows(rows)
    return Claim(messages, messages[0].lease_expires_at, bool(rows[0][-1]))


def _claim_ids(lane: str, now: datetime | None, limit: int) -> tuple[list[int], datetime | None, bool]:
    ctes, update, params = _claim_statement(lane, now, limit)
    with connection.cursor() as cursor:
        cursor.execute(f"{ctes}{update}RETURNING id, lease_expires_at, {_HELD_BACK}", params)
        rows = cursor.fetchall()
    if not rows:
        return [], _empty_lease(now), True
    return [row[0] for row in rows], _aware(rows[0][1]), any(bool(row[2]) for row in rows)


def _empty_lease(now: datetime | None) -> datetime | None:
    """An empty claim's lease: none by the database's clock, the would-be expiry with a pinned clock."""
    return None if now is None else now + timedelta(seconds=settings.EVENTHUB_LEASE_SECONDS)


def _claim_statement(lane: str, now: datetime | None, limit: int) -> tuple[str, str, dict]:
    """The claim's WITH part, its UPDATE (no RETURNING) and their parameters."""
    postgres = connection.vendor == "postgresql"
    if now is None and not postgres:
        now = timezone.now()
    ctes, update = _claim_text(postgres, lane, pinned=now is not None)
    return ctes, update, _claim_params(now, limit)


def _claim_params(now: datetime | None, limit: int) -> dict:
    """The claim's parameters: the clock's two only when it is pinned (else the database's own)."""
    seconds = settings.EVENTHUB_LEASE_SECONDS
    params = {
        "limit": int(limit),
        "scan": max(4 * int(limit), 200),
        "lease_seconds": float(seconds),
        "default_cap": int(settings.EVENTHUB_SUBSCRIPTION_CONCURRENCY),  # for subscriptions without their own
    }
    if now is not None:
        adapt = connection.ops.adapt_datetimefield_value
        params |= {"now": adapt(now), "lease": adapt(now + timedelta(seconds=seconds))}
    return params


@cache
def _claim_text(postgres: bool, lane: str, pinned: bool) -> tuple[str, str]:
    """The statement's text, formatted once per database, lane and clock (it runs on every claim)."""
    now_sql, lease_sql = _PINNED_CLOCK if pinned else _DATABASE_CLOCK
    names = {
        "message": Message._meta.db_table,
        "subscription": EventSubscription._meta.db_table,
        "lane": _LANE_FILTER[lane],
        "lock": "FOR UPDATE SKIP LOCKED" if postgres else "",
        "now": now_sql,
        "lease": lease_sql,
    }
    return _CLAIM_CTES.format(**names), _CLAIM_UPDATE.format(**names)


@cache
def _claim_and_load_text(lane: str, pinned: bool) -> str:
    """PostgreSQL's claim-and-load statement, formatted once per lane and clock."""
    ctes, update = _claim_text(True, lane, pinned)
    columns, joins = claimed_rows.select_list()
    return _CLAIM_AND_LOAD.format(
        ctes=ctes, update=update, columns=columns, joins=joins, held_back=_HELD_BACK
    )


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
