"""Leases: dated by the database's clock, never outlived by a queued send. A worker whose clock is ahead
does not take a message another worker holds; a worker claims only what its sender can start at once;
a claimed message that could not start in time is given back unsent (no attempt, due again)."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from deliveries.http import NOT_STARTED, Sender
from deliveries.models import Message, MessageAttempt, MessageStatus
from deliveries.services.claims import claim_due
from deliveries.services.dispatch import ANY
from deliveries.services.outcomes import Outcome, record_outcomes
from tests.deliveries.conftest import deliver, send_event, subscribe

pytestmark = pytest.mark.django_db


def test_a_worker_whose_clock_runs_ahead_does_not_take_a_message_another_worker_holds(
    acme, event_types, receiver, monkeypatch
):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite runs on one host: every process shares its clock")
    subscribe(acme.account, receiver.url)
    send_event(acme.account)
    ids, lease = claim_due(ANY, timezone.now(), 10)  # a worker with a correct clock holds it for 30 s
    assert len(ids) == 1
    real_now = timezone.now
    monkeypatch.setattr(timezone, "now", lambda: real_now() + timedelta(minutes=10))  # another worker's clock
    assert deliver() == 0
    assert receiver.requests == [] and Message.objects.get().lease_expires_at == lease


def test_an_unpinned_claim_leases_until_the_database_clock_plus_the_lease(
    acme, event_types, receiver, settings
):
    subscribe(acme.account, receiver.url)
    send_event(acme.account)
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement_timestamp()" if connection.vendor == "postgresql" else "SELECT 1")
        before = cursor.fetchone()[0] if connection.vendor == "postgresql" else timezone.now()
    ids, lease = claim_due(ANY, None, 10)
    assert len(ids) == 1 and Message.objects.get().lease_expires_at == lease
    assert timedelta(seconds=30) <= lease - before < timedelta(seconds=31)


@pytest.mark.django_db(transaction=True)  # detached sends are recorded on their own connection
def test_a_loop_claims_no_more_than_its_sender_can_start(acme, event_types, receiver_factory, settings):
    """Two hanging sends hold both of the sender's threads: the loop must leave the healthy subscription's
    messages unclaimed (PENDING, free for other workers), not queue them behind the hanging ones."""
    settings.EVENTHUB_CLAIM_BATCH = 2
    hanging, healthy = receiver_factory(), receiver_factory()
    hanging.behaviour.hang = True
    subscribe(acme.account, hanging.url)
    send_event(acme.account, card_token="h1")
    send_event(acme.account, card_token="h2")
    subscribe(acme.account, healthy.url)
    for index in range(4):
        send_event(acme.account, card_token=f"ok{index}")
    sender = Sender(2)
    deliver(sender=sender, detach_after=0.1, budget_seconds=0.5)
    healthy_statuses = list(
        Message.objects.filter(subscription__url=healthy.url).values_list("status", flat=True)
    )
    assert healthy_statuses == [MessageStatus.PENDING] * 4 and healthy.requests == []
    deadline = time.monotonic() + 10  # the hanging sends end at the 1 s timeout; then the rest goes out
    while Message.objects.filter(status=MessageStatus.SENDING).exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    deliver(sender=sender)
    assert len(healthy.requests) == 4


def test_a_send_that_cannot_start_before_its_deadline_is_given_back_unsent(acme, event_types, receiver):
    subscribe(acme.account, receiver.url)
    send_event(acme.account)
    now = timezone.now()
    ids, lease = claim_due(ANY, now, 10)
    result = Sender(1).submit(receiver.url, b"{}", lambda: {}, start_by=time.monotonic() - 0.001).result(5)
    assert result is NOT_STARTED and receiver.requests == []
    message = Message.objects.get()
    recorded = record_outcomes([Outcome(message, lease, receiver.url, now, result)], now)
    message.refresh_from_db()
    assert recorded.attempts == 0 and recorded.given_back == {"first"} and not MessageAttempt.objects.exists()
    assert (
        message.status == MessageStatus.PENDING
        and message.lease_expires_at is None
        and message.attempt_count == 0
    )
    deliver(now=now)  # due again at once: the next claim sends it, once
    assert len(receiver.requests) == 1 and Message.objects.get().status == MessageStatus.SUCCESS
