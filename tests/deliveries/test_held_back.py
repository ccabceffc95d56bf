"""A delivery loop claims again after recording only when a subscription's concurrency cap held due
messages back: anything committed after the loop started comes with a kick of its own, and the claim that
found nothing was a third of all claims at moderate load (docs/performance.md, "Seventh round")."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from deliveries.models import Message, MessageStatus
from deliveries.services.claims import claim_messages
from deliveries.services.dispatch import ANY
from tests.deliveries.conftest import deliver, send_event, subscribe

pytestmark = pytest.mark.django_db


def _claims(captured: CaptureQueriesContext) -> int:
    return sum("WITH inflight" in query["sql"] for query in captured.captured_queries)


def test_a_claim_under_every_cap_holds_nothing_back(acme, event_types):
    subscribe(acme.account, "https://example.com/hook", max_concurrency=5)
    send_event(acme.account)
    send_event(acme.account)
    claim = claim_messages(ANY, None, 10)
    assert len(claim.messages) == 2 and claim.held_back is False


def test_a_claim_says_when_a_cap_held_due_messages_back(acme, event_types):
    subscribe(acme.account, "https://example.com/hook", max_concurrency=2)
    for _ in range(3):
        send_event(acme.account)
    claim = claim_messages(ANY, None, 10)
    assert len(claim.messages) == 2 and claim.held_back is True  # its room was 2 of the 3 due
    again = claim_messages(ANY, None, 10)
    assert again.messages == [] and again.held_back is True  # at its cap: nothing to take, one left


def test_a_loop_no_cap_held_back_ends_when_its_sends_are_recorded(acme, event_types, receiver):
    subscribe(acme.account, receiver.url)
    send_event(acme.account)
    send_event(acme.account)
    with CaptureQueriesContext(connection) as captured:
        assert deliver() == 2
    assert _claims(captured) == 1  # no claim that could only find nothing
    assert Message.objects.filter(status=MessageStatus.SUCCESS).count() == 2


def test_a_loop_comes_back_for_messages_its_cap_held_back(acme, event_types, receiver):
    subscribe(acme.account, receiver.url, max_concurrency=1)
    for _ in range(3):
        send_event(acme.account)
    with CaptureQueriesContext(connection) as captured:
        assert deliver() == 3
    assert _claims(captured) >= 3  # one message per slot, each claimed after the last was recorded
    assert len(receiver.requests) == 3
