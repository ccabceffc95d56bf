"""Loops that stop polling (deliveries/services/engine.py): under a trickle, only POLLING_LOOPS loops of a
lane keep re-claiming after each record; the others end once their sends are recorded. A full claim (a
backlog) keeps every loop going."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from deliveries.models import Message, MessageStatus
from deliveries.services import engine
from deliveries.services.dispatch import FIRST
from deliveries.services.engine import POLLING_LOOPS, running_loops
from tests.deliveries.conftest import send_event, subscribe

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def other_loops():
    """Pretend `count` other loops of the first lane run in this process."""
    entered = []

    def enter(count: int) -> None:
        for _ in range(count):
            running_loops.enter(FIRST)
            entered.append(FIRST)

    yield enter
    for lane in entered:
        running_loops.leave(lane)


def _claims_made(run) -> int:
    with CaptureQueriesContext(connection) as queries:
        run()
    return sum("WITH inflight AS" in query["sql"] for query in queries.captured_queries)


def test_a_surplus_loop_with_a_short_claim_ends_after_recording(acme, event_types, receiver, other_loops):
    subscribe(acme.account, receiver.url)
    send_event(acme.account)
    other_loops(POLLING_LOOPS)  # with this one, one more than keep polling
    assert _claims_made(lambda: engine.deliver_due(FIRST)) == 1  # no second claim after the record
    assert Message.objects.get().status == MessageStatus.SUCCESS


def test_one_of_the_polling_loops_claims_again_after_recording(acme, event_types, receiver, other_loops):
    subscribe(acme.account, receiver.url)
    send_event(acme.account)
    other_loops(POLLING_LOOPS - 1)
    assert _claims_made(lambda: engine.deliver_due(FIRST)) == 2  # the second finds nothing and ends it
    assert Message.objects.get().status == MessageStatus.SUCCESS


def test_a_loop_whose_claims_come_back_full_never_retires(acme, event_types, receiver, other_loops, settings):
    settings.EVENTHUB_CLAIM_BATCH = 2
    subscribe(acme.account, receiver.url)
    for index in range(5):
        send_event(acme.account, card_token=f"c{index}")
    other_loops(POLLING_LOOPS + 3)
    engine.deliver_due(FIRST)  # claims of 1 (half a batch of 2) are full: it delivers the whole backlog
    assert set(Message.objects.values_list("status", flat=True)) == {MessageStatus.SUCCESS}


def test_retiring_never_leaves_fewer_than_polling_loops_counted():
    for _ in range(POLLING_LOOPS + 2):
        running_loops.enter(FIRST)
    retired = [running_loops.retire(FIRST) for _ in range(POLLING_LOOPS + 2)]
    assert retired == [True, True] + [False] * POLLING_LOOPS
    for _ in range(POLLING_LOOPS):
        running_loops.leave(FIRST)
    assert running_loops.retire(FIRST) is False  # none left counted: nothing to retire
