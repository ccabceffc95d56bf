"""A broker that accepts connections and never answers (blackholed) must not stall the API: the publish's
wake-up kick is sent by the web process's kicker thread, outside the request, and gives up within the
broker timeouts; the event is committed, and a worker delivers it once the broker is back (its start-up
sweep finds the due message)."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
from contextlib import closing

import pytest
import requests

from deliveries.models import Message
from eventhub.models import Event
from subscriptions.services import create_subscription
from tests.e2e.conftest import REPO, hub_process_env, wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


class Blackhole:
    """A loopback listener that accepts every connection and never sends a byte."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(128)
        self.port = self.sock.getsockname()[1]
        self.accepted: list[socket.socket] = []
        self._stop = threading.Event()
        self.sock.settimeout(0.1)
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                self.accepted.append(self.sock.accept()[0])
            except OSError:
                continue

    def close(self) -> None:
        self._stop.set()
        for conn in self.accepted:
            conn.close()
        self.sock.close()


@pytest.fixture
def blackhole():
    hole = Blackhole()
    yield hole
    hole.close()


def _free_port() -> int:
    with closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def web_server(worker_log_dir):
    """Starts the WSGI app under gunicorn with the given broker URL (its own process: its own Celery
    configuration, as in production)."""
    started: list[subprocess.Popen] = []

    def start(broker_url: str) -> str:
        port = _free_port()
        log = open(worker_log_dir / f"web-{port}.log", "ab")  # noqa: SIM115 - closed with the process
        command = [
            sys.executable,
            "-m",
            "gunicorn",
            "eventhub.wsgi:application",
            "-b",
            f"127.0.0.1:{port}",
            "-w",
            "1",
            "--threads",
            "4",
        ]
        process = subprocess.Popen(
            command,
            cwd=REPO,
            # Broker waits longer than the bound below: a kick sent inside the request would exceed it.
            env=hub_process_env(CELERY_BROKER_URL=broker_url, EVENTHUB_BROKER_TIMEOUT="5"),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        started.append(process)
        url = f"http://127.0.0.1:{port}"

        def answers() -> bool:
            assert process.poll() is None, "the web server exited"
            try:
                return requests.get(f"{url}/v1/status", timeout=2).status_code < 500
            except requests.RequestException:  # not listening yet, or its worker still booting
                return False

        wait_until(answers, timeout=30, message="the web server to answer")
        return url

    yield start
    for process in started:
        process.kill()
        process.wait(10)


@pytest.mark.parametrize("scheme", ["redis", "amqp"])
def test_a_blackholed_broker_does_not_stall_publishing_and_the_event_is_delivered_when_it_returns(
    scheme, blackhole, web_server, worker_factory, acme, event_types, receiver
):
    create_subscription(acme.account, url=receiver.url)
    broker = (
        f"redis://127.0.0.1:{blackhole.port}/7"
        if scheme == "redis"
        else f"amqp://guest:guest@127.0.0.1:{blackhole.port}//"
    )
    url = web_server(broker)

    started = time.monotonic()
    response = requests.post(
        f"{url}/v1/events",
        json={"event_type": "card.created", "payload": {"card_token": "c_outage"}},
        headers={"Authorization": acme.key},
        timeout=10,
    )
    took = time.monotonic() - started
    assert response.status_code == 201, response.text
    assert took < 2.0, f"POST /v1/events took {took:.2f} s with the broker blackholed"
    # The kick is sent by the web process's kicker thread after the response, not within the request.
    wait_until(
        lambda: blackhole.accepted, timeout=5, message="the web process to try the (blackholed) broker"
    )
    event = Event.objects.get(token=response.json()["token"])
    assert Message.objects.filter(event=event).count() == 1 and receiver.requests == []

    worker_factory()  # the broker is back: a worker on the real broker, whose start-up sweep finds the message
    [got] = receiver.wait_for(1, timeout=30)
    assert got.headers["webhook-id"] == Message.objects.get(event=event).token


def test_publishes_with_the_bounded_retry_policy_reach_the_real_broker():
    """Beat publishes with retries on: the policy must be one kombu accepts (a bad key fails every tick)."""
    from deliveries import tasks

    tasks.sweep.apply_async()  # retry=True: CELERY_TASK_PUBLISH_RETRY_POLICY applies (a stray sweep is harmless)
