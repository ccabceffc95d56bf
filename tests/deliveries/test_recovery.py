"""Resend, recover, replay missing and send example, at the service level against real receivers."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone
from standardwebhooks import Webhook

from deliveries.models import (
    AttemptStatus,
    Message,
    MessageAttempt,
    MessageStatus,
    RecoveryJob,
    RecoveryStatus,
)
from deliveries.services import recovery
from eventhub.errors import InvalidInput, NotFound
from eventhub.models import Event
from subscriptions.services import current_secret, set_disabled
from tests.deliveries.conftest import deliver, send_event, subscribe

pytestmark = pytest.mark.django_db


def _fail_for_good(receiver, now):
    """Deliver until every message is FAILED (the test schedule has three retries)."""
    receiver.behaviour.default_status = 500
    for offset in (0, 10, 30, 70):
        deliver(now=now + timedelta(seconds=offset))


def test_resend_makes_a_new_attempt_now_even_after_success(acme, event_types, receiver):
    subscription = subscribe(acme.account, receiver.url)
    event = send_event(acme.account)
    deliver()
    message = recovery.resend(event, subscription)
    assert Message.objects.get(pk=message.pk).status == MessageStatus.PENDING
    deliver()
    first, second = receiver.wait_for(2)
    assert first.headers["webhook-id"] == second.headers["webhook-id"] == message.token
    message.refresh_from_db()
    assert message.status == MessageStatus.SUCCESS and message.attempt_count == 2


def test_resend_creates_the_message_when_there_was_none(acme, event_types, receiver):
    event = send_event(acme.account)  # published before the subscription existed
    subscription = subscribe(acme.account, receiver.url)
    message = recovery.resend(event, subscription)
    assert message.created == event.created
    deliver()
    assert json.loads(receiver.wait_for(1)[0].body)["event_type"] == "card.created"


def test_resend_refuses_another_accounts_event_a_filtered_type_and_a_disabled_subscription(
    acme, globex, event_types
):
    theirs = send_event(globex.account)
    subscription = subscribe(acme.account, "http://127.0.0.1:9/hook", event_types=["balance.updated"])
    with pytest.raises(NotFound):
        recovery.resend(theirs, subscription)
    with pytest.raises(InvalidInput):
        recovery.resend(send_event(acme.account), subscription)
    set_disabled(subscription, True)
    with pytest.raises(InvalidInput):
        recovery.resend(send_event(acme.account, "balance.updated"), subscription)


def test_recover_reschedules_failed_messages_only(acme, event_types, receiver):
    subscription = subscribe(acme.account, receiver.url)
    ok_event = send_event(acme.account)
    deliver()  # this one succeeds
    failing_event = send_event(acme.account)
    now = timezone.now()
    _fail_for_good(receiver, now)
    set_disabled(subscription, True)
    missing_event = send_event(acme.account)  # no message: recover must not create one
    set_disabled(subscription, False)
    failed = Message.objects.get(event=failing_event)
    assert failed.status == MessageStatus.FAILED
    count = recovery.recover_messages(subscription, now - timedelta(hours=1), now + timedelta(hours=1), now)
    assert count == 1
    failed.refresh_from_db()
    assert (
        failed.status == MessageStatus.PENDING and failed.schedule_step == 0 and failed.next_attempt_at == now
    )
    assert Message.objects.get(event=ok_event).status == MessageStatus.SUCCESS
    assert not Message.objects.filter(event=missing_event).exists()
    receiver.behaviour.default_status = 200
    deliver()
    failed.refresh_from_db()
    assert failed.status == MessageStatus.SUCCESS and failed.attempt_count == 5


def test_recover_leaves_messages_outside_the_window_and_ones_that_once_succeeded(acme, event_types, receiver):
    subscription = subscribe(acme.account, receiver.url)
    send_event(acme.account)
    now = timezone.now()
    _fail_for_good(receiver, now)
    later = now + timedelta(days=1)
    assert recovery.recover_messages(subscription, later, later + timedelta(hours=1), later) == 0
    message = Message.objects.get()
    message.succeeded_at = now  # it succeeded once (a resend), then failed again
    message.save()
    assert recovery.recover_messages(subscription, now - timedelta(hours=1), later, later) == 0


def test_replay_missing_creates_messages_only_for_events_without_one(acme, event_types, receiver):
    subscription = subscribe(acme.account, receiver.url, event_types=["card.created"])
    delivered = send_event(acme.account)
    deliver()
    failing = send_event(acme.account)
    _fail_for_good(receiver, timezone.now())
    set_disabled(subscription, True)
    missed = [send_event(acme.account), send_event(acme.account)]
    send_event(acme.account, "balance.updated")  # not a type the subscription takes
    set_disabled(subscription, False)
    failed_before = Message.objects.get(event=failing)
    assert failed_before.status == MessageStatus.FAILED
    now = timezone.now()
    count = recovery.replay_missing_messages(
        subscription, now - timedelta(hours=1), now + timedelta(seconds=1), now
    )
    assert count == 2
    assert set(
        Message.objects.filter(subscription=subscription, status=MessageStatus.PENDING).values_list(
            "event_id", flat=True
        )
    ) == {e.id for e in missed}
    failed_before.refresh_from_db()
    assert failed_before.status == MessageStatus.FAILED  # replay never touches failed messages
    assert Message.objects.get(event=delivered).status == MessageStatus.SUCCESS
    assert (
        recovery.replay_missing_messages(
            subscription, now - timedelta(hours=1), now + timedelta(seconds=1), now
        )
        == 0
    )


def test_a_request_while_an_equal_job_is_queued_or_running_returns_that_job(
    acme, event_types, kicks, django_capture_on_commit_callbacks
):
    subscription = subscribe(acme.account, "http://127.0.0.1:9/hook")
    now = timezone.now()
    begin, end = now - timedelta(hours=2), now
    with django_capture_on_commit_callbacks(execute=True):
        first = recovery.recover(subscription, begin, end)
        again = recovery.recover(subscription, begin + timedelta(minutes=1), end)  # inside the first window
        RecoveryJob.objects.filter(pk=first.pk).update(status=RecoveryStatus.RUNNING)
        while_running = recovery.recover(subscription, begin, end)
        replay = recovery.replay_missing(subscription, begin, end)  # another kind is another job
    assert again.pk == first.pk == while_running.pk and replay.pk != first.pk
    assert kicks.count("deliveries.run_recovery_job") == 2
    assert recovery.run_job(first.pk) is None  # already running elsewhere: a duplicate task does nothing


def test_a_job_runs_once_and_records_what_it_did(acme, event_types, receiver, kicks):
    subscription = subscribe(acme.account, receiver.url)
    send_event(acme.account)
    now = timezone.now()
    _fail_for_good(receiver, now)
    job = recovery.recover(subscription, now - timedelta(hours=1), now + timedelta(minutes=5))
    done = recovery.run_job(job.pk)
    assert done.status == RecoveryStatus.DONE and done.messages == 1 and done.finished_at
    assert recovery.run_job(job.pk) is None
    assert "deliveries.deliver_due" in kicks


def test_recovery_windows_are_capped(acme, event_types, settings):
    subscription = subscribe(acme.account, "http://127.0.0.1:9/hook")
    now = timezone.now()
    with pytest.raises(InvalidInput, match="14 days"):
        recovery.recover(subscription, now - timedelta(days=15), now)
    with pytest.raises(InvalidInput, match="before end"):
        recovery.replay_missing(subscription, now, now - timedelta(hours=1))
    begin, end = recovery.recovery_window(None, None, now)
    assert end == now and begin == now - timedelta(days=14)


def test_recovery_touches_at_most_the_message_cap(acme, event_types, receiver, settings):
    settings.EVENTHUB_RECOVERY_MAX_MESSAGES = 3
    subscription = subscribe(acme.account, receiver.url)
    set_disabled(subscription, True)
    for _ in range(5):
        send_event(acme.account)
    set_disabled(subscription, False)
    now = timezone.now()
    assert (
        recovery.replay_missing_messages(
            subscription, now - timedelta(hours=1), now + timedelta(seconds=1), now
        )
        == 3
    )


def test_send_example_delivers_the_types_example_as_an_example(acme, event_types, receiver):
    subscription = subscribe(acme.account, receiver.url, event_types=["card.shipped"])
    message = recovery.send_example(subscription, "card.updated")
    assert message.is_example and message.event.is_example
    deliver()
    [got] = receiver.wait_for(1)
    assert json.loads(got.body) == {"card_token": "c1", "event_type": "card.updated"}
    assert (
        Webhook(current_secret(subscription)).verify(got.body.decode(), got.headers)["event_type"]
        == "card.updated"
    )
    assert MessageAttempt.objects.get().status == AttemptStatus.SUCCESS
    assert not Event.objects.filter(is_example=False).exists()


def test_send_example_defaults_to_the_subscriptions_first_type_and_rejects_unknown_ones(acme, event_types):
    filtered = subscribe(acme.account, "http://127.0.0.1:9/hook", event_types=["card.shipped"])
    assert recovery.send_example(filtered).event.event_type_id == "card.shipped"
    everything = subscribe(acme.account, "http://127.0.0.1:9/hook")
    with pytest.raises(InvalidInput) as missing:
        recovery.send_example(everything)
    assert "event_type" in missing.value.errors
    with pytest.raises(InvalidInput):
        recovery.send_example(everything, "no.such.type")
