"""Several processes on "several hosts" against one PostgreSQL, with RabbitMQ as the broker: 2 gunicorn
web servers, 2 workers (own HOSTNAME and working directory each) and 2 beats, all started from the
Procfile's command lines. 2,000 events go in through both web servers; one worker is SIGKILLed and
RabbitMQ restarted mid-stream; every message is delivered, none lost, duplicates within the bound."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
import urllib.request

import pytest
from django.core.management import call_command

from deliveries.models import Message
from subscriptions.services import create_subscription
from tests.conftest import require_service
from tests.e2e.conftest import WORKER_ENV, database_url
from tests.faults.conftest import drain_and_count, wait_until
from tests.faults.processes import Cluster

pytestmark = [
    pytest.mark.faults,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
    pytest.mark.timeout(600),
]
RABBITMQ_URL = os.environ.get("EVENTHUB_TEST_RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672//")
RABBITMQ_START = "rabbitmq-server -detached"
BATCHES, PER_BATCH, SUBSCRIPTIONS = 40, 50, 2  # 2,000 events x 2 subscriptions = 4,000 messages
WORKER_THREADS = 8  # the Procfile's -c


def rabbitmq_up() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 5672), timeout=1).close()
    except OSError:
        return False
    return (
        subprocess.run(["rabbitmq-diagnostics", "-q", "ping"], capture_output=True, timeout=20).returncode
        == 0
    )


def restart_rabbitmq() -> None:
    """Stop the node (connections drop, durable queues and persistent messages survive) and start it."""
    subprocess.run(["rabbitmqctl", "stop"], capture_output=True, timeout=60)
    wait_until(lambda: not rabbitmq_up(), timeout=30, message="RabbitMQ to stop")
    subprocess.run(RABBITMQ_START, shell=True, timeout=30)
    wait_until(rabbitmq_up, timeout=60, interval=0.5, message="RabbitMQ to start again")


@pytest.fixture
def rabbitmq():
    if not rabbitmq_up():
        require_service("RabbitMQ", "the multi-process test runs on RabbitMQ (127.0.0.1:5672)")
    yield RABBITMQ_URL
    if not rabbitmq_up():
        subprocess.run(RABBITMQ_START, shell=True, timeout=30)
        wait_until(rabbitmq_up, timeout=60, interval=0.5, message="RabbitMQ to be restored")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _post_batch(base: str, key: str, batch: int) -> None:
    events = [
        {"event_type": "card.created", "payload": {"card_token": f"{batch}-{i}"}} for i in range(PER_BATCH)
    ]
    request = urllib.request.Request(
        f"{base}/v1/events",
        data=json.dumps({"events": events}).encode(),
        method="POST",
        headers={"Authorization": key, "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        assert response.status in (200, 201), response.read()


def test_two_webs_two_workers_two_beats_on_rabbitmq_survive_a_worker_kill_and_a_broker_restart(
    postgres_only, rabbitmq, acme, event_types, receiver_factory, tmp_path, settings
):
    call_command("setup_beat", verbosity=0)
    receivers = [receiver_factory() for _ in range(SUBSCRIPTIONS)]
    for receiver in receivers:
        create_subscription(acme.account, url=receiver.url)
        receiver.behaviour.delay = 0.01  # keeps deliveries in flight when the kill lands
    env = {
        **os.environ,
        **WORKER_ENV,
        "DJANGO_SETTINGS_MODULE": "eventhub.settings",
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": rabbitmq,
        "EVENTHUB_SECRET_KEY": settings.SECRET_KEY,
        "EVENTHUB_API_KEY_PEPPER": settings.EVENTHUB_API_KEY_PEPPER,
        "EVENTHUB_SECRET_ENCRYPTION_KEY": settings.EVENTHUB_SECRET_ENCRYPTION_KEY,
        "EVENTHUB_WEB_WORKERS": "2",
        "EVENTHUB_RATE_LIMIT": "100000/min",
        "EVENTHUB_LOG_LEVEL": "WARNING",
    }
    cluster = Cluster(tmp_path, env)
    try:
        webs = [cluster.start("web", host, _free_port()) for host in ("host-a", "host-b")]
        workers = [cluster.start("worker", host) for host in ("host-a", "host-b")]
        for host in ("host-a", "host-b"):
            cluster.start("beat", host)
        bases = [cluster.wait_web(web) for web in webs]
        for worker in workers:
            cluster.wait_worker(worker)

        started = time.monotonic()
        for batch in range(BATCHES):
            _post_batch(bases[batch % 2], acme.key, batch)
            if batch == BATCHES // 4:
                time.sleep(0.3)
                workers[0].kill()
            if batch == BATCHES // 2:
                restart_rabbitmq()
        assert Message.objects.count() == BATCHES * PER_BATCH * SUBSCRIPTIONS
        result = drain_and_count("rabbitmq_multi_process", receivers, started, timeout=300)
    except BaseException:
        for process in cluster.processes:
            print(f"--- {process.kind} on {process.host} ---\n{process.tail()}")
        raise
    finally:
        cluster.stop_all()
    assert result.sent == BATCHES * PER_BATCH * SUBSCRIPTIONS
    assert result.lost == 0 and result.delivered == result.sent
    # At-least-once: only the killed worker's claims (a batch per thread) can be sent twice.
    assert result.duplicates <= WORKER_THREADS * settings.EVENTHUB_CLAIM_BATCH
