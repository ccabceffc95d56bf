"""Portal test helpers: mint a link through the API and open it in a Django test client (a browser's
cookie jar), plus bulk deliveries for list pages. Nothing reaches a broker."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from urllib.parse import urlparse

import pytest
from django.test import Client
from django.utils import timezone

from deliveries import tasks
from deliveries.models import AttemptStatus, Message, MessageAttempt, MessageStatus
from deliveries.services.dispatch import flush_kicks
from eventhub.models import Event
from subscriptions.models import EventSubscription


@pytest.fixture(autouse=True)
def kicks(monkeypatch) -> Iterator[list[str]]:
    sent: list[str] = []
    for task in (tasks.deliver_due, tasks.deliver_retries, tasks.sweep, tasks.run_recovery_job):
        monkeypatch.setattr(task, "apply_async", lambda *a, _name=task.name, **k: sent.append(_name))
        monkeypatch.setattr(task, "delay", lambda *a, _name=task.name, **k: sent.append(_name))
    yield sent
    flush_kicks()  # a committed transaction's kick is sent by the kicker thread: never after the patch goes


def mint(keyed, **options) -> dict:
    """POST /v1/portal_sessions with the account's key; the response body."""
    response = keyed.client().post("/v1/portal_sessions", options, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def open_portal(keyed, *, client: Client | None = None, **options) -> Client:
    """A browser with a portal session for `keyed`'s account (the link opened once)."""
    client = client or Client()
    response = client.get(urlparse(mint(keyed, **options)["url"]).path)
    assert response.status_code == 302, response.content
    return client


def add_deliveries(
    subscription: EventSubscription, count: int, *, event_type: str = "card.created", failed_every: int = 0
) -> list[Message]:
    """`count` events with one message and one attempt each (every `failed_every`-th failed with a 500)."""
    now = timezone.now() - timedelta(minutes=5)
    account = subscription.account
    events = Event.objects.bulk_create(
        [
            Event(
                account=account,
                event_type_id=event_type,
                payload={"card_token": f"c{i}"},
                created=now - timedelta(seconds=i),
                occurred_at=now - timedelta(seconds=i),
            )
            for i in range(count)
        ]
    )
    failed = [bool(failed_every) and i % failed_every == 0 for i in range(count)]
    messages = Message.objects.bulk_create(
        [
            Message(
                account=account,
                event=e,
                subscription=subscription,
                created=e.created,
                attempt_count=1,
                status=MessageStatus.FAILED if failed[i] else MessageStatus.SUCCESS,
                last_attempt_at=e.created,
            )
            for i, e in enumerate(events)
        ]
    )
    MessageAttempt.objects.bulk_create(
        [
            MessageAttempt(
                account=account,
                message=m,
                event_id=m.event_id,
                subscription=subscription,
                url=subscription.url,
                status=AttemptStatus.FAILED if failed[i] else AttemptStatus.SUCCESS,
                response_status_code=500 if failed[i] else 200,
                response_body="boom" if failed[i] else "ok",
                duration_ms=100 + i,
                created=m.created,
            )
            for i, m in enumerate(messages)
        ]
    )
    return messages
