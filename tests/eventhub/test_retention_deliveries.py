"""Retention with deliveries on PostgreSQL, where foreign keys are checked at commit (deferred): a message
whose late retry attempt is younger than the message, a message still pending, and an account whose
purge fails while the next account is still purged. Transactional tests: the commits must really happen."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from deliveries.models import Message, MessageAttempt, MessageStatus
from eventhub.models import Event, EventType
from eventhub.services.retention import purge_account, purge_expired
from subscriptions.services import create_subscription
from tests.conftest import require_service

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _postgresql():
    if connection.vendor != "postgresql":
        require_service("PostgreSQL", "deferred foreign keys are what made retention fail")


def _event(account, created):
    card = EventType.objects.get(name="card.created")
    return Event.objects.create(
        account=account, event_type=card, payload={}, created=created, occurred_at=created
    )


def _message(event, subscription, status, *, attempts_at=()):
    message = Message.objects.create(
        account=event.account,
        event=event,
        subscription=subscription,
        status=status,
        created=event.created,
        next_attempt_at=event.created if status == MessageStatus.PENDING else None,
    )
    for at in attempts_at:
        MessageAttempt.objects.create(
            account=event.account,
            message=message,
            event=event,
            subscription=subscription,
            status="FAILED",
            url=subscription.url,
            response_status_code=500,
            created=at,
        )
    return message


def _delivered_with_late_retry(account, now):
    """An event 31 days old, its message retried 27 h later (attempt 29.9 days old), then delivered."""
    subscription = create_subscription(account, url="https://hooks.example.com/a")
    event = _event(account, now - timedelta(days=31))
    late = event.created + timedelta(hours=27)
    message = _message(event, subscription, MessageStatus.SUCCESS, attempts_at=(event.created, late))
    return event, message


def test_a_message_whose_late_retry_is_younger_than_it_goes_with_all_its_attempts(acme, event_types):
    now = timezone.now()
    event, message = _delivered_with_late_retry(acme.account, now)
    recent = _event(acme.account, now - timedelta(days=1))
    counts = purge_account(acme.account, now)
    assert counts["events"] == 1 and counts["messages"] == 1 and counts["attempts"] == 2
    assert not Event.objects.filter(pk=event.pk).exists()
    assert not Message.objects.filter(pk=message.pk).exists()
    assert not MessageAttempt.objects.filter(event_id=event.pk).exists()
    assert Event.objects.filter(pk=recent.pk).exists()


@pytest.mark.parametrize("status", [MessageStatus.PENDING, MessageStatus.SENDING])
def test_an_expired_event_whose_delivery_is_under_way_stays_with_its_children(acme, event_types, status):
    now = timezone.now()
    subscription = create_subscription(acme.account, url="https://hooks.example.com/p")
    old = _event(acme.account, now - timedelta(days=40))
    in_flight = _message(old, subscription, status, attempts_at=(old.created,))
    if status == MessageStatus.SENDING:
        Message.objects.filter(pk=in_flight.pk).update(lease_expires_at=now + timedelta(minutes=1))
    counts = purge_account(acme.account, now)
    assert counts["events"] == 0 and counts["held"] == 1
    assert Event.objects.filter(pk=old.pk).exists()
    assert Message.objects.get(pk=in_flight.pk).status == status
    assert MessageAttempt.objects.filter(message=in_flight).count() == 1


def test_an_event_with_one_settled_and_one_pending_message_keeps_both(acme, event_types):
    """The event stays while any of its messages is under way; nothing of it is removed piecemeal."""
    now = timezone.now()
    first = create_subscription(acme.account, url="https://hooks.example.com/1")
    second = create_subscription(acme.account, url="https://hooks.example.com/2")
    old = _event(acme.account, now - timedelta(days=40))
    settled = _message(old, first, "FAILED", attempts_at=(old.created,))
    pending = _message(old, second, MessageStatus.PENDING)
    purge_account(acme.account, now)
    assert Message.objects.filter(pk__in=[settled.pk, pending.pk]).count() == 2
    assert MessageAttempt.objects.filter(message=settled).count() == 1


def test_one_accounts_failure_is_logged_and_the_next_account_is_still_purged(
    acme, globex, event_types, caplog
):
    now = timezone.now()
    first_event, _ = _delivered_with_late_retry(acme.account, now)  # acme is created first: purged first
    second_event, _ = _delivered_with_late_retry(globex.account, now)
    # Force acme's purge to fail: a row retention does not know about keeps acme's old event referenced.
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE retention_test_pin (event_id bigint REFERENCES eventhub_event(id) DEFERRABLE INITIALLY DEFERRED)"
        )
        cursor.execute("INSERT INTO retention_test_pin VALUES (%s)", [first_event.pk])
    try:
        totals = purge_expired(now)
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE retention_test_pin")
    assert totals["failed_accounts"] == 1
    assert "retention failed for account " + acme.token in caplog.text
    assert Event.objects.filter(pk=first_event.pk).exists()
    assert not Event.objects.filter(pk=second_event.pk).exists()
    assert not Message.objects.filter(account=globex.account).exists()
    # The next run, with the obstacle gone, purges acme as well.
    assert purge_expired(now)["events"] == 1
    assert not Event.objects.filter(pk=first_event.pk).exists()


def test_the_default_retention_setting_applies_when_the_account_has_no_own_value(acme, event_types, settings):
    now = timezone.now()
    settings.EVENTHUB_DEFAULT_RETENTION_DAYS = 5
    acme.account.retention_days = None  # the model field may become nullable; the service reads the setting
    old = _event(acme.account, now - timedelta(days=6))
    young = _event(acme.account, now - timedelta(days=4))
    assert purge_account(acme.account, now)["events"] == 1
    assert not Event.objects.filter(pk=old.pk).exists() and Event.objects.filter(pk=young.pk).exists()
