"""`manage.py worker_status`: workers that answer over the broker, and exit 1 when none does."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from django.conf import settings

from tests.e2e.conftest import REPO, database_url

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def worker_status() -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": database_url(), "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
           "EVENTHUB_VAR_DIR": str(settings.VAR_DIR)}  # fmt: skip
    return subprocess.run([sys.executable, "manage.py", "worker_status", "--json", "--timeout", "3"],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=60)  # fmt: skip


def test_worker_status_lists_a_running_worker_and_fails_without_one(worker_factory):
    worker = worker_factory()
    running = worker_status()
    assert running.returncode == 0, running.stderr
    report = json.loads(running.stdout)
    assert report["ok"] and len(report["workers"]) == 1 and report["due_backlog"] == 0
    worker.kill()
    stopped = worker_status()
    assert stopped.returncode == 1 and json.loads(stopped.stdout)["problems"] == ["no worker answered"]
