"""Fault-injection fixtures: real workers (from the e2e fixtures), receivers, a stream publisher, and
service control that always leaves PostgreSQL and Redis running as it found them."""

from __future__ import annotations

import subprocess
import time
from collections import Counter
from dataclasses import dataclass

import pytest
from django.core.management import call_command
from django.db import connection

from deliveries.models import Message, MessageStatus
from eventhub.services.ingest import Submission, publish_batch
from tests.conftest import require_service
from tests.e2e.conftest import _e2e_settings, wait_until, worker_factory, worker_log_dir  # noqa: F401

REDIS_START = (
    'redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no '
    "--dir /var/lib/redis --logfile /var/log/redis/ci.log"
)


@pytest.fixture
def postgres_only(db):
    if connection.vendor != "postgresql":
        require_service("PostgreSQL", "fault tests run against PostgreSQL (set DATABASE_URL)")


@pytest.fixture
def beat_schedule(postgres_only):
    """The sweeper (and the other periodic tasks) registered the way `make run` registers them."""
    call_command("setup_beat", verbosity=0)


@dataclass
class StreamResult:
    fault: str
    sent: int
    delivered: int
    lost: int
    duplicates: int
    drain_s: float

    def line(self) -> str:
        return (
            f"fault={self.fault} sent={self.sent} delivered={self.delivered} lost={self.lost} "
            f"duplicates={self.duplicates} drain_s={self.drain_s:.1f}"
        )


def publish_stream(account, batches: int, per_batch: int, between=None) -> int:
    """Publish `batches` batches of `per_batch` events; `between(i)` injects the fault after batch i."""
    for batch in range(batches):
        publish_batch(
            account, [Submission("card.created", {"card_token": f"{batch}-{i}"}) for i in range(per_batch)]
        )
        if between:
            between(batch)
    return batches * per_batch


def drain_and_count(fault: str, receivers, started: float, timeout: float = 180.0) -> StreamResult:
    """Wait until no message is pending, then compare what the database says with what receivers saw."""
    wait_until(
        lambda: (
            not Message.objects.filter(status__in=[MessageStatus.PENDING, MessageStatus.SENDING]).exists()
        ),
        timeout=timeout,
        interval=0.5,
        message=f"{fault}: every message to reach a final state",
    )
    drain = time.monotonic() - started
    mine = Message.objects.filter(subscription__url__in=[r.url for r in receivers])
    tokens = set(mine.values_list("token", flat=True))
    succeeded = set(mine.filter(status=MessageStatus.SUCCESS).values_list("token", flat=True))
    seen = Counter(r.headers.get("webhook-id") for receiver in receivers for r in receiver.requests)
    delivered = len(succeeded & set(seen))
    result = StreamResult(
        fault=fault,
        sent=len(tokens),
        delivered=delivered,
        lost=len(tokens - set(seen)),
        duplicates=sum(count - 1 for token, count in seen.items() if token in tokens and count > 1),
        drain_s=drain,
    )
    print("\n" + result.line())
    return result


def redis_up() -> bool:
    return (
        subprocess.run(
            ["redis-cli", "-h", "127.0.0.1", "ping"], capture_output=True, text=True
        ).stdout.strip()
        == "PONG"
    )


def restart_redis(flush_db: int | None = None) -> None:
    """Stop Redis (nothing kept on disk) and start it with the command from SERVICES.md."""
    subprocess.run(["redis-cli", "-h", "127.0.0.1", "shutdown", "nosave"], capture_output=True, timeout=10)
    wait_until(lambda: not redis_up(), timeout=10, message="Redis to stop")
    time.sleep(1.0)
    subprocess.run(REDIS_START, shell=True, check=True, timeout=20)
    wait_until(redis_up, timeout=20, message="Redis to start again")
    if flush_db is not None:
        subprocess.run(
            ["redis-cli", "-h", "127.0.0.1", "-n", str(flush_db), "flushdb"], capture_output=True, timeout=10
        )


@pytest.fixture
def redis_restorer():
    """Whatever a test does to Redis, it is running again afterwards."""
    yield
    if not redis_up():
        subprocess.run(REDIS_START, shell=True, timeout=20)
        wait_until(redis_up, timeout=20, message="Redis to be restored")
