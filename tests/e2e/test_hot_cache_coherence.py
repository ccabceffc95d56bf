"""The publish path's per-process memo (eventhub/hotcache.py) keeps its guarantees across processes: two
web servers (gunicorn, one worker each, so two processes with their own memo) have each published with
a key and an account's types, rules and subscriptions, so each has them memoised; then this process (a
third) changes them through the services, and 1 s after the change returns both servers act on it:
a revoked key or a deactivated account is refused, a new or disabled subscription, a new rule and a new
event type apply to the next event."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from contextlib import closing

import pytest
import requests

from deliveries.models import Message
from eventhub.models import Event
from eventhub.process_commands import web_command
from eventhub.services.accounts import deactivate_account, revoke_api_key
from eventhub.services.catalog import create_event_type
from eventhub.services.rules import create_rule
from subscriptions.services import create_subscription, set_disabled
from tests.e2e.conftest import REPO, hub_process_env, wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
COHERENCE_SECONDS = 1.0


def _free_port() -> int:
    with closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def two_web_processes(worker_log_dir):
    """Two gunicorn servers with the production config (one worker process each, memo on: 0.5 s)."""
    started: list[subprocess.Popen] = []
    urls = []
    for _ in range(2):
        port = _free_port()
        log = open(worker_log_dir / f"web-{port}.log", "ab")  # noqa: SIM115 - closed with the process
        env = hub_process_env(
            EVENTHUB_BIND=f"127.0.0.1:{port}",
            EVENTHUB_WEB_WORKERS="1",
            EVENTHUB_WEB_THREADS="2",
            EVENTHUB_HOT_CACHE_SECONDS="0.5",
            EVENTHUB_DB_CONN_MAX_AGE="60",
        )
        command = web_command(sys.executable)
        started.append(subprocess.Popen(command, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT))
        urls.append(f"http://127.0.0.1:{port}")

    def answers(url: str) -> bool:
        try:
            return requests.get(f"{url}/healthz", timeout=2).status_code < 500
        except requests.RequestException:
            return False

    for url in urls:
        wait_until(lambda u=url: answers(u), timeout=30, message="the web server to answer")
    yield urls
    for process in started:
        process.kill()
        process.wait(10)


def _publish(url: str, key: str, event_type: str = "card.created") -> requests.Response:
    return requests.post(
        f"{url}/v1/events",
        json={"event_type": event_type, "payload": {"card_token": "c_hot"}},
        headers={"Authorization": key},
        timeout=10,
    )


def _warm(urls: list[str], key: str, times: int = 4) -> None:
    """Every server publishes a few times (each thread may hold its own connection; the memo is per process)."""
    for url in urls:
        for _ in range(times):
            assert _publish(url, key).status_code == 201


def _subscriptions_of(response: requests.Response) -> set[int]:
    assert response.status_code == 201, response.text
    return set(
        Message.objects.filter(event__token=response.json()["token"]).values_list(
            "subscription_id", flat=True
        )
    )


def test_a_revoked_key_is_refused_by_every_process_within_one_second(two_web_processes, acme, event_types):
    _warm(two_web_processes, acme.key)
    revoke_api_key(acme.api_key)
    time.sleep(COHERENCE_SECONDS)
    for url in two_web_processes:
        assert _publish(url, acme.key).status_code == 401


def test_a_deactivated_account_is_refused_by_every_process_within_one_second(
    two_web_processes, acme, event_types
):
    _warm(two_web_processes, acme.key)
    deactivate_account(acme.account)
    time.sleep(COHERENCE_SECONDS)
    for url in two_web_processes:
        assert _publish(url, acme.key).status_code == 401


def test_a_new_and_a_disabled_subscription_apply_in_every_process_within_one_second(
    two_web_processes, acme, event_types, receiver
):
    first = create_subscription(acme.account, url=receiver.url)
    _warm(two_web_processes, acme.key)
    second = create_subscription(acme.account, url=receiver.url)
    time.sleep(COHERENCE_SECONDS)
    for url in two_web_processes:
        assert _subscriptions_of(_publish(url, acme.key)) == {first.id, second.id}
    set_disabled(first, True)
    time.sleep(COHERENCE_SECONDS)
    for url in two_web_processes:
        assert _subscriptions_of(_publish(url, acme.key)) == {second.id}


def test_a_new_rule_applies_in_every_process_within_one_second(two_web_processes, acme, event_types):
    _warm(two_web_processes, acme.key)
    create_rule(
        acme.account, name="every card", code="every_card", event_name="card.created", always_fire_event=True
    )
    time.sleep(COHERENCE_SECONDS)
    for url in two_web_processes:
        response = _publish(url, acme.key)
        assert response.status_code == 201, response.text
        assert Event.objects.filter(caused_by__token=response.json()["token"]).count() == 1


def test_a_new_event_type_is_accepted_by_every_process_within_one_second(
    two_web_processes, acme, event_types
):
    for url in two_web_processes:
        for _ in range(4):  # the unknown name is memoised too
            assert _publish(url, acme.key, "card.frozen").status_code == 400
    create_event_type("card.frozen", category="other", example={"card_token": "c1"})
    time.sleep(COHERENCE_SECONDS)
    for url in two_web_processes:
        assert _publish(url, acme.key, "card.frozen").status_code == 201
