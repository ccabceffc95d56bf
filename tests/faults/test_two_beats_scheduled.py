"""Two workers, each with its own beat, both dispatching the scheduler every second over 1,000+ due
occurrences: each occurrence fires exactly one event, and each of those events is delivered exactly
once per subscription (both beats also sweep: no double sends)."""

from __future__ import annotations

import re
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.utils import timezone
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from deliveries.models import Message, MessageStatus
from eventhub.models import Event
from eventhub.services.ingest import Submission, publish_batch
from scheduled_events.beat import PERIODIC_TASKS
from scheduled_events.firing import idempotency_key
from scheduled_events.models import ScheduledOccurrence
from scheduled_events.services import create_configuration
from subscriptions.services import create_subscription
from tests.e2e.conftest import wait_until
from tests.faults.conftest import drain_and_count

pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True), pytest.mark.timeout(300)]
COMMITMENTS, SUBSCRIPTIONS = 350, 2
OFFSETS = {
    "scheduled.commitment.ends": 0,
    "scheduled.commitment.endsInOneDay": -1,
    "scheduled.commitment.endsInTwoDays": -2,
}
OCCURRENCES = COMMITMENTS * len(OFFSETS)  # 1,050 occurrences x 2 subscriptions = 2,100 deliveries
SCHEDULER_TASK = PERIODIC_TASKS[0]["task"]
FIRED = re.compile(rf"Task {re.escape(SCHEDULER_TASK)}\[[^\]]+\] succeeded in [^:]+: \{{'fired': (\d+)")
SENT = f"Sending due task {PERIODIC_TASKS[0]['name']}"


def _scheduler_every_second() -> None:
    """Both beats dispatch the scheduler each second (production: every minute), so runs overlap."""
    every_second, _ = IntervalSchedule.objects.get_or_create(every=1, period=IntervalSchedule.SECONDS)
    assert (
        PeriodicTask.objects.filter(task=SCHEDULER_TASK).update(interval=every_second, expire_seconds=None)
        == 1
    )


def _fired_per_run(log: str) -> list[int]:
    return [int(n) for n in FIRED.findall(log)]


def test_two_beats_and_two_workers_fire_each_occurrence_once(
    beat_schedule, worker_factory, acme, event_types, receiver_factory
):
    # Commitments that ended 3 to 7 days ago; backfill configurations plan (and fire) them although past.
    ended = timezone.now() - timedelta(days=3)
    publish_batch(
        acme.account,
        [
            Submission(
                "configuration.commitment.created",
                {"id": f"c{i}", "amount": 1, "endDate": (ended - timedelta(days=i % 5)).isoformat()},
            )
            for i in range(COMMITMENTS)
        ],
    )
    for name, offset in OFFSETS.items():
        create_configuration(
            acme.account, name=name, entity="Commitment", field="endDate", offset=offset, backfill=True
        )
    receivers = [receiver_factory() for _ in range(SUBSCRIPTIONS)]
    for receiver in receivers:
        create_subscription(acme.account, url=receiver.url, event_types=list(OFFSETS))
    _scheduler_every_second()

    started = time.monotonic()
    with ThreadPoolExecutor(2) as pool:  # started together, so both beats' first ticks overlap
        workers = list(pool.map(lambda _: worker_factory(beat=True), range(2)))
    wait_until(
        lambda: (
            ScheduledOccurrence.objects.count() == OCCURRENCES
            and not ScheduledOccurrence.objects.filter(fired_at__isnull=True).exists()
        ),
        timeout=120,
        interval=0.5,
        message=f"all {OCCURRENCES} occurrences to be planned and fired",
    )
    result = drain_and_count("two_beats_scheduled_events", receivers, started)

    # Several more ticks of both beats once everything fired: nothing fires again.
    runs = [len(_fired_per_run(w.log.read_text())) for w in workers]
    wait_until(
        lambda: all(
            len(_fired_per_run(w.log.read_text())) >= n + 2 for w, n in zip(workers, runs, strict=True)
        ),
        timeout=30,
        message="two more scheduler runs on each worker",
    )
    logs = [w.log.read_text() for w in workers]
    assert all(log.count(SENT) >= 3 for log in logs), "each beat dispatched the scheduler"
    fired_per_run = [_fired_per_run(log) for log in logs]
    firing_runs = [[n for n in runs if n] for runs in fired_per_run]
    print(f"scheduler runs per worker: {[len(r) for r in fired_per_run]}; runs that fired: {firing_runs}")
    assert not any(
        f"{SCHEDULER_TASK}[" in line and " raised " in line for log in logs for line in log.splitlines()
    )
    assert not any("could not be recorded" in log for log in logs)
    assert sum(map(sum, fired_per_run)) == OCCURRENCES  # what the runs report: each occurrence once

    occurrences = list(ScheduledOccurrence.objects.all())
    assert len(occurrences) == OCCURRENCES and not any(o.cancelled for o in occurrences)
    fired_events = [o.fired_event_id for o in occurrences]
    assert None not in fired_events and len(set(fired_events)) == OCCURRENCES  # one event per occurrence
    scheduled = Event.objects.filter(account=acme.account, event_type__name__in=list(OFFSETS))
    assert scheduled.count() == OCCURRENCES
    by_event = dict(scheduled.values_list("id", "idempotency_key"))
    assert all(by_event[o.fired_event_id] == idempotency_key(o) for o in occurrences)
    assert Counter(scheduled.values_list("event_type__name", flat=True)) == {
        name: COMMITMENTS for name in OFFSETS
    }

    assert result.sent == OCCURRENCES * SUBSCRIPTIONS
    assert set(Message.objects.values_list("status", flat=True)) == {MessageStatus.SUCCESS}
    assert result.lost == 0 and result.delivered == result.sent
    assert result.duplicates == 0  # two beats sweeping and two workers claiming never send a message twice
