"""The command lines of the hub's three processes in one place: `make run` (run_hub), the benchmark and the
end-to-end tests start what the Procfile names, with the same queues, pool and server configuration
(tests/ops/test_process_commands.py holds the Procfile to these)."""

from __future__ import annotations

WORKER_QUEUES = "default,deliveries,retries"
WORKER_POOL = "threads"
WORKER_CONCURRENCY = 8
# Cluster chatter a lone worker does not need (tests, the benchmark): it only delays start-up.
STANDALONE_WORKER_FLAGS = ["--without-gossip", "--without-mingle", "--without-heartbeat"]


def web_command(python: str, *, dev: bool = False, addr: str = "127.0.0.1:8000") -> list[str]:
    """gunicorn with eventhub/gunicorn_conf.py (the production server); `dev`: Django's autoreloading one."""
    if dev:
        return [python, "manage.py", "runserver", addr]
    return [python, "-m", "gunicorn", "-c", "python:eventhub.gunicorn_conf", "eventhub.wsgi"]


def worker_command(
    python: str,
    *,
    name: str = "worker@%h",
    log_level: str = "info",
    pool: str = WORKER_POOL,
    concurrency: int = WORKER_CONCURRENCY,
    standalone: bool = False,
) -> list[str]:
    """A Celery worker consuming every queue the hub routes tasks to."""
    command = [python, "-m", "celery", "-A", "eventhub", "worker", "-Q", WORKER_QUEUES]
    command += ["--pool", pool, "-c", str(concurrency), "-l", log_level, "-n", name]
    return command + (STANDALONE_WORKER_FLAGS if standalone else [])


def beat_command(python: str, *, schedule: str, log_level: str = "info") -> list[str]:
    """celery beat on django-celery-beat's database schedule (eventhub/settings.py); `schedule` is its local state file."""
    return [python, "-m", "celery", "-A", "eventhub", "beat", "-l", log_level, "--schedule", schedule]
