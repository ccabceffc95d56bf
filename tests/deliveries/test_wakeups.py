"""A publish's wake-up is handed to a delivery loop already running in the worker process (it claims the new
message at once, even while its own sends are slow) instead of starting a second loop; with no loop running
it starts one; and no wake-up is lost as a loop ends (deliveries/services/wakeups.py)."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection

from deliveries import tasks
from deliveries.models import Message, MessageStatus
from deliveries.services.dispatch import FIRST
from deliveries.services.wakeups import LaneLoops, loops
from tests.deliveries.conftest import send_event, subscribe


def test_a_wakeup_with_no_loop_running_is_not_absorbed():
    lanes = LaneLoops()
    assert lanes.absorb(FIRST) is False
    assert lanes.take_wakeup(FIRST) is False


def test_a_running_loop_takes_a_wakeup_once_and_its_doorbell_rings():
    lanes = LaneLoops()
    lanes.enter(FIRST)
    bell = lanes.doorbell(FIRST)
    assert lanes.absorb(FIRST) is True and bell.done()
    assert lanes.take_wakeup(FIRST) is True
    assert lanes.take_wakeup(FIRST) is False
    assert not lanes.doorbell(FIRST).done()  # a fresh bell for the next wake-up


def test_a_loop_about_to_end_claims_again_for_a_waiting_wakeup_then_ends():
    lanes = LaneLoops()
    lanes.enter(FIRST)
    lanes.absorb(FIRST)
    assert lanes.finish(FIRST) is False  # claims once more
    assert lanes.running(FIRST) == 1
    assert lanes.finish(FIRST) is True
    assert lanes.running(FIRST) == 0 and lanes.absorb(FIRST) is False  # the next wake-up starts a loop


def test_the_last_loop_quitting_with_a_wakeup_waiting_says_so_and_others_keep_it():
    lanes = LaneLoops()
    lanes.enter(FIRST)
    lanes.enter(FIRST)
    lanes.absorb(FIRST)
    assert lanes.quit(FIRST) is False  # another loop still runs and takes it
    assert lanes.quit(FIRST) is True  # the last one: the caller wakes a worker
    assert lanes.running(FIRST) == 0


@pytest.mark.django_db
def test_a_wakeup_with_nothing_running_delivers(acme, event_types, receiver):
    subscribe(acme.account, receiver.url)
    send_event(acme.account)
    assert tasks.deliver_due(True) == 1
    assert Message.objects.get().status == MessageStatus.SUCCESS


@pytest.mark.django_db(transaction=True)  # the running loop is another thread, with its own connection
def test_a_running_loop_takes_a_publish_wakeup_and_claims_its_message_while_its_own_send_is_slow(
    acme, globex, event_types, receiver_factory, settings, monkeypatch
):
    settings.EVENTHUB_DETACH_SLOW_SENDS_SECONDS = 5  # the slow send stays the loop's own
    monkeypatch.setattr("deliveries.services.engine.FLUSH_SECONDS", 2.0)  # only the doorbell wakes it early
    slow, fast = receiver_factory(), receiver_factory()
    slow.behaviour.delay = 0.8
    subscribe(acme.account, slow.url)
    subscribe(globex.account, fast.url)
    send_event(acme.account)
    results: list[int] = []

    def run_loop() -> None:
        try:
            results.append(tasks.deliver_due())
        finally:
            connection.close()

    loop = threading.Thread(target=run_loop)
    loop.start()
    try:
        slow.wait_for(1, timeout=5)  # the loop's send is on the wire for 0.8 s
        send_event(globex.account)
        woken_at = time.monotonic()
        assert tasks.deliver_due(True) == 0  # handed to the running loop: no second loop
        [received] = fast.wait_for(1, timeout=5)
        assert received.at - woken_at < 0.5  # claimed at once, not after the slow send ended
    finally:
        loop.join(10)
    assert results == [2]
    assert set(Message.objects.values_list("status", flat=True)) == {MessageStatus.SUCCESS}
    assert loops.running(FIRST) == 0
