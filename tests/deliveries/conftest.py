"""Delivery test helpers: subscriptions pointing at real loopback receivers, publishing through ingest,
a short retry schedule and timeouts, and a record of worker kicks instead of a broker (the e2e tests
run the real broker and worker)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import pytest

from deliveries import tasks
from deliveries.services import engine
from deliveries.services.dispatch import ANY, flush_kicks
from eventhub.models import Account, Event
from eventhub.services.ingest import publish
from subscriptions.models import EventSubscription
from subscriptions.services import create_subscription


@pytest.fixture(autouse=True)
def delivery_settings(settings):
    settings.EVENTHUB_RETRY_SCHEDULE = [10.0, 20.0, 40.0]
    settings.EVENTHUB_DELIVERY_TIMEOUT = 1.0
    settings.EVENTHUB_CONNECT_TIMEOUT = 0.5
    settings.EVENTHUB_LEASE_SECONDS = 30
    settings.EVENTHUB_AUTO_DISABLE_DAYS = 5.0
    return settings


@pytest.fixture(autouse=True)
def kicks(monkeypatch) -> Iterator[list[str]]:
    """Names of the tasks the code under test enqueued, in order (nothing reaches a broker)."""
    sent: list[str] = []
    for task in (tasks.deliver_due, tasks.deliver_retries, tasks.sweep, tasks.run_recovery_job):
        monkeypatch.setattr(task, "apply_async", lambda *a, _name=task.name, **k: sent.append(_name))
        monkeypatch.setattr(task, "delay", lambda *a, _name=task.name, **k: sent.append(_name))
    yield sent
    flush_kicks()  # a committed transaction's kick is sent by the kicker thread: never after the patch goes


def subscribe(account: Account, url: str, **fields) -> EventSubscription:
    return create_subscription(account, url=url, **fields)


def send_event(account: Account, event_type: str = "card.created", **payload) -> Event:
    return publish(account, event_type, {"card_token": "c1", **payload}).event


def deliver(now: datetime | None = None, **kwargs) -> int:
    """Run the worker's delivery loop in-process until nothing is due."""
    return engine.deliver_due(ANY, now=now, **kwargs)
