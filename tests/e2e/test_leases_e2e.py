"""Two live workers, a tarpit endpoint (accepts, answers slowly) behind many subscriptions, a short lease:
no message is sent twice. Each worker claims only what its senders can start at once, and a claimed
message that could not finish within its lease is given back instead of sent, so a lease never runs out
while its message waits in a worker's queue for the other worker to take it over and send it too."""

from __future__ import annotations

from collections import Counter

import pytest
from django.core.management import call_command

from deliveries.models import Message, MessageStatus
from subscriptions.services import create_subscription
from tests.deliveries.conftest import send_event
from tests.e2e.conftest import wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
SUBSCRIPTIONS, EVENTS = 50, 10
TARPIT = {"EVENTHUB_CLAIM_BATCH": "4", "EVENTHUB_LEASE_SECONDS": "5", "EVENTHUB_DELIVERY_TIMEOUT": "3"}


def test_two_live_workers_never_send_a_message_twice_to_a_tarpit(worker_factory, acme, event_types, receiver):
    receiver.behaviour.delay = 1.0  # slow, yet well within the 3 s delivery timeout: every send succeeds
    # Beat's sweeper wakes workers whenever a lease has run out, registered as `make run` does.
    call_command("setup_beat", verbosity=0)
    first, second = worker_factory(env=TARPIT, beat=True), worker_factory(env=TARPIT)
    for index in range(SUBSCRIPTIONS):
        create_subscription(acme.account, url=f"{receiver.url}/s{index}")
    for index in range(EVENTS):
        send_event(acme.account, card_token=f"c{index}")
    total = SUBSCRIPTIONS * EVENTS

    def all_delivered() -> bool:
        assert first.process.poll() is None and second.process.poll() is None, "a worker died"
        return Message.objects.filter(status=MessageStatus.SUCCESS).count() == total

    wait_until(all_delivered, timeout=90, interval=0.25, message=f"{total} messages to be delivered")
    sent = Counter(request.headers["webhook-id"] for request in receiver.requests)
    twice = {message_id: count for message_id, count in sent.items() if count > 1}
    assert not twice, f"{len(twice)} messages sent more than once: {twice}"
    assert len(sent) == total
    assert first.process.poll() is None and second.process.poll() is None  # both were alive throughout
