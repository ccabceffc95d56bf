"""`manage.py worker_status`: workers that answer over the broker, and exit 1 when none does."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest
from django.conf import settings

from tests.e2e.conftest import REPO, database_url

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def worker_status() -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "EVENTHUB_VAR_DIR": str(settings.VAR_DIR),
    }
    return subprocess.run(
        [sys.executable, "manage.py", "worker_status", "--json", "--timeout", "3"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_worker_status_lists_a_running_worker_and_fails_without_one(worker_factory):
    worker = worker_factory()
    running = worker_status()
    assert running.returncode == 0, running.stderr
    report = json.loads(running.stdout)
    assert report["ok"] and len(report["workers"]) == 1 and report["due_backlog"] == 0
    worker.kill()
    stopped = worker_status()
    assert stopped.returncode == 1 and json.loads(stopped.stdout)["problems"] == ["no worker answered"]


def test_a_worker_with_the_json_log_format_writes_attempts_as_json_lines(
    monkeypatch, worker_factory, acme, event_types, receiver
):
    from eventhub.services.ingest import publish
    from subscriptions.services import create_subscription
    from tests.e2e.conftest import wait_until

    monkeypatch.setenv("EVENTHUB_LOG_FORMAT", "json")
    subscription = create_subscription(acme.account, url=receiver.url)
    worker = worker_factory()
    event = publish(acme.account, "card.created", {"card_token": "SECRET-PAYLOAD"}).event

    def attempt_line():
        for line in worker.log.read_text(errors="replace").splitlines():
            if '"event_name": "attempt"' in line:
                return json.loads(line)
        return None

    entry = wait_until(attempt_line, timeout=30, message="an attempt log line")
    assert entry["event_token"] == event.token and entry["subscription"] == subscription.token
    assert entry["account"] == acme.token and entry["outcome"] == "success"
    assert "SECRET-PAYLOAD" not in worker.log.read_text(errors="replace")


def test_a_worker_freezes_its_start_up_objects_once_ready(worker_factory):
    worker = worker_factory(env={"EVENTHUB_LOG_LEVEL": "INFO"})
    match = re.search(r"froze (\d+) start-up objects", worker.log.read_text(errors="replace"))
    assert match, worker.tail()
    assert int(match.group(1)) > 50_000  # Django, Celery and the app: what full collections used to walk


def test_a_prefork_worker_freezes_before_forking_and_each_child_after(worker_factory):
    """The parent collects and freezes at worker_init, so its children inherit frozen pages; each child
    only freezes (worker_process_init); the parent freezes again once ready: four lines for 2 children."""
    from tests.e2e.conftest import wait_until

    worker = worker_factory(env={"EVENTHUB_LOG_LEVEL": "INFO"}, pool={"pool": "prefork", "concurrency": 2})

    def counts():
        found = re.findall(r"froze (\d+) start-up objects", worker.log.read_text(errors="replace"))
        return [int(n) for n in found] if len(found) >= 4 else None

    frozen = wait_until(counts, timeout=15, message="four freezes (parent, 2 children, parent ready)")
    assert len(frozen) == 4, worker.tail()
    assert min(frozen) > 50_000  # a child's count includes what its parent froze before the fork
