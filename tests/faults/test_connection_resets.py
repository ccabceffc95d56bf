"""Receivers that reset the connection (RST after reading the request, no response): while a receiver
resets, each try is recorded as a failed attempt with the connection error and retried; once it
recovers every message ends SUCCESS; a receiver that always resets ends with every message FAILED
after the whole schedule, without holding back a healthy endpoint."""

from __future__ import annotations

import time
from collections import Counter

import pytest
from django.conf import settings

from deliveries.models import AttemptStatus, Message, MessageAttempt, MessageStatus
from subscriptions.models import EventSubscription
from subscriptions.services import create_subscription
from tests.faults.conftest import drain_and_count, publish_stream

pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True), pytest.mark.timeout(300)]
BATCHES, PER_BATCH = 10, 50  # 500 events x 4 subscriptions = 2,000 deliveries
RESET_ERROR = (
    "reset by peer"  # ConnectionResetError(104, 'Connection reset by peer'), as the sender records it
)


def _subscription(receiver) -> EventSubscription:
    return EventSubscription.objects.get(url=receiver.url)


def _failed_attempts(receiver) -> list[MessageAttempt]:
    return list(
        MessageAttempt.objects.filter(subscription=_subscription(receiver), status=AttemptStatus.FAILED)
    )


def test_a_receiver_resetting_connections_for_a_while_gets_every_message_once_it_recovers(
    beat_schedule, worker_factory, acme, event_types, receiver_factory
):
    healthy, *flaky = (receiver_factory() for _ in range(4))
    for receiver, resets in zip(flaky, (20, 60, 150), strict=True):
        receiver.behaviour.resets = resets
    for receiver in (healthy, *flaky):
        create_subscription(acme.account, url=receiver.url)
    worker_factory(beat=True)
    started = time.monotonic()
    publish_stream(acme.account, BATCHES, PER_BATCH)
    result = drain_and_count("connection_reset_then_recover", [healthy, *flaky], started)

    assert set(Message.objects.values_list("status", flat=True)) == {MessageStatus.SUCCESS}
    assert result.sent == BATCHES * PER_BATCH * 4
    assert result.lost == 0 and result.delivered == result.sent
    assert result.duplicates == 0  # reset tries are retries, not answered deliveries
    assert not healthy.reset_requests and not _failed_attempts(healthy)
    for receiver, resets in zip(flaky, (20, 60, 150), strict=True):
        failed = _failed_attempts(receiver)
        assert receiver.behaviour.resets == 0 and len(receiver.reset_requests) == resets
        # One failed attempt per reset, each naming the connection error (no response, no status).
        assert len(failed) == resets, (len(failed), resets)
        assert all(RESET_ERROR in a.error and a.response_status_code == 0 for a in failed), {
            a.error for a in failed
        }
        # Each reset message was retried and later answered: same webhook-id, now delivered.
        answered = {r.headers["webhook-id"] for r in receiver.requests}
        assert {r.headers["webhook-id"] for r in receiver.reset_requests} <= answered
        successes = Counter(
            MessageAttempt.objects.filter(
                subscription=_subscription(receiver), status=AttemptStatus.SUCCESS
            ).values_list("message_id", flat=True)
        )
        assert len(successes) == BATCHES * PER_BATCH and set(successes.values()) == {1}


def test_a_receiver_that_always_resets_ends_failed_while_healthy_ones_get_everything(
    beat_schedule, worker_factory, acme, event_types, receiver_factory
):
    healthy = [receiver_factory() for _ in range(2)]
    resetting = [receiver_factory() for _ in range(2)]
    for receiver in resetting:
        receiver.behaviour.reset = True
    for receiver in (*healthy, *resetting):
        create_subscription(acme.account, url=receiver.url)
    worker_factory(beat=True)
    started = time.monotonic()
    publish_stream(acme.account, BATCHES, PER_BATCH)
    # The summary counts the healthy endpoints (the resetting ones are expected to end FAILED, below).
    result = drain_and_count("connection_reset_always", healthy, started)

    events = BATCHES * PER_BATCH
    tries = 1 + len(settings.EVENTHUB_RETRY_SCHEDULE)
    assert result.lost == 0 and result.delivered == result.sent == events * len(healthy)
    assert result.duplicates == 0
    for receiver in healthy:
        assert set(
            Message.objects.filter(subscription=_subscription(receiver)).values_list("status", flat=True)
        ) == {MessageStatus.SUCCESS}
    for receiver in resetting:
        messages = Message.objects.filter(subscription=_subscription(receiver))
        assert messages.count() == events
        assert set(messages.values_list("status", flat=True)) == {MessageStatus.FAILED}
        assert set(messages.values_list("attempt_count", flat=True)) == {
            tries
        }  # the whole schedule, then FAILED
        failed = _failed_attempts(receiver)
        assert len(failed) == len(receiver.reset_requests) == events * tries and not receiver.requests
        assert all(RESET_ERROR in a.error and a.response_status_code == 0 for a in failed), {
            a.error for a in failed
        }
        assert not _subscription(receiver).disabled  # failing for seconds, not days: still enabled
