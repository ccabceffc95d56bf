"""The scheduler at 100,000 entities x 5 configurations on PostgreSQL. Not a timed assertion: the
phases are printed (bench/scheduler.py runs the same measurement outside pytest)."""

from __future__ import annotations

import pytest
from django.db import connection

from bench.scheduler import DUE_NOW, measure
from eventhub.models import Event
from scheduled_events.models import ScheduledOccurrence
from tests.conftest import require_service

ENTITIES, CONFIGURATIONS = 100_000, 5


@pytest.mark.postgres
@pytest.mark.timeout(900)
@pytest.mark.django_db(transaction=True)
def test_one_hundred_thousand_entities_times_five_configurations(acme, capsys):
    if connection.vendor != "postgresql":
        require_service("PostgreSQL", "the scale run measures the PostgreSQL path")
    with capsys.disabled():
        print()
        timings = measure(
            acme.account, ENTITIES, CONFIGURATIONS, say=lambda line: print(f"scheduler scale: {line}")
        )
    assert (
        ScheduledOccurrence.objects.filter(
            account=acme.account, fired_at__isnull=True, cancelled=False
        ).count()
        > 0
    )
    assert Event.objects.filter(account=acme.account, event_type__category="scheduled").count() == DUE_NOW
    assert set(timings) == {"seed", "full", "incremental", "idle", "reconcile"}
