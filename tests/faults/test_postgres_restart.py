"""PostgreSQL restarted twice while publishers POST a stream of events through the real HTTP API and a
worker delivers them: publishers only ever see 503 + Retry-After (never a 500), each Idempotency-Key
yields one event with all its messages, and every message ends delivered once the database is back."""

from __future__ import annotations

import logging
import os
import queue
import subprocess
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest
import requests
from django.conf import settings
from django.db import connection

from deliveries.models import Message, MessageAttempt, MessageStatus
from eventhub.models import Event
from subscriptions.services import create_subscription
from tests.e2e.conftest import wait_until
from tests.faults.conftest import drain_and_count

pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True), pytest.mark.timeout(240)]
EVENTS, SUBSCRIPTIONS, PUBLISHERS = 500, 4, 8  # 500 events x 4 subscriptions = 2,000 deliveries
RESTART_AFTER = (150, 330)  # restart once this many events have been accepted
OUTAGE_SECONDS = 2.0  # stop, wait, start: long enough that in-flight publishers meet the outage
PG_CLUSTER = "--skip-systemctl-redirect"


def _pg_ctl(action: str) -> subprocess.CompletedProcess:
    version = sorted(os.listdir("/etc/postgresql"))[0]  # `$(ls /etc/postgresql)` of SERVICES.md
    return subprocess.run(
        ["pg_ctlcluster", PG_CLUSTER, version, "main", action], capture_output=True, text=True, timeout=60
    )


def postgres_up() -> bool:
    return subprocess.run(["pg_isready", "-h", "127.0.0.1", "-p", "5432", "-q"], timeout=10).returncode == 0


@pytest.fixture
def postgres_restorer():
    """Whatever the test does to PostgreSQL, it is running again afterwards (and this process reconnects)."""
    yield
    if not postgres_up():
        _pg_ctl("start")
        wait_until(postgres_up, timeout=60, interval=0.5, message="PostgreSQL to be restored")
    connection.close()  # the test's own connection died with the server


@pytest.fixture
def quiet_outage_logs():
    """Each 503 is logged as a warning (by the middleware and django.request); a 500 still logs as an error."""
    loggers = [logging.getLogger(name) for name in ("eventhub.middleware", "django.request")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.ERROR)
    yield
    for logger, level in zip(loggers, levels, strict=True):
        logger.setLevel(level)


@dataclass
class Restart:
    down_at: datetime  # wall clock, to compare with attempt times the worker records
    up_at: datetime
    down: float  # time.monotonic(), to compare with when receivers got requests
    up: float


def restart_postgres() -> Restart:
    down_at, down = datetime.now(UTC), time.monotonic()
    stopped = _pg_ctl("stop")  # pg_ctlcluster's default mode is fast: open sessions are terminated
    assert stopped.returncode == 0, stopped.stderr
    time.sleep(OUTAGE_SECONDS)
    started = _pg_ctl("start")
    assert started.returncode == 0, started.stderr
    wait_until(postgres_up, timeout=60, interval=0.2, message="PostgreSQL to accept connections again")
    return Restart(down_at, datetime.now(UTC), down, time.monotonic())


@dataclass
class Publication:
    """Everything one Idempotency-Key's publisher saw, retries included."""

    key: str
    statuses: list[int] = field(default_factory=list)
    retry_afters: list[str | None] = field(default_factory=list)
    bad_bodies: list[str] = field(default_factory=list)  # answers other than 2xx or a clean JSON 503
    connection_errors: int = 0
    event_tokens: list[str] = field(default_factory=list)  # the event each 2xx answer named

    @property
    def accepted(self) -> bool:
        return bool(self.statuses) and self.statuses[-1] in (200, 201)


class Publishers:
    """Threads POSTing /v1/events, one Idempotency-Key per event, retrying on 503 (after Retry-After)
    and on connection errors until the event is accepted, as a well-behaved SDK client would."""

    def __init__(self, base_url: str, api_key: str, keys: list[str], threads: int):
        self.url = f"{base_url}/v1/events"
        self.api_key = api_key
        self.publications = {key: Publication(key) for key in keys}
        self.accepted = 0
        self._lock = threading.Lock()
        self._todo: queue.Queue[str] = queue.Queue()
        for key in keys:
            self._todo.put(key)
        self._threads = [threading.Thread(target=self._run, daemon=True) for _ in range(threads)]

    def start(self) -> Publishers:
        for thread in self._threads:
            thread.start()
        return self

    def join(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        assert not any(t.is_alive() for t in self._threads), "publishers still running at the deadline"

    def _run(self) -> None:
        session = requests.Session()
        while True:
            try:
                key = self._todo.get_nowait()
            except queue.Empty:
                return
            self._publish(session, self.publications[key])

    def _publish(self, session: requests.Session, publication: Publication) -> None:
        index = publication.key.rsplit("-", 1)[1]
        body = {"event_type": "card.created", "payload": {"card_token": f"pg-{index}"}}
        headers = {"Authorization": self.api_key, "Idempotency-Key": publication.key}
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                response = session.post(self.url, json=body, headers=headers, timeout=15)
            except requests.ConnectionError:
                publication.connection_errors += 1
                session = requests.Session()
                time.sleep(0.2)
                continue
            publication.statuses.append(response.status_code)
            if response.status_code in (200, 201):
                publication.event_tokens.append(response.json()["token"])
                with self._lock:
                    self.accepted += 1
                return
            clean = (
                response.headers.get("Content-Type", "").startswith("application/json")
                and "Traceback" not in response.text
            )
            if response.status_code != 503 or not clean:
                publication.bad_bodies.append(f"{response.status_code}: {response.text[:2000]}")
                return  # anything but a clean JSON 503 is a failure the test reports
            retry_after = response.headers.get("Retry-After")
            publication.retry_afters.append(retry_after)
            time.sleep(min(float(retry_after), 5.0) if retry_after and retry_after.isdigit() else 1.0)


def test_postgres_restarted_twice_while_publishing_over_http(
    postgres_restorer,
    quiet_outage_logs,
    beat_schedule,
    worker_factory,
    live_server,
    acme,
    event_types,
    receiver_factory,
):
    receivers = [receiver_factory() for _ in range(SUBSCRIPTIONS)]
    for receiver in receivers:
        receiver.behaviour.delay = 0.02  # keeps deliveries in flight when the database goes away
        create_subscription(acme.account, url=receiver.url)
    worker_factory(beat=True)
    keys = [f"pg-restart-{i}" for i in range(EVENTS)]
    connection.close()  # the server is about to go away under this connection

    started = time.monotonic()
    publishers = Publishers(live_server.url, acme.key, keys, PUBLISHERS).start()
    restarts: list[Restart] = []
    for threshold in RESTART_AFTER:
        wait_until(
            lambda t=threshold: publishers.accepted >= t,
            timeout=60,
            interval=0.05,
            message=f"{threshold} events accepted",
        )
        restarts.append(restart_postgres())
    publishers.join(timeout=120)

    publications = list(publishers.publications.values())
    statuses = Counter(s for p in publications for s in p.statuses)
    print(
        f"\nresponses: {dict(statuses)}; connection errors: {sum(p.connection_errors for p in publications)}"
    )
    # What a publisher sees: 503s with Retry-After while the database is away, never a 500 or another 5xx.
    bad = [(p.key, p.statuses, p.bad_bodies) for p in publications if p.bad_bodies]
    assert not bad, f"{len(bad)} publishers got an answer other than 2xx/503, e.g. {bad[:3]}"
    assert set(statuses) <= {200, 201, 503}, statuses
    assert statuses[503] > 0, "no publisher met the outage: the fault was not injected mid-stream"
    assert all(ra is not None and ra.isdigit() for p in publications for ra in p.retry_afters)
    assert all(p.accepted for p in publications), [p.key for p in publications if not p.accepted][:10]

    result = drain_and_count("postgres_restart_x2", receivers, started)

    # Each key: exactly one event, the one every 2xx answer for it named, with a message per subscription.
    events = {
        e.idempotency_key: e for e in Event.objects.filter(account=acme.account, idempotency_key__in=keys)
    }
    assert (
        Event.objects.filter(account=acme.account, idempotency_key__in=keys).count() == EVENTS == len(events)
    )
    assert Event.objects.filter(account=acme.account, event_type="card.created").count() == EVENTS
    for publication in publications:
        assert set(publication.event_tokens) == {events[publication.key].token}, publication
    per_event = Counter(Message.objects.filter(event__in=events.values()).values_list("event_id", flat=True))
    assert set(per_event.values()) == {SUBSCRIPTIONS} and len(per_event) == EVENTS  # nothing half-written

    assert result.sent == EVENTS * SUBSCRIPTIONS
    assert result.lost == 0 and result.delivered == result.sent
    assert set(Message.objects.values_list("status", flat=True)) == {MessageStatus.SUCCESS}
    # A duplicate needs a send whose outcome could not be recorded because the database went away:
    # its first copy reached the receiver while a restart was under way (claimed at most a lease before
    # the stop, sent at the latest a delivery timeout after the start), and each restart strands at most
    # what the worker had claimed (as for a SIGKILL).
    received: dict[str, list[float]] = {}
    for receiver in receivers:
        for request in receiver.requests:
            received.setdefault(request.headers["webhook-id"], []).append(request.at)
    lease, timeout = settings.EVENTHUB_LEASE_SECONDS, settings.EVENTHUB_DELIVERY_TIMEOUT
    outside = [
        token
        for token, times in received.items()
        if len(times) > 1 and not any(r.down - lease <= min(times) <= r.up + timeout for r in restarts)
    ]
    assert not outside, (
        f"{len(outside)} messages sent twice although no restart was under way, e.g. {outside[:5]}"
    )
    assert result.duplicates <= len(restarts) * settings.EVENTHUB_CLAIM_BATCH * SUBSCRIPTIONS
    # The worker reconnected: it recorded deliveries made after the last restart.
    assert MessageAttempt.objects.filter(created__gt=restarts[-1].up_at).exists()
