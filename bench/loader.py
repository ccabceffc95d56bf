"""Fast bulk loading for the backlog and read-scale scenarios: rows generated inside PostgreSQL with
`INSERT ... SELECT FROM generate_series` (about a million rows in seconds, indexes maintained), shaped
like what the hub writes. Tokens carry a `b` marker so they never collide with real ones."""

from __future__ import annotations

from django.db import connection, transaction

from deliveries.models import Message, MessageAttempt
from eventhub.models import Event

CHUNK = 200_000  # rows per statement: keeps each transaction's WAL and memory modest


def _require_postgresql() -> None:
    if connection.vendor != "postgresql":
        raise RuntimeError("the bulk loader needs PostgreSQL; set DATABASE_URL to a PostgreSQL database")


def load_events(account, count: int, *, prefix: str) -> None:
    """`count` card.created events, 1 ms apart, ending now."""
    _require_postgresql()
    sql = f"""
        INSERT INTO {Event._meta.db_table} (token, account_id, event_type, payload, created, occurred_at, processed_at,
            entity_type, entity_id, is_example, actioned_by)
        SELECT 'evt_b' || %(prefix)s || lpad(g::text, 12, '0'), %(account)s, 'card.created',
               jsonb_build_object('card_token', 'c' || g, 'event_type', 'card.created'),
               now() - (%(count)s - g) * interval '1 millisecond', now() - (%(count)s - g) * interval '1 millisecond', now(),
               '', '', false, ''
        FROM generate_series(%(start)s, %(stop)s) AS g
    """
    _in_chunks(sql, count, {"prefix": prefix, "account": account.id, "count": count})


def load_messages(
    account, subscription, *, prefix: str, status: str = "PENDING", with_attempts: bool = False
) -> None:
    """One message per event of `account` for `subscription` (due now when PENDING); with attempts, one
    successful attempt each (what a delivered history looks like)."""
    _require_postgresql()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {Message._meta.db_table} (token, account_id, event_id, subscription_id, status, attempt_count,
                schedule_step, next_attempt_at, is_example, created, succeeded_at, last_attempt_at)
            SELECT 'msg_b' || %(prefix)s || lpad(e.id::text, 12, '0'), e.account_id, e.id, %(subscription)s, %(status)s,
                   %(attempts)s, 0, CASE WHEN %(status)s = 'PENDING' THEN now() END, false, e.created,
                   CASE WHEN %(status)s = 'SUCCESS' THEN e.created END, CASE WHEN %(status)s = 'SUCCESS' THEN e.created END
            FROM {Event._meta.db_table} e WHERE e.account_id = %(account)s
            """,
            {
                "prefix": prefix,
                "subscription": subscription.id,
                "status": status,
                "account": account.id,
                "attempts": 1 if with_attempts else 0,
            },
        )
        if with_attempts:
            cursor.execute(
                f"""
                INSERT INTO {MessageAttempt._meta.db_table} (token, account_id, message_id, event_id, subscription_id, status,
                    url, response_status_code, response_body, error, duration_ms, created)
                SELECT 'atmpt_b' || %(prefix)s || lpad(m.id::text, 12, '0'), m.account_id, m.id, m.event_id, m.subscription_id,
                       'SUCCESS', %(url)s, 200, 'ok', '', 12, m.created
                FROM {Message._meta.db_table} m WHERE m.subscription_id = %(subscription)s
                """,
                {"prefix": prefix, "subscription": subscription.id, "url": subscription.url},
            )
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {Message._meta.db_table}; ANALYZE {MessageAttempt._meta.db_table}")


def _in_chunks(sql: str, count: int, params: dict) -> None:
    for start in range(1, count + 1, CHUNK):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, {**params, "start": start, "stop": min(count, start + CHUNK - 1)})
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {Event._meta.db_table}")
