"""Admin test helpers: a logged-in superuser client, a small world (account, subscription, events,
messages, attempts) built through the services or bulk inserts, and worker kicks recorded instead of
sent to a broker."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.utils import timezone

from deliveries import tasks
from deliveries.models import AttemptStatus, Message, MessageAttempt, MessageStatus
from deliveries.services.dispatch import flush_kicks
from eventhub.models import Event
from eventhub.services.accounts import create_account_with_key
from subscriptions.services import create_subscription


@pytest.fixture(autouse=True)
def kicks(monkeypatch) -> Iterator[list[str]]:
    """Delivery tasks the admin enqueued (nothing reaches a broker); a test runs a queued job with run_job."""
    sent: list[str] = []
    for task in (tasks.deliver_due, tasks.deliver_retries, tasks.sweep, tasks.run_recovery_job):
        monkeypatch.setattr(task, "apply_async", lambda *a, _name=task.name, **k: sent.append(_name))
        monkeypatch.setattr(task, "delay", lambda *a, _name=task.name, **k: sent.append(_name))
    yield sent
    flush_kicks()  # a committed transaction's kick is sent by the kicker thread: never after the patch goes


@pytest.fixture(autouse=True)
def _health_uncached(settings):
    """Each test sees its own rows on the health page (the cache is tested on its own)."""
    settings.EVENTHUB_HEALTH_CACHE_SECONDS = 0


@pytest.fixture
def staff(admin_client):
    """The Django test client, logged in as a superuser."""
    return admin_client


class World:
    """An account with one subscription and helpers to add events with messages and attempts in bulk."""

    def __init__(self, name: str = "Acme", url: str = "https://hooks.example.com/acme"):
        self.account, issued = create_account_with_key(name)
        self.raw_key = issued.raw_key
        self.subscription = create_subscription(self.account, url=url, description="primary endpoint")

    def add_deliveries(
        self,
        count: int,
        *,
        event_type: str = "card.created",
        failed_every: int = 0,
        age: timedelta = timedelta(minutes=5),
        subscription=None,
        duration_ms=120,
    ) -> list[Message]:
        """`count` events, each with one message and one attempt (every `failed_every`-th one failed with a 500)."""
        subscription = subscription or self.subscription
        now = timezone.now() - age
        events = Event.objects.bulk_create(
            [
                Event(
                    account=self.account,
                    event_type_id=event_type,
                    payload={"event_type": event_type, "card_token": f"c{i}"},
                    created=now - timedelta(seconds=i),
                    occurred_at=now - timedelta(seconds=i),
                )
                for i in range(count)
            ]
        )
        messages = Message.objects.bulk_create(
            [
                Message(
                    account=self.account,
                    event=e,
                    subscription=subscription,
                    created=e.created,
                    attempt_count=1,
                    status=MessageStatus.FAILED
                    if failed_every and i % failed_every == 0
                    else MessageStatus.SUCCESS,
                    last_attempt_at=e.created,
                )
                for i, e in enumerate(events)
            ]
        )
        MessageAttempt.objects.bulk_create(
            [
                MessageAttempt(
                    account=self.account,
                    message=m,
                    event_id=m.event_id,
                    subscription=subscription,
                    url=subscription.url,
                    status=AttemptStatus.FAILED
                    if m.status == MessageStatus.FAILED
                    else AttemptStatus.SUCCESS,
                    response_status_code=500 if m.status == MessageStatus.FAILED else 200,
                    duration_ms=duration_ms + i,
                    created=m.created,
                    error="HTTP 500" if m.status == MessageStatus.FAILED else "",
                )
                for i, m in enumerate(messages)
            ]
        )
        return messages


@pytest.fixture
def world(event_types) -> World:
    return World()
