"""Recording a flush of outcomes: on PostgreSQL the attempts' INSERT rides on the messages' UPDATE, one
statement in autocommit (no BEGIN/COMMIT round trips); SQLite runs both in one transaction. Either way
each message moves only under the lease it was claimed with, while every attempt is recorded."""

from __future__ import annotations

import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from deliveries import oplog
from deliveries.http import SendResult
from deliveries.models import Message, MessageAttempt, MessageStatus
from deliveries.services.claims import claim_messages
from deliveries.services.dispatch import ANY
from deliveries.services.outcomes import Outcome, record_outcomes
from tests.deliveries.conftest import send_event, subscribe


def _outcomes(messages, lease, status=200):
    now = timezone.now()
    result = SendResult(status, "ok", "", 3, started=time.time())
    return [Outcome(m, lease, m.subscription.url, now, result) for m in messages]


@pytest.mark.django_db(transaction=True)  # real BEGIN/COMMIT, not the test's savepoints
def test_a_flush_is_one_statement_on_postgresql_and_one_transaction_on_sqlite(acme, event_types):
    subscribe(acme.account, "https://example.com/a")
    subscribe(acme.account, "https://example.com/b")
    send_event(acme.account)
    messages, lease, _held_back = claim_messages(ANY, None, 10)
    oplog.account_token(acme.account.id)  # the log line's account token, read once per process
    with CaptureQueriesContext(connection) as queries:
        recorded = record_outcomes(_outcomes(messages, lease), timezone.now())
    words = [q["sql"].split()[0] for q in queries.captured_queries]
    if connection.vendor == "postgresql":
        assert words == ["WITH"]
        assert not connection.in_atomic_block
    else:
        assert words == ["BEGIN", "INSERT", "WITH", "COMMIT"]
    assert recorded.attempts == 2
    assert set(Message.objects.values_list("status", flat=True)) == {MessageStatus.SUCCESS}
    assert MessageAttempt.objects.filter(status="SUCCESS", response_status_code=200).count() == 2


@pytest.mark.django_db
def test_each_message_moves_only_under_its_own_lease(acme, event_types):
    """Two claims' outcomes in one flush: the one whose lease another worker took over since records its
    attempt but leaves the message to that worker."""
    subscribe(acme.account, "https://example.com/a")
    send_event(acme.account)
    first, first_lease, _ = claim_messages(ANY, timezone.now(), 10)
    send_event(acme.account)
    second, second_lease, _ = claim_messages(ANY, timezone.now(), 10)
    assert len(first) == len(second) == 1 and first_lease < second_lease
    now = timezone.now()
    taken_over = first_lease + timezone.timedelta(seconds=60)
    Message.objects.filter(id=first[0].id).update(lease_expires_at=taken_over)
    outcomes = _outcomes(first, first_lease, 500) + _outcomes(second, second_lease)
    record_outcomes(outcomes, now)
    assert MessageAttempt.objects.count() == 2
    stale, current = Message.objects.get(id=first[0].id), Message.objects.get(id=second[0].id)
    assert stale.status == MessageStatus.SENDING and stale.lease_expires_at == taken_over
    assert stale.attempt_count == 0
    assert current.status == MessageStatus.SUCCESS and current.lease_expires_at is None
