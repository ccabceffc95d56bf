"""The kick gate (deliveries/services/dispatch.py): at most one immediate kick per lane waits in the
broker; a starting delivery loop reopens it; a failed publish or a failed cache never leaves work unkicked."""

from __future__ import annotations

import time

import pytest
from kombu.exceptions import OperationalError

from deliveries import tasks
from deliveries.services import dispatch, engine
from deliveries.services.dispatch import FIRST, KICK_GATE_SECONDS, RETRY, kick

pytestmark = pytest.mark.django_db

DELIVER_DUE, DELIVER_RETRIES = "deliveries.deliver_due", "deliveries.deliver_retries"


@pytest.fixture
def gated(settings):
    settings.EVENTHUB_KICK_GATE = True


def test_a_second_kick_is_not_sent_while_the_first_waits_for_a_worker(gated, kicks):
    kick(FIRST)
    kick(FIRST)
    kick(FIRST)
    assert kicks == [DELIVER_DUE]


def test_the_lanes_have_gates_of_their_own(gated, kicks):
    kick(FIRST)
    kick(RETRY)
    kick(RETRY)
    assert kicks == [DELIVER_DUE, DELIVER_RETRIES]


def test_a_starting_delivery_loop_reopens_its_lanes_gate(gated, kicks):
    kick(FIRST)
    kick(RETRY)
    engine.deliver_due(FIRST)  # nothing is due: the loop starts and ends at once
    kick(FIRST)
    kick(RETRY)
    assert kicks == [DELIVER_DUE, DELIVER_RETRIES, DELIVER_DUE]


def test_a_kick_lost_in_the_broker_holds_the_gate_no_longer_than_its_expiry(gated, kicks):
    kick(FIRST)  # never consumed: no worker reopens the gate
    time.sleep(KICK_GATE_SECONDS + 0.2)
    kick(FIRST)
    assert kicks == [DELIVER_DUE, DELIVER_DUE]


def test_delayed_kicks_are_never_held(gated, kicks):
    kick(RETRY)
    kick(RETRY, delay=2.0)
    kick(RETRY, delay=3.0)
    assert kicks == [DELIVER_RETRIES] * 3


def test_without_the_gate_every_kick_is_sent(settings, kicks):
    settings.EVENTHUB_KICK_GATE = False
    kick(FIRST)
    kick(FIRST)
    assert kicks == [DELIVER_DUE, DELIVER_DUE]


def test_a_publish_that_fails_reopens_the_gate(gated, monkeypatch, kicks):
    def broker_down(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(tasks.deliver_due, "apply_async", broker_down)
    kick(FIRST)  # logged, not raised; the gate must not stay shut on a kick that was never queued
    monkeypatch.setattr(tasks.deliver_due, "apply_async", lambda *a, **k: kicks.append(DELIVER_DUE))
    kick(FIRST)
    assert kicks == [DELIVER_DUE]


def test_an_unreachable_cache_lets_every_kick_through(gated, settings, kicks):
    """A real Redis client on a port nothing listens on: the cache raises, the kick is sent anyway."""
    settings.CACHES = {
        **settings.CACHES,
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:9/0",
        },
    }
    kick(FIRST)
    kick(FIRST)
    dispatch.reopen_gate(FIRST)  # and reopening does not raise either
    assert kicks == [DELIVER_DUE, DELIVER_DUE]
