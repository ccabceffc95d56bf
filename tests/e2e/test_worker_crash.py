"""A worker SIGKILLed mid-delivery loses nothing: the lease runs out, beat's sweeper wakes a new worker,
the message is claimed again and delivered (at least once: the receiver may see it twice)."""

from __future__ import annotations

import pytest

from deliveries.beat import PERIODIC_TASKS
from deliveries.models import AttemptStatus, Message, MessageAttempt, MessageStatus
from eventhub.services.ingest import publish
from subscriptions.services import create_subscription
from tests.e2e.conftest import wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _schedule_the_sweeper() -> None:
    from django_celery_beat.models import IntervalSchedule, PeriodicTask

    for entry in PERIODIC_TASKS:
        interval, _ = IntervalSchedule.objects.get_or_create(
            every=entry["every_seconds"], period=IntervalSchedule.SECONDS
        )
        PeriodicTask.objects.update_or_create(
            name=entry["name"], defaults={"task": entry["task"], "interval": interval}
        )


def test_a_worker_killed_mid_delivery_loses_nothing(worker_factory, acme, event_types, receiver):
    _schedule_the_sweeper()
    receiver.behaviour.delays = [2.5]  # the first try is slow: the worker dies while waiting for it
    subscription = create_subscription(acme.account, url=receiver.url)
    first_worker = worker_factory(beat=True)
    event = publish(acme.account, "card.created", {"card_token": "c1"}).event  # commits, then kicks
    [first] = receiver.wait_for(1, timeout=20)
    first_worker.kill()
    message = Message.objects.get(event=event, subscription=subscription)
    assert message.status == MessageStatus.SENDING and message.attempt_count == 0

    worker_factory(beat=True)
    wait_until(
        lambda: Message.objects.get(pk=message.pk).status == MessageStatus.SUCCESS,
        timeout=30,
        message="the message to be delivered after the lease expired",
    )
    again = receiver.requests[1]
    assert again.headers["webhook-id"] == first.headers["webhook-id"] == message.token
    assert list(MessageAttempt.objects.filter(message=message).values_list("status", flat=True)) == [
        AttemptStatus.SUCCESS
    ]
