"""The beat sweeper: wakes the lanes that have due work, hands expired leases back, re-queues lost jobs."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from deliveries.models import Message, MessageStatus, RecoveryJob, RecoveryStatus
from deliveries.services.claims import claim_due
from deliveries.services.dispatch import ANY, FIRST, _open_gate, flush_kicks
from deliveries.services.sweeper import sweep
from tests.deliveries.conftest import deliver, send_event, subscribe

pytestmark = pytest.mark.django_db


def test_nothing_due_wakes_nobody(acme, event_types, kicks):
    assert sweep()["woken"] == [] and kicks == []


def test_due_first_tries_and_due_retries_wake_their_own_lanes(acme, event_types, receiver, kicks):
    subscribe(acme.account, receiver.url)
    receiver.behaviour.statuses = [500]
    send_event(acme.account)
    now = timezone.now()
    assert sweep(now)["woken"] == ["first"]
    deliver(now=now)
    kicks.clear()
    assert sweep(now)["woken"] == []
    assert sweep(now + timedelta(seconds=10))["woken"] == ["retry"]
    assert kicks == ["deliveries.deliver_retries"]


def test_the_sweep_wakes_a_worker_while_another_kick_holds_the_gate(acme, event_types, kicks, settings):
    """A kick still hanging on a dead broker holds its lane's gate until it fails; the sweep that finds
    its message must wake a worker all the same (the RabbitMQ outage test lost its delivery to this)."""
    settings.EVENTHUB_KICK_GATE = True
    subscribe(acme.account, "http://127.0.0.1:9/hook")
    send_event(acme.account)
    flush_kicks()
    kicks.clear()
    _open_gate(FIRST)  # held, as by another process's kick in flight
    assert sweep()["woken"] == ["first"]
    assert kicks == ["deliveries.deliver_due"]


def test_expired_leases_are_handed_back(acme, event_types, kicks):
    subscribe(acme.account, "http://127.0.0.1:9/hook")
    send_event(acme.account)
    now = timezone.now()
    _, lease = claim_due(ANY, now, 10)
    assert sweep(now)["released_leases"] == 0
    report = sweep(lease)
    assert report["released_leases"] == 1 and report["woken"] == ["first"]
    assert Message.objects.get().status == MessageStatus.PENDING


def test_a_job_whose_task_was_lost_is_queued_again_and_a_dead_run_is_failed(acme, event_types, kicks):
    subscription = subscribe(acme.account, "http://127.0.0.1:9/hook")
    now = timezone.now()
    lost = RecoveryJob.objects.create(
        account=acme.account,
        subscription=subscription,
        kind="recover",
        begin=now - timedelta(hours=1),
        end=now,
        created=now - timedelta(minutes=2),
    )
    dead = RecoveryJob.objects.create(
        account=acme.account,
        subscription=subscription,
        kind="replay_missing",
        begin=now - timedelta(hours=1),
        end=now,
        created=now - timedelta(hours=1),
        status=RecoveryStatus.RUNNING,
        started_at=now - timedelta(hours=1),
    )
    assert sweep(now)["requeued_jobs"] == 1
    assert kicks == ["deliveries.run_recovery_job"]
    dead.refresh_from_db()
    lost.refresh_from_db()
    assert dead.status == RecoveryStatus.FAILED and lost.status == RecoveryStatus.QUEUED
