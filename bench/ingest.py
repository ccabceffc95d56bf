"""Ingest scenario: events per second through `POST /v1/events`, single and batched, each event
matching 5 subscriptions (so every event writes 5 messages too), against a baseline of PostgreSQL
`COPY` of the very same event and message rows into tables of the same shape (indexes included).

No worker runs meanwhile (ingest alone is measured); the messages are deleted afterwards.
"""

from __future__ import annotations

import json
import statistics
import threading
import time
from datetime import datetime

import requests

from bench.common import Figure, Hub, ReceiverProcess, progress
from bench.delivery import subscribed_account

SUBSCRIPTIONS = 5
# Batches of 500 take well under a second on this machine: one run of them swung the ratio 0.45-0.66
# between back-to-back runs of the same code, so they get the median of three, as COPY does.
BATCH_RUNS = 3


def _post_all(base: str, key: str, bodies: list[dict], clients: int) -> float:
    """POST every body from `clients` threads with keep-alive sessions; seconds from first to last."""
    queue = iter(bodies)
    lock = threading.Lock()
    errors: list[str] = []

    def loop() -> None:
        session = requests.Session()
        session.headers["Authorization"] = key
        while True:
            with lock:
                body = next(queue, None)
            if body is None:
                return
            response = session.post(f"{base}/v1/events", json=body, timeout=120)
            if response.status_code not in (200, 201):
                errors.append(f"{response.status_code} {response.text[:300]}")
                return

    threads = [threading.Thread(target=loop) for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise RuntimeError(f"ingest request failed: {errors[0]}")
    return time.perf_counter() - started


def _row(instance, fields) -> tuple:
    values = []
    for field in fields:
        value = getattr(instance, field.attname)
        values.append(
            json.dumps(value) if field.get_internal_type() == "JSONField" and value is not None else value
        )
    return tuple(values)


def copy_baseline(account, subscriptions, events: int) -> float:
    """COPY `events` event rows and their messages into `LIKE ... INCLUDING ALL` copies of the tables
    (one transaction); seconds for the COPY and commit, rows built beforehand."""
    from django.db import connection

    from deliveries.models import Message, MessageStatus
    from eventhub.models import Event

    if connection.vendor != "postgresql":
        raise RuntimeError(
            "the ingest baseline uses PostgreSQL COPY; set DATABASE_URL to a PostgreSQL database"
        )
    now = datetime.now().astimezone()
    event_fields = [f for f in Event._meta.concrete_fields if not f.primary_key]
    message_fields = [f for f in Message._meta.concrete_fields if not f.primary_key]
    event_rows, message_rows = [], []
    for index in range(events):
        event = Event(
            account=account,
            event_type_id="card.created",
            payload={"card_token": f"copy_{index}", "event_type": "card.created"},
            created=now,
            occurred_at=now,
            processed_at=now,
        )
        event_rows.append(_row(event, event_fields))
        for subscription in subscriptions:
            message = Message(
                account=account,
                event_id=index + 1,
                subscription=subscription,
                status=MessageStatus.PENDING,
                next_attempt_at=now,
                created=now,
            )
            message_rows.append(_row(message, message_fields))
    tables = [
        (Event._meta.db_table, event_fields, event_rows),
        (Message._meta.db_table, message_fields, message_rows),
    ]
    connection.ensure_connection()
    raw = connection.connection
    with raw.cursor() as cursor:
        for table, _, _ in tables:
            cursor.execute(f"DROP TABLE IF EXISTS bench_{table}")
            cursor.execute(f"CREATE TABLE bench_{table} (LIKE {table} INCLUDING ALL)")
    raw.commit()
    started = time.perf_counter()
    with raw.cursor() as cursor:
        for table, fields, rows in tables:
            columns = ", ".join(f.column for f in fields)
            with cursor.copy(f"COPY bench_{table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
    raw.commit()
    seconds = time.perf_counter() - started
    with raw.cursor() as cursor:
        for table, _, _ in tables:
            cursor.execute(f"DROP TABLE bench_{table}")
    raw.commit()
    return seconds


def _batches(prefix: str, events: int, size: int) -> list[dict]:
    return [
        {
            "events": [
                {"event_type": "card.created", "payload": {"card_token": f"{prefix}_{o + i}"}}
                for i in range(min(size, events - o))
            ]
        }
        for o in range(0, events, size)
    ]


def run(hub: Hub, receiver: ReceiverProcess, options) -> tuple[list[Figure], dict]:
    from deliveries.models import Message
    from eventhub.services.accounts import issue_api_key

    account = subscribed_account("ingest", [receiver.url] * SUBSCRIPTIONS)
    key = issue_api_key(account).raw_key
    events = options.ingest_events
    single_events = max(100, events // 5)
    base = hub.start_web()
    try:
        _post_all(base, key, [{"event_type": "card.created", "payload": {"card_token": "warm"}}] * 20, 1)
        progress(f"ingest: {single_events} single POSTs on {options.ingest_clients} clients")
        singles = [
            {"event_type": "card.created", "payload": {"card_token": f"s_{i}"}} for i in range(single_events)
        ]
        single_s = _post_all(base, key, singles, options.ingest_clients)
        progress(
            f"ingest: {events} events in batches of {options.ingest_batch} (median of {BATCH_RUNS}, as COPY's)"
        )
        batch_runs = [
            _post_all(base, key, _batches(f"b{run}", events, options.ingest_batch), options.ingest_clients)
            for run in range(BATCH_RUNS)
        ]
        batch_s = statistics.median(batch_runs)
    finally:
        hub.stop_web()
    written = Message.objects.filter(account=account).count()
    published = 20 + single_events + events * BATCH_RUNS
    expected = published * SUBSCRIPTIONS
    Message.objects.filter(account=account).delete()
    progress(f"ingest baseline: COPY of {events} events and {events * SUBSCRIPTIONS} messages (median of 3)")
    copy_s = statistics.median(
        copy_baseline(account, list(account.subscriptions.all()), events) for _ in range(3)
    )
    single_rate, batch_rate, copy_rate = single_events / single_s, events / batch_s, events / copy_s
    figures = [
        Figure(
            "ingest",
            f"events/s, single POST /v1/events ({SUBSCRIPTIONS} subscriptions)",
            single_rate,
            "/s",
            copy_rate,
            single_rate / copy_rate,
        ),
        Figure(
            "ingest",
            f"events/s, batches of {options.ingest_batch} (vs COPY of the same rows)",
            batch_rate,
            "/s",
            copy_rate,
            batch_rate / copy_rate,
            ">= 0.5",
            batch_rate / copy_rate >= 0.5,  # issue 14
        ),
        Figure(
            "ingest",
            "messages written per event",
            written / published,
            "msgs",
            SUBSCRIPTIONS,
            written / expected * 1.0,
            "= 1",
            written == expected,
        ),
    ]
    return figures, {
        "single_s": single_s,
        "batch_s": batch_s,
        "batch_runs_s": batch_runs,
        "copy_s": copy_s,
        "single_events": single_events,
        "events": events,
        "messages": written,
    }
