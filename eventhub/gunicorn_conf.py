"""gunicorn configuration, from the environment (`gunicorn -c python:eventhub.gunicorn_conf eventhub.wsgi`).

The same command serves `make run`, the Procfile, the systemd unit, the benchmark and the multi-process
fault test. gthread workers: the API is database-bound, threads overlap the waits at little memory.
"""

from __future__ import annotations

import os

from eventhub.env import env_int, env_str

bind = env_str("EVENTHUB_BIND", "127.0.0.1:8000")
workers = env_int("EVENTHUB_WEB_WORKERS", 2)
# 2 x 8 by measurement (docs/performance.md): keep-alive clients are not spread evenly over workers, and a
# request spends much of its time waiting on PostgreSQL/Redis, so more threads than producers per worker pay.
threads = env_int("EVENTHUB_WEB_THREADS", 8)
worker_class = "gthread"
timeout = env_int("EVENTHUB_WEB_TIMEOUT", 30)  # a request running longer is killed with its worker
graceful_timeout = env_int("EVENTHUB_WEB_GRACEFUL_TIMEOUT", 30)
keepalive = env_int("EVENTHUB_WEB_KEEPALIVE", 5)
# Request bodies are capped by Django (EVENTHUB_MAX_REQUEST_BYTES); these cap what gunicorn parses itself.
limit_request_line = env_int("EVENTHUB_WEB_MAX_REQUEST_LINE", 8190)
limit_request_field_size = env_int("EVENTHUB_WEB_MAX_HEADER_BYTES", 8190)
max_requests = env_int("EVENTHUB_WEB_MAX_REQUESTS", 0)  # recycle workers after N requests (0: never)
max_requests_jitter = max_requests // 10
accesslog = env_str("EVENTHUB_WEB_ACCESS_LOG", "") or None  # "-" for stdout
errorlog = "-"
loglevel = env_str("EVENTHUB_WEB_LOG_LEVEL", "info")
forwarded_allow_ips = env_str("EVENTHUB_FORWARDED_ALLOW_IPS", "127.0.0.1")
proc_name = "eventhub-web"


def child_exit(server, worker) -> None:
    """A dead worker's live gauges leave the multiprocess metrics directory (its counters stay summed)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
