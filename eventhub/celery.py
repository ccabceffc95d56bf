"""The Celery app, configured from Django settings (CELERY_* names)."""

from __future__ import annotations

import os

from celery import Celery
from celery.signals import (
    after_setup_logger,
    after_setup_task_logger,
    task_postrun,
    worker_init,
    worker_process_init,
    worker_ready,
)
from django.conf import settings

from eventhub import filesystem_broker
from eventhub.gc_freeze import freeze_startup_objects

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "eventhub.settings")
filesystem_broker.register()  # the embedded broker writes whole message files

app = Celery("eventhub")
app.config_from_object("django.conf:settings", namespace="CELERY")
# Celery's Django fixup closes every database connection before and after every task unless this is
# set: a new PostgreSQL connection per delivery wake-up (most of a short task's cost). Keep them, and
# close only broken or expired ones after each task (below), as Django does between requests.
app.conf.CELERY_DB_REUSE_MAX = 1_000_000
app.autodiscover_tasks()


@task_postrun.connect
def _drop_broken_or_old_connections(**kwargs) -> None:
    """CONN_MAX_AGE applies to workers too, and a connection that died (a database restart) is replaced
    by the next task instead of failing every task on this thread."""
    from django.db import close_old_connections

    close_old_connections()


@worker_init.connect  # the main process, before a prefork pool forks its children
@worker_ready.connect  # again once ready: what the consumer built since (threads and solo pools run here)
def _freeze_startup_objects(**kwargs) -> None:
    """Full garbage collections stop walking the worker's start-up objects (eventhub/gc_freeze.py)."""
    if settings.EVENTHUB_GC_FREEZE:
        freeze_startup_objects()


@worker_process_init.connect  # a prefork child (and the solo pool's own process, where it changes nothing)
def _freeze_in_a_child(**kwargs) -> None:
    if settings.EVENTHUB_GC_FREEZE:
        freeze_startup_objects(collect=False)


@after_setup_logger.connect
@after_setup_task_logger.connect
def _json_logs(logger, **kwargs) -> None:
    """Celery replaces the root logger's handlers with its own; keep EVENTHUB_LOG_FORMAT=json in workers
    and beat (one JSON object per line, like the web processes)."""
    if settings.EVENTHUB_LOG_FORMAT == "json":
        from eventhub.logs import JsonFormatter

        for handler in logger.handlers:
            handler.setFormatter(JsonFormatter())
