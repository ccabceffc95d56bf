"""Fan-out: one message per enabled, matching subscription of the event's account, at most one kick per
commit, sent after it by the process's kicker thread."""

from __future__ import annotations

import pytest

from deliveries.models import Message, MessageStatus
from deliveries.services.dispatch import flush_kicks
from eventhub import hotcache
from eventhub.services.ingest import Submission, publish_batch
from tests.deliveries.conftest import send_event, subscribe

pytestmark = pytest.mark.django_db
URL = "http://127.0.0.1:9/hook"


def test_one_message_per_enabled_matching_subscription_of_the_account(acme, globex, event_types):
    everything = subscribe(acme.account, URL)
    cards = subscribe(acme.account, URL, event_types=["card.created"])
    subscribe(acme.account, URL, event_types=["balance.updated"])
    subscribe(acme.account, URL, disabled=True)
    subscribe(globex.account, URL)
    event = send_event(acme.account)
    messages = Message.objects.filter(event=event)
    assert {m.subscription_id for m in messages} == {everything.id, cards.id}
    assert all(m.status == MessageStatus.PENDING and m.next_attempt_at == event.created for m in messages)
    assert all(m.created == event.created and m.account_id == acme.account.id for m in messages)


def test_a_batch_sends_one_kick_after_commit_and_none_before(
    acme, event_types, kicks, django_capture_on_commit_callbacks
):
    subscribe(acme.account, URL)
    subscribe(acme.account, URL)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        publish_batch(acme.account, [Submission("card.created", {"card_token": str(i)}) for i in range(5)])
    assert Message.objects.count() == 10
    assert kicks == []  # nothing is sent before the rows are committed
    for callback in callbacks:
        callback()
    assert flush_kicks()
    assert kicks == ["deliveries.deliver_due"]


def test_fanout_costs_one_subscription_query_and_one_insert(
    acme, event_types, django_assert_num_queries, monkeypatch
):
    from deliveries.services.fanout import create_messages
    from eventhub.models import Event

    monkeypatch.setattr("eventhub.hotcache._clock", lambda: 1000.0)  # the memo does not expire mid-test

    for _ in range(3):
        subscribe(acme.account, URL)
    send_event(acme.account)
    events = list(Event.objects.all())
    Message.objects.all().delete()
    hotcache.clear()  # cold: the account's subscriptions are read (a publish in the last 0.5 s memoised them)
    with django_assert_num_queries(2):
        create_messages(events)
    assert Message.objects.count() == 3
    Message.objects.all().delete()
    with django_assert_num_queries(1):  # warm: the insert alone
        create_messages(events)
    assert Message.objects.count() == 3


def test_no_subscriptions_no_messages_no_kick(acme, event_types, kicks, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        send_event(acme.account)
    assert flush_kicks()
    assert Message.objects.count() == 0 and kicks == []
