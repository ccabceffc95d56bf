"""Claiming with the claimed rows loaded by one hand-built joined query: the instances must be what the
ORM's select_related would give (every field converted the same way), with nothing left to query."""

from __future__ import annotations

import pytest
from django.db import connection
from django.utils import timezone

from deliveries.models import FailureStreak, Message
from deliveries.services.claims import claim_messages
from deliveries.services.dispatch import ANY
from tests.deliveries.conftest import send_event, subscribe

pytestmark = pytest.mark.django_db


def _fields(instance) -> dict:
    return {f.attname: getattr(instance, f.attname) for f in instance._meta.concrete_fields}


def test_claimed_messages_match_what_the_orm_loads(acme, event_types, django_assert_num_queries):
    healthy = subscribe(acme.account, "https://example.com/healthy")
    failing = subscribe(acme.account, "https://example.com/failing", max_concurrency=3)
    FailureStreak.objects.create(subscription=failing, failing_since=timezone.now())
    send_event(acme.account, nested={"list": [1, "two", None], "unicode": "café"})
    send_event(acme.account)
    statements = 1 if connection.vendor == "postgresql" else 2
    with django_assert_num_queries(statements):
        messages, lease, _held_back = claim_messages(ANY, None, 10)
    assert len(messages) == 4 and lease is not None and timezone.is_aware(lease)
    assert sorted(m.event.payload.get("nested", {}).get("unicode", "") for m in messages) == [
        "",
        "",
        "café",
        "café",
    ]
    expected = {
        m.id: m
        for m in Message.objects.select_related("event", "subscription", "subscription__failure_streak")
    }
    assert [m.id for m in messages] == sorted(expected, key=lambda pk: (expected[pk].next_attempt_at, pk))
    with django_assert_num_queries(0):  # everything a send and its outcome need is attached
        for message in messages:
            orm = expected[message.id]
            assert _fields(message) == _fields(orm) and message.status == "SENDING"
            assert _fields(message.event) == _fields(orm.event)
            assert _fields(message.subscription) == _fields(orm.subscription)
            if message.subscription_id == failing.id:
                assert _fields(message.subscription.failure_streak) == _fields(
                    orm.subscription.failure_streak
                )
            else:
                assert message.subscription_id == healthy.id
                assert getattr(message.subscription, "failure_streak", None) is None
            assert not message._state.adding and message._state.db == "default"


def test_nothing_due_claims_nothing(acme, event_types, django_assert_num_queries):
    subscribe(acme.account, "https://example.com/hook")
    send_event(acme.account)
    assert len(claim_messages(ANY, None, 10)[0]) == 1
    with django_assert_num_queries(1):  # SQLite too: no load when the claim took nothing
        assert claim_messages(ANY, None, 10)[:2] == ([], None)


def _prepared_claims() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s", ["%WITH inflight%"]
        )
        return cursor.fetchone()[0]


@pytest.mark.parametrize("prepared", [True, False])
def test_the_claim_is_prepared_once_per_connection_on_postgresql(acme, event_types, settings, prepared):
    """Planning the claim cost PostgreSQL twice its execution: it binds on the server and is planned once
    per connection, unless prepared statements are off (PgBouncer in transaction mode)."""
    if connection.vendor != "postgresql":
        pytest.skip("prepared statements are PostgreSQL's")
    settings.EVENTHUB_DB_PREPARED_STATEMENTS = prepared
    subscribe(acme.account, "https://example.com/hook")
    with connection.cursor() as cursor:
        cursor.execute(
            "DEALLOCATE ALL"
        )  # earlier tests' claims on this connection (psycopg forgets them too)
    before = _prepared_claims()
    for _ in range(3):
        send_event(acme.account)
        assert len(claim_messages(ANY, None, 10)[0]) == 1
    assert _prepared_claims() - before == (1 if prepared else 0)
