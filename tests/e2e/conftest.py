"""End-to-end fixtures: a real Celery worker subprocess sharing the test database and broker.

The worker gets the test database's name through DATABASE_URL (SQLite: the file under VAR_DIR;
PostgreSQL: test_<name>), the same broker and VAR_DIR, loopback allowed by the SSRF policy, and a short
retry schedule, lease and timeout so retries and crash recovery happen within seconds.

The broker is a parameter of these suites (and tests/faults): CELERY_BROKER_URL, as for the hub. CI
runs them on Redis and again on RabbitMQ (`.ci/run`, `make test-e2e`); tests that restart a particular
broker skip when the parameter names another.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings

from eventhub.process_commands import worker_command

REPO = Path(__file__).resolve().parents[2]
WORKER_ENV = {
    "EVENTHUB_SSRF_ALLOW": "127.0.0.1,::1,localhost",
    "EVENTHUB_ALLOW_HTTP_HOSTS": "127.0.0.1,localhost",
    "EVENTHUB_RETRY_SCHEDULE": "1,1,1",
    "EVENTHUB_LEASE_SECONDS": "5",
    "EVENTHUB_DELIVERY_TIMEOUT": "3",
    "EVENTHUB_CONNECT_TIMEOUT": "1",
    "EVENTHUB_SWEEP_SECONDS": "1",
    "EVENTHUB_DB_CONN_MAX_AGE": "0",
    "EVENTHUB_LOG_LEVEL": "WARNING",
}


def database_url() -> str:
    """The test database as a URL (pytest-django has already switched NAME to the test database)."""
    from django.db import connection

    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{Path(db['NAME']).resolve()}"
    auth = quote(db["USER"] or "", safe="")
    if db.get("PASSWORD"):
        auth += ":" + quote(db["PASSWORD"], safe="")
    host = db["HOST"] or "127.0.0.1"
    return f"postgres://{auth}@{host}:{db['PORT'] or 5432}/{db['NAME']}"


def hub_process_env(**overrides: str) -> dict[str, str]:
    """The environment of a hub process (worker, web) sharing the test database, broker and keys."""
    return {
        **os.environ,
        **WORKER_ENV,
        "DJANGO_SETTINGS_MODULE": "eventhub.settings",
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "EVENTHUB_VAR_DIR": str(settings.VAR_DIR),
        # It must decrypt what the test process encrypted and hash API keys the same way.
        "EVENTHUB_ENCRYPTION_KEYS": ",".join(settings.EVENTHUB_ENCRYPTION_KEYS),
        "EVENTHUB_SECRET_ENCRYPTION_KEY": settings.EVENTHUB_SECRET_ENCRYPTION_KEY,
        "EVENTHUB_API_KEY_PEPPER": settings.EVENTHUB_API_KEY_PEPPER,
        **overrides,
    }


class Worker:
    """`celery -A eventhub worker -Q default,deliveries,retries --pool threads -c 8` (optionally with an
    embedded beat), logging to a file the test prints on failure."""

    def __init__(
        self,
        log_dir: Path,
        *,
        beat: bool = False,
        env: dict[str, str] | None = None,
        pool: dict[str, object] | None = None,
    ):
        self.log = log_dir / f"worker-{uuid.uuid4().hex[:8]}.log"
        self.beat = beat
        self.env = env or {}
        self.pool = pool or {}  # e.g. {"pool": "prefork", "concurrency": 2}; the threads pool by default
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 30.0) -> Worker:
        env = hub_process_env(**self.env)
        command = worker_command(
            sys.executable, name=f"e2e-{uuid.uuid4().hex[:6]}@%h", standalone=True, **self.pool
        )
        if self.beat:
            command += ["-B", "--schedule", str(self.log.with_suffix(".beat"))]
        with open(self.log, "ab") as log:
            # Its own process group: an embedded beat is a child process that must die with the worker.
            self.process = subprocess.Popen(
                command, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        deadline = time.monotonic() + timeout
        while b" ready." not in self.log.read_bytes():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the Celery worker did not start:\n{self.tail()}")
            time.sleep(0.1)
        return self

    def kill(self) -> None:
        """SIGKILL to the worker and its children: no warm shutdown, nothing recorded for what was in flight."""
        if self.process is None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait(10)

    def stop(self) -> None:
        """After a test nothing may be left running; a warm shutdown takes seconds and the leases make
        a kill safe, so the test run does not wait for one."""
        self.kill()

    def tail(self, lines: int = 60) -> str:
        return (
            "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:]) if self.log.exists() else ""
        )


@pytest.fixture(scope="session")
def worker_log_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("celery")


@pytest.fixture(scope="module")
def hub_worker(django_db_setup, django_db_blocker, worker_log_dir):
    """One worker for the module's tests (they use transactional_db so it sees committed rows)."""
    worker = Worker(worker_log_dir).start()
    yield worker
    worker.stop()


@pytest.fixture
def worker_factory(django_db_setup, worker_log_dir):
    """Workers a test starts (and may SIGKILL); all stopped after it."""
    started: list[Worker] = []

    def start(**kwargs) -> Worker:
        started.append(Worker(worker_log_dir, **kwargs).start())
        return started[-1]

    yield start
    for worker in started:
        worker.stop()


@pytest.fixture(autouse=True)
def _e2e_settings(settings):
    """The test process (live server, services) uses the same short schedule as the worker."""
    settings.EVENTHUB_RETRY_SCHEDULE = [1.0, 1.0, 1.0]
    settings.EVENTHUB_LEASE_SECONDS = 5
    settings.EVENTHUB_DELIVERY_TIMEOUT = 3.0


def wait_until(check, timeout: float = 20.0, interval: float = 0.1, message: str = "condition"):
    """Poll `check()` until it returns something truthy; fail with `message` at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {message}")
        time.sleep(interval)
