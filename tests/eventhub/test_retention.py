"""Retention removes what is older than the account's retention, in batches, and nothing newer."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from eventhub.models import Event, EventType
from eventhub.services.retention import purge_account, purge_expired

pytestmark = pytest.mark.django_db


def _bulk_events(account, event_type, count, created):
    Event.objects.bulk_create(
        [
            Event(
                account=account, event_type=event_type, payload={"i": i}, created=created, occurred_at=created
            )
            for i in range(count)
        ],
        batch_size=5000,
    )


def test_old_events_go_in_batches_and_recent_ones_stay(acme, globex, event_types):
    now = timezone.now()
    card = EventType.objects.get(name="card.created")
    _bulk_events(acme.account, card, 1200, now - timedelta(days=31))
    _bulk_events(acme.account, card, 30, now - timedelta(days=29))
    _bulk_events(globex.account, card, 40, now - timedelta(days=31))
    globex.account.retention_days = 60
    globex.account.save()
    progress = []
    counts = purge_account(acme.account, now, batch_size=500, progress=progress.append)
    assert counts["events"] == 1200
    assert len([p for p in progress if p.startswith("events")]) == 3
    assert Event.objects.filter(account=acme.account).count() == 30
    assert purge_expired(now)["events"] == 0
    assert Event.objects.filter(account=globex.account).count() == 40


@pytest.mark.slow
def test_retention_on_100k_rows(acme, event_types):
    now = timezone.now()
    card = EventType.objects.get(name="card.created")
    _bulk_events(acme.account, card, 100_000, now - timedelta(days=40))
    _bulk_events(acme.account, card, 100, now)
    counts = purge_account(acme.account, now, batch_size=5000)
    assert counts["events"] == 100_000
    assert Event.objects.filter(account=acme.account).count() == 100
