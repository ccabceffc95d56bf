"""A one-event publish through the API does not re-read, on every request, the rows that rarely change:
the API key and its account, the event type, the account's rules and subscriptions come from the
per-process memo (eventhub/hotcache.py) once a request has read them; a change in this process clears it
at once (the cross-process bound is tested with two servers in tests/e2e/test_hot_cache_coherence.py)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from deliveries.models import Message
from eventhub.models import ApiKey, Event, EventType, NotificationRule
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


@pytest.mark.django_db(transaction=True)  # real BEGIN/COMMIT, not the test's savepoints
def test_a_warm_one_event_publish_on_postgresql_is_begin_one_insert_commit(
    acme, event_types, monkeypatch, settings
):
    """The round trips left (docs/performance.md, "Third round"): the transaction stays because rules,
    entity states and idempotency keys may add statements that must commit with the event."""
    if connection.vendor != "postgresql":
        pytest.skip("the one-statement publish is PostgreSQL's")
    monkeypatch.setattr("eventhub.hotcache._clock", lambda: 1000.0)
    rate_limit = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "statements"}
    settings.CACHES = {
        **settings.CACHES,
        "ratelimit": rate_limit,
    }  # the database cache's own statements aside
    create_subscription(acme.account, url=HOOK)
    client = acme.client()
    _publish(client)
    with CaptureQueriesContext(connection) as queries:
        _publish(client)
    statements = [q["sql"] for q in queries.captured_queries]
    assert [sql.split()[0] for sql in statements] == ["BEGIN", "WITH", "COMMIT"]
