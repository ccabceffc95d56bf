"""Faults during a stream of 2,000 deliveries: every message ends delivered, none lost, and duplicates
only where at-least-once permits them (a worker killed between the HTTP call and its record)."""

from __future__ import annotations

import time
from urllib.parse import urlsplit

import pytest
from django.conf import settings

from deliveries.models import Message, MessageStatus
from subscriptions.models import DisabledReason, EventSubscription
from subscriptions.services import create_subscription
from tests.faults.conftest import drain_and_count, publish_stream, restart_redis

pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True), pytest.mark.timeout(420)]
BATCHES, PER_BATCH, SUBSCRIPTIONS = 10, 50, 4  # 500 events x 4 subscriptions = 2,000 deliveries


def _subscribed(account, receiver_factory, count=SUBSCRIPTIONS):
    receivers = [receiver_factory() for _ in range(count)]
    for receiver in receivers:
        create_subscription(account, url=receiver.url)
    return receivers


def test_worker_sigkilled_five_times_during_the_stream(
    beat_schedule, worker_factory, acme, event_types, receiver_factory
):
    receivers = _subscribed(acme.account, receiver_factory)
    for receiver in receivers:
        receiver.behaviour.delay = 0.02  # keeps deliveries in flight when the kill lands
    workers = [worker_factory(beat=True)]
    kills = []

    def kill_every_other_batch(batch: int) -> None:
        if batch % 2 == 1:
            time.sleep(0.5)
            workers[-1].kill()
            kills.append(batch)
            workers.append(worker_factory(beat=True))

    started = time.monotonic()
    publish_stream(acme.account, BATCHES, PER_BATCH, kill_every_other_batch)
    result = drain_and_count("worker_sigkill_x5", receivers, started)
    assert len(kills) == 5
    assert result.sent == BATCHES * PER_BATCH * SUBSCRIPTIONS
    assert result.lost == 0 and result.delivered == result.sent
    # At-least-once: a duplicate needs a kill between a send and its record; each kill can strand at
    # most the batches that worker had in flight.
    assert result.duplicates <= 5 * settings.EVENTHUB_CLAIM_BATCH * SUBSCRIPTIONS


def test_redis_restarted_and_flushed_mid_stream(
    beat_schedule, redis_restorer, worker_factory, acme, event_types, receiver_factory
):
    if not settings.CELERY_BROKER_URL.startswith("redis"):
        pytest.skip("the broker is not Redis (CELERY_BROKER_URL)")
    broker_db = int(urlsplit(settings.CELERY_BROKER_URL).path.lstrip("/") or 0)
    receivers = _subscribed(acme.account, receiver_factory)
    worker_factory(beat=True)
    restarts = []

    def restart_midway(batch: int) -> None:
        if batch in (3, 6):
            restart_redis(
                flush_db=broker_db if batch == 6 else None
            )  # the second time, its queues are gone too
            restarts.append(batch)

    started = time.monotonic()
    publish_stream(acme.account, BATCHES, PER_BATCH, restart_midway)
    result = drain_and_count("redis_restart_and_flush", receivers, started)
    assert restarts == [3, 6]
    assert result.lost == 0 and result.delivered == result.sent == BATCHES * PER_BATCH * SUBSCRIPTIONS
    assert result.duplicates == 0  # no worker died: the database claims make every send exactly once


def test_two_workers_with_two_beats_deliver_each_message_once(
    beat_schedule, worker_factory, acme, event_types, receiver_factory
):
    receivers = _subscribed(acme.account, receiver_factory)
    worker_factory(beat=True)
    worker_factory(beat=True)
    started = time.monotonic()
    publish_stream(acme.account, BATCHES, PER_BATCH)
    result = drain_and_count("two_workers_two_beats", receivers, started)
    assert result.lost == 0 and result.delivered == result.sent
    assert result.duplicates == 0


def test_misbehaving_receivers_end_in_a_final_state_without_hurting_a_healthy_one(
    beat_schedule, worker_factory, acme, event_types, receiver_factory
):
    healthy, failing, throttling, gone, hanging, huge, trickling = (receiver_factory() for _ in range(7))
    failing.behaviour.default_status = 500
    throttling.behaviour.statuses = [429, 429]
    throttling.behaviour.headers = {"Retry-After": "1"}
    gone.behaviour.default_status = 410
    hanging.behaviour.hang = True
    huge.behaviour.body_size = 50 * 1024 * 1024
    trickling.behaviour.trickle_seconds = 1.0
    trickling.behaviour.body = b"x" * 60
    for receiver in (healthy, failing, throttling, gone, hanging, huge, trickling):
        create_subscription(acme.account, url=receiver.url)
    worker_factory(beat=True)
    started = time.monotonic()
    publish_stream(
        acme.account, 2, 20
    )  # 40 events x 7 subscriptions (the hanging one costs a timeout per try)
    # Here "duplicates" counts the 429 receiver's retries (same webhook-id by design), not double sends.
    result = drain_and_count("misbehaving_receivers", [healthy, throttling, huge], started, timeout=240)

    def statuses(receiver):
        return set(Message.objects.filter(subscription__url=receiver.url).values_list("status", flat=True))

    assert statuses(healthy) == statuses(throttling) == statuses(huge) == {MessageStatus.SUCCESS}
    assert statuses(failing) == statuses(hanging) == {MessageStatus.FAILED}
    # A trickling body: the 2xx status arrived within the timeout, so it counts; the read stops at the
    # deadline (the drain finishing at all shows the worker was not held 60 s per message).
    assert statuses(trickling) <= {MessageStatus.SUCCESS, MessageStatus.FAILED}
    assert MessageStatus.SUCCESS not in statuses(gone)
    # 410 disabled it at once: it got only what was already claimed when the first 410 was recorded
    # (at most the in-flight cap plus one claim made concurrently with that record), never all 40.
    assert len(gone.requests) <= 2 * settings.EVENTHUB_SUBSCRIPTION_CONCURRENCY < 40
    gone_subscription = EventSubscription.objects.get(url=gone.url)
    assert gone_subscription.disabled and gone_subscription.disabled_reason == DisabledReason.GONE
    assert result.lost == 0
