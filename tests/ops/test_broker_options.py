"""The Redis broker is a wake-up channel, not a store: kombu's unacked bookkeeping (ack emulation) is off,
because the database and the sweeper already cover a lost kick or a killed worker, and that bookkeeping
was most of a worker's cost of receiving a kick (docs/decisions.md, issue 14 seventh round)."""

from __future__ import annotations

from tests.ops.test_safe_defaults import settings_in_subprocess

OPTIONS = (
    "o = settings.CELERY_BROKER_TRANSPORT_OPTIONS; print(o.get('ack_emulation'), o.get('socket_timeout'))"
)


def test_redis_broker_keeps_no_unacked_copies(tmp_path):
    done = settings_in_subprocess(tmp_path, OPTIONS, CELERY_BROKER_URL="redis://127.0.0.1:6379/15")
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["False", "1.0"]  # and its timeouts stay bounded


def test_other_brokers_keep_their_own_acknowledgements(tmp_path):
    done = settings_in_subprocess(tmp_path, OPTIONS, CELERY_BROKER_URL="amqp://guest:guest@127.0.0.1:5672//")
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["None", "None"]
