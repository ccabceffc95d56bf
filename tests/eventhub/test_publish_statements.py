"""A one-event publish through the API does not re-read, on every request, the rows that rarely change:
the API key and its account, the event type, the account's rules and subscriptions come from the
per-process memo (eventhub/hotcache.py) once a request has read them; a change in this process clears it
at once (the cross-process bound is tested with two servers in tests/e2e/test_hot_cache_coherence.py).
When the event's INSERT is all there is to write it runs without BEGIN/COMMIT; a rule on its type, an
entity, an idempotency key or a processor that declares nothing keeps the transaction."""

from __future__ import annotations

import re
import tempfile
from contextlib import contextmanager

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from psycopg import pq

from deliveries.models import Message
from eventhub.models import ApiKey, Entity, Event, EventType, NotificationRule
from eventhub.services.ingest import publish
from eventhub.services.processors import DEFAULT_PROCESSORS
from eventhub.services.rules import create_rule
from subscriptions.models import EventSubscription
from subscriptions.services import create_subscription, set_disabled

pytestmark = pytest.mark.django_db
HOOK = "http://127.0.0.1:9/hook"
MEMOISED = [m._meta.db_table for m in (ApiKey, EventType, NotificationRule, EventSubscription)]


def _publish(client):
    response = client.post(
        "/v1/events", {"event_type": "card.created", "payload": {"card_token": "c1"}}, format="json"
    )
    assert response.status_code == 201, response.content
    return response.json()["token"]


def test_a_repeated_one_event_publish_reads_no_key_type_rule_or_subscription_rows(
    acme, event_types, monkeypatch
):
    monkeypatch.setattr("eventhub.hotcache._clock", lambda: 1000.0)  # a slow machine must not expire the memo
    create_subscription(acme.account, url=HOOK)
    client = acme.client()
    _publish(client)  # fills the memo
    with CaptureQueriesContext(connection) as queries:
        token = _publish(client)
    reads = [q["sql"] for q in queries.captured_queries if q["sql"].lstrip().upper().startswith("SELECT")]
    assert [sql for sql in reads if any(f'"{table}"' in sql for table in MEMOISED)] == []
    assert Message.objects.filter(event__token=token).count() == 1


def test_a_change_in_this_process_applies_to_the_next_publish_at_once(acme, event_types):
    subscription = create_subscription(acme.account, url=HOOK)
    client = acme.client()
    _publish(client)
    set_disabled(subscription, True)
    assert Message.objects.filter(event__token=_publish(client)).count() == 0
    create_subscription(acme.account, url=HOOK)
    assert Message.objects.filter(event__token=_publish(client)).count() == 1


def test_a_warm_one_event_publish_writes_the_event_and_its_messages_in_one_statement(
    acme, event_types, monkeypatch
):
    monkeypatch.setattr("eventhub.hotcache._clock", lambda: 1000.0)
    for _ in range(3):
        create_subscription(acme.account, url=HOOK)
    client = acme.client()
    _publish(client)  # fills the memo
    with CaptureQueriesContext(connection) as queries:
        token = _publish(client)
    event_table, message_table = Event._meta.db_table, Message._meta.db_table
    writes = [  # the rate-limit counter's own insert (database cache) is not the publish's
        q["sql"] for q in queries.captured_queries if event_table in q["sql"] or message_table in q["sql"]
    ]
    writes = [sql for sql in writes if "INSERT INTO" in sql]
    if connection.vendor == "postgresql":  # one round trip: the messages ride on the event's INSERT
        [statement] = writes
        assert f'INSERT INTO "{event_table}"' in statement and f"INSERT INTO {message_table}" in statement
    else:
        assert len(writes) == 2
    assert Message.objects.filter(event__token=token).count() == 3
    assert Message.objects.filter(event__token=token, account=acme.account).count() == 3


def undeclared_processor(events, *, depth=0):
    """A processor that declares neither a companion insert nor when it is idle; it refuses `refuse`."""
    if any(event.payload.get("refuse") for event in events):
        raise RefusedByProcessor()


class RefusedByProcessor(Exception):
    pass


@contextmanager
def _on_the_wire():
    """What psycopg sends on the database connection (libpq's protocol trace), as (statement's first word,
    transaction status after it): `I` idle (committed), `T` inside a transaction. Django's log aside."""
    sent: list[tuple[str, str]] = []
    connection.ensure_connection()
    pgconn = connection.connection.pgconn
    with tempfile.TemporaryFile() as trace:
        pgconn.trace(trace.fileno())
        pgconn.set_trace_flags(pq.Trace.SUPPRESS_TIMESTAMPS | pq.Trace.REGRESS_MODE)
        try:
            yield sent
        finally:
            pgconn.untrace()
        trace.seek(0)
        text = trace.read().decode()
    # After the trace, and below Django's query log: what this connection had prepared.
    rows = connection.connection.execute("SELECT name, statement FROM pg_prepared_statements").fetchall()
    prepared = {name: statement.split()[0] for name, statement in rows}
    statuses = re.findall(r"^B\t\d+\tReadyForQuery\t ([ITE])", text, re.MULTILINE)
    sent += zip(_statements_sent(text, prepared), statuses, strict=True)


def _statements_sent(trace: str, prepared: dict[str, str]) -> list[str]:
    """The first word of each statement in a protocol trace: a simple `Query`, or an extended-protocol
    exchange up to its `Sync` (a prepared statement, eventhub/bulk.py), named by the text it was prepared
    with (`prepared`: name -> first word, from pg_prepared_statements)."""
    statements, pending = [], None
    for line in trace.splitlines():
        parts = line.split("\t")
        if len(parts) < 3 or parts[0] != "F":
            continue
        kind, detail = parts[2], parts[3] if len(parts) > 3 else ""
        if kind == "Query":
            statements.append(re.match(r' "(\w+)', detail).group(1))
        elif kind == "Parse":
            pending = re.match(r' "[^"]*" "(\w+)', detail).group(1)
        elif kind == "Bind":
            pending = pending or prepared.get(re.match(r' "[^"]*" "([^"]*)"', detail).group(1), "EXECUTE")
        elif kind == "Sync":
            statements.append(pending)
            pending = None
    return statements


def _first_words(queries) -> list[str]:
    return [q["sql"].split()[0] for q in queries.captured_queries]


def _one_transaction_holds_the_writes(queries) -> bool:
    """One BEGIN, one COMMIT, and every write of an event, message or entity between them (the API key's
    own bookkeeping and reads of the memoised rows may come before)."""
    words = _first_words(queries)
    if words.count("BEGIN") != 1 or words.count("COMMIT") != 1:
        return False
    begin, commit = words.index("BEGIN"), words.index("COMMIT")
    tables = [f'"{model._meta.db_table}"' for model in (Event, Message, Entity)]
    writes = [
        n
        for n, query in enumerate(queries.captured_queries)
        if words[n] in ("INSERT", "UPDATE", "DELETE", "WITH")
        and any(table in query["sql"] or table.strip('"') in query["sql"] for table in tables)
    ]
    return bool(writes) and all(begin < n < commit for n in writes)


def _rate_limit_in_memory(settings):
    """Only the publish's own statements: the rate limit counts in memory, not in the database cache."""
    rate_limit = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "statements"}
    settings.CACHES = {**settings.CACHES, "ratelimit": rate_limit}


@pytest.mark.django_db(transaction=True)  # real BEGIN/COMMIT, not the test's savepoints
def test_a_warm_one_event_publish_on_postgresql_is_one_statement_without_begin_or_commit(
    acme, event_types, monkeypatch, settings
):
    """No rule on the type, no key, not an entity: the event's INSERT (its messages riding on it) is all
    there is to write, so it runs in autocommit (docs/performance.md, "Fourth round")."""
    if connection.vendor != "postgresql":
        pytest.skip("the one-statement publish is PostgreSQL's")
    monkeypatch.setattr("eventhub.hotcache._clock", lambda: 1000.0)
    _rate_limit_in_memory(settings)
    create_subscription(acme.account, url=HOOK)
    client = acme.client()
    _publish(client)
    with CaptureQueriesContext(connection) as queries, _on_the_wire() as sent:
        token = _publish(client)
    assert _first_words(queries) == ["WITH"]
    assert sent == [("WITH", "I")]  # nothing else sent, and committed when it returned
    assert Message.objects.filter(event__token=token).count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_publish_with_an_active_rule_on_its_type_is_one_transaction(
    acme, event_types, monkeypatch, settings
):
    """The rule's notification event commits with the event that caused it, or neither does."""
    _rate_limit_in_memory(settings)
    create_rule(
        acme.account, code="every_card", name="every card", event_name="card.created", always_fire_event=True
    )
    client = acme.client()
    with CaptureQueriesContext(connection) as queries:
        _publish(client)
    assert _one_transaction_holds_the_writes(queries), _first_words(queries)
    assert Event.objects.filter(event_type__name="notification.every_card").count() == 1

    def notification_fails(rule, event):
        raise RefusedByProcessor()

    monkeypatch.setattr("eventhub.services.rules.notification_payload", notification_fails)
    with pytest.raises(RefusedByProcessor):
        publish(acme.account, "card.created", {"card_token": "c2"})
    assert Event.objects.filter(event_type__name="card.created").count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_publish_of_an_entity_event_writes_the_event_and_the_entity_in_one_transaction(
    acme, event_types, settings
):
    """The entity row is locked before and written after the event's INSERT."""
    _rate_limit_in_memory(settings)
    client = acme.client()
    with CaptureQueriesContext(connection) as queries:
        response = client.post(
            "/v1/events",
            {"event_type": "configuration.commitment.created", "payload": {"id": "c1", "amount": 100}},
            format="json",
        )
    assert response.status_code == 201, response.content
    assert _one_transaction_holds_the_writes(queries), _first_words(queries)
    assert Entity.objects.filter(account=acme.account, entity_id="c1").count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_publish_with_an_idempotency_key_writes_in_a_transaction(acme, event_types, settings):
    """The key was read before the INSERT: the write keeps its transaction (and its retry on a race)."""
    _rate_limit_in_memory(settings)
    client = acme.client()
    with CaptureQueriesContext(connection) as queries:
        response = client.post(
            "/v1/events",
            {"event_type": "card.created", "payload": {"card_token": "c1"}},
            format="json",
            HTTP_IDEMPOTENCY_KEY="k1",
        )
    assert response.status_code == 201, response.content
    assert _one_transaction_holds_the_writes(queries), _first_words(queries)


@pytest.mark.django_db(transaction=True)
def test_a_processor_that_declares_nothing_keeps_the_events_transaction(acme, event_types, settings):
    """A new processor is assumed to have work: what it refuses after the insert leaves no event."""
    settings.EVENTHUB_EVENT_PROCESSORS = [*DEFAULT_PROCESSORS, f"{__name__}.undeclared_processor"]
    publish(acme.account, "card.created", {"card_token": "c1"})
    with pytest.raises(RefusedByProcessor):
        publish(acme.account, "card.created", {"card_token": "c2", "refuse": True})
    assert [e.payload["card_token"] for e in Event.objects.filter(account=acme.account)] == ["c1"]
